# Quantization and the int8 GEMM in Numba (semantics: pykernels.reference.int8).
#
# quantize / dequantize / requantize: one loop per row, the row's parameters picked by
# `per` (0 tensor, 1 row, 2 column); rows run in parallel for large inputs.
#
# gemm_int8: A is first turned into uint8 codes (int8 + 128, or quantized float32) with
# their row sums, then S = codes . W^T runs as 4 x 4 tiles of dot products along K over
# the rows of the codes and of W (both contiguous along K): 16 int32 accumulators that
# LLVM's loop vectorizer widens, so the products stay in 32-bit lanes (exact: the op has
# checked that S fits in int32; the raw sums wrap exactly like the AVX2 kernel's and the
# zero-point corrections are applied in int64). Threads split the columns of W.
import numpy as np
from numba import njit, prange

from pykernels.formats.qtensor import dynamic_qparams, dynamic_row_qparams
from pykernels.numba.activations import CODES, activate, set_threads

PER = {"tensor": 0, "row": 1, "col": 2}
MIN_WORK_PER_THREAD = 1 << 16  # elements (quantize) or multiply-adds / 16 (gemm) per thread
OUT_S32, OUT_F32, OUT_Q = 0, 1, 2


@njit(cache=True)
def _param(p, per, r, c):
    return p[0] if per == 0 else (p[r] if per == 1 else p[c])


@njit(cache=True)
def _quantize_row(x, scale, zero_point, per, lo, hi, q, r):
    for c in range(x.shape[1]):
        z = _param(zero_point, per, r, c)
        v = x[r, c] / _param(scale, per, r, c)
        if v != v:
            v = np.float32(0.0)
        v = min(max(v, np.float32(lo - z)), np.float32(hi - z))
        q[r, c] = np.int32(np.rint(v)) + z


@njit(cache=True, parallel=True)
def _quantize(x, scale, zero_point, per, lo, hi, q):
    for r in prange(x.shape[0]):
        _quantize_row(x, scale, zero_point, per, lo, hi, q, r)


@njit(cache=True, parallel=True)
def _dequantize(q, scale, zero_point, per, y):
    for r in prange(q.shape[0]):
        for c in range(q.shape[1]):
            y[r, c] = np.float32(np.int32(q[r, c]) - _param(zero_point, per, r, c)) * _param(scale, per, r, c)


@njit(cache=True)
def _requantize_value(x, m, z, lo, hi):
    v = min(max(np.rint(np.float64(x) * m), np.float64(lo - z)), np.float64(hi - z))
    return np.int64(v) + z


@njit(cache=True, parallel=True)
def _requantize(x, multiplier, zero_point, per, lo, hi, q):
    for r in prange(x.shape[0]):
        for c in range(x.shape[1]):
            q[r, c] = _requantize_value(x[r, c], _param(multiplier, per, r, c), _param(zero_point, per, r, c), lo, hi)


def _threads(work):
    return set_threads(work, MIN_WORK_PER_THREAD)


def quantize(x, scale, zero_point, per, lo, hi, q):
    _quantize(x, scale, zero_point, PER[per], lo, hi, q)


def dequantize(q, scale, zero_point, per, y):
    _dequantize(q, scale, zero_point, PER[per], y)


def requantize(x, multiplier, zero_point, per, lo, hi, q):
    _requantize(x, multiplier, zero_point, PER[per], lo, hi, q)


@njit(cache=True)
def _int_codes(a, flip, codes, rowsum):
    """codes = a as uint8 codes (int8 + 128 when flip), with their row sums."""
    for i in range(a.shape[0]):
        s = 0
        for p in range(a.shape[1]):
            v = np.int32(a[i, p]) + flip
            codes[i, p] = v
            s += v
        rowsum[i] = s


@njit(cache=True)
def _float_codes(a, scales, zero_points, qmax, codes, rowsum):
    """codes of float32 a with one (scale, zero point) for all rows, or one per row."""
    per_row = scales.size > 1
    for i in range(a.shape[0]):
        row = np.ascontiguousarray(a[i:i + 1, :])
        t = i if per_row else 0
        _quantize_row(row, scales[t:t + 1], zero_points[t:t + 1], 0, 0, qmax, codes[i:i + 1, :], 0)
        s = 0
        for p in range(a.shape[1]):
            s += codes[i, p]
        rowsum[i] = s


