// Skinny sgemm kernels for M <= 4 (batch-1..4 inference), AVX2 + FMA.
//
// With so few rows of A every element of B is used at most 4 times, so the product is
// bound by reading B once from memory; packing would double that traffic. Both kernels
// read B in its own layout as a few long sequential streams, which the hardware
// prefetcher follows at full bandwidth:
//   rows: B row-major (k x n): C[m, j:j+8] += sum over 4 rows of B (summed as a
//         tree; 8 rows, 8 streams, when M = 1), sweeping k; the C strip (m x n,
//         L1/L2-resident) is the accumulator.
//   dot:  B = W^T with W row-major (n x k), as in linear layers: 4 rows of W against
//         the m rows of A, vectorized along k, m x 4 ymm accumulators, one horizontal
//         sum per output.
#include <immintrin.h>

#include "cpu/activation/vmath_f32_avx2.h"
#include "cpu/gemm/sgemm_config.h"

namespace pk {
namespace {

__m256i tail_mask(int64_t rest) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rest)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// a0 x0 + a1 x1 + a2 x2 + a3 x3 as a tree, so C takes one rounding per 4 rows of B:
// the error grows with K / 4, not K.
__m256 quad(const __m256* a, __m256 x0, __m256 x1, __m256 x2, __m256 x3) {
  return _mm256_add_ps(_mm256_fmadd_ps(a[0], x0, _mm256_mul_ps(a[1], x1)),
                       _mm256_fmadd_ps(a[2], x2, _mm256_mul_ps(a[3], x3)));
}

// M = 1 with a B too large for the caches: C[0, j:j+8] += the sum of 8 rows of B at columns
// j..j+7, as two FMA chains of 4 rows added at the end, then one rounding of C per 8 rows.
// Eight concurrent row streams draw more DRAM bandwidth than four (as OpenBLAS' gemv does):
// on Zen 3, 5% faster at 64 MiB of B on huge pages and 10-15% from 16 MiB on 4 KiB pages,
// while four streams stay 4-8% faster on a cache-resident B (1-4 MiB). The B loads fold
// into the FMAs, so the 8 broadcasts of A stay in registers. A step covers G groups of 8
// columns: 2G independent chains (G = 4 spills).
constexpr int64_t kStreamedBBytes = int64_t{8} << 20;

template <int G, bool Masked = false>
void rows8_step(const __m256* coef, const float* const* row, int64_t j, float* c,
                __m256i mask = _mm256_setzero_si256()) {
  const auto load = [mask](const float* x) { return Masked ? _mm256_maskload_ps(x, mask) : _mm256_loadu_ps(x); };
  __m256 lo[G], hi[G];
  for (int g = 0; g < G; ++g) lo[g] = _mm256_mul_ps(coef[0], load(row[0] + j + 8 * g));
  for (int g = 0; g < G; ++g) hi[g] = _mm256_mul_ps(coef[4], load(row[4] + j + 8 * g));
  for (int q = 1; q < 4; ++q) {
    for (int g = 0; g < G; ++g) lo[g] = _mm256_fmadd_ps(coef[q], load(row[q] + j + 8 * g), lo[g]);
    for (int g = 0; g < G; ++g) hi[g] = _mm256_fmadd_ps(coef[q + 4], load(row[q + 4] + j + 8 * g), hi[g]);
  }
  for (int g = 0; g < G; ++g) {
    const __m256 sum = _mm256_add_ps(load(c + j + 8 * g), _mm256_add_ps(lo[g], hi[g]));
    if (Masked) {
      _mm256_maskstore_ps(c + j + 8 * g, mask, sum);
    } else {
      _mm256_storeu_ps(c + j + 8 * g, sum);
    }
  }
}

// Sweeps B 8 rows at a time; returns the number of rows swept (a multiple of 8).
int64_t rows8_m1(int64_t n, int64_t k, const float* a, int64_t a_cs, const float* b, int64_t b_rs, float* c) {
  const int64_t n8 = n / 8 * 8;
  const __m256i mask = tail_mask(n - n8);
  int64_t p = 0;
  for (; p + 8 <= k; p += 8) {
    __m256 coef[8];
    const float* row[8];
    for (int q = 0; q < 8; ++q) {
      coef[q] = _mm256_set1_ps(a[(p + q) * a_cs]);
      row[q] = b + (p + q) * b_rs;
    }
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) rows8_step<2>(coef, row, j, c);
    if (j < n8) rows8_step<1>(coef, row, j, c);
    if (n8 < n) rows8_step<1, true>(coef, row, n8, c, mask);
  }
  return p;
}

