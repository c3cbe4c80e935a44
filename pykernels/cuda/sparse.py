"""SpMM on the CUDA kernels (csrc/cuda/sparse): CSR (warp per row) and BSR (warp per block row).

Sparse weights live on the device as a ``DeviceSparse`` (pykernels.cuda.weights:
``to_device(w, like)``). The registry's "spmm" contract on device arrays:

``spmm(w, x, out, bias=None, activation="none")``: out (M, N) = act(W @ x + bias[:, None])
for a DeviceSparse w (M, K), x (K, N) float32 with any strides, out float32 with a unit
column stride, bias (M,) float32 or None.

``spmm_csr(indptr, indices, data, b, out, bias=None, activation="none")`` is the raw CSR
kernel on device arrays (bias per column here: n values): int32 indptr (M + 1) and
indices, float32 data. Index values stay on the device and are trusted: build the matrix
with a checked constructor on the host.
"""
from __future__ import annotations

from pykernels import _C_cuda
from pykernels.cpu.codes import ACTIVATION, BIAS_MODE
from pykernels.cuda import arrays, checks
from pykernels.cuda.weights import DeviceSparse


def spmm(w, x, out, bias=None, activation="none"):
    op = "cuda spmm"
    if not isinstance(w, DeviceSparse):
        raise TypeError(f"{op}: w must be a DeviceSparse (pykernels.cuda.weights.to_device(w, like=x)), "
                        f"got {type(w).__name__}")
    (pv, iv, dv, xv, ov, biasv), stream, device = arrays.operands(op, [
        (w.indptr, "indptr", ("int32",), 1), (w.indices, "indices", ("int32",), 1), (w.data, "data", ("float32",), None),
        (x, "x", ("float32",), 2), (out, "out", ("float32",), 2), (bias, "bias", ("float32",), 1)])
    m, k = w.shape
    if xv.shape[0] != k:
        raise ValueError(f"{op}: x has shape {xv.shape}, expected ({k}, N) for w of shape {w.shape}")
    checks.check_structure(op, w, pv, iv, dv)
    checks.check_dense(op, m, xv.shape[1], xv, ov, biasv, m)
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
    checks.check_dense(op, m, n, bv, ov, biasv, n)
    arrays.order_after_producers(_C_cuda, [v for v in (pv, iv, dv, bv, ov, biasv) if v], stream)
    _C_cuda.spmm_csr(device, stream, m, n, pv.ptr, iv.ptr, dv.ptr, bv.ptr, *bv.strides, ov.ptr, ov.strides[0],
                     biasv.ptr if biasv else 0, BIAS_MODE[1 if biasv else None], ACTIVATION[activation])
