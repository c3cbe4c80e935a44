// CSR times one dense column (n = 1) for CPUs without AVX2:
// y[i] = bias[i] + sum_t values[t] * x[indices[t]], four partial sums per row so the
// multiply-adds of a row do not wait on each other.
#include "cpu/spmm/spmm_config.h"

namespace pk {

void spmv_f32_csr_portable(const SpmmArgs& g, const float* x, int64_t row0, int64_t row1) {
  for (int64_t i = row0; i < row1; ++i) {
    const int64_t end = g.indptr[i + 1];
    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int64_t t = g.indptr[i];
    for (; t + 4 <= end; t += 4) {
      for (int q = 0; q < 4; ++q) s[q] += g.values[t + q] * x[g.indices[t + q]];
    }
    for (; t < end; ++t) s[0] += g.values[t] * x[g.indices[t]];
    g.y[i * g.y_rs] = (g.bias ? g.bias[i] : 0.0f) + ((s[0] + s[1]) + (s[2] + s[3]));
  }
}

}  // namespace pk
