// Flash-attention microkernels, float32, AVX2/FMA: 6 query rows against a block of keys.
//
//   pack_keys   K block -> 16-key panels through 8x8 register transposes (the scalar
//               transpose cost 2 us of a 41 us head at BERT's 128 x 32).
//   scores      S (6 x 16 per panel) = Q (6 x D) . K panel (D x 16): 12 ymm accumulators,
//               per d two aligned loads of the packed key panel and six broadcasts of Q,
//               12 FMAs (the sgemm 6x16 register tile, with D as the reduction).
//   softmax     online softmax of the 6 score rows, two at a time, in log2 units (Q was
//               pre-scaled by scale * log2 e), with exp2_softmax_avx2: 12 operations per 8
//               scores, no blends. The running max is only moved when a row's block max
//               exceeds it by more than 2^8 (lazy rescaling), so most blocks rescale nothing.
//   accumulate  O (6 x 16 per panel) = alpha * O + P (6 x keys) . V (keys x 16): the same
//               12-accumulator tile, reduction over the block's keys; the rescale by alpha
//               is folded into loading the accumulators.
//
// Why fast: both products run the 6x16 tile that keeps the two FMA pipes busy (12
// independent chains, 8 loads per 12 FMAs), operands are packed once per key block by the
// driver and reused by every row tile of the query block, and the softmax costs about a
// tenth of the FMAs at D = 64 (12 ops per 8 scores against 128 FMAs).
#include <immintrin.h>

#include <algorithm>

#include "common/transpose8_avx2.h"
#include "cpu/activation/vmath_f32_avx2.h"
#include "cpu/attention/sdpa.h"

