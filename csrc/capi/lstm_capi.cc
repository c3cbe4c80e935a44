// C ABI for the LSTM layer: checks what the driver relies on, then runs it.
#include <cstdlib>
#include <string>

#include "capi/errors.h"
#include "cpu/lstm/lstm.h"

namespace {

std::string num(int64_t v) { return std::to_string(v); }

// Rows of `width` floats at stride `stride` for `count` rows must not overlap.
bool rows_disjoint(int64_t count, int64_t stride, int64_t width) { return count <= 1 || std::llabs(stride) >= width; }

}  // namespace

extern "C" PK_API int pk_lstm_layer_f32(int64_t steps, int64_t batch, int64_t input, int64_t hidden, int64_t proj,
                                        const float* x, int64_t x_ts, int64_t x_bs, const float* w_ih,
                                        const float* w_hh, const float* bias, const float* w_hr, const float* h0,
                                        const float* c0, const int64_t* lengths, int reverse, float* y, int64_t y_ts,
                                        int64_t y_bs, float* h_n, float* c_n) {
  return pk::guarded([&] {
    if (steps < 0 || batch < 0 || input < 0 || hidden < 1 || proj < 0)
      return pk::argument_error("pk_lstm_layer_f32: bad sizes (steps=" + num(steps) + ", batch=" + num(batch) +
                                ", input=" + num(input) + ", hidden=" + num(hidden) + ", proj=" + num(proj) + ")");
    if ((proj > 0) != (w_hr != nullptr))
      return pk::argument_error("pk_lstm_layer_f32: w_hr must be given exactly when proj > 0 (proj=" + num(proj) + ")");
    if (batch == 0) return PK_OK;
    const int64_t state = proj ? proj : hidden;
    if (!h_n || !c_n) return pk::argument_error("pk_lstm_layer_f32: h_n or c_n is NULL");
    if (steps == 0) {
      pk::LstmArgs a;
      a.batch = batch, a.hidden = hidden, a.proj = proj, a.h0 = h0, a.c0 = c0, a.h_n = h_n, a.c_n = c_n;
      pk::lstm_layer(a);
      return PK_OK;
    }
    if (!x || !w_ih || !w_hh || !bias || !y) return pk::argument_error("pk_lstm_layer_f32: an array is NULL");
    if (steps > 1 && batch > 1 && x_ts != batch * x_bs && x_bs != steps * x_ts)
      return pk::argument_error("pk_lstm_layer_f32: x rows must be time-major (x_ts == batch * x_bs) or batch-major "
                                "(x_bs == steps * x_ts), got x_ts=" + num(x_ts) + ", x_bs=" + num(x_bs));
    if (!rows_disjoint(steps, y_ts, state) || !rows_disjoint(batch, y_bs, state))
      return pk::argument_error("pk_lstm_layer_f32: rows of y overlap (y_ts=" + num(y_ts) + ", y_bs=" + num(y_bs) +
                                ", state=" + num(state) + ")");
    if (lengths) {
      for (int64_t b = 0; b < batch; ++b) {
        if (lengths[b] < 1 || lengths[b] > steps)
          return pk::argument_error("pk_lstm_layer_f32: lengths[" + num(b) + "] = " + num(lengths[b]) +
                                    " is outside [1, " + num(steps) + "]");
      }
    }
    pk::LstmArgs a;
    a.steps = steps, a.batch = batch, a.input = input, a.hidden = hidden, a.proj = proj;
    a.x = x, a.x_ts = x_ts, a.x_bs = x_bs;
    a.w_ih = w_ih, a.w_hh = w_hh, a.bias = bias, a.w_hr = w_hr;
    a.h0 = h0, a.c0 = c0, a.lengths = lengths, a.reverse = reverse != 0;
    a.y = y, a.y_ts = y_ts, a.y_bs = y_bs, a.h_n = h_n, a.c_n = c_n;
    pk::lstm_layer(a);
    return PK_OK;
  });
}
