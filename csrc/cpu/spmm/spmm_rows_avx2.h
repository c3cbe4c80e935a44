// The accumulator rows every AVX2 SpMM microkernel starts and ends a row with (the BSR,
// CSR and N:M kernels share them). Include only from *_avx2.cc files.
//
// Forced inline: an accumulator array passed to an outlined call would be kept in
// memory and stored on every iteration of the caller's loop.
#pragma once

#include <immintrin.h>

#include "cpu/spmm/spmm_config.h"

namespace pk {

// Loads NV accumulators from Y row `row` (its first cols <= 8 NV columns), or the row's
// bias on the first k block; lanes past cols hold the bias.
template <int NV>
__attribute__((always_inline)) inline void spmm_start_row(const SpmmArgs& g, const SpmmBlock& b, int64_t row,
                                                          __m256* acc) {
  const float* y = b.y + row * g.y_rs;
  if (b.first || b.cols < 8 * NV) {
    alignas(32) float tile[8 * NV];
    const float bias = g.bias ? g.bias[row] : 0.0f;
    for (int64_t j = 0; j < 8 * NV; ++j) tile[j] = b.first || j >= b.cols ? bias : y[j];
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) acc[q] = _mm256_load_ps(tile + 8 * q);
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
  if (b.cols == 8 * NV) {
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) _mm256_storeu_ps(y + 8 * q, acc[q]);
    return;
  }
  alignas(32) float tile[8 * NV];
#pragma GCC unroll 4
  for (int q = 0; q < NV; ++q) _mm256_store_ps(tile + 8 * q, acc[q]);
  for (int64_t j = 0; j < b.cols; ++j) y[j] = tile[j];
}

}  // namespace pk
