"""QTensor: int8 / uint8 codes with a scale and zero point, per tensor or per channel.

The real value of a code q is ``(q - zero_point) * scale``; with ``axis`` set, there is
one (scale, zero point) pair per index along that axis. Symmetric quantization is
zero_point 0 (int8 codes in [-127, 127]); asymmetric maps [min, max] onto the whole code
range. Every parameter is validated on construction (see ``validation.quant_params``).

    q = QTensor.from_float(w, np.int8, axis=0)        # per-channel symmetric
    q = pk.ops.quantize(x, scale=0.02, zero_point=128, dtype=np.uint8)
    x_hat = q.dequantize()
"""
from __future__ import annotations

import math

import numpy as np

from pykernels import validation


_SCALARS = (float, int, np.floating, np.integer)
_TINY = float(np.finfo(np.float32).tiny)


def _asymmetric_scalar(lo: float, hi: float, qmin: int, qmax: int) -> tuple[np.ndarray, np.ndarray]:
    """choose_qparams for one range in Python floats: the same float64 steps, no array overhead
    (dynamic quantization runs this on every call)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"choose_qparams: the range must be finite, got [{lo}, {hi}]")
    scale = np.float32(max((hi - lo) / (qmax - qmin), _TINY))
    if scale == np.float32(_TINY):
        scale = np.float32(1.0)
    zero_point = min(max(qmin - round(lo / float(scale)), qmin), qmax)  # round(): half to even, as np.rint
    return np.array(scale, np.float32), np.array(zero_point, np.int32)


def choose_qparams(lo, hi, dtype=np.uint8, *, symmetric: bool = False, qmin: int | None = None,
                   qmax: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(scale float32, zero_point int32) mapping the range [lo, hi] (arrays: per channel) onto codes.

    Asymmetric: [min(lo, 0), max(hi, 0)] onto [qmin, qmax] with 0.0 exactly representable.
    Symmetric: [-a, a], a = max(|lo|, |hi|), onto [-qmax, qmax] with zero point 0 (int8)
    or 128 (uint8). qmin / qmax default to the dtype's range (a narrower range, e.g.
    [0, 127], is how activations are kept clear of int16 saturation).
    """
    dt = validation.quantized_dtype(dtype, "choose_qparams")
    dmin, dmax = validation.QUANTIZED_RANGES[dt]
    qmin = dmin if qmin is None else qmin
    qmax = dmax if qmax is None else qmax
    if not dmin <= qmin < qmax <= dmax:
        raise ValueError(f"choose_qparams: need {dmin} <= qmin < qmax <= {dmax}, got [{qmin}, {qmax}]")
    if not symmetric and isinstance(lo, _SCALARS) and isinstance(hi, _SCALARS):
        return _asymmetric_scalar(float(lo), float(hi), qmin, qmax)
    lo = np.minimum(np.asarray(lo, np.float64), 0.0)
    hi = np.maximum(np.asarray(hi, np.float64), 0.0)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise ValueError(f"choose_qparams: the range must be finite, got [{lo}, {hi}]")
    if symmetric:
        middle = 0 if dt == np.int8 else 128
        half = min(qmax - middle, middle - qmin)
        if half < 1:
            raise ValueError(f"choose_qparams: symmetric {dt} needs qmin < {middle} < qmax, got [{qmin}, {qmax}]")
        scale = np.array(np.maximum(np.maximum(-lo, hi) / half, _TINY), np.float32)
        zero_point = np.full(scale.shape, middle, np.int32)
    else:
        scale = np.array(np.maximum((hi - lo) / (qmax - qmin), _TINY), np.float32)
        zero_point = np.array(np.clip(qmin - np.rint(lo / scale), qmin, qmax), np.int32)
    scale[scale == np.float32(_TINY)] = 1.0  # an all-zero range: any scale represents it
    return scale, zero_point


def dynamic_qparams(x: np.ndarray, qmax: int, op: str) -> tuple[np.float32, int]:
    """(scale, zero_point) mapping the range of float32 ``x`` (and 0) onto uint8 codes [0, qmax].

    The parameters of dynamic quantization (the C++ kernel computes the same in
    gemm_int8_driver.cc: int8_dynamic_qparams). NaN or inf in x -> ValueError.
    """
    if x.size == 0:
        return np.float32(1.0), 0
    lo, hi = float(np.min(x)), float(np.max(x))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{op}: the input contains NaN or inf; dynamic quantization needs a finite range")
    scale, zero_point = _asymmetric_scalar(lo, hi, 0, qmax)
    return scale[()], int(zero_point)


