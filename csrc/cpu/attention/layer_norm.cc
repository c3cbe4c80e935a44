// Layer norm, row by row: two passes (mean, then the variance about it, both summed in
// double so long rows lose no precision), then one normalising pass. Memory-bound; the
// compiler vectorizes the loops for the baseline ISA, and rows run in parallel.
#include "cpu/attention/layer_norm.h"

#include <cmath>

#include "common/threads.h"

namespace pk {

void layer_norm_rows(const float* x, float* y, int64_t rows, int64_t cols, const float* gamma, const float* beta,
                     float eps) {
  if (cols == 0) return;
  const int threads = rows * cols >= (1 << 15) ? get_num_threads() : 1;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    double sum = 0.0;
    for (int64_t c = 0; c < cols; ++c) sum += in[c];
    const double mean = sum / static_cast<double>(cols);
    double sq = 0.0;
    for (int64_t c = 0; c < cols; ++c) sq += (in[c] - mean) * (in[c] - mean);
    const float inv = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(cols) + eps));
    const float m = static_cast<float>(mean);
    for (int64_t c = 0; c < cols; ++c) {
      const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
      out[c] = (in[c] - m) * inv * g + b;
    }
  }
}

}  // namespace pk
