// Tensor-core GEMM (WMMA, sm_80+), instantiated once per input type by
// gemm_{f16,bf16,tf32,s8s32}_128x128_wmma_cuda.cu:
//   c = epilogue(a @ b), accumulated in float32 (int32 for int8).
//
// Tile: a block of 256 threads computes a 128 x 128 tile of C; its 8 warps (2 x 4) each
// own 64 x 32 = 4 x 2 accumulator fragments of 16 x 16. K advances 64 bytes per stage
// (32 f16/bf16, 16 tf32, 64 int8) through a STAGES-deep cp.async pipeline, so the loads
// of the next tiles overlap the tensor-core math on this one.
//
// Shared-memory layouts (pitches in bytes, all fragment pointers 32-byte aligned as WMMA
// requires, and 8 consecutive rows land on distinct banks for the fragment loads):
//   K-major tile (A always; B when its k stride is 1, e.g. b = w.T; int8 B always):
//     GROUPS blocks of FK columns; inside a block, row r at r * 48 bytes.
//   N-major tile (B when its n stride is 1): row k at k * (BN * size + 16) bytes.
// Loads: operands are sources (operands.cuh: plain strided matrices, or the implicit
// im2col matrix and weights of a convolution); 16-byte cp.async when the chunk is
// contiguous, aligned and inside, else element by element with zero fill (edges, odd
// strides, transposed or negative-stride views, padding taps), so any strides are correct.
// Epilogue: each warp spills one fragment at a time to shared memory (fragment element
// order is opaque) and its 32 lanes finish 8 elements each.
#pragma once

#include <mma.h>

#include <type_traits>

#include "cuda/common/async_copy.cuh"
#include "cuda/common/epilogue.cuh"
#include "cuda/gemm/gemm.h"
#include "cuda/gemm/operands.cuh"

