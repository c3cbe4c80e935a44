// The accumulator rows every AVX2 SpMM microkernel starts and ends a row with (the BSR,
// CSR and N:M kernels share them). Include only from *_avx2.cc files.
//
// Forced inline: an accumulator array passed to an outlined call would be kept in
// memory and stored on every iteration of the caller's loop.
#pragma once

#include <immintrin.h>

#include "cpu/spmm/spmm_config.h"

namespace pk {

// Lanes of vector q that hold one of the first `cols` columns.
__attribute__((always_inline)) inline __m256i spmm_column_mask(int64_t cols, int q) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(cols) - 8 * q), lane);
}

// Loads NV accumulators from Y row `row` (its first cols <= 8 NV columns; lanes past
// cols are zero), or the row's bias on the first k block. Whole-vector loads, no
// staging through memory (a store-forwarding stall per row).
template <int NV>
__attribute__((always_inline)) inline void spmm_start_row(const SpmmArgs& g, const SpmmBlock& b, int64_t row,
                                                          __m256* acc) {
  if (b.first) {
    const __m256 bias = _mm256_set1_ps(g.bias ? g.bias[row] : 0.0f);
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) acc[q] = bias;
    return;
  }
  const float* y = b.y + row * g.y_rs;
  if (b.cols < 8 * NV) {
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) acc[q] = _mm256_maskload_ps(y + 8 * q, spmm_column_mask(b.cols, q));
    return;
  }
#pragma GCC unroll 4
  for (int q = 0; q < NV; ++q) acc[q] = _mm256_loadu_ps(y + 8 * q);
}

// Writes NV accumulators to the first cols columns of Y row `row`.
template <int NV>
__attribute__((always_inline)) inline void spmm_store_row(const SpmmArgs& g, const SpmmBlock& b, int64_t row,
                                                          const __m256* acc) {
  float* y = b.y + row * g.y_rs;
  if (b.cols < 8 * NV) {
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) _mm256_maskstore_ps(y + 8 * q, spmm_column_mask(b.cols, q), acc[q]);
    return;
  }
#pragma GCC unroll 4
  for (int q = 0; q < NV; ++q) _mm256_storeu_ps(y + 8 * q, acc[q]);
}

}  // namespace pk
