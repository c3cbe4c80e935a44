// CUDA SpMM: out = act(A @ B [+ bias]) with A sparse (CSR, or BSR with r x c blocks; int32
// indices) and B, out dense float32 (B: any strides; out: row stride out_rs, unit column
// stride); bias: m floats (kBiasRow, the spmm op's bias[:, None]), n floats (kBiasCol) or null.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace pk::cuda {

// A block row I of r x c blocks holds blocks indptr[I] .. indptr[I+1] at block columns
// indices[...], block p's r x c values row-major at data + p * r * c. CSR is the 1 x 1 case
// (r = c = 1: indptr has m + 1 offsets, one column and one value per nonzero).
struct SpmmArgs {
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

void spmm_f32_csr(const SpmmArgs& args, cudaStream_t stream);  // r = c = 1
void spmm_f32_bsr(const SpmmArgs& args, cudaStream_t stream);

}  // namespace pk::cuda
