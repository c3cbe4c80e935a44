"""Attention building blocks: LayerNormalization, position embeddings, MultiHeadAttention.

MultiHeadAttention keeps Keras' weights (query/key/value kernels (d_in, heads, dim),
biases (heads, dim), output kernel (heads, value_dim, d_out)) and calls
``ops.linear`` for the projections and ``ops.sdpa`` (fused flash attention) between
them; the per-head views of the projections are passed to sdpa as strided views, so
no transpose is copied on the way in.
"""
from __future__ import annotations


import numpy as np

from pykernels import ops, validation
from pykernels.layers import initializers
from pykernels.layers.base import InputSpec, Layer, as_float32, format_shape


def _last_dim(layer: Layer, input_shape: tuple) -> int:
    if not input_shape or input_shape[-1] is None:
        raise ValueError(f"{layer}: the last dimension of the input must be known to build, "
                         f"got shape {format_shape(input_shape)}")
    return input_shape[-1]


class LayerNormalization(Layer):
    """Normalise the last axis to zero mean and unit variance, then ``* gamma + beta``."""

    def __init__(self, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.epsilon = validation.real(epsilon, str(self), "epsilon", minimum=0)
        self.center, self.scale = bool(center), bool(scale)
        self.input_spec = InputSpec(min_ndim=1)
        self.gamma: np.ndarray | None = None
        self.beta: np.ndarray | None = None

    def build(self, input_shape: tuple) -> None:
        n = _last_dim(self, input_shape)
        if self.scale:
            self.gamma = self.add_weight("gamma", (n,), "ones")
        if self.center:
            self.beta = self.add_weight("beta", (n,), "zeros")
        self.input_spec = InputSpec(min_ndim=1, axes={-1: n})
        super().build(input_shape)

    def call(self, x: np.ndarray) -> np.ndarray:
        return ops.layer_norm(x, self.gamma, self.beta, self.epsilon, backend=self.backend)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "epsilon": self.epsilon, "center": self.center, "scale": self.scale}


