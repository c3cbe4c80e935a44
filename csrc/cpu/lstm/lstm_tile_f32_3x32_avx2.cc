// Fused LSTM step tile, AVX2 + FMA: up to 3 batch rows x 32 gate columns (i f g o for 8
// hidden units), the recurrent GEMV and the gate math in one pass.
//
// Layout: W_hh packed per block of 8 units as k rows of 32 floats (lstm_tile.h), read
// with unit stride; h_prev rows read in place (one broadcast per row and k).
// Tile: 3 rows x 4 gates = 12 ymm accumulators, started from the input projection;
// per k, 4 loads of W and 3 broadcasts feed 12 FMAs (the 6x16 GEMM microkernel's ratio).
// One row alone runs two accumulator sets over even and odd k, so 8 FMA chains hide
// the FMA latency in the batch-1 latency regime.
// Why fast: the gate pre-activations never leave registers; sigmoid and tanh are the
// inlined vector polynomials of vmath_f32_avx2.h; c and h are written once, masked for
// the last partial block.
#include <immintrin.h>

#include "cpu/activation/vmath_f32_avx2.h"
#include "cpu/lstm/lstm_tile.h"

namespace pk {
namespace {

__m256i tail_mask(int units) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(units), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

__m256 load(const float* p, bool full, __m256i mask) { return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask); }

void store(float* p, __m256 v, bool full, __m256i mask) {
  if (full) {
    _mm256_storeu_ps(p, v);
  } else {
    _mm256_maskstore_ps(p, mask, v);
  }
}

template <int ROWS>
void tile(int units, int64_t k, const float* w, int64_t gs, const LstmTileRows& r) {
  const bool full = units == kLstmBlockUnits;
  const __m256i mask = tail_mask(units);
  __m256 acc[ROWS][4];
  for (int i = 0; i < ROWS; ++i) {
    for (int g = 0; g < 4; ++g) acc[i][g] = load(r.x[i] + g * gs, full, mask);
  }
  int64_t p = 0;
  if constexpr (ROWS == 1) {
    __m256 odd[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (; p + 2 <= k; p += 2) {
      const __m256 a0 = _mm256_broadcast_ss(r.h[0] + p), a1 = _mm256_broadcast_ss(r.h[0] + p + 1);
      const float* wp = w + p * 32;
      for (int g = 0; g < 4; ++g) {
        acc[0][g] = _mm256_fmadd_ps(a0, _mm256_load_ps(wp + g * 8), acc[0][g]);
        odd[g] = _mm256_fmadd_ps(a1, _mm256_load_ps(wp + 32 + g * 8), odd[g]);
      }
    }
    for (int g = 0; g < 4; ++g) acc[0][g] = _mm256_add_ps(acc[0][g], odd[g]);
  }
  for (; p < k; ++p) {
    __m256 a[ROWS];
    for (int i = 0; i < ROWS; ++i) a[i] = _mm256_broadcast_ss(r.h[i] + p);
    const float* wp = w + p * 32;
    for (int g = 0; g < 4; ++g) {
      const __m256 wg = _mm256_load_ps(wp + g * 8);
      for (int i = 0; i < ROWS; ++i) acc[i][g] = _mm256_fmadd_ps(a[i], wg, acc[i][g]);
    }
  }
  for (int i = 0; i < ROWS; ++i) {
    const __m256 in = sigmoid_avx2(acc[i][0]), forget = sigmoid_avx2(acc[i][1]);
    const __m256 cand = tanh_avx2(acc[i][2]), out = sigmoid_avx2(acc[i][3]);
    const __m256 c = _mm256_fmadd_ps(forget, load(r.c[i], full, mask), _mm256_mul_ps(in, cand));
    const __m256 h = _mm256_mul_ps(out, tanh_avx2(c));
    store(r.c[i], c, full, mask);
    store(r.out[i], h, full, mask);
    if (r.out2[i]) store(r.out2[i], h, full, mask);
  }
}

}  // namespace

void lstm_tile_f32_3x32_avx2(int rows, int units, int64_t k, const float* w_block, int64_t gate_stride,
                             const LstmTileRows& r) {
  switch (rows) {
    case 1: return tile<1>(units, k, w_block, gate_stride, r);
    case 2: return tile<2>(units, k, w_block, gate_stride, r);
    default: return tile<3>(units, k, w_block, gate_stride, r);
  }
}

}  // namespace pk
