// BSR SpMM, float32: out[i, :] = act(sum over the blocks of i's block row of
// block[i % r, cc] * B[J * c + cc, :] + bias), for r x c blocks (r * c > 1; CSR has its own kernel).
//
// Tile: a block of 8 warps covers 8 row groups x 128 columns; a warp owns R rows of one
// block row (R = the largest of 8, 4, 2, 1 dividing r) and its lane l the columns
// j0 + l + 32 q (q < 4). Each of a block's c input rows is one coalesced 128-column
// segment of B per warp, used for R output rows from registers (acc: R x 4 per lane), so
// B traffic falls by R against CSR; block indices are staged 32 at a time, one per lane,
// and passed round by shuffles; block values are warp-uniform (broadcast) loads.
#include <stdexcept>

#include "cuda/common/device_matrix.h"
#include "cuda/common/epilogue.cuh"
#include "cuda/sparse/spmm.h"

namespace pk::cuda {

namespace {

constexpr int WARPS = 8, COLS = 128, PER_LANE = COLS / 32;

template <int R>
__global__ void __launch_bounds__(WARPS * 32) spmm_bsr_kernel(SpmmArgs p) {
  const int lane = threadIdx.x % 32;
  const int groups_per_block_row = p.r / R;
  const int64_t group = static_cast<int64_t>(blockIdx.x) * WARPS + threadIdx.x / 32;
  const int64_t block_row = group / groups_per_block_row;
  const int row_in_block = static_cast<int>(group % groups_per_block_row) * R;
  const int64_t row0 = block_row * p.r + row_in_block;
  const int64_t j0 = static_cast<int64_t>(blockIdx.y) * COLS + lane;
  if (row0 >= p.m) return;  // whole warps leave together: the shuffles below stay full-warp
  float acc[R][PER_LANE] = {};
  const int block_size = p.r * p.c;
  const int32_t begin = p.indptr[block_row], end = p.indptr[block_row + 1];
  for (int32_t base = begin; base < end; base += 32) {
    const int32_t mine = base + lane;
    const int32_t col_block = mine < end ? p.indices[mine] : 0;
    const int count = min(32, end - base);
    for (int t = 0; t < count; ++t) {
      const int64_t col0 = static_cast<int64_t>(__shfl_sync(0xffffffffu, col_block, t)) * p.c;
      const float* values = p.data + static_cast<int64_t>(base + t) * block_size + row_in_block * p.c;
#pragma unroll 1
      for (int cc = 0; cc < p.c; ++cc) {
        const float* brow = p.b + (col0 + cc) * p.b_rs;
        float bv[PER_LANE];
#pragma unroll
        for (int q = 0; q < PER_LANE; ++q) {
          const int64_t j = j0 + 32 * q;
          bv[q] = j < p.n ? brow[j * p.b_cs] : 0.f;
        }
#pragma unroll
        for (int rr = 0; rr < R; ++rr) {
          const float v = values[rr * p.c + cc];
#pragma unroll
          for (int q = 0; q < PER_LANE; ++q) acc[rr][q] = fmaf(v, bv[q], acc[rr][q]);
        }
      }
    }
  }
#pragma unroll
  for (int rr = 0; rr < R; ++rr) {
    const int64_t row = row0 + rr;
#pragma unroll
    for (int q = 0; q < PER_LANE; ++q) {
      const int64_t j = j0 + 32 * q;
      if (j >= p.n) continue;
      float v = acc[rr][q];
      if (p.bias_mode == kBiasRow) v += p.bias[row];
      else if (p.bias_mode == kBiasCol) v += p.bias[j];
      p.out[row * p.out_rs + j] = activate(v, p.activation);
    }
  }
}

template <int R>
void launch(const SpmmArgs& p, cudaStream_t stream) {
  const int64_t groups = p.m / R;
  const dim3 grid(static_cast<unsigned>(ceil_div(groups, WARPS)), static_cast<unsigned>(ceil_div(p.n, COLS)));
  spmm_bsr_kernel<R><<<grid, WARPS * 32, 0, stream>>>(p);
  check_launch("cuda spmm_bsr");
}

}  // namespace

void spmm_f32_bsr(const SpmmArgs& p, cudaStream_t stream) {
  if (p.m == 0 || p.n == 0) return;
  if (ceil_div(p.n, COLS) > 65535) throw std::invalid_argument("cuda spmm_bsr: n is too large (more than 65535 column tiles)");
  if (p.r % 8 == 0) return launch<8>(p, stream);
  if (p.r % 4 == 0) return launch<4>(p, stream);
  if (p.r % 2 == 0) return launch<2>(p, stream);
  launch<1>(p, stream);
}

}  // namespace pk::cuda
