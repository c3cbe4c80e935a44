// Skinny sgemm kernels for M <= 4 on the baseline ISA: the same two traversals as
// sgemm_skinny_avx2.cc (B rows swept in order; W rows dotted with A rows), as plain
// loops the compiler vectorizes for SSE2. Both keep the error growth of the AVX2 path:
// the row sweep adds 4 rows of B as a tree before C takes a rounding (error ~ K / 4),
// dot products keep 8 partial sums (error ~ K / 8).
#include "cpu/gemm/sgemm_config.h"

namespace pk {

void sgemm_skinny_rows_portable(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
                                const float* b, int64_t b_rs, float* c, int64_t c_rs) {
  int64_t p = 0;
  for (; p + 4 <= k; p += 4) {
    const float *b0 = b + p * b_rs, *b1 = b0 + b_rs, *b2 = b1 + b_rs, *b3 = b2 + b_rs;
    for (int r = 0; r < m; ++r) {
      const float* ar = a + r * a_rs + p * a_cs;
      const float a0 = ar[0], a1 = ar[a_cs], a2 = ar[2 * a_cs], a3 = ar[3 * a_cs];
      float* crow = c + r * c_rs;
      for (int64_t j = 0; j < n; ++j) crow[j] += (a0 * b0[j] + a1 * b1[j]) + (a2 * b2[j] + a3 * b3[j]);
    }
  }
  for (; p < k; ++p) {
    const float* brow = b + p * b_rs;
    for (int r = 0; r < m; ++r) {
      const float coef = a[r * a_rs + p * a_cs];
      float* crow = c + r * c_rs;
      for (int64_t j = 0; j < n; ++j) crow[j] += coef * brow[j];
    }
  }
}

void sgemm_skinny_dot_portable(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, const float* w,
                               int64_t w_rs, float* c, int64_t c_rs, bool accumulate) {
  for (int r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n; ++j) {
      const float* wrow = w + j * w_rs;
      const float* arow = a + r * a_rs;
      // 8 interleaved partial sums: vectorizable, and the error grows with k / 8.
      float part[8] = {};
      int64_t p = 0;
      for (; p + 8 <= k; p += 8) {
        for (int l = 0; l < 8; ++l) part[l] += arow[p + l] * wrow[p + l];
      }
      for (; p < k; ++p) part[p % 8] += arow[p] * wrow[p];
      const float s = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
      c[r * c_rs + j] = accumulate ? c[r * c_rs + j] + s : s;
    }
  }
}

}  // namespace pk
