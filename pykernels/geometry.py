"""Sliding-window geometry shared by convolution and pooling: padding forms, output sizes.

One place for the arithmetic that the ops, the reference and the layers all need:

- ``pair``: an int or a pair of ints, checked (stride, dilation, kernel size);
- ``padding``: every padding form as explicit (top, bottom, left, right);
- ``conv_output``: output height and width of a convolution (or a floor-mode pooling);
- ``pool_output``: the same with PyTorch's ``ceil_mode`` rule;
- ``conv``: all of a convolution's checked geometry at once, remembered for the plain
  arguments a layer passes on every call.

Window extent along an axis is ``(k - 1) * d + 1`` (kernel k, dilation d).
"""
from __future__ import annotations

import functools

from pykernels import validation

PADDING_NAMES = ("valid", "same")


def pair(value, op: str, name: str, *, minimum: int = 1) -> tuple[int, int]:
    """``value`` (an int or a pair of ints) as (height, width), each at least ``minimum``."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return tuple(validation.integer(v, op, name, minimum=minimum) for v in items)


def extent(kernel: int, dilation: int) -> int:
    """How many input positions a dilated window spans."""
    return (kernel - 1) * dilation + 1


def same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's "same": output ceil(size / stride), the extra pixel (if odd) at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + extent(kernel, dilation) - size, 0)
    return total // 2, total - total // 2


def padding(value, op: str, in_hw: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
            dilation: tuple[int, int] = (1, 1)) -> tuple[int, int, int, int]:
    """Any padding form as (top, bottom, left, right).

    Forms: ``"valid"`` (none), ``"same"`` (TensorFlow: asymmetric when the total is odd),
    an int (all sides), a pair (height, width: both sides of each axis), or an explicit
    4-tuple (top, bottom, left, right).
    """
    if isinstance(value, str):
        if value not in PADDING_NAMES:
            raise ValueError(f"{op}: padding must be 'valid', 'same', an int, a pair or (top, bottom, left, right), "
                             f"got {value!r}")
        if value == "valid":
            return 0, 0, 0, 0
        return (*same_padding(in_hw[0], kernel[0], stride[0], dilation[0]),
                *same_padding(in_hw[1], kernel[1], stride[1], dilation[1]))
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(items) not in (1, 2, 4):
        raise ValueError(f"{op}: padding must be an int, a pair or (top, bottom, left, right), got {value!r}")
    pads = tuple(validation.integer(v, op, "padding", minimum=0) for v in items)
    if len(pads) == 1:
        return pads * 4
    if len(pads) == 2:
        return pads[0], pads[0], pads[1], pads[1]
    return pads


def _check_fits(op: str, in_hw, pads, kernel, dilation) -> None:
    for axis, size, before, after, k, d in (("height", in_hw[0], pads[0], pads[1], kernel[0], dilation[0]),
                                            ("width", in_hw[1], pads[2], pads[3], kernel[1], dilation[1])):
        if extent(k, d) > size + before + after:
            raise ValueError(f"{op}: the window ({k} taps, dilation {d}: extent {extent(k, d)}) is larger than the "
                             f"padded input {axis} {size} + {before} + {after} = {size + before + after}")


def conv_output(op: str, in_hw, kernel, stride, pads, dilation=(1, 1)) -> tuple[int, int]:
    """(out_h, out_w) of a convolution; ValueError when the window exceeds the padded input."""
    _check_fits(op, in_hw, pads, kernel, dilation)
    return tuple((in_hw[a] + pads[2 * a] + pads[2 * a + 1] - extent(kernel[a], dilation[a])) // stride[a] + 1
                 for a in range(2))


def pool_output(op: str, in_hw, kernel, stride, pads, ceil_mode: bool) -> tuple[int, int]:
    """(out_h, out_w) of a pooling, PyTorch's rule: with ``ceil_mode`` the last window may
    run past the padded input but must start inside the input or its leading padding."""
    _check_fits(op, in_hw, pads, kernel, (1, 1))
    for a, axis in enumerate(("height", "width")):
        if max(pads[2 * a], pads[2 * a + 1]) >= kernel[a]:
            raise ValueError(f"{op}: {axis} padding ({pads[2 * a]}, {pads[2 * a + 1]}) must be smaller than the "
                             f"pool size {kernel[a]}, or a window would see only padding")
    sizes = []
    for a in range(2):
        span = in_hw[a] + pads[2 * a] + pads[2 * a + 1] - kernel[a]
        out = (-(-span // stride[a]) if ceil_mode else span // stride[a]) + 1
        if ceil_mode and (out - 1) * stride[a] >= in_hw[a] + pads[2 * a]:
            out -= 1
        sizes.append(out)
    return tuple(sizes)



def _checked_conv(op: str, in_hw, kernel_size, stride, pad, dilation) -> tuple:
    kernel = pair(kernel_size, op, "kernel_size")
    stride = pair(stride, op, "stride")
    dilation = pair(dilation, op, "dilation")
    pads = padding(pad, op, in_hw, kernel, stride, dilation)
    return kernel, stride, dilation, pads, conv_output(op, in_hw, kernel, stride, pads, dilation)


_remembered_conv = functools.lru_cache(maxsize=256)(_checked_conv)


def _plain(value) -> bool:
    """An int, a str or a tuple of ints, exactly: equal plain arguments check the same way
    (1, 1.0 and True are equal keys, but only 1 passes the checks)."""
    kind = type(value)
    return kind is int or kind is str or (kind is tuple and all(type(v) is int for v in value))


def conv(op: str, in_hw, kernel_size, stride, pad, dilation) -> tuple:
    """(kernel, stride, dilation, pads, out_hw) of a convolution over an input of spatial
    size ``in_hw``: ``pair`` / ``padding`` / ``conv_output`` in one call. Plain arguments
    (ints, strs, tuples of ints) are remembered: a layer passes the same ones on every
    call, and checking them costs as much as a small convolution."""
    if _plain(kernel_size) and _plain(stride) and _plain(pad) and _plain(dilation):
        return _remembered_conv(op, tuple(in_hw), kernel_size, stride, pad, dilation)
    return _checked_conv(op, in_hw, kernel_size, stride, pad, dilation)
