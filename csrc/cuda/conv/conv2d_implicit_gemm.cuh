// The operands and GEMM arguments of an implicit-GEMM convolution (conv2d.h), shared by the
// conv2d_*_cuda.cu launchers: the GEMM kernels read x through Im2colOperand and w through
// ConvWeightOperand (operands.cuh), so the im2col matrix is never materialised.
#pragma once

#include <cstdlib>

#include "cuda/conv/conv2d.h"
#include "cuda/gemm/gemm.h"
#include "cuda/gemm/operands.cuh"

namespace pk::cuda::conv {

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

inline GemmArgs gemm_args(const ConvArgs& a) {
  const ConvShape& s = a.s;
  return GemmArgs{s.n * s.oh * s.ow, s.og, static_cast<int64_t>(s.kh) * s.kw * s.cg, nullptr, 0, 0, nullptr, 0, 0,
                  a.out, s.oc, a.bias, a.bias ? kBiasCol : kBiasNone, nullptr, nullptr, a.activation, false};
}

template <typename In>
Im2colOperand<In> input(const ConvArgs& a) {
  constexpr int64_t E = 16 / sizeof(In);
  return Im2colOperand<In>{static_cast<const In*>(a.x), a.s, 0, a.s.cg % E == 0 && a.s.c % E == 0 && aligned16(a.x)};
}

template <typename In>
ConvWeightOperand<In> weights(const ConvArgs& a) {
  constexpr int64_t E = 16 / sizeof(In);
  const ConvShape& s = a.s;
  const bool packed = a.w_sc == 1 && a.w_sx == s.cg && a.w_sy == s.kw * s.cg;
  return ConvWeightOperand<In>{static_cast<const In*>(a.w), a.w_so, a.w_sc, a.w_sy, a.w_sx, s, packed,
                               packed && a.w_so % E == 0 && aligned16(a.w)};
}

}  // namespace pk::cuda::conv
