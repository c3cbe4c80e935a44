// Max / average pooling, one NHWC output row, AVX2.
//
// Each output pixel reduces its clipped window (pool_window) 32 channels at a time in 4
// ymm accumulators (then 8, then a masked tail), so the window's pixels are read as
// contiguous channel runs and the adds/maxes of different registers overlap. Max keeps
// NaN: max(x, acc) then a blend of x where x is NaN (vmaxps alone would drop it).
#include <immintrin.h>

#include "cpu/conv/pool2d.h"

namespace pk {
namespace {

__m256i tail_mask(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

__m256 max_keep_nan(__m256 acc, __m256 x) {
  return _mm256_blendv_ps(_mm256_max_ps(x, acc), x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

template <bool Max>
__m256 combine(__m256 acc, __m256 x) {
  return Max ? max_keep_nan(acc, x) : _mm256_add_ps(acc, x);
}

// out[c...] for every channel of one pixel from its window (image: the batch item).
template <bool Max>
void pool_pixel(const pk_pool2d_desc& d, const float* image, const PoolWindow& win, float* out) {
  const int64_t ch = d.channels;
  const __m256 init = Max ? _mm256_set1_ps(-__builtin_inff()) : _mm256_setzero_ps();
  const __m256 scale = _mm256_set1_ps(1.0f / win.divisor);
  auto finish = [&](__m256 acc) { return Max ? acc : _mm256_mul_ps(acc, scale); };
  int64_t c = 0;
  for (; c + 32 <= ch; c += 32) {
    __m256 a0 = init, a1 = init, a2 = init, a3 = init;
    for (int64_t h = win.h0; h < win.h1; ++h) {
      for (int64_t w = win.w0; w < win.w1; ++w) {
        const float* px = image + (h * d.in_w + w) * ch + c;
        a0 = combine<Max>(a0, _mm256_loadu_ps(px));
        a1 = combine<Max>(a1, _mm256_loadu_ps(px + 8));
        a2 = combine<Max>(a2, _mm256_loadu_ps(px + 16));
        a3 = combine<Max>(a3, _mm256_loadu_ps(px + 24));
      }
    }
    _mm256_storeu_ps(out + c, finish(a0));
    _mm256_storeu_ps(out + c + 8, finish(a1));
    _mm256_storeu_ps(out + c + 16, finish(a2));
    _mm256_storeu_ps(out + c + 24, finish(a3));
  }
  for (; c < ch; c += 8) {
    const __m256i mask = tail_mask(ch - c);
    __m256 acc = init;
    for (int64_t h = win.h0; h < win.h1; ++h) {
      for (int64_t w = win.w0; w < win.w1; ++w) {
        acc = combine<Max>(acc, _mm256_maskload_ps(image + (h * d.in_w + w) * ch + c, mask));
      }
    }
    _mm256_maskstore_ps(out + c, mask, finish(acc));
  }
}

template <bool Max>
void pool_row(const pk_pool2d_desc& d, const float* x, float* y, int64_t n, int64_t oh, bool count_include_pad) {
  const float* image = x + n * d.in_h * d.in_w * d.channels;
  float* out = y + (n * d.out_h + oh) * d.out_w * d.channels;
  for (int64_t ow = 0; ow < d.out_w; ++ow) {
    pool_pixel<Max>(d, image, pool_window(d, oh, ow, count_include_pad), out + ow * d.channels);
  }
}

}  // namespace

void max_pool_row_f32_nhwc_avx2(const pk_pool2d_desc& d, const float* x, float* y, int64_t n, int64_t oh) {
  pool_row<true>(d, x, y, n, oh, false);
}

void avg_pool_row_f32_nhwc_avx2(const pk_pool2d_desc& d, const float* x, float* y, int64_t n, int64_t oh,
                                bool count_include_pad) {
  pool_row<false>(d, x, y, n, oh, count_include_pad);
}

}  // namespace pk
