// SpMM driver: packing of X into column panels, the split of the work across OpenMP
// threads, k blocking, and the activation epilogue around the microkernels
// (spmm_config.h).
//
//   pack X (k x n, any strides) into panels of nb columns, each k x nb contiguous and
//     zero padded: a panel row is one aligned run the kernel reads as whole vectors,
//     with none of the cache set conflicts a power-of-two row stride of X causes;
//   threads take whole panels when they split evenly or are many (>= 4 per thread, so
//     one panel more is a small imbalance): each packs its panel into its own buffer
//     just before running all rows over it, so the panel is still in L2 when the kernel
//     reads it; otherwise all panels are packed together and the threads take pieces of
//     (block) rows, each piece an equal share of the stored values, over every panel.
//     Panels and row pieces are handed out dynamically (8 pieces per thread): on a
//     shared machine a thread that loses its core for a time slice delays one panel or
//     piece, not a static half of the work; per panel:
//       for W chunk (rows holding ~16K values, kept in L2):
//         for k block (a slice of the panel kept in L1):
//           microkernel on 24 rows at a time; after the last k block, the activation.
//   BSR/CSR: K is blocked only when rows are dense enough to find >= 128 values per
//   32 KiB block (at 50-70% sparsity this turns L2-bound loads into L1 hits; at 90% the
//   per-row cost of a block would outweigh it, so the panel (128 KiB at k = 1024)
//   streams from L2). Where each row's k blocks start is found once per call (binary
//   search). N:M rows have no per-row branches (fixed counts, three rows in lockstep),
//   so their k blocks are 16 KiB slices, half of L1, leaving room for Y and W.
// CSR against one dense column (n = 1) skips the panels: an SpMV kernel gathers x by
// the column indices (spmv_select), rows split across threads by stored values.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/scratch.h"
#include "common/threads.h"
#include "cpu/spmm/spmm.h"
#include "cpu/spmm/spmm_config.h"

