"""Is there a CUDA driver and a GPU? Asked of libcuda directly (ctypes), so that the
probes of the GPU backends cost microseconds and import neither Numba nor _C_cuda."""
from __future__ import annotations

import ctypes
from functools import lru_cache


@lru_cache(maxsize=1)
def gpu_status() -> tuple[int, str]:
    """(number of GPUs, "") or (0, why there is none)."""
    try:
        libcuda = ctypes.CDLL("libcuda.so.1")
    except OSError as e:
        return 0, f"no CUDA driver: libcuda.so.1 cannot be loaded ({e})"
    status = libcuda.cuInit(0)
    if status != 0:
        return 0, f"the CUDA driver failed to initialise (cuInit error {status}: no GPU, or a driver/device mismatch)"
    count = ctypes.c_int(0)
    status = libcuda.cuDeviceGetCount(ctypes.byref(count))
    if status != 0 or count.value == 0:
        return 0, f"the CUDA driver reports no GPU (cuDeviceGetCount: error {status}, count {count.value})"
    return count.value, ""
