#include "cpu/gemm/sgemm_pack.h"

#include "common/cpu_features.h"

namespace pk {

void pack_a_panel(const SgemmArgs& g, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr, float* dst) {
  if (mr == 6 && g.a_cs == 1 && active_isa() == Isa::Avx2) {  // row-major A: transposed in registers
    const float* src[6] = {};
    for (int64_t i = 0; i < rows; ++i) src[i] = g.a + (i0 + i) * g.a_rs + p0;
    return sgemm_pack_rows6_avx2(src, kb, dst);
  }
  // Any other layout or ISA: walk each source row along k, writing with stride mr.
  for (int64_t i = 0; i < rows; ++i) {
    const float* src = g.a + (i0 + i) * g.a_rs + p0 * g.a_cs;
    for (int64_t p = 0; p < kb; ++p) dst[p * mr + i] = src[p * g.a_cs];
  }
  for (int64_t i = rows; i < mr; ++i) {
    for (int64_t p = 0; p < kb; ++p) dst[p * mr + i] = 0.0f;
  }
}

void pack_b_rows(const SgemmArgs& g, int64_t p0, int64_t kb, int64_t j0, int64_t nb, int nr, int64_t r0,
                 int64_t r1, float* dst) {
  const int64_t full = nb / nr, tail = nb - full * nr;
  const int64_t panel = kb * nr;
  if (g.b_cs == 1) {
    for (int64_t p = r0; p < r1; ++p) {
      const float* row = g.b + (p0 + p) * g.b_rs + j0;
      for (int64_t q = 0; q < full; ++q) {
        float* out = dst + q * panel + p * nr;
        for (int j = 0; j < nr; ++j) out[j] = row[q * nr + j];
      }
      if (tail) {
        float* out = dst + full * panel + p * nr;
        for (int64_t j = 0; j < nr; ++j) out[j] = j < tail ? row[full * nr + j] : 0.0f;
      }
    }
    return;
  }
  const bool columns_avx2 = nr == 16 && g.b_rs == 1 && active_isa() == Isa::Avx2;
  for (int64_t q = 0; q * nr < nb; ++q) {
    const int64_t cols = q < full ? nr : tail;
    float* out = dst + q * panel;
    if (cols == nr && columns_avx2) {  // columns contiguous along k: transposed in registers
      sgemm_pack_cols16_avx2(g.b + (p0 + r0) + (j0 + q * nr) * g.b_cs, g.b_cs, r1 - r0, out + r0 * nr);
      continue;
    }
    for (int64_t j = 0; j < nr; ++j) {
      if (j >= cols) {
        for (int64_t p = r0; p < r1; ++p) out[p * nr + j] = 0.0f;
        continue;
      }
      const float* col = g.b + p0 * g.b_rs + (j0 + q * nr + j) * g.b_cs;
      for (int64_t p = r0; p < r1; ++p) out[p * nr + j] = col[p * g.b_rs];
    }
  }
}

}  // namespace pk
