"""Sparse layers: SparseDense and SparseConv2D (1x1) on ``ops.spmm``.

The layers keep a dense kernel in Keras' layout as their weight (so get/set_weights,
serialization and pruning work as for Dense) and derive the sparse matrix W (out, in)
in the layer's pattern from its nonzeros, rebuilt whenever the weights are set. Each call
runs the sparse kernel only where it is faster: with ``dispatch="auto"`` the first call
for a dense width N (batch x pixels) times both paths once and caches the decision
(``pykernels.ops.sparse_dispatch``); ``layer.decision`` is the one used last.
"""
from __future__ import annotations

import numpy as np

from pykernels import formats, ops, validation
from pykernels.layers import initializers
from pykernels.layers.base import InputSpec, Layer, format_shape
from pykernels.ops import sparse_dispatch

DISPATCH = ("auto", "sparse", "dense")


class _SparseLinear(Layer):
    """What both sparse layers share: the pattern, the sparse weight cache and the dispatch."""

    def __init__(self, activation, use_bias, pattern, dispatch, name, backend):
        super().__init__(name=name, backend=backend)
        self.activation = validation.activation_name(activation, str(self))
        if not isinstance(use_bias, bool):
            raise TypeError(f"{self}: use_bias must be a bool, got {type(use_bias).__name__}")
        self.use_bias = use_bias
        self.pattern = formats.parse_pattern(pattern, str(self))
        if self.pattern.kind == "channel":
            raise ValueError(f"{self}: pattern 'channel' makes a smaller dense layer "
                             f"(pykernels.compress.prune(model, s, pattern='channel')), not a sparse one")
        if dispatch not in DISPATCH:
            raise ValueError(f"{self}: dispatch must be one of {list(DISPATCH)}, got {dispatch!r}")
        self.dispatch = dispatch
        self.bias: np.ndarray | None = None
        self.decision: sparse_dispatch.Decision | None = None
        self._sparse = None

    def dense_weight(self) -> np.ndarray:
        """The weight as (out_features, in_features)."""
        raise NotImplementedError

    @property
    def sparse_weight(self):
        """W (out, in) in the layer's pattern, built from the kernel's nonzeros (cached)."""
        if self._sparse is None:
            self._sparse = formats.to_sparse(self.dense_weight(), self.pattern, str(self))
        return self._sparse

    def set_weights(self, weights) -> None:
        super().set_weights(weights)
        self._sparse = None

    def refresh(self) -> None:
        """Rebuild the sparse weight after the kernel was changed in place."""
        self._sparse = None

    def _linear(self, rows: np.ndarray, sparse_path: bool) -> np.ndarray:
        """act(rows @ W.T + bias) for rows (N, in): (N, out), on either path."""
        fused = "none" if self.activation == "softmax" else self.activation
        if sparse_path:
            y = np.ascontiguousarray(ops.spmm(self.sparse_weight, rows.T, self.bias, fused, backend=self.backend).T)
        else:
            y = ops.linear(rows, self.dense_weight(), self.bias, fused, backend=self.backend)
        if self.activation == "softmax":
            ops.softmax(y, out=y, backend=self.backend)
        return y

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        """Run rows (N, in) through the dispatch decision."""
        if self.dispatch != "auto":
            return self._linear(rows, self.dispatch == "sparse")
        self.decision = sparse_dispatch.choose(self.sparse_weight, rows.shape[0], self.backend,
                                               lambda: self._linear(rows, True), lambda: self._linear(rows, False))
        return self._linear(rows, self.decision.use_sparse)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": self.activation, "use_bias": self.use_bias,
                "pattern": str(self.pattern), "dispatch": self.dispatch}