namespace pk::cuda::wmma_gemm {

namespace wmma = nvcuda::wmma;

constexpr int BM = 128, BN = 128, THREADS = 256;
constexpr int WARPS_M = 2, WARPS_N = 4;
constexpr int WM = BM / WARPS_M, WN = BN / WARPS_N;  // 64 x 32 per warp
constexpr int FRAG = 16;                              // fragment rows and columns
constexpr int FM = WM / FRAG, FN = WN / FRAG;          // 4 x 2 fragments per warp
constexpr int KBYTES = 64;                            // bytes of K per pipeline stage
constexpr int KMAJOR_PITCH = 48;                      // bytes per row inside a K-major group

// In: element type in memory; Frag: WMMA operand type (precision::tf32 for float in);
// Acc: accumulator; Out: output element; Bias: bias element; FK: fragment K.
template <typename In_, typename Frag_, typename Acc_, typename Out_, typename Bias_, int FK_, int STAGES_>
struct Config {
  using In = In_;
  using Frag = Frag_;
  using Acc = Acc_;
  using Out = Out_;
  using Bias = Bias_;
  static constexpr int FK = FK_;
  static constexpr int STAGES = STAGES_;
  static constexpr int E = 16 / sizeof(In);              // elements per 16-byte chunk
  static constexpr int BK = KBYTES / sizeof(In);         // K per stage
  static constexpr int LDK = KMAJOR_PITCH / sizeof(In);  // K-major row pitch, elements
  static constexpr int LDN = BN + 16 / sizeof(In);       // N-major row pitch, elements
  static constexpr int KMAJOR_TILE = (BK / FK) * BM * LDK;
  static constexpr int NMAJOR_TILE = BK * LDN;
  static_assert(FK * sizeof(In) <= KMAJOR_PITCH && BK % FK == 0 && FK % E == 0, "tile shape");
};

// Stage a 128 x BK tile stored K-major in shared memory: rows row0.. and k k0.. of src
// (operands.cuh), zero outside the matrix.
template <class C, class Src>
__device__ __forceinline__ void load_kmajor(typename C::In* tile, const Src& src, int64_t row0, int64_t k0) {
  constexpr int CHUNKS_PER_ROW = C::BK / C::E;
  for (int c = threadIdx.x; c < BM * CHUNKS_PER_ROW; c += THREADS) {
    const int r = c / CHUNKS_PER_ROW, kc = (c % CHUNKS_PER_ROW) * C::E;
    src.template stage<C::E>(tile + (kc / C::FK) * (BM * C::LDK) + r * C::LDK + kc % C::FK, row0 + r, k0 + kc);
  }
}

// Stage a BK x 128 tile of B stored N-major: b's element (k, n) is (row n, k) of `b`;
// b.vec here means unit n stride (16-byte chunks run along n).
template <class C>
__device__ __forceinline__ void load_nmajor(typename C::In* tile, const StridedOperand<typename C::In>& b,
                                            int64_t n0, int64_t k0) {
  constexpr int CHUNKS_PER_ROW = BN / C::E;
  for (int c = threadIdx.x; c < C::BK * CHUNKS_PER_ROW; c += THREADS) {
    const int r = c / CHUNKS_PER_ROW, nc = (c % CHUNKS_PER_ROW) * C::E;
    typename C::In* dst = tile + r * C::LDN + nc;
    const int64_t k = k0 + r, n = n0 + nc;
    if (b.vec && k < b.k && n + C::E <= b.rows) {
      cp_async_16(dst, b.ptr + k * b.cs + n);
    } else {
      for (int e = 0; e < C::E; ++e) dst[e] = b.at(n + e, k);
    }
  }
}

// Grid z: the groups of a grouped convolution, group z being columns [z n, z n + n) of c
// (and of a column bias); plain GEMMs have one.
template <class C, bool B_KMAJOR, class ASrc, class BSrc>
__global__ void __launch_bounds__(THREADS) gemm_kernel(GemmArgs p, ASrc a_all, BSrc b_all) {
  using In = typename C::In;
  using Acc = typename C::Acc;
  using Out = typename C::Out;
  using BLayout = std::conditional_t<B_KMAJOR, wmma::col_major, wmma::row_major>;
  constexpr int A_TILE = C::KMAJOR_TILE;
  constexpr int B_TILE = B_KMAJOR ? C::KMAJOR_TILE : C::NMAJOR_TILE;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  In* smem = reinterpret_cast<In*>(smem_raw);

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wm = warp / WARPS_N, wn = warp % WARPS_N;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * BM, n0 = static_cast<int64_t>(blockIdx.y) * BN;
  const ASrc a = a_all.group(blockIdx.z);
  const BSrc b = b_all.group(blockIdx.z);
  const int64_t group_col = static_cast<int64_t>(blockIdx.z) * p.n;
  const int64_t ktiles = ceil_div(p.k, C::BK);

  auto load_stage = [&](int stage, int64_t kt) {
    In* as = smem + stage * (A_TILE + B_TILE);
    const int64_t k0 = kt * C::BK;
    load_kmajor<C>(as, a, m0, k0);
    if constexpr (B_KMAJOR)
      load_kmajor<C>(as + A_TILE, b, n0, k0);
    else
      load_nmajor<C>(as + A_TILE, b, n0, k0);
  };

  wmma::fragment<wmma::accumulator, FRAG, FRAG, C::FK, Acc> acc[FM][FN];
#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], static_cast<Acc>(0));

  for (int s = 0; s < C::STAGES - 1; ++s) {
    if (s < ktiles) load_stage(s, s);
    cp_async_commit();
  }
  for (int64_t kt = 0; kt < ktiles; ++kt) {
    cp_async_wait<C::STAGES - 2>();  // tile kt has landed (this thread's copies) ...
    __syncthreads();                 // ... everyone's, and stage (kt - 1) is free again
    const int64_t next = kt + C::STAGES - 1;
    if (next < ktiles) load_stage(static_cast<int>(next % C::STAGES), next);
    cp_async_commit();

    const In* as = smem + (kt % C::STAGES) * (A_TILE + B_TILE);
    const In* bs = as + A_TILE;
#pragma unroll
    for (int kk = 0; kk < C::BK; kk += C::FK) {
      wmma::fragment<wmma::matrix_a, FRAG, FRAG, C::FK, typename C::Frag, wmma::row_major> af[FM];
      wmma::fragment<wmma::matrix_b, FRAG, FRAG, C::FK, typename C::Frag, BLayout> bf[FN];
      const In* ag = as + (kk / C::FK) * (BM * C::LDK);
#pragma unroll
      for (int i = 0; i < FM; ++i) wmma::load_matrix_sync(af[i], ag + (wm * WM + i * FRAG) * C::LDK, C::LDK);
#pragma unroll
      for (int j = 0; j < FN; ++j) {
        if constexpr (B_KMAJOR)
          wmma::load_matrix_sync(bf[j], bs + (kk / C::FK) * (BN * C::LDK) + (wn * WN + j * FRAG) * C::LDK, C::LDK);
        else
          wmma::load_matrix_sync(bf[j], bs + kk * C::LDN + wn * WN + j * FRAG, C::LDN);
      }
      if constexpr (std::is_same_v<typename C::Frag, wmma::precision::tf32>) {
#pragma unroll
        for (int i = 0; i < FM; ++i)
          for (int t = 0; t < af[i].num_elements; ++t) af[i].x[t] = wmma::__float_to_tf32(af[i].x[t]);
#pragma unroll
        for (int j = 0; j < FN; ++j)
          for (int t = 0; t < bf[j].num_elements; ++t) bf[j].x[t] = wmma::__float_to_tf32(bf[j].x[t]);
      }
#pragma unroll
      for (int i = 0; i < FM; ++i)
#pragma unroll
        for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], af[i], bf[j], acc[i][j]);
    }
  }
  cp_async_wait<0>();
  __syncthreads();  // the pipeline's shared memory becomes the epilogue's scratch

  Acc* scratch = reinterpret_cast<Acc*>(smem_raw) + warp * FRAG * FRAG;
  Out* c = static_cast<Out*>(p.c) + group_col;
  const typename C::Bias* bias = static_cast<const typename C::Bias*>(p.bias);
  const Epilogue<typename C::Bias> epilogue{p.bias_mode == kBiasCol ? bias + group_col : bias, p.bias_mode,
                                            p.row_scale, p.col_scale, p.activation, p.accumulate};
  const int r = lane / 2, c0 = (lane % 2) * 8;  // each lane finishes 8 elements of a fragment row
