// Max and average pooling rows on NHWC images, vectorised over channels.
#pragma once

#include <cstdint>

#include "include/pykernels.h"

namespace pk {

// The input rectangle [h0, h1) x [w0, w1) of output pixel (oh, ow), clipped to the image,
// and the divisor of an average over it.
struct PoolWindow {
  int64_t h0, h1, w0, w1;
  float divisor;
};

PoolWindow pool_window(const pk_pool2d_desc& d, int64_t oh, int64_t ow, bool count_include_pad);

// Output row (n, oh) of y (batch, out_h, out_w, channels).
void max_pool_row_f32_nhwc_avx2(const pk_pool2d_desc& d, const float* x, float* y, int64_t n, int64_t oh);
void max_pool_row_f32_nhwc_portable(const pk_pool2d_desc& d, const float* x, float* y, int64_t n, int64_t oh);
void avg_pool_row_f32_nhwc_avx2(const pk_pool2d_desc& d, const float* x, float* y, int64_t n, int64_t oh,
                                bool count_include_pad);
void avg_pool_row_f32_nhwc_portable(const pk_pool2d_desc& d, const float* x, float* y, int64_t n, int64_t oh,
                                    bool count_include_pad);

}  // namespace pk
