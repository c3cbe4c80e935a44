// Bindings of the int8 family: quantize / dequantize / requantize, B packing, int8 GEMM.
// The Python ops (pykernels/ops/int8.py) validate; these checks are the last line of defence.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <string>
#include <utility>

#include "bindings/array_views.h"
#include "bindings/binder.h"
#include "cpu/int8/gemm_int8.h"
#include "include/pykernels.h"

namespace py = pybind11;
using pk::bindings::raise_on_error;

namespace {

// The PK_DTYPE_* code of an array's dtype (uint8, int8, int32, float32).
int dtype_code(const py::array& arr, const char* name) {
  const auto dt = arr.dtype();
  if (dt.is(py::dtype::of<uint8_t>())) return PK_DTYPE_U8;
  if (dt.is(py::dtype::of<int8_t>())) return PK_DTYPE_S8;
  if (dt.is(py::dtype::of<int32_t>())) return PK_DTYPE_S32;
  if (dt.is(py::dtype::of<float>())) return PK_DTYPE_F32;
  throw py::type_error(std::string(name) + ": unsupported dtype " + std::string(py::str(dt)));
}

// A C-contiguous array of the given PK_DTYPE_* code(s), as a raw pointer.
void* contiguous(const py::array& arr, const char* name, std::initializer_list<int> codes, bool writable = false) {
  const int code = dtype_code(arr, name);
  bool ok = false;
  for (int c : codes) ok |= c == code;
  if (!ok) throw py::type_error(std::string(name) + ": wrong dtype " + std::string(py::str(arr.dtype())));
  if (!(arr.flags() & py::array::c_style)) throw py::value_error(std::string(name) + ": expected a C-contiguous array");
  if (writable && !arr.writeable()) throw py::value_error(std::string(name) + ": array is read-only");
  return const_cast<void*>(arr.data());
}

template <typename T>
const T* optional(const py::object& obj, const char* name, int code, int64_t n) {
  if (obj.is_none()) return nullptr;
  const auto arr = obj.cast<py::array>();
  if (arr.ndim() != 1 || arr.shape(0) != n)
    throw py::value_error(std::string(name) + ": expected shape (" + std::to_string(n) + ",)");
  return static_cast<const T*>(contiguous(arr, name, {code}));
}

// rows x cols of a 2-D array, with the per-tensor/row/column parameter count checked.
std::pair<int64_t, int64_t> shape2(const py::array& x, const char* name) {
  if (x.ndim() != 2) throw py::value_error(std::string(name) + ": expected a 2-D array");
  return {x.shape(0), x.shape(1)};
}

void check_params(const py::array& p, const char* name, int per, int64_t rows, int64_t cols) {
  const int64_t expected = per == PK_PER_ROW ? rows : per == PK_PER_COL ? cols : 1;
  if (p.ndim() != 1 || p.shape(0) != expected)
    throw py::value_error(std::string(name) + ": expected " + std::to_string(expected) + " values");
}

void quantize_f32(const py::array& x, const py::array& scale, const py::array& zero_point, int per, int32_t lo,
                  int32_t hi, const py::array& q) {
  const auto [rows, cols] = shape2(x, "x");
  if (q.ndim() != 2 || q.shape(0) != rows || q.shape(1) != cols) throw py::value_error("q: shape differs from x");
  check_params(scale, "scale", per, rows, cols);
  check_params(zero_point, "zero_point", per, rows, cols);
  const auto* xp = static_cast<const float*>(contiguous(x, "x", {PK_DTYPE_F32}));
  const auto* sp = static_cast<const float*>(contiguous(scale, "scale", {PK_DTYPE_F32}));
  const auto* zp = static_cast<const int32_t*>(contiguous(zero_point, "zero_point", {PK_DTYPE_S32}));
  void* qp = contiguous(q, "q", {PK_DTYPE_U8, PK_DTYPE_S8}, true);
  const int code = dtype_code(q, "q");
  int err;
  {
    py::gil_scoped_release release;
    err = pk_quantize_f32(xp, rows, cols, sp, zp, per, lo, hi, code, qp);
  }
  raise_on_error(err);
}

void dequantize_f32(const py::array& q, const py::array& scale, const py::array& zero_point, int per,
                    const py::array& y) {
  const auto [rows, cols] = shape2(q, "q");
  if (y.ndim() != 2 || y.shape(0) != rows || y.shape(1) != cols) throw py::value_error("y: shape differs from q");
  check_params(scale, "scale", per, rows, cols);
  check_params(zero_point, "zero_point", per, rows, cols);
  const void* qp = contiguous(q, "q", {PK_DTYPE_U8, PK_DTYPE_S8});
  const auto* sp = static_cast<const float*>(contiguous(scale, "scale", {PK_DTYPE_F32}));
  const auto* zp = static_cast<const int32_t*>(contiguous(zero_point, "zero_point", {PK_DTYPE_S32}));
  auto* yp = static_cast<float*>(contiguous(y, "y", {PK_DTYPE_F32}, true));
  const int code = dtype_code(q, "q");
  int err;
  {
    py::gil_scoped_release release;
    err = pk_dequantize_f32(qp, code, rows, cols, sp, zp, per, yp);
  }
  raise_on_error(err);
}

void requantize_s32(const py::array& x, const py::array& multiplier, const py::array& zero_point, int per,
                    int32_t lo, int32_t hi, const py::array& q) {
  const auto [rows, cols] = shape2(x, "x");
  if (q.ndim() != 2 || q.shape(0) != rows || q.shape(1) != cols) throw py::value_error("q: shape differs from x");
  check_params(multiplier, "multiplier", per, rows, cols);
  check_params(zero_point, "zero_point", per, rows, cols);
  if (!multiplier.dtype().is(py::dtype::of<double>())) throw py::type_error("multiplier: expected float64");
  if (!(multiplier.flags() & py::array::c_style)) throw py::value_error("multiplier: expected a C-contiguous array");
  const auto* xp = static_cast<const int32_t*>(contiguous(x, "x", {PK_DTYPE_S32}));
  const auto* mp = static_cast<const double*>(multiplier.data());
  const auto* zp = static_cast<const int32_t*>(contiguous(zero_point, "zero_point", {PK_DTYPE_S32}));
  void* qp = contiguous(q, "q", {PK_DTYPE_U8, PK_DTYPE_S8}, true);
  const int code = dtype_code(q, "q");
  int err;
  {
    py::gil_scoped_release release;
    err = pk_requantize_s32(xp, rows, cols, mp, zp, per, lo, hi, code, qp);
  }
  raise_on_error(err);
}

py::array int8_pack_b(const py::array& w) {
  if (w.ndim() != 2) throw py::value_error("w: expected a 2-D array (n, k)");
  if (dtype_code(w, "w") != PK_DTYPE_S8) throw py::type_error("w: expected int8");
  const int64_t n = w.shape(0), k = w.shape(1);
  py::array_t<int8_t> packed(pk_int8_packed_b_bytes(n, k));
  const auto* wp = static_cast<const int8_t*>(w.data());
  int8_t* dst = packed.mutable_data();
  int err;
  {
    py::gil_scoped_release release;
    err = pk_int8_pack_b(wp, n, k, w.strides(0), w.strides(1), dst);
  }
  raise_on_error(err);
  return packed;
}

// The B, C and epilogue fields of the GEMM arguments (n = c's column count given in g.n).
void set_b_and_epilogue(pk_gemm_int8_args& g, const py::array& b_packed, const py::array& b_colsum,
                        const py::object& b_zero_point, int32_t b_safe_a_max, const py::array& c,
                        const py::object& scale, const py::object& bias, const py::object& multiplier,
                        const py::object& bias_s32, int32_t c_zero_point, int activation) {
  if (b_packed.size() != pk_int8_packed_b_bytes(g.n, g.k)) throw py::value_error("b_packed: wrong size for (n, k)");
  g.b_packed = static_cast<const int8_t*>(contiguous(b_packed, "b_packed", {PK_DTYPE_S8}));
  g.b_colsum = optional<int32_t>(b_colsum, "b_colsum", PK_DTYPE_S32, g.n);
  g.b_zero_point = optional<int32_t>(b_zero_point, "b_zero_point", PK_DTYPE_S32, g.n);
  g.b_safe_a_max = b_safe_a_max;
  g.c_dtype = dtype_code(c, "c");
  g.c = contiguous(c, "c", {g.c_dtype}, true);
  g.scale = optional<float>(scale, "scale", PK_DTYPE_F32, g.n);
  g.bias = optional<float>(bias, "bias", PK_DTYPE_F32, g.n);
  if (!multiplier.is_none()) {
    const auto m = multiplier.cast<py::array>();
    if (!m.dtype().is(py::dtype::of<double>()) || m.ndim() != 1 || m.shape(0) != g.n ||
        !(m.flags() & py::array::c_style))
      throw py::value_error("multiplier: expected C-contiguous float64 of shape (n,)");
    g.multiplier = static_cast<const double*>(m.data());
  }
  g.bias_s32 = optional<int32_t>(bias_s32, "bias_s32", PK_DTYPE_S32, g.n);
  g.c_zero_point = c_zero_point, g.activation = activation;
}

void gemm_int8(const py::array& a, int32_t a_zero_point, const py::object& a_scale, int32_t a_qmax,
               const py::array& b_packed,
               const py::array& b_colsum, const py::object& b_zero_point, int32_t b_safe_a_max, const py::array& c,
               const py::object& scale, const py::object& bias, const py::object& multiplier,
               const py::object& bias_s32, int32_t c_zero_point, int activation, bool a_per_row) {
  if (a.ndim() != 2 || c.ndim() != 2) throw py::value_error("gemm_int8: a and c must be 2-D");
  pk_gemm_int8_args g{};
  g.m = a.shape(0), g.k = a.shape(1), g.n = c.shape(1);
  if (c.shape(0) != g.m) throw py::value_error("gemm_int8: a and c have different row counts");
  g.a_dtype = dtype_code(a, "a");
  const int64_t item = a.itemsize();
  if (a.strides(0) % item || a.strides(1) % item) throw py::value_error("a: misaligned strides");
  g.a = a.data(), g.a_rs = a.strides(0) / item, g.a_cs = a.strides(1) / item;
  g.a_zero_point = a_zero_point, g.a_qmax = a_qmax;
  // None: A's own range, as a whole or row by row
  g.a_dynamic = a_per_row ? PK_DYNAMIC_ROW : (a_scale.is_none() ? PK_DYNAMIC_TENSOR : PK_DYNAMIC_NONE);
  g.a_scale = a_scale.is_none() ? 0.0f : a_scale.cast<float>();
  set_b_and_epilogue(g, b_packed, b_colsum, b_zero_point, b_safe_a_max, c, scale, bias, multiplier, bias_s32,
                     c_zero_point, activation);
  g.c_rs = g.n;
  int err;
  {
    py::gil_scoped_release release;
    err = pk_gemm_int8(&g);
  }
  raise_on_error(err);
}

// One group of a quantized conv2d: x (N, H, W, C) uint8 codes, c (N, OH, OW, O) written
// in columns [group * n, (group + 1) * n), n = the packed weights' filters per group.
void conv2d_int8_nhwc(const py::array& x, int32_t x_zero_point, float x_scale, std::pair<int64_t, int64_t> kernel,
                      std::pair<int64_t, int64_t> stride, std::array<int64_t, 4> padding,
                      std::pair<int64_t, int64_t> dilation, int64_t groups, int64_t group, const py::array& b_packed,
                      const py::array& b_colsum, const py::object& b_zero_point, int32_t b_safe_a_max,
                      const py::array& c, const py::object& scale, const py::object& bias,
                      const py::object& multiplier, const py::object& bias_s32, int32_t c_zero_point,
                      int activation) {
  if (x.ndim() != 4 || c.ndim() != 4) throw py::value_error("conv2d_int8_nhwc: x and c must be 4-D (NHWC)");
  if (dtype_code(x, "x") != PK_DTYPE_U8) throw py::type_error("x: expected uint8 codes");
  pk_conv2d_desc d{};
  d.batch = x.shape(0), d.in_h = x.shape(1), d.in_w = x.shape(2), d.in_c = x.shape(3), d.out_c = c.shape(3);
  d.kernel_h = kernel.first, d.kernel_w = kernel.second, d.stride_h = stride.first, d.stride_w = stride.second;
  d.dilation_h = dilation.first, d.dilation_w = dilation.second;
  d.pad_top = padding[0], d.pad_bottom = padding[1], d.pad_left = padding[2], d.pad_right = padding[3];
  d.groups = groups;
  if (groups < 1 || d.in_c % groups || d.out_c % groups) throw py::value_error("conv2d_int8_nhwc: bad groups");
  if (c.shape(0) != d.batch) throw py::value_error("conv2d_int8_nhwc: x and c have different batch sizes");
  pk_gemm_int8_args g{};
  g.m = c.shape(0) * c.shape(1) * c.shape(2), g.n = d.out_c / groups;
  g.k = d.kernel_h * d.kernel_w * (d.in_c / groups);
  g.a_dtype = PK_DTYPE_U8, g.a_zero_point = x_zero_point, g.a_scale = x_scale, g.a_qmax = 255;
  const auto* xp = static_cast<const uint8_t*>(contiguous(x, "x", {PK_DTYPE_U8}));
  set_b_and_epilogue(g, b_packed, b_colsum, b_zero_point, b_safe_a_max, c, scale, bias, multiplier, bias_s32,
                     c_zero_point, activation);
  g.c_rs = d.out_c;
  g.c = static_cast<char*>(g.c) + group * g.n * c.itemsize();
  int err;
  {
    py::gil_scoped_release release;
    err = pk_conv2d_int8_nhwc(&d, group, xp, &g);
  }
  raise_on_error(err);
}

}  // namespace

