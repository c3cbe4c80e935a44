"""The clock: ``time.perf_counter`` over calibrated rounds, median and min.

Contenders on one case are timed one after the other, each in its own block, not
interleaved call by call: a library's worker threads keep spinning after each call
(OpenBLAS busy-waits for about 0.1 s), so interleaving makes every library pay for the
others' spinning. Each block starts after ``settle()``. A sample is the mean of enough
back-to-back calls to last ``SAMPLE_SECONDS``, so tiny kernels are not lost in the
clock's overhead. Callers make the first warm-up call (it is also the correctness check).
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from time import perf_counter
from typing import Callable

SAMPLE_SECONDS = 1e-3
SETTLE_SECONDS = 0.2


@dataclass(frozen=True)
class Settings:
    min_rounds: int  # at least this many samples
    min_time: float  # and at least this many seconds of samples


FULL = Settings(min_rounds=5, min_time=0.2)
QUICK = Settings(min_rounds=3, min_time=0.05)


@dataclass(frozen=True)
class Timing:
    """Seconds per call: one entry per round, each the mean of ``iterations`` calls."""

    samples: tuple[float, ...]
    iterations: int

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)


def settle() -> None:
    """Let the worker threads of whatever ran before go to sleep."""
    time.sleep(SETTLE_SECONDS)


def _iterations(fn: Callable[[], object]) -> int:
    start = perf_counter()
    fn()
    return max(1, math.ceil(SAMPLE_SECONDS / max(perf_counter() - start, 1e-9)))


def measure(fn: Callable[[], object], settings: Settings) -> Timing:
    """Time a warmed-up callable: settle, calibrate (an untimed call), then rounds."""
    settle()
    iterations = _iterations(fn)
    samples = []
    start = perf_counter()
    while len(samples) < settings.min_rounds or perf_counter() - start < settings.min_time:
        t0 = perf_counter()
        for _ in range(iterations):
            fn()
        samples.append((perf_counter() - t0) / iterations)
    return Timing(tuple(samples), iterations)


def interleaved_ratio(ours: Callable[[], object], theirs: Callable[[], object], repeats: int = 15,
                      min_seconds: float = 0.02) -> tuple[float, float, float]:
    """(median of theirs / ours, ours' median seconds, theirs' median seconds), alternating the two.

    For speed claims on a shared machine: each repetition times a block of calls of ours,
    then the same number of theirs, so both see the same load; the ratio of each pair is
    taken before the median. Call after a warm-up of both.
    """
    calls = max(_iterations(ours), _iterations(theirs), math.ceil(min_seconds / max(_one_call(ours), 1e-9)))
    ratios, t_ours, t_theirs = [], [], []
    for _ in range(repeats):
        t0 = perf_counter()
        for _ in range(calls):
            ours()
        t1 = perf_counter()
        for _ in range(calls):
            theirs()
        t2 = perf_counter()
        t_ours.append((t1 - t0) / calls)
        t_theirs.append((t2 - t1) / calls)
        ratios.append((t2 - t1) / (t1 - t0))
    return statistics.median(ratios), statistics.median(t_ours), statistics.median(t_theirs)


def _one_call(fn: Callable[[], object]) -> float:
    start = perf_counter()
    fn()
    return perf_counter() - start
