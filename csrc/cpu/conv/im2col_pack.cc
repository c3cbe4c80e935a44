// Implicit im2col packing: each row of an A micro-panel is one output pixel's receptive
// field, read from the NHWC image as runs of contiguous floats (the channels of a tap;
// with groups = 1 and dilation 1, all the in-bounds taps of a kernel row in one run).
// Padding taps are zero runs, so the GEMM never branches and the image is never copied
// as a whole. This portable variant writes each run down the panel with stride mr; the
// AVX2 variant (im2col_pack_6x8_avx2.cc) transposes 6 rows x 8 columns in registers.
#include "cpu/conv/im2col_pack.h"

#include <algorithm>

#include "common/cpu_features.h"

namespace pk {

Im2colOrigin im2col_origin(const Im2colSource& s, int64_t i) {
  const Conv2dProblem& p = *s.problem;
  const pk_conv2d_desc& d = p.d;
  const int64_t pixels = p.out_h * p.out_w;
  i += s.row0;
  const int64_t n = i / pixels, oh = (i % pixels) / p.out_w, ow = i % p.out_w;
  return {n * d.in_h * d.in_w * d.in_c + s.c0, oh * d.stride_h - d.pad_top, ow * d.stride_w - d.pad_left};
}

Im2colSpan im2col_span(const Im2colSource& s, const Im2colOrigin& o, int64_t k, int64_t end) {
  const pk_conv2d_desc& d = s.problem->d;
  const int64_t tap = k / s.cg, c = k % s.cg, kh = tap / d.kernel_w, kw = tap % d.kernel_w;
  const int64_t ih = o.ih0 + kh * d.dilation_h, iw = o.iw0 + kw * d.dilation_w;
  Im2colSpan span{-1, s.cg - c};  // the rest of this tap
  if (ih < 0 || ih >= d.in_h) {
    span.len = (d.kernel_w - kw) * s.cg - c;  // the rest of the kernel row is padding
  } else if (iw >= 0 && iw < d.in_w) {
    span.offset = (ih * d.in_w + iw) * d.in_c + c;
    if (d.dilation_w == 1 && s.cg == d.in_c) {  // tap kw + 1 follows tap kw in memory
      span.len += std::min(d.kernel_w - 1 - kw, d.in_w - 1 - iw) * s.cg;
    }
  }
  span.len = std::min(span.len, end - k);
  return span;
}

Im2colRow im2col_row(const Im2colSource& s, int64_t i) {
  const Im2colOrigin o = im2col_origin(s, i);
  return {s.problem->x + o.image, o.ih0, o.iw0};
}

Im2colRun im2col_run(const Im2colSource& s, const Im2colRow& r, int64_t k, int64_t end) {
  const Im2colSpan span = im2col_span(s, {0, r.ih0, r.iw0}, k, end);
  return {span.offset < 0 ? nullptr : r.image + span.offset, span.len};
}

namespace {

void pack_panel_portable(const Im2colSource& s, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr,
                         float* dst) {
  const int64_t end = p0 + kb;
  for (int64_t r = 0; r < rows; ++r) {
    const Im2colRow row = im2col_row(s, i0 + r);
    for (int64_t k = p0; k < end;) {
      const Im2colRun run = im2col_run(s, row, k, end);
      float* out = dst + (k - p0) * mr + r;
      if (run.src) {
        for (int64_t q = 0; q < run.len; ++q) out[q * mr] = run.src[q];
      } else {
        for (int64_t q = 0; q < run.len; ++q) out[q * mr] = 0.0f;
      }
      k += run.len;
    }
  }
  for (int64_t r = rows; r < mr; ++r) {
    for (int64_t q = 0; q < kb; ++q) dst[q * mr + r] = 0.0f;
  }
}

}  // namespace

void pack_im2col_panel(const void* ctx, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr, float* dst) {
  const Im2colSource& s = *static_cast<const Im2colSource*>(ctx);
  if (mr == 6 && active_isa() == Isa::Avx2) {
    pack_im2col_panel6_f32_avx2(s, i0, rows, p0, kb, dst);
  } else if (mr % 8 == 0 && s.cg >= 8 && active_isa() == Isa::Avx2) {  // runs long enough to fill vectors
    pack_im2col_panel8n_f32_avx2(s, i0, rows, p0, kb, mr, dst);
  } else {
    pack_panel_portable(s, i0, rows, p0, kb, mr, dst);
  }
}

}  // namespace pk
