# LSTM layer in Numba: one GEMM for the input projection of all steps (the Numba
# "gemm" kernel), then the whole recurrence in one compiled loop (_recurrence).
#
# Per step t: gates = xw[t] + h . W_hh^T through the Numba GEMM's serial blocked
# dot-product kernel (_dot_gemm, W_hh read in place as B^T, no packing), then one
# fused pass over the gates: sigmoid / tanh, the cell update and h, written to the
# state and the output of the active rows only (t < lengths[b]); rows past their end
# keep their state and output zeros. With a projection, h = h_raw . W_hr^T is one more
# _dot_gemm per step. No Python and no allocation per step: the scratch arrays are
# made once per call.
#
# The gate pass is pure float64 arithmetic, so LLVM vectorises it (Numba has no vector
# libm without SVML; one libm call per gate would cost more than the recurrent product):
# e^x = (e^{x/128})^128, a degree-13 Taylor polynomial on |x / 128| <= 0.69 squared seven
# times, relative error ~1e-13 before the float32 rounding.
import numpy as np
from numba import njit

from pykernels.numba.gemm import KC, MC, NC, MR, NR, _dot_gemm, _even_block, gemm

_NO_BIAS = np.empty(0, np.float32)
_EXP_LIMIT = 88.0  # beyond it e^-x underflows float32's sigmoid and e^x overflows it


@njit(cache=True, inline="always")
def _exp(x):
    """e^x for float64 |x| <= 88 (see the top of the file)."""
    r = x * (1.0 / 128.0)
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    p = p * p  # seven squarings: (e^{x/128})^128
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    return p * p


@njit(cache=True, inline="always")
def _clamp(x, limit):
    """x limited to [-limit, limit]; NaN stays NaN."""
    return limit if x > limit else (-limit if x < -limit else x)


@njit(cache=True, inline="always")
def _sigmoid(x):
    return 1.0 / (1.0 + _exp(-_clamp(x, _EXP_LIMIT)))


@njit(cache=True, inline="always")
def _tanh(x):
    """tanh(x) in float64: an odd Taylor polynomial near 0 (no cancellation), else 1 - 2 / (e^2x + 1)."""
    z = x * x
    small = x * (1.0 - z * (1.0 / 3.0 - z * (2.0 / 15.0 - z * (17.0 / 315.0))))
    large = 1.0 - 2.0 / (_exp(2.0 * _clamp(x, 10.0)) + 1.0)
    return small if z < 1e-4 else large


@njit(cache=True, error_model="numpy", fastmath={"contract"})  # no ZeroDivisionError checks: vectorises
def _gates(pre, c, h_raw):
    """The fused gate pass of one row: c and h_raw (H,) from its pre-activations pre (4H,)."""
    hidden = c.size
    gi, gf, gg, go = pre[:hidden], pre[hidden:2 * hidden], pre[2 * hidden:3 * hidden], pre[3 * hidden:]
    for j in range(hidden):
        cell = np.float32(_sigmoid(np.float64(gf[j])) * c[j] + _sigmoid(np.float64(gi[j])) * _tanh(np.float64(gg[j])))
        c[j] = cell
        h_raw[j] = np.float32(_sigmoid(np.float64(go[j])) * _tanh(np.float64(cell)))


@njit(cache=True)
def _product(a, bt, out, blocks, work):
    """out += a . bt^T on one thread (a, bt C-contiguous; blocks = (kc, mc, nc))."""
    kc, mc, nc = blocks
    _dot_gemm(a, a, bt, bt, out, 0, a.shape[0], 0, bt.shape[0], kc, mc, nc, _NO_BIAS, 0, 0, True, work)


@njit(cache=True)
def _recurrence(xw, w_hh, w_hr, h, c, lengths, reverse, y, gates, h_raw, h_new, rec_blocks, proj_blocks, work):
    """The time loop; h_new is h_raw itself without a projection (w_hr empty)."""
    steps, batch = xw.shape[0], xw.shape[1]
    project = w_hr.shape[0] > 0
    for s in range(steps):
        t = steps - 1 - s if reverse else s
        gates[:, :] = xw[t]
        _product(h, w_hh, gates, rec_blocks, work)
        for b in range(batch):
            if t < lengths[b]:
                _gates(gates[b], c[b], h_raw[b])
        if project:
            h_new[:, :] = 0.0
            _product(h_raw, w_hr, h_new, proj_blocks, work)
        for b in range(batch):
            if t < lengths[b]:
                h[b, :] = h_new[b, :]
                y[t, b, :] = h_new[b, :]
            else:
                y[t, b, :] = 0.0


def _blocks(m, n, k):
    return (_even_block(k, KC, 8), _even_block(m, MC, MR), _even_block(n, NC, NR))


def lstm_layer(x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, reverse, y, h_n, c_n):
    steps, batch, features = x.shape
    hidden, state = w_hh.shape[0] // 4, w_hh.shape[1]
    h_n[...] = 0.0 if h0 is None else h0
    c_n[...] = 0.0 if c0 is None else c0
    if steps == 0 or batch == 0:
        return
    rows = np.ascontiguousarray(x).reshape(steps * batch, features)
    xw = np.empty((steps * batch, 4 * hidden), np.float32)
    gemm(rows, w_ih.T, xw, bias, 1)
    lengths = np.full(batch, steps, np.int64) if lengths is None else lengths
    rec_blocks = _blocks(batch, 4 * hidden, state)
    proj_blocks = _blocks(batch, state, hidden)
    work = np.empty(max((mc + nc) * kc for kc, mc, nc in (rec_blocks, proj_blocks)), np.float32)
    gates = np.empty((batch, 4 * hidden), np.float32)
    h_raw = np.empty((batch, hidden), np.float32)
    h_new = h_raw if w_hr is None else np.empty((batch, state), np.float32)
    _recurrence(xw.reshape(steps, batch, 4 * hidden), w_hh, np.empty((0, 0), np.float32) if w_hr is None else w_hr,
                h_n, c_n, lengths, reverse, y, gates, h_raw, h_new, rec_blocks, proj_blocks, work)
