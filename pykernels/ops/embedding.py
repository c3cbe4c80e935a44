"""Embedding lookup on the registry's "embedding" kernels.

Kernel contract for op "embedding"::

    embedding(ids, table, out)   # out[i] = table[ids[i]]

with ``ids`` C-contiguous int64 (n,) already checked to lie in [0, rows), ``table``
(rows, dim) and ``out`` (n, dim) C-contiguous float32.
"""
from __future__ import annotations

import numpy as np

from pykernels import validation
from pykernels.registry import resolve


def embedding_ids(ids, op: str, rows: int) -> np.ndarray:
    """``ids`` as an int64 array: integer dtype (else TypeError), each in [0, rows) (else ValueError)."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{op}: ids must be integers, got dtype {ids.dtype}")
    if ids.size:
        low, high = ids.min(), ids.max()
        if low < 0 or high >= rows:
            bad = low if low < 0 else high
            where = tuple(int(i) for i in np.argwhere(ids == bad)[0])
            raise ValueError(f"{op}: id {bad} at index {where} is out of range for a table of {rows} rows "
                             f"(expected 0 <= id < {rows})")
    return ids.astype(np.int64, copy=False)


def embedding(ids, table: np.ndarray, *, out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``table[ids]``: the rows of ``table`` (rows, dim) gathered by integer ``ids`` of any shape.

    The result has shape ``ids.shape + (dim,)``.
    """
    op = "embedding"
    table = validation.contiguous_float32(table, op, "table", ndim=2)
    ids = embedding_ids(ids, op, table.shape[0])
    target, user_out = validation.output(out, ids.shape + (table.shape[1],), op, (table,))
    flat = np.require(ids.reshape(-1), requirements=["C", "A"])  # a misaligned view is copied: the kernels load int64
    resolve("embedding", backend)(flat, table, target.reshape(flat.size, table.shape[1]))
    return validation.finish(target, user_out)
