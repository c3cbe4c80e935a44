// Layer normalisation over the last axis, float32 (the Transformer's LayerNorm).
#pragma once

#include <cstdint>

namespace pk {

// y[r] = (x[r] - mean(x[r])) / sqrt(var(x[r]) + eps) * gamma + beta for `rows` rows of
// `cols` contiguous floats (x may equal y); gamma / beta NULL mean 1 / 0.
void layer_norm_rows(const float* x, float* y, int64_t rows, int64_t cols, const float* gamma, const float* beta,
                     float eps);

// One row (cols >= 1), per ISA; layer_norm_rows picks one and runs the rows in parallel.
void layer_norm_row_f32_avx2(const float* x, float* y, int64_t cols, const float* gamma, const float* beta,
                             float eps);
void layer_norm_row_f32_portable(const float* x, float* y, int64_t cols, const float* gamma, const float* beta,
                                 float eps);

}  // namespace pk