namespace pk {
namespace {

constexpr int64_t kL1Bytes = 32768;  // BSR: the X panel slice of one k block
constexpr int64_t kNmL1Bytes = 16384;  // N:M: the X panel slice of one k block
constexpr double kMinPerBlock = 128;  // values a row should find per k block
constexpr double kL2Values = 16384;  // stored values of a W chunk (with indices ~128 KiB)
constexpr int64_t kChunkRows = 24;  // output rows per kernel call before the activation runs (a multiple of 3, the N:M tile)
constexpr int kPiecesPerThread = 8;  // row pieces per thread when threads split rows

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Rows the microkernels iterate over (block rows for BSR) and the output rows per unit.
int64_t units(const SpmmArgs& g) { return g.format == SparseFormat::Bsr ? g.m / g.r : g.m; }
int64_t unit_rows(const SpmmArgs& g) { return g.format == SparseFormat::Bsr ? g.r : 1; }

// Work before unit u (stored values plus a per-row overhead), for load balance.
int64_t work_before(const SpmmArgs& g, int64_t u) {
  if (g.format == SparseFormat::Bsr) return static_cast<int64_t>(g.indptr[u]) * g.r * g.c + u * g.r;
  return u * (g.k / g.nm_m * g.nm_n + 1);
}

// parts + 1 unit boundaries with equal work, multiples of `align` units.
std::vector<int64_t> balanced_cuts(const SpmmArgs& g, int64_t parts, int64_t align) {
  const int64_t total_units = units(g), total = work_before(g, total_units);
  std::vector<int64_t> cuts(parts + 1, total_units);
  cuts[0] = 0;
  for (int64_t t = 1; t < parts; ++t) {
    const int64_t target = total * t / parts;
    int64_t lo = cuts[t - 1], hi = total_units;  // first unit whose prefix reaches target
    while (lo < hi) {
      const int64_t mid = (lo + hi) / 2;
      if (work_before(g, mid) < target) lo = mid + 1; else hi = mid;
    }
    cuts[t] = std::min(total_units, lo / align * align);
    cuts[t] = std::max(cuts[t], cuts[t - 1]);
  }
  return cuts;
}

// Packs the k rows [p0, p1) of panel `panel` (columns j0 .. j0 + nb) into base (k x nb).
void pack_panel_rows(const SpmmArgs& g, int64_t nb, int64_t panel, int64_t p0, int64_t p1, float* base) {
  const int64_t j0 = panel * nb, cols = std::min(nb, g.n - j0);
  if (g.x_cs == 1) {
    for (int64_t p = p0; p < p1; ++p) {
      std::memcpy(base + p * nb, g.x + p * g.x_rs + j0, cols * sizeof(float));
      std::fill(base + p * nb + cols, base + (p + 1) * nb, 0.0f);
    }
    return;
  }
  // Columns of X contiguous along k (a transposed batch): read each column as a run.
  for (int64_t j = 0; j < cols; ++j) {
    const float* src = g.x + (j0 + j) * g.x_cs;
    for (int64_t p = p0; p < p1; ++p) base[p * nb + j] = src[p * g.x_rs];
  }
  for (int64_t p = p0; p < p1; ++p) std::fill(base + p * nb + cols, base + (p + 1) * nb, 0.0f);
}

void finish_rows(const SpmmArgs& g, int64_t row0, int64_t row1, float* y, int64_t cols) {
  if (g.activation == Activation::None) return;
  for (int64_t i = row0; i < row1; ++i) apply_activation(y + i * g.y_rs, cols, g.activation);
}

// The activation on Y's column rows [row0, row1) of an SpMV.
void finish_column(const SpmmArgs& g, int64_t row0, int64_t row1) {
  if (g.activation == Activation::None) return;
  if (g.y_rs == 1) return apply_activation(g.y + row0, row1 - row0, g.activation);
  for (int64_t i = row0; i < row1; ++i) apply_activation(g.y + i * g.y_rs, 1, g.activation);
}

// k == 0: Y = act(bias) (or act(0)).
void spmm_empty_k(const SpmmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    std::fill(g.y + i * g.y_rs, g.y + i * g.y_rs + g.n, g.bias ? g.bias[i] : 0.0f);
    apply_activation(g.y + i * g.y_rs, g.n, g.activation);
  }
}

// Rows of X per k block: a panel slice of about kL1Bytes stays in L1 while the rows
// of the thread run over it, unless rows are so sparse that a row would find fewer than
// kMinPerBlock values per block (then the per-row cost of a block dominates).
int64_t k_block(const SpmmArgs& g, int64_t nb) {
  if (g.format == SparseFormat::Nm) return std::min(g.k, ceil_div(kNmL1Bytes / (nb * 4), g.nm_m) * g.nm_m);
  const int64_t align = g.c;
  const double stored = static_cast<double>(work_before(g, units(g)) - units(g) * unit_rows(g));
  const double density = std::max(1e-9, stored / (static_cast<double>(g.m) * static_cast<double>(g.k)));
  const int64_t rows = std::max<int64_t>(kL1Bytes / (nb * 4), static_cast<int64_t>(kMinPerBlock / density));
  return std::min(g.k, ceil_div(rows, align) * align);
}

// For block rows [u0, u1): the first block of each k block of kc columns, and the row's end.
void block_splits(const SpmmArgs& g, int64_t kc, int64_t stride, int64_t u0, int64_t u1, int32_t* splits) {
  for (int64_t u = u0; u < u1; ++u) {
    const int32_t* first = g.indices + g.indptr[u];
    const int32_t* last = g.indices + g.indptr[u + 1];
    splits[u * stride] = g.indptr[u];  // the first k block starts at the row's start: no search
    for (int64_t kb = 1; kb < stride - 1; ++kb) {
      const int64_t column = kb * kc / g.c;
      splits[u * stride + kb] = static_cast<int32_t>(std::lower_bound(first, last, column) - g.indices);
    }
    splits[u * stride + stride - 1] = g.indptr[u + 1];
  }
}

// Units per W chunk: about kL2Values stored values (4 bytes each plus their index),
// a multiple of the kernel's chunk.
int64_t w_rows(const SpmmArgs& g, int64_t chunk) {
  const double per_unit = std::max(1.0, static_cast<double>(work_before(g, units(g))) / std::max<int64_t>(1, units(g)));
  return std::max<int64_t>(1, static_cast<int64_t>(kL2Values / per_unit / chunk)) * chunk;
}

// SpMV: a thread per ~32K stored values (~15 us of gathers; counting flops, as below,
// would keep a 1024x1024 CSR at 90% on one thread for 56 us).
int spmv_threads(const SpmmArgs& g) {
  return static_cast<int>(std::min<int64_t>(get_num_threads(), std::max<int64_t>(1, g.indptr[g.m] / 32768)));
}

// Enough threads that each gets at least ~0.5 MFLOP of nonzero work.
int threads_for(const SpmmArgs& g) {
  const double flops = 2.0 * static_cast<double>(work_before(g, units(g))) * static_cast<double>(g.n);
  return static_cast<int>(std::min<double>(get_num_threads(), std::max(1.0, flops / 5e5)));
}

// n == 1, CSR: one dot product per row, x made contiguous first.
void spmv(const SpmmArgs& g) {
  const float* x = g.x;
  if (g.x_rs != 1) {
    static thread_local ScratchBuffer x_scratch;
    float* column = x_scratch.floats(g.k);
    for (int64_t p = 0; p < g.k; ++p) column[p] = g.x[p * g.x_rs];
    x = column;
  }
  const SpmvKernel kernel = spmv_select();
  const int threads = spmv_threads(g);
  if (threads == 1) {
    kernel.run(g, x, 0, g.m);
    return finish_column(g, 0, g.m);
  }
  const std::vector<int64_t> cuts = balanced_cuts(g, threads, 1);
  parallel_region(threads, [&] {
    const int t = omp_get_thread_num();
    kernel.run(g, x, cuts[t], cuts[t + 1]);
    finish_column(g, cuts[t], cuts[t + 1]);
  });
}

}  // namespace

