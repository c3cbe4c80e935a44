# Elementwise activations (in place) and row softmax, float32, compiled by Numba.
#
# activation(x, name): x <- name(x) on a C-contiguous float32 array, read as one flat
# run of elements. softmax(x, out): out = softmax over the last axis of a C-contiguous
# float32 array viewed as (rows, n); out may be x.
#
# Tile: elementwise work is cut into CHUNK-element runs, softmax into whole rows; runs
# and rows are spread over the Numba threads (prange) once the array is big enough to
# pay for waking them. Why this variant: relu compiles to a vectorized select; sigmoid,
# tanh, gelu and exp are one libm call per element (5-20 ns), evaluated in float64 and
# rounded once, so they are as accurate as float32 allows. Numba has no vector
# exp/erfc without SVML, so they stay scalar. `activate` is also the GEMM epilogue.
import math

import numba
import numpy as np
from numba import njit, prange

from pykernels.threads import get_num_threads

CODES = {"none": 0, "relu": 1, "sigmoid": 2, "tanh": 3, "gelu": 4}
CHUNK = 1 << 14  # elements per parallel run: enough work to amortize a thread's wake-up
_SQRT1_2 = 1.0 / math.sqrt(2.0)


def set_threads(work: int, grain: int) -> int:
    """Threads for ``work`` units (at least ``grain`` each), at most pykernels' count.

    When more than one, Numba's count is set to it: that setting is per Python thread,
    so it is set on every parallel call (cheap). Serial calls leave Numba's pool alone.
    """
    n = max(1, min(get_num_threads(), numba.config.NUMBA_NUM_THREADS, work // grain))
    if n > 1:
        numba.set_num_threads(n)
    return n


@njit(cache=True)
def activate(v, code):
    """One float32 value through activation ``code`` (CODES); NaN stays NaN."""
    if code == 1:
        return np.float32(0.0) if v < 0 else v
    x = np.float64(v)
    if code == 2:
        return np.float32(1.0 / (1.0 + math.exp(-x)))
    if code == 3:
        return np.float32(math.tanh(x))
    if code == 4:
        return np.float32(0.5 * x * math.erfc(-x * _SQRT1_2))
    return v


@njit(cache=True)
def _activate_run(x, start, stop, code):
    for i in range(start, stop):
        x[i] = activate(x[i], code)


@njit(cache=True, parallel=True)
def _activate_parallel(x, code):
    runs = (x.size + CHUNK - 1) // CHUNK
    for r in prange(runs):
        _activate_run(x, r * CHUNK, min(x.size, (r + 1) * CHUNK), code)


def activation(x, name):
    code = CODES[name]
    if code == 0 or x.size == 0:
        return
    flat = x.reshape(-1)
    if set_threads(x.size, CHUNK) > 1:
        _activate_parallel(flat, code)
    else:
        _activate_run(flat, 0, flat.size, code)


@njit(cache=True)
def _softmax_row(x, out, r):
    """out[r] = softmax(x[r]): max, exp and its float64 sum, one scale.

    A NaN anywhere (or inf - inf) makes the sum NaN, so the row is NaN as in the reference.
    """
    n = x.shape[1]
    m = x[r, 0]
    for i in range(1, n):
        if x[r, i] > m:
            m = x[r, i]
    total = 0.0
    for i in range(n):
        e = np.float32(math.exp(np.float64(x[r, i]) - m))
        out[r, i] = e
        total += e
    scale = 1.0 / total
    for i in range(n):
        out[r, i] = np.float32(out[r, i] * scale)


@njit(cache=True)
def _softmax_serial(x, out):
    for r in range(x.shape[0]):
        _softmax_row(x, out, r)


@njit(cache=True, parallel=True)
def _softmax_parallel(x, out):
    for r in prange(x.shape[0]):
        _softmax_row(x, out, r)


def softmax(x, out):
    if x.size == 0:
        return
    n = x.shape[-1]
    rows, out_rows = x.reshape(-1, n), out.reshape(-1, n)
    if set_threads(x.size, CHUNK) > 1 and rows.shape[0] > 1:
        _softmax_parallel(rows, out_rows)
    else:
        _softmax_serial(rows, out_rows)
