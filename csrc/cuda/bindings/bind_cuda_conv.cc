// Binding of the CUDA implicit-GEMM conv2d (csrc/cuda/conv/conv2d.h); pykernels/cuda/conv.py
// checked the geometry, dtypes and layouts.
#include <pybind11/pybind11.h>

#include "bindings/binder.h"
#include "cuda/bindings/device_guard.h"
#include "cuda/conv/conv2d.h"

namespace py = pybind11;
using namespace pk::cuda;

namespace {

void conv2d(int device, uintptr_t stream, int dtype, py::tuple input, py::tuple output, py::tuple kernel,
            py::tuple stride, py::tuple padding, py::tuple dilation, int groups, uintptr_t x, uintptr_t w,
            py::tuple w_strides, uintptr_t out, uintptr_t bias, int activation) {
  auto i64 = [](const py::tuple& t, int i) { return t[i].cast<int64_t>(); };
  auto i32 = [](const py::tuple& t, int i) { return t[i].cast<int>(); };
  ConvShape s{i64(input, 0), i64(input, 1), i64(input, 2), i64(input, 3), i64(output, 0), i64(output, 1),
              i64(output, 2), i32(kernel, 0), i32(kernel, 1), i32(stride, 0), i32(stride, 1), i32(padding, 0),
              i32(padding, 1), i32(dilation, 0), i32(dilation, 1), groups, 0, 0};
  s.cg = s.c / groups;
  s.og = s.oc / groups;
  const ConvArgs args{s, as_ptr<const void>(x), as_ptr<const void>(w), i64(w_strides, 0), i64(w_strides, 1),
                      i64(w_strides, 2), i64(w_strides, 3), as_ptr(out), as_ptr<const void>(bias), activation};
  DeviceGuard guard(device);
  py::gil_scoped_release release;
  switch (static_cast<DType>(dtype)) {
    case DType::f32: return conv2d_f32_simt(args, as_stream(stream));
    case DType::f16: return conv2d_f16_wmma(args, as_stream(stream));
    case DType::bf16: return conv2d_bf16_wmma(args, as_stream(stream));
    default: throw py::type_error("cuda conv2d: unsupported dtype code " + std::to_string(dtype));
  }
}

}  // namespace

PK_BIND_FAMILY(cuda_conv) {
  m.def("conv2d", &conv2d, py::arg("device"), py::arg("stream"), py::arg("dtype"), py::arg("input"),
        py::arg("output"), py::arg("kernel"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
        py::arg("groups"), py::arg("x"), py::arg("w"), py::arg("w_strides"), py::arg("out"), py::arg("bias"),
        py::arg("activation"),
        "NHWC conv2d as an implicit GEMM: input (N, H, W, C), output (OH, OW, OC), padding (top, left); "
        "queued on `stream`");
}
