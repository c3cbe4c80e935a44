// conv2d driver: picks the path for a problem (see conv2d.h), packs the weights into the
// layout that path reads, and threads it.
//
// Implicit GEMM, per group: C (pixels x filters, the NHWC output itself, row stride
// out_c) = A (pixels x taps, im2col_pack.cc) . B (taps x filters). A 1x1 stride-1
// layer's A is the image itself (pixels x channels); it still goes through the im2col
// packer, whose runs are then whole pixels, because that packer transposes in registers. B is read in place
// when the weights' strides already make it a matrix (an HWIO kernel, as Keras stores
// it, viewed as OIHW; or any 1x1 kernel), else repacked to HWIO once per call. Bias and
// activation run in the GEMM epilogue while each tile is in L1.
// Depthwise: the weights are repacked tap-major and OpenMP splits the output rows.
#include <omp.h>

#include <algorithm>

#include "common/cpu_features.h"
#include "common/scratch.h"
#include "common/threads.h"
#include "cpu/conv/conv2d.h"
#include "cpu/conv/depthwise.h"
#include "cpu/conv/im2col_pack.h"
#include "cpu/gemm/sgemm.h"
#include "cpu/gemm/sgemm_config.h"

namespace pk {
namespace {

enum { kO = 0, kI = 1, kH = 2, kW = 3 };
constexpr int64_t kChunkFloats = 64 * 1024;  // output floats per GEMM chunk (256 KiB, half of L2)
constexpr int64_t kMinChunk = 288;             // pixels: enough 6-row panels for every thread

float w_at(const Conv2dProblem& p, int64_t o, int64_t i, int64_t kh, int64_t kw) {
  return p.w[o * p.w_strides[kO] + i * p.w_strides[kI] + kh * p.w_strides[kH] + kw * p.w_strides[kW]];
}

// Whether tap (kh, kw, c) of the weights lies at (kh * KW + kw) * cg + c times the input-channel stride.
bool taps_are_rows(const Conv2dProblem& p, int64_t cg) {
  const pk_conv2d_desc& d = p.d;
  const int64_t si = p.w_strides[kI];
  return (d.kernel_w == 1 || p.w_strides[kW] == cg * si) && (d.kernel_h == 1 || p.w_strides[kH] == d.kernel_w * cg * si);
}

void conv2d_implicit_gemm(const Conv2dProblem& p) {
  const pk_conv2d_desc& d = p.d;
  const int64_t cg = d.in_c / d.groups, og = d.out_c / d.groups;
  const int64_t taps = d.kernel_h * d.kernel_w * cg;
  const float* b = p.w;
  int64_t b_rs = p.w_strides[kI], b_cs = p.w_strides[kO], group_step = og * p.w_strides[kO];
  static thread_local ScratchBuffer weight_scratch;
  if (!taps_are_rows(p, cg)) {  // repack to HWIO: row (kh, kw, c), column o
    float* packed = weight_scratch.floats(taps * d.out_c);
    for (int64_t kh = 0; kh < d.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < d.kernel_w; ++kw) {
        for (int64_t c = 0; c < cg; ++c) {
          float* row = packed + ((kh * d.kernel_w + kw) * cg + c) * d.out_c;
          for (int64_t o = 0; o < d.out_c; ++o) row[o] = w_at(p, o, c, kh, kw);
        }
      }
    }
    b = packed, b_rs = d.out_c, b_cs = 1, group_step = og;
  }
  // The GEMM revisits its C tile once per k block; when K spans several blocks and C
  // would not stay in L2, the pixels run in chunks whose output (~256 KiB) does.
  const int64_t m = d.batch * p.out_h * p.out_w;
  int64_t chunk = m;
  if (taps > sgemm_config().kc && m * og > kChunkFloats) chunk = std::max<int64_t>(kChunkFloats / og, kMinChunk);
  for (int64_t g = 0; g < d.groups; ++g) {
    for (int64_t row0 = 0; row0 < m; row0 += chunk) {
      const Im2colSource source{&p, row0, g * cg, cg};
      SgemmArgs args;
      args.m = std::min(chunk, m - row0), args.n = og, args.k = taps;
      args.pack_a = pack_im2col_panel, args.pack_a_ctx = &source;
      args.b = b + g * group_step, args.b_rs = b_rs, args.b_cs = b_cs;
      args.c = p.y + row0 * d.out_c + g * og, args.c_rs = d.out_c;
      if (p.bias) args.bias = p.bias + g * og, args.bias_mode = BiasMode::PerCol;
      args.activation = p.activation;
      sgemm(args);
    }
  }
}

void conv2d_depthwise(const Conv2dProblem& p) {
  const pk_conv2d_desc& d = p.d;
  const int64_t taps = d.kernel_h * d.kernel_w;
  static thread_local ScratchBuffer weight_scratch;
  float* w = weight_scratch.floats(taps * d.out_c);
  for (int64_t o = 0; o < d.out_c; ++o) {
    for (int64_t t = 0; t < taps; ++t) w[t * d.out_c + o] = w_at(p, o, 0, t / d.kernel_w, t % d.kernel_w);
  }
  const DepthwiseProblem dw{p.x, w, p.bias, p.y, d.in_h, d.in_w, d.in_c, d.out_c / d.in_c,
                            d.kernel_h, d.kernel_w, d.stride_h, d.stride_w, d.dilation_h, d.dilation_w,
                            d.pad_top, d.pad_left, p.out_h, p.out_w};
  const bool fast3x3 = active_isa() == Isa::Avx2 && d.kernel_h == 3 && d.kernel_w == 3 && d.dilation_h == 1 &&
                       d.dilation_w == 1 && dw.multiplier == 1 && d.stride_w <= 2;
  const auto row = fast3x3 ? depthwise_row_3x3_f32_nhwc_avx2 : depthwise_row_f32_nhwc_portable;
  const int64_t rows = d.batch * p.out_h, row_len = p.out_w * d.out_c;
  // A thread per ~64K multiply-adds at least: small layers stay on one core.
  const int64_t work = rows * row_len * taps;
  const int threads = static_cast<int>(std::min<int64_t>(get_num_threads(), std::max<int64_t>(1, work >> 16)));
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    row(dw, r / p.out_h, r % p.out_h);
    apply_activation(p.y + r * row_len, row_len, p.activation);
  }
}

}  // namespace

int64_t conv_out_size(int64_t in, int64_t pad_before, int64_t pad_after, int64_t kernel, int64_t stride,
                      int64_t dilation) {
  return (in + pad_before + pad_after - dilation * (kernel - 1) - 1) / stride + 1;
}

void conv2d_f32_nhwc(const Conv2dProblem& p) {
  if (p.d.batch == 0 || p.out_h == 0 || p.out_w == 0 || p.d.out_c == 0) return;
  if (p.d.groups == p.d.in_c && p.d.groups > 1) {
    conv2d_depthwise(p);
  } else {
    conv2d_implicit_gemm(p);
  }
}

}  // namespace pk
