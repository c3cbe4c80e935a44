#include "bindings/array_views.h"

#include "include/pykernels.h"

namespace pk::bindings {
namespace {

void require_float32(const py::array& arr, const char* name) {
  if (arr.dtype().kind() != 'f' || arr.itemsize() != 4)
    throw py::type_error(std::string(name) + ": expected float32, got " + std::string(py::str(arr.dtype())));
}

void require_writable(const py::array& arr, const char* name) {
  if (!arr.writeable()) throw py::value_error(std::string(name) + ": array is read-only");
}

}  // namespace

MatrixView matrix_view(const py::array& arr, const char* name, bool writable) {
  require_float32(arr, name);
  if (arr.ndim() != 2)
    throw py::value_error(std::string(name) + ": expected a 2-D array, got " + std::to_string(arr.ndim()) + "-D");
  if (writable) require_writable(arr, name);
  for (int d = 0; d < 2; ++d) {
    if (arr.strides(d) % 4 != 0 || reinterpret_cast<uintptr_t>(arr.data()) % 4 != 0)
      throw py::value_error(std::string(name) + ": misaligned float32 data (byte strides must be multiples of 4)");
  }
  return MatrixView{static_cast<float*>(const_cast<void*>(arr.data())), arr.shape(0), arr.shape(1),
                    arr.strides(0) / 4, arr.strides(1) / 4};
}

float* contiguous_data(const py::array& arr, const char* name, bool writable) {
  require_float32(arr, name);
  if (writable) require_writable(arr, name);
  if (!(arr.flags() & py::array::c_style))
    throw py::value_error(std::string(name) + ": expected a C-contiguous array");
  if (reinterpret_cast<uintptr_t>(arr.data()) % alignof(float) != 0)
    throw py::value_error(std::string(name) + ": misaligned float32 data (the address must be a multiple of 4)");
  return static_cast<float*>(const_cast<void*>(arr.data()));
}

void raise_on_error(int code) {
  if (code == PK_OK) return;
  const std::string message = pk_last_error();
  if (code == PK_ERR_ARGUMENT) throw py::value_error(message);
  if (message == "out of memory") throw std::bad_alloc();
  throw std::runtime_error(message);
}

}  // namespace pk::bindings
