"""Convolution and pooling layers (Keras semantics) on ``pykernels.ops.conv2d`` and the pooling ops.

Images are ``channels_last`` (N, H, W, C) by default, as in Keras; ``channels_first``
works too. Kernels are stored in Keras' layouts, (kh, kw, in / groups, filters) for
Conv2D and (kh, kw, channels, multiplier) for DepthwiseConv2D, so ``set_weights`` takes
Keras weights unchanged; ``ops.conv2d`` reads them in place through the OIHW views of
``ops.oihw_from_hwio`` / ``ops.oihw_from_keras_depthwise``. That storage is also the
layout the C++ implicit GEMM multiplies by, so the weights are never repacked per call.
"""
from __future__ import annotations

import numpy as np

from pykernels import geometry, ops, validation
from pykernels.layers import initializers
from pykernels.layers.base import InputSpec, Layer, format_shape
from pykernels.ops.conv import data_format_name


def _check_padding(padding, layer: Layer):
    """Fail at construction (not first call) on a padding no input could use."""
    geometry.padding(padding, str(layer), (1, 1), (1, 1), (1, 1))
    return padding


class _Spatial(Layer):
    """What the convolution and pooling layers share: data format and window geometry."""

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate=1, name=None, backend="auto"):
        super().__init__(name=name, backend=backend)
        self.kernel_size = geometry.pair(kernel_size, str(self), "kernel_size")
        self.strides = geometry.pair(strides, str(self), "strides")
        self.dilation_rate = geometry.pair(dilation_rate, str(self), "dilation_rate")
        self.padding = _check_padding(padding, self)
        self.data_format = data_format_name(data_format, str(self))
        self.input_spec = InputSpec(ndim=4)

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _spatial(self, input_shape) -> tuple:
        return tuple(input_shape[1:3]) if self.data_format == "channels_last" else tuple(input_shape[2:4])

    def _with(self, input_shape, spatial, channels) -> tuple:
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, channels)
        return (input_shape[0], channels, *spatial)

    def _output_spatial(self, input_shape) -> tuple:
        hw = self._spatial(input_shape)
        if None in hw:
            return (None, None)
        pads = geometry.padding(self.padding, str(self), hw, self.kernel_size, self.strides, self.dilation_rate)
        return self._out_size(hw, pads)

    def _out_size(self, hw, pads) -> tuple:
        return geometry.conv_output(str(self), hw, self.kernel_size, self.strides, pads, self.dilation_rate)

    def _channels(self, input_shape) -> int:
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"{self}: the channel dimension of the input must be known to build, "
                             f"got shape {format_shape(input_shape)}")
        return channels

    def get_config(self) -> dict:
        return {**super().get_config(), "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format}


class Conv2D(_Spatial):
    """``activation(conv2d(x, kernel) + bias)``; kernel (kh, kw, in_channels / groups, filters)."""

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", data_format: str = "channels_last",
                 dilation_rate=1, groups: int = 1, activation: str | None = None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name: str | None = None,
                 backend: str = "auto"):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, name=name, backend=backend)
        self.filters = validation.integer(filters, str(self), "filters", minimum=1)
        self.groups = validation.integer(groups, str(self), "groups", minimum=1)
        if self.filters % self.groups:
            raise ValueError(f"{self}: filters {self.filters} must be divisible by groups {self.groups}")
        self.activation = validation.activation_name(activation, str(self), validation.ELEMENTWISE_ACTIVATIONS)
        if not isinstance(use_bias, bool):
            raise TypeError(f"{self}: use_bias must be a bool, got {type(use_bias).__name__}")
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer, f"{self}: kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, f"{self}: bias_initializer")
        self.kernel: np.ndarray | None = None
        self.bias: np.ndarray | None = None

    def build(self, input_shape: tuple) -> None:
        channels = self._channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"{self}: input channels {channels} must be divisible by groups {self.groups}")
        self.kernel = self.add_weight("kernel", (*self.kernel_size, channels // self.groups, self.filters),
                                      self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis: channels})
        super().build(input_shape)

    def call(self, x: np.ndarray) -> np.ndarray:
        return ops.conv2d(x, ops.oihw_from_hwio(self.kernel), self.bias, self.strides, self.padding,
                          self.dilation_rate, self.groups, self.activation, data_format=self.data_format,
                          backend=self.backend)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self._with(input_shape, self._output_spatial(input_shape), self.filters)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "dilation_rate": self.dilation_rate, "groups": self.groups, "activation": self.activation,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


