"""Quantized layers: int8 weights, activations quantized to uint8, int32 accumulation.

A quantized layer is made from a float one (``from_float``, or ``pykernels.compress.quantize``
for a whole model) and runs through ``pykernels.ops.linear_int8`` (QuantizedDense) or
``pykernels.ops.conv2d_int8`` (QuantizedConv2D, an implicit-GEMM conv): the input is quantized
to uint8 codes [0, qmax] -- per call from its own min/max (dynamic) or with parameters
calibrated once (static) -- multiplied by the prepacked int8 weights, and dequantized in
the GEMM epilogue together with the bias and activation. qmax is the weights'
``safe_a_max`` (>= 127), the range on which the AVX2 kernel cannot saturate.
"""
from __future__ import annotations

import numpy as np

from pykernels import ops, validation
from pykernels.formats import Int8ConvWeights, Int8Weights, choose_qparams
from pykernels.layers.attention import MultiHeadAttention
from pykernels.layers.base import InputSpec, Layer
from pykernels.layers.conv import Conv2D
from pykernels.layers.dense import Dense


class _Quantized(Layer):
    """What the quantized layers share: the input's quantization (static or dynamic),
    the float32 bias, and what the profiler reports."""

    kernel_name = ""  # the int8 kernel, for profile_info
    input_granularity = "tensor"  # a dynamic scale for the whole input, or "row": one per row

    def _set_input_range(self, input_range, qmax: int) -> None:
        self.input_qmax = qmax
        self.input_scale = self.input_zero_point = None
        if input_range is not None:
            lo, hi = (float(v) for v in input_range)
            scale, zero_point = choose_qparams(lo, hi, np.uint8, qmin=0, qmax=qmax)
            self.input_scale, self.input_zero_point = float(scale), int(zero_point)

    def _set_bias(self, bias, units: int):
        if bias is not None:
            bias = validation.contiguous_float32(np.asarray(bias, np.float32), str(self), "bias", ndim=1)
            if bias.shape != (units,):
                raise ValueError(f"{self}: bias has shape {bias.shape}, expected ({units},)")
            self._weights["bias"] = bias
        self.bias = bias

    @property
    def mode(self) -> str:
        return "dynamic" if self.input_scale is None else "static"

    def profile_info(self) -> dict:
        per_row = " per row" if self.input_granularity == "row" else ""
        activation = ("static activation scale (calibrated)" if self.mode == "static"
                      else f"dynamic activation scale{per_row} (per call)")
        return {"bits": 8, "sparsity": None,
                "why": f"int8 {self.kernel_name}, {activation}, activations in [0, {self.input_qmax}]"}

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": self.activation, "mode": self.mode}

    @classmethod
    def from_config(cls, config: dict):
        raise NotImplementedError(f"{cls.__name__} holds int8 weights that a config does not carry; "
                                  "quantize the float model again with pykernels.compress.quantize")


