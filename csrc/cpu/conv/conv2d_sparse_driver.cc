// Sparse-weight convolution as SpMM on implicit im2col panels.
//
// Y^T (out_c x pixels) = W (out_c x taps, sparse) . A^T (taps x pixels), A the im2col
// matrix. The SpMM microkernels vectorise along the dense dimension, so A^T is packed
// straight from the image in their panels: taps x nb pixels, nb = 8 .. 32, with 8 x 8
// register transposes (im2col_pack_8nx8_avx2.cc). Only one panel per thread exists at a
// time (taps x nb floats: 72 KiB for a 3x3x64 layer at nb = 32); the im2col matrix is
// never materialised. Each panel runs every output channel (the W rows stay in L2 across
// panels), bias and activation fused (spmm_panel), into an out_c x nb tile that is then
// written transposed into the NHWC output. OpenMP threads take panels.
#include <omp.h>

#include <algorithm>

#include "common/scratch.h"
#include "common/threads.h"
#include "cpu/conv/conv2d_sparse.h"
#include "cpu/conv/im2col_pack.h"
#include "cpu/spmm/spmm_config.h"

namespace pk {
namespace {

// y (cols pixels x out_c, row stride out_c) = tile^T (out_c x nb, the first cols columns).
void store_transposed(const float* tile, int64_t nb, int64_t out_c, int64_t cols, float* y) {
  constexpr int64_t kRows = 8;  // output channels per pass: 8 tile rows stay in L1 while the pixels run
  for (int64_t o0 = 0; o0 < out_c; o0 += kRows) {
    const int64_t o1 = std::min(out_c, o0 + kRows);
    for (int64_t j = 0; j < cols; ++j) {
      for (int64_t o = o0; o < o1; ++o) y[j * out_c + o] = tile[o * nb + j];
    }
  }
}

// No taps (in_c = 0): every pixel is act(bias).
void bias_only(const Conv2dProblem& p, int64_t pixels) {
  const int64_t out_c = p.d.out_c;
  for (int64_t j = 0; j < pixels; ++j) {
    float* row = p.y + j * out_c;
    for (int64_t o = 0; o < out_c; ++o) row[o] = p.bias ? p.bias[o] : 0.0f;
    apply_activation(row, out_c, p.activation);
  }
}

}  // namespace

void conv2d_sparse_f32_nhwc(const Conv2dProblem& p, const SpmmArgs& weights) {
  const pk_conv2d_desc& d = p.d;
  const int64_t pixels = d.batch * p.out_h * p.out_w, taps = d.kernel_h * d.kernel_w * d.in_c;
  if (pixels == 0 || d.out_c == 0) return;
  if (taps == 0) return bias_only(p, pixels);
  SpmmArgs g = weights;
  g.m = d.out_c, g.k = taps, g.n = pixels;
  g.bias = p.bias, g.activation = p.activation;
  SpmmPlan plan = spmm_plan(g);
  const int64_t units = g.format == SparseFormat::Bsr ? g.m / g.r : g.m;
  spmm_plan_splits(g, plan, 0, units);
  const int64_t nb = plan.kernel.nb, panels = (pixels + nb - 1) / nb;
  // A thread per ~0.5 MFLOP of stored-weight work, and no more threads than panels.
  const double flops = 2.0 * static_cast<double>(g.format == SparseFormat::Bsr ? g.indptr[units] * g.r * g.c
                                                                               : g.m * (g.k / g.nm_m * g.nm_n)) *
                       static_cast<double>(pixels);
  const int threads = static_cast<int>(std::min<double>({static_cast<double>(get_num_threads()),
                                                         static_cast<double>(panels), std::max(1.0, flops / 5e5)}));
  const Im2colSource source{&p, 0, 0, d.in_c};

  parallel_region(threads, [&] {
    static thread_local ScratchBuffer panel_scratch, tile_scratch;
    float* panel = panel_scratch.floats(taps * nb);
    float* tile = tile_scratch.floats(d.out_c * nb);
    SpmmArgs local = g;
    local.y = tile, local.y_rs = nb;
#pragma omp for schedule(dynamic)
    for (int64_t i = 0; i < panels; ++i) {
      const int64_t j0 = i * nb, cols = std::min(nb, pixels - j0);
      pack_im2col_panel(&source, j0, cols, 0, taps, static_cast<int>(nb), panel);
      spmm_panel(local, plan, panel, cols, tile, 0, units);
      store_transposed(tile, nb, d.out_c, cols, p.y + j0 * d.out_c);
    }
  });
}

}  // namespace pk
