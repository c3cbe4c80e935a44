// Implicit im2col packing: each row of an A micro-panel is one output pixel's receptive
// field, read from the NHWC image as runs of contiguous floats (the channels of a tap;
// with groups = 1 and dilation 1, all the in-bounds taps of a kernel row in one run)
// and written down the panel with stride mr. Padding taps are written as zero runs, so
// the GEMM never branches and the image is never copied as a whole.
#include "cpu/conv/im2col_pack.h"

#include <algorithm>

namespace pk {
namespace {

// Row `i` of A, columns [p0, p0 + kb), written to dst[(p - p0) * mr].
void pack_row(const Im2colSource& s, int64_t i, int64_t p0, int64_t kb, int mr, float* dst) {
  const Conv2dProblem& p = *s.problem;
  const pk_conv2d_desc& d = p.d;
  const int64_t pixels = p.out_h * p.out_w;
  const int64_t n = i / pixels, oh = (i % pixels) / p.out_w, ow = i % p.out_w;
  const int64_t ih0 = oh * d.stride_h - d.pad_top, iw0 = ow * d.stride_w - d.pad_left;
  const float* image = p.x + n * d.in_h * d.in_w * d.in_c + s.c0;
  const bool taps_adjacent = d.dilation_w == 1 && s.cg == d.in_c;  // tap kw + 1 follows tap kw in memory
  const int64_t end = p0 + kb;
  for (int64_t k = p0; k < end;) {
    const int64_t tap = k / s.cg, c = k % s.cg, kh = tap / d.kernel_w, kw = tap % d.kernel_w;
    const int64_t ih = ih0 + kh * d.dilation_h, iw = iw0 + kw * d.dilation_w;
    const float* src = nullptr;
    int64_t run = s.cg - c;  // the rest of this tap
    if (ih < 0 || ih >= d.in_h) {
      run = (d.kernel_w - kw) * s.cg - c;  // the rest of the kernel row is padding
    } else if (iw >= 0 && iw < d.in_w) {
      src = image + (ih * d.in_w + iw) * d.in_c + c;
      if (taps_adjacent) run += std::min(d.kernel_w - 1 - kw, d.in_w - 1 - iw) * s.cg;
    }
    run = std::min(run, end - k);
    float* out = dst + (k - p0) * mr;
    if (src) {
      for (int64_t q = 0; q < run; ++q) out[q * mr] = src[q];
    } else {
      for (int64_t q = 0; q < run; ++q) out[q * mr] = 0.0f;
    }
    k += run;
  }
}

}  // namespace

void pack_im2col_panel(const void* ctx, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr, float* dst) {
  const Im2colSource& s = *static_cast<const Im2colSource*>(ctx);
  for (int64_t r = 0; r < rows; ++r) pack_row(s, i0 + r, p0, kb, mr, dst + r);
  for (int64_t r = rows; r < mr; ++r) {
    for (int64_t q = 0; q < kb; ++q) dst[q * mr + r] = 0.0f;
  }
}

}  // namespace pk
