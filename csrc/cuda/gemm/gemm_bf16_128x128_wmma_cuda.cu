// bf16 GEMM on tensor cores (gemm_wmma_128x128.cuh): bf16 in and out, f32 accumulation.
#include "cuda/gemm/gemm_wmma_128x128.cuh"

namespace pk::cuda {

void gemm_bf16_wmma(const GemmArgs& args, cudaStream_t stream) {
  using C = wmma_gemm::Config<__nv_bfloat16, __nv_bfloat16, float, __nv_bfloat16, __nv_bfloat16, 16, 3>;
  wmma_gemm::launch<C>(args, false, stream);
}

}  // namespace pk::cuda
