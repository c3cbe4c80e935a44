// Multiply-add throughput probe for the baseline ISA: 8 independent 4-lane chains of
// mul + add (SSE2 has no FMA), so the loop runs at the vector-issue limit.
#include "cpu/peak/fma_peak.h"

namespace pk {

double fma_chains_portable(int64_t iterations, float* sink) {
  float acc[8][4];
  for (int i = 0; i < 8; ++i) {
    for (int l = 0; l < 4; ++l) acc[i][l] = 0.001f * static_cast<float>(i + l);
  }
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 8; ++i) {
      for (int l = 0; l < 4; ++l) acc[i][l] = acc[i][l] * 0.999999f + 1e-7f;
    }
  }
  float total = 0.0f;
  for (int i = 0; i < 8; ++i) total += acc[i][0];
  *sink = total;
  return static_cast<double>(iterations) * 8 * 4 * 2;
}

}  // namespace pk
