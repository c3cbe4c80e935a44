"""pykernels: fast kernels for neural-network inference on CPUs.

Hand-written C++ (AVX2/FMA + OpenMP) and Numba kernels behind one registry, with
Keras-like layers on top::

    import numpy as np, pykernels as pk
    y = pk.ops.linear(x, w, b, activation="relu")          # fastest available backend
    y = pk.ops.linear(x, w, b, backend="numba")             # or a named one
    model = pk.layers.Sequential([pk.layers.Dense(64, activation="relu")])

Layers call ops; ops validate and pick a backend from the registry; backends compute.
``pykernels.profile(model, x).show()`` tells where a model's time goes, per layer;
``PYKERNELS_VERBOSE=1`` prints one line per kernel call.
"""
from pykernels import compress, formats, layers, ops
from pykernels.profiler.profiler import profile
from pykernels.profiler.trace import set_verbose
from pykernels.registry import backends
from pykernels.threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

__all__ = ["backends", "compress", "formats", "get_num_threads", "layers", "ops", "profile", "set_num_threads",
           "set_verbose"]
