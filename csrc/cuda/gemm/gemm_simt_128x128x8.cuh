// Exact float32 GEMM on the CUDA cores (FP32 FMA, no TF32 rounding): the numerics of the
// CPU kernels and of torch with allow_tf32=False. Instantiated by gemm_f32_128x128x8_simt_cuda.cu
// (plain matrices) and conv2d_f32_nhwc_128x128x8_simt_cuda.cu (implicit im2col, operands.cuh).
//
// Tile: 256 threads compute a 128 x 128 tile of C, each thread an 8 x 8 register tile:
// rows {ty*4 .. ty*4+3} and {64+ty*4 ..}, columns likewise with tx (ty, tx = tid / 16,
// tid % 16), so each k step reads two float4 of A and two of B from shared memory (a
// half-warp reads the same A vector: broadcast) for 64 FMAs. K advances 8 at a time,
// double-buffered: the next tile's global loads are in registers while this one is
// multiplied, one barrier per step.
// Loads: operands are sources (operands.cuh) read element by element: plain matrices
// with their own strides (any layout, negative too) or a convolution's im2col; each
// operand's thread-to-element map walks its unit-stride dimension across consecutive
// threads, so a warp's loads coalesce for row- and column-major operands alike. Tiles
// are stored to shared memory k-major (As[k][m], Bs[k][n]) with 4 floats of padding;
// a warp's stores hit 32 distinct banks.
#pragma once

#include <stdexcept>

#include "cuda/common/epilogue.cuh"
#include "cuda/gemm/gemm.h"
#include "cuda/gemm/operands.cuh"

namespace pk::cuda::simt_gemm {

constexpr int BM = 128, BN = 128, BK = 8, THREADS = 256, LOADS = BM * BK / THREADS;  // 4 per operand
constexpr int PAD = 4;

// The (row-or-column, k) coordinates of load number t of this thread.
__device__ __forceinline__ void load_coords(int t, bool kfast, int& outer, int& k) {
  const int e = threadIdx.x + t * THREADS;
  if (kfast) {
    outer = e / BK;
    k = e % BK;
  } else {
    outer = e % BM;
    k = e / BM;
  }
}

// Grid z: groups of a grouped convolution (columns [z n, z n + n) of c), 1 for a GEMM.
template <class ASrc, class BSrc>
__global__ void __launch_bounds__(THREADS) sgemm_kernel(GemmArgs p, ASrc a_all, BSrc b_all, bool a_kfast,
                                                        bool b_kfast) {
  __shared__ __align__(16) float As[2][BK][BM + PAD];
  __shared__ __align__(16) float Bs[2][BK][BN + PAD];
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * BM, n0 = static_cast<int64_t>(blockIdx.y) * BN;
  const ASrc a = a_all.group(blockIdx.z);
  const BSrc b = b_all.group(blockIdx.z);
  const int64_t group_col = static_cast<int64_t>(blockIdx.z) * p.n;
  const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
  float ra[LOADS], rb[LOADS];

  auto load = [&](int64_t k0) {
#pragma unroll
    for (int t = 0; t < LOADS; ++t) {
      int r, k;
      load_coords(t, a_kfast, r, k);
      ra[t] = a.at(m0 + r, k0 + k);
      load_coords(t, b_kfast, r, k);
      rb[t] = b.at(n0 + r, k0 + k);
    }
  };
  auto store = [&](int buf) {
#pragma unroll
    for (int t = 0; t < LOADS; ++t) {
      int r, k;
      load_coords(t, a_kfast, r, k);
      As[buf][k][r] = ra[t];
      load_coords(t, b_kfast, r, k);
      Bs[buf][k][r] = rb[t];
    }
  };

  float acc[8][8] = {};
  const int64_t ktiles = ceil_div(p.k, BK);
  if (ktiles > 0) {
    load(0);
    store(0);
  }
  __syncthreads();
  for (int64_t kt = 0; kt < ktiles; ++kt) {
    const int buf = static_cast<int>(kt % 2);
    if (kt + 1 < ktiles) load((kt + 1) * BK);
#pragma unroll
    for (int k = 0; k < BK; ++k) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[buf][k][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[buf][k][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][k][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][k][64 + tx * 4]);
      const float av[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    if (kt + 1 < ktiles) store(1 - buf);
    __syncthreads();
  }

  const float* bias = static_cast<const float*>(p.bias);
  const Epilogue<float> epilogue{p.bias_mode == kBiasCol ? bias + group_col : bias, p.bias_mode, nullptr, nullptr,
                                 p.activation, p.accumulate};
  float* c = static_cast<float*>(p.c) + group_col;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int64_t gi = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
    if (gi >= p.m) continue;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int64_t gj = n0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + j - 4);
      if (gj >= p.n) continue;
      float* dst = c + gi * p.c_rs + gj;
      *dst = epilogue(acc[i][j], gi, gj, p.accumulate ? *dst : 0.f);
    }
  }
}

// a_kfast / b_kfast: whether k is the unit-stride dimension of a / b (picks the load map).
template <class ASrc, class BSrc>
void launch(const GemmArgs& p, const ASrc& a, const BSrc& b, bool a_kfast, bool b_kfast, int groups,
            cudaStream_t stream) {
  if (p.m == 0 || p.n == 0 || groups == 0) return;
  const int64_t grid_n = ceil_div(p.n, BN);
  if (grid_n > 65535 || groups > 65535)
    throw std::invalid_argument("cuda gemm: n is too large (more than 65535 column tiles or groups)");
  const dim3 grid(static_cast<unsigned>(ceil_div(p.m, BM)), static_cast<unsigned>(grid_n),
                  static_cast<unsigned>(groups));
  sgemm_kernel<<<grid, THREADS, 0, stream>>>(p, a, b, a_kfast, b_kfast);
  check_launch("cuda gemm (f32 simt)");
}

}  // namespace pk::cuda::simt_gemm
