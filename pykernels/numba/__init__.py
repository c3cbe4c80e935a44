"""Backend "numba": kernels written in Python, compiled by Numba (``cache=True``).

Compilation happens on first call, never at ``import pykernels``.
"""
import importlib.util

PRIORITY = 20

IMPLEMENTATIONS = {
    "gemm": "pykernels.numba.gemm:gemm",
    "activation": "pykernels.numba.activations:activation",
    "softmax": "pykernels.numba.activations:softmax",
    "lstm_layer": "pykernels.numba.lstm:lstm_layer",
    "embedding": "pykernels.numba.embedding:embedding",
    "sdpa": "pykernels.numba.attention:sdpa",
    "layer_norm": "pykernels.numba.attention:layer_norm",
}


def probe():
    if importlib.util.find_spec("numba") is None:
        return "numba is not installed (pip install numba)"
    return None
