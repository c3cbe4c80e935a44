// Bindings of the CUDA GEMMs (csrc/cuda/gemm/gemm.h). Shapes and strides were checked
// by pykernels/cuda; here the dtype picks the kernel.
#include <pybind11/pybind11.h>

#include "bindings/binder.h"
#include "cuda/bindings/device_guard.h"
#include "cuda/gemm/gemm.h"

namespace py = pybind11;
using namespace pk::cuda;

namespace {

void gemm(int device, uintptr_t stream, int dtype, int out_dtype, bool tf32, int64_t m, int64_t n, int64_t k,
          uintptr_t a, int64_t a_rs, int64_t a_cs, uintptr_t b, int64_t b_rs, int64_t b_cs, uintptr_t c,
          int64_t c_rs, uintptr_t bias, int bias_mode, uintptr_t row_scale, uintptr_t col_scale, int activation,
          bool accumulate) {
  const GemmArgs args{m, n, k, as_ptr(a), a_rs, a_cs, as_ptr(b), b_rs, b_cs, as_ptr(c), c_rs, as_ptr(bias),
                      bias_mode, as_ptr<const float>(row_scale), as_ptr<const float>(col_scale), activation,
                      accumulate};
  DeviceGuard guard(device);
  py::gil_scoped_release release;
  switch (static_cast<DType>(dtype)) {
    case DType::f32: return tf32 ? gemm_tf32_wmma(args, as_stream(stream)) : gemm_f32_simt(args, as_stream(stream));
    case DType::f16: return gemm_f16_wmma(args, as_stream(stream));
    case DType::bf16: return gemm_bf16_wmma(args, as_stream(stream));
    case DType::s8: return gemm_s8_wmma(args, static_cast<DType>(out_dtype), as_stream(stream));
    default: throw py::type_error("cuda gemm: unsupported dtype code " + std::to_string(dtype));
  }
}

}  // namespace

PK_BIND_FAMILY(cuda_gemm) {
  m.def("gemm", &gemm, py::arg("device"), py::arg("stream"), py::arg("dtype"), py::arg("out_dtype"), py::arg("tf32"),
        py::arg("m"), py::arg("n"), py::arg("k"), py::arg("a"), py::arg("a_rs"), py::arg("a_cs"), py::arg("b"),
        py::arg("b_rs"), py::arg("b_cs"), py::arg("c"), py::arg("c_rs"), py::arg("bias"), py::arg("bias_mode"),
        py::arg("row_scale"), py::arg("col_scale"), py::arg("activation"), py::arg("accumulate"),
        "c = act(a @ b [* scales] [+ c] [+ bias]) on device memory, queued on `stream`");
}
