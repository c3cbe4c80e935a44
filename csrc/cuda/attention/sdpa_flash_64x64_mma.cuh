// Flash attention forward (FlashAttention-2's schedule) on mma.sync m16n8k16, instantiated
// for f16 and bf16 by sdpa_{f16,bf16}_64x64_mma_cuda.cu; float32 accumulation and softmax.
//
// Tile: a block of 4 warps owns 64 query rows of one (batch, head), warp w rows 16w..16w+15,
// and walks the keys 64 at a time. Per key tile each warp computes S = Q K^T (16 x 64)
// into registers, updates its rows' running max and sum (the online softmax, in the exp2
// domain; a row's 64 scores are spread over the 4 lanes of a quad, reduced by two
// shuffles), rescales its O accumulators (16 x P) and adds P V, where P is the
// probabilities repacked as A fragments straight from the S accumulators (the m16n8k16 C
// and A layouts line up, mma_sm80.cuh): S and P never touch shared memory.
// Pipeline: K/V tiles are double-buffered with cp.async, so tile j+1 loads while tile j
// is multiplied. Causal: key tiles right of the diagonal are never loaded or computed,
// and only tiles that cross it (or the end of the keys, or carry a mask) are masked.
// Shared memory: Q (64 x P), K and V (2 x 64 x P each) of 16-bit elements, the 16-byte
// chunks of row r XOR-swizzled by r % 8 so ldmatrix's 8-row reads hit distinct banks.
// P (64 or 128) is the head dimension rounded up; the padding is zero-filled.
#pragma once

#include <cmath>
#include <stdexcept>

#include "cuda/attention/sdpa.h"
#include "cuda/common/async_copy.cuh"
#include "cuda/common/device_matrix.h"
#include "cuda/common/epilogue.cuh"
#include "cuda/common/mma_sm80.cuh"

namespace pk::cuda::flash {

constexpr int BQ = 64, BKV = 64, WARPS = 4, THREADS = WARPS * 32;
constexpr float LOG2E = 1.4426950408889634f;

// Offset of element (row, col) in a swizzled tile of P columns.
template <int P>
__device__ __forceinline__ int swz(int row, int col) {
  return row * P + (((col >> 3) ^ (row & 7)) << 3) + (col & 7);
}

// Stage rows [row0, row0 + 64) x columns [0, P) of a (rows x cols) matrix with row stride
// rs into a swizzled tile; rows >= rows and columns >= cols are zero.
template <typename T, int P>
__device__ __forceinline__ void load_tile(T* tile, const T* g, int64_t rs, int64_t row0, int64_t rows, int64_t cols,
                                          bool vec) {
  constexpr int CHUNKS = P / 8;
  for (int c = threadIdx.x; c < 64 * CHUNKS; c += THREADS) {
    const int r = c / CHUNKS, col = (c % CHUNKS) * 8;
    const int64_t gr = row0 + r;
    T* dst = tile + swz<P>(r, col);
    const T* src = g + gr * rs + col;
    if (vec && gr < rows && col + 8 <= cols) {
      cp_async_16(dst, src);
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) dst[e] = (gr < rows && col + e < cols) ? src[e] : from_float<T>(0.f);
    }
  }
}

// The log2-domain score of (row, key) after masks: x, or -inf where the key is not attended.
template <typename T>
__device__ __forceinline__ float masked(const SdpaArgs& p, float x, int64_t row, int64_t key, int64_t mask_base) {
  if (key >= p.nk || row >= p.nq || (p.causal && key > row)) return -INFINITY;
  if (p.mask_kind == kMaskNone) return x;
  const int64_t at = mask_base + row * p.m_rs + key * p.m_cs;
  switch (p.mask_kind) {
    case kMaskBool: return static_cast<const unsigned char*>(p.mask)[at] ? x : -INFINITY;
    case kMaskF32: return x + static_cast<const float*>(p.mask)[at] * LOG2E;
    default: return x + to_float(static_cast<const T*>(p.mask)[at]) * LOG2E;
  }
}

