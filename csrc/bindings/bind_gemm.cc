// Bindings of the float32 GEMM (pk_sgemm): the kernel (op "gemm" of the cpu backend) and
// the fast paths of ops.matmul and ops.linear (pykernels.registry.fast_path).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "bindings/array_views.h"
#include "bindings/binder.h"
#include "include/pykernels.h"

namespace py = pybind11;
using pk::bindings::contiguous_data;
using pk::bindings::matrix_view;
using pk::bindings::MatrixView;
using pk::bindings::raise_on_error;

namespace {

// c = act(a @ b [+ c] [+ bias]) on checked views; the GIL is released around the kernel.
void run_sgemm(const MatrixView& av, const MatrixView& bv, const MatrixView& cv, const float* bias, int bias_mode,
               int activation, bool accumulate) {
  int code;
  {
    py::gil_scoped_release release;
    code = pk_sgemm(av.rows, bv.cols, av.cols, av.data, av.rs, av.cs, bv.data, bv.rs, bv.cs, cv.data, cv.rs, bias,
                    bias_mode, activation, accumulate ? 1 : 0);
  }
  raise_on_error(code);
}

void sgemm(const py::array& a, const py::array& b, const py::array& c, const py::object& bias, int bias_mode,
           int activation, bool accumulate) {
  const auto av = matrix_view(a, "a", false);
  const auto bv = matrix_view(b, "b", false);
  const auto cv = matrix_view(c, "c", true);
  if (av.cols != bv.rows || cv.rows != av.rows || cv.cols != bv.cols)
    throw py::value_error("sgemm: shapes do not chain: a (" + std::to_string(av.rows) + ", " +
                          std::to_string(av.cols) + "), b (" + std::to_string(bv.rows) + ", " +
                          std::to_string(bv.cols) + "), c (" + std::to_string(cv.rows) + ", " +
                          std::to_string(cv.cols) + ")");
  if (cv.cs != 1 && cv.cols > 1 && cv.rows > 0) throw py::value_error("sgemm: c must have unit column stride");
  const float* bias_ptr = nullptr;
  if (!bias.is_none()) {
    const auto bias_arr = bias.cast<py::array>();
    const int64_t expected = bias_mode == PK_BIAS_ROW ? av.rows : bv.cols;
    if (bias_arr.ndim() != 1 || bias_arr.shape(0) != expected)
      throw py::value_error("sgemm: bias must have shape (" + std::to_string(expected) + ",)");
    bias_ptr = contiguous_data(bias_arr, "bias", false);
  } else if (bias_mode != PK_BIAS_NONE) {
    throw py::value_error("sgemm: bias_mode set but bias is None");
  }
  run_sgemm(av, bv, cv, bias_ptr, bias_mode, activation, accumulate);
}

// --- Fast paths ---------------------------------------------------------------------
// ops.matmul(a, b) and ops.linear(x, w, bias, activation) in one native call, for small
// inputs where Python's checks cost as much as the product. They accept exactly the
// operands that pykernels.validation passes through unchanged and compute what the op
// would; for any other input they return None and the op runs its own checks, so every
// error still comes from the validation module.

// The rank of an aligned float32 ndarray (any byte order NumPy calls float32), else -1.
int plain_float32_rank(py::handle x) {
  if (!py::isinstance<py::array>(x)) return -1;
  const auto arr = py::reinterpret_borrow<py::array>(x);
  const bool plain = (arr.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) != 0 &&
                     arr.dtype().equal(py::dtype::of<float>());
  return plain ? static_cast<int>(arr.ndim()) : -1;
}

// A 2-D array as a matrix, a 1-D one as a single row.
MatrixView view(py::handle x) {
  const auto arr = py::reinterpret_borrow<py::array>(x);
  float* data = static_cast<float*>(const_cast<void*>(arr.data()));
  if (arr.ndim() == 1) return MatrixView{data, 1, arr.shape(0), arr.shape(0), arr.strides(0) / 4};
  return MatrixView{data, arr.shape(0), arr.shape(1), arr.strides(0) / 4, arr.strides(1) / 4};
}

// A new C-contiguous float32 array of `rows` x `cols` (of `cols` when rows_axis is false),
// or None when its size is not addressable (the op's check raises the OverflowError).
py::object new_output(int64_t rows, int64_t cols, bool rows_axis) {
  if (cols > 0 && rows > PTRDIFF_MAX / static_cast<int64_t>(sizeof(float)) / cols) return py::none();
  if (!rows_axis) return py::array_t<float>(cols);
  return py::array_t<float>({rows, cols});
}

// The PK_ACT_* code of an activation ops.linear fuses (None, "linear", "none", "relu",
// "sigmoid", "tanh", "gelu"), -1 for anything else.
int fused_activation(py::handle activation) {
  if (activation.is_none()) return PK_ACT_NONE;
  if (!py::isinstance<py::str>(activation)) return -1;
  const std::string name = activation.cast<std::string>();
  if (name == "none" || name == "linear") return PK_ACT_NONE;
  if (name == "relu") return PK_ACT_RELU;
  if (name == "sigmoid") return PK_ACT_SIGMOID;
  if (name == "tanh") return PK_ACT_TANH;
  if (name == "gelu") return PK_ACT_GELU;
  return -1;
}

// a (M, K) or (K,) times b (K, N): (M, N) or (N,), as NumPy's matmul.
py::object matmul_f32(py::handle a, py::handle b) {
  const int a_rank = plain_float32_rank(a);
  if ((a_rank != 1 && a_rank != 2) || plain_float32_rank(b) != 2) return py::none();
  const MatrixView av = view(a), bv = view(b);
  if (av.cols != bv.rows) return py::none();
  py::object c = new_output(av.rows, bv.cols, a_rank == 2);
  if (!c.is_none()) run_sgemm(av, bv, view(c), nullptr, PK_BIAS_NONE, PK_ACT_NONE, false);
  return c;
}

// act(x @ w.T + bias) for x (M, in) or (in,), w (out, in), bias (out,) or None.
py::object linear_f32(py::handle x, py::handle w, py::handle bias, py::handle activation) {
  const int act = fused_activation(activation), x_rank = plain_float32_rank(x);
  if (act < 0 || (x_rank != 1 && x_rank != 2) || plain_float32_rank(w) != 2) return py::none();
  const MatrixView xv = view(x), wv = view(w);
  const MatrixView wt{wv.data, wv.cols, wv.rows, wv.cs, wv.rs};  // w.T: (in_features, out_features)
  if (xv.cols != wt.rows) return py::none();
  const float* bias_ptr = nullptr;
  if (!bias.is_none()) {
    if (plain_float32_rank(bias) != 1) return py::none();
    const auto b = py::reinterpret_borrow<py::array>(bias);
    if (!(b.flags() & py::array::c_style) || b.shape(0) != wt.cols) return py::none();
    bias_ptr = static_cast<const float*>(b.data());
  }
  py::object y = new_output(xv.rows, wt.cols, x_rank == 2);
  if (!y.is_none()) run_sgemm(xv, wt, view(y), bias_ptr, bias_ptr ? PK_BIAS_COL : PK_BIAS_NONE, act, false);
  return y;
}

}  // namespace

PK_BIND_FAMILY(gemm) {
  m.def("sgemm", &sgemm, py::arg("a"), py::arg("b"), py::arg("c"), py::arg("bias") = py::none(),
        py::arg("bias_mode") = PK_BIAS_NONE, py::arg("activation") = PK_ACT_NONE, py::arg("accumulate") = false,
        "c = act(a @ b [+ c] [+ bias]) in float32; a, b any strides, c unit column stride");
  m.def("matmul_f32", &matmul_f32,
        "ops.matmul's fast path: a @ b for plain float32 a (1-D or 2-D), b (2-D); else None");
  m.def("linear_f32", &linear_f32,
        "ops.linear's fast path: act(x @ w.T + bias) for plain float32 x (1-D or 2-D), w (2-D); else None");
}
