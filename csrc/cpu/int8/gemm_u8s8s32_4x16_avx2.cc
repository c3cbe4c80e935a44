// u8 x s8 -> s32 GEMM microkernels, register tile 1..4 rows x 16 columns, AVX2.
//
// Computes C[rows x 16] = A_rows . B_panel (layouts in gemm_int8.h: k in groups of 4,
// a packed B group is one 64-byte line of 16 columns x 4 values). Per group and row,
// the row's 4 A codes are broadcast to every 32-bit lane and
//   vpmaddubsw  u8 x s8 -> s16: a0*b0 + a1*b1 and a2*b2 + a3*b3 per column,
//   vpmaddwd    by 1 -> s32: their sum (a0*b0 + ... + a3*b3), exact,
//   vpaddd      into the accumulator.
// Why fast: 32 multiply-adds per vpmaddubsw, twice the f32 FMA's 16 per instruction
// (both run two per cycle on Zen 3 / Haswell), from 8 ymm accumulators, 2 B loads and
// 4 broadcasts per group: the multiply ports are the only limit.
//
// Saturation. vpmaddubsw saturates each pair sum to int16: a0*b0 + a1*b1 reaches
// 2 * 255 * 127 = 64770. It is never assumed away:
//  - "plain" kernels are used only when the largest A code is <= b_safe_a_max, computed
//    from the packed weights so that every pair sum of every column fits in int16
//    (pair positive part <= 32767 / amax, negative part <= 32768 / amax); quantized
//    layers choose their activation range [0, b_safe_a_max] accordingly (>= 127).
//  - "split" kernels are exact for any codes: A = (A & 0x7f) + (A & 0x80), each part
//    times s8 stays within int16 (127 * 128 * 2 = 32512, 128 * -128 * 2 = -32768),
//    at twice the multiplies.
#include <immintrin.h>

#include <cstring>

#include "cpu/int8/gemm_int8.h"

namespace pk {
namespace {

// c0 += a . b0, c1 += a . b1 for one row: a holds the row's 4 codes in every 32-bit lane.
template <bool kSplit>
inline __attribute__((always_inline)) void row_step(__m256i a, __m256i b0, __m256i b1, __m256i ones, __m256i& c0,
                                                    __m256i& c1) {
  if (kSplit) {
    const __m256i lo = _mm256_and_si256(a, _mm256_set1_epi8(0x7f));
    const __m256i hi = _mm256_and_si256(a, _mm256_set1_epi8(static_cast<char>(0x80)));
    c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, b0), ones));
    c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, b1), ones));
    c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, b0), ones));
    c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, b1), ones));
  } else {
    c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b0), ones));
    c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b1), ones));
  }
}

inline __attribute__((always_inline)) __m256i broadcast_quad(const uint8_t* a) {
  int32_t quad;
  std::memcpy(&quad, a, 4);
  return _mm256_set1_epi32(quad);
}

inline __attribute__((always_inline)) void store_row(int32_t* c, __m256i c0, __m256i c1) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), c0);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + 8), c1);
}

// Accumulators are named variables (an array of __m256i would live on the stack).
template <int MR, bool kSplit>
void ukernel(int64_t groups, const uint8_t* a, int64_t a_rs, const int8_t* b, int32_t* c, int64_t c_rs) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00;
  __m256i c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const __m256i ones = _mm256_set1_epi16(1);
  const uint8_t* a1 = a + a_rs;
  const uint8_t* a2 = a + 2 * a_rs;
  const uint8_t* a3 = a + 3 * a_rs;
  for (int r = 0; r < MR; ++r) {  // the output lines arrive while the loop runs
    __builtin_prefetch(c + r * c_rs, 1);
    __builtin_prefetch(c + r * c_rs + 15, 1);
  }
  for (int64_t g = 0; g < 4 * groups; g += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 512), _MM_HINT_T0);
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
    row_step<kSplit>(broadcast_quad(a + g), b0, b1, ones, c00, c01);
    if (MR > 1) row_step<kSplit>(broadcast_quad(a1 + g), b0, b1, ones, c10, c11);
    if (MR > 2) row_step<kSplit>(broadcast_quad(a2 + g), b0, b1, ones, c20, c21);
    if (MR > 3) row_step<kSplit>(broadcast_quad(a3 + g), b0, b1, ones, c30, c31);
    b += 64;
  }
  store_row(c, c00, c01);
  if (MR > 1) store_row(c + c_rs, c10, c11);
  if (MR > 2) store_row(c + 2 * c_rs, c20, c21);
  if (MR > 3) store_row(c + 3 * c_rs, c30, c31);
}

}  // namespace

const Int8Kernels kInt8KernelsAvx2{
    "gemm_u8s8s32_4x16_avx2",
    {ukernel<1, false>, ukernel<2, false>, ukernel<3, false>, ukernel<4, false>},
    {ukernel<1, true>, ukernel<2, true>, ukernel<3, true>, ukernel<4, true>}};

}  // namespace pk
