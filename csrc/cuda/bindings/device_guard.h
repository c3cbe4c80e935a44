// Helpers every CUDA binding uses: run on the operands' device (restoring the caller's
// current device afterwards), turn Python integers into device pointers and streams.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/common/device_matrix.h"

namespace pk::cuda {

class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    if (device != previous_) check(cudaSetDevice(device), "cudaSetDevice");
  }
  ~DeviceGuard() { cudaSetDevice(previous_); }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

// Stream handles as __cuda_array_interface__ / DLPack write them: 0 or 1 is the legacy
// default stream, 2 the per-thread default stream, anything else a cudaStream_t.
inline cudaStream_t as_stream(uintptr_t handle) { return reinterpret_cast<cudaStream_t>(handle); }

template <typename T = void>
inline T* as_ptr(uintptr_t address) { return reinterpret_cast<T*>(address); }

}  // namespace pk::cuda
