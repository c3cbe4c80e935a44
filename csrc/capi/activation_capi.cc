// C ABI for the elementwise activations and the row softmax.
#include <string>

#include "capi/errors.h"
#include "cpu/activation/activation.h"

extern "C" PK_API int pk_activation_f32(float* x, int64_t n, int activation) {
  return pk::guarded([&] {
    if (n < 0) return pk::argument_error("pk_activation_f32: negative size " + std::to_string(n));
    if (activation < PK_ACT_NONE || activation > PK_ACT_GELU)
      return pk::argument_error("pk_activation_f32: unknown activation " + std::to_string(activation));
    if (n > 0 && !x) return pk::argument_error("pk_activation_f32: x is NULL");
    pk::apply_activation(x, n, static_cast<pk::Activation>(activation));
    return PK_OK;
  });
}

extern "C" PK_API int pk_softmax_f32(const float* x, float* y, int64_t rows, int64_t cols) {
  return pk::guarded([&] {
    if (rows < 0 || cols < 0)
      return pk::argument_error("pk_softmax_f32: negative size rows=" + std::to_string(rows) +
                                ", cols=" + std::to_string(cols));
    if (rows > 0 && cols > 0 && (!x || !y)) return pk::argument_error("pk_softmax_f32: x or y is NULL");
    pk::softmax_rows(x, y, rows, cols);
    return PK_OK;
  });
}
