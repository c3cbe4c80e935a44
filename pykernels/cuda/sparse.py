"""CSR SpMM on the CUDA kernel (csrc/cuda/sparse/spmm_f32_csr_8x128_cuda.cu), device arrays.

``spmm_csr(indptr, indices, data, b, out, bias=None, activation="none")`` writes
``out = act(A @ b [+ bias])`` for A (M, K) in CSR form (int32 indptr of M + 1 offsets,
int32 column indices, float32 values) and b (K, N) float32 with any strides; out (M, N)
float32 with a unit column stride. Shapes and dtypes are checked here; the index values
themselves stay on the device and are trusted (build the matrix with a checked CSR
constructor on the host). Not yet wired to an op: the sparse family's op contract is
landing on main separately.
"""
from __future__ import annotations

from pykernels import _C_cuda
from pykernels.cpu.codes import ACTIVATION
from pykernels.cuda import arrays


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
    if bv.shape[1] != n:
        raise ValueError(f"{op}: b has shape {bv.shape}, expected (K, {n}) to match out {ov.shape}")
    if n > 1 and m > 0 and ov.strides[1] != 1:
        raise ValueError(f"{op}: out must have unit column stride")
    if biasv is not None and (biasv.shape != (n,) or (n > 1 and biasv.strides[0] != 1)):
        raise ValueError(f"{op}: bias must be contiguous of shape ({n},), got {biasv.shape}")
    arrays.order_after_producers(_C_cuda, [v for v in (pv, iv, dv, bv, ov, biasv) if v], stream)
    _C_cuda.spmm_csr(device, stream, m, n, pv.ptr, iv.ptr, dv.ptr, bv.ptr, *bv.strides, ov.ptr, ov.strides[0],
                     biasv.ptr if biasv else 0, ACTIVATION[activation])
