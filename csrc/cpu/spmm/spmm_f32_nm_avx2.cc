// SpMM microkernels for N:M structured weights (2:4, 4:8, any n:m), AVX2 + FMA.
//
// Computes Y[rows, panel] (+)= W[rows, k block] . Xpanel[k block]. Every row keeps the same number
// of values in the same groups, so ROWS = 3 rows run in lockstep like a dense kernel:
// one loop over the groups, and for each kept value of each row one broadcast and NV
// FMAs on the X panel row at (group * m + position). Tile: 3 rows x NV = 4 vectors
// (32 columns), 12 independent accumulators. Why fast: the 3 rows read X rows from the
// same m-row window of the panel's k block (in L1, see the driver), and the group base
// is shared. Loads are the limit (every FMA already loads its own X vector), so 2:4
// and 4:8 rows take four kept values per step with two loads: one 16-byte load
// broadcasts the four values to both lanes (in-lane shuffles, on a port the FMAs
// leave free, make each broadcast) and one 4-byte load brings the four positions
// (1024x1024x256 at 2:4: 4.7 -> 4.05 ms; per-value loads: 1.5 per FMA, now 1.125).
#include <immintrin.h>

#include <cstring>

#include "cpu/spmm/spmm_rows_avx2.h"

namespace pk {
namespace {

constexpr int kRows = 3;

// ROWS rows starting at row i over the groups of the k block; N kept per group (0: g.nm_n at run time).
template <int N, int ROWS, int NV>
void nm_tile(const SpmmArgs& g, const SpmmBlock& b, int64_t i) {
  constexpr int64_t NB = 8 * NV;
  const int64_t n = N ? N : g.nm_n, m = g.nm_m;
  const int64_t kept = g.k / m * n, t0 = b.p0 / m * n, t1 = b.p1 / m * n;
  __m256 acc[ROWS][NV];
  const float* v[ROWS];
  const uint8_t* pos[ROWS];
#pragma GCC unroll 4
  for (int r = 0; r < ROWS; ++r) {
    v[r] = g.values + (i + r) * kept;
    pos[r] = g.positions + (i + r) * kept;
    spmm_start_row<NV>(g, b, i + r, acc[r]);
  }
  const float* group = b.panel + b.p0 * NB;
  int64_t t = t0;
  if constexpr (N == 2 || N == 4) {  // four kept values of each row per step (two groups of 2:4, one of 4:8)
    for (; t + 4 <= t1; t += 4, group += 4 / N * m * NB) {
#pragma GCC unroll 4
      for (int r = 0; r < ROWS; ++r) {
        const __m256 w4 = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(v[r] + t));
        uint32_t p4;
        std::memcpy(&p4, pos[r] + t, sizeof(p4));
        const __m256 w[4] = {_mm256_permute_ps(w4, 0x00), _mm256_permute_ps(w4, 0x55), _mm256_permute_ps(w4, 0xAA),
                             _mm256_permute_ps(w4, 0xFF)};
#pragma GCC unroll 4
        for (int s = 0; s < 4; ++s) {
          const float* x = group + (s / N) * m * NB + static_cast<int64_t>((p4 >> (8 * s)) & 0xff) * NB;
#pragma GCC unroll 4
          for (int q = 0; q < NV; ++q) acc[r][q] = _mm256_fmadd_ps(w[s], _mm256_load_ps(x + 8 * q), acc[r][q]);
        }
      }
    }
  }
  for (; t < t1; t += n, group += m * NB) {
#pragma GCC unroll 4
    for (int64_t s = 0; s < n; ++s) {
#pragma GCC unroll 4
      for (int r = 0; r < ROWS; ++r) {
        const __m256 w = _mm256_broadcast_ss(v[r] + t + s);
        const float* x = group + pos[r][t + s] * NB;
#pragma GCC unroll 4
        for (int q = 0; q < NV; ++q) acc[r][q] = _mm256_fmadd_ps(w, _mm256_load_ps(x + 8 * q), acc[r][q]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < ROWS; ++r) spmm_store_row<NV>(g, b, i + r, acc[r]);
}

template <int N, int NV>
void nm_rows(const SpmmArgs& g, const SpmmBlock& b) {
  int64_t i = b.row0;
  for (; i + kRows <= b.row1; i += kRows) nm_tile<N, kRows, NV>(g, b, i);
  for (; i < b.row1; ++i) nm_tile<N, 1, NV>(g, b, i);
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
