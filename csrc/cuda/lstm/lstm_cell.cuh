// The LSTM state update of one (row, unit), shared by the persistent and step-wise kernels.
#pragma once

#include <cstdint>

namespace pk::cuda::lstm {

__device__ __forceinline__ float sigmoid(float v) { return 1.f / (1.f + expf(-v)); }

// c <- f c + i g; returns o tanh(c). Pre-activations in PyTorch's gate order.
__device__ __forceinline__ float cell(float pi, float pf, float pg, float po, float& c) {
  c = sigmoid(pf) * c + sigmoid(pi) * tanhf(pg);
  return sigmoid(po) * tanhf(c);
}

// Whether row b runs at time t (its first lengths[b] steps, or all).
__device__ __forceinline__ bool active(const int64_t* lengths, int64_t b, int64_t t) {
  return lengths == nullptr || t < lengths[b];
}

}  // namespace pk::cuda::lstm
