// CUDA LSTM layer, float32 (PyTorch's gates i, f, g, o), after the input projection:
//   gates[t, b] = x[t, b] W_ih^T + b_ih + b_hh   (one GEMM over all steps, done by the caller)
//   per step: gates += h W_hh^T; c = f c + i g; r = o tanh(c); h = r (or r W_hr^T with projection)
// gates: (T, B, 4H) with element row strides g_ts, g_bs (time-major or batch-major storage),
// consumed (overwritten). w_hh (4H, R), w_hr (R, H) or null: C-contiguous. h0 (B, R), c0
// (B, H) or null (zeros); lengths (B) int64 in [1, T] or null; reverse runs t = T-1 .. 0.
// y (T, B, R): element strides y_ts, y_bs, unit along features; zero where t >= lengths[b].
// h_n (B, R), c_n (B, H): the states at each row's last step. work: lstm_workspace_floats.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace pk::cuda {

struct LstmArgs {
  int64_t steps, batch, hidden, state;  // T, B, H, R
  float* gates;
  int64_t g_ts, g_bs;
  const float* w_hh;
  const float* w_hr;
  const float* h0;
  const float* c0;
  const int64_t* lengths;
  bool reverse;
  float* y;
  int64_t y_ts, y_bs;
  float* h_n;
  float* c_n;
  float* work;
};

inline int64_t lstm_workspace_floats(int64_t batch, int64_t hidden, int64_t state) {
  return 2 * batch * state + batch * hidden + batch * state;  // h double buffer, r, projected h
}

// The recurrence: the persistent kernel (lstm_f32_persistent_cuda.cu) when there is no
// projection and W_hh fits in the shared memory of co-resident blocks, else one GEMM and
// one pointwise kernel per step (lstm_f32_stepwise_cuda.cu).
void lstm_recurrence_f32(const LstmArgs& args, cudaStream_t stream);
bool lstm_persistent_f32(const LstmArgs& args, cudaStream_t stream);  // false: does not fit
void lstm_stepwise_f32(const LstmArgs& args, cudaStream_t stream);

}  // namespace pk::cuda
