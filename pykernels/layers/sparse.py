"""Sparse layers: SparseDense on ``ops.spmm`` and SparseConv2D (any kernel size) on ``ops.conv2d_sparse``.

The layers keep a dense kernel in Keras' layout as their weight (so get/set_weights,
serialization and pruning work as for Dense) and derive the sparse matrix W (out, in)
in the layer's pattern from its nonzeros, rebuilt whenever the weights are set. Each call
runs the sparse kernel only where it is faster: with ``dispatch="auto"`` the first call
for a dense width N (batch x pixels) times both paths once and caches the decision
(``pykernels.ops.sparse_dispatch``); ``layer.decision`` is the one used last, and the
profiler shows it (``profile_info``) next to the dense float32 layer it replaces
(``float_equivalent``).
"""
from __future__ import annotations

import math

import numpy as np

from pykernels import formats, geometry, ops, validation
from pykernels.layers import initializers
from pykernels.layers.base import InputSpec, Layer, format_shape
from pykernels.layers.conv import Conv2D
from pykernels.layers.dense import Dense, add_dense_weights
from pykernels.ops import sparse_dispatch
from pykernels.ops.conv import data_format_name

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
        self._decisions: dict[int, sparse_dispatch.Decision] = {}  # per dense width, for this weight
        self._paths: dict[int, bool] = {}  # per dense width: run sparse? (the decision's use_sparse)

    def dense_weight(self) -> np.ndarray:
        """The weight as (out_features, in_features)."""
        raise NotImplementedError

    @property
    def sparse_weight(self):
        """W (out, in) in the layer's pattern, built from the kernel's nonzeros (cached)."""
        if self._sparse is None:
            self._sparse = formats.to_sparse(self.dense_weight(), self.pattern, str(self))
            self._decisions, self._paths = {}, {}
        return self._sparse

    def set_weights(self, weights) -> None:
        super().set_weights(weights)
        self._sparse = None

    def refresh(self) -> None:
        """Rebuild the sparse weight after the kernel was changed in place."""
        self._sparse = None

    def _run(self, x: np.ndarray, sparse_path: bool) -> np.ndarray:
        """The layer's output for ``x`` on the sparse or the dense path."""
        raise NotImplementedError

    def _dispatch(self, x: np.ndarray, width: int) -> np.ndarray:
        """Run ``x`` (``width`` dense columns: batch x pixels) through the dispatch decision."""
        if self.dispatch != "auto":
            return self._run(x, self.dispatch == "sparse")
        sparse_path = self._paths.get(width) if self._sparse is not None else None
        if sparse_path is None:  # first call at this width for this weight: the (process-wide cached) measurement
            decision = sparse_dispatch.choose(self.sparse_weight, width, self.backend,
                                              lambda: self._run(x, True), lambda: self._run(x, False))
            sparse_path = decision.use_sparse
            self._decisions[width], self._paths[width] = decision, sparse_path
        self.decision = self._decisions[width]
        return self._run(x, sparse_path)

    def profile_info(self) -> dict:
        """Sparsity and format of the weight, and why the last call ran sparse or dense."""
        w = self.sparse_weight
        sparsity = 1.0 - w.density
        if self.dispatch != "auto":
            why = f"dispatch={self.dispatch!r} forced ({w.label} at {sparsity:.0%} sparsity)"
        elif self.decision is None:
            why = f"{w.label} at {sparsity:.0%} sparsity: not run yet"
        else:
            d = self.decision
            if d.use_sparse:
                why = f"sparse {w.label}: {d.speedup:.1f}x faster than dense at {sparsity:.0%} (measured, N={d.n})"
            else:
                why = (f"dense: sparse {w.label} would be {1 / d.speedup:.1f}x slower at {sparsity:.0%} "
                       f"(measured, N={d.n})")
        return {"bits": 32, "sparsity": sparsity, "format": w.label, "why": why}

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
        add_dense_weights(self, input_shape)
        self._sparse = None
        super().build(input_shape)

    def dense_weight(self) -> np.ndarray:
        return self.kernel.T

    def _run(self, x: np.ndarray, sparse_path: bool) -> np.ndarray:
        """act(x @ kernel + bias) for x (..., in): the Dense layer's call, or W (out, in)
        times the rows of x as columns (the dense width N is the number of rows)."""
        if not sparse_path:  # softmax included
            return ops.linear(x, self.kernel.T, self.bias, self.activation, backend=self.backend)
        rows = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        fused = "none" if self.activation == "softmax" else self.activation
        y = np.ascontiguousarray(ops.spmm(self.sparse_weight, rows.T, self.bias, fused, backend=self.backend).T)
        if self.activation == "softmax":
            ops.softmax(y, out=y, backend=self.backend)
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (self.units,))

    def call(self, x: np.ndarray) -> np.ndarray:
        return self._dispatch(x, math.prod(x.shape[:-1]))

    def float_equivalent(self) -> Dense:
        """The dense float32 Dense with the same (pruned) weights."""
        dense = Dense(self.units, self.activation, self.use_bias, name=f"{self.name}_dense", backend=self.backend)
        dense.build(self.input_shape)
        dense.set_weights(self.get_weights())
        return dense

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


