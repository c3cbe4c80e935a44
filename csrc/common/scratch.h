// Grow-only, 64-byte aligned scratch memory, one per (thread, purpose). Kernels reuse it
// across calls, so packing buffers cost no allocation or page faults after warm-up.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace pk {

class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer() { std::free(data_); }

  // At least `count` floats, 64-byte aligned; contents are unspecified.
  float* floats(size_t count) {
    const size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    if (bytes > capacity_) {
      std::free(data_);
      data_ = std::aligned_alloc(64, bytes);
      if (!data_) {
        capacity_ = 0;
        throw std::bad_alloc();
      }
      capacity_ = bytes;
    }
    return static_cast<float*>(data_);
  }

 private:
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace pk
