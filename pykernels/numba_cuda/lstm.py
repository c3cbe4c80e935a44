# LSTM layer in numba.cuda: the "lstm_layer" contract on float32 device arrays.
#
# As csrc/cuda/lstm's step-wise path: the input projection x W_ih^T + bias for all steps
# is one GEMM (the numba-cuda "gemm" kernel) into a workspace laid out like x's rows;
# then per step one kernel with a thread per (batch row, unit) adds h W_hh^T to its four
# gate pre-activations and updates c (kept in c_n) and h (a double buffer), honouring
# lengths (rows that stopped keep their state and write zeros); with a projection a
# second kernel per step computes h = r W_hr^T.
import math

import numpy as np
from numba import cuda, float32

from pykernels.cuda.checks import lstm_operands
from pykernels.numba_cuda import launch
from pykernels.numba_cuda.gemm import gemm

THREADS = 128


@cuda.jit(device=True, inline=True)
def _sigmoid(v):
    return float32(1.0) / (float32(1.0) + math.exp(-v))


@cuda.jit
def _step_kernel(gates, t, time_major, w_hh, h_prev, h_next, r, c_n, h_n, y, lengths, project):
    idx = cuda.grid(1)
    batch, hidden = c_n.shape
    if idx >= batch * hidden:
        return
    b, u = idx // hidden, idx % hidden
    g_row = t * batch + b if time_major else b * (gates.shape[0] // batch) + t
    state = h_prev.shape[1]
    pre = cuda.local.array(4, float32)
    for gate in range(4):
        acc = gates[g_row, gate * hidden + u]
        for k in range(state):
            acc += h_prev[b, k] * w_hh[gate * hidden + u, k]
        pre[gate] = acc
    on = lengths.shape[0] == 0 or t < lengths[b]
    if on:
        c = _sigmoid(pre[1]) * c_n[b, u] + _sigmoid(pre[0]) * math.tanh(pre[2])
        c_n[b, u] = c
        out = _sigmoid(pre[3]) * math.tanh(c)
    else:
        out = float32(0.0)
    if project:
        r[b, u] = out
        return
    h = out if on else h_prev[b, u]
    h_next[b, u] = h
    y[t, b, u] = out
    if on:
        h_n[b, u] = h


@cuda.jit
def _project_kernel(t, w_hr, r, h_prev, h_next, h_n, y, lengths):
    idx = cuda.grid(1)
    batch, state = h_next.shape
    if idx >= batch * state:
        return
    b, u = idx // state, idx % state
    on = lengths.shape[0] == 0 or t < lengths[b]
    acc = float32(0.0)
    for k in range(r.shape[1]):
        acc += r[b, k] * w_hr[u, k]
    h_next[b, u] = acc if on else h_prev[b, u]
    y[t, b, u] = acc if on else float32(0.0)
    if on:
        h_n[b, u] = acc


@cuda.jit
def _init_kernel(h, h0, c_n, c0):
    idx = cuda.grid(1)
    batch, state = h.shape
    if idx < batch * state:
        b, u = idx // state, idx % state
        h[b, u] = h0[b, u] if h0.shape[0] else float32(0.0)
    if idx < c_n.shape[0] * c_n.shape[1]:
        b, u = idx // c_n.shape[1], idx % c_n.shape[1]
        c_n[b, u] = c0[b, u] if c0.shape[0] else float32(0.0)


def lstm_layer(x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, reverse, y, h_n, c_n):
    op = "numba-cuda lstm_layer"
    _, stream, _, (steps, batch, inputs, hidden, state, rows) = lstm_operands(
        op, x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, y, h_n, c_n)
    if steps == 0 or batch == 0:
        return
    time_major = rows == "time"
    from pykernels.ops.device import _swap01
    x_rows = x if time_major else _swap01(x)
    gates = cuda.device_array((steps * batch, 4 * hidden), np.float32)
    gemm(x_rows.reshape(steps * batch, inputs), w_ih.T, gates, bias, 1)
    hbuf = [cuda.device_array((batch, state), np.float32) for _ in range(2)]
    r = cuda.device_array((batch, hidden), np.float32)
    empty2 = cuda.device_array((0, 0), np.float32)
    s = launch.stream(stream)
    blocks = (max(batch * state, batch * hidden) + THREADS - 1) // THREADS
    _init_kernel[blocks, THREADS, s](hbuf[0], empty2 if h0 is None else h0, c_n, empty2 if c0 is None else c0)
    lens = launch.operand(lengths, np.int64)
    for step in range(steps):
        t = steps - 1 - step if reverse else step
        h_prev, h_next = hbuf[step % 2], hbuf[(step + 1) % 2]
        _step_kernel[(batch * hidden + THREADS - 1) // THREADS, THREADS, s](
            gates, t, time_major, w_hh, h_prev, h_next, r, c_n, h_n, y, lens, w_hr is not None)
        if w_hr is not None:
            _project_kernel[(batch * state + THREADS - 1) // THREADS, THREADS, s](
                t, w_hr, r, h_prev, h_next, h_n, y, lens)
