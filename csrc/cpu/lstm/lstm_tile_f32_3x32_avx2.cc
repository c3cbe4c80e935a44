// Fused LSTM step tile, AVX2 + FMA: up to 3 batch rows x 32 gate columns (i f g o for 8
// hidden units), the recurrent GEMV and the gate math in one pass.
//
// Layout: W_hh packed per block of 8 units as k rows of 32 floats (lstm_tile.h), read
// with unit stride; h_prev rows read in place (one broadcast per row and k).
// Tile: 3 rows x 4 gates = 12 ymm accumulators (the input projection, prefetched at the
// start of the last k chunk, is added at the end; earlier chunks leave partial sums);
// per k, 4 loads of W and 3 broadcasts feed 12 FMAs (the 6x16 GEMM microkernel's ratio).
// One row alone runs two accumulator sets over even and odd k, so 8 FMA chains hide
// the FMA latency in the batch-1 latency regime.
// Why fast: the gate pre-activations never leave registers; sigmoid and tanh are the
// inlined vector polynomials of vmath_f32_avx2.h; c and h are written once, masked for
// the last partial block.
#include <immintrin.h>

#include "cpu/activation/vmath_f32_avx2.h"
#include "cpu/lstm/lstm_tile.h"

namespace pk {
namespace {

__m256i tail_mask(int units) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(units), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

__m256 load(const float* p, bool full, __m256i mask) { return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask); }

void store(float* p, __m256 v, bool full, __m256i mask) {
  if (full) {
    _mm256_storeu_ps(p, v);
  } else {
    _mm256_maskstore_ps(p, mask, v);
  }
}

// The four gate pre-activations of one row (8 units each).
struct Gates {
  __m256 i, f, g, o;
};

// a += h * W_p for one row and one k: four FMAs against the four gate vectors.
void fma_row(Gates& a, __m256 h, __m256 wi, __m256 wf, __m256 wg, __m256 wo) {
  a.i = _mm256_fmadd_ps(h, wi, a.i);
  a.f = _mm256_fmadd_ps(h, wf, a.f);
  a.g = _mm256_fmadd_ps(h, wg, a.g);
  a.o = _mm256_fmadd_ps(h, wo, a.o);
}

// The recurrent GEMV of up to 3 rows against the packed block, added to the gates.
// The accumulators are local copies: __m256 may alias any float, so accumulating
// through the references would store all 12 to memory after every FMA.
template <int ROWS>
void recurrent_product(int64_t k, const float* w, const LstmTileRows& r, Gates& g0, Gates& g1, Gates& g2) {
  Gates a0 = g0, a1 = g1, a2 = g2;
  const float* h0 = r.h[0];
  const float* h1 = ROWS > 1 ? r.h[1] : h0;
  const float* h2 = ROWS > 2 ? r.h[2] : h0;
  int64_t p = 0;
  if constexpr (ROWS == 1) {  // second accumulator set over odd k: 8 independent FMA chains
    const __m256 zero = _mm256_setzero_ps();
    Gates odd{zero, zero, zero, zero};
    for (; p + 2 <= k; p += 2) {
      const float* wp = w + p * 32;
      fma_row(a0, _mm256_broadcast_ss(h0 + p), _mm256_load_ps(wp), _mm256_load_ps(wp + 8), _mm256_load_ps(wp + 16),
              _mm256_load_ps(wp + 24));
      fma_row(odd, _mm256_broadcast_ss(h0 + p + 1), _mm256_load_ps(wp + 32), _mm256_load_ps(wp + 40),
              _mm256_load_ps(wp + 48), _mm256_load_ps(wp + 56));
    }
    a0 = Gates{_mm256_add_ps(a0.i, odd.i), _mm256_add_ps(a0.f, odd.f), _mm256_add_ps(a0.g, odd.g),
               _mm256_add_ps(a0.o, odd.o)};
  }
  for (; p < k; ++p) {
    const float* wp = w + p * 32;
    const __m256 wi = _mm256_load_ps(wp), wf = _mm256_load_ps(wp + 8);
    const __m256 wg = _mm256_load_ps(wp + 16), wo = _mm256_load_ps(wp + 24);
    fma_row(a0, _mm256_broadcast_ss(h0 + p), wi, wf, wg, wo);
    if constexpr (ROWS > 1) fma_row(a1, _mm256_broadcast_ss(h1 + p), wi, wf, wg, wo);
    if constexpr (ROWS > 2) fma_row(a2, _mm256_broadcast_ss(h2 + p), wi, wf, wg, wo);
  }
  g0 = a0, g1 = a1, g2 = a2;
}

void add_gates(Gates& a, const float* x, int64_t gs, bool full, __m256i mask) {
  a.i = _mm256_add_ps(a.i, load(x, full, mask));
  a.f = _mm256_add_ps(a.f, load(x + gs, full, mask));
  a.g = _mm256_add_ps(a.g, load(x + 2 * gs, full, mask));
  a.o = _mm256_add_ps(a.o, load(x + 3 * gs, full, mask));
}

// c = sigmoid(f) c + sigmoid(i) tanh(g); h = sigmoid(o) tanh(c), stored for row i.
void update_row(const Gates& a, const LstmTileRows& r, int i, bool full, __m256i mask) {
  const __m256 in = sigmoid_avx2(a.i), forget = sigmoid_avx2(a.f);
  const __m256 cand = tanh_avx2(a.g), out = sigmoid_avx2(a.o);
  const __m256 c = _mm256_fmadd_ps(forget, load(r.c[i], full, mask), _mm256_mul_ps(in, cand));
  const __m256 h = _mm256_mul_ps(out, tanh_avx2(c));
  store(r.c[i], c, full, mask);
  store(r.out[i], h, full, mask);
  if (r.out2[i]) store(r.out2[i], h, full, mask);
}

Gates load_partial(const float* p) {
  return Gates{_mm256_load_ps(p), _mm256_load_ps(p + 8), _mm256_load_ps(p + 16), _mm256_load_ps(p + 24)};
}

void store_partial(float* p, const Gates& a) {
  _mm256_store_ps(p, a.i), _mm256_store_ps(p + 8, a.f), _mm256_store_ps(p + 16, a.g), _mm256_store_ps(p + 24, a.o);
}

template <int ROWS>
void tile(int units, int64_t k, const float* w, int64_t gs, const LstmTileRows& r, LstmChunk chunk) {
  const bool full = units == kLstmBlockUnits;
  const __m256i mask = tail_mask(units);
  // The input gates are usually far from cache (written by the projection GEMM long
  // before): prefetch them now and add them after the product, not before it.
  if (chunk.last) {
    for (int i = 0; i < ROWS; ++i) {
      for (int g = 0; g < 4; ++g) _mm_prefetch(reinterpret_cast<const char*>(r.x[i] + g * gs), _MM_HINT_T0);
    }
  }
  const __m256 zero = _mm256_setzero_ps();
  Gates a0{zero, zero, zero, zero}, a1 = a0, a2 = a0;
  if (!chunk.first) {
    a0 = load_partial(r.partial[0]);
    if constexpr (ROWS > 1) a1 = load_partial(r.partial[1]);
    if constexpr (ROWS > 2) a2 = load_partial(r.partial[2]);
  }
  recurrent_product<ROWS>(k, w, r, a0, a1, a2);
  if (!chunk.last) {
    store_partial(r.partial[0], a0);
    if constexpr (ROWS > 1) store_partial(r.partial[1], a1);
    if constexpr (ROWS > 2) store_partial(r.partial[2], a2);
    return;
  }
  add_gates(a0, r.x[0], gs, full, mask);
  if constexpr (ROWS > 1) add_gates(a1, r.x[1], gs, full, mask);
  if constexpr (ROWS > 2) add_gates(a2, r.x[2], gs, full, mask);
  update_row(a0, r, 0, full, mask);
  if constexpr (ROWS > 1) update_row(a1, r, 1, full, mask);
  if constexpr (ROWS > 2) update_row(a2, r, 2, full, mask);
}

}  // namespace

void lstm_tile_f32_3x32_avx2(int rows, int units, int64_t k, const float* w_block, int64_t gate_stride,
                             const LstmTileRows& r, LstmChunk chunk) {
  switch (rows) {
    case 1: return tile<1>(units, k, w_block, gate_stride, r, chunk);
    case 2: return tile<2>(units, k, w_block, gate_stride, r, chunk);
    default: return tile<3>(units, k, w_block, gate_stride, r, chunk);
  }
}

}  // namespace pk
