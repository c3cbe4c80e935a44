// sgemm microkernels, register tile 1..6 rows x 16 columns, AVX2 + FMA.
//
// Computes C[rows x 16] (+)= A[rows x k] . B[k x 16]. A is a packed micro-panel of 6
// values per k (rows used, the rest zero padding); B rows are 16 contiguous floats ldb
// apart (a packed panel). Why fast: the full 6x16 tile lives in 12 ymm accumulators;
// each k step issues 2 B loads + 6 broadcasts for 12 FMAs, so both FMA pipes stay busy
// (12 > FMA latency x pipes = 8 independent chains) and the loads fit in the two load
// ports; 15 of 16 ymm registers are used, nothing spills. The 1..5-row kernels finish
// the rows of M that 6 does not divide without computing padding rows.
//
// On a tile's last k block the bias and the activation (SgemmEpilogue) are applied to
// the accumulators before the one store, instead of in a second pass over the stored
// tile (which cost 0.3 ms for a bias and 0.7-1.0 ms more for ReLU in a 12.8 ms
// 1024x384 -> 1536 linear layer).
// The optional prefetch stream (SgemmPrefetch) issues one line per k step during the
// first pf.count steps: the small-M driver fetches the next B panel from memory while
// the FMAs run, instead of stalling on it when it packs that panel.
#include <immintrin.h>

#include "cpu/activation/vmath_f32_avx2.h"
#include "cpu/gemm/sgemm_config.h"

namespace pk {
namespace {

constexpr int kPanel = 6;  // A values per k step in a packed micro-panel

// One row of the tile for one k step: (lo, hi) += a[0] * (b0, b1).
__attribute__((always_inline)) inline void row_step(const float* a, __m256 b0, __m256 b1, __m256& lo, __m256& hi) {
  const __m256 ai = _mm256_broadcast_ss(a);
  lo = _mm256_fmadd_ps(ai, b0, lo);
  hi = _mm256_fmadd_ps(ai, b1, hi);
}

// act(v) for the activations an epilogue applies in registers.
__attribute__((always_inline)) inline __m256 activate(__m256 v, Activation act) {
  switch (act) {
    case Activation::Relu:
      return _mm256_max_ps(_mm256_setzero_ps(), v);  // max(0, NaN) is NaN
    case Activation::Sigmoid:
      return sigmoid_avx2(v);
    case Activation::Tanh:
      return tanh_avx2(v);
    default:
      return v;
  }
}

// Accumulators are named variables (an array of __m256 would live on the stack).
template <int MR>
void ukernel(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate,
             SgemmPrefetch pf, const SgemmEpilogue* ep) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int r = 0; r < MR; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 15), _MM_HINT_T0);
  }
  auto step = [&]() __attribute__((always_inline)) {
    _mm_prefetch(reinterpret_cast<const char*>(a + 96), _MM_HINT_T0);
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    row_step(a + 0, b0, b1, c00, c01);
    if (MR > 1) row_step(a + 1, b0, b1, c10, c11);
    if (MR > 2) row_step(a + 2, b0, b1, c20, c21);
    if (MR > 3) row_step(a + 3, b0, b1, c30, c31);
    if (MR > 4) row_step(a + 4, b0, b1, c40, c41);
    if (MR > 5) row_step(a + 5, b0, b1, c50, c51);
    a += kPanel;
    b += ldb;
  };
  const int64_t fetched = pf.count < k ? pf.count : k;
  const char* line = reinterpret_cast<const char*>(pf.next);
  int64_t p = 0;
#pragma GCC unroll 4
  for (; p < fetched; ++p) {
    _mm_prefetch(line, _MM_HINT_T0);
    line += pf.stride * sizeof(float);
    step();
  }
#pragma GCC unroll 4
  for (; p < k; ++p) step();

  const __m256 acc[2 * kPanel] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
  for (int r = 0; r < MR; ++r) {
    float* row = c + r * ldc;
    __m256 lo = acc[2 * r], hi = acc[2 * r + 1];
    if (accumulate) {
      lo = _mm256_add_ps(lo, _mm256_loadu_ps(row));
      hi = _mm256_add_ps(hi, _mm256_loadu_ps(row + 8));
    }
    if (ep) {
      if (ep->col_bias) {
        lo = _mm256_add_ps(lo, _mm256_loadu_ps(ep->col_bias));
        hi = _mm256_add_ps(hi, _mm256_loadu_ps(ep->col_bias + 8));
      } else if (ep->row_bias) {
        const __m256 bias = _mm256_broadcast_ss(ep->row_bias + r);
        lo = _mm256_add_ps(lo, bias);
        hi = _mm256_add_ps(hi, bias);
      }
      lo = activate(lo, ep->act);
      hi = activate(hi, ep->act);
    }
    _mm256_storeu_ps(row, lo);
    _mm256_storeu_ps(row + 8, hi);
  }
}

}  // namespace

const SgemmUkernel kSgemmUkernels6x16Avx2[6] = {ukernel<1>, ukernel<2>, ukernel<3>,
                                                ukernel<4>, ukernel<5>, ukernel<6>};

}  // namespace pk
