// Flash SDPA, f16 in and out, float32 accumulation (sdpa_flash_64x64_mma.cuh).
#include "cuda/attention/sdpa_flash_64x64_mma.cuh"

namespace pk::cuda {

void sdpa_f16_mma(const SdpaArgs& args, cudaStream_t stream) { flash::launch<__half>(args, stream); }

}  // namespace pk::cuda
