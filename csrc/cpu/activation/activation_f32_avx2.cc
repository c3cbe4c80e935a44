// Activations (relu, sigmoid, tanh, erf-GELU) and row softmax on contiguous float32,
// 8 lanes at a time with AVX2/FMA.
//
// Why fast: one pass, no temporaries, branch-free selects between the small- and
// large-argument formulas. exp, sigmoid and tanh come from vmath_f32_avx2.h (shared with
// the fused LSTM gates); GELU is x * Phi(x) with Phi from a Chebyshev fit of erfc whose
// relative error is below 1.2e-7, so the negative tail keeps its precision. NaN
// propagates through every function (min/max operand order chosen for that).
#include <immintrin.h>

#include <algorithm>

#include "cpu/activation/activation.h"
#include "cpu/activation/vmath_f32_avx2.h"

namespace pk {
namespace {

// The GELU pieces below work on N independent vectors at once, statement by statement
// (each `for v` is unrolled): one vector's chain is ~25 dependent operations (~100
// cycles), and on its own it ran at ~48 cycles per vector; interleaving 4 chains in
// program order lets the core overlap them (~3x). Each vector gets exactly the
// operations of the one-vector form, so results do not depend on N.
#define PK_EACH(v) _Pragma("GCC unroll 4") for (int v = 0; v < N; ++v)

// e^x for x <= 17 (GELU's erfc exponent): exp_avx2 without the overflow handling it
// cannot need. Exact range reduction by ln 2 (two constants), degree-6 polynomial, 2^n
// built in the exponent field from the shifter's low bits; below -87.34 exactly 0.
template <int N>
void exp_bounded_avx2(__m256* x) {
  const __m256 lo = _mm256_set1_ps(-87.3365447504f);
  const __m256 shifter = _mm256_set1_ps(12582912.0f);  // 1.5 * 2^23: t's low mantissa bits are round(x / ln 2)
  __m256 t[N], r[N], r2[N], p[N];
  PK_EACH(v) t[v] = _mm256_fmadd_ps(_mm256_max_ps(lo, x[v]), _mm256_set1_ps(1.44269504088896341f), shifter);
  PK_EACH(v) {
    const __m256 n = _mm256_sub_ps(t[v], shifter);
    r[v] = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), _mm256_max_ps(lo, x[v]));
    r[v] = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r[v]);
  }
  PK_EACH(v) r2[v] = _mm256_mul_ps(r[v], r[v]);
  // 1 + r + r^2 (c2 + c3 r + c4 r^2 + c5 r^3 + c6 r^4), the inner polynomial in Estrin form.
  PK_EACH(v) {
    const __m256 p23 = _mm256_fmadd_ps(_mm256_set1_ps(1.6666665459e-1f), r[v], _mm256_set1_ps(5.0000001201e-1f));
    const __m256 p45 = _mm256_fmadd_ps(_mm256_set1_ps(8.3334519073e-3f), r[v], _mm256_set1_ps(4.1665795894e-2f));
    const __m256 p67 = _mm256_fmadd_ps(_mm256_set1_ps(1.9875691500e-4f), r[v], _mm256_set1_ps(1.3981999507e-3f));
    p[v] = _mm256_fmadd_ps(_mm256_fmadd_ps(p67, r2[v], p45), r2[v], p23);
  }
  PK_EACH(v) {
    const __m256 e = _mm256_fmadd_ps(p[v], r2[v], _mm256_add_ps(r[v], _mm256_set1_ps(1.0f)));
    const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t[v]), _mm256_set1_epi32(127)), 23);
    x[v] = _mm256_andnot_ps(_mm256_cmp_ps(x[v], lo, _CMP_LT_OQ), _mm256_mul_ps(e, _mm256_castsi256_ps(scale)));
  }
}

