"""Quantization ops and the int8 GEMM on the registry's int8 kernels.

Kernel contracts (every backend implements exactly these; 2-D C-contiguous arrays unless
said otherwise; ``per`` is "tensor", "row" or "col": where the 1-D parameters vary)::

    quantize(x, scale, zero_point, per, lo, hi, q)       q = clamp(rint(x / scale) + zp, lo, hi)
    dequantize(q, scale, zero_point, per, y)             y = (q - zp) * scale
    requantize(x, multiplier, zero_point, per, lo, hi, q)  q = clamp(rint(f64(x) * m) + zp, lo, hi)
    gemm_int8(a, a_zero_point, a_scale, a_qmax, weights, out, bias=None, multiplier=None,
              bias_s32=None, out_zero_point=0, activation="none", a_per_row=False)

``gemm_int8``: S = (A - za) @ (W - zw).T exactly, A (M, K) uint8 / int8 with any strides
or float32 quantized to codes clamp(rint(a / a_scale) + za, 0, a_qmax) -- with a_scale
None, a_scale and za come from A's own range (formats.qtensor.dynamic_qparams; NaN / inf
-> ValueError), with a_per_row (float32 A and out only) each row's from the row's own
range (formats.qtensor.dynamic_row_qparams: za and a_scale below are the row's);
``weights`` an Int8Weights (W, zw, scales, column sums); ``out`` (M, N)
C-contiguous int32 (S), float32 (act(S * (float32(a_scale) * w_scale) + bias)) or uint8
/ int8 (requantized from S + bias_s32 with multiplier and out_zero_point; relu clamps at
the zero point). The semantics are those of
``pykernels.reference.int8``; integer results are bit-exact on every backend. The op
checks before any kernel runs that S fits in int32 (OverflowError otherwise).
"""
from __future__ import annotations

import numpy as np

from pykernels import validation
from pykernels.formats.int8_weights import INT32_MAX, Int8Weights
from pykernels.formats.qtensor import QTensor, dynamic_qparams
from pykernels.registry import resolve
from pykernels.cuda.arrays import is_device_array

QUANTIZED_OUTPUT_ACTIVATIONS = ("none", "relu")
_F32 = np.dtype(np.float32)


