// CUDA SpMM: out = act(A @ B [+ bias]) with A sparse (CSR, int32 indices) and B, out dense
// float32 (B: any strides; out: row stride out_rs, unit column stride); bias: n floats or null.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace pk::cuda {

struct SpmmCsrArgs {
  int64_t m, n;
  const int32_t* indptr;  // m + 1 offsets into indices / data
  const int32_t* indices;  // column of each nonzero, < k
  const float* data;
  const float* b;
  int64_t b_rs, b_cs;
  float* out;
  int64_t out_rs;
  const float* bias;
  int activation;
};

void spmm_f32_csr(const SpmmCsrArgs& args, cudaStream_t stream);

}  // namespace pk::cuda
