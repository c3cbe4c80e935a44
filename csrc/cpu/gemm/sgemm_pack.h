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

// AVX2 (sgemm_pack_6x16_avx2.cc). A 6-row panel from row pointers: dst[q * 6 + r] =
// src[r][q] for q < len, r < 6, a null src[r] reading as zeros (the implicit-GEMM
// convolution packs its im2col runs with it too).
void sgemm_pack_rows6_avx2(const float* const src[6], int64_t len, float* dst);

// A 16-column panel of a B whose columns are contiguous along k: dst[p * 16 + j] =
// b[j * b_cs + p] for p < rows, j < 16.
void sgemm_pack_cols16_avx2(const float* b, int64_t b_cs, int64_t rows, float* dst);

}  // namespace pk
