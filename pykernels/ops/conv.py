"""conv2d and 2-D pooling on the registry's kernels.

Kernel contracts (every backend implements exactly these; arrays are float32)::

    conv2d(x, out, w, bias, stride, padding, dilation, groups, activation)
    max_pool2d(x, out, kernel, stride, padding, ceil_mode)
    avg_pool2d(x, out, kernel, stride, padding, ceil_mode, count_include_pad)
    global_avg_pool2d(x, out)

``x`` is C-contiguous NHWC, ``out`` C-contiguous NHWC of the right shape ((N, C) for the
global pooling), ``w`` OIHW with any strides (so an HWIO kernel viewed as OIHW is read in
place), ``bias`` contiguous of length O or None; ``stride``, ``dilation``, ``kernel`` are
(height, width) pairs and ``padding`` is (top, bottom, left, right); ``activation`` is
one of validation.ELEMENTWISE_ACTIVATIONS. The ops accept NCHW ("channels_first") too and
convert it to NHWC around the kernel.
"""
from __future__ import annotations

import numpy as np

from pykernels import geometry, validation
from pykernels.registry import resolve
from pykernels.cuda.arrays import is_device_array

DATA_FORMATS = ("channels_first", "channels_last")


def oihw_from_hwio(kernel: np.ndarray) -> np.ndarray:
    """A Keras / TensorFlow Conv2D kernel (kh, kw, in/groups, out) as PyTorch OIHW weights.

    The result is a transposed view (no copy); conv2d reads it in place, in the layout the
    GEMM wants, so HWIO storage is the fast path for weights that live in a layer.
    """
    kernel = validation.float32_array(kernel, "oihw_from_hwio", "kernel", ndim=4)
    return kernel.transpose(3, 2, 0, 1)


def oihw_from_keras_depthwise(kernel: np.ndarray) -> np.ndarray:
    """A Keras DepthwiseConv2D kernel (kh, kw, channels, multiplier) as OIHW weights
    (channels * multiplier, 1, kh, kw) for ``conv2d(..., groups=channels)``: output
    channel c * multiplier + m filters input channel c, as in both frameworks. A view when
    the kernel is contiguous."""
    kernel = validation.float32_array(kernel, "oihw_from_keras_depthwise", "kernel", ndim=4)
    kh, kw, c, m = kernel.shape
    return kernel.reshape(kh, kw, 1, c * m).transpose(3, 2, 0, 1)


def data_format_name(data_format, op: str) -> str:
    if data_format not in DATA_FORMATS:
        raise ValueError(f"{op}: data_format must be one of {list(DATA_FORMATS)}, got {data_format!r}")
    return data_format


def _nhwc_input(x, op: str, data_format: str) -> np.ndarray:
    x = validation.float32_array(x, op, "x", ndim=4)
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1) if data_format == "channels_first" else x)


def _run(op: str, kernel, x_nhwc: np.ndarray, nhwc_shape: tuple, data_format: str, out, inputs, *args):
    """Run ``kernel(x_nhwc, target, *args)`` and return the result in ``data_format`` (in ``out`` if given)."""
    if data_format == "channels_last":
        target, user_out = validation.output(out, nhwc_shape, op, inputs)
        kernel(x_nhwc, target, *args)
        return validation.finish(target, user_out)
    n, h, w, c = nhwc_shape
    if out is not None:
        validation.output(out, (n, c, h, w), op, inputs)  # checks the user's out
    validation.check_nbytes(nhwc_shape, op)
    target = np.empty(nhwc_shape, np.float32)
    kernel(x_nhwc, target, *args)
    result = target.transpose(0, 3, 1, 2)
    if out is None:
        return np.ascontiguousarray(result)
    np.copyto(out, result)
    return out


