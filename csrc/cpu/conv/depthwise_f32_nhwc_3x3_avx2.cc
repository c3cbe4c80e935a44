// Depthwise 3x3 convolution (dilation 1, multiplier 1, stride 1 or 2), one NHWC output
// row, AVX2 + FMA.
//
// Tile: 4 output pixels x 8 channels, 4 independent accumulators (36 FMAs per tile,
// chains interleaved to hide the FMA latency); with stride 1 the 4 pixels share their
// input columns, so each kernel row costs 6 input loads and 3 tap loads for 12 FMAs.
// A tile of pixels runs through all its channel blocks before the next, so the input is
// read pixel after pixel (whole cache lines) and the taps stay in L1. Pixels whose
// window crosses the padding, and the last channels when C is not a multiple of 8, take
// a per-pixel path over the taps inside the image; padding taps are skipped, never
// multiplied (0 * inf would be NaN).
#include <immintrin.h>

#include "cpu/conv/depthwise.h"

namespace pk {
namespace {

__m256i tail_mask(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Channels [c_begin, channels) of one output pixel whose window may cross the padding:
// the taps inside the image are found once, then 32 channels at a time are summed in 4
// independent accumulators (one would wait on the FMA latency at every tap), then 8 at
// a time, the last block with masked loads and store.
void pixel(const DepthwiseProblem& p, const float* image, int64_t oh, int64_t ow, int64_t c_begin, float* out) {
  const int64_t ch = p.channels, ih0 = oh * p.stride_h - p.pad_top, iw0 = ow * p.stride_w - p.pad_left;
  const int64_t kh0 = ih0 < 0 ? -ih0 : 0, kh1 = p.in_h - ih0 < 3 ? p.in_h - ih0 : 3;
  const int64_t kw0 = iw0 < 0 ? -iw0 : 0, kw1 = p.in_w - iw0 < 3 ? p.in_w - iw0 : 3;
  const float* window = image + (ih0 * p.in_w + iw0) * ch;  // tap (kh, kw) at + (kh * in_w + kw) * ch
  float* o = out + ow * ch;
  int64_t c = c_begin;
  for (; c + 32 <= ch; c += 32) {
    __m256 a[4];
    for (int u = 0; u < 4; ++u) a[u] = p.bias ? _mm256_loadu_ps(p.bias + c + 8 * u) : _mm256_setzero_ps();
    for (int64_t kh = kh0; kh < kh1; ++kh) {
      for (int64_t kw = kw0; kw < kw1; ++kw) {
        const float* x = window + (kh * p.in_w + kw) * ch + c;
        const float* w = p.w + (kh * 3 + kw) * ch + c;
        for (int u = 0; u < 4; ++u) {
          a[u] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 8 * u), _mm256_loadu_ps(w + 8 * u), a[u]);
        }
      }
    }
    for (int u = 0; u < 4; ++u) _mm256_storeu_ps(o + c + 8 * u, a[u]);
  }
  for (; c < ch; c += 8) {
    const __m256i mask = c + 8 <= ch ? _mm256_set1_epi32(-1) : tail_mask(ch - c);
    __m256 acc = p.bias ? _mm256_maskload_ps(p.bias + c, mask) : _mm256_setzero_ps();
    for (int64_t kh = kh0; kh < kh1; ++kh) {
      for (int64_t kw = kw0; kw < kw1; ++kw) {
        const float* x = window + (kh * p.in_w + kw) * ch + c;
        acc = _mm256_fmadd_ps(_mm256_maskload_ps(x, mask), _mm256_maskload_ps(p.w + (kh * 3 + kw) * ch + c, mask),
                              acc);
      }
    }
    _mm256_maskstore_ps(o + c, mask, acc);
  }
}

// Pixels [ow0, ow1), channels [0, c_end) (a multiple of 8), whose windows lie inside the
// image; rows[kh] points at input row kh of the window, column 0. Pixel tiles outside,
// channel blocks inside: the tile's input columns are read as whole pixels (all their
// channels, cache line after cache line) and the taps come from L1.
template <int S>
void interior(const DepthwiseProblem& p, const float* const rows[3], int64_t c_end, int64_t ow0, int64_t ow1,
              float* out) {
  const int64_t ch = p.channels;
  int64_t ow = ow0;
  for (; ow + 4 <= ow1; ow += 4) {
    for (int64_t c = 0; c < c_end; c += 8) {
      const __m256 b = p.bias ? _mm256_loadu_ps(p.bias + c) : _mm256_setzero_ps();
      __m256 a0 = b, a1 = b, a2 = b, a3 = b;
      for (int kh = 0; kh < 3; ++kh) {
        const float* r = rows[kh] + (ow * S - p.pad_left) * ch + c;
        const float* w = p.w + 3 * kh * ch + c;
        const __m256 wa = _mm256_loadu_ps(w), wb = _mm256_loadu_ps(w + ch), wc = _mm256_loadu_ps(w + 2 * ch);
        // input column j * S + kw feeds pixel j, tap kw
        __m256 x[3 * S + 3];
        for (int col = 0; col < 3 * S + 3; ++col) x[col] = _mm256_loadu_ps(r + col * ch);
        a0 = _mm256_fmadd_ps(x[0], wa, a0);
        a1 = _mm256_fmadd_ps(x[S], wa, a1);
        a2 = _mm256_fmadd_ps(x[2 * S], wa, a2);
        a3 = _mm256_fmadd_ps(x[3 * S], wa, a3);
        a0 = _mm256_fmadd_ps(x[1], wb, a0);
        a1 = _mm256_fmadd_ps(x[S + 1], wb, a1);
        a2 = _mm256_fmadd_ps(x[2 * S + 1], wb, a2);
        a3 = _mm256_fmadd_ps(x[3 * S + 1], wb, a3);
        a0 = _mm256_fmadd_ps(x[2], wc, a0);
        a1 = _mm256_fmadd_ps(x[S + 2], wc, a1);
        a2 = _mm256_fmadd_ps(x[2 * S + 2], wc, a2);
        a3 = _mm256_fmadd_ps(x[3 * S + 2], wc, a3);
      }
      float* o = out + ow * ch + c;
      _mm256_storeu_ps(o, a0);
      _mm256_storeu_ps(o + ch, a1);
      _mm256_storeu_ps(o + 2 * ch, a2);
      _mm256_storeu_ps(o + 3 * ch, a3);
    }
  }
  for (; ow < ow1; ++ow) {
    for (int64_t c = 0; c < c_end; c += 8) {
      __m256 a = p.bias ? _mm256_loadu_ps(p.bias + c) : _mm256_setzero_ps();
      for (int kh = 0; kh < 3; ++kh) {
        const float* r = rows[kh] + (ow * S - p.pad_left) * ch + c;
        for (int kw = 0; kw < 3; ++kw) {
          a = _mm256_fmadd_ps(_mm256_loadu_ps(r + kw * ch), _mm256_loadu_ps(p.w + (3 * kh + kw) * ch + c), a);
        }
      }
      _mm256_storeu_ps(out + ow * ch + c, a);
    }
  }
}

}  // namespace

