# LSTM layer in Numba: one GEMM for the input projection of all steps (the Numba
# "gemm" kernel), then the whole recurrence in one compiled loop (_recurrence).
#
# Per step t: gates = xw[t] + h . W_hh^T through the Numba GEMM's serial blocked
# dot-product kernel (_dot_gemm, W_hh read in place as B^T, no packing), then one
# fused pass over the gates: sigmoid / tanh (the GEMM epilogue's float64 `activate`),
# the cell update and h, written to the state and the output of the active rows only
# (t < lengths[b]); rows past their end keep their state and output zeros. With a
# projection, h = h_raw . W_hr^T is one more _dot_gemm per step. No Python and no
# allocation per step: the scratch arrays are made once per call.
import numpy as np
from numba import njit

from pykernels.numba.activations import activate
from pykernels.numba.gemm import KC, MC, NC, MR, NR, _dot_gemm, _even_block, gemm

SIGMOID, TANH = 2, 3
_NO_BIAS = np.empty(0, np.float32)


@njit(cache=True)
def _product(a, bt, out, blocks, work):
    """out += a . bt^T on one thread (a, bt C-contiguous; blocks = (kc, mc, nc))."""
    kc, mc, nc = blocks
    _dot_gemm(a, a, bt, bt, out, 0, a.shape[0], 0, bt.shape[0], kc, mc, nc, _NO_BIAS, 0, 0, True, work)


@njit(cache=True)
def _recurrence(xw, w_hh, w_hr, h, c, lengths, reverse, y, gates, h_raw, h_new, rec_blocks, proj_blocks, work):
    """The time loop; h_new is h_raw itself without a projection (w_hr empty)."""
    steps, batch = xw.shape[0], xw.shape[1]
    hidden = c.shape[1]
    project = w_hr.shape[0] > 0
    for s in range(steps):
        t = steps - 1 - s if reverse else s
        gates[:, :] = xw[t]
        _product(h, w_hh, gates, rec_blocks, work)
        for b in range(batch):
            if t >= lengths[b]:
                continue
            for j in range(hidden):
                i = activate(gates[b, j], SIGMOID)
                f = activate(gates[b, hidden + j], SIGMOID)
                g = activate(gates[b, 2 * hidden + j], TANH)
                o = activate(gates[b, 3 * hidden + j], SIGMOID)
                cell = f * c[b, j] + i * g
                c[b, j] = cell
                h_raw[b, j] = o * activate(cell, TANH)
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
