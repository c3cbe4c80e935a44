// Activations (relu, sigmoid, tanh, erf-GELU) and row softmax on contiguous float32,
// 8 lanes at a time with AVX2/FMA.
//
// Why fast: one pass, no temporaries, branch-free selects between the small- and
// large-argument formulas. exp, sigmoid and tanh come from vmath_f32_avx2.h (shared with
// the fused LSTM gates); GELU is x * Phi(x) with Phi from a Chebyshev fit of erfc whose
// relative error is below 1.2e-7, so the negative tail keeps its precision. NaN
// propagates through every function (min/max operand order chosen for that).
#include <immintrin.h>

#include "cpu/activation/activation.h"
#include "cpu/activation/vmath_f32_avx2.h"

namespace pk {
namespace {

// erfc(|z|) * e^log_scale with relative error < 1.2e-7 (Chebyshev fit, Numerical
// Recipes' erfcc); log_scale lets a caller keep the result above float's underflow.
__m256 erfc_abs_avx2(__m256 az, __m256 log_scale) {
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.5f), az, _mm256_set1_ps(1.0f)));
  __m256 p = _mm256_set1_ps(0.17087277f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
  const __m256 arg = _mm256_add_ps(_mm256_sub_ps(p, _mm256_mul_ps(az, az)), log_scale);
  return _mm256_mul_ps(t, exp_avx2(arg));
}

// gelu(x) = x * Phi(x) = 0.5 x erfc(-x / sqrt 2). Below x = -12.7 (|z| > 9) erfc
// underflows while x * Phi(x) is still a subnormal (down to x = -14.1): there erfc is
// evaluated times 2^24 and the product with x scaled back, one rounding into the
// subnormal range. Elsewhere the scale is 1 (exact).
__m256 gelu_avx2(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 az = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(0.70710678118654752f));
  const __m256 deep = _mm256_cmp_ps(az, _mm256_set1_ps(9.0f), _CMP_GT_OQ);
  const __m256 unscale = _mm256_blendv_ps(one, _mm256_set1_ps(0x1p-24f), deep);
  const __m256 log_scale = _mm256_and_ps(deep, _mm256_set1_ps(16.635532333438686f));  // 24 ln 2
  const __m256 q = _mm256_mul_ps(_mm256_set1_ps(0.5f), erfc_abs_avx2(az, log_scale));  // 0.5 erfc(|x| / sqrt 2) / unscale
  const __m256 upper = _mm256_mul_ps(x, _mm256_fnmadd_ps(q, unscale, one));  // x (1 - q), x >= 0
  const __m256 lower = _mm256_mul_ps(_mm256_mul_ps(x, q), unscale);          // x q, x < 0
  return _mm256_blendv_ps(upper, lower, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}

template <typename F>
void map_inplace(float* x, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const int64_t rest = n - i;
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rest)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(x + i, mask, f(_mm256_maskload_ps(x + i, mask)));
  }
}

}  // namespace

void activation_f32_avx2(float* x, int64_t n, Activation act) {
  switch (act) {
    case Activation::None:
      return;
    case Activation::Relu:
      // max(0, x) keeps NaN (second operand wins when either is NaN).
      return map_inplace(x, n, [](__m256 v) { return _mm256_max_ps(_mm256_setzero_ps(), v); });
    case Activation::Sigmoid:
      return map_inplace(x, n, sigmoid_avx2);
    case Activation::Tanh:
      return map_inplace(x, n, tanh_avx2);
    case Activation::Gelu:
      return map_inplace(x, n, gelu_avx2);
  }
}

void softmax_f32_avx2(const float* x, float* y, int64_t cols) {
  int64_t i = 0;
  __m256 vmax = _mm256_set1_ps(-__builtin_inff());
  for (; i + 8 <= cols; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  float row_max = hmax_avx2(vmax);
  for (; i < cols; ++i) row_max = x[i] > row_max ? x[i] : row_max;
  const __m256 m = _mm256_set1_ps(row_max);
  __m256 vsum = _mm256_setzero_ps();
  i = 0;
  for (; i + 8 <= cols; i += 8) {
    const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
    _mm256_storeu_ps(y + i, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  float sum = hsum_avx2(vsum);
  for (; i < cols; ++i) {
    const float e = _mm_cvtss_f32(_mm256_castps256_ps128(exp_avx2(_mm256_set1_ps(x[i] - row_max))));
    y[i] = e;
    sum += e;
  }
  const __m256 inv = _mm256_set1_ps(1.0f / sum);
  i = 0;
  for (; i + 8 <= cols; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
  for (; i < cols; ++i) y[i] *= 1.0f / sum;
}

}  // namespace pk
