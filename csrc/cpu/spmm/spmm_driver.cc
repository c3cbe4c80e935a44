// SpMM driver: packing of X into column panels, row blocks balanced by nonzeros across
// OpenMP threads, and the activation epilogue around the microkernels (spmm_config.h).
//
//   pack X (k x n, any strides) into panels of nb columns, each k x nb contiguous and
//   zero padded: a panel row is one aligned run the kernel reads as whole vectors, and
//   the panel (k x nb x 4 bytes, 128 KiB for k = 1024) stays in L2 without the set
//   conflicts a power-of-two row stride of X would cause;
//   parallel: each thread owns a contiguous range of (block) rows holding an equal share
//     of the nonzeros, and for each panel runs the microkernel on CHUNK rows at a time,
//     then the activation on those rows while they are in L1.
// Threads share the packed X (each keeps its panel in its own L2); W is read once per panel.
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

constexpr int64_t kChunkRows = 24;  // output rows per kernel call before the activation runs (a multiple of 3, the N:M tile)

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Rows the microkernels iterate over (block rows for BSR) and the output rows per unit.
int64_t units(const SpmmArgs& g) { return g.format == SparseFormat::Bsr ? g.m / g.r : g.m; }
int64_t unit_rows(const SpmmArgs& g) { return g.format == SparseFormat::Bsr ? g.r : 1; }

// Work before unit u (stored values plus a per-row overhead), for load balance.
int64_t work_before(const SpmmArgs& g, int64_t u) {
  if (g.format == SparseFormat::Bsr) return static_cast<int64_t>(g.indptr[u]) * g.r * g.c + u * g.r;
  return u * (g.k / g.nm_m * g.nm_n + 1);
}

// threads + 1 unit boundaries with equal work, multiples of `align` units.
std::vector<int64_t> balanced_cuts(const SpmmArgs& g, int threads, int64_t align) {
  const int64_t total_units = units(g), total = work_before(g, total_units);
  std::vector<int64_t> cuts(threads + 1, total_units);
  cuts[0] = 0;
  for (int t = 1; t < threads; ++t) {
    const int64_t target = total * t / threads;
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

// Packs the k rows [p0, p1) of panel `panel` (columns j0 .. j0 + nb) into dst.
void pack_panel_rows(const SpmmArgs& g, int64_t nb, int64_t panel, int64_t p0, int64_t p1, float* dst) {
  const int64_t j0 = panel * nb, cols = std::min(nb, g.n - j0);
  float* base = dst + panel * g.k * nb;
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

void finish_rows(const SpmmArgs& g, int64_t row0, int64_t row1, int64_t j0, int64_t cols) {
  if (g.activation == Activation::None) return;
  for (int64_t i = row0; i < row1; ++i) apply_activation(g.y + i * g.y_rs + j0, cols, g.activation);
}

// k == 0: Y = act(bias) (or act(0)).
void spmm_empty_k(const SpmmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    std::fill(g.y + i * g.y_rs, g.y + i * g.y_rs + g.n, g.bias ? g.bias[i] : 0.0f);
    apply_activation(g.y + i * g.y_rs, g.n, g.activation);
  }
}

// Enough threads that each gets at least ~0.5 MFLOP of nonzero work.
int threads_for(const SpmmArgs& g) {
  const double flops = 2.0 * static_cast<double>(work_before(g, units(g))) * static_cast<double>(g.n);
  return static_cast<int>(std::min<double>(get_num_threads(), std::max(1.0, flops / 5e5)));
}

}  // namespace

void spmm(const SpmmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) return spmm_empty_k(g);
  const SpmmKernel kernel = spmm_select(g);
  const int64_t nb = kernel.nb, panels = ceil_div(g.n, nb);
  static thread_local ScratchBuffer x_scratch;
  float* packed = x_scratch.floats(panels * g.k * nb);
  const int threads = threads_for(g);
  const std::vector<int64_t> cuts = balanced_cuts(g, threads, g.format == SparseFormat::Nm ? 3 : 1);
  const int64_t pack_rows = 256, pack_blocks = ceil_div(g.k, pack_rows);
  const int64_t rows_per_unit = unit_rows(g);
  const int64_t chunk = std::max<int64_t>(1, kChunkRows / rows_per_unit);

#pragma omp parallel num_threads(threads)
  {
#pragma omp for schedule(static)
    for (int64_t t = 0; t < panels * pack_blocks; ++t) {
      const int64_t p0 = (t % pack_blocks) * pack_rows;
      pack_panel_rows(g, nb, t / pack_blocks, p0, std::min(g.k, p0 + pack_rows), packed);
    }  // implicit barrier: every panel is packed
    const int tid = omp_get_thread_num();
    const int64_t u0 = cuts[tid], u1 = cuts[tid + 1];
    for (int64_t panel = 0; panel < panels; ++panel) {
      const int64_t j0 = panel * nb, cols = std::min(nb, g.n - j0);
      for (int64_t u = u0; u < u1; u += chunk) {
        const int64_t u_end = std::min(u1, u + chunk);
        kernel.run(g, u, u_end, packed + panel * g.k * nb, nb, cols, g.y + j0);
        finish_rows(g, u * rows_per_unit, u_end * rows_per_unit, j0, cols);
      }
    }
  }
}

const char* spmm_kernel_name(const SpmmArgs& g) { return spmm_select(g).name; }

}  // namespace pk
