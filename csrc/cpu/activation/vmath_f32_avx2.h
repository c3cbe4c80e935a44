// Vector exp, exp2, sigmoid, tanh and horizontal max / sum on 8 floats (AVX2 + FMA), for
// *_avx2.cc files only (activations, softmax, skinny GEMM, LSTM gates, flash attention).
//
// Accuracy is a few ulp everywhere, relative as well as absolute: exp is a degree-6
// polynomial after exact range reduction by ln 2 (split in two constants); tanh uses an
// odd polynomial for |x| < 0.625 (no cancellation near 0) and 1 - 2 / (e^{2|x|} + 1)
// beyond. NaN propagates (min/max operand order chosen for that).
//
// The functions are `static inline`: every including translation unit gets its own
// copy with internal linkage, so the linker can never hand an AVX2 body to portable
// code (the rule of csrc/README.md), and callers such as the fused LSTM gates and the
// attention kernel inline them into their register-resident loops.
#pragma once

#include <immintrin.h>

namespace pk {

static inline __m256 exp_avx2(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.3762626647949f);
  const __m256 lo = _mm256_set1_ps(-87.3365447504f);
  // NaN stays NaN: min/max return their second operand when either is NaN.
  const __m256 xc = _mm256_max_ps(lo, _mm256_min_ps(hi, x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  // Past the clamps: overflow to +inf, underflow to 0.
  y = _mm256_blendv_ps(y, _mm256_set1_ps(__builtin_inff()), _mm256_cmp_ps(x, _mm256_set1_ps(88.72283935546875f), _CMP_GT_OQ));
  y = _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LT_OQ), y);
  return y;
}

static inline __m256 sigmoid_avx2(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

static inline __m256 tanh_avx2(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign, x);
  // |x| < 0.625: x + x^3 P(x^2).
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  // Otherwise: sign(x) * (1 - 2 / (e^{2|x|} + 1)).
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp_avx2(_mm256_add_ps(ax, ax));
  const __m256 t = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  const __m256 large = _mm256_or_ps(t, _mm256_and_ps(sign, x));
  return _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

// 2^x for x <= 127 (softmax scores minus a row max, in log2 units), ~1 ulp: n = round(x)
// by the 1.5 * 2^23 shifter (its low mantissa bits are n), 2^(x - n) by a degree-6 fit on
// [-1/2, 1/2], times 2^n built in the exponent field. x <= -127 (and -inf) gives exactly
// 0, because 2^-127 has a zero exponent field: masked keys weigh nothing. NaN stays NaN.
// 12 operations and no blends: the exp of the flash-attention inner loop.
static inline __m256 exp2_softmax_avx2(__m256 x) {
  const __m256 shifter = _mm256_set1_ps(12582912.0f);  // 1.5 * 2^23
  const __m256 xc = _mm256_max_ps(_mm256_set1_ps(-127.0f), x);
  const __m256 t = _mm256_add_ps(xc, shifter);
  const __m256 r = _mm256_sub_ps(xc, _mm256_sub_ps(t, shifter));
  __m256 p = _mm256_set1_ps(1.5337577497e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3399859890e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(9.6185198054e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.5503290147e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(2.4022646248e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(6.9314718246e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  // t's bits are 0x4B400000 + n; the shift drops all but their low 9 bits, so adding
  // 127 and shifting left by 23 leaves the biased exponent of 2^n (valid for n <= 128).
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// The largest and the sum of the 8 lanes.
static inline float hmax_avx2(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

static inline float hsum_avx2(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace pk
