# Scaled dot-product attention and layer norm in Numba: the flash algorithm of the C++
# kernel (csrc/cpu/attention) in Python.
#
# sdpa(q, k, v, out, mask, is_causal, scale): q (B, Hq, Nq, D), k (B, Hkv, Nk, D), v (B,
# Hkv, Nk, Dv), out (B, Hq, Nq, Dv) C-contiguous, mask None or 4-D bool / float32 broadcast by strides.
#
# Tile: one task is (batch, query head, block of MQ query rows). Its Q block is packed
# once, scaled by scale * log2 e (the softmax runs on exp2). For each block of BC keys,
# K is packed as rows and V transposed (D x keys), both K-contiguous, so that both
# products, S = Q K^T and O += P V, are the GEMM backend's dot tiles (_dot_block, 4x3
# register tiles that LLVM vectorizes along the reduction). In between, the online
# softmax keeps each row's running max and sum; the max only moves when it grows by
# more than 2^8 (lazy rescaling), and exp2 is a polynomial with the exponent built in
# an int32 array, a loop LLVM vectorizes (Numba has no vector exp without SVML). The
# score matrix never exists beyond MQ x BC. Causal: a task stops at its last row's
# diagonal. Threads: tasks dealt round-robin, longest first, one workspace per thread.
import math

import numpy as np
from numba import njit, prange

from pykernels.numba.activations import set_threads
from pykernels.numba.gemm import BIAS_NONE, _dot_block

MQ, BC = 96, 64  # query rows per task, keys per block
LOG2E = np.float32(1.4426950408889634)
LAZY_RESCALE_LOG2 = np.float32(8.0)
SHIFTER = np.float32(12582912.0)  # 1.5 * 2^23: x + SHIFTER - SHIFTER rounds x to an integer
NONE, BOOL, ADDITIVE = 0, 1, 2
_NO_MASK = np.zeros((1, 1, 1, 1), np.float32)
_EMPTY_BIAS = np.empty(0, np.float32)


@njit(cache=True, fastmath={"contract"})
def _exp2_rows(s, rows, keys, shift, e):
    """s[r, :keys] <- 2^(s[r, :keys] - shift[r]) for x <= 127; x <= -127 (and -inf) give 0.

    The fraction's 2^f is a degree-6 fit on [-1/2, 1/2]; 2^n is an exponent field written
    into e (int32) and read back through its float32 view. No "reassoc": it would fold
    the rounding trick (x + SHIFTER) - SHIFTER into x.
    """
    scale = e.view(np.float32)
    for r in range(rows):
        for j in range(keys):
            x = s[r, j] - shift[r]
            x = np.float32(-127.0) if x < -127.0 else x
            n = (x + SHIFTER) - SHIFTER
            f = x - n
            p = np.float32(1.5337577497e-4)
            p = p * f + np.float32(1.3399859890e-3)
            p = p * f + np.float32(9.6185198054e-3)
            p = p * f + np.float32(5.5503290147e-2)
            p = p * f + np.float32(2.4022646248e-1)
            p = p * f + np.float32(6.9314718246e-1)
            p = p * f + np.float32(1.0)
            s[r, j] = p
            e[r, j] = (np.int32(n) + np.int32(127)) << 23
        for j in range(keys):
            s[r, j] *= scale[r, j]


@njit(cache=True, fastmath={"contract", "reassoc"})
def _row_sum(s, r, keys):
    total = np.float32(0.0)
    for j in range(keys):
        total += s[r, j]
    return total


@njit(cache=True, fastmath={"contract", "reassoc"})
def _row_max(s, r, keys):
    top = -np.inf
    for j in range(keys):
        top = max(top, s[r, j])
    return np.float32(top)


@njit(cache=True)
def _online_softmax(s, rows, keys, m, l, alpha, shift, e):
    """Fold the block's scores into the running max m and sum l; s becomes probabilities."""
    for r in range(rows):
        top = _row_max(s, r, keys)
        a = np.float32(1.0)
        if top > m[r] + LAZY_RESCALE_LOG2:  # false for a row masked so far and here
            a = np.float32(2.0 ** (np.float64(m[r]) - top))
            m[r] = top
        alpha[r] = a
        shift[r] = np.float32(0.0) if m[r] == -np.inf else m[r]  # nothing attended yet: 2^-inf = 0
    _exp2_rows(s, rows, keys, shift, e)
    for r in range(rows):
        l[r] = l[r] * alpha[r] + _row_sum(s, r, keys)


@njit(cache=True)
def _mask_scores(s, rows, keys, mask, kind, b, h, i0, j0):
    """Bool mask: -inf where False. Additive: + mask * log2 e (scores are in log2 units)."""
    for r in range(rows):
        for j in range(keys):
            if kind == BOOL:
                if not mask[b, h, i0 + r, j0 + j]:
                    s[r, j] = -np.inf
            else:
                s[r, j] += np.float32(mask[b, h, i0 + r, j0 + j]) * LOG2E


