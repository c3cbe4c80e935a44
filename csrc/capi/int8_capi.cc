// C ABI for the int8 family: checks what the kernels rely on, then runs them.
#include <omp.h>

#include <algorithm>
#include <string>

#include "capi/conv_desc.h"
#include "capi/errors.h"
#include "common/threads.h"
#include "cpu/conv/conv2d.h"
#include "cpu/int8/conv2d_int8.h"
#include "cpu/int8/gemm_int8.h"
#include "cpu/int8/quantize.h"

namespace {

bool is_code_dtype(int d) { return d == PK_DTYPE_U8 || d == PK_DTYPE_S8; }

int check_rows_cols(const char* fn, int64_t rows, int64_t cols, int per) {
  if (rows < 0 || cols < 0)
    return pk::argument_error(std::string(fn) + ": negative size (rows=" + std::to_string(rows) +
                              ", cols=" + std::to_string(cols) + ")");
  if (per != PK_PER_TENSOR && per != PK_PER_ROW && per != PK_PER_COL)
    return pk::argument_error(std::string(fn) + ": unknown per " + std::to_string(per));
  return PK_OK;
}

int check_range(const char* fn, int32_t lo, int32_t hi, int q_dtype) {
  if (!is_code_dtype(q_dtype)) return pk::argument_error(std::string(fn) + ": q_dtype must be PK_DTYPE_U8 or S8");
  const int32_t dmin = q_dtype == PK_DTYPE_S8 ? -128 : 0, dmax = q_dtype == PK_DTYPE_S8 ? 127 : 255;
  if (lo < dmin || hi > dmax || lo > hi)
    return pk::argument_error(std::string(fn) + ": code range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                              "] is not inside [" + std::to_string(dmin) + ", " + std::to_string(dmax) + "]");
  return PK_OK;
}

// Runs row(r, offset of row r's parameters, their stride) for every row, rows split among threads.
template <typename Row>
void for_rows(int64_t rows, int64_t cols, int per, Row row) {
  const int threads = static_cast<int>(std::min<int64_t>(pk::get_num_threads(), 1 + rows * cols / (1 << 16)));
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; ++r) row(r, per == PK_PER_ROW ? r : 0, per == PK_PER_COL ? 1 : 0);
}

}  // namespace

extern "C" PK_API int pk_quantize_f32(const float* x, int64_t rows, int64_t cols, const float* scale,
                                      const int32_t* zero_point, int per, int32_t lo, int32_t hi, int q_dtype,
                                      void* q) {
  return pk::guarded([&] {
    if (int e = check_rows_cols("pk_quantize_f32", rows, cols, per)) return e;
    if (int e = check_range("pk_quantize_f32", lo, hi, q_dtype)) return e;
    if (rows * cols > 0 && (!x || !scale || !zero_point || !q)) return pk::argument_error("pk_quantize_f32: NULL pointer");
    const auto dtype = static_cast<pk::QDtype>(q_dtype);
    for_rows(rows, cols, per, [&](int64_t r, int64_t o, int64_t s) {
      const pk::QuantizeParams p{scale + o, s, zero_point + o, s, lo, hi};
      pk::quantize_row(x + r * cols, cols, p, dtype, static_cast<uint8_t*>(q) + r * cols);
    });
    return PK_OK;
  });
}

extern "C" PK_API int pk_dequantize_f32(const void* q, int q_dtype, int64_t rows, int64_t cols, const float* scale,
                                        const int32_t* zero_point, int per, float* y) {
  return pk::guarded([&] {
    if (int e = check_rows_cols("pk_dequantize_f32", rows, cols, per)) return e;
    if (!is_code_dtype(q_dtype)) return pk::argument_error("pk_dequantize_f32: q_dtype must be PK_DTYPE_U8 or S8");
    if (rows * cols > 0 && (!q || !scale || !zero_point || !y))
      return pk::argument_error("pk_dequantize_f32: NULL pointer");
    const auto dtype = static_cast<pk::QDtype>(q_dtype);
    for_rows(rows, cols, per, [&](int64_t r, int64_t o, int64_t s) {
      pk::dequantize_row(static_cast<const uint8_t*>(q) + r * cols, dtype, cols, scale + o, s, zero_point + o, s,
                         y + r * cols);
    });
    return PK_OK;
  });
}

