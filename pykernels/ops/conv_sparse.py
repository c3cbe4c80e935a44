"""conv2d_sparse: a convolution whose weights are a sparse matrix, on the registry's kernels.

Kernel contract for op "conv2d_sparse" (every backend implements exactly this)::

    conv2d_sparse(x, out, w, kernel, bias, stride, padding, dilation, activation)

``x`` is C-contiguous float32 NHWC, ``out`` C-contiguous NHWC of the output shape; ``w`` a
validated sparse matrix (pykernels.formats) of shape (out_channels, kh * kw * in_channels)
whose columns are the taps in (kh, kw, c) order — a Keras HWIO kernel reshaped to
(taps, out) and transposed; ``kernel``, ``stride``, ``dilation`` are (height, width)
pairs, ``padding`` (top, bottom, left, right); ``bias`` contiguous of length
out_channels or None; ``activation`` one of validation.ELEMENTWISE_ACTIVATIONS. groups is 1.
"""
from __future__ import annotations

import numpy as np

from pykernels import geometry, validation
from pykernels.ops.conv import _nhwc_input, _run, data_format_name
from pykernels.registry import resolve


def sparse_from_hwio(kernel: np.ndarray) -> np.ndarray:
    """A Keras Conv2D kernel (kh, kw, in, out) as the dense (out, kh * kw * in) matrix conv2d_sparse's w holds."""
    kernel = validation.float32_array(kernel, "sparse_from_hwio", "kernel", ndim=4)
    return kernel.reshape(-1, kernel.shape[-1]).T


def conv2d_sparse(x: np.ndarray, w, kernel_size, bias: np.ndarray | None = None, stride=1, padding=0, dilation=1,
                  activation: str | None = None, *, data_format: str = "channels_first",
                  out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``act(conv2d(x, W) + bias)`` with W a sparse (out_channels, kh * kw * in_channels) matrix.

    The product runs as SpMM on implicit im2col panels: the im2col matrix is never
    materialised. ``kernel_size``: int or (kh, kw); the other arguments as ``ops.conv2d``
    (``padding`` "valid", "same", an int, a pair or four values). Build ``w`` from a Keras
    kernel with ``formats.to_sparse(sparse_from_hwio(kernel), pattern)``.
    """
    op = "conv2d_sparse"
    data_format = data_format_name(data_format, op)
    xh = _nhwc_input(x, op, data_format)
    w = validation.sparse_matrix(w, op)
    activation = validation.activation_name(activation, op, validation.ELEMENTWISE_ACTIVATIONS)
    n, h, width, c = xh.shape
    kernel, stride, dilation, pads, out_hw = geometry.conv(op, (h, width), kernel_size, stride, padding, dilation)
    oc, taps = w.shape
    if taps != kernel[0] * kernel[1] * c:
        raise ValueError(f"{op}: w of shape {w.shape} has {taps} columns, expected kh * kw * in_channels = "
                         f"{kernel[0]} * {kernel[1]} * {c} = {kernel[0] * kernel[1] * c}")
    if bias is not None:
        bias = validation.contiguous_float32(bias, op, "bias", ndim=1)
        if bias.shape[0] != oc:
            raise ValueError(f"{op}: bias has shape {bias.shape}, expected ({oc},) to match w {w.shape}")
    impl = resolve(op, backend)
    inputs = (x,) + ((bias,) if bias is not None else ())
    return _run(op, impl, xh, (n, *out_hw, oc), data_format, out, inputs, w, kernel, bias, stride, pads, dilation,
                activation)

