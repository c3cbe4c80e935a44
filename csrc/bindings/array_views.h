// Turning NumPy arrays into (pointer, element strides) for the C ABI, with the checks
// the kernels rely on. The Python validation module has already given users friendly
// messages; these are the last line of defence and raise ValueError / TypeError too.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

namespace pk::bindings {

namespace py = pybind11;

struct MatrixView {
  float* data;
  int64_t rows, cols, rs, cs;  // strides in elements
};

// A float32 2-D array whose byte strides are multiples of 4.
MatrixView matrix_view(const py::array& arr, const char* name, bool writable);

// A contiguous float32 array (any rank), as a flat span.
float* contiguous_data(const py::array& arr, const char* name, bool writable);

// Raises the Python exception matching a PK_* error code (PK_OK returns quietly).
void raise_on_error(int code);

}  // namespace pk::bindings
