"""GEMM on the CUDA kernels (csrc/cuda/gemm): the registry's "gemm" contract on device arrays.

``gemm(a, b, out, bias=None, bias_axis=None, activation="none", accumulate=False, tf32=False)``
writes ``out = act(a @ b [+ out] [+ bias])``. a (M, K) and b (K, N) are device arrays of
one dtype (float32, float16 or bfloat16) with any strides; out (M, N) has that dtype and
a unit column stride; bias is contiguous, of out's dtype. float32 is exact FP32 unless
``tf32=True`` (tensor cores, operands rounded to TF32, like torch's allow_tf32).

``gemm_int8(a, b, out, row_scale=None, col_scale=None, bias=None, activation="none",
accumulate=False)``: a (M, K) and b (K, N) int8; out int32 gets the exact product (plus
out when accumulating), out float32 gets act(acc * row_scale[i] * col_scale[j] + bias[j])
(the registry's "gemm_int8" contract on device arrays, pykernels.ops.device).
"""
from __future__ import annotations

from pykernels import _C_cuda
from pykernels.cpu.codes import ACTIVATION, BIAS_MODE
from pykernels.cuda import arrays

FLOATS = ("float32", "float16", "bfloat16")


def _check_chain(op, a, b, out):
    m, k = a.shape
    if b.shape[0] != k or out.shape != (m, b.shape[1]):
        raise ValueError(f"{op}: shapes do not chain: a {a.shape}, b {b.shape}, out {out.shape} "
                         f"(expected out {(m, b.shape[1])})")
    if out.shape[1] > 1 and out.shape[0] > 0 and out.strides[1] != 1:
        raise ValueError(f"{op}: out must have unit column stride, got element strides {out.strides}")


def _check_vector(op, name, v, length, dtype):
    if v is None:
        return 0
    if v.dtype != dtype:
        raise TypeError(f"{op}: {name} must have dtype {dtype}, got {v.dtype}")
    if v.shape != (length,) or (length > 1 and v.strides[0] != 1):
        raise ValueError(f"{op}: {name} must be contiguous of shape ({length},), got shape {v.shape}")
    return v.ptr


def gemm(a, b, out, bias=None, bias_axis=None, activation="none", accumulate=False, tf32=False):
    op = "cuda gemm"
    (av, bv, ov, biasv), stream, device = arrays.operands(op, [
        (a, "a", FLOATS, 2), (b, "b", FLOATS, 2), (out, "out", FLOATS, 2), (bias, "bias", FLOATS, 1)])
    if not av.dtype == bv.dtype == ov.dtype:
        raise TypeError(f"{op}: a, b and out must share one dtype, got {av.dtype}, {bv.dtype}, {ov.dtype}")
    _check_chain(op, av, bv, ov)
    m, k, n = av.shape[0], av.shape[1], bv.shape[1]
    bias_ptr = _check_vector(op, "bias", biasv, m if bias_axis == 0 else n, ov.dtype)
    arrays.order_after_producers(_C_cuda, [av, bv, ov] + ([biasv] if biasv else []), stream)
    _C_cuda.gemm(device, stream, arrays.CODES[av.dtype], arrays.CODES[ov.dtype], bool(tf32), m, n, k,
                 av.ptr, *av.strides, bv.ptr, *bv.strides, ov.ptr, ov.strides[0], bias_ptr,
                 BIAS_MODE[bias_axis if bias is not None else None], 0, 0, ACTIVATION[activation], bool(accumulate))


def gemm_int8(a, b, out, row_scale=None, col_scale=None, bias=None, activation="none", accumulate=False):
    op = "cuda gemm_int8"
    (av, bv, ov, rv, cv, biasv), stream, device = arrays.operands(op, [
        (a, "a", ("int8",), 2), (b, "b", ("int8",), 2), (out, "out", ("int32", "float32"), 2),
        (row_scale, "row_scale", ("float32",), 1), (col_scale, "col_scale", ("float32",), 1),
        (bias, "bias", ("float32",), 1)])
    _check_chain(op, av, bv, ov)
    m, k, n = av.shape[0], av.shape[1], bv.shape[1]
    if ov.dtype == "int32" and (rv or cv or biasv or activation != "none"):
        raise ValueError(f"{op}: an int32 out takes the exact product: no scales, bias or activation "
                         "(pass a float32 out to dequantise)")
    if k >= 2 ** 17:
        raise OverflowError(f"{op}: K = {k} could overflow the int32 accumulator (at most {2 ** 17 - 1})")
    r_ptr = _check_vector(op, "row_scale", rv, m, "float32")
    c_ptr = _check_vector(op, "col_scale", cv, n, "float32")
    bias_ptr = _check_vector(op, "bias", biasv, n, "float32")
    arrays.order_after_producers(_C_cuda, [v for v in (av, bv, ov, rv, cv, biasv) if v], stream)
    _C_cuda.gemm(device, stream, arrays.CODES["int8"], arrays.CODES[ov.dtype], False, m, n, k,
                 av.ptr, *av.strides, bv.ptr, *bv.strides, ov.ptr, ov.strides[0], bias_ptr,
                 BIAS_MODE[1 if bias is not None else None], r_ptr, c_ptr, ACTIVATION[activation], bool(accumulate))
