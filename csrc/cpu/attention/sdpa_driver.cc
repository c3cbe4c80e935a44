// Flash-attention driver: tasks, threads, packing, masking; the ISA microkernels
// (SdpaKernels) do the arithmetic.
//
// One task is (batch, query head, block of up to MQ query rows, the blocks of a head
// evened out to a multiple of MR). It packs its Q block
// once (scaled by scale * log2 e, so the softmax runs on exp2), then walks the key blocks
// of BC keys: each is packed once (K into 16-key panels, V into rows padded to 8) and
// reused by every 6-row tile of the query block, which computes its scores, masks them,
// folds them into its running softmax and accumulates P.V. Memory per thread is O(tile):
// about (MQ + BC) * (D + Dv) floats, never Nq x Nk. With a causal mask a task stops at its
// last row's diagonal and a row tile skips the key blocks wholly above it, so half the
// work is never done rather than masked. Tasks are handed out dynamically, longest first.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/cpu_features.h"
#include "common/scratch.h"
#include "common/threads.h"
#include "cpu/attention/sdpa.h"

namespace pk {
namespace {

constexpr int64_t MR = SDPA_MR;
// Query rows per task at most. Every task packs the keys and values it reads, so the
// packing per key falls as MQ grows: at 132 a 128-token sequence (BERT) is one task per
// head and packs its keys once, not twice as with 96 rows.
constexpr int64_t MQ = 22 * MR;
constexpr int64_t BC = 64;       // keys per block (a multiple of 16): K and V blocks stay in L1/L2
constexpr float LOG2E = 1.4426950408889634f;
constexpr float NEG_INF = -std::numeric_limits<float>::infinity();

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// Per-thread working set of one task, carved from one scratch buffer (64-byte aligned parts).
struct Workspace {
  float *q, *k, *v, *s, *o, *m, *l, *alpha;

  Workspace(ScratchBuffer& scratch, int64_t d, int64_t dp) {
    const int64_t sizes[] = {MQ * d, BC * d, BC * dp, MR * BC, MQ * dp, MQ, MQ, MR};
    int64_t total = 0;
    for (int64_t size : sizes) total += round_up(size, 16);
    float* base = scratch.floats(static_cast<size_t>(total));
    float** parts[] = {&q, &k, &v, &s, &o, &m, &l, &alpha};
    for (int i = 0; i < 8; ++i) {
      *parts[i] = base;
      base += round_up(sizes[i], 16);
    }
  }
};

class Task {
 public:
  Task(const SdpaArgs& a, const SdpaKernels& kernels, int64_t b, int64_t h, int64_t q0, int64_t q1, Workspace& w)
      : a_(a), kern_(kernels), b_(b), h_(h), q0_(q0), q1_(q1), w_(w), d_(a.d), dv_(a.dv), dp_(round_up(a.dv, 8)),
        tiles_((q1 - q0 + MR - 1) / MR) {
    const int64_t hk = h / (a.heads_q / a.heads_kv);
    k_ = a.k + b * a.k_sb + hk * a.k_sh;
    v_ = a.v + b * a.v_sb + hk * a.v_sh;
  }

  void run() {
    pack_queries();
    const int64_t key_end = a_.causal ? std::min(a_.nk, q1_) : a_.nk;
    for (int64_t k0 = 0; k0 < key_end; k0 += BC) {
      const int64_t keys = std::min(BC, key_end - k0);
      pack_keys(k0, keys);
      for (int64_t t = 0; t < tiles_; ++t) tile(t, k0, keys);
    }
    write_output();
  }

 private:
  void pack_queries() {
    const float scale = static_cast<float>(static_cast<double>(a_.scale) * 1.4426950408889634);
    const int64_t rows = q1_ - q0_;
    const float* q = a_.q + b_ * a_.q_sb + h_ * a_.q_sh + q0_ * a_.q_sn;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t c = 0; c < d_; ++c) w_.q[i * d_ + c] = q[i * a_.q_sn + c] * scale;
    std::fill(w_.q + rows * d_, w_.q + tiles_ * MR * d_, 0.0f);
    std::fill(w_.o, w_.o + tiles_ * MR * dp_, 0.0f);
    std::fill(w_.m, w_.m + tiles_ * MR, NEG_INF);
    std::fill(w_.l, w_.l + tiles_ * MR, 0.0f);
  }

  // K block -> panels of 16 keys (D x 16, zero past the last key); V block -> rows of dp.
  void pack_keys(int64_t k0, int64_t keys) {
    kern_.pack_keys(k_ + k0 * a_.k_sn, a_.k_sn, keys, d_, w_.k);
    for (int64_t j = 0; j < keys; ++j) {
      std::memcpy(w_.v + j * dp_, v_ + (k0 + j) * a_.v_sn, static_cast<size_t>(dv_) * sizeof(float));
      std::fill(w_.v + j * dp_ + dv_, w_.v + (j + 1) * dp_, 0.0f);
    }
  }