SpmmPlan spmm_plan(const SpmmArgs& g) {
  SpmmPlan plan;
  plan.kernel = spmm_select(g);
  plan.chunk = std::max<int64_t>(1, kChunkRows / unit_rows(g));
  plan.kc = k_block(g, plan.kernel.nb);
  plan.w_chunk = w_rows(g, plan.chunk);
  plan.stride = ceil_div(g.k, plan.kc) + 1;
  plan.splits.resize(g.format == SparseFormat::Bsr ? units(g) * plan.stride : 0);
  return plan;
}

void spmm_plan_splits(const SpmmArgs& g, SpmmPlan& plan, int64_t u0, int64_t u1) {
  if (g.format == SparseFormat::Bsr) block_splits(g, plan.kc, plan.stride, u0, u1, plan.splits.data());
}

void spmm_panel(const SpmmArgs& g, const SpmmPlan& plan, const float* panel, int64_t cols, float* y, int64_t u0,
                int64_t u1) {
  const int64_t rows_per_unit = unit_rows(g);
  SpmmBlock b{};
  b.splits = plan.splits.data();
  b.stride = plan.stride;
  b.panel = panel;
  b.nb = plan.kernel.nb;
  b.cols = cols;
  b.y = y;
  for (int64_t c0 = u0; c0 < u1; c0 += plan.w_chunk) {  // rows whose W stays in L2 over the k blocks
    const int64_t c1 = std::min(u1, c0 + plan.w_chunk);
    for (int64_t p0 = 0; p0 < g.k; p0 += plan.kc) {  // a k block of the panel in L1
      b.p0 = p0, b.p1 = std::min(g.k, p0 + plan.kc), b.first = p0 == 0, b.kb = p0 / plan.kc;
      for (int64_t u = c0; u < c1; u += plan.chunk) {
        b.row0 = u, b.row1 = std::min(c1, u + plan.chunk);
        plan.kernel.run(g, b);
        if (b.p1 == g.k) finish_rows(g, b.row0 * rows_per_unit, b.row1 * rows_per_unit, y, cols);
      }
    }
  }
}

void spmm(const SpmmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) return spmm_empty_k(g);
  if (spmm_is_spmv(g)) return spmv(g);
  SpmmPlan plan = spmm_plan(g);
  const int64_t nb = plan.kernel.nb, panels = ceil_div(g.n, nb), all = units(g);
  const int threads = threads_for(g);

  if (panels % threads == 0 || panels >= 4 * threads) {  // whole panels, each packed just before its use
    spmm_plan_splits(g, plan, 0, all);
    parallel_region(threads, [&] {
      static thread_local ScratchBuffer panel_scratch;
      float* panel = panel_scratch.floats(g.k * nb);
#pragma omp for schedule(dynamic)
      for (int64_t i = 0; i < panels; ++i) {
        pack_panel_rows(g, nb, i, 0, g.k, panel);
        spmm_panel(g, plan, panel, std::min(nb, g.n - i * nb), g.y + i * nb, 0, all);
      }
    });
    return;
  }

  static thread_local ScratchBuffer x_scratch;
  float* packed = x_scratch.floats(panels * g.k * nb);
  const int64_t pieces = threads == 1 ? 1 : static_cast<int64_t>(threads) * kPiecesPerThread;
  const std::vector<int64_t> cuts = balanced_cuts(g, pieces, g.format == SparseFormat::Nm ? 3 : 1);
  const int64_t pack_rows = 256, pack_blocks = ceil_div(g.k, pack_rows);
  parallel_region(threads, [&] {
#pragma omp for schedule(static)
    for (int64_t t = 0; t < panels * pack_blocks; ++t) {
      const int64_t p0 = (t % pack_blocks) * pack_rows, panel = t / pack_blocks;
      pack_panel_rows(g, nb, panel, p0, std::min(g.k, p0 + pack_rows), packed + panel * g.k * nb);
    }  // implicit barrier: every panel is packed
#pragma omp for schedule(dynamic)
    for (int64_t piece = 0; piece < pieces; ++piece) {
      const int64_t u0 = cuts[piece], u1 = cuts[piece + 1];
      spmm_plan_splits(g, plan, u0, u1);
      for (int64_t panel = 0; panel < panels; ++panel) {
        spmm_panel(g, plan, packed + panel * g.k * nb, std::min(nb, g.n - panel * nb), g.y + panel * nb, u0, u1);
      }
    }
  });
}

const char* spmm_kernel_name(const SpmmArgs& g) { return spmm_is_spmv(g) ? spmv_select().name : spmm_select(g).name; }

}  // namespace pk
