"""Sparse or dense? A one-time measured break-even per (shape, format), cached.

A sparse kernel pays only above some sparsity, which depends on the shape, the format,
the dense width N and the machine. ``choose`` times both paths of a layer once per key
(format, M, K, N, stored values, backend) — interleaved, after a warm-up, median of the
per-repetition ratios — and caches the decision. ``decisions()`` lists every decision
with its measured speedup, for the profiler and for users asking why a layer runs dense.
"""
from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass
from time import perf_counter
from typing import Callable

REPEATS = 5


@dataclass(frozen=True)
class Decision:
    format: str  # e.g. "csr", "bsr4x4", "2:4"
    m: int
    k: int
    n: int  # dense columns (batch x pixels)
    density: float
    backend: str
    sparse_seconds: float
    dense_seconds: float

    @property
    def speedup(self) -> float:
        """Dense time over sparse time: > 1 means the sparse kernel is faster."""
        return self.dense_seconds / self.sparse_seconds if self.sparse_seconds > 0 else float("inf")

    @property
    def use_sparse(self) -> bool:
        return self.speedup > 1.0

    def __str__(self) -> str:
        path = "sparse" if self.use_sparse else "dense"
        return (f"{self.format} {self.m}x{self.k} (density {self.density:.2f}), N={self.n}, {self.backend}: "
                f"{path} (sparse {self.speedup:.2f}x dense)")


_decisions: dict[tuple, Decision] = {}
_lock = threading.Lock()


def interleaved(first: Callable[[], object], second: Callable[[], object], repeats: int = REPEATS,
                clock: Callable[[], float] = perf_counter) -> list[tuple[float, float]]:
    """(first, second) seconds per repetition, run back to back on the same inputs after a warm-up."""
    first(), second()
    times = []
    for _ in range(repeats):
        t0 = clock()
        first()
        t1 = clock()
        second()
        times.append((t1 - t0, clock() - t1))
    return times


def choose(w, n: int, backend: str, sparse: Callable[[], object], dense: Callable[[], object]) -> Decision:
    """The cached decision for sparse matrix ``w`` against ``n`` dense columns; measured on first use."""
    key = (w.label, w.shape, n, w.nnz, backend)
    with _lock:
        found = _decisions.get(key)
    if found is not None:
        return found
    times = interleaved(sparse, dense)
    sparse_s, dense_s = (statistics.median(t) for t in zip(*times))
    decision = Decision(w.label, w.shape[0], w.shape[1], n, w.density, backend, sparse_s, dense_s)
    with _lock:
        return _decisions.setdefault(key, decision)


def decisions() -> list[Decision]:
    """Every decision taken in this process, in the order they were measured."""
    with _lock:
        return list(_decisions.values())


def clear() -> None:
    """Forget every decision (the next call of each sparse layer measures again)."""
    with _lock:
        _decisions.clear()
