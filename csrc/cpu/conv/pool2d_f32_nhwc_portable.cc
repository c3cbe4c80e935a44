// Max / average pooling, one NHWC output row, baseline ISA: per output pixel, the clipped
// window (pool_window) is reduced into the output channels in place, one contiguous
// channel run per input pixel (the compiler vectorises the adds). Max keeps NaN: a NaN
// input replaces the running max, and a NaN max is never replaced.
#include <limits>

#include "cpu/conv/pool2d.h"

namespace pk {
namespace {

template <bool Max>
void pool_row(const pk_pool2d_desc& d, const float* x, float* y, int64_t n, int64_t oh, bool count_include_pad) {
  const int64_t ch = d.channels;
  const float* image = x + n * d.in_h * d.in_w * ch;
  float* row = y + (n * d.out_h + oh) * d.out_w * ch;
  for (int64_t ow = 0; ow < d.out_w; ++ow) {
    const PoolWindow win = pool_window(d, oh, ow, count_include_pad);
    float* out = row + ow * ch;
    const float init = Max ? -std::numeric_limits<float>::infinity() : 0.0f;
    for (int64_t c = 0; c < ch; ++c) out[c] = init;
    for (int64_t h = win.h0; h < win.h1; ++h) {
      for (int64_t w = win.w0; w < win.w1; ++w) {
        const float* px = image + (h * d.in_w + w) * ch;
        for (int64_t c = 0; c < ch; ++c) {
          if (Max) {
            out[c] = (px[c] > out[c] || px[c] != px[c]) ? px[c] : out[c];
          } else {
            out[c] += px[c];
          }
        }
      }
    }
    if (!Max) {
      const float scale = 1.0f / win.divisor;
      for (int64_t c = 0; c < ch; ++c) out[c] *= scale;
    }
  }
}

}  // namespace

void max_pool_row_f32_nhwc_portable(const pk_pool2d_desc& d, const float* x, float* y, int64_t n, int64_t oh) {
  pool_row<true>(d, x, y, n, oh, false);
}

void avg_pool_row_f32_nhwc_portable(const pk_pool2d_desc& d, const float* x, float* y, int64_t n, int64_t oh,
                                    bool count_include_pad) {
  pool_row<false>(d, x, y, n, oh, count_include_pad);
}

}  // namespace pk