class QuantizedDense(_Quantized):
    """``activation(x @ W.T + bias)`` with int8 weights W (units, in_features).

    ``input_range`` (lo, hi) makes the layer static: the input is quantized with
    parameters fixed from that range; None (default) quantizes each input on its own range,
    as a whole (``input_granularity="tensor"``) or each row -- token -- on its own
    (``"row"``: for inputs where a few tokens are far larger than the rest).
    """

    kernel_name = "u8s8 GEMM"

    def __init__(self, weights: Int8Weights, bias: np.ndarray | None = None, activation: str | None = None,
                 input_range: tuple[float, float] | None = None, name: str | None = None, backend: str = "auto",
                 input_granularity: str = "tensor"):
        super().__init__(name=name, backend=backend)
        if not isinstance(weights, Int8Weights):
            raise TypeError(f"{self}: weights must be Int8Weights, got {type(weights).__name__}")
        if input_granularity not in ("tensor", "row"):
            raise ValueError(f"{self}: input_granularity must be 'tensor' or 'row', got {input_granularity!r}")
        if input_granularity == "row" and input_range is not None:
            raise ValueError(f"{self}: input_granularity='row' is dynamic; it takes no input_range")
        self.weights_int8 = weights
        self.units = weights.out_features
        self.activation = validation.activation_name(activation, str(self))
        self.input_granularity = input_granularity
        self._set_input_range(input_range, weights.safe_a_max)
        self._set_bias(bias, self.units)
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

    def call(self, x: np.ndarray) -> np.ndarray:
        return ops.linear_int8(x, self.weights_int8, self.bias, self.activation, x_scale=self.input_scale,
                               x_zero_point=self.input_zero_point, x_qmax=self.input_qmax,
                               x_granularity=self.input_granularity, backend=self.backend)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def count_params(self) -> int:
        return self.weights_int8.data.size + (0 if self.bias is None else self.bias.size)

    def float_equivalent(self) -> Dense:
        """A float32 Dense with the dequantized weights: the same function, at float32 cost."""
        dense = Dense(self.units, self.activation, use_bias=self.bias is not None, name=f"{self.name}_f32",
                      backend=self.backend)
        dense.build((None, self.weights_int8.in_features))
        dense.set_weights([self.weights_int8.dequantize().T] + ([] if self.bias is None else [self.bias]))
        return dense

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "input_granularity": self.input_granularity}


class QuantizedConv2D(_Quantized):
    """``activation(conv2d(x, W) + bias)`` with int8 weights (Int8ConvWeights), NHWC by default.

    The input is quantized once per call to uint8 codes (``input_range``: static, else
    dynamic), then the implicit-GEMM int8 conv accumulates in int32 and dequantizes in its
    epilogue. Any groups; a depthwise layer (groups = channels) runs one small GEMM per
    channel, which is correct but slow (compress.quantize leaves DepthwiseConv2D in float).
    """

    kernel_name = "u8s8 implicit-GEMM conv"

    def __init__(self, weights: Int8ConvWeights, bias: np.ndarray | None = None, strides=1, padding="valid",
                 dilation_rate=1, activation: str | None = None, data_format: str = "channels_last",
                 input_range: tuple[float, float] | None = None, name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        if not isinstance(weights, Int8ConvWeights):
            raise TypeError(f"{self}: weights must be Int8ConvWeights, got {type(weights).__name__}")
        self.weights_int8 = weights
        self.filters, self.kernel_size = weights.filters, weights.kernel_size
        self.groups = len(weights.groups)
        self.strides, self.padding, self.dilation_rate, self.data_format = strides, padding, dilation_rate, data_format
        self.activation = validation.activation_name(activation, str(self), validation.ELEMENTWISE_ACTIVATIONS)
        self._set_input_range(input_range, weights.safe_a_max)
        self._set_bias(bias, self.filters)
        self._geometry = Conv2D(self.filters, self.kernel_size, strides, padding, data_format, dilation_rate,
                                self.groups, name=f"{self.name}_geometry")
        channel_axis = -1 if data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=4, axes={channel_axis: weights.in_channels})

    @classmethod
    def from_float(cls, layer: Conv2D, *, per_channel: bool = True,
                   input_range: tuple[float, float] | None = None) -> "QuantizedConv2D":
        """The quantized twin of a built Conv2D (symmetric int8 weights, per filter by default)."""
        if not isinstance(layer, Conv2D):
            raise TypeError(f"QuantizedConv2D.from_float: expected a Conv2D layer, got {type(layer).__name__}")
        if not layer.built:
            raise ValueError(f"QuantizedConv2D.from_float: {layer} is not built; call it on data first")
        weights = Int8ConvWeights.from_float(layer.kernel, layer.groups, per_channel=per_channel)
        return cls(weights, layer.bias, layer.strides, layer.padding, layer.dilation_rate, layer.activation,
                   layer.data_format, input_range, name=layer.name, backend=layer.backend)

    def call(self, x: np.ndarray) -> np.ndarray:
        return ops.conv2d_int8(x, self.weights_int8, self.bias, self.strides, self.padding, self.dilation_rate,
                               self.activation, x_scale=self.input_scale, x_zero_point=self.input_zero_point,
                               x_qmax=self.input_qmax, data_format=self.data_format, backend=self.backend)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self._geometry.compute_output_shape(input_shape)

    def count_params(self) -> int:
        return sum(g.data.size for g in self.weights_int8.groups) + (0 if self.bias is None else self.bias.size)

    def float_equivalent(self) -> Conv2D:
        """A float32 Conv2D with the dequantized kernel: the same function, at float32 cost."""
        conv = Conv2D(self.filters, self.kernel_size, self.strides, self.padding, self.data_format,
                      self.dilation_rate, self.groups, self.activation, use_bias=self.bias is not None,
                      name=f"{self.name}_f32", backend=self.backend)
        kernel = self.weights_int8.dequantize()
        shape = (None, 1, 1, kernel.shape[2] * self.groups)
        conv.build(shape if self.data_format == "channels_last" else (None, shape[3], 1, 1))
        conv.set_weights([kernel] + ([] if self.bias is None else [self.bias]))
        return conv

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "dilation_rate": self.dilation_rate,
                "groups": self.groups, "data_format": self.data_format}


