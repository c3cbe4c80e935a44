// f32 2-D convolution with sparse weights on NHWC images (conv2d_sparse_driver.cc).
//
// The weights are a sparse matrix W (out_c x taps), taps = kh * kw * in_c in (kh, kw, c)
// order (an HWIO kernel's rows, per filter), in any SpMM format (CSR/BSR, N:M): the
// descriptor's groups must be 1. y = act(conv2d(x, W) + bias), NHWC.
#pragma once

#include "cpu/conv/conv2d.h"
#include "cpu/spmm/spmm.h"

namespace pk {

// p.w and p.w_strides are unused; `weights` gives the format, its arrays and m = out_c,
// k = taps (the dense side of `weights` is ignored). Assumes valid arguments (capi checks them).
void conv2d_sparse_f32_nhwc(const Conv2dProblem& p, const SpmmArgs& weights);

}  // namespace pk
