// f32 2-D convolution and pooling on NHWC images (descriptors: include/pykernels.h).
//
// conv2d picks a path per problem (conv2d_driver.cc):
//   depthwise (one input channel per group): a direct kernel vectorised over channels,
//     the 3x3 dilation-1 case specialised for AVX2 (depthwise_*.cc);
//   everything else: implicit GEMM on the shared sgemm, M = N*OH*OW pixels,
//     K = KH*KW*C/groups taps, N = O/groups filters, with A panels packed straight from
//     the image (im2col_pack.cc); 1x1 stride-1 unpadded layers are a plain GEMM on x.
#pragma once

#include <cstdint>

#include "cpu/activation/activation.h"
#include "include/pykernels.h"

namespace pk {

struct Conv2dProblem {
  pk_conv2d_desc d;
  int64_t out_h, out_w;
  const float* x;          // NHWC
  const float* w;          // OIHW, element strides w_strides
  int64_t w_strides[4];
  const float* bias;       // out_c values or nullptr
  Activation activation;
  float* y;                // NHWC (batch, out_h, out_w, out_c)
};

// Output size along one axis (the descriptor has been checked: the window fits).
int64_t conv_out_size(int64_t in, int64_t pad_before, int64_t pad_after, int64_t kernel, int64_t stride,
                      int64_t dilation);

// Runs on get_num_threads() OpenMP threads. Assumes a valid problem (capi checks it).
void conv2d_f32_nhwc(const Conv2dProblem& p);

void max_pool2d_f32_nhwc(const pk_pool2d_desc& d, const float* x, float* y);
void avg_pool2d_f32_nhwc(const pk_pool2d_desc& d, const float* x, float* y, bool count_include_pad);
void global_avg_pool2d_f32_nhwc(const float* x, float* y, int64_t batch, int64_t pixels, int64_t channels);

}  // namespace pk