def dynamic_row_qparams(x: np.ndarray, qmax: int, op: str) -> tuple[np.ndarray, np.ndarray]:
    """dynamic_qparams of each row of 2-D float32 ``x``: (scales float32, zero points int32), one
    per row (the C++ kernel chooses the same while it packs A). NaN or inf in x -> ValueError."""
    if x.shape[1] == 0:
        return np.ones(x.shape[0], np.float32), np.zeros(x.shape[0], np.int32)
    lo, hi = np.min(x, axis=1), np.max(x, axis=1)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise ValueError(f"{op}: the input contains NaN or inf; dynamic quantization needs a finite range")
    return choose_qparams(lo, hi, np.uint8, qmin=0, qmax=qmax)


class QTensor:
    """int8 / uint8 ``data`` with ``scale`` and ``zero_point`` (per tensor, or per channel along ``axis``)."""

    __slots__ = ("data", "scale", "zero_point", "axis")

    def __init__(self, data: np.ndarray, scale, zero_point=0, axis: int | None = None):
        data = validation.integer_array(data, "QTensor", "data", (np.int8, np.uint8))
        channels = None
        if axis is not None:
            axis = validation.axis_index(axis, data.ndim, "QTensor")
            channels = data.shape[axis]
        self.data = data
        self.axis = axis
        self.scale, self.zero_point = validation.quant_params(scale, zero_point, data.dtype, "QTensor",
                                                              channels=channels)

    @classmethod
    def from_float(cls, x: np.ndarray, dtype=np.int8, *, axis: int | None = None, symmetric: bool | None = None,
                   backend: str = "auto") -> "QTensor":
        """Quantize ``x`` on its min/max (per channel along ``axis``); symmetric by default for int8."""
        from pykernels import ops

        x = validation.float32_array(x, "QTensor.from_float", "x")
        if x.size == 0:
            raise ValueError(f"QTensor.from_float: x is empty (shape {x.shape})")
        if not np.isfinite(x).all():
            raise ValueError("QTensor.from_float: x contains NaN or inf; its range is undefined")
        dt = validation.quantized_dtype(dtype, "QTensor.from_float")
        symmetric = dt == np.int8 if symmetric is None else symmetric
        if axis is None:
            lo, hi = x.min(), x.max()
        else:
            axis = validation.axis_index(axis, x.ndim, "QTensor.from_float")
            others = tuple(d for d in range(x.ndim) if d != axis)
            lo, hi = x.min(axis=others), x.max(axis=others)
        scale, zero_point = choose_qparams(lo, hi, dt, symmetric=symmetric)
        return ops.quantize(x, scale, zero_point, dt, axis=axis, backend=backend)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def per_channel(self) -> bool:
        return self.axis is not None

    @property
    def symmetric(self) -> bool:
        """Zero point at the middle of the code range: 0 (int8) or 128 (uint8)."""
        return bool((self.zero_point == (0 if self.dtype == np.int8 else 128)).all())

    def channel_params(self) -> tuple[np.ndarray, np.ndarray]:
        """(scale, zero_point) shaped to broadcast against ``data``."""
        if self.axis is None:
            return self.scale.reshape(()), self.zero_point.reshape(())
        shape = [1] * self.data.ndim
        shape[self.axis] = -1
        return self.scale.reshape(shape), self.zero_point.reshape(shape)

    def dequantize(self, *, backend: str = "auto") -> np.ndarray:
        from pykernels import ops

        return ops.dequantize(self, backend=backend)

    def __repr__(self) -> str:
        where = "per tensor" if self.axis is None else f"per channel (axis {self.axis})"
        return (f"QTensor(shape={self.shape}, dtype={self.dtype}, {where}, "
                f"scale={self.scale[:4].tolist()}{'...' * (self.scale.size > 4)}, "
                f"zero_point={self.zero_point[:4].tolist()}{'...' * (self.zero_point.size > 4)})")
