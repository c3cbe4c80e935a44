// W_hh packing for the LSTM step tile (lstm_pack.h), AVX2: each gate's 8 source rows of
// a block are read 8 columns at a time and transposed in registers (transpose8_avx2.h,
// shared with the im2col packers), so every load and store is a full 32-byte vector;
// the last R mod 8 columns are copied scalar. Missing units (past H) read as zeros.
#include <immintrin.h>

#include "common/transpose8_avx2.h"
#include "cpu/lstm/lstm_pack.h"
#include "cpu/lstm/lstm_tile.h"

namespace pk {
namespace {

constexpr int kCols = 4 * kLstmBlockUnits;

// The 8 rows of gate g of block q (nullptr for units past H) into their 8 packed columns.
void pack_gate(const float* const rows[kLstmBlockUnits], int64_t state, float* dst) {
  int64_t p = 0;
  for (; p + 8 <= state; p += 8) {
    __m256 r[8];
    for (int u = 0; u < 8; ++u) r[u] = rows[u] ? _mm256_loadu_ps(rows[u] + p) : _mm256_setzero_ps();
    transpose8(r);
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
