// Bindings of the LSTM layer (pk_lstm_layer_f32) and the embedding gather (pk_embedding_f32).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bindings/array_views.h"
#include "bindings/binder.h"
#include "include/pykernels.h"

namespace py = pybind11;
using pk::bindings::contiguous_data;
using pk::bindings::raise_on_error;

namespace {

// A (steps, batch, features) float32 array with unit stride along features.
struct SequenceView {
  float* data;
  int64_t steps, batch, features, ts, bs;  // strides in elements
};

SequenceView sequence_view(const py::array& arr, const char* name, bool writable) {
  if (arr.ndim() != 3) throw py::value_error(std::string(name) + ": expected a 3-D array");
  if (!py::isinstance<py::array_t<float>>(arr)) throw py::type_error(std::string(name) + ": expected float32");
  if (writable && !arr.writeable()) throw py::value_error(std::string(name) + ": array is read-only");
  for (int d = 0; d < 3; ++d) {
    if (arr.strides(d) % 4 != 0) throw py::value_error(std::string(name) + ": byte strides must be multiples of 4");
  }
  if (arr.size() > 0 && arr.shape(2) > 1 && arr.strides(2) != 4)
    throw py::value_error(std::string(name) + ": the last axis must have unit stride");
  return SequenceView{static_cast<float*>(const_cast<void*>(arr.data())), arr.shape(0), arr.shape(1), arr.shape(2),
                      arr.strides(0) / 4, arr.strides(1) / 4};
}

const float* optional_data(const py::object& obj, const char* name) {
  return obj.is_none() ? nullptr : contiguous_data(obj.cast<py::array>(), name, false);
}

void lstm_layer(const py::array& x, const py::array& w_ih, const py::array& w_hh, const py::array& bias,
                const py::object& w_hr, const py::object& h0, const py::object& c0, const py::object& lengths,
                bool reverse, const py::array& y, const py::array& h_n, const py::array& c_n) {
  const SequenceView xv = sequence_view(x, "x", false);
  const SequenceView yv = sequence_view(y, "y", true);
  const int64_t hidden = w_hh.ndim() == 2 ? w_hh.shape(0) / 4 : 0;
  if (!w_hr.is_none() && w_hr.cast<py::array>().ndim() != 2) throw py::value_error("lstm_layer: w_hr must be 2-D");
  const int64_t proj = w_hr.is_none() ? 0 : w_hr.cast<py::array>().shape(0);
  const int64_t state = proj ? proj : hidden;
  if (w_ih.ndim() != 2 || w_hh.ndim() != 2 || w_ih.shape(0) != 4 * hidden || w_ih.shape(1) != xv.features ||
      w_hh.shape(1) != state || bias.size() != 4 * hidden || yv.steps != xv.steps || yv.batch != xv.batch ||
      yv.features != state || h_n.size() != xv.batch * state || c_n.size() != xv.batch * hidden)
    throw py::value_error("lstm_layer: inconsistent shapes");
  if ((!h0.is_none() && h0.cast<py::array>().size() != xv.batch * state) ||
      (!c0.is_none() && c0.cast<py::array>().size() != xv.batch * hidden))
    throw py::value_error("lstm_layer: h0 / c0 have the wrong size");
  if (proj && w_hr.cast<py::array>().size() != proj * hidden) throw py::value_error("lstm_layer: w_hr has the wrong size");
  const int64_t* lengths_ptr = nullptr;
  if (!lengths.is_none()) {
    const auto arr = lengths.cast<py::array_t<int64_t, py::array::c_style>>();
    if (arr.size() != xv.batch) throw py::value_error("lstm_layer: lengths must have one value per batch row");
    lengths_ptr = arr.data();
  }
  const float* w_ih_p = contiguous_data(w_ih, "w_ih", false);
  const float* w_hh_p = contiguous_data(w_hh, "w_hh", false);
  const float* bias_p = contiguous_data(bias, "bias", false);
  const float* w_hr_p = optional_data(w_hr, "w_hr");
  const float* h0_p = optional_data(h0, "h0");
  const float* c0_p = optional_data(c0, "c0");
  float* h_n_p = contiguous_data(h_n, "h_n", true);
  float* c_n_p = contiguous_data(c_n, "c_n", true);
  int code;
  {
    py::gil_scoped_release release;
    code = pk_lstm_layer_f32(xv.steps, xv.batch, xv.features, hidden, proj, xv.data, xv.ts, xv.bs, w_ih_p, w_hh_p,
                             bias_p, w_hr_p, h0_p, c0_p, lengths_ptr, reverse ? 1 : 0, yv.data, yv.ts, yv.bs, h_n_p,
                             c_n_p);
  }
  raise_on_error(code);
}

void embedding(const py::array_t<int64_t, py::array::c_style>& ids, const py::array& table, const py::array& out) {
  if (table.ndim() != 2) throw py::value_error("embedding: table must be 2-D");
  const float* table_p = contiguous_data(table, "table", false);
  float* out_p = contiguous_data(out, "out", true);
  if (out.size() != ids.size() * table.shape(1)) throw py::value_error("embedding: out has the wrong size");
  int code;
  {
    py::gil_scoped_release release;
    code = pk_embedding_f32(ids.data(), ids.size(), table_p, table.shape(0), table.shape(1), out_p);
  }
  raise_on_error(code);
}

}  // namespace

PK_BIND_FAMILY(lstm) {
  m.def("lstm_layer", &lstm_layer, py::arg("x"), py::arg("w_ih"), py::arg("w_hh"), py::arg("bias"), py::arg("w_hr"),
        py::arg("h0"), py::arg("c0"), py::arg("lengths"), py::arg("reverse"), py::arg("y"), py::arg("h_n"),
        py::arg("c_n"), "one LSTM layer and direction over a (steps, batch, features) view; see pykernels.h");
  m.def("embedding", &embedding, py::arg("ids"), py::arg("table"), py::arg("out"), "out = table[ids]");
}