template <typename T, int P>
__global__ void __launch_bounds__(THREADS) sdpa_kernel(SdpaArgs p, bool vec) {
  constexpr int KB = P / 16;   // k steps of Q K^T (over the head dim)
  constexpr int SN = BKV / 8;  // n-blocks of S (8 keys each)
  constexpr int ON = P / 8;    // n-blocks of O (8 output columns each)
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* qs = reinterpret_cast<T*>(smem_raw);
  T* ks = qs + BQ * P;  // 2 stages
  T* vs = ks + 2 * BKV * P;

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const int64_t b = blockIdx.z, h = blockIdx.y, q0 = static_cast<int64_t>(blockIdx.x) * BQ;
  const int64_t hk = h / (p.heads / p.kv_heads);
  const T* qg = static_cast<const T*>(p.q) + b * p.q_bs + h * p.q_hs;
  const T* kg = static_cast<const T*>(p.k) + b * p.k_bs + hk * p.k_hs;
  const T* vg = static_cast<const T*>(p.v) + b * p.v_bs + hk * p.v_hs;
  const int64_t mask_base = b * p.m_bs + h * p.m_hs;
  const int64_t kv_end = p.causal ? min(p.nk, q0 + BQ) : p.nk;  // keys any row of this block attends
  const int64_t tiles = ceil_div(kv_end, BKV);

  load_tile<T, P>(qs, qg, p.q_rs, q0, p.nq, p.d, vec);
  if (tiles > 0) {
    load_tile<T, P>(ks, kg, p.k_rs, 0, p.nk, p.d, vec);
    load_tile<T, P>(vs, vg, p.v_rs, 0, p.nk, p.dv, vec);
  }
  cp_async_commit();

  unsigned qf[KB][4];
  float o[ON][4];
#pragma unroll
  for (int n = 0; n < ON; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  float row_max[2] = {-INFINITY, -INFINITY}, row_sum[2] = {0.f, 0.f};  // rows g and g + 8 of the warp
  const float scale = p.scale * LOG2E;
  const int64_t row_lo = q0 + warp * 16 + g, row_hi = row_lo + 8;

  for (int64_t j = 0; j < tiles; ++j) {
    const int stage = static_cast<int>(j % 2);
    if (j + 1 < tiles) {
      const int next = 1 - stage;
      load_tile<T, P>(ks + next * BKV * P, kg, p.k_rs, (j + 1) * BKV, p.nk, p.d, vec);
      load_tile<T, P>(vs + next * BKV * P, vg, p.v_rs, (j + 1) * BKV, p.nk, p.dv, vec);
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    if (j == 0) {
#pragma unroll
      for (int kk = 0; kk < KB; ++kk) ldmatrix_x4(qf[kk], qs + swz<P>(warp * 16 + lane % 16, kk * 16 + (lane / 16) * 8));
    }
    const T* kt = ks + stage * BKV * P;
    const T* vt = vs + stage * BKV * P;

    float s[SN][4];
#pragma unroll
    for (int n = 0; n < SN; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < KB; ++kk) {
#pragma unroll
      for (int n2 = 0; n2 < SN / 2; ++n2) {
        unsigned r[4];
        ldmatrix_x4(r, kt + swz<P>(n2 * 16 + (lane / 16) * 8 + lane % 8, kk * 16 + ((lane / 8) % 2) * 8));
        mma_16816<T>(s[2 * n2], qf[kk], r[0], r[1]);
        mma_16816<T>(s[2 * n2 + 1], qf[kk], r[2], r[3]);
      }
    }

    const int64_t kv0 = j * BKV;
    const bool check = kv0 + BKV > p.nk || (p.causal && kv0 + BKV - 1 > q0) || p.mask_kind != kMaskNone ||
                       q0 + BQ > p.nq;
    float tile_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int n = 0; n < SN; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float x = s[n][e] * scale;
        if (check) x = masked<T>(p, x, e < 2 ? row_lo : row_hi, kv0 + n * 8 + 2 * t + (e & 1), mask_base);
        s[n][e] = x;
        tile_max[e / 2] = fmaxf(tile_max[e / 2], x);
      }
    }
    float alpha[2], base[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 1));
      tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 2));
      const float new_max = fmaxf(row_max[r], tile_max[r]);
      base[r] = new_max == -INFINITY ? 0.f : new_max;  // a row with nothing attended yet: exp2(-inf) = 0
      alpha[r] = exp2f(row_max[r] - base[r]);
      row_max[r] = new_max;
      row_sum[r] *= alpha[r];
    }
