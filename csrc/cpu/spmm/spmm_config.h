// The SpMM microkernels and their selection by ISA, format, block shape and n.
//
// A microkernel computes Y rows for a range of block rows (rows for N:M) against one
// packed panel of X and one block of its k rows: `nb` columns of X, row p at
// panel + p * nb, zero padded beyond the `cols` real columns. For each row it adds
// the row's values in columns [p0, p1) (BSR: blocks splits[row * stride + kb] up to
// splits[row * stride + kb + 1]; N:M: the groups of that range) and writes
//   y[i * y_rs + j] = (first ? bias[i] : y[i * y_rs + j]) + sum_p W[i, p] * panel[p * nb + j]
// for j < cols, where `y` points at the panel's first column. The driver runs the k
// blocks in order and adds the activation after the last one.

#pragma once

#include <cstdint>
#include <vector>

#include "cpu/spmm/spmm.h"

namespace pk {

struct SpmmBlock {
  int64_t row0, row1;  // (block) rows
  int64_t p0, p1;      // k rows of this block (multiples of c, or of nm_m)
  bool first;          // the first k block: start from the bias
  int64_t kb;          // index of this k block
  const int32_t* splits;  // BSR: per block row, the first block of each k block (and the row's end)
  int64_t stride;         // entries of splits per block row (k blocks + 1)
  const float* panel;
  int64_t nb, cols;
  float* y;            // Y at the panel's first column
};

using SpmmUkernel = void (*)(const SpmmArgs& g, const SpmmBlock& b);

struct SpmmKernel {
  const char* name;
  int64_t nb;  // panel width in floats
  SpmmUkernel run;
};

// The kernel for these arguments on the active ISA (never null).
SpmmKernel spmm_select(const SpmmArgs& g);

// How a call is blocked (spmm_driver.cc): the kernel, the k block, the rows per kernel
// call and per W chunk, and for BSR where each block row's k blocks start.
struct SpmmPlan {
  SpmmKernel kernel;
  int64_t kc, chunk, w_chunk, stride;
  std::vector<int32_t> splits;  // BSR: (block rows) x stride, filled by spmm_plan_splits
};

// The plan for g (g.n fixes the panel width); the BSR splits are sized, not filled.
SpmmPlan spmm_plan(const SpmmArgs& g);

// Fills the BSR splits of block rows [u0, u1) (a no-op for N:M).
void spmm_plan_splits(const SpmmArgs& g, SpmmPlan& plan, int64_t u0, int64_t u1);

// Rows of (block) rows [u0, u1) against one packed panel (k x nb, `cols` real columns):
// y[i * g.y_rs + j] = act(bias[i] + sum_p W[i, p] * panel[p * nb + j]) for j < cols.
// Both spmm (panels of X) and the sparse convolution (panels packed from an image) run it.
void spmm_panel(const SpmmArgs& g, const SpmmPlan& plan, const float* panel, int64_t cols, float* y, int64_t u0,
                int64_t u1);

// AVX2 + FMA kernels (spmm_f32_bsr_avx2.cc, spmm_f32_nm_avx2.cc); nv = ymm vectors per panel row.
// Each returns {nullptr, 0, nullptr} when it has no variant for the shape.
SpmmKernel spmm_f32_bsr_avx2(int r, int c, int nv);
SpmmKernel spmm_f32_nm_avx2(int n, int nv);

// CSR times one dense column (n = 1): y[i * g.y_rs] = bias[i] + W[i, :] . x for rows
// [row0, row1), x contiguous (k floats); no activation (the driver adds it).
using SpmvRows = void (*)(const SpmmArgs& g, const float* x, int64_t row0, int64_t row1);

struct SpmvKernel {
  const char* name;
  SpmvRows run;
};

// Whether spmm runs g as SpMV (CSR, one dense column), and its kernel on the active ISA.
bool spmm_is_spmv(const SpmmArgs& g);
SpmvKernel spmv_select();

void spmv_f32_csr_avx2(const SpmmArgs& g, const float* x, int64_t row0, int64_t row1);
void spmv_f32_csr_portable(const SpmmArgs& g, const float* x, int64_t row0, int64_t row1);

// Portable kernels (spmm_f32_portable.cc): any format, shape and panel width.
void spmm_f32_bsr_portable(const SpmmArgs& g, const SpmmBlock& b);
void spmm_f32_nm_portable(const SpmmArgs& g, const SpmmBlock& b);

}  // namespace pk
