"""SpMM on the CUDA kernels (csrc/cuda/sparse): CSR (warp per row) and BSR (warp per block row).

Sparse weights live on the device as a ``DeviceSparse``: ``to_device(w, like)`` copies a
validated host CSRMatrix / BSRMatrix (pykernels.formats) once, with the library of the
device array ``like``, on its device. The registry's "spmm" contract on device arrays:

``spmm(w, x, out, bias=None, activation="none")``: out (M, N) = act(W @ x + bias[:, None])
for a DeviceSparse w (M, K), x (K, N) float32 with any strides, out float32 with a unit
column stride, bias (M,) float32 or None.

``spmm_csr(indptr, indices, data, b, out, bias=None, activation="none")`` is the raw CSR
kernel on device arrays (bias per column here: n values): int32 indptr (M + 1) and
indices, float32 data. Index values stay on the device and are trusted: build the matrix
with a checked constructor on the host.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pykernels import _C_cuda
from pykernels.cpu.codes import ACTIVATION, BIAS_MODE
from pykernels.cuda import arrays


@dataclass(frozen=True)
class DeviceSparse:
    """A CSR or BSR matrix whose index and value arrays are device arrays (int32, float32)."""
    format: str  # "csr" or "bsr"
    shape: tuple[int, int]
    blocksize: tuple[int, int]  # (1, 1) for CSR
    indptr: Any
    indices: Any
    data: Any  # CSR: (nnz,), BSR: (blocks, r, c)
    nnz: int

    @property
    def density(self) -> float:
        return self.nnz / max(1, self.shape[0] * self.shape[1])


def to_device(w, like) -> DeviceSparse:
    """Copy a validated host CSRMatrix or BSRMatrix to the device of device array ``like``."""
    from pykernels import validation
    w = validation.sparse_matrix(w, "to_device")
    if w.format not in ("csr", "bsr"):
        raise ValueError(f"to_device: the GPU kernels take CSR or BSR matrices, got {w.format!r} "
                         "(convert N:M with BSRMatrix.from_dense(w.to_dense(), (1, 1)) or CSRMatrix)")
    blocksize = w.blocksize if w.format == "bsr" else (1, 1)
    w_format = "csr" if blocksize == (1, 1) else "bsr"  # 1x1 blocks are CSR
    copy = [arrays.from_host(like, np.asarray(a, dtype)) for a, dtype in
            ((w.indptr, np.int32), (w.indices, np.int32), (w.data, np.float32))]
    return DeviceSparse(w_format, tuple(w.shape), blocksize, *copy, int(np.asarray(w.data).size))


def _check_structure(op, w, pv, iv, dv):
    m = w.shape[0]
    r, c = w.blocksize
    if pv.shape != (m // r + 1,) or iv.shape[0] != (dv.shape[0] if dv.ndim else 0):
        raise ValueError(f"{op}: the sparse structure does not fit its shape {w.shape} and block {w.blocksize}")
    for name, v in (("indptr", pv), ("indices", iv), ("data", dv)):
        if not v.c_contiguous:
            raise ValueError(f"{op}: {name} must be contiguous")


def _check_dense(op, m, n, bv, ov, biasv, bias_len):
    if ov.shape != (m, n) or bv.shape[1] != n:
        raise ValueError(f"{op}: b {bv.shape} and out {ov.shape} do not fit a sparse matrix of {m} rows")
    if n > 1 and m > 0 and ov.strides[1] != 1:
        raise ValueError(f"{op}: out must have unit column stride")
    if biasv is not None and (biasv.shape != (bias_len,) or (bias_len > 1 and biasv.strides[0] != 1)):
        raise ValueError(f"{op}: bias must be contiguous of shape ({bias_len},), got {biasv.shape}")


def spmm(w, x, out, bias=None, activation="none"):
    op = "cuda spmm"
    if not isinstance(w, DeviceSparse):
        raise TypeError(f"{op}: w must be a DeviceSparse (pykernels.cuda.sparse.to_device(w, like=x)), "
                        f"got {type(w).__name__}")
    (pv, iv, dv, xv, ov, biasv), stream, device = arrays.operands(op, [
        (w.indptr, "indptr", ("int32",), 1), (w.indices, "indices", ("int32",), 1), (w.data, "data", ("float32",), None),
        (x, "x", ("float32",), 2), (out, "out", ("float32",), 2), (bias, "bias", ("float32",), 1)])
    m, k = w.shape
    if xv.shape[0] != k:
        raise ValueError(f"{op}: x has shape {xv.shape}, expected ({k}, N) for w of shape {w.shape}")
    _check_structure(op, w, pv, iv, dv)
    _check_dense(op, m, xv.shape[1], xv, ov, biasv, m)
    arrays.order_after_producers(_C_cuda, [v for v in (pv, iv, dv, xv, ov, biasv) if v], stream)
    args = (pv.ptr, iv.ptr, dv.ptr, xv.ptr, *xv.strides, ov.ptr, ov.strides[0], biasv.ptr if biasv else 0,
            BIAS_MODE[0 if biasv else None], ACTIVATION[activation])
    if w.format == "csr":
        _C_cuda.spmm_csr(device, stream, m, xv.shape[1], *args)
    else:
        _C_cuda.spmm_bsr(device, stream, m, xv.shape[1], *w.blocksize, *args)


def spmm_csr(indptr, indices, data, b, out, bias=None, activation="none"):
    op = "cuda spmm_csr"
    (pv, iv, dv, bv, ov, biasv), stream, device = arrays.operands(op, [
        (indptr, "indptr", ("int32",), 1), (indices, "indices", ("int32",), 1), (data, "data", ("float32",), 1),
        (b, "b", ("float32",), 2), (out, "out", ("float32",), 2), (bias, "bias", ("float32",), 1)])
    m, n = ov.shape
    if pv.shape != (m + 1,):
        raise ValueError(f"{op}: indptr has shape {pv.shape}, expected ({m + 1},) for out of shape {ov.shape}")
    if iv.shape != dv.shape:
        raise ValueError(f"{op}: indices {iv.shape} and data {dv.shape} must have one length (the nonzeros)")
    for name, v in (("indptr", pv), ("indices", iv), ("data", dv)):
        if v.shape[0] > 1 and v.strides[0] != 1:
            raise ValueError(f"{op}: {name} must be contiguous")
    _check_dense(op, m, n, bv, ov, biasv, n)
    arrays.order_after_producers(_C_cuda, [v for v in (pv, iv, dv, bv, ov, biasv) if v], stream)
    _C_cuda.spmm_csr(device, stream, m, n, pv.ptr, iv.ptr, dv.ptr, bv.ptr, *bv.strides, ov.ptr, ov.strides[0],
                     biasv.ptr if biasv else 0, BIAS_MODE[1 if biasv else None], ACTIVATION[activation])