class SparseConv2D(_SparseLinear):
    """A pruned convolution: ``activation(conv2d(x, kernel) + bias)`` with a sparse kernel.

    The kernel is stored as Keras' (kh, kw, in_channels, filters); the sparse weight is
    W (filters, kh * kw * in_channels), taps in (kh, kw, c) order, and the sparse path is
    ``ops.conv2d_sparse``: SpMM on im2col panels packed straight from the image (1x1
    layers included: their panels are the pixels themselves), vectorised along batch x
    pixels. ``padding``, ``strides``, ``dilation_rate`` and ``data_format`` as Conv2D;
    the dense path is ``ops.conv2d``. Whole filters pruned ("channel") make a smaller
    Conv2D instead: ``compress.prune(model, s, pattern="channel")``.
    """

    def __init__(self, filters: int, kernel_size=1, strides=1, activation: str | None = None, use_bias: bool = True,
                 pattern: str = "unstructured", dispatch: str = "auto", data_format: str = "channels_last",
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name: str | None = None,
                 backend: str = "auto", padding="valid", dilation_rate=1):
        super().__init__(activation, use_bias, pattern, dispatch, name, backend)
        self.activation = validation.activation_name(activation, str(self), validation.ELEMENTWISE_ACTIVATIONS)
        self.filters = validation.integer(filters, str(self), "filters", minimum=1)
        self.kernel_size = geometry.pair(kernel_size, str(self), "kernel_size")
        self.strides = geometry.pair(strides, str(self), "strides")
        self.dilation_rate = geometry.pair(dilation_rate, str(self), "dilation_rate")
        geometry.padding(padding, str(self), (1, 1), (1, 1), (1, 1))  # fails now on a padding no input could use
        self.padding = padding
        self.data_format = data_format_name(data_format, str(self))
        self.kernel_initializer = initializers.get(kernel_initializer, f"{self}: kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, f"{self}: bias_initializer")
        self.input_spec = InputSpec(ndim=4)
        self.kernel: np.ndarray | None = None
        self._widths: dict[tuple, int] = {}

    @classmethod
    def from_conv(cls, layer, pattern: str = "unstructured", dispatch: str = "auto") -> "SparseConv2D":
        """A SparseConv2D with the (pruned) weights of a built Conv2D (groups 1)."""
        if not layer.built:
            raise ValueError(f"SparseConv2D.from_conv: {layer} is not built; call it on data first")
        if layer.groups != 1:
            raise ValueError(f"SparseConv2D.from_conv: {layer} has groups={layer.groups}; only groups=1 converts")
        sparse = cls(layer.filters, layer.kernel_size, layer.strides, layer.activation, layer.use_bias, pattern,
                     dispatch, layer.data_format, name=f"{layer.name}_sparse", backend=layer.backend,
                     padding=layer.padding, dilation_rate=layer.dilation_rate)
        sparse.build(layer.input_shape)
        sparse.set_weights(layer.get_weights())
        return sparse

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _spatial(self, shape) -> tuple:
        return tuple(shape[1:3]) if self.data_format == "channels_last" else tuple(shape[2:4])

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
        return ops.sparse_from_hwio(self.kernel)

    def _run(self, x: np.ndarray, sparse_path: bool) -> np.ndarray:
        if sparse_path:
            return ops.conv2d_sparse(x, self.sparse_weight, self.kernel_size, self.bias, self.strides, self.padding,
                                     self.dilation_rate, self.activation, data_format=self.data_format,
                                     backend=self.backend)
        return ops.conv2d(x, ops.oihw_from_hwio(self.kernel), self.bias, self.strides, self.padding,
                          self.dilation_rate, 1, self.activation, data_format=self.data_format, backend=self.backend)

    def call(self, x: np.ndarray) -> np.ndarray:
        if self.dispatch != "auto":
            return self._run(x, self.dispatch == "sparse")
        width = self._widths.get(x.shape)
        if width is None:  # batch x output pixels, once per input shape
            width = int(np.prod(self._spatial(self.compute_output_shape(x.shape)))) * x.shape[0]
            self._widths[x.shape] = width
        return self._dispatch(x, width)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        hw = self._spatial(input_shape)
        if None in hw:
            out_hw = (None, None)
        else:
            pads = geometry.padding(self.padding, str(self), hw, self.kernel_size, self.strides, self.dilation_rate)
            out_hw = geometry.conv_output(str(self), hw, self.kernel_size, self.strides, pads, self.dilation_rate)
        if self.data_format == "channels_last":
            return (input_shape[0], *out_hw, self.filters)
        return (input_shape[0], self.filters, *out_hw)

    def float_equivalent(self) -> Conv2D:
        """The dense float32 Conv2D with the same (pruned) weights."""
        conv = Conv2D(self.filters, self.kernel_size, self.strides, self.padding, self.data_format, self.dilation_rate,
                      activation=self.activation, use_bias=self.use_bias, name=f"{self.name}_dense",
                      backend=self.backend)
        conv.build(self.input_shape)
        conv.set_weights(self.get_weights())
        return conv

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "dilation_rate": self.dilation_rate,
                "data_format": self.data_format,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}
