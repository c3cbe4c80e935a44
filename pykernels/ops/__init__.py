"""Public ops: validate inputs, pick a backend from the registry, run its kernel.

Every op takes ``backend="auto"`` (the fastest available) or a backend's name, and
``out=`` for a preallocated result.
"""
from pykernels.ops.activations import activation, gelu, relu, sigmoid, softmax, tanh
from pykernels.ops.gemm import linear, matmul
from pykernels.ops.spmm import spmm

__all__ = ["activation", "gelu", "linear", "matmul", "relu", "sigmoid", "softmax", "spmm", "tanh"]