namespace pk {
namespace {

constexpr int64_t MR = SDPA_MR;
constexpr float LAZY_RESCALE_LOG2 = 8.0f;  // keep the old max while p stays below 2^8

// Groups of 8 keys x 8 dims go through an 8x8 register transpose (a key row becomes a
// column of its panel); the rest -- a partial group of keys or dims -- one float at a time.
void pack_keys_8x8(const float* k, int64_t k_sn, int64_t keys, int64_t d, float* kp) {
  const int64_t d8 = d & ~int64_t{7};
  for (int64_t p = 0; p < keys; p += 16) {
    float* panel = kp + p * d;
    for (int64_t c0 = 0; c0 < 16; c0 += 8) {
      const int64_t width = std::min<int64_t>(8, std::max<int64_t>(0, keys - p - c0));
      int64_t i = 0;
      if (width == 8) {
        const float* key = k + (p + c0) * k_sn;
        for (; i < d8; i += 8) {
          __m256 v[8];
          for (int t = 0; t < 8; ++t) v[t] = _mm256_loadu_ps(key + t * k_sn + i);
          transpose8(v);
          for (int t = 0; t < 8; ++t) _mm256_store_ps(panel + (i + t) * 16 + c0, v[t]);
        }
      }
      for (; i < d; ++i) {
        for (int64_t c = 0; c < 8; ++c) panel[i * 16 + c0 + c] = c < width ? k[(p + c0 + c) * k_sn + i] : 0.0f;
      }
    }
  }
}

void scores_6x16(const float* q, int64_t d, const float* kp, int64_t panels, float* s, int64_t s_rs) {
  for (int64_t p = 0; p < panels; ++p) {
    const float* k = kp + p * d * 16;
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();
    __m256 c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps();
    __m256 c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int64_t i = 0; i < d; ++i) {
      const __m256 k0 = _mm256_load_ps(k + i * 16), k1 = _mm256_load_ps(k + i * 16 + 8);
      __m256 a = _mm256_broadcast_ss(q + i);
      c00 = _mm256_fmadd_ps(a, k0, c00), c01 = _mm256_fmadd_ps(a, k1, c01);
      a = _mm256_broadcast_ss(q + d + i);
      c10 = _mm256_fmadd_ps(a, k0, c10), c11 = _mm256_fmadd_ps(a, k1, c11);
      a = _mm256_broadcast_ss(q + 2 * d + i);
      c20 = _mm256_fmadd_ps(a, k0, c20), c21 = _mm256_fmadd_ps(a, k1, c21);
      a = _mm256_broadcast_ss(q + 3 * d + i);
      c30 = _mm256_fmadd_ps(a, k0, c30), c31 = _mm256_fmadd_ps(a, k1, c31);
      a = _mm256_broadcast_ss(q + 4 * d + i);
      c40 = _mm256_fmadd_ps(a, k0, c40), c41 = _mm256_fmadd_ps(a, k1, c41);
      a = _mm256_broadcast_ss(q + 5 * d + i);
      c50 = _mm256_fmadd_ps(a, k0, c50), c51 = _mm256_fmadd_ps(a, k1, c51);
    }
    float* out = s + p * 16;
    _mm256_store_ps(out, c00), _mm256_store_ps(out + 8, c01), out += s_rs;
    _mm256_store_ps(out, c10), _mm256_store_ps(out + 8, c11), out += s_rs;
    _mm256_store_ps(out, c20), _mm256_store_ps(out + 8, c21), out += s_rs;
    _mm256_store_ps(out, c30), _mm256_store_ps(out + 8, c31), out += s_rs;
    _mm256_store_ps(out, c40), _mm256_store_ps(out + 8, c41), out += s_rs;
    _mm256_store_ps(out, c50), _mm256_store_ps(out + 8, c51);
  }
}

// Rows are padded to a multiple of 8 columns; the lanes past `keys` of the last vector
// are replaced by -inf, so they weigh exactly 0. Rows go in pairs, statement by statement:
// a row alone is one chain of maxima, then one of sums (its exps overlap, its reductions
// do not), and two rows interleaved keep twice as many operations in flight.
constexpr int kRowsAtOnce = 2;

void softmax_row_group(float* s, int64_t s_rs, int64_t keys, float* m, float* l, float* alpha) {
  constexpr int R = kRowsAtOnce;
  const __m256 neg_inf = _mm256_set1_ps(-__builtin_inff());
  const int64_t full = keys & ~int64_t{7};
  const __m256 tail = _mm256_castsi256_ps(_mm256_cmpgt_epi32(
      _mm256_set1_epi32(static_cast<int>(keys - full)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
  __m256 vmax[R], shift[R], sum[R];
  for (int r = 0; r < R; ++r) vmax[r] = neg_inf;
  for (int64_t j = 0; j < full; j += 8) {
    for (int r = 0; r < R; ++r) vmax[r] = _mm256_max_ps(vmax[r], _mm256_load_ps(s + r * s_rs + j));
  }
  for (int r = 0; r < R && full < keys; ++r) {
    float* last = s + r * s_rs + full;
    _mm256_store_ps(last, _mm256_blendv_ps(neg_inf, _mm256_load_ps(last), tail));
    vmax[r] = _mm256_max_ps(vmax[r], _mm256_load_ps(last));
  }
  for (int r = 0; r < R; ++r) {
    const float block_max = hmax_avx2(vmax[r]);
    float a = 1.0f;
    if (block_max > m[r] + LAZY_RESCALE_LOG2) {  // false for a row masked so far and here
      a = _mm_cvtss_f32(_mm256_castps256_ps128(exp2_softmax_avx2(_mm256_set1_ps(m[r] - block_max))));
      m[r] = block_max;
    }
    alpha[r] = a;
    // A row that has attended nothing yet has m = -inf and only -inf scores: 2^(s - 0) = 0.
    shift[r] = _mm256_set1_ps(m[r] == -__builtin_inff() ? 0.0f : m[r]);
    sum[r] = _mm256_setzero_ps();
  }
  for (int64_t j = 0; j < keys; j += 8) {
    for (int r = 0; r < R; ++r) {
      float* at = s + r * s_rs + j;
      const __m256 p = exp2_softmax_avx2(_mm256_sub_ps(_mm256_load_ps(at), shift[r]));
      _mm256_store_ps(at, p);
      sum[r] = _mm256_add_ps(sum[r], p);
    }
  }
  for (int r = 0; r < R; ++r) l[r] = l[r] * alpha[r] + hsum_avx2(sum[r]);
}

void softmax_rows(float* s, int64_t s_rs, int64_t keys, float* m, float* l, float* alpha) {
  static_assert(MR % kRowsAtOnce == 0, "row groups tile the 6 rows");
  for (int64_t r = 0; r < MR; r += kRowsAtOnce) softmax_row_group(s + r * s_rs, s_rs, keys, m + r, l + r, alpha + r);
}

// O[:, c:c+16] = alpha * O + P . V[:, c:c+16]. Named accumulators: GCC spills an array of them.
void accumulate_panel16(const float* s, int64_t s_rs, int64_t keys, const float* vp, int64_t dp, float* o,
                        const float* alpha) {
  const float *p0 = s, *p1 = s + s_rs, *p2 = s + 2 * s_rs, *p3 = s + 3 * s_rs, *p4 = s + 4 * s_rs,
              *p5 = s + 5 * s_rs;
  float *o0 = o, *o1 = o + dp, *o2 = o + 2 * dp, *o3 = o + 3 * dp, *o4 = o + 4 * dp, *o5 = o + 5 * dp;
  __m256 a = _mm256_broadcast_ss(alpha);
  __m256 c00 = _mm256_mul_ps(a, _mm256_load_ps(o0)), c01 = _mm256_mul_ps(a, _mm256_load_ps(o0 + 8));
  a = _mm256_broadcast_ss(alpha + 1);
  __m256 c10 = _mm256_mul_ps(a, _mm256_load_ps(o1)), c11 = _mm256_mul_ps(a, _mm256_load_ps(o1 + 8));
  a = _mm256_broadcast_ss(alpha + 2);
  __m256 c20 = _mm256_mul_ps(a, _mm256_load_ps(o2)), c21 = _mm256_mul_ps(a, _mm256_load_ps(o2 + 8));
  a = _mm256_broadcast_ss(alpha + 3);
  __m256 c30 = _mm256_mul_ps(a, _mm256_load_ps(o3)), c31 = _mm256_mul_ps(a, _mm256_load_ps(o3 + 8));
  a = _mm256_broadcast_ss(alpha + 4);
  __m256 c40 = _mm256_mul_ps(a, _mm256_load_ps(o4)), c41 = _mm256_mul_ps(a, _mm256_load_ps(o4 + 8));
  a = _mm256_broadcast_ss(alpha + 5);
  __m256 c50 = _mm256_mul_ps(a, _mm256_load_ps(o5)), c51 = _mm256_mul_ps(a, _mm256_load_ps(o5 + 8));
  for (int64_t k = 0; k < keys; ++k) {
    const __m256 v0 = _mm256_load_ps(vp + k * dp), v1 = _mm256_load_ps(vp + k * dp + 8);
    __m256 p = _mm256_broadcast_ss(p0 + k);
    c00 = _mm256_fmadd_ps(p, v0, c00), c01 = _mm256_fmadd_ps(p, v1, c01);
    p = _mm256_broadcast_ss(p1 + k);
    c10 = _mm256_fmadd_ps(p, v0, c10), c11 = _mm256_fmadd_ps(p, v1, c11);
    p = _mm256_broadcast_ss(p2 + k);
    c20 = _mm256_fmadd_ps(p, v0, c20), c21 = _mm256_fmadd_ps(p, v1, c21);
    p = _mm256_broadcast_ss(p3 + k);
    c30 = _mm256_fmadd_ps(p, v0, c30), c31 = _mm256_fmadd_ps(p, v1, c31);
    p = _mm256_broadcast_ss(p4 + k);
    c40 = _mm256_fmadd_ps(p, v0, c40), c41 = _mm256_fmadd_ps(p, v1, c41);
    p = _mm256_broadcast_ss(p5 + k);
    c50 = _mm256_fmadd_ps(p, v0, c50), c51 = _mm256_fmadd_ps(p, v1, c51);
  }
  _mm256_store_ps(o0, c00), _mm256_store_ps(o0 + 8, c01);
  _mm256_store_ps(o1, c10), _mm256_store_ps(o1 + 8, c11);
  _mm256_store_ps(o2, c20), _mm256_store_ps(o2 + 8, c21);
  _mm256_store_ps(o3, c30), _mm256_store_ps(o3 + 8, c31);
  _mm256_store_ps(o4, c40), _mm256_store_ps(o4 + 8, c41);
  _mm256_store_ps(o5, c50), _mm256_store_ps(o5 + 8, c51);
}

// The last 8 columns when dp is not a multiple of 16.
void accumulate_panel8(const float* s, int64_t s_rs, int64_t keys, const float* vp, int64_t dp, float* o,
                       const float* alpha) {
  __m256 c0 = _mm256_mul_ps(_mm256_broadcast_ss(alpha), _mm256_load_ps(o));
  __m256 c1 = _mm256_mul_ps(_mm256_broadcast_ss(alpha + 1), _mm256_load_ps(o + dp));
  __m256 c2 = _mm256_mul_ps(_mm256_broadcast_ss(alpha + 2), _mm256_load_ps(o + 2 * dp));
  __m256 c3 = _mm256_mul_ps(_mm256_broadcast_ss(alpha + 3), _mm256_load_ps(o + 3 * dp));
  __m256 c4 = _mm256_mul_ps(_mm256_broadcast_ss(alpha + 4), _mm256_load_ps(o + 4 * dp));
  __m256 c5 = _mm256_mul_ps(_mm256_broadcast_ss(alpha + 5), _mm256_load_ps(o + 5 * dp));
  for (int64_t k = 0; k < keys; ++k) {
    const __m256 v = _mm256_load_ps(vp + k * dp);
    c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + k), v, c0);
    c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + s_rs + k), v, c1);
    c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 2 * s_rs + k), v, c2);
    c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 3 * s_rs + k), v, c3);
    c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 4 * s_rs + k), v, c4);
    c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 5 * s_rs + k), v, c5);
  }
  _mm256_store_ps(o, c0), _mm256_store_ps(o + dp, c1), _mm256_store_ps(o + 2 * dp, c2);
  _mm256_store_ps(o + 3 * dp, c3), _mm256_store_ps(o + 4 * dp, c4), _mm256_store_ps(o + 5 * dp, c5);
}

void accumulate_6x16(const float* s, int64_t s_rs, int64_t keys, const float* vp, int64_t dp, float* o,
                     const float* alpha) {
  int64_t c = 0;
  for (; c + 16 <= dp; c += 16) accumulate_panel16(s, s_rs, keys, vp + c, dp, o + c, alpha);
  if (c < dp) accumulate_panel8(s, s_rs, keys, vp + c, dp, o + c, alpha);
}

}  // namespace

const SdpaKernels sdpa_kernels_f32_6x16_avx2 = {pack_keys_8x8, scores_6x16, softmax_rows, accumulate_6x16};

}  // namespace pk
