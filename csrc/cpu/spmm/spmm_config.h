// The SpMM microkernels and their selection by ISA, format, block shape and n.
//
// A microkernel computes Y rows for a range of block rows (rows for N:M) against one
// packed panel of X: `nb` columns of X for all k rows, row p at panel + p * nb, zero
// padded beyond the `cols` real columns. It writes
//   y[i * y_rs + j] = bias[i] + sum_p W[i, p] * panel[p * nb + j]   for j < cols
// where `y` points at the panel's first column. The driver adds the activation.
#pragma once

#include <cstdint>

#include "cpu/spmm/spmm.h"

namespace pk {

using SpmmUkernel = void (*)(const SpmmArgs& g, int64_t row0, int64_t row1, const float* panel, int64_t nb,
                             int64_t cols, float* y);

struct SpmmKernel {
  const char* name;
  int64_t nb;  // panel width in floats
  SpmmUkernel run;
};

// The kernel for these arguments on the active ISA (never null).
SpmmKernel spmm_select(const SpmmArgs& g);

// AVX2 + FMA kernels (spmm_f32_bsr_avx2.cc, spmm_f32_nm_avx2.cc); nv = ymm vectors per panel row.
// Each returns {nullptr, 0, nullptr} when it has no variant for the shape.
SpmmKernel spmm_f32_bsr_avx2(int r, int c, int nv);
SpmmKernel spmm_f32_nm_avx2(int n, int nv);

// Portable kernels (spmm_f32_portable.cc): any format, shape and panel width.
void spmm_f32_bsr_portable(const SpmmArgs& g, int64_t row0, int64_t row1, const float* panel, int64_t nb,
                           int64_t cols, float* y);
void spmm_f32_nm_portable(const SpmmArgs& g, int64_t row0, int64_t row1, const float* panel, int64_t nb,
                          int64_t cols, float* y);

}  // namespace pk
