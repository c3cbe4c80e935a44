// sgemm driver: cache blocking, packing, OpenMP and the fused epilogue around the
// microkernel chosen by sgemm_config() (BLIS's five loops).
//
//   for jc in N by nc:            B block (kc x nc) shared by all threads, in L3
//     for pc in K by kc:
//       parallel for ic in M:     A block (<= mc x kc) of one thread, in its L2
//         for jr, ir:             microkernel on a B micro-panel (L1) x A micro-panel
//
// Row-major B is packed row by row, so the strided panel layout is written while B is
// read as sequential streams. Block sizes are evened out (K = 4001 runs as 8 blocks of
// 501, not 7 x 512 + 417; 49 rows as 4 x 6 + 5 x 5). The bias and activation are
// applied to each tile right after its last k block, while it is in L1. With M <=
// skinny_m (batch 1..4 inference) nothing is packed: the skinny kernels stream B once
// in its own layout.
// With M <= fused_m (one A block) the fused path packs each B micro-panel into L1 right
// before its tiles run (sgemm_fused below).
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "common/scratch.h"
#include "common/threads.h"
#include "cpu/gemm/sgemm.h"
#include "cpu/gemm/sgemm_config.h"
#include "cpu/gemm/sgemm_pack.h"

namespace pk {
namespace {

constexpr int kMaxTile = 6 * 16;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Splits `total` into equal blocks of at most `limit`, rounded up to a multiple of `unit`.
int64_t even_block(int64_t total, int64_t limit, int64_t unit) {
  const int64_t blocks = ceil_div(total, limit);
  return ceil_div(ceil_div(total, blocks), unit) * unit;
}

// The epilogue of the tile whose first element is C[i, j]: its bias, then `act`.
SgemmEpilogue epilogue_at(const SgemmArgs& g, int64_t i, int64_t j, Activation act) {
  return {g.bias_mode == BiasMode::PerCol ? g.bias + j : nullptr,
          g.bias_mode == BiasMode::PerRow ? g.bias + i : nullptr, act};
}

// Bias and activation on the finished tile C[i:i+rows, j:j+cols].
void finish_tile(const SgemmArgs& g, int64_t i, int64_t j, int64_t rows, int64_t cols) {
  apply_epilogue(g.c + i * g.c_rs + j, rows, cols, g.c_rs, epilogue_at(g, i, j, g.activation));
}

struct KBlock {
  int64_t p0, kb;
  bool first, last;
};

// The columns of C a tile covers: [j, j + cols), then [j2, j2 + cols2) (the fused path's
// panel that holds both the head and the tail of the columns; cols2 = 0 elsewhere).
struct TileColumns {
  int64_t j, cols, j2 = 0, cols2 = 0;
};

// Adds (or stores) columns [from, from + cols) of a local tile to C[i:i+rows, j:j+cols].
void store_tile_columns(const SgemmArgs& g, const float* tile, int nr, int64_t i, int64_t rows, int64_t from,
                        int64_t j, int64_t cols, bool accumulate) {
  for (int64_t r = 0; r < rows; ++r) {
    float* dst = g.c + (i + r) * g.c_rs + j;
    const float* src = tile + r * nr + from;
    for (int64_t s = 0; s < cols; ++s) dst[s] = accumulate ? dst[s] + src[s] : src[s];
  }
}

// One microkernel call on the tile of rows [i, i + rows), the kernel for its number of
// rows; tiles narrower than nr go through a local buffer. A full-width tile's last k
// block ends in the kernel's epilogue (bias and activation in registers, GELU after
// the store); a narrow tile is finished after its columns are stored.
void run_tile(const SgemmArgs& g, const SgemmConfig& cfg, const float* a_panel, const float* b_panel, int64_t i,
              int64_t rows, const TileColumns& at, const KBlock& kblk, SgemmPrefetch pf = {}) {
  const bool accumulate = !kblk.first || g.accumulate;
  const SgemmUkernel ukernel = cfg.ukernels[rows - 1];
  if (at.cols == cfg.nr) {
    float* c = g.c + i * g.c_rs + at.j;
    if (!kblk.last) return ukernel(kblk.kb, a_panel, b_panel, cfg.nr, c, g.c_rs, accumulate, pf, nullptr);
    const bool gelu = g.activation == Activation::Gelu;
    const SgemmEpilogue ep = epilogue_at(g, i, at.j, gelu ? Activation::None : g.activation);
    ukernel(kblk.kb, a_panel, b_panel, cfg.nr, c, g.c_rs, accumulate, pf, &ep);
    if (gelu) apply_activation_rows(c, rows, cfg.nr, g.c_rs, Activation::Gelu);
    return;
  }
  alignas(64) float tile[kMaxTile];
  ukernel(kblk.kb, a_panel, b_panel, cfg.nr, tile, cfg.nr, false, pf, nullptr);
  store_tile_columns(g, tile, cfg.nr, i, rows, 0, at.j, at.cols, accumulate);
  store_tile_columns(g, tile, cfg.nr, i, rows, at.cols, at.j2, at.cols2, accumulate);
  if (kblk.last) {
    finish_tile(g, i, at.j, rows, at.cols);
    if (at.cols2 > 0) finish_tile(g, i, at.j2, rows, at.cols2);
  }
}

// The row micro-panels of an A block of mb rows: as few as mr allows, mr rows each and
// the rest in the last, unless that rest is under 4 rows; then their heights are evened
// out (49 rows run as 4 x 6 + 5 x 5, not 8 x 6 + 1). A tile of 1..4 rows has at most 8
// FMA chains, so it waits on the FMA latency and takes as long per k step as a 4-row
// tile; a rest of 4 or 5 rows measured 1-3% faster left as it is (M = 16, 64).
struct RowPanels {
  int64_t count, high, highs, low;  // the first `highs` panels have `high` rows, the rest `low`
  int64_t start(int64_t ip) const { return ip < highs ? ip * high : highs * high + (ip - highs) * low; }
  int64_t rows(int64_t ip) const { return ip < highs ? high : low; }
};

RowPanels row_panels(int64_t mb, int mr) {
  const int64_t count = ceil_div(mb, mr), rest = mb - (count - 1) * mr;
  if (rest >= std::min(4, mr)) return {count, mr, count - 1, rest};
  return {count, mb / count + 1, mb % count, mb / count};
}

// Packs panel ip of the A block whose first row is i0 into dst + ip * mr * kb.
void pack_a_block_panel(const SgemmArgs& g, const SgemmConfig& cfg, int64_t i0, const RowPanels& rp, int64_t ip,
                        const KBlock& kblk, float* dst) {
  const int64_t i = i0 + rp.start(ip), rows = rp.rows(ip);
  float* panel = dst + ip * cfg.mr * kblk.kb;
  if (g.pack_a) {
    g.pack_a(g.pack_a_ctx, i, rows, kblk.p0, kblk.kb, cfg.mr, panel);
  } else {
    pack_a_panel(g, i, rows, kblk.p0, kblk.kb, cfg.mr, panel);
  }
}

// Packs the A block whose first row is i0 into `dst`, the threads splitting its panels.
void pack_a_block(const SgemmArgs& g, const SgemmConfig& cfg, int64_t i0, const RowPanels& rp, const KBlock& kblk,
                  float* dst) {
#pragma omp for schedule(static)
  for (int64_t ip = 0; ip < rp.count; ++ip) pack_a_block_panel(g, cfg, i0, rp, ip, kblk, dst);
}

// Packs this thread's share of the rows of the B block (the caller adds a barrier).
void pack_b_block_share(const SgemmArgs& g, const SgemmConfig& cfg, int64_t j0, int64_t nb, const KBlock& kblk,
                        float* dst) {
  const int64_t tid = omp_get_thread_num(), nt = omp_get_num_threads();
  pack_b_rows(g, kblk.p0, kblk.kb, j0, nb, cfg.nr, kblk.kb * tid / nt, kblk.kb * (tid + 1) / nt, dst);
}

// Tiles [t0, t1) of an A block (row panels rp, first row i0) times a B block (columns
// [j0, j0 + nb)), column panel by column panel.
void run_block_tiles(const SgemmArgs& g, const SgemmConfig& cfg, const float* a_pack, const float* b_pack,
                     int64_t i0, const RowPanels& rp, int64_t j0, int64_t nb, const KBlock& kblk, int64_t t0,
                     int64_t t1) {
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t jp = t / rp.count, ip = t % rp.count, j = jp * cfg.nr;
    run_tile(g, cfg, a_pack + ip * cfg.mr * kblk.kb, b_pack + jp * cfg.nr * kblk.kb, i0 + rp.start(ip),
             rp.rows(ip), {j0 + j, std::min<int64_t>(cfg.nr, nb - j)}, kblk);
  }
}

// The A blocks (BLIS's ic loop) go to the threads whole when there are enough of them:
// each thread packs its own blocks and runs all their tiles, so the only barriers are
// the two around each shared B block. Splitting the tiles of every block instead costs
// two barriers per block (after its pack, after its tiles), which at batch-1 convolution
// sizes (K = 64..256) come every few microseconds. The rows are split evenly, into a
// multiple of the threads' count of blocks; with fewer blocks than threads (M <= mc with
// a transposed B) the threads split each block's panels and tiles.
void sgemm_blocked(const SgemmArgs& g, const SgemmConfig& cfg, int threads) {
  const int64_t kc = even_block(g.k, cfg.kc, 1);
  const int64_t nc = even_block(g.n, cfg.nc, cfg.nr);
  int64_t blocks = ceil_div(g.m, cfg.mc);
  const bool own_blocks = blocks >= threads;
  if (own_blocks) blocks = ceil_div(blocks, threads) * threads;
  const int64_t a_size = ceil_div(ceil_div(g.m, blocks), cfg.mr) * cfg.mr * kc;
  static thread_local ScratchBuffer a_scratch, b_scratch;
  float* a_packs = a_scratch.floats((own_blocks ? threads : 1) * a_size);
  float* b_pack = b_scratch.floats(nc * kc);

  parallel_region(threads, [&] {
    float* a_pack = a_packs + (own_blocks ? omp_get_thread_num() * a_size : 0);
    for (int64_t j0 = 0; j0 < g.n; j0 += nc) {
      const int64_t nb = std::min(nc, g.n - j0);
      const int64_t n_panels = ceil_div(nb, cfg.nr);
      for (int64_t p0 = 0; p0 < g.k; p0 += kc) {
        const KBlock kblk{p0, std::min(kc, g.k - p0), p0 == 0, p0 + kc >= g.k};
        pack_b_block_share(g, cfg, j0, nb, kblk, b_pack);
#pragma omp barrier
        if (own_blocks) {
#pragma omp for schedule(static)  // its barrier: every thread is done with the B block before it is repacked
          for (int64_t ib = 0; ib < blocks; ++ib) {
            const int64_t i0 = g.m * ib / blocks;
            const RowPanels rp = row_panels(g.m * (ib + 1) / blocks - i0, cfg.mr);
            for (int64_t ip = 0; ip < rp.count; ++ip) pack_a_block_panel(g, cfg, i0, rp, ip, kblk, a_pack);
            run_block_tiles(g, cfg, a_pack, b_pack, i0, rp, j0, nb, kblk, 0, n_panels * rp.count);
          }
        } else {
          for (int64_t ib = 0; ib < blocks; ++ib) {
            const int64_t i0 = g.m * ib / blocks;
            const RowPanels rp = row_panels(g.m * (ib + 1) / blocks - i0, cfg.mr);
            pack_a_block(g, cfg, i0, rp, kblk, a_pack);
            const int64_t tid = omp_get_thread_num(), nt = omp_get_num_threads(), tiles = n_panels * rp.count;
            run_block_tiles(g, cfg, a_pack, b_pack, i0, rp, j0, nb, kblk, tiles * tid / nt, tiles * (tid + 1) / nt);
#pragma omp barrier  // every thread is done with the A block before it is repacked
          }
        }
      }
    }
  });
}

// M <= fused_m: every row of A fits one packed A block (fused_m x fused_kc, in L2), so
// each B micro-panel is packed right before use into an L1 buffer and multiplied by all
// the A panels at once; packed B never goes to memory (the blocked path writes its kc x
// nc B block out and reads it back: as much traffic as B itself, and at M = 16..64 that
// traffic costs as much as the FMAs). Each tile prefetches its share of the next
// panel's rows of a row-major B while it computes, so the read from memory overlaps the
// FMAs instead of stalling the next pack. Threads split the column panels and share the
// A block, packed into two buffers by turns: a thread that packs its share of the next
// k block's A knows, from the barrier that ended the previous pack, that no one still
// reads the buffer it overwrites, so each k block costs one barrier, not two.
// B must be row-major: the panel packer and the prefetch stream walk B's rows. A
// transposed B (linear layers' W^T) goes to the blocked path, which packs its kc x nc
// block with the register-transposing column packer; packed one scalar column at a time
// per panel here, it measured 1.6x slower (M = 32, K = 30752, N = 64).
bool fused_applies(const SgemmArgs& g, const SgemmConfig& cfg) { return g.m <= cfg.fused_m && g.b_cs == 1; }

// Column panels of the fused path. With a row-major B whose rows all share one alignment,
// the panels start on 64-byte boundaries, so a panel row is one cache line: a panel
// costs one line per row to read and to prefetch, not two (NumPy's large arrays start
// 16 bytes past a page). The columns before the first boundary (the head) go to panel
// 0, and so do the narrow rest at the end (the tail) when both fit one panel, as they do
// whenever nr divides N: 512 columns 16 bytes off run as 32 panels, not as 12 + 31 x 16
// + 4, whose extra panel cost 3% at M = 48, K = 4608.
struct ColumnPanels {
  int64_t n, nr, head, tail, count;
  bool wrap;  // panel 0 holds the head and the tail
  TileColumns at(int64_t jp) const {
    if (head > 0 && jp == 0) return wrap ? TileColumns{0, head, n - tail, tail} : TileColumns{0, head};
    const int64_t j = head > 0 ? head + (jp - 1) * nr : jp * nr;
    return {j, std::min(nr, n - j)};
  }
};

ColumnPanels column_panels(const SgemmArgs& g, const SgemmConfig& cfg) {
  // Align to a panel row (64 bytes for 16 columns), never more: the head fits one panel.
  const int64_t unit = std::min<int64_t>(cfg.nr, 64 / sizeof(float));
  int64_t head = 0;
  if (g.b_rs % unit == 0) {
    const int64_t misaligned = static_cast<int64_t>(reinterpret_cast<uintptr_t>(g.b) / sizeof(float) % unit);
    head = std::min(g.n, (unit - misaligned) % unit);
  }
  if (head == 0) return {g.n, cfg.nr, 0, 0, ceil_div(g.n, cfg.nr), false};
  const int64_t body = g.n - head, tail = body % cfg.nr;
  const bool wrap = tail > 0 && head + tail <= cfg.nr;
  return {g.n, cfg.nr, head, tail, 1 + (wrap ? body / cfg.nr : ceil_div(body, cfg.nr)), wrap};
}

void sgemm_fused(const SgemmArgs& g, const SgemmConfig& cfg, int threads) {
  const int64_t kc = even_block(g.k, cfg.fused_kc, 1);
  const RowPanels rp = row_panels(g.m, cfg.mr);
  const ColumnPanels panels = column_panels(g, cfg);
  static thread_local ScratchBuffer a_scratch;
  const int64_t a_size = rp.count * cfg.mr * kc;
  float* a_packs = a_scratch.floats(2 * a_size);

  parallel_region(threads, [&] {
    static thread_local ScratchBuffer b_scratch;
    float* b_panel = b_scratch.floats(kc * cfg.nr);
    const int64_t tid = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t jp0 = panels.count * tid / nt, jp1 = panels.count * (tid + 1) / nt;
    for (int64_t p0 = 0; p0 < g.k; p0 += kc) {
      const KBlock kblk{p0, std::min(kc, g.k - p0), p0 == 0, p0 + kc >= g.k};
      float* a_pack = a_packs + (p0 / kc % 2) * a_size;
      pack_a_block(g, cfg, 0, rp, kblk, a_pack);
      for (int64_t jp = jp0; jp < jp1; ++jp) {
        const TileColumns at = panels.at(jp);
        const float* b_row = g.b + p0 * g.b_rs;
        cfg.pack_b_panel(kblk.kb, b_row + at.j, at.cols, b_row + at.j2, at.cols2, g.b_rs, b_panel);
        // The panel this thread packs next: the next columns, or its first ones one k block on.
        const bool same_k = jp + 1 < jp1;
        const int64_t next_p0 = same_k ? p0 : p0 + kc;
        const int64_t next_rows = next_p0 < g.k ? std::min(kc, g.k - next_p0) : 0;
        const TileColumns next = panels.at(same_k ? jp + 1 : jp0);
        // Its rows are split over the tiles; a panel of two runs has two lines per row,
        // the first half of the tiles fetching the first run's and the rest the second's.
        const int64_t split = next.cols2 > 0 && rp.count > 1 ? rp.count / 2 : rp.count;
        for (int64_t ip = 0; ip < rp.count; ++ip) {
          const bool second = ip >= split;
          const int64_t share = second ? ip - split : ip, shares = second ? rp.count - split : split;
          const int64_t r0 = next_rows * share / shares, r1 = next_rows * (share + 1) / shares;
          const SgemmPrefetch pf{g.b + (next_p0 + r0) * g.b_rs + (second ? next.j2 : next.j), g.b_rs, r1 - r0};
          run_tile(g, cfg, a_pack + ip * cfg.mr * kblk.kb, b_panel, rp.start(ip), rp.rows(ip), at, kblk, pf);
        }
      }
    }
  });
}

// M <= skinny_m with a strided A and B row-major or transposed: no packing, B streamed
// once in its own layout (sgemm_skinny_*.cc); threads split the columns.
bool skinny_applies(const SgemmArgs& g, const SgemmConfig& cfg) {
  return g.m <= cfg.skinny_m && !g.pack_a && (g.b_cs == 1 || g.b_rs == 1);
}

// Rows [i, i + rows) of A contiguous along k, as the dot kernel reads them: A itself
// when it is, else a copy in `scratch`; their row stride goes to *rs.
const float* rows_along_k(const SgemmArgs& g, int64_t i, int64_t rows, ScratchBuffer& scratch, int64_t* rs) {
  if (g.a_cs == 1) {
    *rs = g.a_rs;
    return g.a + i * g.a_rs;
  }
  float* copy = scratch.floats(rows * g.k);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t p = 0; p < g.k; ++p) copy[r * g.k + p] = g.a[(i + r) * g.a_rs + p * g.a_cs];
  }
  *rs = g.k;
  return copy;
}

