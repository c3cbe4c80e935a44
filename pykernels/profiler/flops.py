"""Work per kernel call, by op: the FLOP formulas the tracer and profiler report.

Each entry takes the arguments of the op's kernel contract (see ``pykernels.ops``) and
returns the floating-point (or integer multiply-add) operations of one call, counting a
multiply-add as two. Ops without an entry report no GFLOP/s.
"""
from __future__ import annotations

from typing import Callable


def _gemm(a, b, out, *_, **__) -> float:
    m, k = a.shape
    return 2.0 * m * k * b.shape[1]


def _elementwise(x, *_, **__) -> float:
    return float(x.size)


FORMULAS: dict[str, Callable[..., float]] = {
    "gemm": _gemm,
    "activation": _elementwise,
    "softmax": _elementwise,
}


def kernel_flops(op: str, args: tuple, kwargs: dict) -> float | None:
    formula = FORMULAS.get(op)
    return None if formula is None else formula(*args, **kwargs)
