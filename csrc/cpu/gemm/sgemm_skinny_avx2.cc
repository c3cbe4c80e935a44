// Skinny sgemm kernels for M <= 4 (batch-1..4 inference), AVX2 + FMA.
//
// With so few rows of A every element of B is used at most 4 times, so the product is
// bound by reading B once from memory; packing would double that traffic. Both kernels
// read B in its own layout as a few long sequential streams, which the hardware
// prefetcher follows at full bandwidth:
//   rows: B row-major (k x n): C[m, j:j+8] += sum over 4 rows of B (summed as a
//         tree), sweeping k; the C strip (m x n, L1/L2-resident) is the accumulator.
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

template <int M>
void rows_kernel(int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                 float* c, int64_t c_rs) {
  const int64_t n8 = n / 8 * 8;
  const __m256i mask = tail_mask(n - n8);
  int64_t p = 0;
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
  for (; j < n; ++j) dot_block<M, 1>(k, a, a_rs, w + j * w_rs, w_rs, c + j, c_rs, accumulate);
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
