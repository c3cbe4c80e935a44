// LSTM layer driver: input projection, W_hh packing, rows ordered by length, the time
// loop with its threads, and the projection of the hidden state (proj_size).
//
//   xw = x W_ih^T + bias                  one sgemm over all steps (m = steps x batch)
//   for each step t (reverse: backwards):
//     for each block of 8 hidden units:
//       for each k chunk of W_hh's packed block (kept in L1 across the batch's tiles):
//         for each tile of 3 active rows:  fused tile (lstm_tile.h): gates, c, h
//     [proj: h = h_raw W_hr^T, one sgemm over the active rows]
//
// A single step of at most kGemvMaxBatch rows without projection (lstm_cell, streaming
// inference) packs
// nothing: xw += h0 W_hh^T runs as sgemm's skinny GEMV reading W_hh once in its own
// layout, and the tiles only apply the gates (k = 0); packing would cost a full extra
// pass over W_hh.
//
// Rows are visited longest first, so the rows still running at step t (t < length) are
// always a prefix: inactive rows cost nothing, and the tiles of the active ones stay
// full. The recurrent state lives in two row buffers in that order (read one, write the
// other); the cell state is c_n itself. Without a projection the whole loop runs in one
// OpenMP region with no allocation, fork or Python per step. Threads claim (step, 2 blocks)
// tasks in order from one atomic counter and a task of step s starts once every task of
// step s - 1 is done: no barrier, so a thread the OS deschedules (a shared or
// oversubscribed machine) holds up nobody unless it holds a claimed task, and the other
// thread takes over its share of the blocks meanwhile.
#include "cpu/lstm/lstm.h"

#include <emmintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <numeric>
#include <thread>
#include <vector>

#include "common/cpu_features.h"
#include "common/scratch.h"
#include "common/threads.h"
#include "cpu/gemm/sgemm.h"
#include "cpu/lstm/lstm_pack.h"
#include "cpu/lstm/lstm_tile.h"

