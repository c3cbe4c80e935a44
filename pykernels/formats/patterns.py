"""Sparsity patterns by name, shared by pruning and the sparse layers.

=====================  ==========================  ==================
pattern                meaning                     storage format
=====================  ==========================  ==================
"unstructured"/"csr"   any weight may be zero      CSRMatrix
"block(r,c)"/"bsr(r,c)"  whole r x c blocks        BSRMatrix
"n:m" (e.g. "2:4")     n kept per m inputs         NMMatrix
"channel"              whole output rows           a smaller dense layer
=====================  ==========================  ==================
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pykernels.formats.bsr import BSRMatrix
from pykernels.formats.csr import CSRMatrix
from pykernels.formats.nm import NMMatrix

_BLOCK = re.compile(r"^(?:block|bsr)\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
_NM = re.compile(r"^(\d+)\s*:\s*(\d+)$")


@dataclass(frozen=True)
class Pattern:
    kind: str  # "unstructured", "block", "nm" or "channel"
    a: int = 1  # block rows / n
    b: int = 1  # block cols / m

    def __str__(self) -> str:
        if self.kind == "block":
            return f"block({self.a},{self.b})"
        if self.kind == "nm":
            return f"{self.a}:{self.b}"
        return self.kind


def parse(pattern, what: str) -> Pattern:
    """A pattern name (see the table above) as a Pattern; ValueError naming the forms otherwise."""
    if isinstance(pattern, Pattern):
        return pattern
    if not isinstance(pattern, str):
        raise TypeError(f"{what}: pattern must be a str, got {type(pattern).__name__}")
    text = pattern.strip().lower()
    if text in ("unstructured", "csr"):
        return Pattern("unstructured")
    if text == "channel":
        return Pattern("channel")
    if (match := _BLOCK.match(text)) is not None:
        r, c = int(match[1]), int(match[2])
        if r < 1 or c < 1:
            raise ValueError(f"{what}: block sizes must be positive, got {pattern!r}")
        return Pattern("block", r, c)
    if (match := _NM.match(text)) is not None:
        n, m = int(match[1]), int(match[2])
        if not 1 <= n <= m <= 256:
            raise ValueError(f"{what}: an n:m pattern needs 1 <= n <= m <= 256, got {pattern!r}")
        return Pattern("nm", n, m)
    raise ValueError(f"{what}: unknown pattern {pattern!r}; expected 'unstructured', 'block(r,c)', 'n:m' "
                     f"(e.g. '2:4') or 'channel'")


def to_sparse(w, pattern, what: str = "to_sparse"):
    """The dense (out, in) weight ``w`` stored in the pattern's format (zeros dropped)."""
    p = parse(pattern, what)
    if p.kind == "unstructured":
        return CSRMatrix.from_dense(w)
    if p.kind == "block":
        return BSRMatrix.from_dense(w, (p.a, p.b))
    if p.kind == "nm":
        return NMMatrix.from_dense(w, p.a, p.b)
    raise ValueError(f"{what}: pattern 'channel' has no sparse format: channel pruning makes a smaller dense layer")
