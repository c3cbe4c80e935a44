// SpMM microkernels for BSR with r x c blocks (CSR = 1x1), AVX2 + FMA.
//
// Computes Y[rows, panel] (+)= W[rows, k block] . Xpanel[k block], vectorised along the
// dense dimension: a panel row of X is NV ymm vectors (nb = 8 NV columns), each weight
// is broadcast once and FMAed into NV accumulators per output row. Tile: R output rows
// x NV vectors (R x NV <= 12 accumulators, plus the panel row and one broadcast).
//   1x1 (CSR), 1x4: NV = 4 (32 columns); the 1x1 loop runs 4 nonzeros per iteration into
//        two accumulator sets, 8 independent FMA chains (FMA latency 4 x 2 pipes), with
//        two 8-byte index loads and one 16-byte value broadcast split by in-lane shuffles
//        (where the panel slice is in L1 loads are the limit: 50% sparsity ~7% faster).
//   4x1, 4x4: R = 4, NV = 3: each X panel row loaded (3 loads) feeds 12 FMAs.
//   8x1:      R = 8, NV = 1.
//   other r x c: one block row at a time, R = 1, NV = 4.
// Why fast: the driver hands one k block of the packed panel at a time, small enough to
// stay in L1 (a nonzero's NV loads hit L1, not L2), and every nonzero reads whole
// aligned lines; block shapes also load an X row once for R output rows. Rows start
// and end with the shared spmm_rows_avx2.h helpers.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "cpu/spmm/spmm_rows_avx2.h"

namespace pk {
namespace {

// The blocks of block row `br` inside this k block: [*begin, end).
int64_t take_blocks(const SpmmBlock& b, int64_t br, int64_t* begin) {
  const int32_t* split = b.splits + br * b.stride + b.kb;
  *begin = split[0];
  return split[1];
}

// CSR: one row at a time, four nonzeros per step, alternately into two accumulator sets.
template <int NV>
void csr_rows(const SpmmArgs& g, const SpmmBlock& b) {
  constexpr int64_t NB = 8 * NV;
  for (int64_t i = b.row0; i < b.row1; ++i) {
    int64_t t;
    const int64_t end = take_blocks(b, i, &t);
    if (t == end && !b.first) continue;
    __m256 a[NV], c[NV];
    spmm_start_row<NV>(g, b, i, a);
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) c[q] = _mm256_setzero_ps();
    for (; t + 3 < end; t += 4) {
      uint64_t i01, i23;  // two indices per load
      std::memcpy(&i01, g.indices + t, sizeof(i01));
      std::memcpy(&i23, g.indices + t + 2, sizeof(i23));
      const float* x0 = b.panel + static_cast<int64_t>(static_cast<uint32_t>(i01)) * NB;
      const float* x1 = b.panel + static_cast<int64_t>(i01 >> 32) * NB;
      const float* x2 = b.panel + static_cast<int64_t>(static_cast<uint32_t>(i23)) * NB;
      const float* x3 = b.panel + static_cast<int64_t>(i23 >> 32) * NB;
      const __m256 w4 = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(g.values + t));
      const __m256 w0 = _mm256_permute_ps(w4, 0x00);
      const __m256 w1 = _mm256_permute_ps(w4, 0x55);
      const __m256 w2 = _mm256_permute_ps(w4, 0xAA);
      const __m256 w3 = _mm256_permute_ps(w4, 0xFF);
#pragma GCC unroll 4
      for (int q = 0; q < NV; ++q) {
        a[q] = _mm256_fmadd_ps(w0, _mm256_load_ps(x0 + 8 * q), a[q]);
        c[q] = _mm256_fmadd_ps(w1, _mm256_load_ps(x1 + 8 * q), c[q]);
      }
#pragma GCC unroll 4
      for (int q = 0; q < NV; ++q) {
        a[q] = _mm256_fmadd_ps(w2, _mm256_load_ps(x2 + 8 * q), a[q]);
        c[q] = _mm256_fmadd_ps(w3, _mm256_load_ps(x3 + 8 * q), c[q]);
      }
    }
    for (; t + 1 < end; t += 2) {
      const float* x0 = b.panel + static_cast<int64_t>(g.indices[t]) * NB;
      const float* x1 = b.panel + static_cast<int64_t>(g.indices[t + 1]) * NB;
      const __m256 w0 = _mm256_broadcast_ss(g.values + t);
      const __m256 w1 = _mm256_broadcast_ss(g.values + t + 1);
#pragma GCC unroll 4
      for (int q = 0; q < NV; ++q) {
        a[q] = _mm256_fmadd_ps(w0, _mm256_load_ps(x0 + 8 * q), a[q]);
        c[q] = _mm256_fmadd_ps(w1, _mm256_load_ps(x1 + 8 * q), c[q]);
      }
    }
    if (t < end) {
      const float* x0 = b.panel + static_cast<int64_t>(g.indices[t]) * NB;
      const __m256 w0 = _mm256_broadcast_ss(g.values + t);
#pragma GCC unroll 4
      for (int q = 0; q < NV; ++q) a[q] = _mm256_fmadd_ps(w0, _mm256_load_ps(x0 + 8 * q), a[q]);
    }
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) a[q] = _mm256_add_ps(a[q], c[q]);
    spmm_store_row<NV>(g, b, i, a);
  }
}

