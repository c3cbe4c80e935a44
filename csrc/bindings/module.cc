// pykernels._C: the pybind11 module. Each family binds its functions in bind_<family>.cc
// (see binder.h): a binding turns arrays into views, releases the GIL and calls the C
// ABI, which checks its arguments before running the kernel.
#include <pybind11/pybind11.h>

#include "bindings/binder.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "pykernels native CPU kernels (see csrc/include/pykernels.h for the C ABI)";
  pk::bindings::bind_all(m);
}
