// pykernels._C: pybind11 bindings. Each binding turns arrays into views, releases the
// GIL and calls the C ABI, which checks its arguments before running the kernel.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bindings/array_views.h"
#include "common/cpu_features.h"
#include "cpu/gemm/sgemm.h"
#include "cpu/peak/fma_peak.h"
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

py::dict cpu_info() {
  const pk::CpuFeatures& f = pk::cpu_features();
  py::dict d;
  d["avx2"] = f.avx2;
  d["fma"] = f.fma;
  d["f16c"] = f.f16c;
  d["avx512f"] = f.avx512f;
  d["os_saves_ymm"] = f.os_saves_ymm;
  d["isa"] = pk::isa_name(pk::active_isa());
  d["sgemm_kernel"] = pk::sgemm_kernel_name();
  return d;
}

double fma_peak(int threads, double seconds) {
  if (threads < 1) throw py::value_error("fma_peak: threads must be >= 1");
  py::gil_scoped_release release;
  return pk::measure_fma_peak_gflops(threads, seconds);
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "pykernels native CPU kernels (see csrc/include/pykernels.h for the C ABI)";
  m.def("sgemm", &sgemm, py::arg("a"), py::arg("b"), py::arg("c"), py::arg("bias") = py::none(),
        py::arg("bias_mode") = PK_BIAS_NONE, py::arg("activation") = PK_ACT_NONE, py::arg("accumulate") = false,
        "c = act(a @ b [+ c] [+ bias]) in float32; a, b any strides, c unit column stride");
  m.def("activation_inplace", &activation_inplace, py::arg("x"), py::arg("activation"));
  m.def("softmax_rows", &softmax_rows, py::arg("x"), py::arg("y"), "softmax over the last axis");
  m.def("get_num_threads", &pk_get_num_threads);
  m.def("set_num_threads", [](int n) { raise_on_error(pk_set_num_threads(n)); }, py::arg("n"));
  m.def("cpu_info", &cpu_info);
  m.def("fma_peak_gflops", &fma_peak, py::arg("threads") = 1, py::arg("seconds") = 0.2);
}
