"""Public ops: validate inputs, pick a backend from the registry, run its kernel.

Every op takes ``backend="auto"`` (the fastest available) or a backend's name, and
``out=`` for a preallocated result.
"""
from pykernels.ops.activations import activation, gelu, relu, sigmoid, softmax, tanh
from pykernels.ops.conv import (avg_pool2d, conv2d, global_avg_pool2d, max_pool2d, oihw_from_hwio,
                                oihw_from_keras_depthwise)
from pykernels.ops.gemm import linear, matmul

__all__ = ["activation", "gelu", "linear", "matmul", "relu", "sigmoid", "softmax", "tanh"]
__all__ += ["avg_pool2d", "conv2d", "global_avg_pool2d", "max_pool2d", "oihw_from_hwio", "oihw_from_keras_depthwise"]
