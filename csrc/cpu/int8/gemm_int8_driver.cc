// int8 GEMM driver: packs A (quantizing float32 rows on the way), then runs the
// microkernel over the prepacked B and applies the epilogue to each finished tile.
//
//   pack A   rows -> uint8 codes (S8 + 128, quantized F32, or a row source such as the
//            int8 conv's implicit im2col), one zero-padded row of k4 bytes each (a plain
//            copy for uint8 A); row sums and the largest code on the way
//   threads  split the column panels of B; no barriers
//   for ic in M by mc:        A block (mc x k codes, <= 192 KiB) stays in L2
//     for jp in my panels:    B panel (k x 16 bytes) read once per A block, reused from L2
//       for ip in the block:  microkernel on the 4 x 16 tile (whole k), then the epilogue
//
// M <= 16 (batch 1..16 inference) is a single A block: B streams through exactly once,
// in order, with the 1..4-row kernels on the last panel; nothing else is needed.
// The tile stays in a local buffer from microkernel to epilogue, so an F32 / U8 / S8
// result never makes an int32 round trip through memory. An int32 result with nothing to
// correct (za = 0, no zb) is the accumulator itself: the microkernel stores whole tiles
// straight into C (a copy through the buffer cost ~5% at 1024^3).
#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/scratch.h"
#include "common/threads.h"
#include "cpu/int8/gemm_int8.h"
#include "cpu/int8/quantize.h"

