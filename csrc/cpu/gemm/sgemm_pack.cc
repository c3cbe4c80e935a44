#include "cpu/gemm/sgemm_pack.h"

namespace pk {

void pack_a_panel(const SgemmArgs& g, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr, float* dst) {
  // Walk each source row along k (contiguous for row-major A), writing with stride mr.
  for (int64_t i = 0; i < rows; ++i) {
    const float* src = g.a + (i0 + i) * g.a_rs + p0 * g.a_cs;
    for (int64_t p = 0; p < kb; ++p) dst[p * mr + i] = src[p * g.a_cs];
  }
  for (int64_t i = rows; i < mr; ++i) {
    for (int64_t p = 0; p < kb; ++p) dst[p * mr + i] = 0.0f;
  }
}

void pack_b_panel(const SgemmArgs& g, int64_t p0, int64_t kb, int64_t j0, int64_t cols, int nr, float* dst) {
  const float* src = g.b + p0 * g.b_rs + j0 * g.b_cs;
  if (g.b_cs == 1 && cols == nr) {
    // Row-major B: each k row of the panel is nr contiguous floats.
    for (int64_t p = 0; p < kb; ++p) {
      const float* row = src + p * g.b_rs;
      for (int j = 0; j < nr; ++j) dst[p * nr + j] = row[j];
    }
    return;
  }
  // Any other layout (e.g. B = W^T of a row-major W): walk each column along k.
  for (int64_t j = 0; j < cols; ++j) {
    const float* col = src + j * g.b_cs;
    for (int64_t p = 0; p < kb; ++p) dst[p * nr + j] = col[p * g.b_rs];
  }
  for (int64_t j = cols; j < nr; ++j) {
    for (int64_t p = 0; p < kb; ++p) dst[p * nr + j] = 0.0f;
  }
}

}  // namespace pk
