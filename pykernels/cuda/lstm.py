"""LSTM layer on the CUDA kernels: the registry's "lstm_layer" contract on float32 device arrays.

``lstm_layer(x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, reverse, y, h_n, c_n)`` as in
pykernels.ops.lstm, every array on the device (lengths int64). The input projection
x W_ih^T + bias for all steps is one exact-FP32 GEMM (csrc/cuda/gemm) into a workspace;
the recurrence (csrc/cuda/lstm) is one persistent kernel holding W_hh in shared memory
(no projection, W_hh fits the GPU's co-resident blocks), else a GEMM and a pointwise
kernel per step.
"""
from __future__ import annotations

from pykernels import _C_cuda
from pykernels.cpu.codes import ACTIVATION, BIAS_MODE
from pykernels.cuda import arrays


def check_lstm(op, xv, w_ihv, w_hhv, biasv, w_hrv, h0v, c0v, lenv, yv, h_nv, c_nv):
    """The contract's shapes and layouts (ValueError otherwise); returns (T, B, I, H, R, rows)
    where rows is "time" or "batch": the order in which x's rows are contiguous."""
    steps, batch, inputs = xv.shape
    hidden = w_hhv.shape[0] // 4
    state = w_hrv.shape[0] if w_hrv is not None else hidden
    expect = {"w_ih": (w_ihv, (4 * hidden, inputs)), "w_hh": (w_hhv, (4 * hidden, state)),
              "bias": (biasv, (4 * hidden,)), "w_hr": (w_hrv, (state, hidden)), "h0": (h0v, (batch, state)),
              "c0": (c0v, (batch, hidden)), "lengths": (lenv, (batch,)), "h_n": (h_nv, (batch, state)),
              "c_n": (c_nv, (batch, hidden))}
    for name, (v, shape) in expect.items():
        if v is not None and (v.shape != shape or not v.c_contiguous):
            raise ValueError(f"{op}: {name} must be C-contiguous of shape {shape}, got {v.shape}")
    if yv.shape != (steps, batch, state) or (state > 1 and yv.strides[2] != 1):
        raise ValueError(f"{op}: y must have shape {(steps, batch, state)} with unit feature stride, got {yv.shape}")
    s_t, s_b, s_f = xv.strides
    if inputs > 1 and s_f != 1:
        raise ValueError(f"{op}: x must have unit stride along features")
    if s_t == batch * s_b or steps == 1:
        rows = "time"
    elif s_b == steps * s_t or batch == 1:
        rows = "batch"
    else:
        raise ValueError(f"{op}: x rows must be time-major or batch-major contiguous, got strides {xv.strides}")
    return steps, batch, inputs, hidden, state, rows


def lstm_layer(x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, reverse, y, h_n, c_n):
    op = "cuda lstm_layer"
    f32 = ("float32",)
    views, stream, device = arrays.operands(op, [
        (x, "x", f32, 3), (w_ih, "w_ih", f32, 2), (w_hh, "w_hh", f32, 2), (bias, "bias", f32, 1),
        (w_hr, "w_hr", f32, 2), (h0, "h0", f32, 2), (c0, "c0", f32, 2), (lengths, "lengths", ("int64",), 1),
        (y, "y", f32, 3), (h_n, "h_n", f32, 2), (c_n, "c_n", f32, 2)])
    xv, w_ihv, w_hhv, biasv, w_hrv, h0v, c0v, lenv, yv, h_nv, c_nv = views
    steps, batch, inputs, hidden, state, rows = check_lstm(op, *views)
    if steps == 0 or batch == 0:
        return
    arrays.order_after_producers(_C_cuda, [v for v in views if v is not None], stream)
    work = arrays.empty_like(x, (steps * batch * 4 * hidden + _C_cuda.lstm_workspace_floats(batch, hidden, state),),
                             "float32")
    wv = arrays.view(work, op, "workspace")
    gates = wv.ptr
    s_t, s_b, _ = xv.strides
    # gates = x W_ih^T + bias over all T * B rows, in x's row order.
    row_stride = s_b if rows == "time" else s_t
    _C_cuda.gemm(device, stream, arrays.CODES["float32"], arrays.CODES["float32"], False, steps * batch,
                 4 * hidden, inputs, xv.ptr, row_stride, 1, w_ihv.ptr, 1, inputs, gates, 4 * hidden, biasv.ptr,
                 BIAS_MODE[1], 0, 0, ACTIVATION["none"], False)
    g_ts, g_bs = (batch * 4 * hidden, 4 * hidden) if rows == "time" else (4 * hidden, steps * 4 * hidden)
    _C_cuda.lstm_recurrence(device, stream, steps, batch, hidden, state, gates, g_ts, g_bs, w_hhv.ptr,
                            w_hrv.ptr if w_hrv else 0, h0v.ptr if h0v else 0, c0v.ptr if c0v else 0,
                            lenv.ptr if lenv else 0, bool(reverse), yv.ptr, yv.strides[0], yv.strides[1], h_nv.ptr,
                            c_nv.ptr, gates + steps * batch * 4 * hidden * 4)
