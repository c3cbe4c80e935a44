// Bindings of the elementwise activations and the row softmax.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bindings/array_views.h"
#include "bindings/binder.h"
#include "include/pykernels.h"

namespace py = pybind11;
using pk::bindings::contiguous_data;
using pk::bindings::raise_on_error;

namespace {

void activation_inplace(const py::array& x, int activation) {
  float* data = contiguous_data(x, "x", true);
  const int64_t n = x.size();
  int code;
  {
    py::gil_scoped_release release;
    code = pk_activation_f32(data, n, activation);
  }
  raise_on_error(code);
}

void softmax_rows(const py::array& x, const py::array& y) {
  const float* src = contiguous_data(x, "x", false);
  float* dst = contiguous_data(y, "y", true);
  if (x.ndim() < 1 || x.size() != y.size()) throw py::value_error("softmax: x and y must have the same size");
  const int64_t cols = x.shape(x.ndim() - 1);
  const int64_t rows = cols == 0 ? 0 : x.size() / cols;
  int code;
  {
    py::gil_scoped_release release;
    code = pk_softmax_f32(src, dst, rows, cols);
  }
  raise_on_error(code);
}

}  // namespace

PK_BIND_FAMILY(activation) {
  m.def("activation_inplace", &activation_inplace, py::arg("x"), py::arg("activation"));
  m.def("softmax_rows", &softmax_rows, py::arg("x"), py::arg("y"), "softmax over the last axis");
}
