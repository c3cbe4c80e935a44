// Device-side GEMM epilogue, shared by every CUDA kernel that ends in one:
//   v = act(acc [* row_scale[i]] [* col_scale[j]] [+ c[i, j]] [+ bias])
// in float32, as the CPU kernels and pykernels.reference do (gelu is the erf form).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "cuda/common/device_matrix.h"

namespace pk::cuda {

__device__ __forceinline__ float activate(float v, int code) {
  switch (code) {
    case kActRelu: return v < 0.f ? 0.f : v;  // NaN stays NaN
    case kActSigmoid: return 1.f / (1.f + expf(-v));
    case kActTanh: return tanhf(v);
    case kActGelu: return 0.5f * v * erfcf(-v * 0.70710678118654752f);
    default: return v;
  }
}

// Conversions between storage types and float32 (round to nearest even on the way back).
template <typename T> __device__ __forceinline__ float to_float(T v) { return static_cast<float>(v); }
template <> __device__ __forceinline__ float to_float<__half>(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float to_float<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T> __device__ __forceinline__ T from_float(float v) { return static_cast<T>(v); }
template <> __device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// What a kernel needs to finish one output element; bias has the output's storage type
// (float32 for int8 GEMM with dequantisation).
template <typename Bias>
struct Epilogue {
  const Bias* bias;
  int bias_mode;  // BiasMode
  const float* row_scale;
  const float* col_scale;
  int activation;  // Activation
  bool accumulate;

  __device__ __forceinline__ float operator()(float acc, int64_t i, int64_t j, float old) const {
    float v = acc;
    if (row_scale) v *= row_scale[i];
    if (col_scale) v *= col_scale[j];
    if (accumulate) v += old;
    if (bias_mode == kBiasRow) v += to_float(bias[i]);
    else if (bias_mode == kBiasCol) v += to_float(bias[j]);
    return activate(v, activation);
  }
};

}  // namespace pk::cuda
