// C ABI for convolution and pooling: checks what the drivers rely on, then runs them.
#include <string>

#include "capi/conv_checks.h"
#include "capi/errors.h"
#include "cpu/conv/conv2d.h"

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// "" when the window fits the padded input along one axis, else why not.
std::string window_error(const char* axis, int64_t in, int64_t before, int64_t after, int64_t kernel,
                         int64_t dilation) {
  if (before < 0 || after < 0) return std::string("negative ") + axis + " padding";
  const int64_t extent = (kernel - 1) * dilation + 1;
  if (extent > in + before + after)
    return std::string("the window extent ") + str(extent) + " exceeds the padded input " + axis + " " +
           str(in + before + after);
  return "";
}

std::string pool_desc_error(const pk_pool2d_desc& d) {
  if (d.batch < 0 || d.in_h < 0 || d.in_w < 0 || d.channels < 0) return "negative size";
  if (d.kernel_h < 1 || d.kernel_w < 1) return "kernel must be at least 1x1";
  if (d.stride_h < 1 || d.stride_w < 1) return "stride must be >= 1";
  if (d.pad_top >= d.kernel_h || d.pad_bottom >= d.kernel_h || d.pad_left >= d.kernel_w || d.pad_right >= d.kernel_w)
    return "padding must be smaller than the window";
  std::string e = window_error("height", d.in_h, d.pad_top, d.pad_bottom, d.kernel_h, 1);
  if (e.empty()) e = window_error("width", d.in_w, d.pad_left, d.pad_right, d.kernel_w, 1);
  if (!e.empty()) return e;
  // Every window must start inside the input or its leading padding (ceil_mode's rule).
  if (d.out_h < 1 || d.out_w < 1 || (d.out_h - 1) * d.stride_h >= d.in_h + d.pad_top ||
      (d.out_w - 1) * d.stride_w >= d.in_w + d.pad_left ||
      (d.out_h - 1) * d.stride_h + d.kernel_h < d.in_h + d.pad_top + d.pad_bottom - d.stride_h + 1 ||
      (d.out_w - 1) * d.stride_w + d.kernel_w < d.in_w + d.pad_left + d.pad_right - d.stride_w + 1)
    return "output size " + str(d.out_h) + "x" + str(d.out_w) + " does not match the windows";
  return "";
}

}  // namespace

namespace pk {

std::string conv_desc_error(const pk_conv2d_desc& d) {
  if (d.batch < 0 || d.in_h < 0 || d.in_w < 0 || d.in_c < 0 || d.out_c < 0) return "negative size";
  if (d.kernel_h < 1 || d.kernel_w < 1) return "kernel must be at least 1x1";
  if (d.stride_h < 1 || d.stride_w < 1) return "stride must be >= 1";
  if (d.dilation_h < 1 || d.dilation_w < 1) return "dilation must be >= 1";
  if (d.groups < 1) return "groups must be >= 1";
  if (d.in_c % d.groups || d.out_c % d.groups)
    return "in_c " + str(d.in_c) + " and out_c " + str(d.out_c) + " must be divisible by groups " + str(d.groups);
  std::string e = window_error("height", d.in_h, d.pad_top, d.pad_bottom, d.kernel_h, d.dilation_h);
  return e.empty() ? window_error("width", d.in_w, d.pad_left, d.pad_right, d.kernel_w, d.dilation_w) : e;
}

}  // namespace pk

extern "C" PK_API int pk_conv2d_f32_nhwc(const pk_conv2d_desc* desc, const float* x, const float* w,
                                         const int64_t* w_strides, const float* bias, int activation, float* y) {
  return pk::guarded([&] {
    if (!desc || !w_strides) return pk::argument_error("pk_conv2d_f32_nhwc: desc or w_strides is NULL");
    const std::string e = pk::conv_desc_error(*desc);
    if (!e.empty()) return pk::argument_error("pk_conv2d_f32_nhwc: " + e);
    if (activation < PK_ACT_NONE || activation > PK_ACT_GELU)
      return pk::argument_error("pk_conv2d_f32_nhwc: unknown activation " + std::to_string(activation));
    pk::Conv2dProblem p{*desc, 0, 0, x, w, {w_strides[0], w_strides[1], w_strides[2], w_strides[3]}, bias,
                        static_cast<pk::Activation>(activation), y};
    const pk_conv2d_desc& d = *desc;
    p.out_h = pk::conv_out_size(d.in_h, d.pad_top, d.pad_bottom, d.kernel_h, d.stride_h, d.dilation_h);
    p.out_w = pk::conv_out_size(d.in_w, d.pad_left, d.pad_right, d.kernel_w, d.stride_w, d.dilation_w);
    const bool any_output = d.batch > 0 && d.out_c > 0;
    if (any_output && (!y || !w || (!x && d.in_c > 0)))
      return pk::argument_error("pk_conv2d_f32_nhwc: x, w or y is NULL");
    pk::conv2d_f32_nhwc(p);
    return PK_OK;
  });
}

extern "C" PK_API int pk_max_pool2d_f32_nhwc(const pk_pool2d_desc* desc, const float* x, float* y) {
  return pk::guarded([&] {
    if (!desc) return pk::argument_error("pk_max_pool2d_f32_nhwc: desc is NULL");
    const std::string e = pool_desc_error(*desc);
    if (!e.empty()) return pk::argument_error("pk_max_pool2d_f32_nhwc: " + e);
    if (desc->batch > 0 && desc->channels > 0 && (!x || !y))
      return pk::argument_error("pk_max_pool2d_f32_nhwc: x or y is NULL");
    pk::max_pool2d_f32_nhwc(*desc, x, y);
    return PK_OK;
  });
}

extern "C" PK_API int pk_avg_pool2d_f32_nhwc(const pk_pool2d_desc* desc, const float* x, float* y,
                                             int count_include_pad) {
  return pk::guarded([&] {
    if (!desc) return pk::argument_error("pk_avg_pool2d_f32_nhwc: desc is NULL");
    const std::string e = pool_desc_error(*desc);
    if (!e.empty()) return pk::argument_error("pk_avg_pool2d_f32_nhwc: " + e);
    if (desc->batch > 0 && desc->channels > 0 && (!x || !y))
      return pk::argument_error("pk_avg_pool2d_f32_nhwc: x or y is NULL");
    pk::avg_pool2d_f32_nhwc(*desc, x, y, count_include_pad != 0);
    return PK_OK;
  });
}

extern "C" PK_API int pk_global_avg_pool2d_f32_nhwc(const float* x, float* y, int64_t batch, int64_t pixels,
                                                    int64_t channels) {
  return pk::guarded([&] {
    if (batch < 0 || pixels < 1 || channels < 0)
      return pk::argument_error("pk_global_avg_pool2d_f32_nhwc: need batch >= 0, pixels >= 1, channels >= 0; got " +
                                std::to_string(batch) + ", " + std::to_string(pixels) + ", " + std::to_string(channels));
    if (batch > 0 && channels > 0 && (!x || !y)) return pk::argument_error("pk_global_avg_pool2d_f32_nhwc: x or y is NULL");
    pk::global_avg_pool2d_f32_nhwc(x, y, batch, pixels, channels);
    return PK_OK;
  });
}
