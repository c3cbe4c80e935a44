// GEMM operands as the tiled kernels read them (gemm_wmma_128x128.cuh, gemm_simt_128x128x8.cuh):
// a "rows x K" matrix whose element (row, k) a tile loader asks for one at a time (at) or
// eight-to-sixteen bytes at a time (stage: a 16-byte cp.async when the chunk is contiguous,
// aligned and inside the matrix, else element by element with zero fill).
//   A: rows = m.  B staged K-major: rows = n (element (k, n) of B is (row n, k)).
//   StridedOperand: a plain matrix with element strides (any, negative too).
//   Im2colOperand:  the implicit im2col matrix of an NHWC convolution input: row = output
//                   pixel (image, oy, ox), k = (ky, kx, channel) with channels fastest;
//                   taps in the padding read as zeros. Nothing is materialised.
//   ConvWeightOperand: OIHW weights with any strides as the (out channel, k) matrix.
// group(z) selects convolution group z (grid z of the kernel); plain matrices have one.
#pragma once

#include <cstdint>

#include "cuda/common/async_copy.cuh"
#include "cuda/common/conv_shape.h"
#include "cuda/common/epilogue.cuh"

namespace pk::cuda {

template <typename In>
struct StridedOperand {
  const In* ptr;
  int64_t rs, cs;  // element strides of rows and of k
  int64_t rows, k;
  bool vec;  // cs == 1, rows 16-byte aligned: chunks may be copied whole

  __device__ __forceinline__ In at(int64_t row, int64_t kk) const {
    return row < rows && kk < k ? ptr[row * rs + kk * cs] : from_float<In>(0.f);
  }
  template <int E>
  __device__ __forceinline__ void stage(In* dst, int64_t row, int64_t kk) const {
    if (vec && row < rows && kk + E <= k) {
      cp_async_16(dst, ptr + row * rs + kk);
    } else {
#pragma unroll
      for (int e = 0; e < E; ++e) dst[e] = at(row, kk + e);
    }
  }
  __device__ __forceinline__ StridedOperand group(int) const { return *this; }
};

template <typename In>
struct Im2colOperand {
  const In* x;
  ConvShape s;
  int64_t c0;  // first input channel of the group
  bool vec;    // cg and C multiples of the chunk, x 16-byte aligned

  __device__ __forceinline__ int64_t rows() const { return s.n * s.oh * s.ow; }
  __device__ __forceinline__ int64_t depth() const { return static_cast<int64_t>(s.kh) * s.kw * s.cg; }

  // Address of (row, kk) in x, or null where the tap falls in the padding.
  __device__ __forceinline__ const In* address(int64_t row, int64_t kk) const {
    const int64_t pixels = s.oh * s.ow;
    const int64_t img = row / pixels, pix = row % pixels;
    const int64_t oy = pix / s.ow, ox = pix % s.ow;
    const int64_t tap = kk / s.cg, ch = kk % s.cg;
    const int64_t iy = oy * s.sh - s.pt + (tap / s.kw) * s.dh, ix = ox * s.sw - s.pl + (tap % s.kw) * s.dw;
    if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) return nullptr;
    return x + ((img * s.h + iy) * s.w + ix) * s.c + c0 + ch;
  }
  __device__ __forceinline__ In at(int64_t row, int64_t kk) const {
    if (row >= rows() || kk >= depth()) return from_float<In>(0.f);
    const In* a = address(row, kk);
    return a ? *a : from_float<In>(0.f);
  }
  // A chunk of E channels never straddles two taps when cg % E == 0 (vec).
  template <int E>
  __device__ __forceinline__ void stage(In* dst, int64_t row, int64_t kk) const {
    if (vec && row < rows() && kk + E <= depth()) {
      const In* a = address(row, kk);
      if (a) {
        cp_async_16(dst, a);
      } else {
#pragma unroll
        for (int e = 0; e < E; ++e) dst[e] = from_float<In>(0.f);
      }
    } else {
#pragma unroll
      for (int e = 0; e < E; ++e) dst[e] = at(row, kk + e);
    }
  }
  __device__ __forceinline__ Im2colOperand group(int z) const {
    Im2colOperand g = *this;
    g.c0 = z * s.cg;
    return g;
  }
};

template <typename In>
struct ConvWeightOperand {
  const In* w;
  int64_t so, sc, sy, sx;  // OIHW element strides
  ConvShape s;
  bool packed;  // k is contiguous: sc == 1, sx == cg, sy == kw * cg (OHWI storage)
  bool vec;     // packed, so a multiple of the chunk and w 16-byte aligned

  __device__ __forceinline__ int64_t depth() const { return static_cast<int64_t>(s.kh) * s.kw * s.cg; }
  __device__ __forceinline__ In at(int64_t o, int64_t kk) const {
    if (o >= s.og || kk >= depth()) return from_float<In>(0.f);
    if (packed) return w[o * so + kk];
    const int64_t tap = kk / s.cg, ch = kk % s.cg;
    return w[o * so + ch * sc + (tap / s.kw) * sy + (tap % s.kw) * sx];
  }
  template <int E>
  __device__ __forceinline__ void stage(In* dst, int64_t o, int64_t kk) const {
    if (vec && o < s.og && kk + E <= depth()) {
      cp_async_16(dst, w + o * so + kk);
    } else {
#pragma unroll
      for (int e = 0; e < E; ++e) dst[e] = at(o, kk + e);
    }
  }
  __device__ __forceinline__ ConvWeightOperand group(int z) const {
    ConvWeightOperand g = *this;
    g.w = w + z * s.og * so;
    return g;
  }
};

}  // namespace pk::cuda
