// Implicit im2col packing of 6-row sgemm A panels (the 6x16 AVX2 microkernel's), AVX2.
//
// The 6 rows (output pixels) are walked together through runs that all of them can
// read contiguously (im2col_run: a tap's channels, or a whole in-bounds kernel row);
// each 8-column block of a run is 6 unaligned loads, an 8x8 register transpose (rows 6
// and 7 zero) and 8 overlapping stores of 6 floats, instead of 48 scalar strided
// stores. Columns left over in a run go one by one.
#include <immintrin.h>

#include <algorithm>

#include "cpu/conv/im2col_pack.h"
#include "cpu/conv/transpose8_avx2.h"

namespace pk {

void pack_im2col_panel6_f32_avx2(const Im2colSource& s, int64_t i0, int64_t rows, int64_t p0, int64_t kb,
                                 float* dst) {
  constexpr int kMr = 6;
  Im2colRow origin[kMr];
  for (int64_t r = 0; r < rows; ++r) origin[r] = im2col_row(s, i0 + r);
  const __m256i first6 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  const int64_t end = p0 + kb;
  for (int64_t k = p0; k < end;) {
    const float* src[kMr] = {};
    int64_t len = end - k;
    for (int64_t r = 0; r < rows; ++r) {
      const Im2colRun run = im2col_run(s, origin[r], k, end);
      src[r] = run.src;
      len = std::min(len, run.len);
    }
    float* out = dst + (k - p0) * kMr;
    int64_t q = 0;
    for (; q + 8 <= len; q += 8) {
      __m256 v[8];
      for (int r = 0; r < kMr; ++r) v[r] = src[r] ? _mm256_loadu_ps(src[r] + q) : _mm256_setzero_ps();
      v[6] = v[7] = _mm256_setzero_ps();
      transpose8(v);
      float* o = out + q * kMr;
      // Each store spills 2 floats into the next column, which the next store rewrites;
      // the last one is masked so nothing past this block is touched.
      for (int j = 0; j < 7; ++j) _mm256_storeu_ps(o + j * kMr, v[j]);
      _mm256_maskstore_ps(o + 7 * kMr, first6, v[7]);
    }
    for (; q < len; ++q) {
      for (int r = 0; r < kMr; ++r) out[q * kMr + r] = src[r] ? src[r][q] : 0.0f;
    }
    k += len;
  }
}

}  // namespace pk
