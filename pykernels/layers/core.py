"""Layers without weights: Flatten (a reshape) and Activation (``pykernels.ops.activation``)."""
from __future__ import annotations

import math

import numpy as np

from pykernels import ops, validation
from pykernels.layers.base import InputSpec, Layer


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...); the result may be a view of the input."""

    input_spec = InputSpec(min_ndim=1)

    def call(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))


class Activation(Layer):
    """``activation(x)`` elementwise (relu, sigmoid, tanh, gelu, linear) or softmax over the last axis."""

    def __init__(self, activation: str | None, name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.activation = validation.activation_name(activation, str(self))

    def call(self, x: np.ndarray) -> np.ndarray:
        return ops.activation(x, self.activation, backend=self.backend)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": self.activation}