// erfc(|z|) * e^log_scale with relative error < 1.2e-7 (Chebyshev fit, Numerical
// Recipes' erfcc); log_scale lets a caller keep the result above float's underflow.
// The degree-9 polynomial in t runs in Estrin form (depth 4 instead of 9). az becomes
// the result.
template <int N>
void erfc_abs_avx2(__m256* az, const __m256* log_scale) {
  __m256 t[N], p[N];
  PK_EACH(v) t[v] = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.5f), az[v], _mm256_set1_ps(1.0f)));
  PK_EACH(v) {
    const __m256 t2 = _mm256_mul_ps(t[v], t[v]), t4 = _mm256_mul_ps(t2, t2), t8 = _mm256_mul_ps(t4, t4);
    const __m256 c01 = _mm256_fmadd_ps(_mm256_set1_ps(1.00002368f), t[v], _mm256_set1_ps(-1.26551223f));
    const __m256 c23 = _mm256_fmadd_ps(_mm256_set1_ps(0.09678418f), t[v], _mm256_set1_ps(0.37409196f));
    const __m256 c45 = _mm256_fmadd_ps(_mm256_set1_ps(0.27886807f), t[v], _mm256_set1_ps(-0.18628806f));
    const __m256 c67 = _mm256_fmadd_ps(_mm256_set1_ps(1.48851587f), t[v], _mm256_set1_ps(-1.13520398f));
    const __m256 c89 = _mm256_fmadd_ps(_mm256_set1_ps(0.17087277f), t[v], _mm256_set1_ps(-0.82215223f));
    const __m256 c03 = _mm256_fmadd_ps(c23, t2, c01), c47 = _mm256_fmadd_ps(c67, t2, c45);
    p[v] = _mm256_fmadd_ps(c89, t8, _mm256_fmadd_ps(c47, t4, c03));
  }
  __m256 e[N];
  PK_EACH(v) e[v] = _mm256_add_ps(_mm256_fnmadd_ps(az[v], az[v], p[v]), log_scale[v]);
  exp_bounded_avx2<N>(e);
  PK_EACH(v) az[v] = _mm256_mul_ps(t[v], e[v]);
}

// gelu(x) = x * Phi(x) = 0.5 x erfc(-x / sqrt 2). Below x = -12.7 (|z| > 9) erfc
// underflows while x * Phi(x) is still a subnormal (down to x = -14.1): there erfc is
// evaluated times 2^24 and the product with x scaled back, one rounding into the
// subnormal range. Elsewhere the scale is 1 (exact).
template <int N>
void gelu_avx2(__m256* x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 q[N], log_scale[N], unscale[N];
  PK_EACH(v) {
    q[v] = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x[v]), _mm256_set1_ps(0.70710678118654752f));
    const __m256 deep = _mm256_cmp_ps(q[v], _mm256_set1_ps(9.0f), _CMP_GT_OQ);
    unscale[v] = _mm256_blendv_ps(one, _mm256_set1_ps(0x1p-24f), deep);
    log_scale[v] = _mm256_and_ps(deep, _mm256_set1_ps(16.635532333438686f));  // 24 ln 2
  }
  erfc_abs_avx2<N>(q, log_scale);
  PK_EACH(v) {
    const __m256 h = _mm256_mul_ps(_mm256_set1_ps(0.5f), q[v]);  // 0.5 erfc(|x| / sqrt 2) / unscale
    const __m256 upper = _mm256_mul_ps(x[v], _mm256_fnmadd_ps(h, unscale[v], one));  // x (1 - h), x >= 0
    const __m256 lower = _mm256_mul_ps(_mm256_mul_ps(x[v], h), unscale[v]);          // x h, x < 0
    x[v] = _mm256_blendv_ps(upper, lower, _mm256_cmp_ps(x[v], _mm256_setzero_ps(), _CMP_LT_OQ));
  }
}

#undef PK_EACH

