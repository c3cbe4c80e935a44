// Packing for the sgemm driver: copies a strided block of A or B into the contiguous
// micro-panel layout the microkernels read, zero-padding the edge panels.
#pragma once

#include <cstdint>

#include "cpu/gemm/sgemm.h"

namespace pk {

// dst[p * mr + i] = A(i0 + i, p0 + p) for i < rows (zero for rows <= i < mr), p < kb.
void pack_a_panel(const SgemmArgs& g, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr, float* dst);

// Packs B(p0 : p0 + kb, j0 : j0 + nb) as ceil(nb / nr) panels of kb x nr floats
// (panel q at dst + q * kb * nr, zero-padded), rows [r0, r1) of the block only, so
// threads can split the work. Row-major B is read row by row (sequential streams
// the hardware prefetcher follows); other layouts column by column.
void pack_b_rows(const SgemmArgs& g, int64_t p0, int64_t kb, int64_t j0, int64_t nb, int nr, int64_t r0,
                 int64_t r1, float* dst);

}  // namespace pk