void sgemm_skinny(const SgemmArgs& g, const SgemmConfig& cfg, int threads) {
  const int m = static_cast<int>(g.m);
  const bool rows = g.b_cs == 1;
  const float* a = g.a;
  int64_t a_rs = g.a_rs;
  static thread_local ScratchBuffer a_scratch;
  if (!rows) a = rows_along_k(g, 0, g.m, a_scratch, &a_rs);
  // Column chunks, one or more per thread, at most 4096 wide: long sequential row
  // streams (a stream per 4 KiB page would retrain the prefetcher at every row), while
  // the C strip (m x width) stays in L1/L2.
  const int64_t chunks = std::max<int64_t>(threads, ceil_div(g.n, 4096));
  const int64_t width = ceil_div(ceil_div(g.n, chunks), 8) * 8;
  parallel_region(threads, [&] {
#pragma omp for schedule(static)
    for (int64_t j = 0; j < g.n; j += width) {
      const int64_t cols = std::min(width, g.n - j);
      float* c = g.c + j;
      if (rows) {
        if (!g.accumulate) {
          for (int64_t i = 0; i < g.m; ++i) std::fill(c + i * g.c_rs, c + i * g.c_rs + cols, 0.0f);
        }
        cfg.skinny_rows(m, cols, g.k, a, a_rs, g.a_cs, g.b + j, g.b_rs, c, g.c_rs);
      } else {
        cfg.skinny_dot(m, cols, g.k, a, a_rs, g.b + j * g.b_cs, g.b_cs, c, g.c_rs, g.accumulate);
      }
      finish_tile(g, 0, j, g.m, cols);
    }
  });
}

