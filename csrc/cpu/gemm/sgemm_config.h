// One entry per CPU target: the microkernel and the cache blocking around it (BLIS
// style: a new CPU is one microkernel file and one config entry).
#pragma once

#include <cstdint>

namespace pk {

// C[MR x NR] (row stride ldc) = (accumulate ? C : 0) + A_panel . B_panel, where
//   a: the packed A micro-panel, k columns of MR values (a[p * MR + i]),
//   b: k rows of NR values, row p at b + p * ldb (ldb = NR when packed).
using SgemmUkernel = void (*)(int64_t k, const float* a, const float* b, int64_t ldb,
                              float* c, int64_t ldc, bool accumulate);

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
  SgemmUkernel ukernel;
  int skinny_m;         // up to this many rows of A, the skinny kernels run instead
  SgemmSkinnyRows skinny_rows;
  SgemmSkinnyDot skinny_dot;
};

void sgemm_ukernel_6x16_avx2(int64_t k, const float* a, const float* b, int64_t ldb,
                             float* c, int64_t ldc, bool accumulate);
void sgemm_ukernel_4x8_portable(int64_t k, const float* a, const float* b, int64_t ldb,
                                float* c, int64_t ldc, bool accumulate);

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
