"""Launch helpers shared by the numba-cuda kernels: operands as Numba sees them, streams."""
from __future__ import annotations

import numpy as np
from numba import cuda
from numba.core import config

from pykernels.cuda import arrays

_empty = {}


def stream(handle: int):
    """A Numba stream for a CAI / DLPack stream handle (the simulator has one kind only)."""
    if config.ENABLE_CUDASIM:
        return 0  # the simulator's launches take 0 for "the stream"
    if handle in (0, arrays.LEGACY_DEFAULT_STREAM):
        return cuda.default_stream()
    if handle == 2:
        return cuda.per_thread_default_stream()
    return cuda.external_stream(handle)


def operand(x, dtype=np.float32):
    """x as a kernel argument; None becomes an empty device array (one per dtype)."""
    if x is not None:
        return x
    key = np.dtype(dtype)
    if key not in _empty:
        _empty[key] = cuda.device_array(0, dtype=key)
    return _empty[key]
