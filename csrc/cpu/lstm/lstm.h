// One LSTM layer in one direction over a whole sequence (PyTorch's nn.LSTM semantics):
//
//   gates_t = x_t W_ih^T + h_{t-1} W_hh^T + bias       (gate order i, f, g, o)
//   c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
//   h_t = sigmoid(o) * tanh(c_t)           (then h_t <- h_t W_hr^T with a projection)
//
// The input projection of all time steps is one sgemm; the recurrence runs as one
// native loop (lstm_driver.cc) around the fused step tile (lstm_tile.h).
#pragma once

#include <cstdint>

namespace pk {

struct LstmArgs {
  int64_t steps = 0, batch = 0, input = 0, hidden = 0;
  int64_t proj = 0;  // projection size, 0 for none; the state size is R = proj ? proj : hidden
  // x[t, b, :] (input values, unit stride) at x + t * x_ts + b * x_bs; either time-major
  // (x_ts == batch * x_bs) or batch-major (x_bs == steps * x_ts) rows.
  const float* x = nullptr;
  int64_t x_ts = 0, x_bs = 0;
  const float* w_ih = nullptr;  // 4H x input, row-major
  const float* w_hh = nullptr;  // 4H x R, row-major
  const float* bias = nullptr;  // 4H: b_ih + b_hh
  const float* w_hr = nullptr;  // R x H (proj) or nullptr
  const float* h0 = nullptr;    // batch x R, or nullptr for zeros
  const float* c0 = nullptr;    // batch x H, or nullptr for zeros
  const int64_t* lengths = nullptr;  // batch values in [1, steps], or nullptr for all steps
  bool reverse = false;              // run t = steps-1 .. 0
  // y[t, b, :] (R values, unit stride) at y + t * y_ts + b * y_bs; zero past a row's length.
  float* y = nullptr;
  int64_t y_ts = 0, y_bs = 0;
  float* h_n = nullptr;  // batch x R: the state after each row's last step
  float* c_n = nullptr;  // batch x H
};

// Runs on up to get_num_threads() OpenMP threads. Assumes valid arguments (capi checks them).
void lstm_layer(const LstmArgs& args);

// Name of the step tile used on this CPU, e.g. "lstm_f32_3x32_avx2".
const char* lstm_tile_name();

}  // namespace pk