// N < 8 (a matrix-vector product, or a few of them) with A addressable: every row of A
// dotted with the n rows of W = B^T, 8-lane accumulators per output (the skinny dot
// kernel on blocks of up to 4 rows). A tile would fill n of its 16 columns and round
// each output once per k in one FMA chain; the dots round it about k / 8 + 3 times, as
// BLAS' sdot / sgemv do (n = 1, k = 67 was 12 ulp off where NumPy was within 1). B and
// row blocks of A are copied contiguous along k when they are not.
bool narrow_applies(const SgemmArgs& g) { return g.n < 8 && !g.pack_a; }

void sgemm_narrow(const SgemmArgs& g, const SgemmConfig& cfg, int threads) {
  const float* w = g.b;
  int64_t w_rs = g.b_cs;
  static thread_local ScratchBuffer w_scratch;
  if (g.b_rs != 1) {
    float* copy = w_scratch.floats(g.n * g.k);
    for (int64_t j = 0; j < g.n; ++j) {
      for (int64_t p = 0; p < g.k; ++p) copy[j * g.k + p] = g.b[p * g.b_rs + j * g.b_cs];
    }
    w = copy, w_rs = g.k;
  }
  constexpr int64_t kRows = 4;
  parallel_region(threads, [&] {
    static thread_local ScratchBuffer a_scratch;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < g.m; i += kRows) {
      const int64_t rows = std::min(kRows, g.m - i);
      int64_t a_rs;
      const float* a = rows_along_k(g, i, rows, a_scratch, &a_rs);
      cfg.skinny_dot(static_cast<int>(rows), g.n, g.k, a, a_rs, w, w_rs, g.c + i * g.c_rs, g.c_rs, g.accumulate);
      finish_tile(g, i, 0, rows, g.n);
    }
  });
}

// K == 0: C = act([C] + bias).
void sgemm_empty_k(const SgemmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    if (!g.accumulate) std::fill(g.c + i * g.c_rs, g.c + i * g.c_rs + g.n, 0.0f);
  }
  finish_tile(g, 0, 0, g.m, g.n);
}

// Enough threads that each gets at least ~0.5 MFLOP (a few microseconds of work).
int threads_for(const SgemmArgs& g) {
  const double flops = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  const double useful = std::max(1.0, flops / 5e5);
  return static_cast<int>(std::min<double>(get_num_threads(), useful));
}

}  // namespace

void sgemm(const SgemmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) return sgemm_empty_k(g);
  const SgemmConfig& cfg = sgemm_config();
  if (narrow_applies(g)) {
    sgemm_narrow(g, cfg, threads_for(g));
  } else if (skinny_applies(g, cfg)) {
    sgemm_skinny(g, cfg, threads_for(g));
  } else if (fused_applies(g, cfg)) {
    sgemm_fused(g, cfg, threads_for(g));
  } else {
    sgemm_blocked(g, cfg, threads_for(g));
  }
}

const char* sgemm_kernel_name() { return sgemm_config().name; }

}  // namespace pk
