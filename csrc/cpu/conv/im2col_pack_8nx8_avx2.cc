// Implicit im2col packing of SpMM panels (k x mr, mr a multiple of 8 pixels), AVX2.
//
// The sparse convolution (conv2d_sparse_driver.cc) multiplies sparse weights by the
// transposed im2col matrix: panel row p (a tap) holds mr consecutive output pixels. Each
// 8 pixels are walked together through the runs all of them read contiguously (a tap's
// channels, or a whole in-bounds kernel row, im2col_run); each 8-column block of a run is
// 8 unaligned loads, an 8x8 register transpose and 8 aligned stores of whole vectors,
// instead of 64 scalar strided stores. Pixels past `rows` are zeros.
#include <immintrin.h>

#include <algorithm>

#include "cpu/conv/im2col_pack.h"
#include "common/transpose8_avx2.h"

namespace pk {
namespace {

// Pixels [r0, r0 + 8) of the panel (those below `rows` real), columns [p0, p0 + kb).
void pack_8_pixels(const Im2colSource& s, int64_t i0, int64_t r0, int64_t rows, int64_t p0, int64_t kb, int64_t mr,
                   float* dst) {
  constexpr int kPixels = 8;
  const int64_t real = std::min<int64_t>(kPixels, rows - r0);
  Im2colRow origin[kPixels];
  for (int64_t r = 0; r < real; ++r) origin[r] = im2col_row(s, i0 + r0 + r);
  const int64_t end = p0 + kb;
  for (int64_t k = p0; k < end;) {
    const float* src[kPixels] = {};
    int64_t len = end - k;
    for (int64_t r = 0; r < real; ++r) {
      const Im2colRun run = im2col_run(s, origin[r], k, end);
      src[r] = run.src;
      len = std::min(len, run.len);
    }
    float* out = dst + (k - p0) * mr + r0;
    int64_t q = 0;
    for (; q + 8 <= len; q += 8) {
      __m256 v[kPixels];
      for (int r = 0; r < kPixels; ++r) v[r] = src[r] ? _mm256_loadu_ps(src[r] + q) : _mm256_setzero_ps();
      transpose8(v);
      for (int j = 0; j < 8; ++j) _mm256_store_ps(out + (q + j) * mr, v[j]);
    }
    for (; q < len; ++q) {
      for (int r = 0; r < kPixels; ++r) out[q * mr + r] = src[r] ? src[r][q] : 0.0f;
    }
    k += len;
  }
}

}  // namespace

void pack_im2col_panel8n_f32_avx2(const Im2colSource& s, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr,
                                  float* dst) {
  for (int64_t r0 = 0; r0 < mr; r0 += 8) {
    if (r0 < rows) {
      pack_8_pixels(s, i0, r0, rows, p0, kb, mr, dst);
    } else {
      for (int64_t q = 0; q < kb; ++q) _mm256_store_ps(dst + q * mr + r0, _mm256_setzero_ps());
    }
  }
}

}  // namespace pk
