// SpMM microkernels for CPUs without AVX2: BSR (any r x c, CSR included) and N:M, plain
// loops over a panel of any width. Same contract as the AVX2 kernels (spmm_config.h);
// the inner loop runs along the panel's contiguous columns so the compiler vectorises
// it with SSE2, the baseline x86-64 ISA.
#include "cpu/spmm/spmm_config.h"

namespace pk {
namespace {

constexpr int64_t kMaxNb = 32;

void start_row(const SpmmArgs& g, int64_t row, int64_t nb, float* acc) {
  const float b = g.bias ? g.bias[row] : 0.0f;
  for (int64_t j = 0; j < nb; ++j) acc[j] = b;
}

void axpy(float w, const float* x, int64_t nb, float* acc) {
  for (int64_t j = 0; j < nb; ++j) acc[j] += w * x[j];
}

void finish_row(const float* acc, int64_t cols, float* y) {
  for (int64_t j = 0; j < cols; ++j) y[j] = acc[j];
}

}  // namespace

void spmm_f32_bsr_portable(const SpmmArgs& g, int64_t row0, int64_t row1, const float* panel, int64_t nb,
                           int64_t cols, float* y) {
  const int64_t r = g.r, c = g.c;
  float acc[kMaxNb];
  for (int64_t br = row0; br < row1; ++br) {
    for (int64_t rr = 0; rr < r; ++rr) {
      start_row(g, br * r + rr, nb, acc);
      for (int64_t b = g.indptr[br]; b < g.indptr[br + 1]; ++b) {
        const float* v = g.values + (b * r + rr) * c;
        const float* xb = panel + g.indices[b] * c * nb;
        for (int64_t cc = 0; cc < c; ++cc) axpy(v[cc], xb + cc * nb, nb, acc);
      }
      finish_row(acc, cols, y + (br * r + rr) * g.y_rs);
    }
  }
}

void spmm_f32_nm_portable(const SpmmArgs& g, int64_t row0, int64_t row1, const float* panel, int64_t nb,
                          int64_t cols, float* y) {
  const int64_t n = g.nm_n, m = g.nm_m, kept = g.k / m * n;
  float acc[kMaxNb];
  for (int64_t i = row0; i < row1; ++i) {
    start_row(g, i, nb, acc);
    const float* v = g.values + i * kept;
    const uint8_t* pos = g.positions + i * kept;
    for (int64_t t = 0; t < kept; ++t) axpy(v[t], panel + ((t / n) * m + pos[t]) * nb, nb, acc);
    finish_row(acc, cols, y + i * g.y_rs);
  }
}

}  // namespace pk
