// f32 sparse x dense matrix product with a fused epilogue: Y = act(W.X + bias).
//
// W (m x k) is sparse: BSR with r x c blocks (CSR is BSR 1x1) or N:M structured; X
// (k x n) is dense with any strides; Y (m x n) has unit column stride; bias has m
// values (one per output row). n is the dense dimension: batch x pixels.
#pragma once

#include <cstdint>

#include "cpu/activation/activation.h"

namespace pk {

// Values are part of the C ABI (include/pykernels.h: PK_SPARSE_*).
enum class SparseFormat : int { Bsr = 0, Nm = 1 };

struct SpmmArgs {
  int64_t m = 0, k = 0, n = 0;
  SparseFormat format = SparseFormat::Bsr;
  // BSR: block row I holds blocks indptr[I] .. indptr[I+1]-1; block b sits at block
  // column indices[b] and its r x c values are values[b*r*c ...] (row-major).
  int r = 1, c = 1;
  const int32_t* indptr = nullptr;
  const int32_t* indices = nullptr;
  // N:M: row i keeps nm_n values per group of nm_m columns: values[i * kept + t] at
  // column (t / nm_n) * nm_m + positions[i * kept + t], kept = k / nm_m * nm_n.
  int nm_n = 0, nm_m = 0;
  const uint8_t* positions = nullptr;
  const float* values = nullptr;
  const float* x = nullptr;  // k x n, element (p, j) at x[p * x_rs + j * x_cs]
  int64_t x_rs = 0, x_cs = 0;
  float* y = nullptr;  // m x n, element (i, j) at y[i * y_rs + j]
  int64_t y_rs = 0;
  const float* bias = nullptr;  // m values or nullptr
  Activation activation = Activation::None;
};

// Runs on up to get_num_threads() OpenMP threads. Assumes valid arguments (capi checks them).
void spmm(const SpmmArgs& args);

// Name of the microkernel spmm uses for these arguments on this CPU, e.g. "spmm_f32_bsr4x4_24_avx2".
const char* spmm_kernel_name(const SpmmArgs& args);

}  // namespace pk
