// Activations and row softmax on contiguous float32 for CPUs without AVX2: scalar
// libm calls (the compiler vectorizes what it can for the baseline ISA). Exact to libm
// accuracy; the AVX2 file is the fast path. GELU runs in double (0.5 x erfc(-x / sqrt 2)
// in float loses erfc's precision in the negative tail and underflows before the
// result does) and the softmax denominator is summed in double (a float running sum
// over a long row errs by up to cols x eps).
#include <cmath>

#include "cpu/activation/activation.h"

namespace pk {

namespace {

void activation_row(float* x, int64_t n, Activation act) {
  switch (act) {
    case Activation::None:
      return;
    case Activation::Relu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] < 0.0f ? 0.0f : x[i];
      return;
    case Activation::Sigmoid:
      for (int64_t i = 0; i < n; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
      return;
    case Activation::Tanh:
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      return;
    case Activation::Gelu:
      for (int64_t i = 0; i < n; ++i) {
        const double v = x[i];
        x[i] = static_cast<float>(0.5 * v * std::erfc(-v * 0.70710678118654752));
      }
      return;
  }
}

}  // namespace

void activation_f32_portable(float* x, int64_t rows, int64_t cols, int64_t rs, Activation act) {
  for (int64_t r = 0; r < rows; ++r) activation_row(x + r * rs, cols, act);
}

void softmax_f32_portable(const float* x, float* y, int64_t cols) {
  float row_max = -INFINITY;
  for (int64_t i = 0; i < cols; ++i) row_max = x[i] > row_max ? x[i] : row_max;
  double sum = 0.0;
  for (int64_t i = 0; i < cols; ++i) {
    y[i] = std::exp(x[i] - row_max);
    sum += y[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < cols; ++i) y[i] *= inv;
}

}  // namespace pk
