// Skinny sgemm kernels for M <= 4 on the baseline ISA: the same two traversals as
// sgemm_skinny_avx2.cc (B rows swept in order; W rows dotted with A rows), as plain
// loops the compiler vectorizes for SSE2.
#include "cpu/gemm/sgemm_config.h"

namespace pk {

void sgemm_skinny_rows_portable(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
                                const float* b, int64_t b_rs, float* c, int64_t c_rs) {
  for (int64_t p = 0; p < k; ++p) {
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
      float s = 0.0f;
      for (int64_t p = 0; p < k; ++p) s += arow[p] * wrow[p];
      c[r * c_rs + j] = accumulate ? c[r * c_rs + j] + s : s;
    }
  }
}

}  // namespace pk
