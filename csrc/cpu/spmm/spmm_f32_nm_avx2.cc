// SpMM microkernels for N:M structured weights (2:4, 4:8, any n:m), AVX2 + FMA.
//
// Computes Y[rows, panel] = bias + W[rows, :] . Xpanel. Every row keeps the same number
// of values in the same groups, so ROWS = 3 rows run in lockstep like a dense kernel:
// one loop over the groups, and for each kept value of each row one broadcast and NV
// FMAs on the X panel row at (group * m + position). Tile: 3 rows x NV = 4 vectors
// (32 columns), 12 independent accumulators. Why fast: the 3 rows read X rows from the
// same m-row window of the panel (in L1 after the first row touches it), the positions
// are single bytes and the group base is shared, so the loop does no index
// arithmetic per row beyond one byte load.
#include <immintrin.h>

#include "cpu/spmm/spmm_config.h"

namespace pk {
namespace {

constexpr int kRows = 3;

template <int NV>
void store_row(const __m256* acc, float* y, int64_t cols) {
  if (cols == 8 * NV) {
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) _mm256_storeu_ps(y + 8 * q, acc[q]);
    return;
  }
  alignas(32) float tile[8 * NV];
#pragma GCC unroll 4
  for (int q = 0; q < NV; ++q) _mm256_store_ps(tile + 8 * q, acc[q]);
  for (int64_t j = 0; j < cols; ++j) y[j] = tile[j];
}

// ROWS rows starting at row i; N kept per group (0: g.nm_n at run time).
template <int N, int ROWS, int NV>
void nm_tile(const SpmmArgs& g, int64_t i, const float* panel, int64_t cols, float* y) {
  constexpr int64_t NB = 8 * NV;
  const int64_t n = N ? N : g.nm_n, m = g.nm_m;
  const int64_t kept = g.k / m * n;
  __m256 acc[ROWS][NV];
  const float* v[ROWS];
  const uint8_t* pos[ROWS];
#pragma GCC unroll 4
  for (int r = 0; r < ROWS; ++r) {
    v[r] = g.values + (i + r) * kept;
    pos[r] = g.positions + (i + r) * kept;
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) acc[r][q] = g.bias ? _mm256_set1_ps(g.bias[i + r]) : _mm256_setzero_ps();
  }
  const float* group = panel;
  for (int64_t t = 0; t < kept; t += n, group += m * NB) {
#pragma GCC unroll 4
    for (int64_t s = 0; s < n; ++s) {
#pragma GCC unroll 4
      for (int r = 0; r < ROWS; ++r) {
        const __m256 w = _mm256_broadcast_ss(v[r] + t + s);
        const float* x = group + pos[r][t + s] * NB;
#pragma GCC unroll 4
        for (int q = 0; q < NV; ++q) acc[r][q] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 8 * q), acc[r][q]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < ROWS; ++r) store_row<NV>(acc[r], y + (i + r) * g.y_rs, cols);
}

template <int N, int NV>
void nm_rows(const SpmmArgs& g, int64_t row0, int64_t row1, const float* panel, int64_t, int64_t cols, float* y) {
  int64_t i = row0;
  for (; i + kRows <= row1; i += kRows) nm_tile<N, kRows, NV>(g, i, panel, cols, y);
  for (; i < row1; ++i) nm_tile<N, 1, NV>(g, i, panel, cols, y);
}

}  // namespace

SpmmKernel spmm_f32_nm_avx2(int n, int nv) {
  if (n == 2) {
    if (nv >= 3) return {"spmm_f32_nm2_3x32_avx2", 32, nm_rows<2, 4>};
    if (nv == 2) return {"spmm_f32_nm2_3x16_avx2", 16, nm_rows<2, 2>};
    return {"spmm_f32_nm2_3x8_avx2", 8, nm_rows<2, 1>};
  }
  if (n == 4) {
    if (nv >= 3) return {"spmm_f32_nm4_3x32_avx2", 32, nm_rows<4, 4>};
    if (nv == 2) return {"spmm_f32_nm4_3x16_avx2", 16, nm_rows<4, 2>};
    return {"spmm_f32_nm4_3x8_avx2", 8, nm_rows<4, 1>};
  }
  if (nv >= 3) return {"spmm_f32_nm_3x32_avx2", 32, nm_rows<0, 4>};
  if (nv == 2) return {"spmm_f32_nm_3x16_avx2", 16, nm_rows<0, 2>};
  return {"spmm_f32_nm_3x8_avx2", 8, nm_rows<0, 1>};
}

}  // namespace pk
