// Packing of B for the int8 GEMM (once per weight matrix) and the kernel table by ISA.
#include <algorithm>

#include "common/cpu_features.h"
#include "common/threads.h"
#include "cpu/int8/gemm_int8.h"

namespace pk {

int64_t int8_packed_b_bytes(int64_t n, int64_t k) {
  const int64_t panels = (n + kInt8PanelCols - 1) / kInt8PanelCols;
  return panels * kInt8PanelCols * ((k + 3) / 4 * 4);
}

void int8_pack_b(const int8_t* w, int64_t n, int64_t k, int64_t w_rs, int64_t w_cs, int8_t* packed) {
  const int64_t groups = (k + 3) / 4;
  const int64_t panels = (n + kInt8PanelCols - 1) / kInt8PanelCols;
  // The library's thread count (set_num_threads), and one thread below 64 KiB of
  // packed bytes: a parallel region costs more than packing a small matrix.
  const int threads = static_cast<int>(
      std::min<int64_t>(get_num_threads(), std::max<int64_t>(1, int8_packed_b_bytes(n, k) >> 16)));
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t q = 0; q < panels; ++q) {
    int8_t* panel = packed + q * groups * 64;
    for (int jj = 0; jj < kInt8PanelCols; ++jj) {
      const int64_t j = q * kInt8PanelCols + jj;
      for (int64_t p = 0; p < groups * 4; ++p) {
        panel[(p / 4) * 64 + jj * 4 + p % 4] = (j < n && p < k) ? w[j * w_rs + p * w_cs] : 0;
      }
    }
  }
}

const Int8Kernels& int8_kernels() {
  return active_isa() == Isa::Avx2 ? kInt8KernelsAvx2 : kInt8KernelsPortable;
}

const char* gemm_int8_kernel_name() { return int8_kernels().name; }

}  // namespace pk
