"""Public ops: validate inputs, pick a backend from the registry, run its kernel.

Every op takes ``backend="auto"`` (the fastest available) or a backend's name, and
``out=`` for a preallocated result.
"""
from pykernels.ops.activations import activation, gelu, relu, sigmoid, softmax, tanh
from pykernels.ops.attention import layer_norm, sdpa
from pykernels.ops.conv import (avg_pool2d, conv2d, global_avg_pool2d, max_pool2d, oihw_from_hwio,
                                oihw_from_keras_depthwise)
from pykernels.ops.conv_sparse import conv2d_sparse, sparse_from_hwio
from pykernels.ops.embedding import embedding
from pykernels.ops.gemm import linear, matmul
from pykernels.ops.int8 import dequantize, linear_int8, matmul_int8, pack_int8, quantize, requantize
from pykernels.ops.int8_conv import conv2d_int8
from pykernels.ops.int8_lstm import lstm_int8
from pykernels.ops.lstm import lstm, lstm_cell, lstm_weights_from_keras, lstm_weights_from_onnx
from pykernels.ops.spmm import spmm

__all__ = ["activation", "avg_pool2d", "conv2d", "conv2d_int8", "conv2d_sparse", "dequantize", "embedding", "gelu",
           "global_avg_pool2d", "layer_norm", "linear", "linear_int8", "lstm", "lstm_cell", "lstm_int8",
           "lstm_weights_from_keras", "lstm_weights_from_onnx", "matmul", "matmul_int8", "max_pool2d",
           "oihw_from_hwio", "oihw_from_keras_depthwise", "pack_int8", "quantize", "relu", "requantize", "sdpa",
           "sigmoid", "softmax", "sparse_from_hwio", "spmm", "tanh"]
