// LSTM recurrence, one step at a time: gates[t] += h W_hh^T on the SIMT GEMM (exact FP32),
// then one pointwise kernel (state update, lengths, y); with a projection a second GEMM
// r W_hr^T and a select kernel. The general path: any hidden size, projections, any
// batch. Each step costs a few launches, which the persistent kernel avoids for small H.
#include "cuda/common/device_matrix.h"
#include "cuda/gemm/gemm.h"
#include "cuda/lstm/lstm.h"
#include "cuda/lstm/lstm_cell.cuh"

namespace pk::cuda {

namespace {

constexpr int THREADS = 256;

// One (row, unit) per thread: the new c, and r = o tanh(c) (the next h without projection).
__global__ void pointwise_kernel(LstmArgs p, int64_t t, const float* h_prev, float* h_next, float* r, bool project) {
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * THREADS + threadIdx.x;
  if (idx >= p.batch * p.hidden) return;
  const int64_t b = idx / p.hidden, u = idx % p.hidden;
  const bool on = lstm::active(p.lengths, b, t);
  const float* g = p.gates + t * p.g_ts + b * p.g_bs;
  float c = p.c_n[idx];
  const float out = on ? lstm::cell(g[u], g[p.hidden + u], g[2 * p.hidden + u], g[3 * p.hidden + u], c) : 0.f;
  if (on) p.c_n[idx] = c;
  if (project) {
    r[idx] = out;
    return;
  }
  const float h = on ? out : h_prev[idx];
  h_next[idx] = h;
  p.y[t * p.y_ts + b * p.y_bs + u] = out;
  if (on) p.h_n[idx] = h;
}

// With a projection: h = r W_hr^T for the rows that ran, the previous h for the others.
__global__ void select_kernel(LstmArgs p, int64_t t, const float* h_prev, const float* projected, float* h_next) {
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * THREADS + threadIdx.x;
  if (idx >= p.batch * p.state) return;
  const int64_t b = idx / p.state, u = idx % p.state;
  const bool on = lstm::active(p.lengths, b, t);
  h_next[idx] = on ? projected[idx] : h_prev[idx];
  p.y[t * p.y_ts + b * p.y_bs + u] = on ? projected[idx] : 0.f;
  if (on) p.h_n[idx] = projected[idx];
}

}  // namespace

void lstm_stepwise_f32(const LstmArgs& p, cudaStream_t stream) {
  const int64_t bh = p.batch * p.hidden, br = p.batch * p.state;
  float* hbuf[2] = {p.work, p.work + br};
  float* r = p.work + 2 * br;
  float* projected = r + bh;
  const bool project = p.w_hr != nullptr;
  for (int64_t s = 0; s < p.steps; ++s) {
    const int64_t t = p.reverse ? p.steps - 1 - s : s;
    const float* h_prev = hbuf[s % 2];
    float* h_next = hbuf[(s + 1) % 2];
    const GemmArgs rec{p.batch, 4 * p.hidden, p.state, h_prev, p.state, 1, p.w_hh, 1, p.state,
                       p.gates + t * p.g_ts, p.g_bs, nullptr, kBiasNone, nullptr, nullptr, kActNone, true};
    gemm_f32_simt(rec, stream);
    pointwise_kernel<<<static_cast<unsigned>(ceil_div(bh, THREADS)), THREADS, 0, stream>>>(p, t, h_prev, h_next, r,
                                                                                             project);
    check_launch("cuda lstm (pointwise)");
    if (project) {
      const GemmArgs proj{p.batch, p.state, p.hidden, r, p.hidden, 1, p.w_hr, 1, p.hidden, projected, p.state,
                          nullptr, kBiasNone, nullptr, nullptr, kActNone, false};
      gemm_f32_simt(proj, stream);
      select_kernel<<<static_cast<unsigned>(ceil_div(br, THREADS)), THREADS, 0, stream>>>(p, t, h_prev, projected,
                                                                                           h_next);
      check_launch("cuda lstm (select)");
    }
  }
}

void lstm_recurrence_f32(const LstmArgs& p, cudaStream_t stream) {
  if (p.steps == 0 || p.batch == 0) return;
  const int64_t br = p.batch * p.state, bh = p.batch * p.hidden;
  // States start from h0 / c0 (zeros when absent): h in the work buffer, c in c_n; a row's
  // h_n is its h0 until it runs (every row runs at least one step).
  if (p.h0) check(cudaMemcpyAsync(p.work, p.h0, br * sizeof(float), cudaMemcpyDeviceToDevice, stream), "lstm h0");
  else check(cudaMemsetAsync(p.work, 0, br * sizeof(float), stream), "lstm h0");
  if (p.c0) check(cudaMemcpyAsync(p.c_n, p.c0, bh * sizeof(float), cudaMemcpyDeviceToDevice, stream), "lstm c0");
  else check(cudaMemsetAsync(p.c_n, 0, bh * sizeof(float), stream), "lstm c0");
  if (!lstm_persistent_f32(p, stream)) lstm_stepwise_f32(p, stream);
}

}  // namespace pk::cuda
