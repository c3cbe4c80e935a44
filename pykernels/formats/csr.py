"""CSR: compressed sparse rows, the unstructured format.

Row ``i`` holds ``data[indptr[i]:indptr[i+1]]`` at columns ``indices[indptr[i]:indptr[i+1]]``
(strictly increasing). The matrix is a weight ``W`` of shape (out_features, in_features)
as in PyTorch; ``ops.spmm`` computes ``W @ X``.
"""
from __future__ import annotations

import numpy as np

from pykernels.formats import _sparse


class CSRMatrix:
    format = "csr"

    def __init__(self, shape, indptr, indices, data):
        what = "CSRMatrix"
        self.shape = _sparse.shape2(shape, what)
        rows, cols = self.shape
        self.indptr = _sparse.index_array(indptr, what, "indptr", rows + 1)
        self.indices = _sparse.index_array(indices, what, "indices")
        self.data = _sparse.value_array(data, what)
        if self.data.shape != self.indices.shape:
            raise ValueError(f"{what}: data has shape {self.data.shape} but indices has {self.indices.shape}; "
                             f"expected one value per index")
        _sparse.check_compressed(self.indptr, self.indices, rows, cols, what)

    @property
    def nnz(self) -> int:
        return int(self.indices.shape[0])

    @property
    def density(self) -> float:
        return self.nnz / max(1, self.shape[0] * self.shape[1])

    @property
    def label(self) -> str:
        return "csr"

    def __repr__(self) -> str:
        return f"CSRMatrix(shape={self.shape}, nnz={self.nnz}, density={self.density:.3f})"

    @classmethod
    def from_dense(cls, w) -> "CSRMatrix":
        """The nonzeros of a 2-D array (explicit zeros are dropped)."""
        w = _sparse.dense_2d(w, "CSRMatrix.from_dense")
        rows, cols = np.nonzero(w)
        indptr = np.zeros(w.shape[0] + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=w.shape[0]), out=indptr[1:])
        return cls(w.shape, indptr, cols, w[rows, cols])

    @classmethod
    def from_scipy(cls, matrix) -> "CSRMatrix":
        """Any scipy.sparse matrix or array (duplicates summed, indices sorted)."""
        m = _sparse.scipy_canonical(matrix, "csr", "CSRMatrix.from_scipy")
        return cls(m.shape, m.indptr, m.indices, m.data)

    def to_dense(self) -> np.ndarray:
        out = np.zeros(self.shape, np.float32)
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
        out[rows, self.indices] = self.data
        return out

    def to_scipy(self):
        import scipy.sparse as sp
        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)