namespace pk {
namespace {

constexpr int64_t kGates = 4;
constexpr int64_t kBlockCols = kGates * kLstmBlockUnits;  // 32 packed columns per block
constexpr double kMinFlopsPerThread = 2e6;               // per step: a hand-off costs ~1-2 us
constexpr int64_t kChunkRows = 128;                      // k rows of a W_hh chunk: 16 KB, in L1
// A waiting thread spins this long before it yields its core: a wait normally lasts at
// most one task (5-50 us), and a yield on a busy machine can cost a whole time slice.
constexpr auto kSpinBeforeYield = std::chrono::microseconds(200);
constexpr int64_t kGemvMaxBatch = 4;  // sgemm's skinny kernels take up to 4 rows
constexpr int64_t kTaskBlocks = 2;  // blocks per task: 16 units, whole cache lines of h, c and y per thread

LstmTileKernel tile_kernel() {
  return active_isa() == Isa::Avx2 ? lstm_tile_f32_3x32_avx2 : lstm_tile_f32_portable;
}

LstmPackKernel pack_kernel() {
  return active_isa() == Isa::Avx2 ? lstm_pack_w_hh_f32_avx2 : lstm_pack_w_hh_f32_portable;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Layer {
  const LstmArgs& a;
  int64_t state;          // R: hidden or proj size
  int64_t blocks;         // hidden blocks of 8 units
  int64_t chunks;         // k chunks of each block's product, 0 when xw already holds it
  bool time_major;        // xw rows are t * batch + b (else b * steps + t)
  const float* xw;        // steps * batch rows of 4H gate pre-activations
  float* w_pack;          // blocks x state x 32
  float* h_raw;           // batch x H, sorted rows (proj only)
  std::vector<int64_t> order;   // rows by length, longest first
  std::vector<int64_t> active;  // active[t]: rows still running at step t

  const float* xw_row(int64_t t, int64_t b) const {
    return xw + (time_major ? t * a.batch + b : b * a.steps + t) * kGates * a.hidden;
  }
  float* y_row(int64_t t, int64_t b) const { return a.y + t * a.y_ts + b * a.y_bs; }
  int64_t length(int64_t b) const { return a.lengths ? a.lengths[b] : a.steps; }
};

// Blocks [q0, q1) of step t for the first n rows (in length order); h_prev / h_next are
// the state buffers (sorted rows of R values); partial holds 32 floats per row.
void step_blocks(const Layer& L, LstmTileKernel kernel, int64_t t, int64_t n, const float* h_prev, float* h_next,
                 int64_t q0, int64_t q1, float* partial) {
  const LstmArgs& a = L.a;
  const int64_t H = a.hidden, R = L.state;
  for (int64_t q = q0; q < q1; ++q) {
    const int64_t u0 = q * kLstmBlockUnits;
    const int units = static_cast<int>(std::min<int64_t>(kLstmBlockUnits, H - u0));
    const float* w = L.w_pack + q * R * kBlockCols;
    const int64_t chunks = std::max<int64_t>(L.chunks, 1);
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t k0 = R * c / chunks, k1 = L.chunks ? R * (c + 1) / chunks : 0;
      const LstmChunk chunk{c == 0, c == chunks - 1};
      for (int64_t i0 = 0; i0 < n; i0 += kLstmTileRows) {
        const int rows = static_cast<int>(std::min<int64_t>(kLstmTileRows, n - i0));
        LstmTileRows r;
        for (int i = 0; i < rows; ++i) {
          const int64_t s = i0 + i, b = L.order[s];
          r.h[i] = h_prev + s * R + k0;
          r.x[i] = L.xw_row(t, b) + u0;
          r.c[i] = a.c_n + b * H + u0;
          r.partial[i] = partial + s * kBlockCols;
          if (a.w_hr) {
            r.out[i] = L.h_raw + s * H + u0, r.out2[i] = nullptr;
          } else {
            r.out[i] = L.y_row(t, b) + u0, r.out2[i] = h_next + s * R + u0;
          }
        }
        kernel(rows, units, k1 - k0, w + k0 * kBlockCols, H, r, chunk);
      }
    }
  }
}

// Waits until `done` reaches `target`: spins, then yields the core, so a thread waiting
// for a descheduled one lets it run.
void wait_for(const std::atomic<int64_t>& done, int64_t target) {
  if (done.load(std::memory_order_acquire) >= target) return;
  const auto yield_at = std::chrono::steady_clock::now() + kSpinBeforeYield;
  for (int spins = 1; done.load(std::memory_order_acquire) < target; ++spins) {
    if (spins % 64 || std::chrono::steady_clock::now() < yield_at) {
      _mm_pause();
    } else {
      std::this_thread::yield();
    }
  }
}

// h_next[:n] = h_raw[:n] W_hr^T, then copied to the outputs of step t.
void project(const Layer& L, int64_t t, int64_t n, float* h_next) {
  const LstmArgs& a = L.a;
  SgemmArgs g;
  g.m = n, g.n = a.proj, g.k = a.hidden;
  g.a = L.h_raw, g.a_rs = a.hidden, g.a_cs = 1;
  g.b = a.w_hr, g.b_rs = 1, g.b_cs = a.hidden;
  g.c = h_next, g.c_rs = a.proj;
  sgemm(g);
  for (int64_t s = 0; s < n; ++s) std::memcpy(L.y_row(t, L.order[s]), h_next + s * a.proj, a.proj * sizeof(float));
}

// Whether the rows of x run time-major (t * batch + b) or batch-major, and their stride.
bool x_time_major(const LstmArgs& a) { return a.steps == 1 || a.batch == 1 || a.x_ts == a.batch * a.x_bs; }
int64_t x_row_stride(const LstmArgs& a) {
  if (a.batch == 1) return a.x_ts;
  return x_time_major(a) ? a.x_bs : a.x_ts;
}

// xw += h0 W_hh^T for a single step (the unpacked path); rows of xw and h0 in batch order.
void recurrent_gemv(const LstmArgs& a, float* xw) {
  SgemmArgs g;
  g.m = a.batch, g.n = kGates * a.hidden, g.k = a.proj ? a.proj : a.hidden;
  g.a = a.h0, g.a_rs = g.k, g.a_cs = 1;
  g.b = a.w_hh, g.b_rs = 1, g.b_cs = g.k;
  g.c = xw, g.c_rs = g.n;
  g.accumulate = true;
  sgemm(g);
}

void input_projection(const LstmArgs& a, float* xw) {
  SgemmArgs g;
  g.m = a.steps * a.batch, g.n = kGates * a.hidden, g.k = a.input;
  g.a = a.x, g.a_rs = x_row_stride(a), g.a_cs = 1;
  g.b = a.w_ih, g.b_rs = 1, g.b_cs = a.input;
  g.c = xw, g.c_rs = g.n;
  g.bias = a.bias, g.bias_mode = BiasMode::PerCol;
  sgemm(g);
}

// Order, active counts, initial states, and zeros in the outputs past each row's end.
void prepare_rows(Layer& L, float* h_a, float* h_b) {
  const LstmArgs& a = L.a;
  L.order.resize(a.batch);
  std::iota(L.order.begin(), L.order.end(), int64_t{0});
  std::stable_sort(L.order.begin(), L.order.end(), [&](int64_t i, int64_t j) { return L.length(i) > L.length(j); });
  L.active.assign(a.steps, 0);
  for (int64_t b = 0; b < a.batch; ++b) {
    for (int64_t t = 0; t < L.length(b); ++t) ++L.active[t];
    for (int64_t t = L.length(b); t < a.steps; ++t) std::memset(L.y_row(t, b), 0, L.state * sizeof(float));
  }
  for (int64_t s = 0; s < a.batch; ++s) {
    const int64_t b = L.order[s];
    for (float* h : {h_a, h_b}) {
      if (a.h0) {
        std::memcpy(h + s * L.state, a.h0 + b * L.state, L.state * sizeof(float));
      } else {
        std::memset(h + s * L.state, 0, L.state * sizeof(float));
      }
    }
  }
  if (a.c0) {
    std::memcpy(a.c_n, a.c0, a.batch * a.hidden * sizeof(float));
  } else {
    std::memset(a.c_n, 0, a.batch * a.hidden * sizeof(float));
  }
}

int threads_for(const LstmArgs& a, int64_t state, int64_t blocks) {
  const double step_flops = 2.0 * a.batch * state * kGates * a.hidden;
  const double useful = std::max(1.0, step_flops / kMinFlopsPerThread);
  return static_cast<int>(std::min<double>({static_cast<double>(get_num_threads()), static_cast<double>(blocks), useful}));
}

void empty_sequence(const LstmArgs& a, int64_t state) {
  for (int64_t b = 0; b < a.batch; ++b) {
    for (int64_t j = 0; j < state; ++j) a.h_n[b * state + j] = a.h0 ? a.h0[b * state + j] : 0.0f;
    for (int64_t j = 0; j < a.hidden; ++j) a.c_n[b * a.hidden + j] = a.c0 ? a.c0[b * a.hidden + j] : 0.0f;
  }
}

}  // namespace

void lstm_layer(const LstmArgs& a) {
  const int64_t state = a.proj ? a.proj : a.hidden;
  if (a.batch == 0) return;
  if (a.steps == 0) return empty_sequence(a, state);
  static thread_local ScratchBuffer xw_scratch, w_scratch, h_scratch;
  const bool gemv = a.steps == 1 && a.batch <= kGemvMaxBatch && !a.w_hr;
  // One chunk when one tile covers the batch: then nothing is reused across tiles.
  const int64_t chunks = gemv ? 0 : a.batch > kLstmTileRows ? ceil_div(state, kChunkRows) : 1;
  Layer L{a, state, ceil_div(a.hidden, kLstmBlockUnits), chunks, x_time_major(a), nullptr, nullptr, nullptr,
          {}, {}};
  float* xw = xw_scratch.floats(a.steps * a.batch * kGates * a.hidden);
  L.xw = xw;
  L.w_pack = w_scratch.floats(L.blocks * state * kBlockCols);
  float* h_buf = h_scratch.floats(2 * a.batch * state + (a.w_hr ? a.batch * a.hidden : 0));
  float* h_bufs[2] = {h_buf, h_buf + a.batch * state};
  L.h_raw = h_buf + 2 * a.batch * state;
  input_projection(a, xw);
  if (gemv && a.h0) recurrent_gemv(a, xw);
  prepare_rows(L, h_bufs[0], h_bufs[1]);

  const LstmTileKernel kernel = tile_kernel();
  const LstmPackKernel pack = pack_kernel();
  const int threads = threads_for(a, state, L.blocks);
  auto time_of = [&](int64_t s) { return a.reverse ? a.steps - 1 - s : s; };
  auto partial_rows = [&] {
    static thread_local ScratchBuffer partial_scratch;
    return partial_scratch.floats(a.batch * kBlockCols);
  };
  if (a.w_hr) {
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t q = 0; q < L.blocks; ++q) pack(a.w_hh, a.hidden, state, q, q + 1, L.w_pack);
    for (int64_t s = 0; s < a.steps; ++s) {
      const int64_t t = time_of(s), n = L.active[t];
      parallel_region(threads, [&] {
        const int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        step_blocks(L, kernel, t, n, h_bufs[s & 1], nullptr, L.blocks * tid / nt, L.blocks * (tid + 1) / nt,
                    partial_rows());
      });
      project(L, t, n, h_bufs[(s + 1) & 1]);
    }
  } else if (threads == 1 || gemv) {
    if (!gemv) pack(a.w_hh, a.hidden, state, 0, L.blocks, L.w_pack);
    float* partial = partial_rows();
    for (int64_t s = 0; s < a.steps; ++s) {
      const int64_t t = time_of(s);
      step_blocks(L, kernel, t, L.active[t], h_bufs[s & 1], h_bufs[(s + 1) & 1], 0, L.blocks, partial);
    }
  } else {
    alignas(64) std::atomic<int64_t> next{0};  // (step, block group) tasks claimed
    alignas(64) std::atomic<int64_t> done{0};  // and finished
    const int64_t per_step = ceil_div(L.blocks, kTaskBlocks), tasks = a.steps * per_step;
    parallel_region(threads, [&] {
#pragma omp for schedule(static)
      for (int64_t q = 0; q < L.blocks; ++q) pack(a.w_hh, a.hidden, state, q, q + 1, L.w_pack);
      float* partial = partial_rows();
      for (int64_t i = next.fetch_add(1, std::memory_order_relaxed); i < tasks;
           i = next.fetch_add(1, std::memory_order_relaxed)) {
        const int64_t s = i / per_step, q = i % per_step * kTaskBlocks, t = time_of(s);
        wait_for(done, s * per_step);
        step_blocks(L, kernel, t, L.active[t], h_bufs[s & 1], h_bufs[(s + 1) & 1], q,
                    std::min(q + kTaskBlocks, L.blocks), partial);
        done.fetch_add(1, std::memory_order_release);
      }
    });
  }
  for (int64_t b = 0; b < a.batch; ++b) {
    const int64_t last = a.reverse ? 0 : L.length(b) - 1;
    std::memcpy(a.h_n + b * state, L.y_row(last, b), state * sizeof(float));
  }
}

const char* lstm_tile_name() {
  return active_isa() == Isa::Avx2 ? "lstm_f32_3x32_avx2" : "lstm_f32_portable";
}

}  // namespace pk
