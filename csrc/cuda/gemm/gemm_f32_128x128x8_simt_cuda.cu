// Exact float32 GEMM on plain strided matrices (gemm_simt_128x128x8.cuh).
#include "cuda/gemm/gemm_simt_128x128x8.cuh"

namespace pk::cuda {

void gemm_f32_simt(const GemmArgs& p, cudaStream_t stream) {
  const float* a = static_cast<const float*>(p.a);
  const float* b = static_cast<const float*>(p.b);
  const StridedOperand<float> as{a, p.a_rs, p.a_cs, p.m, p.k, false};
  const StridedOperand<float> bs{b, p.b_cs, p.b_rs, p.n, p.k, false};  // row n, column k
  const bool a_kfast = std::abs(p.a_cs) <= std::abs(p.a_rs);  // k is a's unit-stride dimension
  const bool b_kfast = std::abs(p.b_rs) < std::abs(p.b_cs);
  simt_gemm::launch(p, as, bs, a_kfast, b_kfast, 1, stream);
}

}  // namespace pk::cuda