@njit(cache=True)
def _task(q, k, v, out, mask, kind, causal, qscale, b, h, q0, q1, qp, kp, vt, s, o, e, stats):
    """One (batch, head, query block) task; the buffers after q1 are this thread's (see _buffers)."""
    d, dv, nk = q.shape[3], v.shape[3], k.shape[2]
    hk = h // (q.shape[1] // k.shape[1])
    rows = q1 - q0
    qp, s, o, e = qp[:rows], s[:rows], o[:rows], e[:rows]
    m, l, alpha, shift = stats[0], stats[1], stats[2], stats[3]
    for i in range(rows):
        for c in range(d):
            qp[i, c] = q[b, h, q0 + i, c] * qscale
    o[:, :] = 0.0
    m[:rows] = -np.inf
    l[:rows] = 0.0
    key_end = min(nk, q1) if causal else nk
    for k0 in range(0, key_end, BC):
        keys = min(BC, key_end - k0)
        for j in range(keys):
            for c in range(d):
                kp[j, c] = k[b, hk, k0 + j, c]
            for c in range(dv):
                vt[c, j] = v[b, hk, k0 + j, c]
        _dot_block(qp, 0, np.uint64(0), rows, kp, 0, np.uint64(0), keys, np.uint64(d), s, 0, 0, True, False,
                   _EMPTY_BIAS, BIAS_NONE, 0)
        if kind != NONE:
            _mask_scores(s, rows, keys, mask, kind, b, h, q0, k0)
        if causal and k0 + keys - 1 > q0:
            for r in range(rows):
                for j in range(max(0, q0 + r + 1 - k0), keys):
                    s[r, j] = -np.inf
        _online_softmax(s, rows, keys, m, l, alpha, shift, e)
        for r in range(rows):
            if alpha[r] != 1.0:
                for c in range(dv):
                    o[r, c] *= alpha[r]
        _dot_block(s, 0, np.uint64(0), rows, vt, 0, np.uint64(0), dv, np.uint64(keys), o, 0, 0, False, False,
                   _EMPTY_BIAS, BIAS_NONE, 0)
    for i in range(rows):
        inv = np.float32(0.0) if l[i] == 0.0 else np.float32(1.0) / l[i]
        for c in range(dv):
            out[b, h, q0 + i, c] = o[i, c] * inv


def _buffers(threads, d, dv):
    """Each thread's task buffers: Q block, K block, V block transposed, scores, output
    accumulator, exp2 exponents, and the row statistics (max, sum, alpha, shift)."""
    return (np.empty((threads, MQ, d), np.float32), np.empty((threads, BC, d), np.float32),
            np.empty((threads, dv, BC), np.float32), np.empty((threads, MQ, BC), np.float32),
            np.empty((threads, MQ, dv), np.float32), np.empty((threads, MQ, BC), np.int32),
            np.empty((threads, 4, MQ), np.float32))


@njit(cache=True)
def _run(q, k, v, out, mask, kind, causal, qscale, first, step, qp, kp, vt, s, o, e, stats):
    """Tasks first, first + step, ...: longest (causal) first."""
    heads, blocks = q.shape[0] * q.shape[1], (q.shape[2] + MQ - 1) // MQ
    for t in range(first, heads * blocks, step):
        block, bh = blocks - 1 - t // heads, t % heads
        q0 = block * MQ
        _task(q, k, v, out, mask, kind, causal, qscale, bh // q.shape[1], bh % q.shape[1], q0,
              min(q.shape[2], q0 + MQ), qp, kp, vt, s, o, e, stats)


@njit(cache=True, parallel=True)
def _run_parallel(q, k, v, out, mask, kind, causal, qscale, qp, kp, vt, s, o, e, stats):
    n = qp.shape[0]
    for t in prange(n):
        _run(q, k, v, out, mask, kind, causal, qscale, t, n, qp[t], kp[t], vt[t], s[t], o[t], e[t], stats[t])


def sdpa(q, k, v, out, mask, is_causal, scale):
    b, hq, nq, d = q.shape
    nk = k.shape[2]
    kind = NONE if mask is None else BOOL if mask.dtype == np.bool_ else ADDITIVE
    mask = _NO_MASK if mask is None else np.broadcast_to(mask, (b, hq, nq, nk))
    qscale = np.float32(np.float64(scale) * 1.4426950408889634)
    tasks = b * hq * -(-nq // MQ)
    threads = min(tasks, set_threads(2 * b * hq * nq * max(nk, 1) * max(d + v.shape[3], 1), 1 << 21))
    buffers = _buffers(threads, d, v.shape[3])
    if threads == 1:
        _run(q, k, v, out, mask, kind, is_causal, qscale, 0, 1, *(buf[0] for buf in buffers))
    else:
        _run_parallel(q, k, v, out, mask, kind, is_causal, qscale, *buffers)


@njit(cache=True, error_model="numpy")  # eps = 0 on a constant row: 1 / 0 = inf (NaN out, as PyTorch), no exception
def _layer_norm_rows(x, out, gamma, beta, eps):
    """Two passes per row in float64 (mean, variance about it), then normalise."""
    n = x.shape[1]
    for r in range(x.shape[0]):
        mean = 0.0
        for c in range(n):
            mean += x[r, c]
        mean /= n
        var = 0.0
        for c in range(n):
            var += (x[r, c] - mean) ** 2
        inv = np.float32(1.0 / math.sqrt(var / n + eps))
        m = np.float32(mean)
        for c in range(n):
            y = (x[r, c] - m) * inv
            if gamma.size:
                y = y * gamma[c]
            if beta.size:
                y = y + beta[c]
            out[r, c] = y


def layer_norm(x, out, gamma, beta, eps):
    n = x.shape[-1]
    if n == 0:
        return
    empty = _EMPTY_BIAS
    _layer_norm_rows(x.reshape(-1, n), out.reshape(-1, n), empty if gamma is None else gamma,
                     empty if beta is None else beta, eps)
