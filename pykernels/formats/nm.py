"""N:M structured sparsity (2:4, 4:8): at most n nonzeros in every m consecutive inputs.

Each row of the weight (out_features, in_features) is cut into groups of m columns;
group ``g`` of row ``i`` keeps n values ``values[i, g*n:(g+1)*n]`` at columns
``g*m + positions[i, g*n:(g+1)*n]`` (positions strictly increasing in [0, m), stored in
one byte; 2 bits would do for 2:4, a byte keeps the kernel's address arithmetic to a
single load). A group with fewer than n nonzeros stores zeros at unused positions.
Every row has the same count, so a kernel runs several rows in lockstep like a dense
one, and the n inputs of a group lie within m consecutive rows of X (one cache line
span for the panel), reused by all the rows it processes together.
"""
from __future__ import annotations

import numpy as np

from pykernels.formats import _sparse


def nm_pattern(n, m, what: str) -> tuple[int, int]:
    try:
        n, m = int(n), int(m)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: n and m must be ints, got {n!r}:{m!r}") from None
    if not 1 <= n <= m <= 256:
        raise ValueError(f"{what}: expected 1 <= n <= m <= 256, got {n}:{m}")
    return n, m


class NMMatrix:
    format = "nm"

    def __init__(self, shape, n, m, values, positions):
        what = "NMMatrix"
        self.shape = _sparse.shape2(shape, what)
        self.n, self.m = nm_pattern(n, m, what)
        rows, cols = self.shape
        if cols % self.m:
            raise ValueError(f"{what}: in_features = {cols} is not a multiple of m = {self.m}")
        expected = (rows, cols // self.m * self.n)
        self.values = _sparse.value_array(values, what, "values")
        if self.values.shape != expected:
            raise ValueError(f"{what}: values has shape {self.values.shape}, expected {expected} "
                             f"({self.n} per group of {self.m})")
        positions = np.asarray(positions)
        if positions.dtype.kind not in "iu":
            raise TypeError(f"{what}: positions must be an integer array, got dtype {positions.dtype}")
        if positions.shape != expected:
            raise ValueError(f"{what}: positions has shape {positions.shape}, expected {expected}")
        if positions.size and (positions.min() < 0 or positions.max() >= self.m):
            raise ValueError(f"{what}: positions must lie in [0, {self.m}), got range "
                             f"[{positions.min()}, {positions.max()}]")
        self.positions = np.ascontiguousarray(positions, np.uint8)
        if self.n > 1 and positions.size:
            groups = self.positions.reshape(rows, -1, self.n).astype(np.int16)
            if (np.diff(groups, axis=2) <= 0).any():
                raise ValueError(f"{what}: positions within a group must be strictly increasing")

    @property
    def nnz(self) -> int:
        """Stored values (explicit zeros in sparse groups included)."""
        return int(self.values.size)

    @property
    def density(self) -> float:
        return self.n / self.m

    @property
    def label(self) -> str:
        return f"{self.n}:{self.m}"

    def __repr__(self) -> str:
        return f"NMMatrix(shape={self.shape}, {self.n}:{self.m})"

    @classmethod
    def from_dense(cls, w, n=2, m=4) -> "NMMatrix":
        """A 2-D array with at most n nonzeros per group of m; ValueError when a group has more."""
        what = "NMMatrix.from_dense"
        w = _sparse.dense_2d(w, what)
        n, m = nm_pattern(n, m, what)
        rows, cols = w.shape
        if cols % m:
            raise ValueError(f"{what}: in_features = {cols} is not a multiple of m = {m}")
        groups = w.reshape(rows, cols // m, m)
        counts = np.count_nonzero(groups, axis=2)
        if counts.size and counts.max() > n:
            i, g = np.argwhere(counts > n)[0]
            raise ValueError(f"{what}: row {i}, group {g} has {counts[i, g]} nonzeros, more than n = {n} "
                             f"(prune it with pykernels.compress.prune(w, pattern='{n}:{m}') first)")
        # The n positions per group: nonzeros first (stable, so ascending), then zeros.
        order = np.argsort(groups == 0, axis=2, kind="stable")[:, :, :n]
        positions = np.sort(order, axis=2)
        values = np.take_along_axis(groups, positions, axis=2)
        return cls(w.shape, n, m, values.reshape(rows, -1), positions.reshape(rows, -1))

    @classmethod
    def from_scipy(cls, matrix, n=2, m=4) -> "NMMatrix":
        m_ = _sparse.scipy_canonical(matrix, "csr", "NMMatrix.from_scipy")
        return cls.from_dense(m_.toarray(), n, m)

    def to_dense(self) -> np.ndarray:
        rows, cols = self.shape
        out = np.zeros((rows, cols // self.m, self.m), np.float32)
        np.put_along_axis(out, self.positions.reshape(rows, -1, self.n).astype(np.intp),
                          self.values.reshape(rows, -1, self.n), axis=2)
        return out.reshape(rows, cols)

    def to_csr(self):
        """The same matrix as CSR (stored zeros dropped)."""
        from pykernels.formats.csr import CSRMatrix
        return CSRMatrix.from_dense(self.to_dense())