// R x C blocks: R rows of accumulators; each X panel row is loaded once per block column.
template <int R, int C, int NV>
void bsr_rows(const SpmmArgs& g, const SpmmBlock& b) {
  constexpr int64_t NB = 8 * NV;
  for (int64_t br = b.row0; br < b.row1; ++br) {
    int64_t t;
    const int64_t end = take_blocks(b, br, &t);
    if (t == end && !b.first) continue;
    __m256 acc[R][NV];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) spmm_start_row<NV>(g, b, br * R + r, acc[r]);
    for (; t < end; ++t) {
      const float* v = g.values + t * (R * C);
      const float* xb = b.panel + static_cast<int64_t>(g.indices[t]) * (C * NB);
#pragma GCC unroll 8
      for (int cc = 0; cc < C; ++cc) {
        __m256 x[NV];
#pragma GCC unroll 4
        for (int q = 0; q < NV; ++q) x[q] = _mm256_load_ps(xb + cc * NB + 8 * q);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const __m256 w = _mm256_broadcast_ss(v + r * C + cc);
#pragma GCC unroll 4
          for (int q = 0; q < NV; ++q) acc[r][q] = _mm256_fmadd_ps(w, x[q], acc[r][q]);
        }
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) spmm_store_row<NV>(g, b, br * R + r, acc[r]);
  }
}

// Any r x c: the rows of a block row one at a time.
template <int NV>
void bsr_any_rows(const SpmmArgs& g, const SpmmBlock& b) {
  constexpr int64_t NB = 8 * NV;
  const int64_t r = g.r, c = g.c;
  for (int64_t br = b.row0; br < b.row1; ++br) {
    int64_t t0;
    const int64_t end = take_blocks(b, br, &t0);
    if (t0 == end && !b.first) continue;
    for (int64_t rr = 0; rr < r; ++rr) {
      __m256 acc[NV];
      spmm_start_row<NV>(g, b, br * r + rr, acc);
      for (int64_t t = t0; t < end; ++t) {
        const float* v = g.values + (t * r + rr) * c;
        const float* xb = b.panel + g.indices[t] * c * NB;
        for (int64_t cc = 0; cc < c; ++cc) {
          const __m256 w = _mm256_broadcast_ss(v + cc);
#pragma GCC unroll 4
          for (int q = 0; q < NV; ++q) acc[q] = _mm256_fmadd_ps(w, _mm256_load_ps(xb + cc * NB + 8 * q), acc[q]);
        }
      }
      spmm_store_row<NV>(g, b, br * r + rr, acc);
    }
  }
}

}  // namespace

SpmmKernel spmm_f32_bsr_avx2(int r, int c, int nv) {
  if (r == 1 && c == 1) {
    if (nv >= 3) return {"spmm_f32_csr_32_avx2", 32, csr_rows<4>};
    if (nv == 2) return {"spmm_f32_csr_16_avx2", 16, csr_rows<2>};
    return {"spmm_f32_csr_8_avx2", 8, csr_rows<1>};
  }
  if (r == 1 && c == 4) {
    if (nv >= 3) return {"spmm_f32_bsr1x4_32_avx2", 32, bsr_rows<1, 4, 4>};
    if (nv == 2) return {"spmm_f32_bsr1x4_16_avx2", 16, bsr_rows<1, 4, 2>};
    return {"spmm_f32_bsr1x4_8_avx2", 8, bsr_rows<1, 4, 1>};
  }
  if (r == 4 && c == 1) {
    if (nv >= 3) return {"spmm_f32_bsr4x1_24_avx2", 24, bsr_rows<4, 1, 3>};
    if (nv == 2) return {"spmm_f32_bsr4x1_16_avx2", 16, bsr_rows<4, 1, 2>};
    return {"spmm_f32_bsr4x1_8_avx2", 8, bsr_rows<4, 1, 1>};
  }
  if (r == 4 && c == 4) {
    if (nv >= 3) return {"spmm_f32_bsr4x4_24_avx2", 24, bsr_rows<4, 4, 3>};
    if (nv == 2) return {"spmm_f32_bsr4x4_16_avx2", 16, bsr_rows<4, 4, 2>};
    return {"spmm_f32_bsr4x4_8_avx2", 8, bsr_rows<4, 4, 1>};
  }
  if (r == 8 && c == 1) return {"spmm_f32_bsr8x1_8_avx2", 8, bsr_rows<8, 1, 1>};
  if (nv >= 3) return {"spmm_f32_bsr_any_32_avx2", 32, bsr_any_rows<4>};
  if (nv == 2) return {"spmm_f32_bsr_any_16_avx2", 16, bsr_any_rows<2>};
  return {"spmm_f32_bsr_any_8_avx2", 8, bsr_any_rows<1>};
}

}  // namespace pk