namespace pk {
namespace {

constexpr int kMr = 4;
constexpr int64_t kABlockBytes = 192 * 1024;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct PackedA {
  uint8_t* codes;     // row i at codes + i * k4 (zero-padded to k4)
  int32_t* rowsum;    // m values: sum of the codes of each row (with zb only)
  int32_t amax;       // the largest code
  int32_t za;         // the zero point of the codes
  float* row_scale;   // a_dynamic_rows: m values, each row's scale and zero point
  int32_t* row_za;
  bool finite;        // false when a_dynamic_rows met NaN or inf (nothing else is valid then)
  int32_t za_of(int64_t i) const { return row_za ? row_za[i] : za; }
  float scale_of(int64_t i, float a_scale) const { return row_scale ? row_scale[i] : a_scale; }
};

// The dynamic parameters of values in [lo, hi] (see int8_dynamic_qparams); false unless
// both are finite.
bool range_qparams(float lo, float hi, int32_t qmax, float* scale, int32_t* zero_point) {
  lo = std::min(lo, 0.0f), hi = std::max(hi, 0.0f);
  if (!std::isfinite(lo) || !std::isfinite(hi)) return false;
  const double range = (static_cast<double>(hi) - static_cast<double>(lo)) / qmax;
  float s = static_cast<float>(std::max(range, static_cast<double>(FLT_MIN)));
  if (s == FLT_MIN) s = 1.0f;
  const double zp = -std::nearbyint(static_cast<double>(lo) / static_cast<double>(s));
  *scale = s;
  *zero_point = static_cast<int32_t>(std::min<double>(std::max(zp, 0.0), qmax));
  return true;
}

// Row i of A as uint8 codes into row[0 : k4] (zero-padded); returns its sum (0 when there
// are no zb to correct), updates amax; with a_dynamic_rows, chooses the row's parameters
// (the row is still in L1 when it is quantized) and clears *finite on NaN or inf.
int32_t row_codes(const Int8GemmArgs& g, const PackedA& pa, int64_t i, int64_t k4, float* fbuf,
                  uint8_t* __restrict row, int32_t* amax, bool* finite) {
  const int64_t k = g.k;
  if (g.a_dtype == Int8Dtype::F32) {
    const float* src = static_cast<const float*>(g.a) + i * g.a_rs;
    if (g.a_cs != 1) {
      for (int64_t p = 0; p < k; ++p) fbuf[p] = src[p * g.a_cs];
      src = fbuf;
    }
    const float* scale = &g.a_scale;
    const int32_t* zero_point = &g.a_zero_point;
    if (pa.row_scale) {
      float lo = 0.0f, hi = 0.0f;
      const bool nan = k > 0 && minmax_row(src, k, &lo, &hi);
      if (nan || !range_qparams(lo, hi, g.a_qmax, &pa.row_scale[i], &pa.row_za[i])) {
        *finite = false;
        pa.row_scale[i] = 1.0f, pa.row_za[i] = 0;
      }
      scale = &pa.row_scale[i], zero_point = &pa.row_za[i];
    }
    const QuantizeParams qp{scale, 0, zero_point, 0, 0, g.a_qmax};
    quantize_row(src, k, qp, QDtype::U8, row);
  } else if (g.a_rows) {
    g.a_rows(g.a_rows_ctx, i, row);
  } else {
    const uint8_t flip = g.a_dtype == Int8Dtype::S8 ? 0x80 : 0;  // s8 + 128 as u8 codes
    const auto* __restrict src = static_cast<const uint8_t*>(g.a) + i * g.a_rs;
    const int64_t cs = g.a_cs;
    if (cs == 1 && flip == 0) {
      std::memcpy(row, src, k);
    } else if (cs == 1) {  // vectorized
      for (int64_t p = 0; p < k; ++p) row[p] = src[p] ^ flip;
    } else {
      for (int64_t p = 0; p < k; ++p) row[p] = src[p * cs] ^ flip;
    }
  }
  std::memset(row + k, 0, k4 - k);
  uint8_t mx = 0;
  for (int64_t p = 0; p < k; ++p) mx = std::max(mx, row[p]);  // vectorized
  *amax = std::max<int32_t>(*amax, mx);
  if (!g.b_zero_point) return 0;  // the row sums only feed the zb correction
  uint32_t sum = 0;               // wraps like the corrections it feeds
  for (int64_t p = 0; p < k; ++p) sum += row[p];
  return static_cast<int32_t>(sum);
}

// Codes, row sums and the largest code of A (and each row's parameters with
// a_dynamic_rows); rows are independent, so threads split them.
PackedA pack_a(const Int8GemmArgs& g, int64_t k4, int threads) {
  static thread_local ScratchBuffer codes_scratch, sum_scratch, scale_scratch, za_scratch;
  const bool rows = g.a_dynamic_rows;
  PackedA pa{reinterpret_cast<uint8_t*>(codes_scratch.floats(g.m * k4 / 4 + 16)),
             reinterpret_cast<int32_t*>(sum_scratch.floats(g.m)), 0,
             g.a_zero_point + (g.a_dtype == Int8Dtype::S8 ? 128 : 0),
             rows ? scale_scratch.floats(g.m) : nullptr,
             rows ? reinterpret_cast<int32_t*>(za_scratch.floats(g.m)) : nullptr, true};
  int32_t amax = 0;
  bool finite = true;
#pragma omp parallel num_threads(threads) reduction(max : amax) reduction(&& : finite) if (threads > 1)
  {
    static thread_local ScratchBuffer float_scratch;
    float* fbuf = g.a_dtype == Int8Dtype::F32 && g.a_cs != 1 ? float_scratch.floats(g.k) : nullptr;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < g.m; ++i) pa.rowsum[i] = row_codes(g, pa, i, k4, fbuf, pa.codes + i * k4, &amax, &finite);
  }
  pa.amax = amax, pa.finite = finite;
  return pa;
}

// The per-column factor of the zero-point correction, k * zb(j) - colsum(j) (wrapping),
// times za (of the row) in the epilogue; nullptr when za = 0 (every row's) and there are
// no zb: then S = acc and the epilogue adds nothing.
const int32_t* column_fix(const Int8GemmArgs& g, const PackedA& pa) {
  if (pa.za == 0 && !pa.row_za && !g.b_zero_point) return nullptr;
  static thread_local ScratchBuffer scratch;
  auto* fix = reinterpret_cast<uint32_t*>(scratch.floats(g.n));
  const uint32_t kk = static_cast<uint32_t>(g.k);
  for (int64_t j = 0; j < g.n; ++j) {
    const uint32_t zb = g.b_zero_point ? static_cast<uint32_t>(g.b_zero_point[j]) : 0u;
    fix[j] = kk * zb - static_cast<uint32_t>(g.b_colsum[j]);
  }
  return reinterpret_cast<const int32_t*>(fix);
}

// S = acc - zb(j) * rowsum(i) + za(i) * fix(j), in wrapping arithmetic, then the output
// conversion, for the tile C[i0 : i0 + rows, j0 : j0 + cols].
void epilogue(const Int8GemmArgs& g, const PackedA& pa, const int32_t* fix, int32_t* tile, int64_t i0, int64_t j0,
              int64_t rows, int64_t cols) {
  if (fix) {
    const auto* f = reinterpret_cast<const uint32_t*>(fix + j0);
    const auto* zb = reinterpret_cast<const uint32_t*>(g.b_zero_point ? g.b_zero_point + j0 : nullptr);
    for (int64_t r = 0; r < rows; ++r) {  // vectorized
      auto* t = reinterpret_cast<uint32_t*>(tile + 16 * r);
      const uint32_t rs = static_cast<uint32_t>(pa.rowsum[i0 + r]), za = static_cast<uint32_t>(pa.za_of(i0 + r));
      if (zb) {
        for (int64_t s = 0; s < cols; ++s) t[s] += za * f[s] - zb[s] * rs;
      } else {
        for (int64_t s = 0; s < cols; ++s) t[s] += za * f[s];
      }
    }
  }
  switch (g.c_dtype) {
    case Int8Dtype::S32:
      for (int64_t r = 0; r < rows; ++r) {
        int32_t* out = static_cast<int32_t*>(g.c) + (i0 + r) * g.c_rs + j0;
        if (cols == 16) {  // a fixed size: inlined as two vector moves
          std::memcpy(out, tile + 16 * r, 64);
        } else {
          std::memcpy(out, tile + 16 * r, cols * 4);
        }
      }
      return;
    case Int8Dtype::F32:
      for (int64_t r = 0; r < rows; ++r) {
        float* out = static_cast<float*>(g.c) + (i0 + r) * g.c_rs + j0;
        const int32_t* t = tile + 16 * r;
        const float a_scale = pa.scale_of(i0 + r, g.a_scale);
        for (int64_t s = 0; s < cols; ++s) {
          const float v = static_cast<float>(t[s]) * (a_scale * g.scale[j0 + s]) + (g.bias ? g.bias[j0 + s] : 0.0f);
          out[s] = g.activation == Activation::Relu ? std::max(v, 0.0f) : v;
        }
      }
      if (g.activation != Activation::None && g.activation != Activation::Relu) {
        apply_activation_rows(static_cast<float*>(g.c) + i0 * g.c_rs + j0, rows, cols, g.c_rs, g.activation);
      }
      return;
    default: {
      const QDtype dtype = g.c_dtype == Int8Dtype::S8 ? QDtype::S8 : QDtype::U8;
      const int32_t lo = dtype == QDtype::S8 ? -128 : 0, hi = dtype == QDtype::S8 ? 127 : 255;
      const RequantizeParams rp{g.multiplier + j0, 1, &g.c_zero_point, 0,
                                g.activation == Activation::Relu ? std::max(lo, g.c_zero_point) : lo, hi};
      for (int64_t r = 0; r < rows; ++r) {
        int32_t* t = tile + 16 * r;
        if (g.bias_s32) {
          for (int64_t s = 0; s < cols; ++s) {
            t[s] = static_cast<int32_t>(static_cast<uint32_t>(t[s]) + static_cast<uint32_t>(g.bias_s32[j0 + s]));
          }
        }
        requantize_row(t, cols, rp, dtype, static_cast<uint8_t*>(g.c) + (i0 + r) * g.c_rs + j0);
      }
    }
  }
}

// Enough threads that each gets at least ~1 M multiply-adds.
int threads_for(const Int8GemmArgs& g) {
  const double macs = static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  return static_cast<int>(std::min<double>(get_num_threads(), std::max(1.0, macs / 1e6)));
}

}  // namespace

