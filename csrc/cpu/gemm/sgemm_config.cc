#include "cpu/gemm/sgemm_config.h"

#include "common/cpu_features.h"

namespace pk {

const SgemmConfig& sgemm_config() {
  // Zen 3 / Haswell class: 32 KiB L1d, 512 KiB L2 per core. kc * NR * 4 B = 16 KiB of
  // B stays in L1 while mc * kc * 4 B = 144 KiB of A streams from L2.
  static const SgemmConfig avx2{"sgemm_6x16_avx2", 6, 16, 144, 256, 4080, sgemm_ukernel_6x16_avx2};
  static const SgemmConfig portable{"sgemm_4x8_portable", 4, 8, 128, 256, 4096, sgemm_ukernel_4x8_portable};
  return active_isa() == Isa::Avx2 ? avx2 : portable;
}

}  // namespace pk
