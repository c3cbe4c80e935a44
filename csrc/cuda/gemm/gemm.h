// CUDA GEMM entry points: c = act(a @ b [* scales] [+ c] [+ bias]) on device operands.
//
//   a (m x k) and b (k x n): any element strides (negative too); c (m x n): row stride
//   c_rs, unit column stride; bias: contiguous, m values (kBiasRow) or n (kBiasCol), in
//   the output's type (float32 for int8). row_scale / col_scale (int8 only, may be null):
//   contiguous float32 dequantisation scales of a's rows and b's columns.
//
// Kernels by input type:
//   f32  gemm_f32_128x128x8_simt_cuda.cu  exact float32 FMA (FP32 semantics, like
//        torch with allow_tf32=False)
//   tf32 gemm_tf32_wmma_cuda.cu           float32 in and out, TF32 tensor cores
//   f16 / bf16                            gemm_{f16,bf16}_wmma_cuda.cu, float32 accumulation
//   s8   gemm_s8s32_wmma_cuda.cu          int32 out (exact) or float32 out (dequant epilogue)
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/common/device_matrix.h"

namespace pk::cuda {

struct GemmArgs {
  int64_t m, n, k;
  const void* a;
  int64_t a_rs, a_cs;
  const void* b;
  int64_t b_rs, b_cs;
  void* c;
  int64_t c_rs;
  const void* bias;
  int bias_mode;  // BiasMode
  const float* row_scale;
  const float* col_scale;
  int activation;  // Activation
  bool accumulate;
};

void gemm_f32_simt(const GemmArgs& args, cudaStream_t stream);
void gemm_tf32_wmma(const GemmArgs& args, cudaStream_t stream);
void gemm_f16_wmma(const GemmArgs& args, cudaStream_t stream);
void gemm_bf16_wmma(const GemmArgs& args, cudaStream_t stream);
// out_type: DType::s32 (exact int32, no epilogue but accumulate) or DType::f32 (dequant epilogue).
void gemm_s8_wmma(const GemmArgs& args, DType out_type, cudaStream_t stream);

}  // namespace pk::cuda
