// int8 GEMM on tensor cores (gemm_wmma_128x128.cuh): int8 x int8 -> int32 accumulation,
// written exactly as int32, or dequantised in the epilogue to
// float32 act(acc * row_scale[i] * col_scale[j] + bias[j]). B is always staged K-major
// (int8 fragments need 32-byte aligned column offsets), so b = w.T (w of shape (n, k),
// the usual int8 weight layout) loads with 16-byte copies.
#include "cuda/gemm/gemm_wmma_128x128.cuh"

namespace pk::cuda {

void gemm_s8_wmma(const GemmArgs& args, DType out_type, cudaStream_t stream) {
  if (out_type == DType::s32) {
    using C = wmma_gemm::Config<signed char, signed char, int, int, int, 16, 2>;
    wmma_gemm::launch<C>(args, true, stream);
  } else {
    using C = wmma_gemm::Config<signed char, signed char, int, float, float, 16, 2>;
    wmma_gemm::launch<C>(args, true, stream);
  }
}

}  // namespace pk::cuda