template <int M>
void rows_kernel(int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                 float* c, int64_t c_rs) {
  const int64_t n8 = n / 8 * 8;
  const __m256i mask = tail_mask(n - n8);
  const bool streamed = k * n * static_cast<int64_t>(sizeof(float)) > kStreamedBBytes;
  int64_t p = M == 1 && streamed ? rows8_m1(n, k, a, a_cs, b, b_rs, c) : 0;
  for (; p + 4 <= k; p += 4) {
    const float* b0 = b + p * b_rs;
    __m256 coef[M][4];
    for (int r = 0; r < M; ++r) {
      for (int q = 0; q < 4; ++q) coef[r][q] = _mm256_set1_ps(a[r * a_rs + (p + q) * a_cs]);
    }
    for (int64_t j = 0; j < n8; j += 8) {
      const __m256 x0 = _mm256_loadu_ps(b0 + j), x1 = _mm256_loadu_ps(b0 + b_rs + j);
      const __m256 x2 = _mm256_loadu_ps(b0 + 2 * b_rs + j), x3 = _mm256_loadu_ps(b0 + 3 * b_rs + j);
      for (int r = 0; r < M; ++r) {
        __m256 acc = _mm256_loadu_ps(c + r * c_rs + j);
        acc = _mm256_add_ps(acc, quad(coef[r], x0, x1, x2, x3));
        _mm256_storeu_ps(c + r * c_rs + j, acc);
      }
    }
    if (n8 < n) {
      const __m256 x0 = _mm256_maskload_ps(b0 + n8, mask), x1 = _mm256_maskload_ps(b0 + b_rs + n8, mask);
      const __m256 x2 = _mm256_maskload_ps(b0 + 2 * b_rs + n8, mask);
      const __m256 x3 = _mm256_maskload_ps(b0 + 3 * b_rs + n8, mask);
      for (int r = 0; r < M; ++r) {
        __m256 acc = _mm256_maskload_ps(c + r * c_rs + n8, mask);
        acc = _mm256_add_ps(acc, quad(coef[r], x0, x1, x2, x3));
        _mm256_maskstore_ps(c + r * c_rs + n8, mask, acc);
      }
    }
  }
  for (; p < k; ++p) {
    const float* brow = b + p * b_rs;
    for (int r = 0; r < M; ++r) {
      const __m256 coef = _mm256_set1_ps(a[r * a_rs + p * a_cs]);
      float* crow = c + r * c_rs;
      for (int64_t j = 0; j < n8; j += 8)
        _mm256_storeu_ps(crow + j, _mm256_fmadd_ps(coef, _mm256_loadu_ps(brow + j), _mm256_loadu_ps(crow + j)));
      if (n8 < n) {
        const __m256 acc = _mm256_fmadd_ps(coef, _mm256_maskload_ps(brow + n8, mask), _mm256_maskload_ps(crow + n8, mask));
        _mm256_maskstore_ps(crow + n8, mask, acc);
      }
    }
  }
}