extern "C" PK_API int pk_requantize_s32(const int32_t* x, int64_t rows, int64_t cols, const double* multiplier,
                                        const int32_t* zero_point, int per, int32_t lo, int32_t hi, int q_dtype,
                                        void* q) {
  return pk::guarded([&] {
    if (int e = check_rows_cols("pk_requantize_s32", rows, cols, per)) return e;
    if (int e = check_range("pk_requantize_s32", lo, hi, q_dtype)) return e;
    if (rows * cols > 0 && (!x || !multiplier || !zero_point || !q))
      return pk::argument_error("pk_requantize_s32: NULL pointer");
    const auto dtype = static_cast<pk::QDtype>(q_dtype);
    for_rows(rows, cols, per, [&](int64_t r, int64_t o, int64_t s) {
      const pk::RequantizeParams p{multiplier + o, s, zero_point + o, s, lo, hi};
      pk::requantize_row(x + r * cols, cols, p, dtype, static_cast<uint8_t*>(q) + r * cols);
    });
    return PK_OK;
  });
}

extern "C" PK_API int64_t pk_int8_packed_b_bytes(int64_t n, int64_t k) {
  return n < 0 || k < 0 ? -1 : pk::int8_packed_b_bytes(n, k);
}

extern "C" PK_API int pk_int8_pack_b(const int8_t* w, int64_t n, int64_t k, int64_t w_rs, int64_t w_cs,
                                     int8_t* packed) {
  return pk::guarded([&] {
    if (n < 0 || k < 0) return pk::argument_error("pk_int8_pack_b: negative size");
    if (n * k > 0 && (!w || !packed)) return pk::argument_error("pk_int8_pack_b: NULL pointer");
    pk::int8_pack_b(w, n, k, w_rs, w_cs, packed);
    return PK_OK;
  });
}

namespace {

constexpr const char* kNotFinite = "A contains NaN or inf; dynamic quantization needs a finite range";

// Checks a pk_gemm_int8_args and converts it (dynamic A parameters chosen here); fn names the caller.
int gemm_args(const pk_gemm_int8_args& a, const std::string& fn, pk::Int8GemmArgs* out) {
  if (a.m < 0 || a.n < 0 || a.k < 0) return pk::argument_error(fn + ": negative size");
  if (a.a_dtype != PK_DTYPE_U8 && a.a_dtype != PK_DTYPE_S8 && a.a_dtype != PK_DTYPE_F32)
    return pk::argument_error(fn + ": a_dtype must be PK_DTYPE_U8, S8 or F32");
  if (a.c_dtype < PK_DTYPE_U8 || a.c_dtype > PK_DTYPE_F32) return pk::argument_error(fn + ": unknown c_dtype");
  if (a.a_dynamic < PK_DYNAMIC_NONE || a.a_dynamic > PK_DYNAMIC_ROW)
    return pk::argument_error(fn + ": a_dynamic must be PK_DYNAMIC_NONE, TENSOR or ROW");
  if (a.a_dynamic && a.a_dtype != PK_DTYPE_F32) return pk::argument_error(fn + ": a_dynamic needs float A");
  if (a.a_dynamic == PK_DYNAMIC_ROW && a.c_dtype != PK_DTYPE_F32)
    return pk::argument_error(fn + ": per-row dynamic quantization needs a float32 C");
  if (a.a_dtype == PK_DTYPE_F32 && !a.a_dynamic && (a.a_qmax < 1 || a.a_qmax > 255 || a.a_zero_point < 0 ||
                                                    a.a_zero_point > a.a_qmax || !(a.a_scale > 0.0f)))
    return pk::argument_error(fn + ": float A needs a_scale > 0 and 0 <= a_zero_point <= a_qmax <= 255");
  if (a.m > 0 && a.n > 0) {
    if (!a.c || !a.b_packed || !a.b_colsum) return pk::argument_error(fn + ": NULL pointer");
    if (a.c_rs < a.n && a.m > 1) return pk::argument_error(fn + ": rows of c overlap");
    if (a.c_dtype == PK_DTYPE_F32 && !a.scale) return pk::argument_error(fn + ": float output needs scale");
    if (is_code_dtype(a.c_dtype) && !a.multiplier) return pk::argument_error(fn + ": quantized output needs multiplier");
  }
  const bool q_out = is_code_dtype(a.c_dtype);
  if (a.activation < PK_ACT_NONE || a.activation > PK_ACT_GELU || (q_out && a.activation > PK_ACT_RELU))
    return pk::argument_error(fn + ": activation " + std::to_string(a.activation) + " is not supported for this output");
  if (q_out && (a.c_zero_point < (a.c_dtype == PK_DTYPE_S8 ? -128 : 0) ||
                a.c_zero_point > (a.c_dtype == PK_DTYPE_S8 ? 127 : 255)))
    return pk::argument_error(fn + ": c_zero_point outside the output dtype's range");
  pk::Int8GemmArgs& g = *out;
  g.m = a.m, g.n = a.n, g.k = a.k;
  g.a = a.a, g.a_rs = a.a_rs, g.a_cs = a.a_cs, g.a_dtype = static_cast<pk::Int8Dtype>(a.a_dtype);
  g.a_zero_point = a.a_zero_point, g.a_scale = a.a_scale, g.a_qmax = a.a_qmax;
  if (a.a_dynamic && (a.a_qmax < 1 || a.a_qmax > 255)) return pk::argument_error(fn + ": a_qmax must be in [1, 255]");
  g.a_dynamic_rows = a.a_dynamic == PK_DYNAMIC_ROW;  // chosen row by row while A is packed
  if (a.a_dynamic == PK_DYNAMIC_TENSOR && !pk::int8_dynamic_qparams(g, &g.a_scale, &g.a_zero_point))
    return pk::argument_error(fn + ": " + kNotFinite);
  g.b_packed = a.b_packed, g.b_colsum = a.b_colsum, g.b_zero_point = a.b_zero_point;
  g.b_safe_a_max = a.b_safe_a_max;
  g.c = a.c, g.c_rs = a.c_rs, g.c_dtype = static_cast<pk::Int8Dtype>(a.c_dtype);
  g.scale = a.scale, g.bias = a.bias, g.multiplier = a.multiplier, g.bias_s32 = a.bias_s32;
  g.c_zero_point = a.c_zero_point, g.activation = static_cast<pk::Activation>(a.activation);
  return PK_OK;
}

}  // namespace

