// Implicit im2col: packs sgemm A micro-panels straight from an NHWC image, never
// materialising the im2col matrix (an sgemm PackAPanel).
#pragma once

#include <cstdint>

#include "cpu/conv/conv2d.h"

namespace pk {

// A(i, p) for output pixel row0 + i = (n, oh, ow) and tap p = (kh, kw, c) of group
// channels [c0, c0 + cg): x[n, oh * stride_h - pad_top + kh * dilation_h, ..., c0 + c],
// 0 in the padding.
struct Im2colSource {
  const Conv2dProblem* problem;
  int64_t row0, c0, cg;
};

// Where row i of A starts reading: its image (at channel c0) and the window's top-left pixel.
struct Im2colRow {
  const float* image;
  int64_t ih0, iw0;
};

// A run of row entries [k, k + len): contiguous floats at src, or zeros when src is null.
struct Im2colRun {
  const float* src;
  int64_t len;
};

Im2colRow im2col_row(const Im2colSource& s, int64_t i);

// The longest run of row `r` starting at column k (and ending by `end`).
Im2colRun im2col_run(const Im2colSource& s, const Im2colRow& r, int64_t k, int64_t end);

// The same walk in element offsets, for images of any element type (the int8 conv packs
// uint8 codes with it; s.problem->x is not read): row i's image starts `image` elements
// from the base (channel c0 included), and a span's `offset` counts from there (-1: padding).
struct Im2colOrigin {
  int64_t image, ih0, iw0;
};
struct Im2colSpan {
  int64_t offset, len;
};

Im2colOrigin im2col_origin(const Im2colSource& s, int64_t i);
Im2colSpan im2col_span(const Im2colSource& s, const Im2colOrigin& o, int64_t k, int64_t end);

// The PackAPanel for ctx = const Im2colSource*: picks the ISA variant.
void pack_im2col_panel(const void* ctx, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr, float* dst);

// mr = 6 panels with AVX2: 8-column blocks of the 6 rows transposed in registers.
void pack_im2col_panel6_f32_avx2(const Im2colSource& s, int64_t i0, int64_t rows, int64_t p0, int64_t kb,
                                 float* dst);

// mr = 8, 16, 24, 32 ... panels (the SpMM kernels' X panels, 32-byte aligned dst) with
// AVX2: 8 pixels x 8 columns transposed in registers, stored as aligned vectors. Used when
// a tap has at least 8 channels; with fewer, the 8 pixels' runs would split at every
// tap and the per-pixel portable packer is faster.
void pack_im2col_panel8n_f32_avx2(const Im2colSource& s, int64_t i0, int64_t rows, int64_t p0, int64_t kb, int mr,
                                  float* dst);

}  // namespace pk
