// The geometry of a 2-D convolution on NHWC input, as the CUDA conv launchers and the
// implicit-GEMM operands (csrc/cuda/gemm/operands.cuh) see it. Host and device.
#pragma once

#include <cstdint>

namespace pk::cuda {

struct ConvShape {
  int64_t n, h, w, c;  // input NHWC (C-contiguous)
  int64_t oh, ow, oc;  // output pixels and channels
  int kh, kw, sh, sw, pt, pl, dh, dw;
  int groups;
  int64_t cg, og;  // channels per group: in, out
};

}  // namespace pk::cuda
