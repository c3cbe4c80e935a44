// Bindings of the CUDA SpMM kernels (csrc/cuda/sparse/spmm.h); pykernels/cuda/sparse.py
// validated the CSR / BSR structure's shapes and dtypes.
#include <pybind11/pybind11.h>

#include "bindings/binder.h"
#include "cuda/bindings/device_guard.h"
#include "cuda/sparse/spmm.h"

namespace py = pybind11;
using namespace pk::cuda;

namespace {

void spmm_csr(int device, uintptr_t stream, int64_t m, int64_t n, uintptr_t indptr, uintptr_t indices,
              uintptr_t data, uintptr_t b, int64_t b_rs, int64_t b_cs, uintptr_t out, int64_t out_rs, uintptr_t bias,
              int bias_mode, int activation) {
  const SpmmArgs args{m, n, 1, 1, as_ptr<const int32_t>(indptr), as_ptr<const int32_t>(indices),
                      as_ptr<const float>(data), as_ptr<const float>(b), b_rs, b_cs, as_ptr<float>(out), out_rs,
                      as_ptr<const float>(bias), bias_mode, activation};
  DeviceGuard guard(device);
  py::gil_scoped_release release;
  spmm_f32_csr(args, as_stream(stream));
}

void spmm_bsr(int device, uintptr_t stream, int64_t m, int64_t n, int r, int c, uintptr_t indptr, uintptr_t indices,
              uintptr_t data, uintptr_t b, int64_t b_rs, int64_t b_cs, uintptr_t out, int64_t out_rs, uintptr_t bias,
              int bias_mode, int activation) {
  const SpmmArgs args{m, n, r, c, as_ptr<const int32_t>(indptr), as_ptr<const int32_t>(indices),
                      as_ptr<const float>(data), as_ptr<const float>(b), b_rs, b_cs, as_ptr<float>(out), out_rs,
                      as_ptr<const float>(bias), bias_mode, activation};
  DeviceGuard guard(device);
  py::gil_scoped_release release;
  spmm_f32_bsr(args, as_stream(stream));
}

}  // namespace

PK_BIND_FAMILY(cuda_sparse) {
  m.def("spmm_csr", &spmm_csr, py::arg("device"), py::arg("stream"), py::arg("m"), py::arg("n"), py::arg("indptr"),
        py::arg("indices"), py::arg("data"), py::arg("b"), py::arg("b_rs"), py::arg("b_cs"), py::arg("out"),
        py::arg("out_rs"), py::arg("bias"), py::arg("bias_mode"), py::arg("activation"),
        "out = act(A_csr @ b [+ bias]), float32, on device memory, queued on `stream`");
  m.def("spmm_bsr", &spmm_bsr, py::arg("device"), py::arg("stream"), py::arg("m"), py::arg("n"), py::arg("r"),
        py::arg("c"), py::arg("indptr"), py::arg("indices"), py::arg("data"), py::arg("b"), py::arg("b_rs"),
        py::arg("b_cs"), py::arg("out"), py::arg("out_rs"), py::arg("bias"), py::arg("bias_mode"),
        py::arg("activation"), "out = act(A_bsr @ b [+ bias]), float32, r x c blocks, queued on `stream`");
}
