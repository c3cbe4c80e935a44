// Packing of W_hh for the fused LSTM step tile (lstm_tile.h): W_hh (4H x R, row-major,
// gate rows i, f, g, o) -> per block q of 8 hidden units, R rows of 32 floats
// (i f g o) x 8 units, zero for units past H. Block q starts at w_pack + q * R * 32.
#pragma once

#include <cstdint>

namespace pk {

// Packs blocks [q0, q1).
using LstmPackKernel = void (*)(const float* w_hh, int64_t hidden, int64_t state, int64_t q0, int64_t q1,
                                float* w_pack);

void lstm_pack_w_hh_f32_avx2(const float* w_hh, int64_t hidden, int64_t state, int64_t q0, int64_t q1,
                             float* w_pack);
void lstm_pack_w_hh_f32_portable(const float* w_hh, int64_t hidden, int64_t state, int64_t q0, int64_t q1,
                                 float* w_pack);

}  // namespace pk
