// Bindings of the attention family: fused scaled dot-product attention and layer norm.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bindings/array_views.h"
#include "bindings/binder.h"
#include "cpu/attention/sdpa.h"
#include "include/pykernels.h"

namespace py = pybind11;
using pk::bindings::contiguous_data;
using pk::bindings::raise_on_error;

namespace {

// Element strides of a 4-D array along its first three axes; the last must be unit-stride.
struct View4 {
  const void* data;
  int64_t s0, s1, s2, s3;
};

View4 view4(const py::array& arr, const char* name, int64_t itemsize, bool unit_last) {
  if (arr.ndim() != 4)
    throw py::value_error(std::string("sdpa: ") + name + " must be 4-D, got " + std::to_string(arr.ndim()) + "-D");
  if (arr.itemsize() != itemsize) throw py::type_error(std::string("sdpa: ") + name + " has the wrong dtype");
  int64_t s[4];
  for (int i = 0; i < 4; ++i) {
    if (arr.strides(i) % itemsize != 0)
      throw py::value_error(std::string("sdpa: ") + name + ": misaligned strides");
    s[i] = arr.strides(i) / itemsize;
  }
  // An empty array's strides are arbitrary (NumPy gives zeros) and never used.
  if (unit_last && arr.shape(3) > 1 && s[3] != 1 && arr.size() > 0)
    throw py::value_error(std::string("sdpa: ") + name + " must have unit stride along its last axis");
  return {arr.data(), s[0], s[1], s[2], s[3]};
}

void require_float32(const py::array& arr, const char* name) {
  if (arr.dtype().kind() != 'f' || arr.itemsize() != 4)
    throw py::type_error(std::string("sdpa: ") + name + " must be float32");
}

void sdpa(const py::array& q, const py::array& k, const py::array& v, const py::array& o, const py::object& mask,
          bool causal, float scale) {
  require_float32(q, "q"), require_float32(k, "k"), require_float32(v, "v"), require_float32(o, "o");
  if (!o.writeable()) throw py::value_error("sdpa: o is read-only");
  const auto qv = view4(q, "q", 4, true), kv = view4(k, "k", 4, true), vv = view4(v, "v", 4, true);
  const auto ov = view4(o, "o", 4, true);
  const int64_t batch = q.shape(0), hq = q.shape(1), nq = q.shape(2), d = q.shape(3);
  const int64_t hkv = k.shape(1), nk = k.shape(2);
  const int64_t dv = v.shape(3);
  for (int i = 0; i < 3; ++i) {
    if (k.shape(i) != v.shape(i)) throw py::value_error("sdpa: k and v shapes differ");
    if (o.shape(i) != q.shape(i)) throw py::value_error("sdpa: o and q shapes differ");
  }
  if (o.shape(3) != dv) throw py::value_error("sdpa: o and v head dims differ");
  if (k.shape(0) != batch || k.shape(3) != d) throw py::value_error("sdpa: q and k batch or head dims differ");
  View4 mv{nullptr, 0, 0, 0, 0};
  int kind = PK_MASK_NONE;
  if (!mask.is_none()) {
    const auto m = mask.cast<py::array>();
    const char dtype = m.dtype().kind();
    if (dtype == 'b' && m.itemsize() == 1) {
      kind = PK_MASK_BOOL;
    } else if (dtype == 'f' && m.itemsize() == 4) {
      kind = PK_MASK_ADD;
    } else {
      throw py::type_error("sdpa: mask must be bool or float32");
    }
    mv = view4(m, "mask", m.itemsize(), false);
    const int64_t want[4] = {batch, hq, nq, nk};
    for (int i = 0; i < 4; ++i)
      if (m.shape(i) != want[i] && !(m.shape(i) == 1 || (&mv.s0)[i] == 0))
        throw py::value_error("sdpa: mask does not broadcast to (batch, heads_q, nq, nk)");
    // Size-1 axes broadcast: their stride becomes 0.
    int64_t* strides[4] = {&mv.s0, &mv.s1, &mv.s2, &mv.s3};
    for (int i = 0; i < 4; ++i)
      if (m.shape(i) == 1) *strides[i] = 0;
  }
  int code;
  {
    py::gil_scoped_release release;
    code = pk_sdpa_f32(batch, hq, hkv, nq, nk, d, dv, static_cast<const float*>(qv.data), qv.s0, qv.s1, qv.s2,
                       static_cast<const float*>(kv.data), kv.s0, kv.s1, kv.s2, static_cast<const float*>(vv.data),
                       vv.s0, vv.s1, vv.s2, static_cast<float*>(const_cast<void*>(ov.data)), ov.s0, ov.s1, ov.s2,
                       mv.data, kind, mv.s0, mv.s1, mv.s2, mv.s3, causal ? 1 : 0, scale);
  }
  raise_on_error(code);
}

void layer_norm(const py::array& x, const py::array& y, const py::object& gamma, const py::object& beta, float eps) {
  const float* src = contiguous_data(x, "x", false);
  float* dst = contiguous_data(y, "y", true);
  if (x.ndim() < 1 || x.size() != y.size()) throw py::value_error("layer_norm: x and y must have the same size");
  const int64_t cols = x.shape(x.ndim() - 1);
  const int64_t rows = cols == 0 ? 0 : x.size() / cols;
  const float* params[2] = {nullptr, nullptr};
  const py::object* given[2] = {&gamma, &beta};
  for (int i = 0; i < 2; ++i) {
    if (given[i]->is_none()) continue;
    const auto arr = given[i]->cast<py::array>();
    if (arr.ndim() != 1 || arr.shape(0) != cols)
      throw py::value_error("layer_norm: gamma and beta must have shape (" + std::to_string(cols) + ",)");
    params[i] = contiguous_data(arr, i == 0 ? "gamma" : "beta", false);
  }
  int code;
  {
    py::gil_scoped_release release;
    code = pk_layer_norm_f32(src, dst, rows, cols, params[0], params[1], eps);
  }
  raise_on_error(code);
}

}  // namespace

PK_BIND_FAMILY(attention) {
  m.def("sdpa_f32", &sdpa, py::arg("q"), py::arg("k"), py::arg("v"), py::arg("o"), py::arg("mask") = py::none(),
        py::arg("causal") = false, py::arg("scale") = 1.0f,
        "o = softmax(scale q k^T + mask) v, fused flash attention; 4-D (batch, heads, seq, d) views");
  m.def("sdpa_kernel_name", [] { return std::string(pk::sdpa_kernel_name()); });
  m.def("layer_norm_f32", &layer_norm, py::arg("x"), py::arg("y"), py::arg("gamma") = py::none(),
        py::arg("beta") = py::none(), py::arg("eps") = 1e-5f, "layer norm over the last axis");
}