class QuantizedLSTM(_Quantized):
    """An LSTM with int8 weights, dynamic: ``pykernels.ops.lstm_int8`` quantizes the input
    projection of all steps as one int8 GEMM and each step's recurrent product on h_{t-1}'s
    own range. Made from a built LSTM (``from_float``); the same call signature and outputs."""

    kernel_name = "u8s8 GEMM (input projection of all steps, then the recurrent product per step)"
    supports_masking = True

    def __init__(self, layer, weights: list, name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.float_config = layer.get_config()
        self.units, self.directions = layer.units, layer.directions
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        self.go_backwards, self.bidirectional = layer.go_backwards, layer.bidirectional
        self.weights_int8 = weights  # [(Int8Weights w_ih, Int8Weights w_hh, bias (4H,))] per layer and direction
        self.activation = None
        self._set_input_range(None, min(min(w_ih.safe_a_max, w_hh.safe_a_max) for w_ih, w_hh, _ in weights))
        self.input_spec = layer.input_spec

    @classmethod
    def from_float(cls, layer, *, per_channel: bool = True) -> "QuantizedLSTM":
        from pykernels.layers.recurrent import LSTM

        if not isinstance(layer, LSTM):
            raise TypeError(f"QuantizedLSTM.from_float: expected an LSTM layer, got {type(layer).__name__}")
        if not layer.built:
            raise ValueError(f"QuantizedLSTM.from_float: {layer} is not built; call it on data first")
        weights = [(Int8Weights.from_float(w_ih, per_channel=per_channel),
                    Int8Weights.from_float(w_hh, per_channel=per_channel), (b_ih + b_hh).astype(np.float32))
                   for w_ih, w_hh, b_ih, b_hh in layer.weight_tuples()]
        return cls(layer, weights, name=layer.name, backend=layer.backend)

    def call(self, x: np.ndarray, mask=None):
        from pykernels.layers.recurrent import _reverse_sequences, keras_results, mask_to_lengths

        lengths = mask_to_lengths(mask, x.shape, self)
        if self.go_backwards:
            x = _reverse_sequences(x, lengths)
        output, (h_n, c_n) = ops.lstm_int8(x, self.weights_int8, bidirectional=self.bidirectional,
                                           lengths=lengths, backend=self.backend)
        return keras_results(self, output, h_n, c_n)

    def compute_mask(self, x, mask=None):
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        width = self.directions * self.units
        return (input_shape[0], input_shape[1], width) if self.return_sequences else (input_shape[0], width)

    def count_params(self) -> int:
        return sum(w_ih.data.size + w_hh.data.size + b.size for w_ih, w_hh, b in self.weights_int8)

    def float_equivalent(self):
        """A float32 LSTM with the dequantized weights (the bias split as b_ih = b, b_hh = 0)."""
        from pykernels.layers.recurrent import LSTM

        lstm = LSTM.from_config({**self.float_config, "name": f"{self.name}_f32"})
        lstm.build((None, None, self.weights_int8[0][0].in_features))
        values = []
        for w_ih, w_hh, bias in self.weights_int8:
            values += [w_ih.dequantize(), w_hh.dequantize(), bias, np.zeros_like(bias)]
        lstm.set_weights(values)
        return lstm


class QuantizedMultiHeadAttention(_Quantized, MultiHeadAttention):
    """MultiHeadAttention whose query / key / value / output projections are dynamic int8
    linears (``ops.linear_int8``); the attention itself (sdpa) stays float32. The float
    weights are kept too (for get_weights and the weight error report)."""

    kernel_name = "u8s8 GEMM for the q/k/v/output projections (sdpa in float32)"

    @classmethod
    def from_float(cls, layer: MultiHeadAttention, *, per_channel: bool = True) -> "QuantizedMultiHeadAttention":
        if not isinstance(layer, MultiHeadAttention):
            raise TypeError(f"QuantizedMultiHeadAttention.from_float: expected a MultiHeadAttention layer, "
                            f"got {type(layer).__name__}")
        if not layer.built:
            raise ValueError(f"QuantizedMultiHeadAttention.from_float: {layer} is not built; call it on data first")
        config = layer.get_config()
        twin = cls(**{key: value for key, value in config.items() if key in _MHA_ARGUMENTS})
        dq, dk, dv = layer._dims
        twin.build((None, None, dq), (None, None, dv), (None, None, dk))
        twin.set_weights(layer.get_weights())
        twin.projections = {}  # name -> (Int8Weights (out, in), bias or None)
        for name in ("query", "key", "value", "output"):
            kernel = twin._weights[f"{name}_kernel"]
            w = kernel.reshape(-1, kernel.shape[2]) if name == "output" else kernel.reshape(kernel.shape[0], -1)
            bias = twin._weights.get(f"{name}_bias")
            twin.projections[name] = (Int8Weights.from_float(np.ascontiguousarray(w.T), per_channel=per_channel),
                                      None if bias is None else np.ascontiguousarray(bias.reshape(-1)))
        twin.activation = None
        twin._set_input_range(None, min(w.safe_a_max for w, _ in twin.projections.values()))
        return twin

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        weights, bias = self.projections[name]
        return ops.linear_int8(x, weights, bias, backend=self.backend)

    def _project(self, x: np.ndarray, name: str) -> np.ndarray:
        dim = self._weights[f"{name}_kernel"].shape[2]
        return self._linear(x, name).reshape(x.shape[0], x.shape[1], self.num_heads, dim).transpose(0, 2, 1, 3)

    def _output(self, heads: np.ndarray) -> np.ndarray:
        return self._linear(heads, "output")

    def float_equivalent(self) -> MultiHeadAttention:
        """A float32 MultiHeadAttention with the dequantized projection weights."""
        config = {key: value for key, value in self.get_config().items() if key in _MHA_ARGUMENTS}
        twin = MultiHeadAttention(**{**config, "name": f"{self.name}_f32"})
        dq, dk, dv = self._dims
        twin.build((None, None, dq), (None, None, dv), (None, None, dk))
        values = []
        for name in ("query", "key", "value", "output"):
            weights, bias = self.projections[name]
            values.append(weights.dequantize().T.reshape(self._weights[f"{name}_kernel"].shape))
            if bias is not None:
                values.append(self._weights[f"{name}_bias"])
        twin.set_weights(values)
        return twin


_MHA_ARGUMENTS = ("num_heads", "key_dim", "value_dim", "use_bias", "output_shape", "name", "backend")
