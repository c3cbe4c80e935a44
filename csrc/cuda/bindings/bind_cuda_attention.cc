// Binding of the CUDA flash SDPA (csrc/cuda/attention/sdpa.h); pykernels/cuda/attention.py
// checked shapes, dtypes and strides.
#include <pybind11/pybind11.h>

#include "bindings/binder.h"
#include "cuda/attention/sdpa.h"
#include "cuda/bindings/device_guard.h"

namespace py = pybind11;
using namespace pk::cuda;

namespace {

void sdpa(int device, uintptr_t stream, int dtype, int64_t batch, int64_t heads, int64_t kv_heads, int64_t nq,
          int64_t nk, int64_t d, int64_t dv, uintptr_t q, py::tuple q_strides, uintptr_t k, py::tuple k_strides,
          uintptr_t v, py::tuple v_strides, uintptr_t out, uintptr_t mask, int mask_kind, py::tuple mask_strides,
          bool causal, float scale) {
  auto s = [](const py::tuple& t, int i) { return t[i].cast<int64_t>(); };
  const SdpaArgs args{batch, heads, kv_heads, nq, nk, d, dv,
                      as_ptr<const void>(q), s(q_strides, 0), s(q_strides, 1), s(q_strides, 2),
                      as_ptr<const void>(k), s(k_strides, 0), s(k_strides, 1), s(k_strides, 2),
                      as_ptr<const void>(v), s(v_strides, 0), s(v_strides, 1), s(v_strides, 2),
                      as_ptr(out), as_ptr<const void>(mask), mask_kind,
                      s(mask_strides, 0), s(mask_strides, 1), s(mask_strides, 2), s(mask_strides, 3), causal, scale};
  DeviceGuard guard(device);
  py::gil_scoped_release release;
  switch (static_cast<DType>(dtype)) {
    case DType::f16: return sdpa_f16_mma(args, as_stream(stream));
    case DType::bf16: return sdpa_bf16_mma(args, as_stream(stream));
    default: throw py::type_error("cuda sdpa: unsupported dtype code " + std::to_string(dtype));
  }
}

}  // namespace

PK_BIND_FAMILY(cuda_attention) {
  m.def("sdpa", &sdpa, py::arg("device"), py::arg("stream"), py::arg("dtype"), py::arg("batch"), py::arg("heads"),
        py::arg("kv_heads"), py::arg("nq"), py::arg("nk"), py::arg("d"), py::arg("dv"), py::arg("q"),
        py::arg("q_strides"), py::arg("k"), py::arg("k_strides"), py::arg("v"), py::arg("v_strides"), py::arg("out"),
        py::arg("mask"), py::arg("mask_kind"), py::arg("mask_strides"), py::arg("causal"), py::arg("scale"),
        "out = softmax(scale q k^T + mask) v (flash, f16 / bf16), queued on `stream`; strides (batch, head, row)");
  m.attr("SDPA_MAX_HEAD_DIM") = kSdpaMaxHeadDim;
}
