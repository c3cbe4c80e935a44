// CSR SpMM, float32: out[i, :] = act(sum_p data[p] * B[indices[p], :] + bias), p over row i.
//
// Tile: a block of 8 warps covers 8 rows x 128 columns; warp w owns row 8 * blockIdx.x + w
// and its lane l the columns j0 + l + 32 q (q < 4): each nonzero is one broadcast load of
// (index, value) and four coalesced 128-byte row segments of B, four FMAs per lane. Row
// split keeps every output in registers (no atomics) and reads B rows in the nonzeros'
// order, so rows shared by neighbouring A rows hit L2. Nonzeros are staged 32 at a time:
// each lane loads one (index, value) pair and the warp passes them round by shuffles.
#include "cuda/common/device_matrix.h"
#include "cuda/common/epilogue.cuh"
#include "cuda/sparse/spmm.h"

namespace pk::cuda {

namespace {

constexpr int WARPS = 8, COLS = 128, PER_LANE = COLS / 32;

__global__ void __launch_bounds__(WARPS * 32) spmm_csr_kernel(SpmmArgs p) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * WARPS + threadIdx.x / 32;
  const int64_t j0 = static_cast<int64_t>(blockIdx.y) * COLS + lane;
  if (row >= p.m) return;  // whole warps leave together: the shuffles below stay full-warp
  float acc[PER_LANE] = {};
  const int32_t begin = p.indptr[row], end = p.indptr[row + 1];
  for (int32_t base = begin; base < end; base += 32) {
    const int32_t mine = base + lane;
    const int32_t col = mine < end ? p.indices[mine] : 0;
    const float val = mine < end ? p.data[mine] : 0.f;
    const int count = min(32, end - base);
    for (int t = 0; t < count; ++t) {
      const int32_t c = __shfl_sync(0xffffffffu, col, t);
      const float v = __shfl_sync(0xffffffffu, val, t);
      const float* brow = p.b + c * p.b_rs;
#pragma unroll
      for (int q = 0; q < PER_LANE; ++q) {
        const int64_t j = j0 + 32 * q;
        if (j < p.n) acc[q] = fmaf(v, brow[j * p.b_cs], acc[q]);
      }
    }
  }
  const float row_bias = p.bias_mode == kBiasRow ? p.bias[row] : 0.f;
#pragma unroll
  for (int q = 0; q < PER_LANE; ++q) {
    const int64_t j = j0 + 32 * q;
    if (j < p.n) {
      const float v = acc[q] + (p.bias_mode == kBiasCol ? p.bias[j] : row_bias);
      p.out[row * p.out_rs + j] = activate(v, p.activation);
    }
  }
}

}  // namespace

void spmm_f32_csr(const SpmmArgs& p, cudaStream_t stream) {
  if (p.m == 0 || p.n == 0) return;
  const int64_t col_tiles = ceil_div(p.n, COLS);
  if (col_tiles > 65535) throw std::invalid_argument("cuda spmm_csr: n is too large (more than 65535 column tiles)");
  const dim3 grid(static_cast<unsigned>(ceil_div(p.m, WARPS)), static_cast<unsigned>(col_tiles));
  spmm_csr_kernel<<<grid, WARPS * 32, 0, stream>>>(p);
  check_launch("cuda spmm_csr");
}

}  // namespace pk::cuda
