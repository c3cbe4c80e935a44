// The sgemm epilogue on a stored tile: C = act(C + bias). The portable microkernel ends
// with it, and the driver finishes with it the tiles that the AVX2 kernel's register
// epilogue does not cover (narrow tiles, the skinny and narrow paths, K = 0).
#include "cpu/gemm/sgemm_config.h"

namespace pk {

void apply_epilogue(float* c, int64_t rows, int64_t cols, int64_t ldc, const SgemmEpilogue& ep) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = c + r * ldc;
    if (ep.col_bias) {
      for (int64_t s = 0; s < cols; ++s) row[s] += ep.col_bias[s];
    } else if (ep.row_bias) {
      const float b = ep.row_bias[r];
      for (int64_t s = 0; s < cols; ++s) row[s] += b;
    }
  }
  apply_activation_rows(c, rows, cols, ldc, ep.act);
}

}  // namespace pk
