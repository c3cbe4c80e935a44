"""Public ops: validate inputs, pick a backend from the registry, run its kernel.

Every op takes ``backend="auto"`` (the fastest available) or a backend's name, and
``out=`` for a preallocated result.
"""
from pykernels.ops.activations import activation, gelu, relu, sigmoid, softmax, tanh
from pykernels.ops.attention import layer_norm, sdpa
from pykernels.ops.gemm import linear, matmul

__all__ = ["activation", "gelu", "layer_norm", "linear", "matmul", "relu", "sdpa", "sigmoid", "softmax", "tanh"]
