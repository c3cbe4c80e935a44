// One entry per CPU target: the microkernel and the cache blocking around it (BLIS
// style: a new CPU is one microkernel file and one config entry).
#pragma once

#include <cstdint>

#include "cpu/activation/activation.h"

namespace pk {

// Lines a microkernel prefetches while it computes: one per k step during the first
// `count` steps, from `next` on, `stride` floats apart (none by default).
struct SgemmPrefetch {
  const float* next = nullptr;
  int64_t stride = 0, count = 0;
};

// The end of a tile's last k block, applied to the accumulators before they are stored:
// C[i][j] = act((accumulate ? C[i][j] + acc : acc) + bias), the bias col_bias[j] or
// row_bias[i] (at most one set; both point at the tile's first column / row). act is
// None, Relu, Sigmoid or Tanh; GELU runs on the stored tile (apply_activation_rows).
struct SgemmEpilogue {
  const float* col_bias = nullptr;
  const float* row_bias = nullptr;
  Activation act = Activation::None;
};

// The epilogue on a stored tile C[rows x cols] (row stride ldc), any activation, GELU
// included: C = act(C + bias) (sgemm_epilogue.cc).
void apply_epilogue(float* c, int64_t rows, int64_t cols, int64_t ldc, const SgemmEpilogue& ep);

// C[rows x NR] (row stride ldc) = (accumulate ? C : 0) + A_panel . B_panel, then the
// epilogue when ep is not null, where
//   a: the packed A micro-panel, k columns of MR values (a[p * MR + i], i < rows used),
//   b: k rows of NR values, row p at b + p * ldb (ldb = NR when packed).
// A config holds one kernel per row count: ukernels[rows - 1], 1 <= rows <= MR.
using SgemmUkernel = void (*)(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                              bool accumulate, SgemmPrefetch pf, const SgemmEpilogue* ep);

// Packs a B micro-panel from k rows b_rs floats apart, each `cols` contiguous floats at
// b then `cols2` at b2 (cols + cols2 <= NR), zero-padded: for p < k,
//   dst[p * NR + j] = b[p * b_rs + j] (j < cols), b2[p * b_rs + j - cols] (j - cols < cols2), else 0.
// The fused small-M path packs each panel right before its tiles run; its narrow panel
// holds the first columns of B and the last ones.
using SgemmPackBPanel = void (*)(int64_t k, const float* b, int64_t cols, const float* b2, int64_t cols2,
                                 int64_t b_rs, float* dst);

// Skinny kernels for m <= SgemmConfig::skinny_m rows of A (sgemm_skinny_*.cc):
//   rows: C[m x n] += A . B with B row-major (row p at b + p * b_rs); C pre-initialized.
//   dot:  C[m x n] (+)= A . W^T with W row-major (row j at w + j * w_rs) and rows of A
//         contiguous along k.
using SgemmSkinnyRows = void (*)(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
                                 const float* b, int64_t b_rs, float* c, int64_t c_rs);
using SgemmSkinnyDot = void (*)(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, const float* w,
                                int64_t w_rs, float* c, int64_t c_rs, bool accumulate);

struct SgemmConfig {
  const char* name;
  int mr, nr;           // register tile
  int64_t mc, kc, nc;   // cache blocks: A block mc x kc in L2, B panel kc x nr in L1
  const SgemmUkernel* ukernels;  // [mr]: the kernel for tiles of rows = 1 .. mr
  int64_t fused_m;      // up to this many rows of A, the fused path runs (A block fused_m x fused_kc in L2)
  int64_t fused_kc;     // its k block: the B micro-panel (fused_kc x nr) fills half of L1
  SgemmPackBPanel pack_b_panel;
  int skinny_m;         // up to this many rows of A, the skinny kernels run instead
  SgemmSkinnyRows skinny_rows;
  SgemmSkinnyDot skinny_dot;
};

extern const SgemmUkernel kSgemmUkernels6x16Avx2[6];
extern const SgemmUkernel kSgemmUkernels4x8Portable[4];
void sgemm_pack_b_panel_16_avx2(int64_t k, const float* b, int64_t cols, const float* b2, int64_t cols2, int64_t b_rs,
                                float* dst);
void sgemm_pack_b_panel_8_portable(int64_t k, const float* b, int64_t cols, const float* b2, int64_t cols2,
                                   int64_t b_rs, float* dst);

void sgemm_skinny_rows_avx2(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
                            const float* b, int64_t b_rs, float* c, int64_t c_rs);
void sgemm_skinny_dot_avx2(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, const float* w,
                           int64_t w_rs, float* c, int64_t c_rs, bool accumulate);
void sgemm_skinny_rows_portable(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
                                const float* b, int64_t b_rs, float* c, int64_t c_rs);
void sgemm_skinny_dot_portable(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, const float* w,
                               int64_t w_rs, float* c, int64_t c_rs, bool accumulate);

// The config for the active ISA.
const SgemmConfig& sgemm_config();

}  // namespace pk
