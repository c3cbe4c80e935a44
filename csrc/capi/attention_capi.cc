// C ABI for the attention family: scaled dot-product attention and layer norm.
#include <string>

#include "capi/errors.h"
#include "cpu/attention/layer_norm.h"
#include "cpu/attention/sdpa.h"

extern "C" PK_API int pk_sdpa_f32(int64_t batch, int64_t heads_q, int64_t heads_kv, int64_t nq, int64_t nk,
                                  int64_t d, int64_t dv, const float* q, int64_t q_sb, int64_t q_sh, int64_t q_sn,
                                  const float* k, int64_t k_sb, int64_t k_sh, int64_t k_sn, const float* v,
                                  int64_t v_sb, int64_t v_sh, int64_t v_sn, float* o, int64_t o_sb,
                                  int64_t o_sh, int64_t o_sn, const void* mask, int mask_kind, int64_t m_sb,
                                  int64_t m_sh, int64_t m_sq, int64_t m_sk, int causal, float scale) {
  return pk::guarded([&] {
    const std::string sizes = "batch=" + std::to_string(batch) + ", heads_q=" + std::to_string(heads_q) +
                              ", heads_kv=" + std::to_string(heads_kv) + ", nq=" + std::to_string(nq) +
                              ", nk=" + std::to_string(nk) + ", d=" + std::to_string(d) + ", dv=" + std::to_string(dv);
    if (batch < 0 || heads_q < 0 || heads_kv < 0 || nq < 0 || nk < 0 || d < 0 || dv < 0)
      return pk::argument_error("pk_sdpa_f32: negative size (" + sizes + ")");
    if (heads_q > 0 && (heads_kv == 0 || heads_q % heads_kv != 0))
      return pk::argument_error("pk_sdpa_f32: heads_kv must divide heads_q (" + sizes + ")");
    if (mask_kind < PK_MASK_NONE || mask_kind > PK_MASK_ADD)
      return pk::argument_error("pk_sdpa_f32: unknown mask_kind " + std::to_string(mask_kind));
    const bool work = batch > 0 && heads_q > 0 && nq > 0;
    if (work && (!q || !o)) return pk::argument_error("pk_sdpa_f32: q or o is NULL");
    if (work && nk > 0 && (!k || !v)) return pk::argument_error("pk_sdpa_f32: k or v is NULL");
    if (work && nk > 0 && mask_kind != PK_MASK_NONE && !mask)
      return pk::argument_error("pk_sdpa_f32: mask is NULL");
    pk::SdpaArgs a;
    a.batch = batch, a.heads_q = heads_q, a.heads_kv = heads_kv, a.nq = nq, a.nk = nk, a.d = d, a.dv = dv;
    a.q = q, a.q_sb = q_sb, a.q_sh = q_sh, a.q_sn = q_sn;
    a.k = k, a.k_sb = k_sb, a.k_sh = k_sh, a.k_sn = k_sn;
    a.v = v, a.v_sb = v_sb, a.v_sh = v_sh, a.v_sn = v_sn;
    a.o = o, a.o_sb = o_sb, a.o_sh = o_sh, a.o_sn = o_sn;
    a.mask = mask, a.mask_kind = static_cast<pk::MaskKind>(mask_kind);
    a.m_sb = m_sb, a.m_sh = m_sh, a.m_sq = m_sq, a.m_sk = m_sk;
    a.causal = causal != 0;
    a.scale = scale;
    pk::sdpa(a);
    return PK_OK;
  });
}

extern "C" PK_API int pk_layer_norm_f32(const float* x, float* y, int64_t rows, int64_t cols, const float* gamma,
                                        const float* beta, float eps) {
  return pk::guarded([&] {
    if (rows < 0 || cols < 0)
      return pk::argument_error("pk_layer_norm_f32: negative size rows=" + std::to_string(rows) +
                                ", cols=" + std::to_string(cols));
    if (rows > 0 && cols > 0 && (!x || !y)) return pk::argument_error("pk_layer_norm_f32: x or y is NULL");
    if (!(eps >= 0.0f)) return pk::argument_error("pk_layer_norm_f32: eps must be >= 0, got " + std::to_string(eps));
    pk::layer_norm_rows(x, y, rows, cols, gamma, beta, eps);
    return PK_OK;
  });
}
