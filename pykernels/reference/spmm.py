"""Reference SpMM: act(W @ X + bias) over the entries the sparse format stores.

Like scipy.sparse and torch.sparse, a zero the format does not store never meets x: NaN
or inf in x reach only the output rows whose stored entries read them (stored zeros, e.g.
inside a BSR block, do meet x). With finite x that is exactly the dense product.
"""
import numpy as np

from pykernels.formats import BSRMatrix, NMMatrix
from pykernels.reference.activations import activate


def stored_entries(w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, values) of every entry ``w`` stores, stored zeros included."""
    if isinstance(w, NMMatrix):
        rows, width = w.values.shape
        group_start = np.arange(width) // w.n * w.m
        return np.repeat(np.arange(rows), width), (group_start + w.positions).ravel(), w.values.ravel()
    if isinstance(w, BSRMatrix):
        (r, c), blocks = w.blocksize, w.indices.shape[0]
        block_rows = np.repeat(np.arange(w.shape[0] // r), np.diff(w.indptr))
        rows = block_rows[:, None, None] * r + np.arange(r)[None, :, None] + np.zeros((1, 1, c), np.int64)
        cols = w.indices[:, None, None] * c + np.arange(c)[None, None, :] + np.zeros((1, r, 1), np.int64)
        return rows.reshape(blocks * r * c), cols.reshape(blocks * r * c), w.data.reshape(-1)
    return np.repeat(np.arange(w.shape[0]), np.diff(w.indptr)), w.indices, w.data


def sparse_product(w, x, dtype=np.float64) -> np.ndarray:
    """W @ x (x: K x N, or K) summed over W's stored entries only."""
    x = np.asarray(x, dtype)
    if x.ndim == 1:
        return sparse_product(w, x[:, None], dtype)[:, 0]
    if np.isfinite(x).all():
        return np.asarray(w.to_dense(), dtype) @ x
    rows, cols, values = stored_entries(w)
    y = np.zeros((w.shape[0], x.shape[1]), dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        np.add.at(y, rows, np.asarray(values, dtype)[:, None] * x[cols])
    return y


def spmm(w, x, bias=None, activation=None, dtype=np.float64):
    """act(W @ x + bias[:, None]) for a sparse format ``w`` (M x K) and dense ``x`` (K x N) or (K,)."""
    y = sparse_product(w, x, dtype)
    if bias is not None:
        y = y + np.asarray(bias, dtype).reshape((-1,) + (1,) * (y.ndim - 1))
    return activate(y, activation, dtype)
