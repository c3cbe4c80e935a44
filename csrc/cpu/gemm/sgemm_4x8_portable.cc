// sgemm microkernel, 4x8 register tile, baseline x86-64 (SSE2) for CPUs without AVX2.
//
// Computes C[4x8] (+)= A[4xk] . B[kx8] with the same packed layouts as the AVX2
// kernel. Why this shape: 4x8 floats are 8 xmm accumulators, which the compiler keeps
// in registers and vectorizes from these fixed-trip loops, leaving room for the B row
// and the broadcast.
#include "cpu/gemm/sgemm_config.h"

namespace pk {

void sgemm_ukernel_4x8_portable(int64_t k, const float* a, const float* b, int64_t ldb,
                                float* c, int64_t ldc, bool accumulate) {
  float acc[4][8] = {};
  for (int64_t p = 0; p < k; ++p) {
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 8; ++j) acc[i][j] += a[i] * b[j];
    }
    a += 4;
    b += ldb;
  }
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 8; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
  }
}

}  // namespace pk
