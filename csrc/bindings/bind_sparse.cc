// Bindings of the f32 SpMM (pk_spmm_bsr_f32, pk_spmm_nm_f32), the name of the
// microkernel they pick, and the sparse-weight convolution (pk_conv2d_sparse_f32_nhwc).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>

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

using Pair = std::array<int64_t, 2>;
using Quad = std::array<int64_t, 4>;

// x (N, H, W, C) and y (N, OH, OW, O) contiguous NHWC; the sparse weight as its format's
// arrays (format 0: BSR with r, c, indptr, indices; 1: N:M with nm_n, nm_m, positions).
void conv2d_sparse(const py::array& x, const py::array& y, Pair kernel, int format, int r, int c,
                   const py::object& indptr, const py::object& indices, int nm_n, int nm_m, const py::object& positions,
                   const py::array& values, const py::object& bias, Pair stride, Quad padding, Pair dilation,
                   int activation) {
  if (x.ndim() != 4 || y.ndim() != 4) throw py::value_error("conv2d_sparse: x and y must be 4-D NHWC arrays");
  const float* xp = contiguous_data(x, "x", false);
  float* yp = contiguous_data(y, "y", true);
  const pk_conv2d_desc desc{x.shape(0), x.shape(1), x.shape(2), x.shape(3), y.shape(3), kernel[0], kernel[1],
                            stride[0], stride[1], dilation[0], dilation[1], padding[0], padding[1], padding[2],
                            padding[3], 1};
  pk_sparse_f32 w{};
  w.format = format;
  w.values = contiguous_data(values, "values", false);
  const int64_t taps = kernel[0] * kernel[1] * x.shape(3);
  if (format == 0) {
    const auto ip = indptr.cast<py::array>(), ix = indices.cast<py::array>();
    if (r < 1 || c < 1 || y.shape(3) % r || ip.size() != y.shape(3) / r + 1)
      throw py::value_error("conv2d_sparse: indptr must have out_c / r + 1 entries");
    w.r = r, w.c = c;
    w.indptr = typed_data<int32_t>(ip, "indptr", 'i');
    w.indices = typed_data<int32_t>(ix, "indices", 'i');
    if (values.size() != ix.size() * r * c || w.indptr[y.shape(3) / r] > ix.size())
      throw py::value_error("conv2d_sparse: indptr, indices and values disagree on the number of blocks");
  } else {
    const auto pos = positions.cast<py::array>();
    const int64_t kept = nm_m > 0 ? taps / nm_m * nm_n : 0;
    if (pos.size() != y.shape(3) * kept || values.size() != y.shape(3) * kept)
      throw py::value_error("conv2d_sparse: positions and values must have out_c * taps / nm_m * nm_n entries");
    w.nm_n = nm_n, w.nm_m = nm_m;
    w.positions = typed_data<uint8_t>(pos, "positions", 'u');
  }
  const float* bias_ptr = nullptr;
  if (!bias.is_none()) {
    const auto b = bias.cast<py::array>();
    if (b.ndim() != 1 || b.shape(0) != y.shape(3))
      throw py::value_error("conv2d_sparse: bias must have shape (" + std::to_string(y.shape(3)) + ",)");
    bias_ptr = contiguous_data(b, "bias", false);
  }
  int code;
  {
    py::gil_scoped_release release;
    code = pk_conv2d_sparse_f32_nhwc(&desc, xp, &w, bias_ptr, activation, yp);
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
  m.def("conv2d_sparse_f32_nhwc", &conv2d_sparse, py::arg("x"), py::arg("y"), py::arg("kernel"), py::arg("format"),
        py::arg("r"), py::arg("c"), py::arg("indptr"), py::arg("indices"), py::arg("nm_n"), py::arg("nm_m"),
        py::arg("positions"), py::arg("values"), py::arg("bias"), py::arg("stride"), py::arg("padding"),
        py::arg("dilation"), py::arg("activation"),
        "y = act(conv2d(x, W) + bias), NHWC, W sparse (out_c x kh*kw*in_c, (kh, kw, c) order)");
}
