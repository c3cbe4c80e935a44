"""Input validation shared by every op: one place for the bad-input policy.

- wrong dtype or type -> TypeError
- wrong rank, shape, parameter -> ValueError
- sizes whose byte count cannot be addressed -> OverflowError

Messages name the op, the argument, what was expected and what was given. Arrays that
the kernels cannot read in place (misaligned views) are copied; any other strides,
negative ones included, are passed through.
"""
from __future__ import annotations

import math
import numbers
import operator
from typing import Sequence

import numpy as np

ELEMENTWISE_ACTIVATIONS = ("none", "relu", "sigmoid", "tanh", "gelu")
ACTIVATIONS = ELEMENTWISE_ACTIVATIONS + ("softmax",)
MAX_BYTES = np.iinfo(np.intp).max


def float32_array(x, op: str, name: str, *, ndim: int | None = None, min_ndim: int = 0) -> np.ndarray:
    """``x`` as a float32 ndarray the kernels can read (its own memory when possible)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{op}: {name} must be a numpy.ndarray of float32, got {type(x).__name__}")
    if x.dtype != np.float32:
        raise TypeError(f"{op}: {name} must be float32, got {x.dtype} (convert with {name}.astype(np.float32))")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D, got {x.ndim}-D array of shape {x.shape}")
    if x.ndim < min_ndim:
        raise ValueError(f"{op}: {name} must have at least {min_ndim} dimensions, got shape {x.shape}")
    if not x.flags.aligned:
        x = x.copy()
    return x


def contiguous_float32(x, op: str, name: str, **kw) -> np.ndarray:
    """Like ``float32_array``, then C-contiguous (copied if needed)."""
    return np.ascontiguousarray(float32_array(x, op, name, **kw))


def check_nbytes(shape: Sequence[int], op: str, what: str = "output", itemsize: int = 4) -> None:
    """OverflowError if an array of ``shape`` could not be addressed."""
    count = math.prod(map(int, shape))  # Python ints: NumPy integers would wrap
    if count * itemsize > MAX_BYTES:
        raise OverflowError(f"{op}: {what} of shape {tuple(shape)} needs {count * itemsize} bytes, "
                            f"more than the addressable maximum {MAX_BYTES}")


def activation_name(activation, op: str, allowed: Sequence[str] = ACTIVATIONS) -> str:
    """Normalise an activation (None and "linear" mean "none")."""
    if activation is None or activation == "linear":
        return "none"
    if not isinstance(activation, str):
        raise TypeError(f"{op}: activation must be a str or None, got {type(activation).__name__}")
    if activation not in allowed:
        raise ValueError(f"{op}: unknown activation {activation!r}; expected one of {list(allowed)}")
    return activation


def integer(value, op: str, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python int (bool rejected), at least ``minimum`` and at most ``maximum``."""
    if isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, got bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__}") from None
    if not -2**63 <= value < 2**63:
        raise OverflowError(f"{op}: {name} = {value} does not fit in 64 bits")
    if minimum is not None and value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{op}: {name} must be <= {maximum}, got {value}")
    return value


def real(value, op: str, name: str, *, minimum: float | None = None, above: float | None = None,
         maximum: float | None = None, below: float | None = None) -> float:
    """``value`` as a finite Python float (bool rejected: TypeError), within the given bounds
    (``minimum`` / ``maximum`` inclusive, ``above`` / ``below`` exclusive; ValueError)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{op}: {name} must be a finite number, got {value}")
    low, high = (minimum, "[", ">=") if above is None else (above, "(", ">"), \
        (maximum, "]", "<=") if below is None else (below, ")", "<")
    too_low = low[0] is not None and (value < low[0] if above is None else value <= low[0])
    too_high = high[0] is not None and (value > high[0] if below is None else value >= high[0])
    if too_low or too_high:
        if low[0] is not None and high[0] is not None:
            wanted = f"in {low[1]}{low[0]:g}, {high[0]:g}{high[1]}"
        else:
            bound = low if low[0] is not None else high
            wanted = f"{bound[2]} {bound[0]:g}"
        raise ValueError(f"{op}: {name} must be {wanted}, got {value}")
    return value


def axis_index(axis, ndim: int, op: str) -> int:
    """A valid non-negative axis for an array of rank ``ndim``."""
    axis = integer(axis, op, "axis")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a {ndim}-D array")
    return axis % ndim


def output(out, shape: tuple, op: str, inputs: Sequence[np.ndarray] = ()) -> tuple[np.ndarray, np.ndarray | None]:
    """Where a kernel writes a float32 result of ``shape``, and the user's ``out`` if any.

    Returns ``(target, out)``: ``target`` is C-contiguous and overlaps no input; when it
    is not ``out`` itself, the caller copies ``target`` into ``out`` afterwards.
    """
    if out is None:
        try:
            return np.empty(shape, np.float32), None
        except ValueError:  # NumPy's "array is too big": say so as the policy's OverflowError
            check_nbytes(shape, op)
            raise
    check_nbytes(shape, op)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{op}: out must be a numpy.ndarray of float32, got {type(out).__name__}")
    if out.dtype != np.float32:
        raise TypeError(f"{op}: out must be float32, got {out.dtype}")
    if out.shape != tuple(shape):
        raise ValueError(f"{op}: out has shape {out.shape}, expected {tuple(shape)}")
    if not out.flags.writeable:
        raise ValueError(f"{op}: out is read-only")
    usable = out.flags.c_contiguous and out.flags.aligned and not any(np.shares_memory(out, x) for x in inputs)
    return (out if usable else np.empty(shape, np.float32)), out


def finish(target: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """Copy ``target`` into the user's ``out`` when they differ; return the result."""
    if out is None:
        return target
    if target is not out:
        np.copyto(out, target)
    return out


