// FMA throughput probe, AVX2: 12 independent ymm FMA chains (more than FMA latency x
// FMA pipes on Zen 3 / Haswell), so the loop runs at the FMA issue limit: 16 flops per
// FMA, two FMAs per cycle at peak.
#include <immintrin.h>

#include "cpu/peak/fma_peak.h"

namespace pk {

double fma_chains_avx2(int64_t iterations, float* sink) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  __m256 total = acc[0];
  for (int i = 1; i < 12; ++i) total = _mm256_add_ps(total, acc[i]);
  *sink = _mm_cvtss_f32(_mm256_castps256_ps128(total));
  return static_cast<double>(iterations) * 12 * 16;
}

}  // namespace pk