class SparseDense(_SparseLinear):
    """Dense with a pruned kernel: ``activation(x @ kernel + bias)`` through the sparse kernels.

    ``pattern``: "unstructured" (CSR), "block(r,c)" (BSR, r output x c input features)
    or "n:m" (e.g. "2:4", n kept per m input features). ``dispatch``: "auto" (measured
    break-even), "sparse" or "dense".
    """

    def __init__(self, units: int, activation: str | None = None, use_bias: bool = True,
                 pattern: str = "unstructured", dispatch: str = "auto", kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name: str | None = None, backend: str = "auto"):
        super().__init__(activation, use_bias, pattern, dispatch, name, backend)
        self.units = validation.integer(units, str(self), "units", minimum=1)
        self.kernel_initializer = initializers.get(kernel_initializer, f"{self}: kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, f"{self}: bias_initializer")
        self.input_spec = InputSpec(min_ndim=2)
        self.kernel: np.ndarray | None = None

    @classmethod
    def from_dense(cls, layer, pattern: str = "unstructured", dispatch: str = "auto") -> "SparseDense":
        """A SparseDense with the (pruned) weights of a built Dense layer."""
        if not layer.built:
            raise ValueError(f"SparseDense.from_dense: {layer} is not built; call it on data first")
        sparse = cls(layer.units, layer.activation, layer.use_bias, pattern, dispatch, name=f"{layer.name}_sparse",
                     backend=layer.backend)
        sparse.build(layer.input_shape)
        sparse.set_weights(layer.get_weights())
        return sparse

    def build(self, input_shape: tuple) -> None:
        in_features = input_shape[-1]
        if in_features is None:
            raise ValueError(f"{self}: the last dimension of the input must be known to build, "
                             f"got shape {format_shape(input_shape)}")
        self.kernel = self.add_weight("kernel", (in_features, self.units), self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_features})
        self._sparse = None
        super().build(input_shape)

    def dense_weight(self) -> np.ndarray:
        return self.kernel.T

    def call(self, x: np.ndarray) -> np.ndarray:
        rows = x.reshape(-1, x.shape[-1])
        return self._rows(rows).reshape(x.shape[:-1] + (self.units,))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


def _pair(value, layer, name) -> tuple[int, int]:
    pair = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{layer}: {name} must be an int or a pair, got {value!r}")
    return tuple(validation.integer(v, str(layer), name, minimum=1) for v in pair)


class SparseConv2D(_SparseLinear):
    """A pruned pointwise (1x1) convolution as SpMM: W (filters, channels) times the
    pixels, vectorised along batch x pixels.

    channels_first (N, C, H, W): each image is X (C, H*W), exactly the CHW layout of
    XNNPACK's sparse inference; channels_last (N, H, W, C): X is the transposed view of
    (N*H*W, C), which the kernel packs. Strides subsample the pixels first. Only 1x1
    kernels are supported: a k x k sparse kernel needs the im2col of ops.conv2d, which
    this layer will route its k x k case through.
    """

    def __init__(self, filters: int, kernel_size=1, strides=1, activation: str | None = None, use_bias: bool = True,
                 pattern: str = "unstructured", dispatch: str = "auto", data_format: str = "channels_last",
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name: str | None = None,
                 backend: str = "auto"):
        super().__init__(activation, use_bias, pattern, dispatch, name, backend)
        self.filters = validation.integer(filters, str(self), "filters", minimum=1)
        self.kernel_size = _pair(kernel_size, self, "kernel_size")
        if self.kernel_size != (1, 1):
            raise ValueError(f"{self}: only 1x1 kernels run as SpMM; got kernel_size {self.kernel_size} "
                             f"(k x k sparse convolution is not available yet)")
        self.strides = _pair(strides, self, "strides")
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{self}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
        self.data_format = data_format
        self.kernel_initializer = initializers.get(kernel_initializer, f"{self}: kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, f"{self}: bias_initializer")
        self.input_spec = InputSpec(ndim=4)
        self.kernel: np.ndarray | None = None

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape: tuple) -> None:
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"{self}: the channel dimension must be known to build, got {format_shape(input_shape)}")
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, self.filters), self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis(): channels})
        self._sparse = None
        super().build(input_shape)

    def dense_weight(self) -> np.ndarray:
        return self.kernel.reshape(self.kernel.shape[2], self.filters).T

    def call(self, x: np.ndarray) -> np.ndarray:
        sh, sw = self.strides
        if self.data_format == "channels_last":
            x = x[:, ::sh, ::sw, :]
            y = self._rows(x.reshape(-1, x.shape[-1]))
            return y.reshape(x.shape[:-1] + (self.filters,))
        x = x[:, :, ::sh, ::sw]
        n, c, h, w = x.shape
        out = np.empty((n, self.filters, h, w), np.float32)
        for i in range(n):  # one image: Y (filters, H*W) = W . X (C, H*W)
            out[i] = self._rows(x[i].reshape(c, h * w).T).T.reshape(self.filters, h, w)
        return out

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        sh, sw = self.strides
        step = lambda d, s: None if d is None else -(-d // s)  # noqa: E731
        if self.data_format == "channels_last":
            n, h, w, _ = input_shape
            return (n, step(h, sh), step(w, sw), self.filters)
        n, _, h, w = input_shape
        return (n, self.filters, step(h, sh), step(w, sw))

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "data_format": self.data_format,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}
