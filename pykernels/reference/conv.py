"""Reference conv2d and pooling, written for clarity: a sum over kernel taps of strided slices.

Arrays are NHWC (batch, height, width, channels); weights are PyTorch's OIHW
(out_channels, in_channels / groups, kernel_h, kernel_w). Padding is explicit
(top, bottom, left, right); ``pykernels.geometry`` turns every other form into it.
"""
import numpy as np

from pykernels import geometry
from pykernels.reference.activations import activate
from pykernels.reference.spmm import sparse_product


def _taps(xp, kh, kw, out_hw, stride, dilation):
    """The input pixels that tap (kh, kw) of every output pixel reads: (N, OH, OW, C)."""
    top, left = kh * dilation[0], kw * dilation[1]
    return xp[:, top:top + (out_hw[0] - 1) * stride[0] + 1:stride[0],
              left:left + (out_hw[1] - 1) * stride[1] + 1:stride[1], :]


def conv2d(x, w, bias=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1, activation=None,
           dtype=np.float64):
    """act(conv(x, w) + bias) for NHWC ``x`` and OIHW ``w``; the output is NHWC."""
    x, w = np.asarray(x, dtype), np.asarray(w, dtype)
    n = x.shape[0]
    oc, cg, kh_size, kw_size = w.shape
    out_hw, xp = _output_and_padded(x, (kh_size, kw_size), stride, padding, dilation)
    wg = w.reshape(groups, oc // groups, cg, kh_size, kw_size)
    y = np.zeros((n, *out_hw, groups, oc // groups), dtype)
    for kh in range(kh_size):
        for kw in range(kw_size):
            patch = _taps(xp, kh, kw, out_hw, stride, dilation).reshape(n, *out_hw, groups, cg)
            y += np.einsum("nhwgc,goc->nhwgo", patch, wg[:, :, :, kh, kw])
    y = y.reshape(n, *out_hw, oc)
    if bias is not None:
        y = y + np.asarray(bias, dtype)
    return activate(y, activation, dtype)


def conv2d_sparse(x, w, kernel, bias=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), activation=None,
                  dtype=np.float64):
    """act(conv(x, w) + bias) for NHWC ``x`` and a sparse ``w`` of shape (O, KH * KW * C)
    (columns in (kh, kw, c) order), summed over w's stored entries (pykernels.reference.spmm)."""
    x = np.asarray(x, dtype)
    out_hw, xp = _output_and_padded(x, kernel, stride, padding, dilation)
    columns = np.concatenate([_taps(xp, kh, kw, out_hw, stride, dilation)
                              for kh in range(kernel[0]) for kw in range(kernel[1])], axis=3)
    y = sparse_product(w, columns.reshape(-1, columns.shape[3]).T, dtype).T.reshape(x.shape[0], *out_hw, -1)
    if bias is not None:
        y = y + np.asarray(bias, dtype)
    return activate(y, activation, dtype)


def _output_and_padded(x, kernel, stride, padding, dilation):
    """The output size (OH, OW) and ``x`` with its explicit (top, bottom, left, right) zero padding."""
    out_hw = geometry.conv_output("conv2d", x.shape[1:3], kernel, stride, padding, dilation)
    top, bottom, left, right = padding
    return out_hw, np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))


def _pool_windows(x, kernel, stride, padding, out_hw, fill):
    """Every window tap as (N, OH, OW, C) slices of x padded with ``fill`` (enough for ceil_mode)."""
    n, h, w, c = x.shape
    top, _, left, _ = padding
    bottom = (out_hw[0] - 1) * stride[0] + kernel[0] - h - top
    right = (out_hw[1] - 1) * stride[1] + kernel[1] - w - left
    xp = np.pad(x, ((0, 0), (top, max(bottom, 0)), (left, max(right, 0)), (0, 0)), constant_values=fill)
    return [_taps(xp, kh, kw, out_hw, stride, (1, 1)) for kh in range(kernel[0]) for kw in range(kernel[1])]


def max_pool2d(x, kernel, stride, padding=(0, 0, 0, 0), ceil_mode=False, dtype=np.float64):
    """The maximum of each window of NHWC ``x``; padding never wins; NaN propagates."""
    x = np.asarray(x, dtype)
    out_hw = geometry.pool_output("max_pool2d", x.shape[1:3], kernel, stride, padding, ceil_mode)
    return np.max(np.stack(_pool_windows(x, kernel, stride, padding, out_hw, -np.inf)), axis=0)


def avg_pool2d(x, kernel, stride, padding=(0, 0, 0, 0), ceil_mode=False, count_include_pad=True,
               dtype=np.float64):
    """The mean of each window of NHWC ``x``.

    The divisor counts the window's taps inside the input, plus (count_include_pad) those
    in the padding, but never the taps that ceil_mode lets run past the padded input.
    """
    x = np.asarray(x, dtype)
    n, h, w, c = x.shape
    out_hw = geometry.pool_output("avg_pool2d", (h, w), kernel, stride, padding, ceil_mode)
    total = np.sum(np.stack(_pool_windows(x, kernel, stride, padding, out_hw, 0)), axis=0)
    top, bottom, left, right = padding
    counted = np.zeros((1, h + top + bottom, w + left + right, 1), dtype)
    if count_include_pad:
        counted[...] = 1
    else:
        counted[:, top:top + h, left:left + w] = 1
    inner = (0, 0, 0, 0)  # counted already holds the padding
    divisor = np.sum(np.stack(_pool_windows(counted, kernel, stride, inner, out_hw, 0)), axis=0)
    return total / divisor


def global_avg_pool2d(x, dtype=np.float64):
    """The mean over height and width of NHWC ``x``: (N, C)."""
    return np.asarray(x, dtype).mean(axis=(1, 2))
