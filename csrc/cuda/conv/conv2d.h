// CUDA conv2d, NHWC, as an implicit GEMM on the GEMM kernels' tiling (csrc/cuda/gemm):
//   out[img, oy, ox, g og + o] = act(sum_{ky, kx, c} x[img, iy, ix, g cg + c] w[g og + o, c, ky, kx] + bias)
// with iy = oy sh - pt + ky dh, ix = ox sw - pl + kx dw (taps outside the image are zero).
//   x: C-contiguous NHWC; w: OIHW with any element strides (OHWI storage, i.e. channels
//   innermost, is the fast path: whole 16-byte weight chunks); out: C-contiguous NHWC of
//   x's type; bias: oc values of out's type, or null.
// The GEMM: M = images x output pixels, N = out channels per group, K = kh kw cg; groups
// run as the kernels' grid z. float32 is exact FP32 on the CUDA cores; f16 / bf16 use the
// tensor cores with float32 accumulation.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/common/conv_shape.h"

namespace pk::cuda {

struct ConvArgs {
  ConvShape s;
  const void* x;
  const void* w;
  int64_t w_so, w_sc, w_sy, w_sx;
  void* out;
  const void* bias;
  int activation;
};

void conv2d_f32_simt(const ConvArgs& args, cudaStream_t stream);
void conv2d_f16_wmma(const ConvArgs& args, cudaStream_t stream);
void conv2d_bf16_wmma(const ConvArgs& args, cudaStream_t stream);

}  // namespace pk::cuda
