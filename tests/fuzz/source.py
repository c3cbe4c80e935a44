"""Decisions decoded from a fuzzer's bytes, so harnesses need no atheris to run.

libFuzzer mutates the bytes; each draw consumes a few of them. When the bytes run out,
every draw returns its first choice, so any input, even empty, is a valid program.
"""
from __future__ import annotations

import numpy as np


class ByteSource:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def int(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        span = high - low
        if span <= 0:
            return low
        return low + int.from_bytes(self.take((span.bit_length() + 7) // 8), "little") % (span + 1)

    def choice(self, options):
        return options[self.int(0, len(options) - 1)]

    def chance(self, denominator: int) -> bool:
        """True with probability about 1/denominator (False once the bytes run out)."""
        return self.int(0, denominator - 1) == denominator - 1

    def float32s(self, count: int, tame: bool) -> np.ndarray:
        """``count`` floats: raw bit patterns (NaN, inf, subnormals, 1e38) or, tame, in [-4, 4]."""
        raw = self.take(4 * count).ljust(4 * count, b"\0")
        if tame:
            return (np.frombuffer(raw, np.uint32) / np.float32(2**32 / 8) - 4).astype(np.float32)
        return np.frombuffer(raw, np.float32).copy()
