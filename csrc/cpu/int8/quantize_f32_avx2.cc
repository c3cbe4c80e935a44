// Quantization primitives, AVX2: 8 floats (quantize, dequantize) or 4 doubles
// (requantize) per step, scalar tails with the same arithmetic. Why fast: one division,
// clamp, round and convert per 8 values with no branches; NaN lanes are zeroed by a
// compare mask; results are narrowed with saturating packs (exact: already in range).
#include <immintrin.h>

#include <cstring>

#include "cpu/int8/quantize.h"

namespace pk {
namespace {

// Stores 8 int32 lanes (already inside the dtype's range) as 8 bytes.
void store8(__m256i v, QDtype dtype, void* dst) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i b = dtype == QDtype::S8 ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
  _mm_storel_epi64(static_cast<__m128i*>(dst), b);
}

// Stores 4 int32 lanes (inside the dtype's range) as 4 bytes.
void store4(__m128i v, QDtype dtype, void* dst) {
  const __m128i w = _mm_packs_epi32(v, v);
  const __m128i b = dtype == QDtype::S8 ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
  const int32_t bytes = _mm_cvtsi128_si32(b);
  std::memcpy(dst, &bytes, 4);
}

__m256i load8(const void* q, QDtype dtype) {
  const __m128i b = _mm_loadl_epi64(static_cast<const __m128i*>(q));
  return dtype == QDtype::S8 ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
}

__m256 params8(const float* p, int64_t stride, int64_t j) {
  return stride ? _mm256_loadu_ps(p + j) : _mm256_set1_ps(p[0]);
}

__m256i params8(const int32_t* p, int64_t stride, int64_t j) {
  return stride ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + j)) : _mm256_set1_epi32(p[0]);
}

}  // namespace

void quantize_f32_avx2(const float* x, int64_t n, const QuantizeParams& p, QDtype dtype, void* q) {
  auto* out = static_cast<uint8_t*>(q);
  const __m256i lo = _mm256_set1_epi32(p.lo), hi = _mm256_set1_epi32(p.hi);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256i zp = params8(p.zero_point, p.zero_point_stride, j);
    __m256 v = _mm256_div_ps(_mm256_loadu_ps(x + j), params8(p.scale, p.scale_stride, j));
    v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q));  // NaN -> 0
    v = _mm256_max_ps(v, _mm256_cvtepi32_ps(_mm256_sub_epi32(lo, zp)));
    v = _mm256_min_ps(v, _mm256_cvtepi32_ps(_mm256_sub_epi32(hi, zp)));
    v = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    store8(_mm256_add_epi32(_mm256_cvtps_epi32(v), zp), dtype, out + j);
  }
  if (j < n) {
    const QuantizeParams tail{p.scale + j * p.scale_stride, p.scale_stride, p.zero_point + j * p.zero_point_stride,
                              p.zero_point_stride, p.lo, p.hi};
    quantize_f32_portable(x + j, n - j, tail, dtype, out + j);
  }
}

void dequantize_f32_avx2(const void* q, QDtype dtype, int64_t n, const float* scale, int64_t scale_stride,
                         const int32_t* zero_point, int64_t zero_point_stride, float* y) {
  const auto* in = static_cast<const uint8_t*>(q);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256i v = _mm256_sub_epi32(load8(in + j, dtype), params8(zero_point, zero_point_stride, j));
    _mm256_storeu_ps(y + j, _mm256_mul_ps(_mm256_cvtepi32_ps(v), params8(scale, scale_stride, j)));
  }
  if (j < n) {
    dequantize_f32_portable(in + j, dtype, n - j, scale + j * scale_stride, scale_stride,
                            zero_point + j * zero_point_stride, zero_point_stride, y + j);
  }
}

void requantize_s32_avx2(const int32_t* x, int64_t n, const RequantizeParams& p, QDtype dtype, void* q) {
  auto* out = static_cast<uint8_t*>(q);
  const __m128i lo = _mm_set1_epi32(p.lo), hi = _mm_set1_epi32(p.hi);
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const __m128i zp = p.zero_point_stride ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(p.zero_point + j))
                                           : _mm_set1_epi32(p.zero_point[0]);
    const __m256d m = p.multiplier_stride ? _mm256_loadu_pd(p.multiplier + j) : _mm256_set1_pd(p.multiplier[0]);
    __m256d v = _mm256_mul_pd(_mm256_cvtepi32_pd(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + j))), m);
    v = _mm256_round_pd(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm256_max_pd(v, _mm256_cvtepi32_pd(_mm_sub_epi32(lo, zp)));
    v = _mm256_min_pd(v, _mm256_cvtepi32_pd(_mm_sub_epi32(hi, zp)));
    store4(_mm_add_epi32(_mm256_cvtpd_epi32(v), zp), dtype, out + j);
  }
  if (j < n) {
    const RequantizeParams tail{p.multiplier + j * p.multiplier_stride, p.multiplier_stride,
                                p.zero_point + j * p.zero_point_stride, p.zero_point_stride, p.lo, p.hi};
    requantize_s32_portable(x + j, n - j, tail, dtype, out + j);
  }
}

bool minmax_f32_avx2(const float* x, int64_t n, float* lo, float* hi) {
  __m256 mn = _mm256_set1_ps(x[0]), mx = mn, nan = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 v = _mm256_loadu_ps(x + j);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    mn = _mm256_min_ps(mn, v);
    mx = _mm256_max_ps(mx, v);
  }
  alignas(32) float a[8], b[8];
  _mm256_store_ps(a, mn);
  _mm256_store_ps(b, mx);
  bool has_nan = _mm256_movemask_ps(nan) != 0;
  float l = a[0], h = b[0];
  for (int t = 1; t < 8; ++t) l = a[t] < l ? a[t] : l, h = b[t] > h ? b[t] : h;
  if (j < n) {
    float tl, th;
    has_nan |= minmax_f32_portable(x + j, n - j, &tl, &th);
    l = tl < l ? tl : l, h = th > h ? th : h;
  }
  *lo = l, *hi = h;
  return has_nan;
}

}  // namespace pk
