// Bindings of the float32 GEMM (pk_sgemm).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bindings/array_views.h"
#include "bindings/binder.h"
#include "include/pykernels.h"

namespace py = pybind11;
using pk::bindings::contiguous_data;
using pk::bindings::matrix_view;
using pk::bindings::raise_on_error;

namespace {

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
  int code;
  {
    py::gil_scoped_release release;
    code = pk_sgemm(av.rows, bv.cols, av.cols, av.data, av.rs, av.cs, bv.data, bv.rs, bv.cs, cv.data, cv.rs,
                    bias_ptr, bias_mode, activation, accumulate ? 1 : 0);
  }
  raise_on_error(code);
}

}  // namespace

PK_BIND_FAMILY(gemm) {
  m.def("sgemm", &sgemm, py::arg("a"), py::arg("b"), py::arg("c"), py::arg("bias") = py::none(),
        py::arg("bias_mode") = PK_BIAS_NONE, py::arg("activation") = PK_ACT_NONE, py::arg("accumulate") = false,
        "c = act(a @ b [+ c] [+ bias]) in float32; a, b any strides, c unit column stride");
}
