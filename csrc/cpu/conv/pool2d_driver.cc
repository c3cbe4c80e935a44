// Pooling driver: window geometry, ISA dispatch, OpenMP over output rows.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "common/cpu_features.h"
#include "common/threads.h"
#include "cpu/conv/conv2d.h"
#include "cpu/conv/pool2d.h"

namespace pk {
namespace {

// Threads for `work` element reads: one per ~64K, at most get_num_threads().
int pool_threads(int64_t work) {
  return static_cast<int>(std::min<int64_t>(get_num_threads(), std::max<int64_t>(1, work >> 16)));
}

}  // namespace

PoolWindow pool_window(const pk_pool2d_desc& d, int64_t oh, int64_t ow, bool count_include_pad) {
  // The window in padded coordinates, cut at the end of the padded input (ceil_mode may
  // run past it), then clipped to the image.
  const int64_t h0 = oh * d.stride_h - d.pad_top, w0 = ow * d.stride_w - d.pad_left;
  const int64_t h1 = std::min(h0 + d.kernel_h, d.in_h + d.pad_bottom);
  const int64_t w1 = std::min(w0 + d.kernel_w, d.in_w + d.pad_right);
  PoolWindow win{std::max<int64_t>(h0, 0), std::min(h1, d.in_h), std::max<int64_t>(w0, 0), std::min(w1, d.in_w), 1.0f};
  const int64_t counted = count_include_pad ? (h1 - h0) * (w1 - w0) : (win.h1 - win.h0) * (win.w1 - win.w0);
  win.divisor = static_cast<float>(counted);
  return win;
}

void max_pool2d_f32_nhwc(const pk_pool2d_desc& d, const float* x, float* y) {
  const auto row = active_isa() == Isa::Avx2 ? max_pool_row_f32_nhwc_avx2 : max_pool_row_f32_nhwc_portable;
  const int64_t rows = d.batch * d.out_h;
  const int threads = pool_threads(rows * d.out_w * d.channels * d.kernel_h * d.kernel_w);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; ++r) row(d, x, y, r / d.out_h, r % d.out_h);
}

void avg_pool2d_f32_nhwc(const pk_pool2d_desc& d, const float* x, float* y, bool count_include_pad) {
  const auto row = active_isa() == Isa::Avx2 ? avg_pool_row_f32_nhwc_avx2 : avg_pool_row_f32_nhwc_portable;
  const int64_t rows = d.batch * d.out_h;
  const int threads = pool_threads(rows * d.out_w * d.channels * d.kernel_h * d.kernel_w);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; ++r) row(d, x, y, r / d.out_h, r % d.out_h, count_include_pad);
}

void global_avg_pool2d_f32_nhwc(const float* x, float* y, int64_t batch, int64_t pixels, int64_t channels) {
  // Per image, the pixels' channel runs are summed (vectorised along channels) in
  // double and divided once: a float running sum over H x W pixels would err by up to
  // pixels x eps, far beyond a float32 pairwise sum. The op is bound by reading x.
  const int threads = pool_threads(batch * pixels * channels);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    std::vector<double> sum(static_cast<size_t>(channels), 0.0);
    for (int64_t i = 0; i < pixels; ++i) {
      const float* px = x + (n * pixels + i) * channels;
      for (int64_t c = 0; c < channels; ++c) sum[c] += px[c];
    }
    float* out = y + n * channels;
    for (int64_t c = 0; c < channels; ++c) out[c] = static_cast<float>(sum[c] / static_cast<double>(pixels));
  }
}

}  // namespace pk