def _as_2d(shape: tuple, axis: int | None) -> tuple[tuple[int, int], str, int]:
    """How an array of ``shape`` with parameters along ``axis`` runs as 2-D: (rows, cols), per, repeats.

    The channel axis last -> per column; otherwise rows of the trailing axes, the
    per-channel parameters repeated once per leading index.
    """
    size = int(np.prod(shape))
    if axis is None:
        cols = shape[-1] if len(shape) else 1
        return (size // max(cols, 1) if cols else 0, cols), "tensor", 1
    if axis == len(shape) - 1:
        return (size // max(shape[-1], 1) if shape[-1] else 0, shape[-1]), "col", 1
    inner = int(np.prod(shape[axis + 1:]))
    outer = int(np.prod(shape[:axis]))
    return (outer * shape[axis], inner), "row", outer


def quantize(x: np.ndarray, scale, zero_point=0, dtype=np.int8, *, axis: int | None = None,
             backend: str = "auto") -> QTensor:
    """``x`` (float32, any shape) as a QTensor: codes clamp(rint(x / scale) + zero_point) in dtype's range.

    Per channel when ``axis`` is given (scale / zero_point: one value per index along it).
    Rounding is half to even (as np.rint); NaN maps to the zero point, +-inf saturate.
    """
    x = validation.float32_array(x, "quantize", "x")
    dt = validation.quantized_dtype(dtype, "quantize")
    if axis is not None:
        axis = validation.axis_index(axis, x.ndim, "quantize")
    result = QTensor(np.empty(x.shape, dt), scale, zero_point, axis)  # validates the parameters
    (rows, cols), per, repeats = _as_2d(x.shape, axis)
    if x.size:
        lo, hi = validation.QUANTIZED_RANGES[dt]
        resolve("quantize", backend)(np.ascontiguousarray(x).reshape(rows, cols), np.tile(result.scale, repeats),
                                     np.tile(result.zero_point, repeats), per, lo, hi,
                                     result.data.reshape(rows, cols))
    return result


def dequantize(q: QTensor, *, out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """The float32 values ``(q.data - zero_point) * scale`` of a QTensor (exactly rounded)."""
    if not isinstance(q, QTensor):
        raise TypeError(f"dequantize: expected a QTensor, got {type(q).__name__}")
    target, user_out = validation.output(out, q.shape, "dequantize")
    (rows, cols), per, repeats = _as_2d(q.shape, q.axis)
    if q.data.size:
        resolve("dequantize", backend)(np.ascontiguousarray(q.data).reshape(rows, cols), np.tile(q.scale, repeats),
                                       np.tile(q.zero_point, repeats), per, target.reshape(rows, cols))
    return validation.finish(target, user_out)


def requantize(x: np.ndarray, multiplier, zero_point=0, dtype=np.int8, *, axis: int | None = None,
               activation: str | None = None, backend: str = "auto") -> np.ndarray:
    """int32 accumulators ``x`` to codes clamp(rint(float64(x) * multiplier) + zero_point).

    ``multiplier`` (finite, > 0) is typically scale_a * scale_w / scale_out, per tensor or
    per channel along ``axis``; activation "relu" clamps at the zero point.
    """
    x = validation.integer_array(x, "requantize", "x", (np.int32,))
    dt = validation.quantized_dtype(dtype, "requantize")
    activation = validation.activation_name(activation, "requantize", QUANTIZED_OUTPUT_ACTIVATIONS)
    channels = None
    if axis is not None:
        axis = validation.axis_index(axis, x.ndim, "requantize")
        channels = x.shape[axis]
    m = np.asarray(multiplier, np.float64)
    if m.dtype.kind != "f" or not (np.isfinite(m).all() and (m > 0).all()):
        raise ValueError(f"requantize: multiplier must be finite and > 0, got {np.ravel(m)[:8].tolist()}")
    _, zp = validation.quant_params(np.ones_like(m, np.float32), zero_point, dt, "requantize", channels=channels)
    m = np.ascontiguousarray(np.broadcast_to(m, zp.shape), np.float64)
    lo, hi = validation.QUANTIZED_RANGES[dt]
    out = np.empty(x.shape, dt)
    (rows, cols), per, repeats = _as_2d(x.shape, axis)
    if x.size:
        if activation == "relu":
            if per != "tensor" and zp.size > 1 and (zp != zp[0]).any():
                raise ValueError("requantize: relu with per-channel zero points is not supported")
            lo = max(lo, int(zp[0]))
        resolve("requantize", backend)(np.ascontiguousarray(x).reshape(rows, cols), np.tile(m, repeats),
                                       np.tile(zp, repeats), per, lo, hi, out.reshape(rows, cols))
    return out


def pack_int8(b: np.ndarray) -> Int8Weights:
    """B (K, N) int8 prepacked for repeated ``matmul_int8(a, packed)`` calls."""
    b = validation.integer_array(b, "pack_int8", "b", (np.int8,), ndim=2)
    return Int8Weights.from_int8(b.T)


def _check_accumulator(a_deviation: int, weights: Int8Weights, op: str, extra: int = 0) -> None:
    """OverflowError unless every |sum (a - za)(w - zw)| (+ extra) fits in int32, for any A of its range."""
    bound = a_deviation * weights.abs_sum_max + extra
    if bound > INT32_MAX:
        raise OverflowError(f"{op}: the int32 accumulator could overflow: K={weights.in_features}, activation codes "
                            f"up to {a_deviation} from the zero point times max_n sum_k |w - zw| = "
                            f"{weights.abs_sum_max} gives {bound} > {INT32_MAX}; split K into smaller parts")


def _int_deviation(dtype: np.dtype, zero_point: int) -> int:
    lo, hi = validation.QUANTIZED_RANGES[dtype]
    return max(zero_point - lo, hi - zero_point)


def matmul_int8(a: np.ndarray, b, *, a_zero_point: int = 0, out: np.ndarray | None = None,
                backend: str = "auto") -> np.ndarray:
    """``(a - a_zero_point) @ b`` exactly, in int32: a (M, K) uint8 or int8, b (K, N) int8 or ``pack_int8(b)``.

    An Int8Weights ``b`` also subtracts its zero points (its scales are ignored here).
    OverflowError when some ``a`` of its dtype could overflow int32 with these weights.
    int8 device arrays a and b run on the GPU backends (pykernels.ops.device.matmul_int8).
    """
    if is_device_array(a):
        from pykernels.ops import device
        return device.matmul_int8(a, b, a_zero_point=a_zero_point, out=out, backend=backend)
    a = validation.integer_array(a, "matmul_int8", "a", (np.uint8, np.int8), ndim=2)
    weights = b if isinstance(b, Int8Weights) else pack_int8(b)
    if a.shape[1] != weights.in_features:
        raise ValueError(f"matmul_int8: inner dimensions differ: a has shape {a.shape}, "
                         f"b has shape {(weights.in_features, weights.out_features)}")
    a_zero_point = validation.zero_point_in_range(validation.integer(a_zero_point, "matmul_int8", "a_zero_point"),
                                                  a.dtype, "matmul_int8")
    _check_accumulator(_int_deviation(a.dtype, a_zero_point), weights, "matmul_int8")
    shape = (a.shape[0], weights.out_features)
    validation.check_nbytes(shape, "matmul_int8")
    target = _int_output(out, shape, np.int32, "matmul_int8", (a,))
    resolve("gemm_int8", backend)(a, a_zero_point, 1.0, 255, weights, target)
    return _finish_int(target, out)


def _int_output(out, shape, dtype, op, inputs):
    if out is None:
        return np.empty(shape, dtype)
    validation.integer_array(out, op, "out", (dtype,))
    if out.shape != tuple(shape):
        raise ValueError(f"{op}: out has shape {out.shape}, expected {tuple(shape)}")
    if not out.flags.writeable:
        raise ValueError(f"{op}: out is read-only")
    usable = out.flags.c_contiguous and not any(np.shares_memory(out, x) for x in inputs)
    return out if usable else np.empty(shape, dtype)


def _finish_int(target, out):
    if out is None or target is out:
        return target
    np.copyto(out, target)
    return out


def _scalar_qparams(scale, zero_point, dtype, op: str) -> tuple[np.float32, int]:
    """Validated per-tensor (scale, zero point) as np.float32 and int."""
    scales, zero_points = validation.quant_params(scale, 0 if zero_point is None else zero_point, dtype, op)
    return scales[0], int(zero_points[0])


def linear_int8(x: np.ndarray, weights: Int8Weights, bias: np.ndarray | None = None, activation: str | None = None,
                *, x_scale: float | None = None, x_zero_point: int | None = None, x_qmax: int | None = None,
                x_granularity: str = "tensor", out_dtype=np.float32, out_scale: float | None = None,
                out_zero_point: int = 0, out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``act(x @ W.T + bias)`` on int8 weights, x (..., in_features).

    x float32 is quantized to uint8 codes [0, x_qmax] on the fly: with ``x_scale`` /
    ``x_zero_point`` (static) or, when they are None, from its own min/max on every call
    (dynamic): over the whole of x (``x_granularity="tensor"``) or each row (token) on its
    own range (``"row"``, float32 output: a few tokens with large values then cost the
    others no precision; the kernel picks each row's scale while it packs the row, at no
    extra pass over x). x_qmax defaults to ``weights.safe_a_max``, the range on which the AVX2
    kernel never saturates. x uint8 / int8 are codes already (x_scale, x_zero_point
    required). The result is float32 (dequantized, fused) or, with ``out_dtype`` uint8 /
    int8, requantized with ``out_scale`` / ``out_zero_point`` (activation none or relu).
    int8 device codes x with pykernels.cuda.weights.DeviceInt8Weights run on the GPU backends
    (pykernels.ops.device.linear_int8: float32 out, per-tensor x_scale).
    """
    op = "linear_int8"
    if is_device_array(x):
        from pykernels.ops import device
        if x_granularity != "tensor":
            raise ValueError(f"{op}: device codes x have one x_scale; x_granularity must be 'tensor', "
                             f"got {x_granularity!r}")
        return device.linear_int8(x, weights, bias, activation, x_scale=x_scale, out=out, backend=backend)
    if not isinstance(weights, Int8Weights):
        raise TypeError(f"{op}: weights must be Int8Weights, got {type(weights).__name__}")
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{op}: x must be a numpy.ndarray (float32, uint8 or int8), got {type(x).__name__}")
    x = validation.integer_array(x, op, "x", (np.float32, np.uint8, np.int8))
    if x.ndim < 1:
        raise ValueError(f"{op}: x must have at least 1 dimension, got shape {x.shape}")
    if x.shape[-1] != weights.in_features:
        raise ValueError(f"{op}: x has {x.shape[-1]} features (shape {x.shape}) but the weights expect "
                         f"{weights.in_features} (shape {weights.shape})")
    out_dt = np.dtype(out_dtype)
    float_out = out_dt == _F32
    if not float_out:
        validation.quantized_dtype(out_dt, op, "out_dtype")
    allowed = validation.ACTIVATIONS if float_out else QUANTIZED_OUTPUT_ACTIVATIONS
    activation = validation.activation_name(activation, op, allowed)
    rows = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
    if x_granularity not in ("tensor", "row"):
        raise ValueError(f"{op}: x_granularity must be 'tensor' or 'row', got {x_granularity!r}")
    per_row = x_granularity == "row"
    if per_row and not (x.dtype == _F32 and x_scale is None and x_zero_point is None and float_out):
        raise ValueError(f"{op}: x_granularity='row' quantizes float32 x dynamically (no x_scale / x_zero_point) "
                         f"for a float32 output; got x {x.dtype}, x_scale {x_scale}, out_dtype {out_dt}")
    if x.dtype == _F32:
        qmax = weights.safe_a_max if x_qmax is None else validation.integer(x_qmax, op, "x_qmax", minimum=1)
        if qmax > 255:
            raise ValueError(f"{op}: x_qmax must be <= 255, got {qmax}")
        if x_scale is None:  # dynamic: the kernel picks the parameters (unless the output is quantized)
            if x_zero_point is not None:
                raise ValueError(f"{op}: x_zero_point given without x_scale")
            x_zero_point = 0
            if not float_out:
                x_scale, x_zero_point = dynamic_qparams(rows, qmax, op)
            deviation = qmax  # bounds |code - zero point| for every zero point in [0, qmax]
        else:
            x_scale, x_zero_point = _scalar_qparams(x_scale, x_zero_point, np.uint8, op)
            if x_zero_point > qmax:
                raise ValueError(f"{op}: x_zero_point {x_zero_point} is above x_qmax {qmax}")
            deviation = max(x_zero_point, qmax - x_zero_point)
    else:
        if x_scale is None:
            raise ValueError(f"{op}: quantized x needs x_scale (and x_zero_point)")
        x_scale, x_zero_point = _scalar_qparams(x_scale, x_zero_point, x.dtype, op)
        qmax = 255
        deviation = _int_deviation(x.dtype, x_zero_point)
    n = weights.out_features
    if bias is not None:
        bias = validation.contiguous_float32(bias, op, "bias", ndim=1)
        if bias.shape[0] != n:
            raise ValueError(f"{op}: bias has shape {bias.shape}, expected ({n},) to match the weights {weights.shape}")
    shape = x.shape[:-1] + (n,)
    kernel = resolve("gemm_int8", backend)
    if float_out:
        _check_accumulator(deviation, weights, op)
        target, user_out = validation.output(out, shape, op, (x,))
        fused = "none" if activation == "softmax" else activation
        kernel(rows, x_zero_point, x_scale, qmax, weights, target.reshape(rows.shape[0], n), bias=bias,
               activation=fused, a_per_row=per_row)
        if activation == "softmax":
            resolve("softmax", backend)(target.reshape(-1, n), target.reshape(-1, n))
        return validation.finish(target, user_out)
    if out_scale is None:
        raise ValueError(f"{op}: a quantized output needs out_scale (and out_zero_point)")
    out_scale_arr, out_zp_arr = validation.quant_params(out_scale, out_zero_point, out_dt, op)
    acc_scale = np.float64(x_scale) * weights.scale.astype(np.float64)
    multiplier = np.ascontiguousarray(acc_scale / np.float64(out_scale_arr[0]))
    bias_s32 = None
    if bias is not None:
        bias_s32 = np.clip(np.rint(bias.astype(np.float64) / acc_scale), -INT32_MAX, INT32_MAX).astype(np.int32)
    extra = 0 if bias_s32 is None else int(np.abs(bias_s32.astype(np.int64)).max(initial=0))
    _check_accumulator(deviation, weights, op, extra)
    validation.check_nbytes(shape, op)
    target = _int_output(out, shape, out_dt, op, (x,))
    kernel(rows, x_zero_point, x_scale, qmax, weights, target.reshape(rows.shape[0], n), multiplier=multiplier,
           bias_s32=bias_s32, out_zero_point=int(out_zp_arr[0]), activation=activation)
    return _finish_int(target, out)
