"""Dense: ``activation(x @ kernel + bias)`` through ``pykernels.ops.linear``.

The kernel is kept in Keras' layout (in_features, units); ``ops.linear`` takes PyTorch's
(out_features, in_features), which is ``kernel.T``: a transposed view that the GEMM
kernels read in place, so no copy is made.
"""
from __future__ import annotations

import numpy as np

from pykernels import ops, validation
from pykernels.layers import initializers
from pykernels.layers.base import InputSpec, Layer, format_shape


class Dense(Layer):
    """A fully connected layer on the last axis of its input (any rank >= 2)."""

    def __init__(self, units: int, activation: str | None = None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.units = validation.integer(units, str(self), "units", minimum=1)
        self.activation = validation.activation_name(activation, str(self))
        if not isinstance(use_bias, bool):
            raise TypeError(f"{self}: use_bias must be a bool, got {type(use_bias).__name__}")
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer, f"{self}: kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, f"{self}: bias_initializer")
        self.input_spec = InputSpec(min_ndim=2)
        self.kernel: np.ndarray | None = None
        self.bias: np.ndarray | None = None

    def build(self, input_shape: tuple) -> None:
        add_dense_weights(self, input_shape)
        super().build(input_shape)

    def call(self, x: np.ndarray) -> np.ndarray:
        return ops.linear(x, self.kernel.T, self.bias, self.activation, backend=self.backend)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


def add_dense_weights(layer: Layer, input_shape: tuple) -> None:
    """A Dense-style layer's ``kernel`` (in_features, units) and ``bias`` (with
    ``use_bias``), and its input spec; shared by Dense and SparseDense."""
    in_features = input_shape[-1]
    if in_features is None:
        raise ValueError(f"{layer}: the last dimension of the input must be known to build, "
                         f"got shape {format_shape(input_shape)}")
    layer.kernel = layer.add_weight("kernel", (in_features, layer.units), layer.kernel_initializer)
    if layer.use_bias:
        layer.bias = layer.add_weight("bias", (layer.units,), layer.bias_initializer)
    layer.input_spec = InputSpec(min_ndim=2, axes={-1: in_features})
