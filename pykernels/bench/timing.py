"""The clock: ``time.perf_counter`` over calibrated rounds, median and min; and
``interleaved``, the alternating samples speed ratios are taken from.

Contenders on one case are timed one after the other, each in its own block, not
interleaved call by call: a library's worker threads keep spinning after each call
(OpenBLAS busy-waits for about 0.1 s), so interleaving makes every library pay for the
others' spinning. On more than one thread each block starts after ``settle(fn)``. A sample
is the mean of enough back-to-back calls to last ``SAMPLE_SECONDS``, so tiny kernels are
not lost in the clock's overhead. Callers make the first warm-up call (it is also the
correctness check).
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
WAKE_SECONDS = 0.1
RATIO_SAMPLE_SECONDS = 5e-3


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


def settle(fn: Callable[[], object]) -> None:
    """Let the worker threads of whatever ran before go to sleep, then wake ``fn``'s.

    The sleep stops other libraries' spinning workers (OpenBLAS polls for about 0.1 s
    after each call), which would otherwise hold a core that ``fn`` needs. It also idles
    the cores, and on a virtual machine an idle vCPU comes back slowly: after 0.2 s of
    sleep, a 2-thread convolution (14x14x1024 -> 256, 1x1) took 0.9-1.2 ms per call for
    20 ms, 0.66 ms once busy; a 2-thread CSR SpMM (1024x1024 at 90% x 256 columns) took
    670-780 us for 10 to 70 ms, then 655. So ``fn`` then runs untimed for
    ``WAKE_SECONDS`` (at least one call): the samples see the cores as a busy program
    does.
    """
    time.sleep(SETTLE_SECONDS)
    start = perf_counter()
    fn()
    while perf_counter() - start < WAKE_SECONDS:
        fn()


def _iterations(fn: Callable[[], object]) -> int:
    start = perf_counter()
    fn()
    return max(1, math.ceil(SAMPLE_SECONDS / max(perf_counter() - start, 1e-9)))


def measure(fn: Callable[[], object], settings: Settings, threads: int = 2) -> Timing:
    """Time a warmed-up callable: settle (on more than one thread), calibrate (an untimed
    call), then rounds."""
    if threads > 1:
        settle(fn)
    iterations = _iterations(fn)
    samples = []
    start = perf_counter()
    while len(samples) < settings.min_rounds or perf_counter() - start < settings.min_time:
        t0 = perf_counter()
        for _ in range(iterations):
            fn()
        samples.append((perf_counter() - t0) / iterations)
    return Timing(tuple(samples), iterations)


def interleaved(fns: dict[str, Callable[[], object]], repeats: int,
                clock: Callable[[], float] = perf_counter, settle_first: bool = False) -> dict[str, list[float]]:
    """Seconds per call of every function on ``clock``, one sample each per repetition.

    For speed ratios on a shared machine (``pykernels bench --ratios``): within a
    repetition every function runs its sample back to back with the others on the same
    inputs, so all see the same load; the order rotates between repetitions. A sample
    is enough calls to last ``RATIO_SAMPLE_SECONDS``. Call after a warm-up of each.

    With ``settle_first`` (timing on more than one thread) every sample starts after
    ``settle()``: a BLAS whose idle workers keep spinning would otherwise hold a core
    that the next contender needs, and its untimed calls wake the contender's own
    threads and cores.
    """
    calls = {name: max(1, math.ceil(RATIO_SAMPLE_SECONDS / max(_sample(fn, 1, clock), 1e-9)))
             for name, fn in fns.items()}
    names, times = list(fns), {name: [] for name in fns}
    for rep in range(repeats):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            if settle_first:
                settle(fns[name])
            times[name].append(_sample(fns[name], calls[name], clock))
    return times


def _sample(fn: Callable[[], object], calls: int, clock: Callable[[], float]) -> float:
    start = clock()
    for _ in range(calls):
        fn()
    return (clock() - start) / calls
