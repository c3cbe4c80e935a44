// Implicit im2col: packs sgemm A micro-panels straight from an NHWC image, never
// materialising the im2col matrix (an sgemm PackAPanel).
#pragma once

#include <cstdint>

#include "cpu/conv/conv2d.h"

namespace pk {

// A(i, p) for output pixel i = (n, oh, ow) and tap p = (kh, kw, c) of group channels
// [c0, c0 + cg): x[n, oh * stride_h - pad_top + kh * dilation_h, ..., c0 + c], 0 in the padding.
struct Im2colSource {
  const Conv2dProblem* problem;
  int64_t c0, cg;
};

// The PackAPanel for ctx = const Im2colSource*.
void pack_im2col_panel(const void* ctx, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr, float* dst);

}  // namespace pk
