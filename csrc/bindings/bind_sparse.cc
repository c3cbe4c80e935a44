// Bindings of the f32 SpMM (pk_spmm_bsr_f32, pk_spmm_nm_f32) and the name of the
// microkernel they pick.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bindings/array_views.h"
#include "bindings/binder.h"
#include "cpu/spmm/spmm.h"
#include "include/pykernels.h"

namespace py = pybind11;
using pk::bindings::contiguous_data;
using pk::bindings::matrix_view;
using pk::bindings::MatrixView;
using pk::bindings::raise_on_error;

namespace {

template <typename T>
const T* typed_data(const py::array& arr, const char* name, char kind) {
  if (arr.dtype().kind() != kind || arr.itemsize() != sizeof(T) || !(arr.flags() & py::array::c_style))
    throw py::type_error(std::string("spmm: ") + name + " must be a C-contiguous " +
                         (kind == 'i' ? "int32" : "uint8") + " array, got " + std::string(py::str(arr.dtype())));
  return static_cast<const T*>(arr.data());
}

// The dense side: x (k x n) and y (m x n) with shapes that chain, and the bias.
struct Dense {
  MatrixView x, y;
  const float* bias;
};

Dense dense_side(const py::array& x, const py::array& y, const py::object& bias, int64_t m, int64_t k) {
  Dense d{matrix_view(x, "x", false), matrix_view(y, "y", true), nullptr};
  if (d.x.rows != k || d.y.rows != m || d.y.cols != d.x.cols)
    throw py::value_error("spmm: shapes do not chain: w (" + std::to_string(m) + ", " + std::to_string(k) + "), x (" +
                          std::to_string(d.x.rows) + ", " + std::to_string(d.x.cols) + "), y (" +
                          std::to_string(d.y.rows) + ", " + std::to_string(d.y.cols) + ")");
  if (d.y.cs != 1 && d.y.cols > 1 && d.y.rows > 0) throw py::value_error("spmm: y must have unit column stride");
  if (!bias.is_none()) {
    const auto arr = bias.cast<py::array>();
    if (arr.ndim() != 1 || arr.shape(0) != m)
      throw py::value_error("spmm: bias must have shape (" + std::to_string(m) + ",)");
    d.bias = contiguous_data(arr, "bias", false);
  }
  return d;
}

void spmm_bsr(int64_t m, int64_t k, int r, int c, const py::array& indptr, const py::array& indices,
              const py::array& values, const py::array& x, const py::array& y, const py::object& bias, int activation) {
  const Dense d = dense_side(x, y, bias, m, k);
  if (r < 1 || c < 1 || m % r || k % c || indptr.size() != m / r + 1)
    throw py::value_error("spmm: indptr must have m / r + 1 = " + std::to_string(r > 0 ? m / r + 1 : 0) + " entries");
  const int32_t* ip = typed_data<int32_t>(indptr, "indptr", 'i');
  const int32_t* ix = typed_data<int32_t>(indices, "indices", 'i');
  if (values.size() != indices.size() * r * c || ip[m / r] > indices.size())
    throw py::value_error("spmm: indptr, indices and values disagree on the number of blocks");
  const float* v = contiguous_data(values, "values", false);
  int code;
  {
    py::gil_scoped_release release;
    code = pk_spmm_bsr_f32(m, k, d.x.cols, r, c, ip, ix, v, d.x.data, d.x.rs, d.x.cs, d.y.data, d.y.rs, d.bias,
                           activation);
  }
  raise_on_error(code);
}

void spmm_nm(int64_t m, int64_t k, int nm_n, int nm_m, const py::array& positions, const py::array& values,
             const py::array& x, const py::array& y, const py::object& bias, int activation) {
  const Dense d = dense_side(x, y, bias, m, k);
  const int64_t kept = nm_m > 0 ? k / nm_m * nm_n : 0;
  if (positions.size() != m * kept || values.size() != m * kept)
    throw py::value_error("spmm: positions and values must have m * k / nm_m * nm_n = " + std::to_string(m * kept) +
                          " entries");
  const uint8_t* pos = typed_data<uint8_t>(positions, "positions", 'u');
  const float* v = contiguous_data(values, "values", false);
  int code;
  {
    py::gil_scoped_release release;
    code = pk_spmm_nm_f32(m, k, d.x.cols, nm_n, nm_m, pos, v, d.x.data, d.x.rs, d.x.cs, d.y.data, d.y.rs, d.bias,
                          activation);
  }
  raise_on_error(code);
}

std::string spmm_kernel_name(int format, int r, int c, int nm_n, int64_t n) {
  pk::SpmmArgs g;
  g.format = static_cast<pk::SparseFormat>(format);
  g.r = r, g.c = c, g.nm_n = nm_n, g.n = n;
  return pk::spmm_kernel_name(g);
}

}  // namespace

PK_BIND_FAMILY(sparse) {
  m.def("spmm_bsr_f32", &spmm_bsr, py::arg("m"), py::arg("k"), py::arg("r"), py::arg("c"), py::arg("indptr"),
        py::arg("indices"), py::arg("values"), py::arg("x"), py::arg("y"), py::arg("bias") = py::none(),
        py::arg("activation") = PK_ACT_NONE, "y = act(W.x + bias), W in BSR (CSR: r = c = 1)");
  m.def("spmm_nm_f32", &spmm_nm, py::arg("m"), py::arg("k"), py::arg("nm_n"), py::arg("nm_m"), py::arg("positions"),
        py::arg("values"), py::arg("x"), py::arg("y"), py::arg("bias") = py::none(),
        py::arg("activation") = PK_ACT_NONE, "y = act(W.x + bias), W N:M structured");
  m.def("spmm_kernel_name", &spmm_kernel_name, py::arg("format"), py::arg("r"), py::arg("c"), py::arg("nm_n"),
        py::arg("n"), "the microkernel spmm picks here (format 0: BSR/CSR, 1: N:M)");
}
