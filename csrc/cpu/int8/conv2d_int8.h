// Quantized 2-D convolution on uint8 NHWC codes: the int8 GEMM (gemm_int8.h) on the
// implicit im2col of the image, one group per call.
//
//   C (pixels x filters of the group) = (A - za) . (B - zb), then the GEMM's epilogue,
//   A(i, p) = x[n, oh * stride_h - pad_top + kh * dilation_h, ..., c0 + c] for output pixel
//   i = (n, oh, ow) and tap p = (kh, kw, c), and za (the code of 0.0) in the padding.
//
// A is never materialised: conv2d_int8_driver.cc hands the GEMM's packer a row source
// that copies each pixel's receptive field from the image as runs of contiguous bytes,
// walked with the float conv's im2col geometry (cpu/conv/im2col_pack.h).
#pragma once

#include <cstdint>

#include "cpu/int8/gemm_int8.h"
#include "include/pykernels.h"

namespace pk {

struct Conv2dInt8Problem {
  pk_conv2d_desc d;
  int64_t out_h, out_w;
  int64_t group;       // which group: input channels [group * cg, (group + 1) * cg)
  const uint8_t* x;    // NHWC codes
  // The GEMM: n = out_c / groups filters, k = kernel_h * kernel_w * cg taps (kh, kw, c),
  // B packed from the group's weights, c at the group's first output column with
  // c_rs = out_c, a_zero_point = za, the epilogue; m, a and the A fields are set here.
  Int8GemmArgs gemm;
};

// Runs on get_num_threads() OpenMP threads. Assumes a valid problem (capi checks it).
void conv2d_int8_nhwc(const Conv2dInt8Problem& p);

}  // namespace pk
