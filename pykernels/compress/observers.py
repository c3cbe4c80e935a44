"""Observers: they watch a layer's calibration inputs and choose the range to quantize.

- ``minmax``: the smallest and largest value seen;
- ``percentile``: the 0.01 / 99.99 percentiles of the values (outliers are clipped);
- ``mse``: the clipped range [lo * t, hi * t] (t in (0, 1]) whose uint8 quantization has
  the least mean squared error on the values seen.

Percentile and mse keep a uniform sample of at most ``SAMPLE`` values.
"""
from __future__ import annotations

import numpy as np

from pykernels.formats.qtensor import choose_qparams
from pykernels.reference import int8 as reference

SAMPLE = 1 << 18


class Observer:
    def __init__(self):
        self.lo, self.hi = np.inf, -np.inf

    def update(self, x: np.ndarray) -> None:
        x = np.asarray(x, np.float32)
        if x.size == 0:
            return
        if not np.isfinite(x).all():
            raise ValueError("calibration: a layer's input contains NaN or inf")
        self.lo, self.hi = min(self.lo, float(x.min())), max(self.hi, float(x.max()))
        self._observe(x)

    def _observe(self, x: np.ndarray) -> None:
        pass

    def range(self, qmax: int = 255) -> tuple[float, float]:
        if self.lo > self.hi:
            raise ValueError("calibration: the observer saw no values")
        return self.lo, self.hi


class MinMaxObserver(Observer):
    pass


class _SamplingObserver(Observer):
    def __init__(self, seed: int = 0):
        super().__init__()
        self._rng = np.random.default_rng(seed)
        self._samples: list[np.ndarray] = []
        self._count = 0

    def _observe(self, x: np.ndarray) -> None:
        flat = x.ravel()
        if flat.size > SAMPLE:
            flat = self._rng.choice(flat, SAMPLE, replace=False)
        self._samples.append(flat)
        self._count += flat.size
        if self._count > 4 * SAMPLE:
            merged = np.concatenate(self._samples)
            self._samples, self._count = [self._rng.choice(merged, SAMPLE, replace=False)], SAMPLE

    def values(self) -> np.ndarray:
        return np.concatenate(self._samples)


class PercentileObserver(_SamplingObserver):
    def __init__(self, percentile: float = 99.99, seed: int = 0):
        super().__init__(seed)
        self.percentile = percentile

    def range(self, qmax: int = 255) -> tuple[float, float]:
        super().range()
        v = self.values()
        return float(np.percentile(v, 100 - self.percentile)), float(np.percentile(v, self.percentile))


class MSEObserver(_SamplingObserver):
    FRACTIONS = np.linspace(0.2, 1.0, 41)

    def range(self, qmax: int = 255) -> tuple[float, float]:
        lo, hi = super().range()
        v = self.values()

        def error(t):
            scale, zp = choose_qparams(lo * t, hi * t, np.uint8, qmin=0, qmax=qmax)
            q = reference.quantize(v, scale, zp, 0, qmax, np.int64)
            return float(np.mean((reference.dequantize(q, scale, zp, np.float64) - v) ** 2))

        best = min(self.FRACTIONS, key=error)
        return lo * float(best), hi * float(best)


OBSERVERS = {"minmax": MinMaxObserver, "percentile": PercentileObserver, "mse": MSEObserver}


def make(name: str) -> Observer:
    if not isinstance(name, str):
        raise TypeError(f"quantize: observer must be a str, got {type(name).__name__}")
    if name not in OBSERVERS:
        raise ValueError(f"quantize: unknown observer {name!r}; expected one of {list(OBSERVERS)}")
    return OBSERVERS[name]()
