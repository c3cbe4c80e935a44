// TF32 GEMM on tensor cores (gemm_wmma_128x128.cuh): float32 in and out, operands
// rounded to TF32 (10-bit mantissa) as torch does with allow_tf32=True, f32 accumulation.
#include "cuda/gemm/gemm_wmma_128x128.cuh"

namespace pk::cuda {

void gemm_tf32_wmma(const GemmArgs& args, cudaStream_t stream) {
  using C = wmma_gemm::Config<float, nvcuda::wmma::precision::tf32, float, float, float, 8, 3>;
  wmma_gemm::launch<C>(args, false, stream);
}

}  // namespace pk::cuda
