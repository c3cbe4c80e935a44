"""Recurrent layers on ``pykernels.ops.lstm``: LSTM (Keras-style, plus num_layers and
bidirectional), LSTMCell (one step) and the Bidirectional wrapper.

Weights are kept in PyTorch's layout and order (per layer and direction: w_ih (4H, I),
w_hh (4H, H), b_ih, b_hh), so ``lstm.set_weights([p.detach().numpy() for p in
torch_lstm.parameters()])`` loads an ``nn.LSTM`` as it is; Keras weights go through
``pykernels.ops.lstm_weights_from_keras``. Inputs are batch first, as in Keras.
"""
from __future__ import annotations

import numpy as np

from pykernels import ops, validation
from pykernels.layers import initializers
from pykernels.layers.base import InputSpec, Layer, format_shape

_MERGE_MODES = ("concat", "sum", "mul", "ave")


def keras_results(layer, output: np.ndarray, h_n: np.ndarray, c_n: np.ndarray):
    """What a Keras LSTM layer returns from ``ops.lstm``'s (output, (h_n, c_n)): the sequence
    (return_sequences) or the last layer's final h of each direction, plus [h, c] per
    direction of the last layer with return_state."""
    last = h_n[-layer.directions:]
    result = output if layer.return_sequences else np.concatenate(list(last), axis=-1)
    if not layer.return_state:
        return result
    states = [s for d in range(layer.directions) for s in (last[d], c_n[len(c_n) - layer.directions + d])]
    return [result] + states


def mask_to_lengths(mask, shape: tuple, layer) -> np.ndarray | None:
    """Lengths (batch,) from a (batch, T) mask that keeps a prefix of each sequence (right padding)."""
    if mask is None:
        return None
    mask = np.asarray(mask, bool)
    if mask.shape != tuple(shape[:2]):
        raise ValueError(f"{layer}: mask has shape {mask.shape}, expected {tuple(shape[:2])} (batch, steps)")
    lengths = mask.sum(axis=1)
    prefix = np.arange(mask.shape[1]) < lengths[:, None]
    if not np.array_equal(mask, prefix):
        raise ValueError(f"{layer}: the mask must keep a prefix of each sequence (right padding)")
    if mask.shape[1] and (lengths == 0).any():
        raise ValueError(f"{layer}: sequence {int(np.argmin(lengths))} is fully masked (length 0)")
    return lengths


