"""Public ops: validate inputs, pick a backend from the registry, run its kernel.

Every op takes ``backend="auto"`` (the fastest available) or a backend's name, and
``out=`` for a preallocated result.
"""
from pykernels.ops.activations import activation, gelu, relu, sigmoid, softmax, tanh
from pykernels.ops.gemm import linear, matmul
from pykernels.ops.int8 import dequantize, linear_int8, matmul_int8, pack_int8, quantize, requantize

__all__ = ["activation", "gelu", "linear", "matmul", "relu", "sigmoid", "softmax", "tanh"]
__all__ += ["dequantize", "linear_int8", "matmul_int8", "pack_int8", "quantize", "requantize"]
