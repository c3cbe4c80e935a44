// Runtime bindings of pykernels._C_cuda: what the probe asks (is there a driver and a
// GPU), device properties, and ordering one stream after another (the consumer side of
// __cuda_array_interface__ v3's stream contract).
#include <cuda_runtime.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bindings/binder.h"
#include "cuda/bindings/device_guard.h"

namespace py = pybind11;
using namespace pk::cuda;

namespace {

// (number of devices, "" ) or (0, why not): never raises, the probe reports the reason.
py::tuple runtime_status() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error state of the runtime
    return py::make_tuple(0, std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status));
  }
  return py::make_tuple(count, count ? "" : "the CUDA driver reports no device");
}

py::dict device_properties(int device) {
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  py::dict d;
  d["name"] = std::string(prop.name);
  d["capability"] = py::make_tuple(prop.major, prop.minor);
  d["multiprocessors"] = prop.multiProcessorCount;
  d["l2_bytes"] = prop.l2CacheSize;
  d["shared_bytes_per_block_optin"] = prop.sharedMemPerBlockOptin;
  d["memory_bytes"] = prop.totalGlobalMem;
  return d;
}

// Work queued on `consumer` from now on starts after the work queued on `producer` so far.
void stream_wait(int device, uintptr_t consumer, uintptr_t producer) {
  DeviceGuard guard(device);
  cudaEvent_t event;
  check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreate");
  const cudaError_t recorded = cudaEventRecord(event, as_stream(producer));
  const cudaError_t waited = recorded == cudaSuccess ? cudaStreamWaitEvent(as_stream(consumer), event, 0) : recorded;
  cudaEventDestroy(event);  // released once the wait completes
  check(waited, "ordering the consumer stream after the producer's");
}

void synchronize(int device) {
  DeviceGuard guard(device);
  py::gil_scoped_release release;
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

}  // namespace

PK_BIND_FAMILY(cuda_runtime) {
  m.def("runtime_status", &runtime_status, "(device count, reason when there is none)");
  m.def("device_properties", &device_properties, py::arg("device"));
  m.def("stream_wait", &stream_wait, py::arg("device"), py::arg("consumer"), py::arg("producer"));
  m.def("synchronize", &synchronize, py::arg("device"));
}