@njit(cache=True)
def _dot_4x4(codes, i, w, j, k, last_i, last_j):
    """The 4 x 4 tile of sum_p codes[i + r, p] * w[j + c, p] (rows / columns clamped to the last).

    k is unsigned so that Numba emits no negative-index wraparound, which would stop LLVM
    from vectorizing the loop (as in numba/gemm.py).
    """
    a0, a1, a2, a3 = codes[i], codes[min(i + 1, last_i)], codes[min(i + 2, last_i)], codes[min(i + 3, last_i)]
    b0, b1, b2, b3 = w[j], w[min(j + 1, last_j)], w[min(j + 2, last_j)], w[min(j + 3, last_j)]
    t = np.zeros(16, np.int32)
    s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = np.int32(0)
    s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = np.int32(0)
    for p in range(k):
        x0, x1, x2, x3 = np.int32(a0[p]), np.int32(a1[p]), np.int32(a2[p]), np.int32(a3[p])
        y0, y1, y2, y3 = np.int32(b0[p]), np.int32(b1[p]), np.int32(b2[p]), np.int32(b3[p])
        s00 += x0 * y0
        s01 += x0 * y1
        s02 += x0 * y2
        s03 += x0 * y3
        s10 += x1 * y0
        s11 += x1 * y1
        s12 += x1 * y2
        s13 += x1 * y3
        s20 += x2 * y0
        s21 += x2 * y1
        s22 += x2 * y2
        s23 += x2 * y3
        s30 += x3 * y0
        s31 += x3 * y1
        s32 += x3 * y2
        s33 += x3 * y3
    t[0], t[1], t[2], t[3] = s00, s01, s02, s03
    t[4], t[5], t[6], t[7] = s10, s11, s12, s13
    t[8], t[9], t[10], t[11] = s20, s21, s22, s23
    t[12], t[13], t[14], t[15] = s30, s31, s32, s33
    return t


@njit(cache=True)
def _store(t, i, j, m, n, k, zas, rowsum, colsum, wzp, has_wzp, out, kind, a_scales, w_scale, bias, has_bias, mult,
           bias_s32, has_bias_s32, zc, lo, hi, code):
    for r in range(min(4, m - i)):
        row = i + r if zas.size > 1 else 0  # the row's own (scale, zero point), or the tensor's
        za = zas[row]
        for c in range(min(4, n - j)):
            zb = np.int64(wzp[j + c]) if has_wzp else np.int64(0)
            s = (np.int64(np.int32(t[4 * r + c])) - zb * rowsum[i + r] - np.int64(za) * colsum[j + c]
                 + np.int64(k) * za * zb)
            s = np.int64(np.int32(s))  # the exact sum fits in int32 (checked by the op)
            if kind == OUT_S32:
                out[i + r, j + c] = s
            elif kind == OUT_F32:
                v = np.float32(s) * (a_scales[row] * w_scale[j + c])
                if has_bias:
                    v += bias[j + c]
                out[i + r, j + c] = activate(v, code)
            else:
                if has_bias_s32:
                    s = np.int64(np.int32(s + bias_s32[j + c]))
                out[i + r, j + c] = _requantize_value(s, mult[j + c], zc, lo, hi)


@njit(cache=True, parallel=True)
def _gemm(codes, zas, rowsum, w, colsum, wzp, has_wzp, out, kind, a_scales, w_scale, bias, has_bias, mult, bias_s32,
          has_bias_s32, zc, lo, hi, code, col_cuts):
    m, k = codes.shape
    n = w.shape[0]
    for t in prange(col_cuts.size - 1):
        for j in range(col_cuts[t], col_cuts[t + 1], 4):
            for i in range(0, m, 4):
                tile = _dot_4x4(codes, i, w, j, np.uint64(k), m - 1, n - 1)
                _store(tile, i, j, m, n, k, zas, rowsum, colsum, wzp, has_wzp, out, kind, a_scales, w_scale, bias,
                       has_bias, mult, bias_s32, has_bias_s32, zc, lo, hi, code)


