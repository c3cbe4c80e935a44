// Bindings of convolution and pooling (pk_conv2d_f32_nhwc, pk_*_pool2d_f32_nhwc).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <string>

#include "bindings/array_views.h"
#include "bindings/binder.h"
#include "include/pykernels.h"

namespace py = pybind11;
using pk::bindings::contiguous_data;
using pk::bindings::raise_on_error;

namespace {

using Pair = std::array<int64_t, 2>;
using Quad = std::array<int64_t, 4>;

void require_4d(const py::array& a, const char* name) {
  if (a.ndim() != 4) throw py::value_error(std::string(name) + ": expected a 4-D array, got " + std::to_string(a.ndim()) + "-D");
}

void conv2d(const py::array& x, const py::array& w, const py::array& y, const py::object& bias, Pair stride,
            Quad padding, Pair dilation, int64_t groups, int activation) {
  require_4d(x, "x"), require_4d(w, "w"), require_4d(y, "y");
  const float* xp = contiguous_data(x, "x", false);
  float* yp = contiguous_data(y, "y", true);
  if (w.dtype().kind() != 'f' || w.itemsize() != 4)
    throw py::type_error("w: expected float32, got " + std::string(py::str(w.dtype())));
  int64_t w_strides[4];
  for (int d = 0; d < 4; ++d) {
    if (w.strides(d) % 4 != 0) throw py::value_error("w: misaligned float32 data (byte strides must be multiples of 4)");
    w_strides[d] = w.strides(d) / 4;
  }
  pk_conv2d_desc desc{x.shape(0), x.shape(1), x.shape(2), x.shape(3), w.shape(0), w.shape(2), w.shape(3),
                      stride[0], stride[1], dilation[0], dilation[1], padding[0], padding[1], padding[2], padding[3],
                      groups};
  if (w.shape(1) * groups != x.shape(3))
    throw py::value_error("conv2d: w expects " + std::to_string(w.shape(1)) + " x groups " + std::to_string(groups) +
                          " input channels, x has " + std::to_string(x.shape(3)));
  const float* bias_ptr = nullptr;
  if (!bias.is_none()) {
    const auto b = bias.cast<py::array>();
    if (b.ndim() != 1 || b.shape(0) != w.shape(0))
      throw py::value_error("conv2d: bias must have shape (" + std::to_string(w.shape(0)) + ",)");
    bias_ptr = contiguous_data(b, "bias", false);
  }
  const auto out_size = [](int64_t in, int64_t before, int64_t after, int64_t k, int64_t s, int64_t d) {
    const int64_t span = in + before + after - d * (k - 1) - 1;
    return span >= 0 && s > 0 ? span / s + 1 : -1;
  };
  const int64_t oh = out_size(desc.in_h, desc.pad_top, desc.pad_bottom, desc.kernel_h, desc.stride_h, desc.dilation_h);
  const int64_t ow = out_size(desc.in_w, desc.pad_left, desc.pad_right, desc.kernel_w, desc.stride_w, desc.dilation_w);
  if (oh >= 0 && ow >= 0 && (y.shape(0) != desc.batch || y.shape(1) != oh || y.shape(2) != ow || y.shape(3) != desc.out_c))
    throw py::value_error("conv2d: y must have shape (" + std::to_string(desc.batch) + ", " + std::to_string(oh) + ", " +
                          std::to_string(ow) + ", " + std::to_string(desc.out_c) + ")");
  int code;
  {
    py::gil_scoped_release release;
    code = pk_conv2d_f32_nhwc(&desc, xp, static_cast<const float*>(w.data()), w_strides, bias_ptr, activation, yp);
  }
  raise_on_error(code);
}

pk_pool2d_desc pool_desc(const py::array& x, const py::array& y, Pair kernel, Pair stride, Quad padding) {
  require_4d(x, "x"), require_4d(y, "y");
  if (y.shape(0) != x.shape(0) || y.shape(3) != x.shape(3))
    throw py::value_error("pool2d: y must have x's batch and channels");
  return pk_pool2d_desc{x.shape(0), x.shape(1), x.shape(2), x.shape(3), kernel[0], kernel[1], stride[0], stride[1],
                        padding[0], padding[1], padding[2], padding[3], y.shape(1), y.shape(2)};
}

void max_pool2d(const py::array& x, const py::array& y, Pair kernel, Pair stride, Quad padding) {
  const pk_pool2d_desc desc = pool_desc(x, y, kernel, stride, padding);
  const float* xp = contiguous_data(x, "x", false);
  float* yp = contiguous_data(y, "y", true);
  int code;
  {
    py::gil_scoped_release release;
    code = pk_max_pool2d_f32_nhwc(&desc, xp, yp);
  }
  raise_on_error(code);
}

void avg_pool2d(const py::array& x, const py::array& y, Pair kernel, Pair stride, Quad padding,
                bool count_include_pad) {
  const pk_pool2d_desc desc = pool_desc(x, y, kernel, stride, padding);
  const float* xp = contiguous_data(x, "x", false);
  float* yp = contiguous_data(y, "y", true);
  int code;
  {
    py::gil_scoped_release release;
    code = pk_avg_pool2d_f32_nhwc(&desc, xp, yp, count_include_pad ? 1 : 0);
  }
  raise_on_error(code);
}

void global_avg_pool2d(const py::array& x, const py::array& y) {
  require_4d(x, "x");
  const float* xp = contiguous_data(x, "x", false);
  float* yp = contiguous_data(y, "y", true);
  const int64_t batch = x.shape(0), pixels = x.shape(1) * x.shape(2), channels = x.shape(3);
  if (y.size() != batch * channels) throw py::value_error("global_avg_pool2d: y must hold batch x channels values");
  int code;
  {
    py::gil_scoped_release release;
    code = pk_global_avg_pool2d_f32_nhwc(xp, yp, batch, pixels, channels);
  }
  raise_on_error(code);
}

}  // namespace

PK_BIND_FAMILY(conv) {
  m.def("conv2d_f32_nhwc", &conv2d, py::arg("x"), py::arg("w"), py::arg("y"), py::arg("bias"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("activation"),
        "y = act(conv2d(x, w) + bias): x, y NHWC contiguous, w OIHW any strides, padding (top, bottom, left, right)");
  m.def("max_pool2d_f32_nhwc", &max_pool2d, py::arg("x"), py::arg("y"), py::arg("kernel"), py::arg("stride"),
        py::arg("padding"));
  m.def("avg_pool2d_f32_nhwc", &avg_pool2d, py::arg("x"), py::arg("y"), py::arg("kernel"), py::arg("stride"),
        py::arg("padding"), py::arg("count_include_pad"));
  m.def("global_avg_pool2d_f32_nhwc", &global_avg_pool2d, py::arg("x"), py::arg("y"));
}