def broadcastable(shape, target, op: str, name: str) -> None:
    """ValueError unless an array of ``shape`` broadcasts to ``target`` (NumPy's rules)."""
    shape, target = tuple(shape), tuple(target)
    if len(shape) > len(target) or any(s not in (1, t) for s, t in zip(shape[::-1], target[::-1])):
        raise ValueError(f"{op}: {name} of shape {shape} does not broadcast to {target}")
# --- quantized data (int8 family) ---------------------------------------------------
QUANTIZED_RANGES = {np.dtype(np.int8): (-128, 127), np.dtype(np.uint8): (0, 255)}


def quantized_dtype(dtype, op: str, name: str = "dtype") -> np.dtype:
    """``dtype`` as np.dtype int8 or uint8; TypeError for anything else."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {name} must be int8 or uint8, got {dtype!r}") from None
    if dt not in QUANTIZED_RANGES:
        raise TypeError(f"{op}: {name} must be int8 or uint8, got {dt}")
    return dt


def integer_array(x, op: str, name: str, dtypes: Sequence, *, ndim: int | None = None) -> np.ndarray:
    """``x`` as an ndarray of one of ``dtypes`` (TypeError otherwise), of rank ``ndim``."""
    if not isinstance(x, np.ndarray) or x.dtype not in dtypes:
        names = " or ".join(str(np.dtype(d)) for d in dtypes)
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{op}: {name} must be a numpy.ndarray of {names}, got {type(x).__name__}")
        raise TypeError(f"{op}: {name} must be {names}, got {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D, got {x.ndim}-D array of shape {x.shape}")
    if not x.flags.aligned:
        x = x.copy()
    return x


def zero_point_in_range(zero_point: int, dtype, op: str) -> int:
    """An int zero point inside ``dtype``'s range, else quant_params' ValueError (a per-call fast path)."""
    dt = np.dtype(dtype)
    lo, hi = QUANTIZED_RANGES[dt]
    if not lo <= zero_point <= hi:
        raise ValueError(f"{op}: zero_point must lie in [{lo}, {hi}] for {dt}, got [{zero_point}]")
    return zero_point


def quant_params(scale, zero_point, dtype, op: str, *, channels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validated quantization parameters as (float32 scales, int32 zero points), both 1-D.

    One value each (per tensor) or ``channels`` values (per channel); a scalar zero point
    is broadcast over the channels. Scales must be finite and > 0, zero points integers
    inside ``dtype``'s range: ValueError otherwise (TypeError for non-numeric values).
    """
    dt = quantized_dtype(dtype, op)
    s = np.asarray(scale)
    z = np.asarray(zero_point)
    if s.dtype.kind not in "fiu" or s.dtype == np.bool_:
        raise TypeError(f"{op}: scale must be real numbers, got dtype {s.dtype}")
    if z.dtype.kind not in "iu" or z.dtype == np.bool_:
        raise TypeError(f"{op}: zero_point must be integers, got dtype {z.dtype}")
    if s.ndim > 1 or z.ndim > 1:
        raise ValueError(f"{op}: scale and zero_point must be scalars or 1-D, got shapes {s.shape} and {z.shape}")
    count = channels if channels is not None else 1
    for what, v in (("scale", s), ("zero_point", z)):
        if v.ndim == 1 and v.shape[0] != count and not (what == "zero_point" and v.shape[0] == 1):
            expected = f"{count} (one per channel)" if channels is not None else "1 (per tensor: pass axis for per-channel)"
            raise ValueError(f"{op}: {what} has {v.shape[0]} values, expected {expected}")
    s32 = np.ascontiguousarray(np.broadcast_to(s, (count,)), dtype=np.float32)
    if not (np.isfinite(s32).all() and (s32 > 0).all()) or not (np.isfinite(s) & (s > 0)).all():
        raise ValueError(f"{op}: scale must be finite and > 0, got {s.ravel()[:8].tolist()}")
    lo, hi = QUANTIZED_RANGES[dt]
    if ((z < lo) | (z > hi)).any():
        raise ValueError(f"{op}: zero_point must lie in [{lo}, {hi}] for {dt}, got {z.ravel()[:8].tolist()}")
    return s32, np.ascontiguousarray(np.broadcast_to(z, (count,)), dtype=np.int32)
def sparse_matrix(w, op: str, name: str = "w"):
    """``w`` if it is one of the sparse weight formats (pykernels.formats), else TypeError."""
    from pykernels.formats import SPARSE_FORMATS
    if not isinstance(w, SPARSE_FORMATS):
        expected = ", ".join(f.__name__ for f in SPARSE_FORMATS)
        raise TypeError(f"{op}: {name} must be a sparse matrix ({expected}; build one with e.g. "
                        f"CSRMatrix.from_dense), got {type(w).__name__}")
    return w
