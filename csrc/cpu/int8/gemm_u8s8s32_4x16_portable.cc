// u8 x s8 -> s32 GEMM microkernel, 1..4 rows x 16 columns, portable C++ for CPUs
// without AVX2. Products are summed in int32 directly, so there is no intermediate
// saturation: the plain and split entries are the same function. The column loop is
// innermost and unit-stride over the packed panel, so the compiler vectorizes it with
// SSE2.
#include "cpu/int8/gemm_int8.h"

namespace pk {
namespace {

template <int MR>
void ukernel(int64_t groups, const uint8_t* a, int64_t a_rs, const int8_t* b, int32_t* c, int64_t c_rs) {
  uint32_t acc[MR][16] = {};  // wraps like vpaddd: only the corrected sum must fit in int32
  for (int64_t g = 0; g < groups; ++g) {
    for (int i = 0; i < MR; ++i) {
      const uint8_t* ai = a + i * a_rs + 4 * g;
      for (int j = 0; j < 16; ++j) {
        const int8_t* bj = b + 4 * j;
        acc[i][j] += static_cast<uint32_t>(ai[0] * bj[0] + ai[1] * bj[1] + ai[2] * bj[2] + ai[3] * bj[3]);
      }
    }
    b += 64;
  }
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < 16; ++j) c[i * c_rs + j] = static_cast<int32_t>(acc[i][j]);
  }
}

}  // namespace

const Int8Kernels kInt8KernelsPortable{"gemm_u8s8s32_4x16_portable",
                                       {ukernel<1>, ukernel<2>, ukernel<3>, ukernel<4>},
                                       {ukernel<1>, ukernel<2>, ukernel<3>, ukernel<4>}};

}  // namespace pk
