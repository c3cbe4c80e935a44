// f32 GEMM with a fused epilogue: C = act(A.B [+ C] [+ bias]).
//
// Any strides for A and B (transposed, non-contiguous and negative-stride views are
// read by the packing routines); C has unit column stride.
#pragma once

#include <cstdint>

#include "cpu/activation/activation.h"

namespace pk {

// Values are part of the C ABI (include/pykernels.h: PK_BIAS_*).
enum class BiasMode : int { None = 0, PerRow = 1, PerCol = 2 };

struct SgemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;  // m x k, element (i, p) at a[i * a_rs + p * a_cs]
  int64_t a_rs = 0, a_cs = 0;
  const float* b = nullptr;  // k x n, element (p, j) at b[p * b_rs + j * b_cs]
  int64_t b_rs = 0, b_cs = 0;
  float* c = nullptr;        // m x n, element (i, j) at c[i * c_rs + j]
  int64_t c_rs = 0;
  const float* bias = nullptr;  // m values (PerRow) or n values (PerCol)
  BiasMode bias_mode = BiasMode::None;
  Activation activation = Activation::None;
  bool accumulate = false;  // C += A.B instead of C = A.B
};

// Runs on get_num_threads() OpenMP threads. Assumes valid arguments (capi checks them).
void sgemm(const SgemmArgs& args);

// Name of the microkernel sgemm uses on this CPU, e.g. "sgemm_6x16_avx2".
const char* sgemm_kernel_name();

}  // namespace pk
