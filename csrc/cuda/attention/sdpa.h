// CUDA scaled dot-product attention: out = softmax(scale q k^T + mask) v, fused (flash).
//
//   q (B, Hq, Nq, D), k (B, Hkv, Nk, D), v (B, Hkv, Nk, Dv): f16 or bf16, unit stride
//   along D / Dv, any other element strides; query head h reads key/value head
//   h / (Hq / Hkv) (grouped-query attention). out (B, Hq, Nq, Dv) C-contiguous, q's type.
//   mask: none, bool (uint8, nonzero = attend) or additive (float32 or q's type), any
//   element strides (0 broadcasts). causal keeps keys j <= i. A row that attends no key
//   is zeros. D and Dv at most 128.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace pk::cuda {

enum MaskKind : int { kMaskNone = 0, kMaskBool = 1, kMaskF32 = 2, kMaskSameAsQ = 3 };

struct SdpaArgs {
  int64_t batch, heads, kv_heads, nq, nk, d, dv;
  const void* q;
  int64_t q_bs, q_hs, q_rs;
  const void* k;
  int64_t k_bs, k_hs, k_rs;
  const void* v;
  int64_t v_bs, v_hs, v_rs;
  void* out;
  const void* mask;
  int mask_kind;  // MaskKind
  int64_t m_bs, m_hs, m_rs, m_cs;
  bool causal;
  float scale;
};

constexpr int kSdpaMaxHeadDim = 128;

void sdpa_f16_mma(const SdpaArgs& args, cudaStream_t stream);
void sdpa_bf16_mma(const SdpaArgs& args, cudaStream_t stream);

}  // namespace pk::cuda
