// Depthwise convolution rows (one input channel per group, `multiplier` filters each) on
// NHWC images. Weights are repacked tap-major, w[(kh * kernel_w + kw) * out_c + o], so a
// tap's filters for consecutive output channels are contiguous like the image's channels.
#pragma once

#include <cstdint>

namespace pk {

struct DepthwiseProblem {
  const float* x;     // (batch, in_h, in_w, channels)
  const float* w;     // tap-major, out_c = channels * multiplier values per tap
  const float* bias;  // out_c values or nullptr
  float* y;           // (batch, out_h, out_w, out_c)
  int64_t in_h, in_w, channels, multiplier;
  int64_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
  int64_t pad_top, pad_left, out_h, out_w;
};

// Output row (n, oh): y[n, oh, :, :] = bias + sum over taps (no activation).
// 3x3, dilation 1, multiplier 1 only:
void depthwise_row_3x3_f32_nhwc_avx2(const DepthwiseProblem& p, int64_t n, int64_t oh);
// Any kernel, stride, dilation and multiplier:
void depthwise_row_f32_nhwc_portable(const DepthwiseProblem& p, int64_t n, int64_t oh);

}  // namespace pk