def conv2d(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1, activation: str | None = None, *, data_format: str = "channels_first",
           out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``act(conv2d(x, w) + bias)``: PyTorch's F.conv2d semantics with a fused activation.

    ``x`` is (N, C, H, W) for data_format="channels_first" (the default, as in PyTorch) or
    (N, H, W, C) for "channels_last"; the result has the same layout. ``w`` is OIHW
    (out_channels, in_channels / groups, kh, kw); Keras kernels convert with
    ``oihw_from_hwio`` / ``oihw_from_keras_depthwise``. ``stride`` and ``dilation``: int
    or (h, w). ``padding``: "valid", "same" (TensorFlow: output ceil(in / stride), the odd
    pixel at the bottom / right), an int, (h, w) or (top, bottom, left, right).
    ``groups`` splits channels; groups = in_channels is a depthwise convolution
    (out_channels = multiplier x in_channels). ``activation``: relu, sigmoid, tanh, gelu.
    Device arrays (NHWC, channels_last) run on the GPU backends (pykernels.ops.device.conv2d).
    """
    if is_device_array(x):
        from pykernels.ops import device
        return device.conv2d(x, w, bias, stride, padding, dilation, groups, activation, data_format=data_format,
                             out=out, backend=backend)
    op = "conv2d"
    data_format = data_format_name(data_format, op)
    xh = _nhwc_input(x, op, data_format)
    w = validation.float32_array(w, op, "w", ndim=4)
    activation = validation.activation_name(activation, op, validation.ELEMENTWISE_ACTIVATIONS)
    n, h, width, c = xh.shape
    oc, cg, kh, kw = w.shape
    groups = validation.integer(groups, op, "groups", minimum=1)
    if kh < 1 or kw < 1:
        raise ValueError(f"{op}: the kernel must be at least 1x1, got w of shape {w.shape}")
    if c % groups or oc % groups:
        raise ValueError(f"{op}: in_channels {c} and out_channels {oc} must both be divisible by groups {groups}")
    if cg * groups != c:
        raise ValueError(f"{op}: w of shape {w.shape} expects {cg} x groups {groups} = {cg * groups} input "
                         f"channels, x has {c}")
    if bias is not None:
        bias = validation.contiguous_float32(bias, op, "bias", ndim=1)
        if bias.shape[0] != oc:
            raise ValueError(f"{op}: bias has shape {bias.shape}, expected ({oc},) to match w {w.shape}")
    _, stride, dilation, pads, out_hw = geometry.conv(op, (h, width), (kh, kw), stride, padding, dilation)
    kernel = resolve(op, backend)
    inputs = (x, w) + ((bias,) if bias is not None else ())
    return _run(op, kernel, xh, (n, *out_hw, oc), data_format, out, inputs, w, bias, stride, pads, dilation,
                groups, activation)


def _pool_args(x, kernel_size, stride, padding, ceil_mode, data_format, op):
    data_format = data_format_name(data_format, op)
    xh = _nhwc_input(x, op, data_format)
    kernel = geometry.pair(kernel_size, op, "kernel_size")
    stride = kernel if stride is None else geometry.pair(stride, op, "stride")
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"{op}: ceil_mode must be a bool, got {type(ceil_mode).__name__}")
    pads = geometry.padding(padding, op, xh.shape[1:3], kernel, stride)
    out_hw = geometry.pool_output(op, xh.shape[1:3], kernel, stride, pads, ceil_mode)
    return xh, data_format, kernel, stride, pads, out_hw


def max_pool2d(x: np.ndarray, kernel_size, stride=None, padding=0, ceil_mode: bool = False, *,
               data_format: str = "channels_first", out: np.ndarray | None = None,
               backend: str = "auto") -> np.ndarray:
    """The maximum of each window (PyTorch's F.max_pool2d; padding never wins, NaN propagates).

    ``stride`` defaults to ``kernel_size``; ``padding`` takes every form conv2d takes, each
    side smaller than the window; ``ceil_mode`` keeps a last partial window.
    """
    op = "max_pool2d"
    xh, data_format, kernel, stride, pads, out_hw = _pool_args(x, kernel_size, stride, padding, ceil_mode,
                                                               data_format, op)
    n, _, _, c = xh.shape
    return _run(op, resolve(op, backend), xh, (n, *out_hw, c), data_format, out, (x,), kernel, stride, pads,
                ceil_mode)


def avg_pool2d(x: np.ndarray, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, *, data_format: str = "channels_first",
               out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """The mean of each window (PyTorch's F.avg_pool2d).

    ``count_include_pad``: whether padded taps count in the divisor (taps that ceil_mode
    lets run past the padded input never do).
    """
    op = "avg_pool2d"
    xh, data_format, kernel, stride, pads, out_hw = _pool_args(x, kernel_size, stride, padding, ceil_mode,
                                                               data_format, op)
    if not isinstance(count_include_pad, bool):
        raise TypeError(f"{op}: count_include_pad must be a bool, got {type(count_include_pad).__name__}")
    n, _, _, c = xh.shape
    return _run(op, resolve(op, backend), xh, (n, *out_hw, c), data_format, out, (x,), kernel, stride, pads,
                ceil_mode, count_include_pad)


def global_avg_pool2d(x: np.ndarray, *, data_format: str = "channels_first", keepdims: bool = False,
                      out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """The mean over height and width: (N, C), or (N, C, 1, 1) / (N, 1, 1, C) with ``keepdims``."""
    op = "global_avg_pool2d"
    data_format = data_format_name(data_format, op)
    xh = _nhwc_input(x, op, data_format)
    n, h, w, c = xh.shape
    if h < 1 or w < 1:
        raise ValueError(f"{op}: x must have at least one pixel, got height {h} and width {w}")
    if not isinstance(keepdims, bool):
        raise TypeError(f"{op}: keepdims must be a bool, got {type(keepdims).__name__}")
    shape = (n, c) if not keepdims else ((n, c, 1, 1) if data_format == "channels_first" else (n, 1, 1, c))
    target, user_out = validation.output(out, shape, op, (x,))
    resolve(op, backend)(xh, target.reshape(n, c))
    return validation.finish(target, user_out)
