"""Quantized conv2d: uint8 activations, int8 weights, int32 accumulation.

Kernel contract (every backend implements exactly this)::

    conv2d_int8(x, x_zero_point, x_scale, weights, out, kernel, stride, padding, dilation, groups, group,
                bias=None, multiplier=None, bias_s32=None, out_zero_point=0, activation="none")

``x`` (N, H, W, C) C-contiguous uint8 codes; ``weights`` the group's Int8Weights (filters
per group, kernel_h * kernel_w * C / groups taps in (kh, kw, c) order); ``out`` (N, OH, OW,
O) C-contiguous int32, float32, uint8 or int8, of which the kernel writes the group's
columns [group * og, (group + 1) * og); the epilogue parameters are the group's (og
values) with the meaning of ``gemm_int8`` (pykernels.ops.int8). S = (A - x_zero_point) .
(W - zw)^T for A the im2col matrix of the group's channels of ``x`` with x_zero_point in
the padding (the code of 0.0, so padding contributes nothing), exactly; the reference is
``pykernels.reference.int8_backend.conv2d_int8``.
"""
from __future__ import annotations

import numpy as np

from pykernels import geometry, validation
from pykernels.formats.int8_weights import INT32_MAX, Int8ConvWeights
from pykernels.formats.qtensor import dynamic_qparams
from pykernels.ops.conv import data_format_name
from pykernels.ops.int8 import (QUANTIZED_OUTPUT_ACTIVATIONS, _check_accumulator, _int_deviation, _int_output,
                                _scalar_qparams)
from pykernels.registry import resolve

_F32 = np.dtype(np.float32)


def quantize_activations(x: np.ndarray, qmax: int, scale, zero_point, op: str, backend: str = "auto"):
    """float32 ``x`` as uint8 codes [0, qmax]: (codes, scale, zero_point), the parameters
    given (static) or, with ``scale`` None, chosen from x's own range (dynamic)."""
    if scale is None:
        if zero_point is not None:
            raise ValueError(f"{op}: x_zero_point given without x_scale")
        scale, zero_point = dynamic_qparams(x, qmax, op)
    else:
        scale, zero_point = _scalar_qparams(scale, zero_point, np.uint8, op)
        if zero_point > qmax:
            raise ValueError(f"{op}: x_zero_point {zero_point} is above x_qmax {qmax}")
    codes = np.empty(x.shape, np.uint8)
    if x.size:
        rows = x.reshape(-1, x.shape[-1])
        resolve("quantize", backend)(rows, np.array([scale], np.float32), np.array([zero_point], np.int32),
                                     "tensor", 0, qmax, codes.reshape(rows.shape))
    return codes, np.float32(scale), int(zero_point)


