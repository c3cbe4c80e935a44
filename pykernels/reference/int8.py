"""Reference quantization and int8 GEMM: NumPy int64 / float64, written for clarity.

These functions define the integer semantics every backend reproduces bit for bit:

- quantize:   q = clamp(rint(x / scale) + zp, lo, hi), x / scale one float32 division,
              rint half to even, NaN -> zp, +-inf saturate;
- dequantize: y = (q - zp) * scale (exact in float64, then rounded once to float32);
- requantize: q = clamp(rint(float64(x) * multiplier) + zp, lo, hi);
- gemm_int8:  S = (A - za) @ (W - zw).T exactly, then S itself, a float epilogue, or a
              requantization.
"""
import numpy as np

from pykernels.reference.activations import activate

INT32_MIN, INT32_MAX = -2**31, 2**31 - 1


def quantize(x, scale, zero_point, lo, hi, dtype):
    """Codes of float32 ``x``; scale and zero_point broadcast against x."""
    scale = np.asarray(scale, np.float32)
    zero_point = np.asarray(zero_point, np.int64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        v = np.asarray(x, np.float32) / scale
    v = np.where(np.isnan(v), np.float32(0), v)
    v = np.clip(v, (lo - zero_point).astype(np.float32), (hi - zero_point).astype(np.float32))
    return (np.rint(v).astype(np.int64) + zero_point).astype(dtype)


def dequantize(q, scale, zero_point, dtype=np.float32):
    y = (np.asarray(q, np.float64) - np.asarray(zero_point, np.float64)) * np.asarray(scale, np.float32).astype(np.float64)
    return y.astype(dtype)


def requantize(x, multiplier, zero_point, lo, hi, dtype):
    zero_point = np.asarray(zero_point, np.int64)
    v = np.rint(np.asarray(x, np.float64) * np.asarray(multiplier, np.float64))
    v = np.clip(v, lo - zero_point, hi - zero_point)
    return (v.astype(np.int64) + zero_point).astype(dtype)


def activation_codes(a, a_zero_point, a_scale, a_qmax):
    """A as integers (int64) and its zero point: integer A as it is, float A quantized to [0, a_qmax]."""
    a = np.asarray(a)
    if a.dtype == np.float32:
        return quantize(a, a_scale, a_zero_point, 0, a_qmax, np.int64), a_zero_point
    return a.astype(np.int64), a_zero_point


def gemm_s64(a_codes, a_zero_point, w, w_zero_point=None):
    """S = (A - za) @ (W - zw).T in int64: A (M, K), W (N, K)."""
    w64 = np.asarray(w, np.int64)
    if w_zero_point is not None:
        w64 = w64 - np.asarray(w_zero_point, np.int64)[:, None]
    return (np.asarray(a_codes, np.int64) - a_zero_point) @ w64.T


def gemm_int8(s, out_dtype, scale=None, bias=None, multiplier=None, bias_s32=None, out_zero_point=0,
              activation="none", dtype=np.float64):
    """The output of the int8 GEMM from its exact sums ``s`` (int64)."""
    out_dtype = np.dtype(out_dtype)
    if out_dtype == np.int32:
        assert s.size == 0 or (s.min() >= INT32_MIN and s.max() <= INT32_MAX), "int32 accumulator overflow"
        return s.astype(np.int32)
    if out_dtype == np.float32:
        y = s.astype(dtype) * np.asarray(scale, np.float32).astype(dtype)
        if bias is not None:
            y = y + np.asarray(bias, dtype)
        return activate(y, activation, dtype)
    lo, hi = (-128, 127) if out_dtype == np.int8 else (0, 255)
    if activation == "relu":
        lo = max(lo, out_zero_point)
    if bias_s32 is not None:
        s = s + np.asarray(bias_s32, np.int64)
    return requantize(s, multiplier, out_zero_point, lo, hi, out_dtype)


