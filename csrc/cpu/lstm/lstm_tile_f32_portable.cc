// Fused LSTM step tile for CPUs without AVX2: the same tile as lstm_tile_f32_3x32_avx2.cc
// (rows x 8 units, W_hh packed per block), scalar, with libm's expf / tanhf. The
// accumulators live in a 3 x 32 local array the compiler keeps in SSE registers.
#include <cmath>

#include "cpu/lstm/lstm_tile.h"

namespace pk {
namespace {

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

}  // namespace

void lstm_tile_f32_portable(int rows, int units, int64_t k, const float* w, int64_t gs, const LstmTileRows& r,
                            LstmChunk chunk) {
  float acc[kLstmTileRows][32];
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < 32; ++j) acc[i][j] = chunk.first ? 0.0f : r.partial[i][j];
  }
  for (int64_t p = 0; p < k; ++p) {
    const float* wp = w + p * 32;
    for (int i = 0; i < rows; ++i) {
      const float a = r.h[i][p];
      for (int j = 0; j < 32; ++j) acc[i][j] += a * wp[j];
    }
  }
  if (!chunk.last) {
    for (int i = 0; i < rows; ++i) {
      for (int j = 0; j < 32; ++j) r.partial[i][j] = acc[i][j];
    }
    return;
  }
  for (int i = 0; i < rows; ++i) {
    for (int g = 0; g < 4; ++g) {
      for (int u = 0; u < units; ++u) acc[i][g * 8 + u] += r.x[i][g * gs + u];
    }
  }
  for (int i = 0; i < rows; ++i) {
    for (int u = 0; u < units; ++u) {
      const float c = sigmoid(acc[i][8 + u]) * r.c[i][u] + sigmoid(acc[i][u]) * std::tanh(acc[i][16 + u]);
      const float h = sigmoid(acc[i][24 + u]) * std::tanh(c);
      r.c[i][u] = c;
      r.out[i][u] = h;
      if (r.out2[i]) r.out2[i][u] = h;
    }
  }
}

}  // namespace pk
