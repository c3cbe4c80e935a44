// CUDA SpMM: out = act(A @ B [+ bias]) with A sparse (CSR, or BSR with r x c blocks; int32
// indices) and B, out dense float32 (B: any strides; out: row stride out_rs, unit column
// stride); bias: m floats (kBiasRow, the spmm op's bias[:, None]), n floats (kBiasCol) or null.
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
  int bias_mode;  // BiasMode
  int activation;
};

// BSR: block row I holds blocks indptr[I] .. indptr[I+1] at block columns indices[...],
// block p's r x c values row-major at data + p * r * c.
struct SpmmBsrArgs {
  int64_t m, n;
  int r, c;
  const int32_t* indptr;  // m / r + 1 offsets
  const int32_t* indices;
  const float* data;
  const float* b;
  int64_t b_rs, b_cs;
  float* out;
  int64_t out_rs;
  const float* bias;
  int bias_mode;  // BiasMode
  int activation;
};

void spmm_f32_csr(const SpmmCsrArgs& args, cudaStream_t stream);
void spmm_f32_bsr(const SpmmBsrArgs& args, cudaStream_t stream);

}  // namespace pk::cuda
