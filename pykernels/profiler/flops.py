"""Work per kernel call, by op: the FLOP formulas the tracer and profiler report.

Each entry takes the arguments of the op's kernel contract (see ``pykernels.ops``) and
returns the floating-point (or integer multiply-add) operations of one call, counting a
multiply-add as two; elementwise ops count one per element. Ops without an entry report
no GFLOP/s.
"""
from __future__ import annotations

from typing import Callable


def _gemm(a, b, out, *_, **__) -> float:
    m, k = a.shape
    return 2.0 * m * k * b.shape[1]


def _elementwise(x, *_, **__) -> float:
    return float(x.size)


def _lstm_layer(x, w_ih, w_hh, bias, w_hr, *_, **__) -> float:
    """Input projection, recurrent product and projection per step; gate math not counted."""
    steps, batch = x.shape[0], x.shape[1]
    per_row = w_ih.size + w_hh.size + (0 if w_hr is None else w_hr.size)
    return 2.0 * steps * batch * per_row


def _gemm_int8(a, a_zero_point, a_scale, a_qmax, weights, out, *_, **__) -> float:
    """Integer multiply-adds of the int8 GEMM (two ops each, as for float)."""
    return 2.0 * a.shape[0] * a.shape[1] * weights.out_features


def _conv2d_int8(x, x_zero_point, x_scale, weights, out, *_, **__) -> float:
    """One group of the int8 conv: output pixels x taps x the group's filters, two ops each."""
    pixels = out.shape[0] * out.shape[1] * out.shape[2]
    return 2.0 * pixels * weights.in_features * weights.out_features


def _spmm(w, x, out, *_, **__) -> float:
    """2 per stored value of W per dense column: the work the sparse kernel does (BSR and
    N:M count the zeros they store), not the dense product's 2 M K N."""
    return 2.0 * w.nnz * x.shape[1]


def _conv2d_sparse(x, out, w, *_, **__) -> float:
    """2 per stored value of W per output pixel (batch x out_h x out_w)."""
    return 2.0 * w.nnz * (out.size // max(1, out.shape[-1]))


def _gather(ids, table, out, *_, **__) -> float:
    return 0.0  # data movement only


def _sdpa(q, k, v, out, mask, is_causal, *_, **__) -> float:
    """Both products, 2 (D + Dv) per (query, key) pair attended; causal: key j <= query i."""
    nq, nk = q.shape[-2], k.shape[-2]
    pairs = sum(min(i + 1, nk) for i in range(nq)) if is_causal else nq * nk
    return 2.0 * (q.size // (nq * q.shape[-1])) * pairs * (q.shape[-1] + v.shape[-1])


def _layer_norm(x, *_, **__) -> float:
    """Mean, variance, normalization and the affine map: about 8 operations per element."""
    return 8.0 * x.size


def _conv2d(x, out, w, *_, **__) -> float:
    """A multiply-add per output element and weight of its group: w is (O, C / groups, KH, KW)."""
    return 2.0 * out.size * (w.size // w.shape[0])


def _pool(x, out, kernel, *_, **__) -> float:
    """One comparison or addition per window element."""
    return float(out.size * kernel[0] * kernel[1])


FORMULAS: dict[str, Callable[..., float]] = {
    "gemm": _gemm,
    "activation": _elementwise,
    "softmax": _elementwise,
    "lstm_layer": _lstm_layer,
    "embedding": _gather,
    "sdpa": _sdpa,
    "layer_norm": _layer_norm,
    "conv2d": _conv2d,
    "max_pool2d": _pool,
    "avg_pool2d": _pool,
    "global_avg_pool2d": _elementwise,
    "quantize": _elementwise,
    "dequantize": _elementwise,
    "requantize": _elementwise,
    "gemm_int8": _gemm_int8,
    "conv2d_int8": _conv2d_int8,
    "spmm": _spmm,
    "conv2d_sparse": _conv2d_sparse,
}


def kernel_flops(op: str, args: tuple, kwargs: dict) -> float | None:
    formula = FORMULAS.get(op)
    return None if formula is None else formula(*args, **kwargs)
