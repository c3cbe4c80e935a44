// W_hh packing for the LSTM step tile (lstm_pack.h), scalar: the packed block is written
// sequentially while its 32 source rows are read as 32 parallel streams.
#include "cpu/lstm/lstm_pack.h"
#include "cpu/lstm/lstm_tile.h"

namespace pk {

void lstm_pack_w_hh_f32_portable(const float* w_hh, int64_t hidden, int64_t state, int64_t q0, int64_t q1,
                                 float* w_pack) {
  constexpr int kCols = 4 * kLstmBlockUnits;
  for (int64_t q = q0; q < q1; ++q) {
    const float* rows[kCols];
    for (int g = 0; g < 4; ++g) {
      for (int u = 0; u < kLstmBlockUnits; ++u) {
        const int64_t unit = q * kLstmBlockUnits + u;
        rows[g * kLstmBlockUnits + u] = unit < hidden ? w_hh + (g * hidden + unit) * state : nullptr;
      }
    }
    float* dst = w_pack + q * state * kCols;
    for (int64_t p = 0; p < state; ++p) {
      for (int j = 0; j < kCols; ++j) dst[p * kCols + j] = rows[j] ? rows[j][p] : 0.0f;
    }
  }
}

}  // namespace pk
