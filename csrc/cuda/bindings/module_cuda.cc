// pykernels._C_cuda: the CUDA kernels. Each family binds its entry points in
// bind_cuda_<family>.cc (PK_BIND_FAMILY, csrc/bindings/binder.h). Bindings take device
// addresses, element strides and a stream as integers (pykernels/cuda/arrays.py reads
// them from __cuda_array_interface__ / DLPack), switch to the operands' device, release
// the GIL and launch; kernels are asynchronous on the given stream.
#include <pybind11/pybind11.h>

#include "bindings/binder.h"

PYBIND11_MODULE(_C_cuda, m) {
  m.doc() = "pykernels CUDA kernels on device arrays (see pykernels/cuda)";
  pk::bindings::bind_all(m);
}