// Applies f, which works on kGroup vectors at once, to rows x cols floats (row r at
// x + r * rs). Whole groups come straight from a row; the rest of each row (fewer than
// kGroup vectors, the last one masked when partial) waits in a queue that fills across
// rows: a GEMM tile row is only two vectors.
constexpr int kGroup = 4;

inline __m256 load_lanes(const float* p, int n) {
  if (n == 8) return _mm256_loadu_ps(p);
  return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}

inline void store_lanes(float* p, int n, __m256 v) {
  if (n == 8) return _mm256_storeu_ps(p, v);
  _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)), v);
}

template <typename F>
void map_rows(float* x, int64_t rows, int64_t cols, int64_t rs, F f) {
  float* queue[kGroup];
  int lanes[kGroup];
  int queued = 0;
  const auto flush = [&] {
    __m256 v[kGroup];
    for (int i = 0; i < kGroup; ++i) v[i] = i < queued ? load_lanes(queue[i], lanes[i]) : _mm256_setzero_ps();
    f(v);
    for (int i = 0; i < queued; ++i) store_lanes(queue[i], lanes[i], v[i]);
    queued = 0;
  };
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * rs;
    int64_t j = 0;
    for (; j + 8 * kGroup <= cols; j += 8 * kGroup) {
      __m256 v[kGroup];
      for (int i = 0; i < kGroup; ++i) v[i] = _mm256_loadu_ps(row + j + 8 * i);
      f(v);
      for (int i = 0; i < kGroup; ++i) _mm256_storeu_ps(row + j + 8 * i, v[i]);
    }
    for (; j < cols; j += 8) {
      queue[queued] = row + j;
      lanes[queued] = static_cast<int>(std::min<int64_t>(cols - j, 8));
      if (++queued == kGroup) flush();
    }
  }
  if (queued) flush();
}

template <__m256 (*F)(__m256)>
struct Each {
  void operator()(__m256* v) const {
    for (int i = 0; i < kGroup; ++i) v[i] = F(v[i]);
  }
};

struct Gelu {
  void operator()(__m256* v) const { gelu_avx2<kGroup>(v); }
};

__m256 relu_avx2(__m256 v) { return _mm256_max_ps(_mm256_setzero_ps(), v); }  // max(0, NaN) is NaN

}  // namespace

void activation_f32_avx2(float* x, int64_t rows, int64_t cols, int64_t rs, Activation act) {
  switch (act) {
    case Activation::None:
      return;
    case Activation::Relu:
      return map_rows(x, rows, cols, rs, Each<relu_avx2>());
    case Activation::Sigmoid:
      return map_rows(x, rows, cols, rs, Each<sigmoid_avx2>());
    case Activation::Tanh:
      return map_rows(x, rows, cols, rs, Each<tanh_avx2>());
    case Activation::Gelu:
      return map_rows(x, rows, cols, rs, Gelu());
  }
}

void softmax_f32_avx2(const float* x, float* y, int64_t cols) {
  int64_t i = 0;
  __m256 vmax = _mm256_set1_ps(-__builtin_inff());
  for (; i + 8 <= cols; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  float row_max = hmax_avx2(vmax);
  for (; i < cols; ++i) row_max = x[i] > row_max ? x[i] : row_max;
  const __m256 m = _mm256_set1_ps(row_max);
  __m256 vsum = _mm256_setzero_ps();
  i = 0;
  for (; i + 8 <= cols; i += 8) {
    const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
    _mm256_storeu_ps(y + i, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  float sum = hsum_avx2(vsum);
  for (; i < cols; ++i) {
    const float e = _mm_cvtss_f32(_mm256_castps256_ps128(exp_avx2(_mm256_set1_ps(x[i] - row_max))));
    y[i] = e;
    sum += e;
  }
  const __m256 inv = _mm256_set1_ps(1.0f / sum);
  i = 0;
  for (; i + 8 <= cols; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
  for (; i < cols; ++i) y[i] *= 1.0f / sum;
}

}  // namespace pk
