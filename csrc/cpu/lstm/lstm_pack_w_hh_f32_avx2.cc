// W_hh packing for the LSTM step tile (lstm_pack.h), AVX2: each gate's 8 source rows of
// a block are read 8 columns at a time and transposed in registers (8x8 transpose:
// unpack, shuffle, lane permute), so every load and store is a full 32-byte vector;
// the last R mod 8 columns are copied scalar. Missing units (past H) read as zeros.
#include <immintrin.h>

#include "cpu/lstm/lstm_pack.h"
#include "cpu/lstm/lstm_tile.h"

namespace pk {
namespace {

constexpr int kCols = 4 * kLstmBlockUnits;

// r[j] <- column j of the 8x8 matrix whose rows are r[0..7].
void transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20), r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20), r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31), r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31), r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// The 8 rows of gate g of block q (nullptr for units past H) into their 8 packed columns.
void pack_gate(const float* const rows[kLstmBlockUnits], int64_t state, float* dst) {
  int64_t p = 0;
  for (; p + 8 <= state; p += 8) {
    __m256 r[8];
    for (int u = 0; u < 8; ++u) r[u] = rows[u] ? _mm256_loadu_ps(rows[u] + p) : _mm256_setzero_ps();
    transpose8x8(r);
    for (int j = 0; j < 8; ++j) _mm256_store_ps(dst + (p + j) * kCols, r[j]);
  }
  for (; p < state; ++p) {
    for (int u = 0; u < 8; ++u) dst[p * kCols + u] = rows[u] ? rows[u][p] : 0.0f;
  }
}

}  // namespace

void lstm_pack_w_hh_f32_avx2(const float* w_hh, int64_t hidden, int64_t state, int64_t q0, int64_t q1,
                             float* w_pack) {
  for (int64_t q = q0; q < q1; ++q) {
    for (int g = 0; g < 4; ++g) {
      const float* rows[kLstmBlockUnits];
      for (int u = 0; u < kLstmBlockUnits; ++u) {
        const int64_t unit = q * kLstmBlockUnits + u;
        rows[u] = unit < hidden ? w_hh + (g * hidden + unit) * state : nullptr;
      }
      pack_gate(rows, state, w_pack + q * state * kCols + g * kLstmBlockUnits);
    }
  }
}

}  // namespace pk
