// SpMM microkernels for CPUs without AVX2: BSR (any r x c, CSR included) and N:M, plain
// loops over a panel of any width. Same contract as the AVX2 kernels (spmm_config.h);
// the inner loop runs along the panel's contiguous columns so the compiler vectorises
// it with SSE2, the baseline x86-64 ISA.
#include "cpu/spmm/spmm_config.h"

namespace pk {
namespace {

constexpr int64_t kMaxNb = 32;

void start_row(const SpmmArgs& g, const SpmmBlock& b, int64_t row, float* acc) {
  const float* y = b.y + row * g.y_rs;
  const float bias = g.bias ? g.bias[row] : 0.0f;
  for (int64_t j = 0; j < b.nb; ++j) acc[j] = b.first || j >= b.cols ? bias : y[j];
}

void axpy(float w, const float* x, int64_t nb, float* acc) {
  for (int64_t j = 0; j < nb; ++j) acc[j] += w * x[j];
}

void store_row(const SpmmArgs& g, const SpmmBlock& b, int64_t row, const float* acc) {
  float* y = b.y + row * g.y_rs;
  for (int64_t j = 0; j < b.cols; ++j) y[j] = acc[j];
}

}  // namespace

void spmm_f32_bsr_portable(const SpmmArgs& g, const SpmmBlock& b) {
  const int64_t r = g.r, c = g.c;
  float acc[kMaxNb];
  for (int64_t br = b.row0; br < b.row1; ++br) {
    const int64_t t0 = b.splits[br * b.stride + b.kb], end = b.splits[br * b.stride + b.kb + 1];
    for (int64_t rr = 0; rr < r; ++rr) {
      start_row(g, b, br * r + rr, acc);
      for (int64_t t = t0; t < end; ++t) {
        const float* v = g.values + (t * r + rr) * c;
        const float* xb = b.panel + g.indices[t] * c * b.nb;
        for (int64_t cc = 0; cc < c; ++cc) axpy(v[cc], xb + cc * b.nb, b.nb, acc);
      }
      store_row(g, b, br * r + rr, acc);
    }
  }
}

void spmm_f32_nm_portable(const SpmmArgs& g, const SpmmBlock& b) {
  const int64_t n = g.nm_n, m = g.nm_m, kept = g.k / m * n;
  float acc[kMaxNb];
  for (int64_t i = b.row0; i < b.row1; ++i) {
    start_row(g, b, i, acc);
    const float* v = g.values + i * kept;
    const uint8_t* pos = g.positions + i * kept;
    for (int64_t t = b.p0 / m * n; t < b.p1 / m * n; ++t) axpy(v[t], b.panel + ((t / n) * m + pos[t]) * b.nb, b.nb, acc);
    store_row(g, b, i, acc);
  }
}

}  // namespace pk
