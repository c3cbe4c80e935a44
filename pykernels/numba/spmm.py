# SpMM in Numba: out = act(W @ x + bias[:, None]) for W in BSR (CSR = 1x1) or N:M.
#
# Vectorised along the dense dimension N like the C++ kernels: each output row is
# accumulated in place, one nonzero at a time, as an axpy of a row of x (C-contiguous,
# copied when it is not) that LLVM vectorizes; for a BSR block the c rows of x are
# reused by the block's r output rows while they sit in L1. Rows are cut into one range
# per thread with equal nonzeros (prange over ranges, no barriers). N runs in COLS-wide
# strips so that the output row strip and the x rows a row touches stay in cache.
import numpy as np
from numba import njit, prange

from pykernels.numba.activations import CODES, activate, set_threads

COLS = 256  # dense columns per strip
MIN_FLOPS_PER_THREAD = 5e5


@njit(cache=True, fastmath={"contract"})
def _bsr_range(indptr, indices, data, r, c, x, out, u0, u1, bias, has_bias, code):
    n = x.shape[1]
    for j0 in range(0, n, COLS):
        j1 = min(n, j0 + COLS)
        for br in range(u0, u1):
            for rr in range(r):
                i = br * r + rr
                row = out[i, j0:j1]
                row[:] = bias[i] if has_bias else np.float32(0.0)
                for b in range(indptr[br], indptr[br + 1]):
                    base = indices[b] * c
                    for cc in range(c):
                        v = data[b, rr, cc]
                        xr = x[base + cc, j0:j1]
                        for j in range(j1 - j0):
                            row[j] += v * xr[j]
                if code != 0:
                    for j in range(j1 - j0):
                        row[j] = activate(row[j], code)


@njit(cache=True, parallel=True)
def _bsr_parallel(indptr, indices, data, r, c, x, out, cuts, bias, has_bias, code):
    for t in prange(cuts.size - 1):
        _bsr_range(indptr, indices, data, r, c, x, out, cuts[t], cuts[t + 1], bias, has_bias, code)


@njit(cache=True, fastmath={"contract"})
def _nm_range(values, positions, nn, mm, x, out, i0, i1, bias, has_bias, code):
    n = x.shape[1]
    kept = values.shape[1]
    for j0 in range(0, n, COLS):
        j1 = min(n, j0 + COLS)
        for i in range(i0, i1):
            row = out[i, j0:j1]
            row[:] = bias[i] if has_bias else np.float32(0.0)
            for t in range(kept):
                v = values[i, t]
                xr = x[(t // nn) * mm + positions[i, t], j0:j1]
                for j in range(j1 - j0):
                    row[j] += v * xr[j]
            if code != 0:
                for j in range(j1 - j0):
                    row[j] = activate(row[j], code)


@njit(cache=True, parallel=True)
def _nm_parallel(values, positions, nn, mm, x, out, cuts, bias, has_bias, code):
    for t in prange(cuts.size - 1):
        _nm_range(values, positions, nn, mm, x, out, cuts[t], cuts[t + 1], bias, has_bias, code)


def _cuts(work_prefix, threads):
    """threads + 1 unit boundaries with equal work (work_prefix[u]: work before unit u)."""
    targets = work_prefix[-1] * np.arange(threads + 1) / threads
    cuts = np.searchsorted(work_prefix, targets).astype(np.int64)
    cuts[0], cuts[-1] = 0, work_prefix.size - 1
    return np.maximum.accumulate(cuts)


def spmm(w, x, out, bias=None, activation="none"):
    m, k = w.shape
    n = x.shape[1]
    if m == 0 or n == 0:
        return
    x = np.ascontiguousarray(x)
    has_bias = bias is not None
    bias = bias if has_bias else np.empty(0, np.float32)
    code = CODES[activation]
    if w.format == "nm":
        kept = w.values.shape[1]
        threads = set_threads(int(2 * w.nnz * n / MIN_FLOPS_PER_THREAD), 1)
        prefix = np.arange(m + 1, dtype=np.int64) * (kept + 1)
        values, positions = w.values, w.positions
        if threads == 1:
            _nm_range(values, positions, w.n, w.m, x, out, 0, m, bias, has_bias, code)
        else:
            _nm_parallel(values, positions, w.n, w.m, x, out, _cuts(prefix, threads), bias, has_bias, code)
        return
    r, c = w.blocksize if w.format == "bsr" else (1, 1)
    data = w.data.reshape(-1, r, c)
    threads = set_threads(int(2 * w.nnz * n / MIN_FLOPS_PER_THREAD), 1)
    if threads == 1:
        _bsr_range(w.indptr, w.indices, data, r, c, x, out, 0, m // r, bias, has_bias, code)
    else:
        prefix = w.indptr.astype(np.int64) * (r * c) + np.arange(m // r + 1) * r
        _bsr_parallel(w.indptr, w.indices, data, r, c, x, out, _cuts(prefix, threads), bias, has_bias, code)


def conv2d_sparse(x, out, w, kernel, bias, stride, padding, dilation, activation):
    """The sparse-weight convolution: per chunk of output pixels, the im2col rows (numba/conv.py)
    transposed to (taps, pixels) and multiplied by W with spmm, then written back as NHWC."""
    from pykernels.numba.conv import CHUNK_FLOATS, _im2col, _use_threads
    batch, h, width, c = x.shape
    _, out_h, out_w, oc = out.shape
    rows, taps = batch * out_h * out_w, w.shape[1]
    if out.size == 0:
        return
    flat = out.reshape(rows, oc)
    chunk = max(1, min(rows, CHUNK_FLOATS // max(taps, 1)))
    cols = np.empty((chunk, taps), np.float32)
    part = np.empty((oc, chunk), np.float32)
    for row0 in range(0, rows, chunk):
        m = min(chunk, rows - row0)
        _use_threads(m * taps)
        _im2col(x, row0, m, 0, c, kernel[0], kernel[1], stride[0], stride[1], dilation[0], dilation[1], padding[0],
                padding[2], out_h, out_w, cols)
        spmm(w, np.ascontiguousarray(cols[:m].T), part[:, :m], bias, activation)
        flat[row0:row0 + m] = part[:, :m].T
