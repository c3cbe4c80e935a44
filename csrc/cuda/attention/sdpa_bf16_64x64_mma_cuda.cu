// Flash SDPA, bf16 in and out, float32 accumulation (sdpa_flash_64x64_mma.cuh).
#include "cuda/attention/sdpa_flash_64x64_mma.cuh"

namespace pk::cuda {

void sdpa_bf16_mma(const SdpaArgs& args, cudaStream_t stream) { flash::launch<__nv_bfloat16>(args, stream); }

}  // namespace pk::cuda