class DepthwiseConv2D(_Spatial):
    """Each input channel convolved with its own ``depth_multiplier`` filters (Keras' layer).

    Output channel c * depth_multiplier + m comes from input channel c; the kernel is
    (kh, kw, channels, depth_multiplier).
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier: int = 1,
                 data_format: str = "channels_last", dilation_rate=1, activation: str | None = None,
                 use_bias: bool = True, depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 name: str | None = None, backend: str = "auto"):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, name=name, backend=backend)
        self.depth_multiplier = validation.integer(depth_multiplier, str(self), "depth_multiplier", minimum=1)
        self.activation = validation.activation_name(activation, str(self), validation.ELEMENTWISE_ACTIVATIONS)
        if not isinstance(use_bias, bool):
            raise TypeError(f"{self}: use_bias must be a bool, got {type(use_bias).__name__}")
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer, f"{self}: depthwise_initializer")
        self.bias_initializer = initializers.get(bias_initializer, f"{self}: bias_initializer")
        self.depthwise_kernel: np.ndarray | None = None
        self.bias: np.ndarray | None = None

    def build(self, input_shape: tuple) -> None:
        channels = self._channels(input_shape)
        self.depthwise_kernel = self.add_weight("depthwise_kernel", (*self.kernel_size, channels,
                                                                     self.depth_multiplier),
                                                self.depthwise_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (channels * self.depth_multiplier,), self.bias_initializer)
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis: channels})
        super().build(input_shape)

    def call(self, x: np.ndarray) -> np.ndarray:
        channels = self.depthwise_kernel.shape[2]
        return ops.conv2d(x, ops.oihw_from_keras_depthwise(self.depthwise_kernel), self.bias, self.strides,
                          self.padding, self.dilation_rate, channels, self.activation,
                          data_format=self.data_format, backend=self.backend)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        channels = input_shape[self._channel_axis]
        out_channels = None if channels is None else channels * self.depth_multiplier
        return self._with(input_shape, self._output_spatial(input_shape), out_channels)

    def get_config(self) -> dict:
        return {**super().get_config(), "kernel_size": self.kernel_size, "depth_multiplier": self.depth_multiplier,
                "dilation_rate": self.dilation_rate, "activation": self.activation, "use_bias": self.use_bias,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


class _Pooling2D(_Spatial):
    """Max / average pooling over ``pool_size`` windows; ``strides`` defaults to ``pool_size``."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format: str = "channels_last",
                 name: str | None = None, backend: str = "auto"):
        super().__init__(pool_size, pool_size if strides is None else strides, padding, data_format,
                         name=name, backend=backend)

    @property
    def pool_size(self) -> tuple[int, int]:
        return self.kernel_size

    def _out_size(self, hw, pads) -> tuple:
        return geometry.pool_output(str(self), hw, self.kernel_size, self.strides, pads, False)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self._with(input_shape, self._output_spatial(input_shape), input_shape[self._channel_axis])

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size}


class MaxPooling2D(_Pooling2D):
    """The maximum of each window (padding never wins)."""

    def call(self, x: np.ndarray) -> np.ndarray:
        return ops.max_pool2d(x, self.pool_size, self.strides, self.padding, data_format=self.data_format,
                              backend=self.backend)


class AveragePooling2D(_Pooling2D):
    """The mean of each window; as in Keras, padded taps do not count in the divisor."""

    def call(self, x: np.ndarray) -> np.ndarray:
        return ops.avg_pool2d(x, self.pool_size, self.strides, self.padding, count_include_pad=False,
                              data_format=self.data_format, backend=self.backend)


class GlobalAveragePooling2D(Layer):
    """The mean over height and width: (N, C), or keeping the spatial axes as 1 with ``keepdims``."""

    def __init__(self, data_format: str = "channels_last", keepdims: bool = False, name: str | None = None,
                 backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.data_format = data_format_name(data_format, str(self))
        if not isinstance(keepdims, bool):
            raise TypeError(f"{self}: keepdims must be a bool, got {type(keepdims).__name__}")
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=4)

    def call(self, x: np.ndarray) -> np.ndarray:
        return ops.global_avg_pool2d(x, data_format=self.data_format, keepdims=self.keepdims, backend=self.backend)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        channels_last = self.data_format == "channels_last"
        channels = input_shape[-1 if channels_last else 1]
        if not self.keepdims:
            return (input_shape[0], channels)
        return (input_shape[0], 1, 1, channels) if channels_last else (input_shape[0], channels, 1, 1)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
