// Binding of the CUDA LSTM recurrence (csrc/cuda/lstm/lstm.h); pykernels/cuda/lstm.py runs
// the input projection on the GEMM and checked every shape.
#include <pybind11/pybind11.h>

#include "bindings/binder.h"
#include "cuda/bindings/device_guard.h"
#include "cuda/lstm/lstm.h"

namespace py = pybind11;
using namespace pk::cuda;

namespace {

void lstm_recurrence(int device, uintptr_t stream, int64_t steps, int64_t batch, int64_t hidden, int64_t state,
                     uintptr_t gates, int64_t g_ts, int64_t g_bs, uintptr_t w_hh, uintptr_t w_hr, uintptr_t h0,
                     uintptr_t c0, uintptr_t lengths, bool reverse, uintptr_t y, int64_t y_ts, int64_t y_bs,
                     uintptr_t h_n, uintptr_t c_n, uintptr_t work) {
  const LstmArgs args{steps, batch, hidden, state, as_ptr<float>(gates), g_ts, g_bs, as_ptr<const float>(w_hh),
                      as_ptr<const float>(w_hr), as_ptr<const float>(h0), as_ptr<const float>(c0),
                      as_ptr<const int64_t>(lengths), reverse, as_ptr<float>(y), y_ts, y_bs, as_ptr<float>(h_n),
                      as_ptr<float>(c_n), as_ptr<float>(work)};
  DeviceGuard guard(device);
  py::gil_scoped_release release;
  lstm_recurrence_f32(args, as_stream(stream));
}

}  // namespace

PK_BIND_FAMILY(cuda_lstm) {
  m.def("lstm_recurrence", &lstm_recurrence, py::arg("device"), py::arg("stream"), py::arg("steps"),
        py::arg("batch"), py::arg("hidden"), py::arg("state"), py::arg("gates"), py::arg("g_ts"), py::arg("g_bs"),
        py::arg("w_hh"), py::arg("w_hr"), py::arg("h0"), py::arg("c0"), py::arg("lengths"), py::arg("reverse"),
        py::arg("y"), py::arg("y_ts"), py::arg("y_bs"), py::arg("h_n"), py::arg("c_n"), py::arg("work"),
        "the LSTM recurrence after the input projection (gates consumed), float32, queued on `stream`");
  m.def("lstm_workspace_floats", &lstm_workspace_floats, py::arg("batch"), py::arg("hidden"), py::arg("state"));
}
