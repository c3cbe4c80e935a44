// Layer norm driver: rows in parallel, each normalised by the row kernel of the active ISA.
//
// The portable row kernel makes two passes (mean, then the variance about it, both summed
// in double so long rows lose no precision), then one normalising pass. The AVX2 kernel
// (layer_norm_f32_avx2.cc) does the same arithmetic eight lanes at a time.
#include "cpu/attention/layer_norm.h"

#include <cmath>

#include "common/cpu_features.h"
#include "common/threads.h"

namespace pk {

void layer_norm_row_f32_portable(const float* in, float* out, int64_t cols, const float* gamma, const float* beta,
                                 float eps) {
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

void layer_norm_rows(const float* x, float* y, int64_t rows, int64_t cols, const float* gamma, const float* beta,
                     float eps) {
  if (cols == 0) return;
  const auto row = active_isa() == Isa::Avx2 ? layer_norm_row_f32_avx2 : layer_norm_row_f32_portable;
  const int threads = rows * cols >= (1 << 15) ? get_num_threads() : 1;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; ++r) row(x + r * cols, y + r * cols, cols, gamma, beta, eps);
}

}  // namespace pk
