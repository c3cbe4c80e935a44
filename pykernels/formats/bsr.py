"""BSR: block sparse rows with dense r x c blocks (1x4, 4x1, 4x4, 8x1, ...).

Block row ``I`` (rows ``I*r .. I*r+r-1``) holds blocks ``data[indptr[I]:indptr[I+1]]``,
each an (r, c) array, at block columns ``indices[...]`` (strictly increasing): block
``(I, J)`` covers columns ``J*c .. J*c+c-1``. Both dimensions must be multiples of the
block, as in scipy.sparse.bsr_matrix. Blocks let a kernel reuse each loaded input row
for r output rows and read c consecutive input rows per index.
"""
from __future__ import annotations

import numpy as np

from pykernels.formats import _sparse


def block_shape(blocksize, what: str) -> tuple[int, int]:
    try:
        r, c = (int(b) for b in blocksize)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: blocksize must be two ints (r, c), got {blocksize!r}") from None
    if r < 1 or c < 1:
        raise ValueError(f"{what}: blocksize must be positive, got {(r, c)}")
    return r, c


class BSRMatrix:
    format = "bsr"

    def __init__(self, shape, blocksize, indptr, indices, data):
        what = "BSRMatrix"
        self.shape = _sparse.shape2(shape, what)
        self.blocksize = block_shape(blocksize, what)
        (rows, cols), (r, c) = self.shape, self.blocksize
        if rows % r or cols % c:
            raise ValueError(f"{what}: shape {self.shape} is not a multiple of the block {r}x{c}")
        self.indptr = _sparse.index_array(indptr, what, "indptr", rows // r + 1)
        self.indices = _sparse.index_array(indices, what, "indices")
        self.data = _sparse.value_array(data, what)
        expected = (self.indices.shape[0], r, c)
        if self.data.shape != expected:
            raise ValueError(f"{what}: data has shape {self.data.shape}, expected {expected} "
                             f"(one {r}x{c} block per index)")
        _sparse.check_compressed(self.indptr, self.indices, rows // r, cols // c, what)

    @property
    def nnz(self) -> int:
        """Stored values (zeros inside kept blocks included)."""
        return int(self.data.size)

    @property
    def density(self) -> float:
        return self.nnz / max(1, self.shape[0] * self.shape[1])

    @property
    def label(self) -> str:
        return f"bsr{self.blocksize[0]}x{self.blocksize[1]}"

    def __repr__(self) -> str:
        return f"BSRMatrix(shape={self.shape}, blocksize={self.blocksize}, blocks={self.indices.shape[0]}, " \
               f"density={self.density:.3f})"

    @classmethod
    def from_dense(cls, w, blocksize) -> "BSRMatrix":
        """The blocks of a 2-D array that hold any nonzero."""
        w = _sparse.dense_2d(w, "BSRMatrix.from_dense")
        r, c = block_shape(blocksize, "BSRMatrix.from_dense")
        if w.shape[0] % r or w.shape[1] % c:
            raise ValueError(f"BSRMatrix.from_dense: shape {w.shape} is not a multiple of the block {r}x{c}")
        blocks = w.reshape(w.shape[0] // r, r, w.shape[1] // c, c).transpose(0, 2, 1, 3)
        rows, cols = np.nonzero(np.any(blocks != 0, axis=(2, 3)))
        indptr = np.zeros(blocks.shape[0] + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=blocks.shape[0]), out=indptr[1:])
        return cls(w.shape, (r, c), indptr, cols, blocks[rows, cols])

    @classmethod
    def from_scipy(cls, matrix, blocksize=None) -> "BSRMatrix":
        """A scipy.sparse matrix; ``blocksize`` defaults to the matrix's own when it is BSR."""
        import scipy.sparse as sp  # noqa: F401  (scipy_canonical reports a missing scipy)
        what = "BSRMatrix.from_scipy"
        if blocksize is None:
            m = _sparse.scipy_canonical(matrix, "bsr", what)
        else:
            m = _sparse.scipy_canonical(matrix, "bsr", what, blocksize=block_shape(blocksize, what))
        return cls(m.shape, m.blocksize, m.indptr, m.indices, m.data)

    def to_dense(self) -> np.ndarray:
        (rows, cols), (r, c) = self.shape, self.blocksize
        blocks = np.zeros((rows // r, cols // c, r, c), np.float32)
        block_rows = np.repeat(np.arange(rows // r), np.diff(self.indptr))
        blocks[block_rows, self.indices] = self.data
        return np.ascontiguousarray(blocks.transpose(0, 2, 1, 3).reshape(rows, cols))

    def to_scipy(self):
        import scipy.sparse as sp
        return sp.bsr_matrix((self.data, self.indices, self.indptr), shape=self.shape)
