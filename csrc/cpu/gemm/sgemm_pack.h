// Packing for the sgemm driver: copies a strided block of A or B into the contiguous
// micro-panel layout the microkernels read, zero-padding the edge panels.
#pragma once

#include <cstdint>

#include "cpu/gemm/sgemm.h"

namespace pk {

// dst[p * mr + i] = A(i0 + i, p0 + p) for i < rows (zero for rows <= i < mr), p < kb.
void pack_a_panel(const SgemmArgs& g, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr, float* dst);

// dst[p * nr + j] = B(p0 + p, j0 + j) for j < cols (zero for cols <= j < nr), p < kb.
void pack_b_panel(const SgemmArgs& g, int64_t p0, int64_t kb, int64_t j0, int64_t cols, int nr, float* dst);

}  // namespace pk
