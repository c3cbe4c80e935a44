// Vector exp and exp2 on 8 floats (AVX2/FMA), shared by the *_avx2.cc files that need them
// (activations, softmax, the attention kernels).
//
// Include ONLY from *_avx2.cc files. The functions live in an anonymous namespace, so each
// including file gets its own private, inlinable copy: the linker can never pick an AVX2
// copy for portable code (the hazard csrc/README.md's ISA rules guard against).
#pragma once

#include <immintrin.h>

namespace pk {
namespace {

// e^x, a few ulp: degree-6 polynomial after exact range reduction by ln 2 (split in two
// constants). Overflows to +inf past 88.72, underflows to 0 below -87.34; NaN stays NaN.
inline __m256 exp_avx2(__m256 x) {
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

// 2^x for x <= 127 (softmax scores minus a row max, in log2 units), ~1 ulp: n = round(x)
// by the 1.5 * 2^23 shifter (its low mantissa bits are n), 2^(x - n) by a degree-6 fit on
// [-1/2, 1/2], times 2^n built in the exponent field. x <= -127 (and -inf) gives exactly
// 0, because 2^-127 has a zero exponent field: masked keys weigh nothing. NaN stays NaN.
// 12 operations and no blends: the exp of the flash-attention inner loop.
inline __m256 exp2_softmax_avx2(__m256 x) {
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

}  // namespace
}  // namespace pk
