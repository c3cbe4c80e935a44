// Scaled dot-product attention, float32: O = softmax(scale * Q K^T + mask) V per (batch,
// query head), fused and tiled (flash attention) so the Nq x Nk score matrix never exists.
//
// Q (B, Hq, Nq, D), K (B, Hkv, Nk, D), V (B, Hkv, Nk, Dv) with Hkv dividing Hq (query head h reads
// key/value head h / (Hq / Hkv)), O (B, Hq, Nq, Dv): any element strides along batch, head
// and sequence, unit stride along D / Dv. The mask, when given, is read at
// mask[b * sb + h * sh + i * sq + j * sk] (zero strides broadcast): bool (uint8, nonzero =
// attend) or additive float32. Causal: query i attends keys j <= i (PyTorch's top-left
// alignment when Nq != Nk). A row that attends no key is all zeros.
#pragma once

#include <cstdint>

namespace pk {

// Values are part of the C ABI (include/pykernels.h: PK_MASK_*).
enum class MaskKind : int { None = 0, Bool = 1, Additive = 2 };

struct SdpaArgs {
  int64_t batch = 0, heads_q = 0, heads_kv = 0, nq = 0, nk = 0, d = 0, dv = 0;
  const float* q = nullptr;
  int64_t q_sb = 0, q_sh = 0, q_sn = 0;
  const float* k = nullptr;
  int64_t k_sb = 0, k_sh = 0, k_sn = 0;
  const float* v = nullptr;
  int64_t v_sb = 0, v_sh = 0, v_sn = 0;
  float* o = nullptr;
  int64_t o_sb = 0, o_sh = 0, o_sn = 0;
  const void* mask = nullptr;
  MaskKind mask_kind = MaskKind::None;
  int64_t m_sb = 0, m_sh = 0, m_sq = 0, m_sk = 0;
  bool causal = false;
  float scale = 1.0f;
};

// Runs on get_num_threads() OpenMP threads over (batch, head, query block). Assumes valid
// arguments (capi checks them).
void sdpa(const SdpaArgs& args);

// Name of the microkernels sdpa uses on this CPU, e.g. "sdpa_f32_6x16_avx2".
const char* sdpa_kernel_name();

// ---- The microkernels of one ISA (the driver, sdpa_driver.cc, does everything else). ----
//
// Tile: SDPA_MR query rows against a key block. Packed operands (made by the driver, kp
// through the ISA's pack_keys):
//   q:  SDPA_MR rows of D floats, pre-multiplied by scale * log2(e) (scores in log2 units)
//   kp: ceil(keys / 16) panels, panel p = D x 16 floats (key p*16 + c at [d * 16 + c]),
//       zero past the last key
//   vp: keys rows of dp floats (dp = Dv rounded up to 8), zero past Dv
//   s:  SDPA_MR rows of the block's scores / probabilities, row stride s_rs
//   o:  SDPA_MR rows of the unnormalised output accumulator, row stride dp
constexpr int64_t SDPA_MR = 6;

struct SdpaKernels {
  // kp = keys rows of D floats (key j at k + j * k_sn) as ceil(keys / 16) panels, zero
  // past the last key.
  void (*pack_keys)(const float* k, int64_t k_sn, int64_t keys, int64_t d, float* kp);
  // s[r, j] = q[r] . key j, for j < 16 * panels.
  void (*scores)(const float* q, int64_t d, const float* kp, int64_t panels, float* s, int64_t s_rs);
  // Online softmax over s[r, :keys] for r < SDPA_MR: updates the running max m[r] and sum
  // l[r], turns s into probabilities relative to the new max, and sets alpha[r], the factor
  // the accumulator must be rescaled by.
  void (*softmax)(float* s, int64_t s_rs, int64_t keys, float* m, float* l, float* alpha);
  // o[r] = alpha[r] * o[r] + s[r, :keys] . vp for r < SDPA_MR.
  void (*accumulate)(const float* s, int64_t s_rs, int64_t keys, const float* vp, int64_t dp, float* o,
                     const float* alpha);
};

extern const SdpaKernels sdpa_kernels_f32_6x16_avx2;
extern const SdpaKernels sdpa_kernels_f32_portable;

}  // namespace pk