_NONE_F32 = np.zeros(1, np.float32)
_NONE_F64 = np.zeros(1, np.float64)
_NONE_I32 = np.zeros(1, np.int32)


def gemm_int8(a, a_zero_point, a_scale, a_qmax, weights, out, bias=None, multiplier=None, bias_s32=None,
              out_zero_point=0, activation="none", a_per_row=False):
    m, k = a.shape
    n = out.shape[1]
    if m == 0 or n == 0:
        return
    if a_per_row:
        a_scales, zas = dynamic_row_qparams(a, a_qmax, "gemm_int8")
    else:
        if a_scale is None:
            a_scale, a_zero_point = dynamic_qparams(a, a_qmax, "gemm_int8")
        a_scales, zas = np.array([a_scale], np.float32), np.array([a_zero_point], np.int32)
    codes = np.empty((m, k), np.uint8)
    rowsum = np.empty(m, np.int64)
    if a.dtype == np.float32:
        _float_codes(a, a_scales, zas, a_qmax, codes, rowsum)
    else:
        flip = 128 if a.dtype == np.int8 else 0
        zas = zas + flip
        _int_codes(a, flip, codes, rowsum)
    kind = OUT_S32 if out.dtype == np.int32 else (OUT_F32 if out.dtype == np.float32 else OUT_Q)
    lo, hi = (-128, 127) if out.dtype == np.int8 else (0, 255)
    if activation == "relu" and kind == OUT_Q:
        lo = max(lo, out_zero_point)
    threads = _threads(m * n * max(k, 1) // 16)
    cuts = (np.arange(threads + 1) * (-(-n // 4)) // threads * 4).clip(0, n).astype(np.int64)
    wzp = weights.zero_point
    _gemm(codes, zas.astype(np.int64), rowsum, weights.data, weights.colsum.astype(np.int64),
          _NONE_I32 if wzp is None else wzp, wzp is not None, out, kind, a_scales, weights.scale,
          _NONE_F32 if bias is None else bias,
          bias is not None, _NONE_F64 if multiplier is None else multiplier,
          _NONE_I32 if bias_s32 is None else bias_s32, bias_s32 is not None, out_zero_point, lo, hi,
          CODES[activation], cuts)


@njit(cache=True, parallel=True)
def _im2col_codes(x, za, c0, cg, kh_size, kw_size, sh, sw, top, left, dh, dw, out_h, out_w, a):
    """a[i, (kh * kw_size + kw) * cg + c] = x[n, ih, iw, c0 + c] of output pixel i, za in the padding."""
    n_img, in_h, in_w = x.shape[0], x.shape[1], x.shape[2]
    for i in prange(n_img * out_h * out_w):
        n, oh, ow = i // (out_h * out_w), (i // out_w) % out_h, i % out_w
        for kh in range(kh_size):
            ih = oh * sh - top + kh * dh
            for kw in range(kw_size):
                iw = ow * sw - left + kw * dw
                base = (kh * kw_size + kw) * cg
                inside = 0 <= ih < in_h and 0 <= iw < in_w
                for c in range(cg):
                    a[i, base + c] = x[n, ih, iw, c0 + c] if inside else za


def conv2d_int8(x, x_zero_point, x_scale, weights, out, kernel, stride, padding, dilation, groups, group,
                bias=None, multiplier=None, bias_s32=None, out_zero_point=0, activation="none"):
    """im2col of the group's channels as uint8 codes (Numba), then the Numba int8 GEMM."""
    cg, og = x.shape[3] // groups, weights.out_features
    m = out.shape[0] * out.shape[1] * out.shape[2]
    a = np.empty((m, weights.in_features), np.uint8)
    if m:
        _threads(a.size)
        _im2col_codes(x, np.uint8(x_zero_point), group * cg, cg, kernel[0], kernel[1], stride[0], stride[1],
                      padding[0], padding[2], dilation[0], dilation[1], out.shape[1], out.shape[2], a)
    c = np.empty((m, og), out.dtype)
    gemm_int8(a, x_zero_point, x_scale, 255, weights, c, bias=bias, multiplier=multiplier, bias_s32=bias_s32,
              out_zero_point=out_zero_point, activation=activation)
    out.reshape(m, out.shape[3])[:, group * og:(group + 1) * og] = c
