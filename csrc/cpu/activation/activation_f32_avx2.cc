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

// e^x for x <= 17 (GELU's erfc exponent): exp_avx2 without the overflow handling it
// cannot need. Exact range reduction by ln 2 (two constants), degree-6 polynomial, 2^n
// built in the exponent field from the shifter's low bits; below -87.34 exactly 0.
__m256 exp_bounded_avx2(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3365447504f);
  const __m256 shifter = _mm256_set1_ps(12582912.0f);  // 1.5 * 2^23: t's low mantissa bits are round(x / ln 2)
  const __m256 xc = _mm256_max_ps(lo, x);
  const __m256 t = _mm256_fmadd_ps(xc, _mm256_set1_ps(1.44269504088896341f), shifter);
  const __m256 n = _mm256_sub_ps(t, shifter);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  const __m256 r2 = _mm256_mul_ps(r, r);
  // 1 + r + r^2 (c2 + c3 r + c4 r^2 + c5 r^3 + c6 r^4), the inner polynomial in Estrin form.
  const __m256 p23 = _mm256_fmadd_ps(_mm256_set1_ps(1.6666665459e-1f), r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 p45 = _mm256_fmadd_ps(_mm256_set1_ps(8.3334519073e-3f), r, _mm256_set1_ps(4.1665795894e-2f));
  const __m256 p67 = _mm256_fmadd_ps(_mm256_set1_ps(1.9875691500e-4f), r, _mm256_set1_ps(1.3981999507e-3f));
  const __m256 p = _mm256_fmadd_ps(_mm256_fmadd_ps(p67, r2, p45), r2, p23);
  const __m256 e = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LT_OQ), _mm256_mul_ps(e, _mm256_castsi256_ps(scale)));
}

// erfc(|z|) * e^log_scale with relative error < 1.2e-7 (Chebyshev fit, Numerical
// Recipes' erfcc); log_scale lets a caller keep the result above float's underflow.
// The degree-9 polynomial in t runs in Estrin form (depth 4 instead of 9): GELU is
// latency-bound in the GEMM epilogue, where a tile row is only two vectors.
__m256 erfc_abs_avx2(__m256 az, __m256 log_scale) {
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.5f), az, _mm256_set1_ps(1.0f)));
  const __m256 t2 = _mm256_mul_ps(t, t), t4 = _mm256_mul_ps(t2, t2), t8 = _mm256_mul_ps(t4, t4);
  const __m256 c01 = _mm256_fmadd_ps(_mm256_set1_ps(1.00002368f), t, _mm256_set1_ps(-1.26551223f));
  const __m256 c23 = _mm256_fmadd_ps(_mm256_set1_ps(0.09678418f), t, _mm256_set1_ps(0.37409196f));
  const __m256 c45 = _mm256_fmadd_ps(_mm256_set1_ps(0.27886807f), t, _mm256_set1_ps(-0.18628806f));
  const __m256 c67 = _mm256_fmadd_ps(_mm256_set1_ps(1.48851587f), t, _mm256_set1_ps(-1.13520398f));
  const __m256 c89 = _mm256_fmadd_ps(_mm256_set1_ps(0.17087277f), t, _mm256_set1_ps(-0.82215223f));
  const __m256 c03 = _mm256_fmadd_ps(c23, t2, c01), c47 = _mm256_fmadd_ps(c67, t2, c45);
  const __m256 p = _mm256_fmadd_ps(c89, t8, _mm256_fmadd_ps(c47, t4, c03));
  const __m256 arg = _mm256_add_ps(_mm256_fnmadd_ps(az, az, p), log_scale);
  return _mm256_mul_ps(t, exp_bounded_avx2(arg));
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