// C[0:M, 0:Q] (+)= A[0:M, :] . W[0:Q, :]^T, rows of A and W contiguous along k.
template <int M, int Q>
void dot_block(int64_t k, const float* a, int64_t a_rs, const float* w, int64_t w_rs, float* c, int64_t c_rs,
               bool accumulate) {
  __m256 acc[M][Q];
  for (int r = 0; r < M; ++r) {
    for (int q = 0; q < Q; ++q) acc[r][q] = _mm256_setzero_ps();
  }
  const int64_t k8 = k / 8 * 8;
  for (int64_t p = 0; p < k8; p += 8) {
    __m256 wq[Q];
    for (int q = 0; q < Q; ++q) wq[q] = _mm256_loadu_ps(w + q * w_rs + p);
    for (int r = 0; r < M; ++r) {
      const __m256 ar = _mm256_loadu_ps(a + r * a_rs + p);
      for (int q = 0; q < Q; ++q) acc[r][q] = _mm256_fmadd_ps(ar, wq[q], acc[r][q]);
    }
  }
  if (k8 < k) {
    const __m256i mask = tail_mask(k - k8);
    __m256 wq[Q];
    for (int q = 0; q < Q; ++q) wq[q] = _mm256_maskload_ps(w + q * w_rs + k8, mask);
    for (int r = 0; r < M; ++r) {
      const __m256 ar = _mm256_maskload_ps(a + r * a_rs + k8, mask);
      for (int q = 0; q < Q; ++q) acc[r][q] = _mm256_fmadd_ps(ar, wq[q], acc[r][q]);
    }
  }
  for (int r = 0; r < M; ++r) {
    for (int q = 0; q < Q; ++q) {
      const float s = hsum_avx2(acc[r][q]);
      c[r * c_rs + q] = accumulate ? c[r * c_rs + q] + s : s;
    }
  }
}

template <int M>
void dot_kernel(int64_t n, int64_t k, const float* a, int64_t a_rs, const float* w, int64_t w_rs, float* c,
                int64_t c_rs, bool accumulate) {
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) dot_block<M, 4>(k, a, a_rs, w + j * w_rs, w_rs, c + j, c_rs, accumulate);
  // The last 1..3 rows of W in one pass over the rows of A, not one pass each.
  switch (n - j) {
    case 3: return dot_block<M, 3>(k, a, a_rs, w + j * w_rs, w_rs, c + j, c_rs, accumulate);
    case 2: return dot_block<M, 2>(k, a, a_rs, w + j * w_rs, w_rs, c + j, c_rs, accumulate);
    case 1: return dot_block<M, 1>(k, a, a_rs, w + j * w_rs, w_rs, c + j, c_rs, accumulate);
  }
}

}  // namespace

void sgemm_skinny_rows_avx2(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
                            const float* b, int64_t b_rs, float* c, int64_t c_rs) {
  switch (m) {
    case 1: return rows_kernel<1>(n, k, a, a_rs, a_cs, b, b_rs, c, c_rs);
    case 2: return rows_kernel<2>(n, k, a, a_rs, a_cs, b, b_rs, c, c_rs);
    case 3: return rows_kernel<3>(n, k, a, a_rs, a_cs, b, b_rs, c, c_rs);
    default: return rows_kernel<4>(n, k, a, a_rs, a_cs, b, b_rs, c, c_rs);
  }
}

void sgemm_skinny_dot_avx2(int m, int64_t n, int64_t k, const float* a, int64_t a_rs, const float* w,
                           int64_t w_rs, float* c, int64_t c_rs, bool accumulate) {
  switch (m) {
    case 1: return dot_kernel<1>(n, k, a, a_rs, w, w_rs, c, c_rs, accumulate);
    case 2: return dot_kernel<2>(n, k, a, a_rs, w, w_rs, c, c_rs, accumulate);
    case 3: return dot_kernel<3>(n, k, a, a_rs, w, w_rs, c, c_rs, accumulate);
    default: return dot_kernel<4>(n, k, a, a_rs, w, w_rs, c, c_rs, accumulate);
  }
}

}  // namespace pk
