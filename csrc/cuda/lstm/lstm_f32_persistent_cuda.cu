// LSTM recurrence in one persistent kernel, W_hh on chip (no projection, small H).
//
// The grid is cooperative (all blocks co-resident) and lives for the whole sequence. Block
// j owns U hidden units [jU, jU + U): their 4U rows of W_hh (gates i, f, g, o) are loaded
// once into shared memory (row pitch H + 1 floats: the warp's 32 rows hit 32 banks) and
// stay there for all T steps, so a step reads only h (B x H floats, from L2) instead of
// W_hh. A step: stage 8 batch rows of h in shared memory; thread (row, part) of 256 dots
// its W_hh row's k slice with the 8 rows (8 accumulators, h reads are broadcasts); the
// partial sums are added per (unit, row) together with the input projection and the
// state update runs in the same block (c stays with its unit); the new h goes to a
// double buffer in global memory and one grid-wide barrier separates the steps. Per step
// that is one barrier instead of a GEMM launch, a pointwise launch and a W_hh reread.
#include <cooperative_groups.h>

#include <algorithm>

#include "cuda/common/device_matrix.h"
#include "cuda/lstm/lstm.h"
#include "cuda/lstm/lstm_cell.cuh"

namespace cg = cooperative_groups;

namespace pk::cuda {

namespace {

constexpr int THREADS = 256, BCHUNK = 8;

__host__ __device__ inline int64_t smem_floats(int units, int64_t hidden) {
  const int rows = 4 * units, splits = THREADS / rows;
  return rows * (hidden + 1) + BCHUNK * hidden + static_cast<int64_t>(splits) * rows * BCHUNK;
}

__global__ void __launch_bounds__(THREADS) persistent_kernel(LstmArgs p, int units) {
  cg::grid_group grid = cg::this_grid();
  extern __shared__ float smem[];
  const int64_t H = p.hidden;
  const int rows = 4 * units, splits = THREADS / rows;
  const int64_t ldw = H + 1;
  float* ws = smem;
  float* hs = ws + rows * ldw;
  float* part = hs + BCHUNK * H;
  const int64_t u0 = static_cast<int64_t>(blockIdx.x) * units;
  const int mine = static_cast<int>(min(static_cast<int64_t>(units), H - u0));

  for (int64_t e = threadIdx.x; e < rows * H; e += THREADS) {
    const int lr = static_cast<int>(e / H), gate = lr / units, u = lr % units;
    const int64_t k = e % H;
    ws[lr * ldw + k] = u < mine ? p.w_hh[(gate * H + u0 + u) * H + k] : 0.f;
  }
  const int row = threadIdx.x % rows, slice = threadIdx.x / rows;
  const int64_t k_per = ceil_div(H, splits);
  const int64_t k_begin = min(H, slice * k_per), k_end = min(H, k_begin + k_per);
  __syncthreads();

  for (int64_t s = 0; s < p.steps; ++s) {
    const int64_t t = p.reverse ? p.steps - 1 - s : s;
    const float* h_prev = p.work + (s % 2) * p.batch * H;  // h double buffer
    float* h_next = p.work + ((s + 1) % 2) * p.batch * H;
    for (int64_t b0 = 0; b0 < p.batch; b0 += BCHUNK) {
      const int nb = static_cast<int>(min(static_cast<int64_t>(BCHUNK), p.batch - b0));
      for (int64_t e = threadIdx.x; e < BCHUNK * H; e += THREADS) {
        const int bb = static_cast<int>(e / H);
        hs[e] = bb < nb ? __ldcg(h_prev + (b0 + bb) * H + e % H) : 0.f;  // L2: written by other blocks
      }
      __syncthreads();
      if (slice < splits) {
        float acc[BCHUNK] = {};
        const float* wrow = ws + row * ldw;
        for (int64_t k = k_begin; k < k_end; ++k) {
          const float w = wrow[k];
#pragma unroll
          for (int bb = 0; bb < BCHUNK; ++bb) acc[bb] = fmaf(w, hs[bb * H + k], acc[bb]);
        }
#pragma unroll
        for (int bb = 0; bb < BCHUNK; ++bb) part[(slice * rows + row) * BCHUNK + bb] = acc[bb];
      }
      __syncthreads();
      for (int e = threadIdx.x; e < units * BCHUNK; e += THREADS) {
        const int u = e / BCHUNK, bb = e % BCHUNK;
        if (u >= mine || bb >= nb) continue;
        const int64_t b = b0 + bb, unit = u0 + u;
        const float* g = p.gates + t * p.g_ts + b * p.g_bs + unit;
        float pre[4];
#pragma unroll
        for (int gate = 0; gate < 4; ++gate) {
          float v = g[gate * H];
          for (int sp = 0; sp < splits; ++sp) v += part[(sp * rows + gate * units + u) * BCHUNK + bb];
          pre[gate] = v;
        }
        const bool on = lstm::active(p.lengths, b, t);
        float c = p.c_n[b * H + unit];
        const float out = on ? lstm::cell(pre[0], pre[1], pre[2], pre[3], c) : 0.f;
        const float h = on ? out : __ldcg(h_prev + b * H + unit);
        h_next[b * H + unit] = h;
        p.y[t * p.y_ts + b * p.y_bs + unit] = out;
        if (on) {
          p.c_n[b * H + unit] = c;
          p.h_n[b * H + unit] = h;
        }
      }
      __syncthreads();
    }
    grid.sync();
  }
}

}  // namespace

bool lstm_persistent_f32(const LstmArgs& p, cudaStream_t stream) {
  if (p.w_hr != nullptr) return false;
  int device = 0, cooperative = 0, sms = 0, optin = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&cooperative, cudaDevAttrCooperativeLaunch, device), "cuda lstm: device attribute");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cuda lstm: device attribute");
  check(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device), "cuda lstm: device attribute");
  if (!cooperative) return false;
  for (int units : {16, 8, 4}) {  // more units per block: fewer blocks at the barrier; fewer: fits larger H
    const size_t smem = smem_floats(units, p.hidden) * sizeof(float);
    if (smem > static_cast<size_t>(optin)) continue;
    check(cudaFuncSetAttribute(persistent_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
          "cuda lstm: shared memory limit");
    int per_sm = 0;
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, persistent_kernel, THREADS, smem),
          "cuda lstm: occupancy");
    const int64_t blocks = ceil_div(p.hidden, units);
    if (blocks > static_cast<int64_t>(per_sm) * sms) continue;
    LstmArgs args = p;
    void* params[] = {&args, &units};
    check(cudaLaunchCooperativeKernel(reinterpret_cast<const void*>(persistent_kernel), dim3(static_cast<unsigned>(blocks)),
                                      dim3(THREADS), params, smem, stream),
          "cuda lstm (persistent)");
    return true;
  }
  return false;
}

}  // namespace pk::cuda
