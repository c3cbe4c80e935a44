// ISA dispatch for activations and softmax; softmax rows run in parallel.
#include "cpu/activation/activation.h"

#include "common/cpu_features.h"
#include "common/threads.h"

namespace pk {

void apply_activation_rows(float* x, int64_t rows, int64_t cols, int64_t rs, Activation act) {
  if (act == Activation::None) return;
  if (active_isa() == Isa::Avx2) {
    activation_f32_avx2(x, rows, cols, rs, act);
  } else {
    activation_f32_portable(x, rows, cols, rs, act);
  }
}

void apply_activation(float* x, int64_t n, Activation act) { apply_activation_rows(x, 1, n, n, act); }

void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  const bool avx2 = active_isa() == Isa::Avx2;
  const int threads = rows * cols >= (1 << 15) ? get_num_threads() : 1;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    if (avx2) {
      softmax_f32_avx2(x + r * cols, y + r * cols, cols);
    } else {
      softmax_f32_portable(x + r * cols, y + r * cols, cols);
    }
  }
}

}  // namespace pk
