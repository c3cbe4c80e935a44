// Quantized conv2d driver (see conv2d_int8.h): the int8 GEMM over chunks of output
// pixels, each chunk's A rows copied straight from the uint8 image by im2col_codes.
//
// Why this shape: a row of A is a pixel's receptive field, which in NHWC is a few long
// contiguous runs (a tap's channels; with groups = 1 and dilation 1 a whole in-bounds
// kernel row), so a row is a handful of memcpy / memset calls and the image is read
// KH*KW times from cache instead of being expanded in memory. The GEMM packer takes the
// row sums and the largest code on the way, so zero points and the saturation-safe
// kernel choice work as for any A. Chunks bound the packed A (<= 1 MiB, L2-sized for
// typical K) so a large batch does not grow the scratch without limit.
#include <algorithm>
#include <cstring>

#include "cpu/conv/conv2d.h"
#include "cpu/conv/im2col_pack.h"
#include "cpu/int8/conv2d_int8.h"

namespace pk {
namespace {

constexpr int64_t kChunkBytes = 1 << 20;  // packed A codes per GEMM call
constexpr int64_t kMinChunk = 64;         // pixels: enough 4-row panels for every thread

struct CodesSource {
  Im2colSource geometry;
  const uint8_t* x;
  uint8_t za;
  int64_t k;
};

// Int8RowSource: row i of the implicit im2col matrix as uint8 codes.
void im2col_codes(const void* ctx, int64_t i, uint8_t* row) {
  const auto& s = *static_cast<const CodesSource*>(ctx);
  const Im2colOrigin origin = im2col_origin(s.geometry, i);
  for (int64_t p = 0; p < s.k;) {
    const Im2colSpan span = im2col_span(s.geometry, origin, p, s.k);
    if (span.offset < 0) {
      std::memset(row + p, s.za, span.len);
    } else {
      std::memcpy(row + p, s.x + origin.image + span.offset, span.len);
    }
    p += span.len;
  }
}

int64_t element_bytes(Int8Dtype dtype) { return dtype == Int8Dtype::U8 || dtype == Int8Dtype::S8 ? 1 : 4; }

}  // namespace

void conv2d_int8_nhwc(const Conv2dInt8Problem& p) {
  const pk_conv2d_desc& d = p.d;
  const int64_t m = d.batch * p.out_h * p.out_w;
  if (m == 0 || p.gemm.n == 0) return;
  Conv2dProblem geometry{};  // the descriptor and output size; no float data
  geometry.d = d, geometry.out_h = p.out_h, geometry.out_w = p.out_w;
  const int64_t cg = d.in_c / d.groups;
  const int64_t chunk = std::max<int64_t>(kMinChunk, kChunkBytes / std::max<int64_t>(p.gemm.k, 1));
  const int64_t c_row_bytes = p.gemm.c_rs * element_bytes(p.gemm.c_dtype);
  for (int64_t row0 = 0; row0 < m; row0 += chunk) {
    const CodesSource source{{&geometry, row0, p.group * cg, cg}, p.x, static_cast<uint8_t>(p.gemm.a_zero_point),
                             p.gemm.k};
    Int8GemmArgs g = p.gemm;
    g.m = std::min(chunk, m - row0);
    g.a = nullptr, g.a_dtype = Int8Dtype::U8, g.a_dynamic_rows = false;
    g.a_rows = im2col_codes, g.a_rows_ctx = &source;
    g.c = static_cast<char*>(p.gemm.c) + row0 * c_row_bytes;
    gemm_int8(g);
  }
}

}  // namespace pk