extern "C" PK_API int pk_gemm_int8(const pk_gemm_int8_args* args) {
  return pk::guarded([&] {
    if (!args) return pk::argument_error("pk_gemm_int8: args is NULL");
    if (args->m > 0 && args->n > 0 && args->k > 0 && !args->a) return pk::argument_error("pk_gemm_int8: NULL pointer");
    pk::Int8GemmArgs g;
    if (int e = gemm_args(*args, "pk_gemm_int8", &g)) return e;
    if (!pk::gemm_int8(g)) return pk::argument_error(std::string("pk_gemm_int8: ") + kNotFinite);
    return PK_OK;
  });
}

extern "C" PK_API int pk_conv2d_int8_nhwc(const pk_conv2d_desc* desc, int64_t group, const uint8_t* x,
                                          const pk_gemm_int8_args* gemm) {
  const std::string fn = "pk_conv2d_int8_nhwc";
  return pk::guarded([&] {
    if (!desc || !gemm) return pk::argument_error(fn + ": desc or gemm is NULL");
    const pk_conv2d_desc& d = *desc;
    const std::string e = pk::conv_desc_error(d);
    if (!e.empty()) return pk::argument_error(fn + ": " + e);
    if (group < 0 || group >= d.groups)
      return pk::argument_error(fn + ": group " + std::to_string(group) + " outside [0, " + std::to_string(d.groups) + ")");
    if (gemm->a_dtype != PK_DTYPE_U8 || gemm->a_dynamic)
      return pk::argument_error(fn + ": the image must be uint8 codes (a_dtype PK_DTYPE_U8, not dynamic)");
    if (gemm->a_zero_point < 0 || gemm->a_zero_point > 255) return pk::argument_error(fn + ": a_zero_point outside [0, 255]");
    const int64_t out_h = pk::conv_out_size(d.in_h, d.pad_top, d.pad_bottom, d.kernel_h, d.stride_h, d.dilation_h);
    const int64_t out_w = pk::conv_out_size(d.in_w, d.pad_left, d.pad_right, d.kernel_w, d.stride_w, d.dilation_w);
    const int64_t m = d.batch * out_h * out_w, k = d.kernel_h * d.kernel_w * (d.in_c / d.groups);
    if (gemm->m != m || gemm->k != k || gemm->n != d.out_c / d.groups)
      return pk::argument_error(fn + ": gemm sizes (m, n, k) = (" + std::to_string(gemm->m) + ", " +
                                std::to_string(gemm->n) + ", " + std::to_string(gemm->k) + "), expected (" +
                                std::to_string(m) + ", " + std::to_string(d.out_c / d.groups) + ", " +
                                std::to_string(k) + ")");
    if (m > 0 && gemm->n > 0 && k > 0 && !x) return pk::argument_error(fn + ": x is NULL");
    pk::Conv2dInt8Problem p{d, out_h, out_w, group, x, {}};
    if (int err = gemm_args(*gemm, fn, &p.gemm)) return err;
    pk::conv2d_int8_nhwc(p);
    return PK_OK;
  });
}