PK_BIND_FAMILY(int8) {
  m.def("quantize_f32", &quantize_f32, "q = clamp(rint(x / scale) + zero_point, lo, hi), 2-D contiguous");
  m.def("dequantize_f32", &dequantize_f32, "y = (q - zero_point) * scale, 2-D contiguous");
  m.def("requantize_s32", &requantize_s32, "q = clamp(rint(x * multiplier) + zero_point, lo, hi) from int32");
  m.def("int8_pack_b", &int8_pack_b, "pack W = B^T (n, k) int8 for gemm_int8");
  m.def("gemm_int8", &gemm_int8, py::arg("a"), py::arg("a_zero_point"), py::arg("a_scale"), py::arg("a_qmax"),
        py::arg("b_packed"), py::arg("b_colsum"), py::arg("b_zero_point"), py::arg("b_safe_a_max"), py::arg("c"),
        py::arg("scale") = py::none(), py::arg("bias") = py::none(), py::arg("multiplier") = py::none(),
        py::arg("bias_s32") = py::none(), py::arg("c_zero_point") = 0, py::arg("activation") = PK_ACT_NONE,
        py::arg("a_per_row") = false,
        "int8 GEMM on packed B with zero points and a fused epilogue (see pykernels.h: pk_gemm_int8)");
  m.def("conv2d_int8_nhwc", &conv2d_int8_nhwc, py::arg("x"), py::arg("x_zero_point"), py::arg("x_scale"),
        py::arg("kernel"), py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        py::arg("group"), py::arg("b_packed"), py::arg("b_colsum"), py::arg("b_zero_point"), py::arg("b_safe_a_max"),
        py::arg("c"), py::arg("scale") = py::none(), py::arg("bias") = py::none(),
        py::arg("multiplier") = py::none(), py::arg("bias_s32") = py::none(), py::arg("c_zero_point") = 0,
        py::arg("activation") = PK_ACT_NONE,
        "one group of a quantized conv2d on uint8 NHWC codes (see pykernels.h: pk_conv2d_int8_nhwc)");
  m.def("gemm_int8_kernel_name", [] { return std::string(pk::gemm_int8_kernel_name()); });
}