#pragma unroll
  for (int i = 0; i < FM; ++i) {
#pragma unroll
    for (int j = 0; j < FN; ++j) {
      wmma::store_matrix_sync(scratch, acc[i][j], FRAG, wmma::mem_row_major);
      __syncwarp();
      const int64_t gi = m0 + wm * WM + i * FRAG + r;
      const int64_t gj0 = n0 + wn * WN + j * FRAG + c0;
      if (gi < p.m) {
        for (int t = 0; t < 8 && gj0 + t < p.n; ++t) {
          Out* dst = c + gi * p.c_rs + gj0 + t;
          const Acc v = scratch[r * FRAG + c0 + t];
          if constexpr (std::is_same_v<Out, int>) {
            *dst = p.accumulate ? *dst + v : v;
          } else {
            const float old = p.accumulate ? to_float(*dst) : 0.f;
            *dst = from_float<Out>(epilogue(static_cast<float>(v), gi, gj0 + t, old));
          }
        }
      }
      __syncwarp();
    }
  }
}

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Launches config C on operand sources a (rows m) and b (rows n, K-major when B_KMAJOR,
// else a StridedOperand read N-major), `groups` column groups of n each.
template <class C, bool B_KMAJOR, class ASrc, class BSrc>
void launch_sources(const GemmArgs& p, const ASrc& a, const BSrc& b, int groups, cudaStream_t stream) {
  if (p.m == 0 || p.n == 0 || groups == 0) return;
  const int64_t grid_n = ceil_div(p.n, BN);
  if (grid_n > 65535 || groups > 65535)
    throw std::invalid_argument("cuda gemm: n is too large (more than 65535 column tiles or groups)");
  const dim3 grid(static_cast<unsigned>(ceil_div(p.m, BM)), static_cast<unsigned>(grid_n),
                  static_cast<unsigned>(groups));
  const size_t tile = C::KMAJOR_TILE + (B_KMAJOR ? C::KMAJOR_TILE : C::NMAJOR_TILE);
  const size_t smem = C::STAGES * tile * sizeof(typename C::In);
  auto kernel = gemm_kernel<C, B_KMAJOR, ASrc, BSrc>;
  check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
        "cuda gemm: shared memory limit");
  kernel<<<grid, THREADS, smem, stream>>>(p, a, b);
  check_launch("cuda gemm (wmma)");
}

// Launches the kernel for config C on plain matrices, choosing B's shared-memory layout
// from its strides.
template <class C>
void launch(const GemmArgs& p, bool force_b_kmajor, cudaStream_t stream) {
  using In = typename C::In;
  constexpr int64_t size = sizeof(In);
  const bool b_kmajor = force_b_kmajor || (p.b_rs == 1 && p.n > 1) || (p.b_cs != 1 && std::abs(p.b_rs) < std::abs(p.b_cs));
  const In* a_ptr = static_cast<const In*>(p.a);
  const In* b_ptr = static_cast<const In*>(p.b);
  const StridedOperand<In> a{a_ptr, p.a_rs, p.a_cs, p.m, p.k,
                             p.a_cs == 1 && (p.a_rs * size) % 16 == 0 && aligned16(p.a)};
  if (b_kmajor) {
    const StridedOperand<In> b{b_ptr, p.b_cs, p.b_rs, p.n, p.k,
                               p.b_rs == 1 && (p.b_cs * size) % 16 == 0 && aligned16(p.b)};
    launch_sources<C, true>(p, a, b, 1, stream);
  } else {
    const StridedOperand<In> b{b_ptr, p.b_cs, p.b_rs, p.n, p.k,
                               p.b_cs == 1 && (p.b_rs * size) % 16 == 0 && aligned16(p.b)};
    launch_sources<C, false>(p, a, b, 1, stream);
  }
}

}  // namespace pk::cuda::wmma_gemm
