// CSR times one dense column (n = 1), AVX2 + FMA: y[i] = bias[i] + sum_t values[t] * x[indices[t]].
//
// One row at a time, vectorised along the row's nonzeros: 8 indices and 8 values per
// step, x gathered by the indices (vgatherdps), two accumulators (16 nonzeros per
// iteration), the row's tail through masked loads and a masked gather. Why fast: the
// panel kernels would broadcast each value against an 8-column panel row of which one
// column is real (7 lanes wasted, and X packed first); here every lane is a nonzero and
// x is read in place (the driver makes it contiguous).
#include <immintrin.h>

#include "cpu/spmm/spmm_config.h"

namespace pk {
namespace {

float row_dot(const int32_t* indices, const float* values, int64_t count, const float* x) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t t = 0;
  for (; t + 16 <= count; t += 16) {
    const __m256i i0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(indices + t));
    const __m256i i1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(indices + t + 8));
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(values + t), _mm256_i32gather_ps(x, i0, 4), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(values + t + 8), _mm256_i32gather_ps(x, i1, 4), a1);
  }
  if (t + 8 <= count) {
    const __m256i i0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(indices + t));
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(values + t), _mm256_i32gather_ps(x, i0, 4), a0);
    t += 8;
  }
  if (t < count) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count - t)), lane);
    const __m256i i0 = _mm256_maskload_epi32(indices + t, mask);
    const __m256 xs = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, i0, _mm256_castsi256_ps(mask), 4);
    a1 = _mm256_fmadd_ps(_mm256_maskload_ps(values + t, mask), xs, a1);
  }
  const __m256 a = _mm256_add_ps(a0, a1);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace

void spmv_f32_csr_avx2(const SpmmArgs& g, const float* x, int64_t row0, int64_t row1) {
  for (int64_t i = row0; i < row1; ++i) {
    const int64_t t0 = g.indptr[i];
    const float dot = row_dot(g.indices + t0, g.values + t0, g.indptr[i + 1] - t0, x);
    g.y[i * g.y_rs] = (g.bias ? g.bias[i] : 0.0f) + dot;
  }
}

}  // namespace pk
