// sgemm microkernels, register tile 1..4 rows x 8 columns, baseline x86-64 (SSE2) for
// CPUs without AVX2.
//
// Computes C[rows x 8] (+)= A[rows x k] . B[k x 8] with the same packed layouts as the
// AVX2 kernels (A panel of 4 values per k, zero-padded). Why this shape: 4x8 floats are
// 8 xmm accumulators, which the compiler keeps in registers and vectorizes from these
// fixed-trip loops, leaving room for the B row and the broadcast. The prefetch stream
// is a hint this baseline path leaves to the hardware; the B panel pack is a plain copy.
// The epilogue runs on the stored tile (apply_epilogue).
#include "cpu/gemm/sgemm_config.h"

namespace pk {
namespace {

template <int MR>
void ukernel(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate,
             SgemmPrefetch, const SgemmEpilogue* ep) {
  float acc[MR][8] = {};
  for (int64_t p = 0; p < k; ++p) {
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < 8; ++j) acc[i][j] += a[i] * b[j];
    }
    a += 4;
    b += ldb;
  }
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < 8; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
  }
  if (ep) apply_epilogue(c, MR, 8, ldc, *ep);
}

}  // namespace

void sgemm_pack_b_panel_8_portable(int64_t k, const float* b, int64_t cols, const float* b2, int64_t cols2,
                                   int64_t b_rs, float* dst) {
  for (int64_t p = 0; p < k; ++p, b += b_rs, b2 += b_rs, dst += 8) {
    for (int j = 0; j < 8; ++j) dst[j] = j < cols ? b[j] : j - cols < cols2 ? b2[j - cols] : 0.0f;
  }
}

const SgemmUkernel kSgemmUkernels4x8Portable[4] = {ukernel<1>, ukernel<2>, ukernel<3>, ukernel<4>};

}  // namespace pk
