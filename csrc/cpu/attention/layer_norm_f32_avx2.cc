// Layer norm of one row, float32, AVX2/FMA: the portable kernel's arithmetic eight lanes
// at a time. Mean and variance are summed in double (each 8 floats widened to two 4-double
// vectors), so long rows lose no precision; the normalising pass is float, with gamma and
// beta folded into one FMA.
//
// Why fast: the portable kernel's double sums cannot be vectorised by the compiler (it
// may not reorder a floating-point reduction), so it ran one element per step; here the
// three passes run over a row that stays in L1, 8 elements per step.
#include <immintrin.h>

#include <cmath>

#include "cpu/attention/layer_norm.h"

namespace pk {
namespace {

// The lanes of x (8 floats) widened to double and added to acc0 (low four) and acc1 (high four).
inline void add_widened(__m256 x, __m256d& acc0, __m256d& acc1) {
  acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(x)));
  acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
}

// (x - mean)^2 of the lanes of x, in double, added to acc0 / acc1.
inline void add_squares(__m256 x, __m256d mean, __m256d& acc0, __m256d& acc1) {
  const __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), mean);
  const __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)), mean);
  acc0 = _mm256_fmadd_pd(d0, d0, acc0);
  acc1 = _mm256_fmadd_pd(d1, d1, acc1);
}

double hsum_pd(__m256d a, __m256d b) {
  const __m256d s = _mm256_add_pd(a, b);
  const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

}  // namespace

void layer_norm_row_f32_avx2(const float* in, float* out, int64_t cols, const float* gamma, const float* beta,
                             float eps) {
  const int64_t full = cols & ~int64_t{7};
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  for (int64_t c = 0; c < full; c += 8) add_widened(_mm256_loadu_ps(in + c), s0, s1);
  double sum = hsum_pd(s0, s1);
  for (int64_t c = full; c < cols; ++c) sum += in[c];
  const double mean = sum / static_cast<double>(cols);

  const __m256d vmean = _mm256_set1_pd(mean);
  s0 = s1 = _mm256_setzero_pd();
  for (int64_t c = 0; c < full; c += 8) add_squares(_mm256_loadu_ps(in + c), vmean, s0, s1);
  double sq = hsum_pd(s0, s1);
  for (int64_t c = full; c < cols; ++c) sq += (in[c] - mean) * (in[c] - mean);
  const float inv = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(cols) + eps));
  const float m = static_cast<float>(mean);

  const __m256 vm = _mm256_set1_ps(m), vinv = _mm256_set1_ps(inv), one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t c = 0; c < full; c += 8) {
    const __m256 g = gamma ? _mm256_loadu_ps(gamma + c) : one, b = beta ? _mm256_loadu_ps(beta + c) : zero;
    _mm256_storeu_ps(out + c, _mm256_fmadd_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(in + c), vm), vinv), g, b));
  }
  for (int64_t c = full; c < cols; ++c) {
    const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
    out[c] = (in[c] - m) * inv * g + b;
  }
}

}  // namespace pk
