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

// Packs rows [i0, i0 + rows) x columns [p0, p0 + kb) of an implicit A into the micro-panel
// layout dst[p * mr + i] (zero for rows <= i < mr), as pack_a_panel does for a strided A.
// Lets a caller feed the GEMM from data that is not a strided matrix (implicit-GEMM
// convolution reads the image with im2col indexing); ctx is the caller's description.
using PackAPanel = void (*)(const void* ctx, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr, float* dst);

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
  PackAPanel pack_a = nullptr;  // when set, A is read only through pack_a(pack_a_ctx, ...)
  const void* pack_a_ctx = nullptr;
};

// Runs on get_num_threads() OpenMP threads. Assumes valid arguments (capi checks them).
void sgemm(const SgemmArgs& args);

// Name of the microkernel sgemm uses on this CPU, e.g. "sgemm_6x16_avx2".
const char* sgemm_kernel_name();

}  // namespace pk