void depthwise_row_3x3_f32_nhwc_avx2(const DepthwiseProblem& p, int64_t n, int64_t oh) {
  const int64_t ch = p.channels;
  const float* image = p.x + n * p.in_h * p.in_w * ch;
  float* out = p.y + (n * p.out_h + oh) * p.out_w * ch;
  const int64_t ih0 = oh * p.stride_h - p.pad_top;
  const bool rows_inside = ih0 >= 0 && ih0 + 2 < p.in_h;
  // Pixels whose three columns are inside the image: ow * S - pad_left in [0, in_w - 3].
  const int64_t s = p.stride_w;
  int64_t lo = (p.pad_left + s - 1) / s;
  int64_t hi = p.in_w - 3 + p.pad_left >= 0 ? (p.in_w - 3 + p.pad_left) / s + 1 : 0;
  hi = hi < p.out_w ? hi : p.out_w;
  lo = lo < hi ? lo : hi;
  if (!rows_inside) {
    for (int64_t ow = 0; ow < p.out_w; ++ow) pixel(p, image, oh, ow, 0, out);
    return;
  }
  for (int64_t ow = 0; ow < lo; ++ow) pixel(p, image, oh, ow, 0, out);
  for (int64_t ow = hi; ow < p.out_w; ++ow) pixel(p, image, oh, ow, 0, out);
  const int64_t c_full = ch / 8 * 8;  // channels the fast path covers; the rest go pixel by pixel
  const float* rows[3];
  for (int kh = 0; kh < 3; ++kh) rows[kh] = image + (ih0 + kh) * p.in_w * ch;
  if (s == 1) {
    interior<1>(p, rows, c_full, lo, hi, out);
  } else {
    interior<2>(p, rows, c_full, lo, hi, out);
  }
  if (c_full < ch) {
    for (int64_t ow = lo; ow < hi; ++ow) pixel(p, image, oh, ow, c_full, out);
  }
}

}  // namespace pk
