// Bindings of the runtime: threads, CPU features, the measured FMA peak.
#include <pybind11/pybind11.h>

#include "bindings/array_views.h"
#include "bindings/binder.h"
#include "common/cpu_features.h"
#include "cpu/gemm/sgemm.h"
#include "cpu/peak/fma_peak.h"
#include "include/pykernels.h"

namespace py = pybind11;
using pk::bindings::raise_on_error;

namespace {

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

PK_BIND_FAMILY(runtime) {
  m.def("get_num_threads", &pk_get_num_threads);
  m.def("set_num_threads", [](int n) { raise_on_error(pk_set_num_threads(n)); }, py::arg("n"));
  m.def("cpu_info", &cpu_info);
  m.def("fma_peak_gflops", &fma_peak, py::arg("threads") = 1, py::arg("seconds") = 0.2);
}
