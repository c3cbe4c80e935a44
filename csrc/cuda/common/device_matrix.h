// Host-side descriptions of device operands, shared by every CUDA family's launchers and
// bindings. Pointers are device addresses; strides count elements and may be negative.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace pk::cuda {

// Element types of device operands (pykernels/cuda/arrays.py uses the same codes).
enum class DType : int { f32 = 0, f16 = 1, bf16 = 2, s8 = 3, s32 = 4, s64 = 5 };

// Codes of the C ABI (csrc/include/pykernels.h): PK_ACT_*, PK_BIAS_*.
enum Activation : int { kActNone = 0, kActRelu = 1, kActSigmoid = 2, kActTanh = 3, kActGelu = 4 };
enum BiasMode : int { kBiasNone = 0, kBiasRow = 1, kBiasCol = 2 };

// Throws std::runtime_error naming `what` when a CUDA runtime call failed; the bindings
// turn it into a Python RuntimeError.
inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorName(status) + " (" +
                             cudaGetErrorString(status) + ")");
}

// Launch errors (bad configuration, no kernel image for this GPU) surface here; kernel
// faults surface at the next synchronising call, as everywhere in CUDA.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

__host__ __device__ inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace pk::cuda