def _flag(value, layer, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{layer}: {name} must be a bool, got {type(value).__name__}")
    return value


class LSTM(Layer):
    """Long short-term memory over (batch, steps, features), like ``keras.layers.LSTM``.

    Returns the last output (batch, D * units), or every step's (batch, steps, D * units)
    with ``return_sequences``; with ``return_state`` a list ``[output, h, c]`` (per
    direction for bidirectional: ``[output, h_fwd, c_fwd, h_bwd, c_bwd]``) of the last
    layer. ``go_backwards`` runs each sequence from its end and returns the steps in that
    order. ``num_layers`` stacks layers, ``bidirectional`` concatenates both directions.
    A mask (batch, steps), e.g. from ``Embedding(mask_zero=True)``, gives each sequence's
    length: steps past it are skipped (states kept, outputs zero).
    """

    supports_masking = True

    def __init__(self, units: int, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, num_layers: int = 1, bidirectional: bool = False,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias: bool = True, name: str | None = None,
                 backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.units = validation.integer(units, str(self), "units", minimum=1)
        self.num_layers = validation.integer(num_layers, str(self), "num_layers", minimum=1)
        self.return_sequences = _flag(return_sequences, self, "return_sequences")
        self.return_state = _flag(return_state, self, "return_state")
        self.go_backwards = _flag(go_backwards, self, "go_backwards")
        self.bidirectional = _flag(bidirectional, self, "bidirectional")
        self.use_bias = _flag(use_bias, self, "use_bias")
        self.unit_forget_bias = _flag(unit_forget_bias, self, "unit_forget_bias")
        self.kernel_initializer = initializers.get(kernel_initializer, f"{self}: kernel_initializer")
        self.recurrent_initializer = initializers.get(recurrent_initializer, f"{self}: recurrent_initializer")
        self.bias_initializer = initializers.get(bias_initializer, f"{self}: bias_initializer")
        self.input_spec = InputSpec(ndim=3)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def build(self, input_shape: tuple) -> None:
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"{self}: the feature dimension must be known to build, got {format_shape(input_shape)}")
        h = self.units
        per_direction = [4 * h * ((features if layer == 0 else self.directions * h) + h + 2) for layer in (0, 1)]
        total = self.directions * (per_direction[0] + (self.num_layers - 1) * per_direction[1])
        validation.check_nbytes((total,), str(self), "the weights")  # before a loop over absurd num_layers
        for layer in range(self.num_layers):
            inputs = features if layer == 0 else self.directions * h
            for d in range(self.directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                self.add_weight("weight_ih" + suffix, (4 * h, inputs), self.kernel_initializer)
                self.add_weight("weight_hh" + suffix, (4 * h, h), self.recurrent_initializer)
                for bias in ("bias_ih", "bias_hh"):
                    value = self.add_weight(bias + suffix, (4 * h,), self.bias_initializer if self.use_bias else "zeros")
                    if self.use_bias and self.unit_forget_bias and bias == "bias_ih":
                        value[h:2 * h] = 1.0  # Keras' unit_forget_bias: forget gate starts open
        self.input_spec = InputSpec(ndim=3, axes={-1: features})
        super().build(input_shape)

    def weight_tuples(self) -> list[tuple[np.ndarray, ...]]:
        """``(w_ih, w_hh, b_ih, b_hh)`` per layer and direction, as ``ops.lstm`` takes them."""
        values = self.weights
        return [tuple(values[i:i + 4]) for i in range(0, len(values), 4)]

    def call(self, x: np.ndarray, mask=None):
        lengths = mask_to_lengths(mask, x.shape, self)
        if self.go_backwards:
            x = _reverse_sequences(x, lengths)
        output, (h_n, c_n) = ops.lstm(x, self.weight_tuples(), batch_first=True, bidirectional=self.bidirectional,
                                      lengths=lengths, backend=self.backend)
        return keras_results(self, output, h_n, c_n)

    def compute_mask(self, x, mask=None):
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        batch, steps = input_shape[0], input_shape[1]
        width = self.directions * self.units
        return (batch, steps, width) if self.return_sequences else (batch, width)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "num_layers": self.num_layers, "bidirectional": self.bidirectional, "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias}


def _reverse_sequences(x: np.ndarray, lengths) -> np.ndarray:
    """Each sequence of x (batch, steps, F) reversed within its length (padding stays at the end)."""
    steps = x.shape[1]
    if lengths is None:
        return x[:, ::-1]
    index = np.arange(steps)[None, :]
    source = np.where(index < lengths[:, None], lengths[:, None] - 1 - index, index)
    return np.take_along_axis(x, source[:, :, None], axis=1)


class LSTMCell(Layer):
    """One LSTM step, like ``keras.layers.LSTMCell`` / ``torch.nn.LSTMCell``.

    ``cell(x, states=None)`` with x (batch, features) and states ``[h, c]`` (zeros when
    None) returns ``(h, [h, c])``. Weights: w_ih (4H, I), w_hh (4H, H), b_ih, b_hh.
    """

    def __init__(self, units: int, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", name: str | None = None,
                 backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.units = validation.integer(units, str(self), "units", minimum=1)
        self.use_bias = _flag(use_bias, self, "use_bias")
        self.kernel_initializer = initializers.get(kernel_initializer, f"{self}: kernel_initializer")
        self.recurrent_initializer = initializers.get(recurrent_initializer, f"{self}: recurrent_initializer")
        self.bias_initializer = initializers.get(bias_initializer, f"{self}: bias_initializer")
        self.input_spec = InputSpec(ndim=2)

    def build(self, input_shape: tuple) -> None:
        h = self.units
        self.add_weight("weight_ih", (4 * h, input_shape[-1]), self.kernel_initializer)
        self.add_weight("weight_hh", (4 * h, h), self.recurrent_initializer)
        for bias in ("bias_ih", "bias_hh"):
            self.add_weight(bias, (4 * h,), self.bias_initializer if self.use_bias else "zeros")
        self.input_spec = InputSpec(ndim=2, axes={-1: input_shape[-1]})
        super().build(input_shape)

    def call(self, x: np.ndarray, states=None):
        h, c = (None, None) if states is None else states
        h, c = ops.lstm_cell(x, h, c, *self.weights, backend=self.backend)
        return h, [h, c]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.units)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


class Bidirectional(Layer):
    """``keras.layers.Bidirectional(LSTM(...), merge_mode)``: both directions in one fused op.

    The wrapped LSTM's configuration is copied with ``bidirectional=True``; the two
    directions' outputs are merged by ``merge_mode``: concat (default), sum, mul or ave.
    """

    supports_masking = True

    def __init__(self, layer: LSTM, merge_mode: str = "concat", name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        if not isinstance(layer, LSTM):
            raise TypeError(f"{self}: wraps an LSTM layer, got {type(layer).__name__}")
        if layer.bidirectional:
            raise ValueError(f"{self}: the wrapped LSTM is already bidirectional")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"{self}: unknown merge_mode {merge_mode!r}; expected one of {list(_MERGE_MODES)}")
        self.merge_mode = merge_mode
        config = {**layer.get_config(), "bidirectional": True, "name": f"{self.name}_lstm", "backend": backend}
        self.layer = LSTM.from_config(config)

    def build(self, input_shape: tuple) -> None:
        self.layer.ensure_built(input_shape)
        super().build(input_shape)

    def weight_slots(self):
        return self.layer.weight_slots()

    def call(self, x: np.ndarray, mask=None):
        self.layer.backend = self.backend
        result = self.layer(x, mask=mask)
        output, states = (result[0], result[1:]) if self.layer.return_state else (result, None)
        if self.merge_mode != "concat":
            forward, backward = np.split(output, 2, axis=-1)
            output = {"sum": lambda: forward + backward, "mul": lambda: forward * backward,
                      "ave": lambda: (forward + backward) / 2}[self.merge_mode]()
        return output if states is None else [output] + states

    def compute_mask(self, x, mask=None):
        return self.layer.compute_mask(x, mask)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = self.layer.compute_output_shape(input_shape)
        return shape if self.merge_mode == "concat" else shape[:-1] + (shape[-1] // 2,)

    def get_config(self) -> dict:
        config = self.layer.get_config()
        config.pop("bidirectional")
        config.pop("name")
        config.pop("backend")
        return {**super().get_config(), "merge_mode": self.merge_mode, "layer": config}

    @classmethod
    def from_config(cls, config: dict) -> "Bidirectional":
        config = dict(config)
        return cls(LSTM(**config.pop("layer")), **config)
