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
    "conv2d": "pykernels.numba.conv:conv2d",
    "max_pool2d": "pykernels.numba.conv:max_pool2d",
    "avg_pool2d": "pykernels.numba.conv:avg_pool2d",
    "global_avg_pool2d": "pykernels.numba.conv:global_avg_pool2d",
    "quantize": "pykernels.numba.int8:quantize",
    "dequantize": "pykernels.numba.int8:dequantize",
    "requantize": "pykernels.numba.int8:requantize",
    "gemm_int8": "pykernels.numba.int8:gemm_int8",
    "conv2d_int8": "pykernels.numba.int8:conv2d_int8",
    "spmm": "pykernels.numba.spmm:spmm",
    "conv2d_sparse": "pykernels.numba.spmm:conv2d_sparse",
}


def probe():
    if importlib.util.find_spec("numba") is None:
        return "numba is not installed (pip install numba)"
    return None