#pragma unroll
    for (int n = 0; n < SN; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[n][e] = exp2f(s[n][e] - base[e / 2]);
        row_sum[e / 2] += s[n][e];
      }
    }
#pragma unroll
    for (int n = 0; n < ON; ++n) {
      o[n][0] *= alpha[0];
      o[n][1] *= alpha[0];
      o[n][2] *= alpha[1];
      o[n][3] *= alpha[1];
    }
#pragma unroll
    for (int kk = 0; kk < BKV / 16; ++kk) {
      const unsigned a[4] = {pack2<T>(s[2 * kk][0], s[2 * kk][1]), pack2<T>(s[2 * kk][2], s[2 * kk][3]),
                             pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                             pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
      for (int n2 = 0; n2 < ON / 2; ++n2) {
        unsigned r[4];
        ldmatrix_x4_trans(r, vt + swz<P>(kk * 16 + lane % 8 + ((lane / 8) % 2) * 8, n2 * 16 + (lane / 16) * 8));
        mma_16816<T>(o[2 * n2], a, r[0], r[1]);
        mma_16816<T>(o[2 * n2 + 1], a, r[2], r[3]);
      }
    }
    __syncthreads();  // this stage is reloaded two tiles from now
  }

  T* out = static_cast<T*>(p.out) + ((b * p.heads + h) * p.nq) * p.dv;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 1);
    row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 2);
    const int64_t row = r == 0 ? row_lo : row_hi;
    if (row >= p.nq) continue;
    const float inv = row_sum[r] > 0.f ? 1.f / row_sum[r] : 0.f;
#pragma unroll
    for (int n = 0; n < ON; ++n) {
      const int64_t col = n * 8 + 2 * t;
      if (col < p.dv) out[row * p.dv + col] = from_float<T>(o[n][2 * r] * inv);
      if (col + 1 < p.dv) out[row * p.dv + col + 1] = from_float<T>(o[n][2 * r + 1] * inv);
    }
  }
}

template <typename T, int P>
void launch_padded(const SdpaArgs& p, bool vec, cudaStream_t stream) {
  const size_t smem = static_cast<size_t>(BQ + 4 * BKV) * P * sizeof(T);
  auto kernel = sdpa_kernel<T, P>;
  check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
        "cuda sdpa: shared memory limit");
  const dim3 grid(static_cast<unsigned>(ceil_div(p.nq, BQ)), static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  kernel<<<grid, THREADS, smem, stream>>>(p, vec);
  check_launch("cuda sdpa (flash, mma)");
}

inline bool aligned16(const void* ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 == 0; }

template <typename T>
void launch(const SdpaArgs& p, cudaStream_t stream) {
  if (p.batch == 0 || p.heads == 0 || p.nq == 0 || p.dv == 0) return;
  if (p.d > kSdpaMaxHeadDim || p.dv > kSdpaMaxHeadDim)
    throw std::invalid_argument("cuda sdpa: head dims above 128 are not supported");
  if (p.heads > 65535 || p.batch > 65535) throw std::invalid_argument("cuda sdpa: more than 65535 heads or batches");
  // 16-byte copies need every row start 16-byte aligned: base addresses and all strides.
  const bool vec = aligned16(p.q) && aligned16(p.k) && aligned16(p.v) && (p.q_bs | p.q_hs | p.q_rs) % 8 == 0 &&
                   (p.k_bs | p.k_hs | p.k_rs) % 8 == 0 && (p.v_bs | p.v_hs | p.v_rs) % 8 == 0;
  if (p.d <= 64 && p.dv <= 64)
    launch_padded<T, 64>(p, vec, stream);
  else
    launch_padded<T, 128>(p, vec, stream);
}

}  // namespace pk::cuda::flash
