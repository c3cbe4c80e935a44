"""What the sparse weight formats share: metadata checks and the scipy bridge.

Every format validates its arrays when constructed (malformed metadata is a
ValueError naming what was expected and what was given), so kernels can trust them.
"""
from __future__ import annotations

import numpy as np

INDEX_DTYPE = np.int32  # the kernels' index type: nnz and dimensions must fit


def shape2(shape, what: str) -> tuple[int, int]:
    """``shape`` as two non-negative ints that int32 indices can address."""
    try:
        rows, cols = (int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: shape must be two ints (rows, cols), got {shape!r}") from None
    if rows < 0 or cols < 0:
        raise ValueError(f"{what}: shape must be non-negative, got {(rows, cols)}")
    limit = np.iinfo(INDEX_DTYPE).max
    if rows > limit or cols > limit:
        raise OverflowError(f"{what}: shape {(rows, cols)} exceeds the int32 index range ({limit})")
    return rows, cols


def index_array(a, what: str, name: str, length: int | None = None) -> np.ndarray:
    """An integer 1-D array as contiguous int32 (values checked to fit)."""
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{what}: {name} must be an integer array, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{what}: {name} must be 1-D, got shape {a.shape}")
    if length is not None and a.shape[0] != length:
        raise ValueError(f"{what}: {name} must have {length} entries, got {a.shape[0]}")
    if a.size and (a.min() < np.iinfo(INDEX_DTYPE).min or a.max() > np.iinfo(INDEX_DTYPE).max):
        raise OverflowError(f"{what}: {name} has values outside the int32 range")
    return np.ascontiguousarray(a, INDEX_DTYPE)


def value_array(a, what: str, name: str = "data") -> np.ndarray:
    """Values as contiguous float32 (any real dtype is cast, as layers cast inputs)."""
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{what}: {name} must be a real numeric array, got dtype {a.dtype}")
    return np.ascontiguousarray(a, np.float32)


def check_compressed(indptr: np.ndarray, indices: np.ndarray, rows: int, cols: int, what: str) -> None:
    """indptr starts at 0, never decreases and ends at nnz; each row's indices ascend strictly within [0, cols)."""
    if indptr[0] != 0:
        raise ValueError(f"{what}: indptr must start at 0, got {indptr[0]}")
    steps = np.diff(indptr)
    if steps.size and steps.min() < 0:
        row = int(np.argmax(steps < 0))
        raise ValueError(f"{what}: indptr must be non-decreasing; indptr[{row + 1}] = {indptr[row + 1]} "
                         f"< indptr[{row}] = {indptr[row]}")
    if indptr[-1] != indices.shape[0]:
        raise ValueError(f"{what}: indptr[-1] = {indptr[-1]} but there are {indices.shape[0]} indices (nnz)")
    if indices.size == 0:
        return
    if indices.min() < 0 or indices.max() >= cols:
        bad = int(np.argmax((indices < 0) | (indices >= cols)))
        raise ValueError(f"{what}: column index {indices[bad]} at position {bad} is out of range [0, {cols})")
    # Within a row the next index must be larger; at a row start anything goes.
    rising = np.diff(indices) > 0
    starts = np.zeros(indices.shape[0], bool)
    starts[indptr[1:-1][indptr[1:-1] < indices.shape[0]]] = True
    bad = ~(rising | starts[1:])
    if bad.any():
        at = int(np.argmax(bad)) + 1
        row = int(np.searchsorted(indptr, at, side="right") - 1)
        raise ValueError(f"{what}: indices of row {row} must be strictly increasing (sorted, no duplicates); "
                         f"got {indices[at - 1]} then {indices[at]}")


def dense_2d(w, what: str) -> np.ndarray:
    """A real 2-D array as float32."""
    w = np.asarray(w)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{what}: expected a real numeric array, got dtype {w.dtype}")
    if w.ndim != 2:
        raise ValueError(f"{what}: expected a 2-D array (out_features, in_features), got shape {w.shape}")
    return w.astype(np.float32, copy=False)


def scipy_canonical(matrix, fmt: str, what: str, **convert):
    """A scipy sparse matrix or array converted to ``fmt`` with sorted, summed duplicates."""
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - scipy is optional
        raise ImportError(f"{what}: scipy is needed to convert scipy.sparse input (pip install scipy)") from None
    if not sp.issparse(matrix):
        raise TypeError(f"{what}: expected a scipy.sparse matrix or array, got {type(matrix).__name__}")
    converted = matrix.asformat(fmt, copy=True) if not convert else getattr(matrix, f"to{fmt}")(**convert)
    converted.sum_duplicates()
    converted.sort_indices()
    return converted
