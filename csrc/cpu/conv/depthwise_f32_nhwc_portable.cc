// Depthwise convolution, one NHWC output row, any kernel / stride / dilation / multiplier,
// baseline ISA. Output channel o = c * multiplier + m reads input channel c. The row is
// initialised with the bias, then each in-bounds tap adds x * w across the channels of a
// pixel: the innermost loop runs over contiguous channels (vectorised by the compiler),
// padding taps are skipped, never multiplied.
#include <algorithm>

#include "cpu/conv/depthwise.h"

namespace pk {

void depthwise_row_f32_nhwc_portable(const DepthwiseProblem& p, int64_t n, int64_t oh) {
  const int64_t oc = p.channels * p.multiplier;
  float* row = p.y + (n * p.out_h + oh) * p.out_w * oc;
  for (int64_t ow = 0; ow < p.out_w; ++ow) {
    float* out = row + ow * oc;
    if (p.bias) {
      std::copy(p.bias, p.bias + oc, out);
    } else {
      std::fill(out, out + oc, 0.0f);
    }
    for (int64_t kh = 0; kh < p.kernel_h; ++kh) {
      const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
      if (ih < 0 || ih >= p.in_h) continue;
      for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
        const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
        if (iw < 0 || iw >= p.in_w) continue;
        const float* in = p.x + ((n * p.in_h + ih) * p.in_w + iw) * p.channels;
        const float* w = p.w + (kh * p.kernel_w + kw) * oc;
        if (p.multiplier == 1) {
          for (int64_t c = 0; c < oc; ++c) out[c] += in[c] * w[c];
        } else {
          for (int64_t c = 0; c < p.channels; ++c) {
            for (int64_t m = 0; m < p.multiplier; ++m) {
              out[c * p.multiplier + m] += in[c] * w[c * p.multiplier + m];
            }
          }
        }
      }
    }
  }
}

}  // namespace pk
