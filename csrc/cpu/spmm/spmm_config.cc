// Microkernel selection: ISA first, then format and block shape, then the panel width
// (ymm vectors per X row) that the dense dimension n fills best; CSR against one dense
// column is an SpMV.
#include "common/cpu_features.h"
#include "cpu/spmm/spmm_config.h"

namespace pk {

SpmmKernel spmm_select(const SpmmArgs& g) {
  const int nv = g.n >= 24 ? 4 : static_cast<int>((g.n + 7) / 8);  // 1..4: n <= 8, 16, 24, more
  if (active_isa() == Isa::Avx2) {
    const SpmmKernel kernel = g.format == SparseFormat::Nm ? spmm_f32_nm_avx2(g.nm_n, nv)
                                                           : spmm_f32_bsr_avx2(g.r, g.c, nv);
    if (kernel.run) return kernel;
  }
  if (g.format == SparseFormat::Nm) return {"spmm_f32_nm_portable", 16, spmm_f32_nm_portable};
  return {"spmm_f32_bsr_portable", 16, spmm_f32_bsr_portable};
}

bool spmm_is_spmv(const SpmmArgs& g) { return g.n == 1 && g.format == SparseFormat::Bsr && g.r == 1 && g.c == 1; }

SpmvKernel spmv_select() {
  if (active_isa() == Isa::Avx2) return {"spmv_f32_csr_avx2", spmv_f32_csr_avx2};
  return {"spmv_f32_csr_portable", spmv_f32_csr_portable};
}

}  // namespace pk
