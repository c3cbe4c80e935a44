// Elementwise activations and row softmax on contiguous float32, dispatched by ISA.
// Shared by the GEMM epilogue and by every family that fuses an activation.
#pragma once

#include <cstdint>

namespace pk {

// Values are part of the C ABI (include/pykernels.h: PK_ACT_*).
enum class Activation : int { None = 0, Relu = 1, Sigmoid = 2, Tanh = 3, Gelu = 4 };

// x[i] = act(x[i]) for i < n.
void apply_activation(float* x, int64_t n, Activation act);

// The same on rows x cols floats, row r at x + r * rs (a GEMM tile): the vectorized
// functions work on several vectors at once, across rows when rows are short.
void apply_activation_rows(float* x, int64_t rows, int64_t cols, int64_t rs, Activation act);

// y[r, :] = softmax(x[r, :]) for `rows` rows of `cols` contiguous values (x may equal y).
void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);

// ISA variants, chosen by apply_activation / softmax_rows.
void activation_f32_avx2(float* x, int64_t rows, int64_t cols, int64_t rs, Activation act);
void activation_f32_portable(float* x, int64_t rows, int64_t cols, int64_t rs, Activation act);
void softmax_f32_avx2(const float* x, float* y, int64_t cols);
void softmax_f32_portable(const float* x, float* y, int64_t cols);

}  // namespace pk
