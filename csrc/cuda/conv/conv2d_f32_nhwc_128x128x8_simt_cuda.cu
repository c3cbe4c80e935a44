// conv2d, float32 NHWC, exact FP32: the SIMT GEMM (gemm_simt_128x128x8.cuh) on the implicit
// im2col matrix. Input channels are the unit-stride dimension of both operands' k, so the
// loads walk k (a_kfast) unless the weights keep another dimension innermost.
#include <algorithm>

#include "cuda/conv/conv2d_implicit_gemm.cuh"
#include "cuda/gemm/gemm_simt_128x128x8.cuh"

namespace pk::cuda {

void conv2d_f32_simt(const ConvArgs& a, cudaStream_t stream) {
  const bool w_kfast = std::abs(a.w_so) >= std::max<int64_t>({std::abs(a.w_sc), std::abs(a.w_sy), std::abs(a.w_sx)});
  simt_gemm::launch(conv::gemm_args(a), conv::input<float>(a), conv::weights<float>(a), true, w_kfast, a.s.groups,
                    stream);
}

}  // namespace pk::cuda