def conv2d_int8(x: np.ndarray, weights: Int8ConvWeights, bias: np.ndarray | None = None, stride=1, padding=0,
                dilation=1, activation: str | None = None, *, x_scale: float | None = None,
                x_zero_point: int | None = None, x_qmax: int | None = None, out_dtype=np.float32,
                out_scale: float | None = None, out_zero_point: int = 0, data_format: str = "channels_last",
                out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``act(conv2d(x, W) + bias)`` with int8 weights ``W`` (Int8ConvWeights), exact int32 accumulation.

    x float32 is quantized once to uint8 codes [0, x_qmax] (default ``weights.safe_a_max``,
    where the AVX2 kernel cannot saturate): with ``x_scale`` / ``x_zero_point`` (static) or
    from its own min/max (dynamic, when x_scale is None). x uint8 is codes already (x_scale
    required). The output is float32 (dequantized in the GEMM epilogue, any activation of
    conv2d) or, with ``out_dtype`` uint8 / int8, requantized with ``out_scale`` /
    ``out_zero_point`` (activation none or relu). Geometry arguments as ``ops.conv2d``;
    channels_last (NHWC) by default.
    """
    op = "conv2d_int8"
    if not isinstance(weights, Int8ConvWeights):
        raise TypeError(f"{op}: weights must be Int8ConvWeights, got {type(weights).__name__}")
    x = validation.integer_array(x, op, "x", (np.float32, np.uint8))
    if x.ndim != 4:
        raise ValueError(f"{op}: x must be 4-D (N, H, W, C) or (N, C, H, W), got shape {x.shape}")
    data_format = data_format_name(data_format, op)
    xh = np.ascontiguousarray(x.transpose(0, 2, 3, 1) if data_format == "channels_first" else x)
    n, h, w, c = xh.shape
    if c != weights.in_channels:
        raise ValueError(f"{op}: x has {c} channels but the weights expect {weights.in_channels}")
    kernel, stride, dilation, pads, out_hw = geometry.conv(op, (h, w), weights.kernel_size, stride, padding, dilation)
    out_dt = np.dtype(out_dtype)
    float_out = out_dt == _F32
    if not float_out:
        validation.quantized_dtype(out_dt, op, "out_dtype")
    activation = validation.activation_name(activation, op, validation.ELEMENTWISE_ACTIVATIONS if float_out
                                            else QUANTIZED_OUTPUT_ACTIVATIONS)
    filters = weights.filters
    if bias is not None:
        bias = validation.contiguous_float32(bias, op, "bias", ndim=1)
        if bias.shape[0] != filters:
            raise ValueError(f"{op}: bias has shape {bias.shape}, expected ({filters},)")
    if xh.dtype == _F32:
        qmax = weights.safe_a_max if x_qmax is None else validation.integer(x_qmax, op, "x_qmax", minimum=1)
        if qmax > 255:
            raise ValueError(f"{op}: x_qmax must be <= 255, got {qmax}")
        codes, x_scale, x_zero_point = quantize_activations(xh, qmax, x_scale, x_zero_point, op, backend)
        deviation = max(x_zero_point, qmax - x_zero_point)
    else:
        if x_scale is None:
            raise ValueError(f"{op}: uint8 x needs x_scale (and x_zero_point)")
        x_scale, x_zero_point = _scalar_qparams(x_scale, x_zero_point, np.uint8, op)
        codes, deviation = xh, _int_deviation(np.dtype(np.uint8), x_zero_point)
    shape = (n, *out_hw, filters)
    groups = len(weights.groups)
    og = filters // groups
    run = resolve(op, backend)
    if float_out:
        for g in weights.groups:
            _check_accumulator(deviation, g, op)
        target, user_out = validation.output(out if data_format == "channels_last" else None, shape, op, (x,))
        for gi, g in enumerate(weights.groups):
            run(codes, x_zero_point, x_scale, g, target, kernel, stride, pads, dilation, groups, gi,
                bias=None if bias is None else bias[gi * og:(gi + 1) * og], activation=activation)
    else:
        if out_scale is None:
            raise ValueError(f"{op}: a quantized output needs out_scale (and out_zero_point)")
        out_scale_arr, out_zp_arr = validation.quant_params(out_scale, out_zero_point, out_dt, op)
        validation.check_nbytes(shape, op, itemsize=1)
        target = _int_output(out if data_format == "channels_last" else None, shape, out_dt, op, (x,))
        user_out = out
        for gi, g in enumerate(weights.groups):
            acc_scale = np.float64(x_scale) * g.scale.astype(np.float64)
            multiplier = np.ascontiguousarray(acc_scale / np.float64(out_scale_arr[0]))
            bias_s32 = None
            if bias is not None:
                bias_s32 = np.clip(np.rint(bias[gi * og:(gi + 1) * og].astype(np.float64) / acc_scale),
                                   -INT32_MAX, INT32_MAX).astype(np.int32)
            _check_accumulator(deviation, g, op, 0 if bias_s32 is None else int(np.abs(bias_s32.astype(np.int64))
                                                                                   .max(initial=0)))
            run(codes, x_zero_point, x_scale, g, target, kernel, stride, pads, dilation, groups, gi,
                multiplier=multiplier, bias_s32=bias_s32, out_zero_point=int(out_zp_arr[0]), activation=activation)
    if data_format == "channels_first":
        result = target.transpose(0, 3, 1, 2)
        if out is None:
            return np.ascontiguousarray(result)
        np.copyto(out, result)
        return out
    if float_out:
        return validation.finish(target, user_out)
    if user_out is None or target is user_out:
        return target
    np.copyto(user_out, target)
    return user_out
