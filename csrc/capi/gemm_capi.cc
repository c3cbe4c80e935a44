// C ABI for the f32 GEMM: checks what the driver relies on, then runs it.
#include <string>

#include "capi/errors.h"
#include "cpu/gemm/sgemm.h"

namespace {

bool valid_activation(int act) { return act >= PK_ACT_NONE && act <= PK_ACT_GELU; }

std::string dims(int64_t m, int64_t n, int64_t k) {
  return "m=" + std::to_string(m) + ", n=" + std::to_string(n) + ", k=" + std::to_string(k);
}

}  // namespace

extern "C" PK_API int pk_sgemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
                               const float* b, int64_t b_rs, int64_t b_cs, float* c, int64_t c_rs,
                               const float* bias, int bias_mode, int activation, int accumulate) {
  return pk::guarded([&] {
    if (m < 0 || n < 0 || k < 0) return pk::argument_error("pk_sgemm: negative size (" + dims(m, n, k) + ")");
    if (m > 0 && n > 0 && !c) return pk::argument_error("pk_sgemm: c is NULL");
    if (m > 0 && n > 0 && k > 0 && (!a || !b)) return pk::argument_error("pk_sgemm: a or b is NULL");
    if (m > 1 && (c_rs < n && c_rs > -n))
      return pk::argument_error("pk_sgemm: rows of c overlap: |c_rs| = " + std::to_string(c_rs) +
                                " < n = " + std::to_string(n));
    if (!valid_activation(activation))
      return pk::argument_error("pk_sgemm: unknown activation " + std::to_string(activation));
    if (bias_mode != PK_BIAS_NONE && bias_mode != PK_BIAS_ROW && bias_mode != PK_BIAS_COL)
      return pk::argument_error("pk_sgemm: unknown bias_mode " + std::to_string(bias_mode));
    if (bias_mode != PK_BIAS_NONE && !bias) return pk::argument_error("pk_sgemm: bias is NULL");
    pk::SgemmArgs g;
    g.m = m, g.n = n, g.k = k;
    g.a = a, g.a_rs = a_rs, g.a_cs = a_cs;
    g.b = b, g.b_rs = b_rs, g.b_cs = b_cs;
    g.c = c, g.c_rs = c_rs;
    g.bias = bias;
    g.bias_mode = static_cast<pk::BiasMode>(bias_mode);
    g.activation = static_cast<pk::Activation>(activation);
    g.accumulate = accumulate != 0;
    pk::sgemm(g);
    return PK_OK;
  });
}
