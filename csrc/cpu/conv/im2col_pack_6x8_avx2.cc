// Implicit im2col packing of 6-row sgemm A panels (the 6x16 AVX2 microkernel's), AVX2.
//
// The 6 rows (output pixels) are walked together through runs that all of them can
// read contiguously (im2col_run: a tap's channels, or a whole in-bounds kernel row);
// each run goes through the sgemm's own row packer (sgemm_pack_rows6_avx2: per 8
// columns, 6 unaligned loads, an 8x8 register transpose and 8 stores of panel rows,
// instead of 48 scalar strided stores).
#include <algorithm>

#include "cpu/conv/im2col_pack.h"
#include "cpu/gemm/sgemm_pack.h"

namespace pk {

void pack_im2col_panel6_f32_avx2(const Im2colSource& s, int64_t i0, int64_t rows, int64_t p0, int64_t kb,
                                 float* dst) {
  constexpr int kMr = 6;
  Im2colRow origin[kMr];
  for (int64_t r = 0; r < rows; ++r) origin[r] = im2col_row(s, i0 + r);
  const int64_t end = p0 + kb;
  for (int64_t k = p0; k < end;) {
    const float* src[kMr] = {};
    int64_t len = end - k;
    for (int64_t r = 0; r < rows; ++r) {
      const Im2colRun run = im2col_run(s, origin[r], k, end);
      src[r] = run.src;
      len = std::min(len, run.len);
    }
    sgemm_pack_rows6_avx2(src, len, dst + (k - p0) * kMr);
    k += len;
  }
}

}  // namespace pk
