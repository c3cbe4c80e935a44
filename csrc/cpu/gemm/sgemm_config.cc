#include "cpu/gemm/sgemm_config.h"

#include "common/cpu_features.h"

namespace pk {

const SgemmConfig& sgemm_config() {
  // Zen 3 / Haswell class: 32 KiB L1d, 512 KiB L2 per core. A B micro-panel (kc x 16,
  // 32 KiB) is reused from L1/L2 across the A block (mc x kc = 144 KiB, in L2); kc = 512
  // halves the passes over C compared with 256 and measured 2-4% faster on Zen 3. The
  // fused path (M <= 256) packs a 256 x 16 B micro-panel (16 KiB) next to the A panels in
  // L1; 512 rows would fill L1 and measured 8-10% slower at M = 16..64, K = N = 4096. Its
  // A block (at most 256 x 256, 256 KiB) fills half of L2. M = 96..256 ran 1-26% faster
  // fused than blocked (K = N = 1024 and 4096, 256 x 768 -> 3072, 196 x 2304 -> 256),
  // which had taken every M above one blocked-path A block (72 rows).
  static const SgemmConfig avx2{"sgemm_6x16_avx2", 6, 16, 72, 512, 4080, kSgemmUkernels6x16Avx2, 256, 256,
                                sgemm_pack_b_panel_16_avx2, 4, sgemm_skinny_rows_avx2, sgemm_skinny_dot_avx2};
  static const SgemmConfig portable{"sgemm_4x8_portable", 4, 8, 128, 256, 4096, kSgemmUkernels4x8Portable, 128,
                                    256, sgemm_pack_b_panel_8_portable, 4, sgemm_skinny_rows_portable,
                                    sgemm_skinny_dot_portable};
  return active_isa() == Isa::Avx2 ? avx2 : portable;
}

}  // namespace pk
