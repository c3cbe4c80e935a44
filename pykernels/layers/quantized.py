"""Quantized layers: int8 weights, activations quantized to uint8, int32 accumulation.

A quantized layer is made from a float one (``from_float``, or ``pykernels.compress.quantize``
for a whole model) and runs through ``pykernels.ops.linear_int8``: the input is quantized
to uint8 codes [0, qmax] -- per call from its own min/max (dynamic) or with parameters
calibrated once (static) -- multiplied by the prepacked int8 weights, and dequantized in
the GEMM epilogue together with the bias and activation. qmax is the weights'
``safe_a_max`` (>= 127), the range on which the AVX2 kernel cannot saturate.
"""
from __future__ import annotations

import numpy as np

from pykernels import ops, validation
from pykernels.formats import Int8Weights, choose_qparams
from pykernels.layers.base import InputSpec, Layer
from pykernels.layers.dense import Dense


class QuantizedDense(Layer):
    """``activation(x @ W.T + bias)`` with int8 weights W (units, in_features).

    ``input_range`` (lo, hi) makes the layer static: the input is quantized with
    parameters fixed from that range; None (default) quantizes each input on its own range.
    """

    def __init__(self, weights: Int8Weights, bias: np.ndarray | None = None, activation: str | None = None,
                 input_range: tuple[float, float] | None = None, name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        if not isinstance(weights, Int8Weights):
            raise TypeError(f"{self}: weights must be Int8Weights, got {type(weights).__name__}")
        self.weights_int8 = weights
        self.units = weights.out_features
        self.activation = validation.activation_name(activation, str(self))
        self.input_qmax = weights.safe_a_max
        self.input_scale = self.input_zero_point = None
        if input_range is not None:
            lo, hi = (float(v) for v in input_range)
            scale, zero_point = choose_qparams(lo, hi, np.uint8, qmin=0, qmax=self.input_qmax)
            self.input_scale, self.input_zero_point = float(scale), int(zero_point)
        if bias is not None:
            bias = validation.contiguous_float32(np.asarray(bias, np.float32), str(self), "bias", ndim=1)
            if bias.shape != (self.units,):
                raise ValueError(f"{self}: bias has shape {bias.shape}, expected ({self.units},)")
            self._weights["bias"] = bias
        self.bias = bias
        self.input_spec = InputSpec(min_ndim=2, axes={-1: weights.in_features})

    @classmethod
    def from_float(cls, layer: Dense, *, per_channel: bool = True,
                   input_range: tuple[float, float] | None = None) -> "QuantizedDense":
        """The quantized twin of a built Dense layer (symmetric int8 weights, per output channel by default)."""
        if not isinstance(layer, Dense):
            raise TypeError(f"QuantizedDense.from_float: expected a Dense layer, got {type(layer).__name__}")
        if not layer.built:
            raise ValueError(f"QuantizedDense.from_float: {layer} is not built; call it on data first")
        weights = Int8Weights.from_float(np.ascontiguousarray(layer.kernel.T), per_channel=per_channel)
        return cls(weights, layer.bias, layer.activation, input_range, name=layer.name, backend=layer.backend)

    @property
    def mode(self) -> str:
        return "dynamic" if self.input_scale is None else "static"

    def call(self, x: np.ndarray) -> np.ndarray:
        return ops.linear_int8(x, self.weights_int8, self.bias, self.activation, x_scale=self.input_scale,
                               x_zero_point=self.input_zero_point, x_qmax=self.input_qmax, backend=self.backend)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def count_params(self) -> int:
        return self.weights_int8.data.size + (0 if self.bias is None else self.bias.size)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "activation": self.activation, "mode": self.mode}

    @classmethod
    def from_config(cls, config: dict):
        raise NotImplementedError("QuantizedDense holds int8 weights that a config does not carry; "
                                  "quantize the float model again with pykernels.compress.quantize")
