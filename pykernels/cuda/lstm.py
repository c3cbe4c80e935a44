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
from pykernels.cuda import arrays, checks


def lstm_layer(x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, reverse, y, h_n, c_n):
    op = "cuda lstm_layer"
    views, stream, device, dims = checks.lstm_operands(op, x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, y, h_n, c_n)
    xv, w_ihv, w_hhv, biasv, w_hrv, h0v, c0v, lenv, yv, h_nv, c_nv = views
    steps, batch, inputs, hidden, state, rows = dims
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
