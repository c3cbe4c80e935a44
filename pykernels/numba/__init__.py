"""Backend "numba": kernels written in Python, compiled by Numba (``cache=True``).

Compilation happens on first call, never at ``import pykernels``.
"""
import importlib.util

PRIORITY = 20

IMPLEMENTATIONS = {
    "gemm": "pykernels.numba.gemm:gemm",
    "activation": "pykernels.numba.activations:activation",
    "softmax": "pykernels.numba.activations:softmax",
    "spmm": "pykernels.numba.spmm:spmm",
}


def probe():
    if importlib.util.find_spec("numba") is None:
        return "numba is not installed (pip install numba)"
    return None
