// AVX2 packing of sgemm micro-panels (the 6x16 microkernel's layouts).
//
// Across the contiguous axis: row-major A rows into 6-row panels (dst[p * 6 + i]), and
// the columns of a transposed B (contiguous along k, as a PyTorch-layout weight W^T)
// into 16-column panels (dst[p * 16 + j]). Each 8-float block of 8 source lines is 8
// loads, one 8x8 register transpose and 8 stores of whole panel rows, instead of 64
// scalar strided stores: the scalar packs cost a third of the time of a Dense layer
// with a long K (M = 32, K = 30752, N = 64, the classic CNN's first Dense).
// Along it: a row-major B panel is a copy of 16 floats per row (masked for the fused
// path's narrow panels, below).
#include <immintrin.h>

#include "common/transpose8_avx2.h"
#include "cpu/gemm/sgemm_config.h"
#include "cpu/gemm/sgemm_pack.h"

namespace pk {

void sgemm_pack_rows6_avx2(const float* const src[6], int64_t len, float* dst) {
  constexpr int kMr = 6;
  const __m256i first6 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  int64_t q = 0;
  for (; q + 8 <= len; q += 8) {
    __m256 v[8];
    for (int r = 0; r < kMr; ++r) v[r] = src[r] ? _mm256_loadu_ps(src[r] + q) : _mm256_setzero_ps();
    v[6] = v[7] = _mm256_setzero_ps();
    transpose8(v);
    float* out = dst + q * kMr;
    // Each store spills 2 floats into the next panel row, which the next store rewrites;
    // the last one is masked so nothing past this block is touched.
    for (int j = 0; j < 7; ++j) _mm256_storeu_ps(out + j * kMr, v[j]);
    _mm256_maskstore_ps(out + 7 * kMr, first6, v[7]);
  }
  for (; q < len; ++q) {
    for (int r = 0; r < kMr; ++r) dst[q * kMr + r] = src[r] ? src[r][q] : 0.0f;
  }
}

void sgemm_pack_cols16_avx2(const float* b, int64_t b_cs, int64_t rows, float* dst) {
  constexpr int kNr = 16;
  int64_t p = 0;
  for (; p + 8 <= rows; p += 8) {
    for (int half = 0; half < kNr; half += 8) {
      __m256 v[8];
      for (int j = 0; j < 8; ++j) v[j] = _mm256_loadu_ps(b + (half + j) * b_cs + p);
      transpose8(v);
      for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + (p + i) * kNr + half, v[i]);
    }
  }
  for (; p < rows; ++p) {
    for (int j = 0; j < kNr; ++j) dst[p * kNr + j] = b[j * b_cs + p];
  }
}

// A narrow panel (the fused path's first and last columns) reads its rows with masked
// loads, which touch no column outside its runs and cost no more than full loads: a
// scalar copy of the narrow panels cost 7-9% at M = 48, K = 4608, N = 512. Lane j of the
// second run's loads reads b2[j - cols], so the two runs merge with an OR of zeros.
void sgemm_pack_b_panel_16_avx2(int64_t k, const float* b, int64_t cols, const float* b2, int64_t cols2, int64_t b_rs,
                                float* dst) {
  if (cols == 16) {
    for (int64_t p = 0; p < k; ++p, b += b_rs, dst += 16) {
      _mm256_storeu_ps(dst, _mm256_loadu_ps(b));
      _mm256_storeu_ps(dst + 8, _mm256_loadu_ps(b + 8));
    }
    return;
  }
  const __m256i lo = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), hi = _mm256_add_epi32(lo, _mm256_set1_epi32(8));
  const __m256i end1 = _mm256_set1_epi32(static_cast<int>(cols));
  const __m256i end2 = _mm256_set1_epi32(static_cast<int>(cols + cols2));
  auto in = [](__m256i begin, __m256i end, __m256i j) {  // lanes with begin <= j < end
    return _mm256_andnot_si256(_mm256_cmpgt_epi32(begin, j), _mm256_cmpgt_epi32(end, j));
  };
  const __m256i first_lo = _mm256_cmpgt_epi32(end1, lo), first_hi = _mm256_cmpgt_epi32(end1, hi);
  const __m256i second_lo = in(end1, end2, lo), second_hi = in(end1, end2, hi);
  const float* shifted = b2 - cols;
  for (int64_t p = 0; p < k; ++p, b += b_rs, shifted += b_rs, dst += 16) {
    _mm256_storeu_ps(dst, _mm256_or_ps(_mm256_maskload_ps(b, first_lo), _mm256_maskload_ps(shifted, second_lo)));
    _mm256_storeu_ps(dst + 8, _mm256_or_ps(_mm256_maskload_ps(b + 8, first_hi),
                                           _mm256_maskload_ps(shifted + 8, second_hi)));
  }
}

}  // namespace pk
