"""Kernel-call tracing: which kernel ran, on which backend and shapes, for how long.

While tracing is on, ``registry.resolve`` hands out kernels wrapped by ``traced``.
Tracing is on when ``PYKERNELS_VERBOSE=1`` (one line per kernel call on stderr, like
oneDNN's verbose mode) or inside a ``recording()`` block (the profiler). Off, the only
cost is one flag check per op call.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, wraps
from time import perf_counter
from typing import Callable, Iterator

import numpy as np

from pykernels.profiler.flops import kernel_flops

_DTYPE_NAMES = {np.dtype(t): name for t, name in ((np.float32, "f32"), (np.float64, "f64"), (np.float16, "f16"),
                                                   (np.int8, "s8"), (np.uint8, "u8"), (np.int32, "s32"),
                                                   (np.int64, "s64"), (np.bool_, "b8"))}


@dataclass(slots=True)
class KernelCall:
    """One kernel call: op, backend, array arguments, wall time and work."""

    op: str
    backend: str
    arrays: tuple[tuple[str, np.dtype, tuple[int, ...]], ...]  # (argument name, dtype, shape)
    start: float  # perf_counter() at entry
    seconds: float
    flops: float | None  # None when the op has no FLOP formula (profiler.flops)
    bytes: int  # bytes of the array arguments: a lower bound of the memory traffic

    @property
    def gflops(self) -> float | None:
        return None if self.flops is None or self.seconds <= 0 else self.flops / self.seconds / 1e9

    @property
    def signature(self) -> str:
        """The array arguments, e.g. ``a:f32[64x3136] b:f32[3136x64] out:f32[64x64]``."""
        return " ".join(f"{name}:{_DTYPE_NAMES.get(dtype, dtype.str)}[{'x'.join(map(str, shape))}]"
                        for name, dtype, shape in self.arrays)

    def line(self) -> str:
        """The verbose line: ``pykernels_verbose,exec,<backend>,<op>,<arrays>,<ms>,<GFLOP/s>``."""
        rate = "" if self.gflops is None else f"{self.gflops:.2f} GFLOP/s"
        return f"pykernels_verbose,exec,{self.backend},{self.op},{self.signature},{self.seconds * 1e3:.4f} ms,{rate}"


_verbose = os.environ.get("PYKERNELS_VERBOSE", "0") not in ("", "0")
_recorders: list[list[KernelCall]] = []


def active() -> bool:
    return _verbose or bool(_recorders)


def set_verbose(on: bool) -> None:
    """Print one line per kernel call on stderr (what ``PYKERNELS_VERBOSE=1`` turns on)."""
    global _verbose
    _verbose = bool(on)


@contextmanager
def recording() -> Iterator[list[KernelCall]]:
    """Collect every kernel call made inside the block into the yielded list."""
    calls: list[KernelCall] = []
    _recorders.append(calls)
    try:
        yield calls
    finally:
        _recorders.remove(calls)


@lru_cache(maxsize=None)
def traced(op: str, backend: str, kernel: Callable) -> Callable:
    """``kernel`` wrapped to time each call and report it to the verbose log and recorders."""
    code = getattr(kernel, "__code__", None)
    names = code.co_varnames[:code.co_argcount] if code else ()

    @wraps(kernel)
    def run(*args, **kwargs):
        start = perf_counter()
        result = kernel(*args, **kwargs)
        seconds = perf_counter() - start
        named = [(names[i] if i < len(names) else f"arg{i}", v) for i, v in enumerate(args)] + list(kwargs.items())
        arrays = [(n, v) for n, v in named if isinstance(v, np.ndarray)]
        call = KernelCall(op, backend, tuple((n, v.dtype, v.shape) for n, v in arrays), start, seconds,
                          kernel_flops(op, args, kwargs), sum(v.nbytes for _, v in arrays))
        for calls in _recorders:
            calls.append(call)
        if _verbose:
            print(call.line(), file=sys.stderr)
        return result

    return run