bool int8_dynamic_qparams(const Int8GemmArgs& g, float* scale, int32_t* zero_point) {
  const auto* a = static_cast<const float*>(g.a);
  float lo = 0.0f, hi = 0.0f;
  bool finite = true;
  std::vector<float> row(g.a_cs == 1 ? 0 : g.k);
  for (int64_t i = 0; i < g.m && g.k > 0; ++i) {
    const float* src = a + i * g.a_rs;
    if (g.a_cs != 1) {
      for (int64_t p = 0; p < g.k; ++p) row[p] = src[p * g.a_cs];
      src = row.data();
    }
    float rlo, rhi;
    finite &= !minmax_row(src, g.k, &rlo, &rhi);
    lo = std::min(lo, rlo), hi = std::max(hi, rhi);
  }
  return finite && range_qparams(lo, hi, g.a_qmax, scale, zero_point);
}

bool gemm_int8(const Int8GemmArgs& g) {
  if (g.m == 0 || g.n == 0) return true;
  const int64_t groups = ceil_div(g.k, 4), k4 = groups * 4;
  const int threads = threads_for(g);
  const PackedA pa = pack_a(g, k4, threads);
  if (!pa.finite) return false;
  const int32_t* fix = column_fix(g, pa);
  const bool direct = g.c_dtype == Int8Dtype::S32 && !fix;  // whole tiles are the result: no epilogue
  const Int8Kernels& kernels = int8_kernels();
  const Int8Ukernel* table = pa.amax <= g.b_safe_a_max ? kernels.plain : kernels.split;
  const int64_t panels_n = ceil_div(g.n, kInt8PanelCols);
  const int64_t mc = std::max<int64_t>(kMr, kABlockBytes / std::max<int64_t>(k4, 1) / kMr * kMr);
  parallel_region(threads, [&] {
    const int64_t tid = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t jp0 = panels_n * tid / nt, jp1 = panels_n * (tid + 1) / nt;
    alignas(64) int32_t tile[kMr * 16];
    for (int64_t i0 = 0; i0 < g.m; i0 += mc) {
      const int64_t mb = std::min(mc, g.m - i0);
      for (int64_t jp = jp0; jp < jp1; ++jp) {
        const int8_t* b = g.b_packed + jp * groups * 64;
        const int64_t j = jp * kInt8PanelCols, cols = std::min<int64_t>(kInt8PanelCols, g.n - j);
        for (int64_t i = i0; i < i0 + mb; i += kMr) {
          const int64_t rows = std::min<int64_t>(kMr, g.m - i);
          if (direct && cols == kInt8PanelCols) {
            table[rows - 1](groups, pa.codes + i * k4, k4, b, static_cast<int32_t*>(g.c) + i * g.c_rs + j, g.c_rs);
          } else {
            table[rows - 1](groups, pa.codes + i * k4, k4, b, tile, 16);
            epilogue(g, pa, fix, tile, i, j, rows, cols);
          }
        }
      }
    }
  });
  return true;
}

}  // namespace pk