  void tile(int64_t t, int64_t k0, int64_t keys) {
    const int64_t r0 = q0_ + t * MR, rows = std::min(MR, q1_ - r0);
    if (a_.causal) {
      keys = std::min(keys, r0 + rows - k0);  // row i attends keys j <= i
      if (keys <= 0) return;                  // the whole tile lies above the diagonal
    }
    kern_.scores(w_.q + t * MR * d_, d_, w_.k, (keys + 15) / 16, w_.s, BC);
    if (a_.mask_kind != MaskKind::None) apply_mask(r0, rows, k0, keys);
    if (a_.causal && k0 + keys - 1 > r0) {  // the tile crosses the diagonal
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = std::max<int64_t>(0, r0 + r + 1 - k0); j < keys; ++j) w_.s[r * BC + j] = NEG_INF;
    }
    kern_.softmax(w_.s, BC, keys, w_.m + t * MR, w_.l + t * MR, w_.alpha);
    kern_.accumulate(w_.s, BC, keys, w_.v, dp_, w_.o + t * MR * dp_, w_.alpha);
  }

  // Scores are in log2 units: an additive mask is scaled by log2 e like the scores.
  void apply_mask(int64_t r0, int64_t rows, int64_t k0, int64_t keys) {
    const int64_t base = b_ * a_.m_sb + h_ * a_.m_sh + r0 * a_.m_sq + k0 * a_.m_sk;
    for (int64_t r = 0; r < rows; ++r) {
      float* s = w_.s + r * BC;
      const int64_t row = base + r * a_.m_sq;
      if (a_.mask_kind == MaskKind::Bool) {
        const auto* mask = static_cast<const uint8_t*>(a_.mask) + row;
        for (int64_t j = 0; j < keys; ++j) s[j] = mask[j * a_.m_sk] ? s[j] : NEG_INF;
      } else {
        const float* mask = static_cast<const float*>(a_.mask) + row;
        for (int64_t j = 0; j < keys; ++j) s[j] += mask[j * a_.m_sk] * LOG2E;
      }
    }
  }

  // O = accumulator / row sum; a row that attended nothing (sum 0) is zeros. NaN stays NaN.
  void write_output() {
    float* o = a_.o + b_ * a_.o_sb + h_ * a_.o_sh + q0_ * a_.o_sn;
    for (int64_t i = 0; i < q1_ - q0_; ++i) {
      const float inv = w_.l[i] == 0.0f ? 0.0f : 1.0f / w_.l[i];
      for (int64_t c = 0; c < dv_; ++c) o[i * a_.o_sn + c] = w_.o[i * dp_ + c] * inv;
    }
  }

  const SdpaArgs& a_;
  const SdpaKernels& kern_;
  const int64_t b_, h_, q0_, q1_;
  Workspace& w_;
  const int64_t d_, dv_, dp_, tiles_;
  const float *k_, *v_;
};

const SdpaKernels& active_kernels() {
  return active_isa() == Isa::Avx2 ? sdpa_kernels_f32_6x16_avx2 : sdpa_kernels_f32_portable;
}

}  // namespace

void sdpa(const SdpaArgs& a) {
  const int64_t heads = a.batch * a.heads_q;
  if (heads == 0 || a.nq == 0) return;
  const int64_t blocks = (a.nq + MQ - 1) / MQ, tasks = heads * blocks;
  const int64_t rows = round_up((a.nq + blocks - 1) / blocks, MR);  // per block, <= MQ
  const SdpaKernels& kernels = active_kernels();
  // One thread per 64 Ki multiply-adds at most: below that a parallel region costs more
  // than it saves (tiny attention, as in decoding one token with a short cache).
  const int64_t work = heads * a.nq * a.nk * (a.d + a.dv);
  const int threads = static_cast<int>(std::min<int64_t>({get_num_threads(), tasks, std::max<int64_t>(1, work >> 16)}));
  parallel_region(threads, [&] {
    static thread_local ScratchBuffer scratch;
    Workspace work(scratch, a.d, round_up(a.dv, 8));
    // Query blocks last-first: under a causal mask they are the longest tasks.
#pragma omp for schedule(dynamic)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t block = blocks - 1 - t / heads, bh = t % heads;
      const int64_t q0 = block * rows;
      Task(a, kernels, bh / a.heads_q, bh % a.heads_q, q0, std::min(a.nq, q0 + rows), work).run();
    }
  });
}

const char* sdpa_kernel_name() {
  return active_isa() == Isa::Avx2 ? "sdpa_f32_6x16_avx2" : "sdpa_f32_portable";
}

}  // namespace pk