def sinusoidal_positions(length: int, dim: int, max_wavelength: float = 10000.0) -> np.ndarray:
    """(length, dim) float32 table of "Attention is all you need": sin on even, cos on odd features."""
    position = np.arange(length, dtype=np.float64)[:, None]
    inverse = max_wavelength ** (-(np.arange(dim) // 2 * 2) / dim)
    angles = position * inverse[None, :]
    return np.where(np.arange(dim) % 2 == 0, np.sin(angles), np.cos(angles)).astype(np.float32)


class SinusoidalPositionEmbedding(Layer):
    """``x + sinusoidal_positions(seq_len, d_model)`` for x (batch, seq_len, d_model); no weights."""

    input_spec = InputSpec(ndim=3)

    def __init__(self, max_wavelength: float = 10000.0, name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.max_wavelength = validation.real(max_wavelength, str(self), "max_wavelength", above=1)
        self._table = np.empty((0, 0), np.float32)

    def call(self, x: np.ndarray) -> np.ndarray:
        n, d = x.shape[1:]
        if self._table.shape[0] < n or self._table.shape[1] != d:
            self._table = sinusoidal_positions(max(n, 2 * self._table.shape[0]), d, self.max_wavelength)
        return x + self._table[:n]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "max_wavelength": self.max_wavelength}


class PositionEmbedding(Layer):
    """``x + embeddings[:seq_len]``: a learned (sequence_length, d_model) table (keras_nlp's)."""

    input_spec = InputSpec(ndim=3)

    def __init__(self, sequence_length: int, initializer="glorot_uniform", name: str | None = None,
                 backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.sequence_length = validation.integer(sequence_length, str(self), "sequence_length", minimum=1)
        self.initializer = initializers.get(initializer, f"{self}: initializer")
        self.embeddings: np.ndarray | None = None

    def build(self, input_shape: tuple) -> None:
        self.embeddings = self.add_weight("embeddings", (self.sequence_length, _last_dim(self, input_shape)),
                                          self.initializer)
        super().build(input_shape)

    def call(self, x: np.ndarray) -> np.ndarray:
        if x.shape[1] > self.sequence_length:
            raise ValueError(f"{self}: input has {x.shape[1]} positions (shape {x.shape}), "
                             f"more than sequence_length={self.sequence_length}")
        return x + self.embeddings[:x.shape[1]]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "sequence_length": self.sequence_length,
                "initializer": initializers.serialize(self.initializer)}


class MultiHeadAttention(Layer):
    """Keras' MultiHeadAttention: ``layer(query, value, key=None, attention_mask=None, use_causal_mask=False)``.

    query (B, Tq, dq), value (B, Tv, dv), key (B, Tv, dk) (default: value). attention_mask
    is bool (True = attend) or additive float, broadcastable to (B, Tq, Tv); a (B, 1, Tv)
    mask is a key padding mask. The output is (B, Tq, output_shape or dq).
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None, use_bias: bool = True,
                 output_shape: int | None = None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.num_heads = validation.integer(num_heads, str(self), "num_heads", minimum=1)
        self.key_dim = validation.integer(key_dim, str(self), "key_dim", minimum=1)
        self.value_dim = self.key_dim if value_dim is None else validation.integer(value_dim, str(self),
                                                                                   "value_dim", minimum=1)
        if not isinstance(use_bias, bool):
            raise TypeError(f"{self}: use_bias must be a bool, got {type(use_bias).__name__}")
        self.use_bias = use_bias
        self.output_dim = None if output_shape is None else validation.integer(output_shape, str(self),
                                                                               "output_shape", minimum=1)
        self.kernel_initializer = initializers.get(kernel_initializer, f"{self}: kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, f"{self}: bias_initializer")
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape: tuple, value_shape: tuple | None = None, key_shape: tuple | None = None) -> None:
        value_shape = input_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        dims = [_last_dim(self, s) for s in (input_shape, key_shape, value_shape)]
        h = self.num_heads
        for name, d_in, dim in zip(("query", "key", "value"), dims, (self.key_dim, self.key_dim, self.value_dim)):
            self.add_weight(f"{name}_kernel", (d_in, h, dim), self.kernel_initializer)
            if self.use_bias:
                self.add_weight(f"{name}_bias", (h, dim), self.bias_initializer)
        d_out = self.output_dim or dims[0]
        self.add_weight("output_kernel", (h, self.value_dim, d_out), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("output_bias", (d_out,), self.bias_initializer)
        self.input_spec = InputSpec(ndim=3, axes={-1: dims[0]})
        self._dims = dims
        super().build(input_shape)

    def _project(self, x: np.ndarray, name: str) -> np.ndarray:
        """(B, T, d_in) -> (B, heads, T, dim) as a strided view of one linear's output."""
        kernel = self._weights[f"{name}_kernel"]
        bias = self._weights.get(f"{name}_bias")
        w = kernel.reshape(kernel.shape[0], -1)
        y = ops.linear(x, w.T, None if bias is None else bias.reshape(-1), backend=self.backend)
        return y.reshape(x.shape[0], x.shape[1], self.num_heads, kernel.shape[2]).transpose(0, 2, 1, 3)

    def __call__(self, query, value=None, key=None, attention_mask=None, use_causal_mask: bool = False):
        """Checks the three inputs against each other and builds from all their shapes; on
        symbolic tensors it records the call in a functional graph."""
        from pykernels.layers import functional

        args = (value, key, attention_mask, use_causal_mask)
        if functional.is_symbolic(query, args, {}):
            shapes = [t if t is None else t.shape for t in (query, value, key)]
            self._check_and_build(*shapes)
            return functional.record(self, query, args, {}, self.compute_output_shape(shapes[0]))
        query = as_float32(query, self)
        value = query if value is None else as_float32(value, self)
        key = value if key is None else as_float32(key, self)
        self._check_and_build(query.shape, value.shape, key.shape)
        return self.call(query, value, key, attention_mask, use_causal_mask)

    def _check_and_build(self, query_shape, value_shape=None, key_shape=None) -> None:
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        for name, shape in (("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or len(query_shape) != 3 or shape[0] != query_shape[0]:
                raise ValueError(f"{self}: {name} must be (batch, Tv, dim) with the query's batch; "
                                 f"query {format_shape(query_shape)}, {name} {format_shape(shape)}")
        if key_shape[1] != value_shape[1]:
            raise ValueError(f"{self}: key and value lengths differ: key {format_shape(key_shape)}, "
                             f"value {format_shape(value_shape)}")
        if not self.built:
            self.build(query_shape, value_shape, key_shape)
        self.input_spec.check(query_shape, self)
        if (key_shape[-1], value_shape[-1]) != (self._dims[1], self._dims[2]):
            raise ValueError(f"{self}: built for key/value dims {self._dims[1]}/{self._dims[2]}, got key "
                             f"{format_shape(key_shape)}, value {format_shape(value_shape)}")

    def call(self, query, value=None, key=None, attention_mask=None, use_causal_mask=False) -> np.ndarray:
        value = query if value is None else value
        key = value if key is None else key
        q, k, v = self._project(query, "query"), self._project(key, "key"), self._project(value, "value")
        mask = None
        if attention_mask is not None:
            mask = np.asarray(attention_mask)
            validation.broadcastable(mask.shape, (query.shape[0], query.shape[1], key.shape[1]), str(self),
                                     "attention_mask")
            mask = mask.reshape((1,) * (3 - mask.ndim) + mask.shape)[:, None]
        o = ops.sdpa(q, k, v, mask, bool(use_causal_mask), backend=self.backend)
        b, h, t, dv = o.shape
        heads = o.transpose(0, 2, 1, 3).reshape(b, t, h * dv)  # explicit: -1 is ambiguous for batch 0
        return self._output(heads)

    def _output(self, heads: np.ndarray) -> np.ndarray:
        """The output projection of the concatenated heads (B, Tq, heads * value_dim)."""
        kernel = self._weights["output_kernel"]
        return ops.linear(heads, kernel.reshape(-1, kernel.shape[2]).T, self._weights.get("output_bias"),
                          backend=self.backend)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.output_dim or input_shape[-1],)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "use_bias": self.use_bias, "output_shape": self.output_dim,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}
