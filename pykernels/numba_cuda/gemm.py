# GEMM in numba.cuda: the "gemm" contract on device arrays (float32 or float16 in and
# out, float32 accumulation): out = act(a @ b [+ out] [+ bias]).
#
# The same tiling as the CUDA C++ kernel csrc/cuda/gemm/gemm_f32_128x128x8_simt_cuda.cu,
# line for line, so that the CUDA simulator checks that tiling where no GPU is: 256
# threads per 128 x 128 tile of C, an 8 x 8 register tile per thread (rows ty*4.. and
# 64+ty*4.., columns likewise with tx), K in steps of 8 double-buffered through shared
# memory (As[k][m], Bs[k][n], 4 floats of padding), each operand loaded with the
# thread-to-element map that walks its unit-stride dimension (a_kfast / b_kfast).
# Numba reads operands with their own strides (negative too), so views need no copies.
import math

import numpy as np
from numba import cuda, float32

from pykernels.cuda import arrays
from pykernels.numba.activations import CODES
from pykernels.numba_cuda import launch

BM, BN, BK, THREADS, PAD = 128, 128, 8, 256, 4
LOADS = BM * BK // THREADS  # elements of each operand a thread stages per K step
BIAS_NONE, BIAS_ROW, BIAS_COL = 0, 1, 2
DTYPES = ("float32", "float16")


@cuda.jit(device=True, inline=True)
def _coords(t, kfast):
    """(row or column, k) of load t of this thread: the unit-stride dimension varies fastest."""
    e = cuda.threadIdx.x + t * THREADS
    if kfast:
        return e // BK, e % BK
    return e % BM, e // BM


@cuda.jit(device=True, inline=True)
def _activate(v, code):
    if code == 1:
        return float32(0.0) if v < 0 else v
    if code == 2:
        return float32(1.0) / (float32(1.0) + math.exp(-v))
    if code == 3:
        return math.tanh(v)
    if code == 4:
        return float32(0.5) * v * math.erfc(-v * float32(0.7071067811865476))
    return v


@cuda.jit(device=True, inline=True)
def _load(a, b, ra, rb, m0, n0, k0, a_kfast, b_kfast):
    m, k = a.shape
    n = b.shape[1]
    for t in range(LOADS):
        r, kk = _coords(t, a_kfast)
        ra[t] = float32(a[m0 + r, k0 + kk]) if m0 + r < m and k0 + kk < k else float32(0.0)
        c, kk = _coords(t, b_kfast)
        rb[t] = float32(b[k0 + kk, n0 + c]) if n0 + c < n and k0 + kk < k else float32(0.0)


@cuda.jit(device=True, inline=True)
def _store(As, Bs, buf, ra, rb, a_kfast, b_kfast):
    for t in range(LOADS):
        r, kk = _coords(t, a_kfast)
        As[buf, kk, r] = ra[t]
        c, kk = _coords(t, b_kfast)
        Bs[buf, kk, c] = rb[t]


@cuda.jit
def _gemm_kernel(a, b, out, bias, bias_mode, code, accumulate, a_kfast, b_kfast):
    As = cuda.shared.array((2, BK, BM + PAD), float32)
    Bs = cuda.shared.array((2, BK, BN + PAD), float32)
    ra = cuda.local.array(LOADS, float32)
    rb = cuda.local.array(LOADS, float32)
    acc = cuda.local.array((8, 8), float32)
    av = cuda.local.array(8, float32)
    bv = cuda.local.array(8, float32)
    m, k = a.shape
    n = b.shape[1]
    m0, n0 = cuda.blockIdx.x * BM, cuda.blockIdx.y * BN
    ty, tx = cuda.threadIdx.x // 16, cuda.threadIdx.x % 16
    for i in range(8):
        for j in range(8):
            acc[i, j] = 0.0
    ktiles = (k + BK - 1) // BK
    if ktiles > 0:
        _load(a, b, ra, rb, m0, n0, 0, a_kfast, b_kfast)
        _store(As, Bs, 0, ra, rb, a_kfast, b_kfast)
    cuda.syncthreads()
    for kt in range(ktiles):
        buf = kt % 2
        if kt + 1 < ktiles:
            _load(a, b, ra, rb, m0, n0, (kt + 1) * BK, a_kfast, b_kfast)
        for kk in range(BK):
            for q in range(4):
                av[q] = As[buf, kk, ty * 4 + q]
                av[4 + q] = As[buf, kk, 64 + ty * 4 + q]
                bv[q] = Bs[buf, kk, tx * 4 + q]
                bv[4 + q] = Bs[buf, kk, 64 + tx * 4 + q]
            for i in range(8):
                for j in range(8):
                    acc[i, j] += av[i] * bv[j]
        if kt + 1 < ktiles:
            _store(As, Bs, 1 - buf, ra, rb, a_kfast, b_kfast)
        cuda.syncthreads()
    for i in range(8):
        gi = m0 + (ty * 4 + i if i < 4 else 64 + ty * 4 + i - 4)
        if gi >= m:
            continue
        for j in range(8):
            gj = n0 + (tx * 4 + j if j < 4 else 64 + tx * 4 + j - 4)
            if gj >= n:
                continue
            v = acc[i, j]
            if accumulate:
                v += float32(out[gi, gj])
            if bias_mode == BIAS_ROW:
                v += float32(bias[gi])
            elif bias_mode == BIAS_COL:
                v += float32(bias[gj])
            out[gi, gj] = _activate(v, code)


def gemm(a, b, out, bias=None, bias_axis=None, activation="none", accumulate=False):
    op = "numba-cuda gemm"
    (av, bv, ov, biasv), stream, _ = arrays.operands(op, [
        (a, "a", DTYPES, 2), (b, "b", DTYPES, 2), (out, "out", DTYPES, 2), (bias, "bias", DTYPES, 1)])
    if not av.dtype == bv.dtype == ov.dtype:
        raise TypeError(f"{op}: a, b and out must share one dtype, got {av.dtype}, {bv.dtype}, {ov.dtype}")
    (m, k), n = av.shape, bv.shape[1]
    if bv.shape[0] != k or ov.shape != (m, n):
        raise ValueError(f"{op}: shapes do not chain: a {av.shape}, b {bv.shape}, out {ov.shape}")
    if biasv is not None and biasv.shape != ((m if bias_axis == 0 else n),):
        raise ValueError(f"{op}: bias has shape {biasv.shape}, expected ({m if bias_axis == 0 else n},)")
    if m == 0 or n == 0:
        return
    bias_mode = BIAS_NONE if bias is None else (BIAS_ROW if bias_axis == 0 else BIAS_COL)
    a_kfast = abs(av.strides[1]) <= abs(av.strides[0])
    b_kfast = abs(bv.strides[0]) < abs(bv.strides[1])
    grid = ((m + BM - 1) // BM, (n + BN - 1) // BN)
    _gemm_kernel[grid, THREADS, launch.stream(stream)](
        a, b, out, launch.operand(bias, np.dtype(ov.dtype)), bias_mode, CODES[activation], bool(accumulate),
        a_kfast, b_kfast)
