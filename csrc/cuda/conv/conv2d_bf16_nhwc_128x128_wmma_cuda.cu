// conv2d, bf16 NHWC, float32 accumulation: the tensor-core GEMM (gemm_wmma_128x128.cuh) on the
// implicit im2col matrix, weights staged K-major (16-byte copies for OHWI-packed weights,
// and for the input when channels per group are a multiple of 8).
#include "cuda/conv/conv2d_implicit_gemm.cuh"
#include "cuda/gemm/gemm_wmma_128x128.cuh"

namespace pk::cuda {

void conv2d_bf16_wmma(const ConvArgs& a, cudaStream_t stream) {
  using C = wmma_gemm::Config<__nv_bfloat16, __nv_bfloat16, float, __nv_bfloat16, __nv_bfloat16, 16, 3>;
  wmma_gemm::launch_sources<C, true>(conv::gemm_args(a), conv::input<__nv_bfloat16>(a), conv::weights<__nv_bfloat16>(a),
                                     a.s.groups, stream);
}

}  // namespace pk::cuda
