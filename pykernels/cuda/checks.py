"""Shape and layout checks of the GPU kernel contracts, shared by backends "cuda" and
"numba-cuda" (no import of pykernels._C_cuda: the numba-cuda backend works without it).
Arguments are pykernels.cuda.arrays.DeviceArray views; errors are ValueErrors naming the
expected and given shapes."""
from __future__ import annotations

from pykernels.cuda import arrays


def check_attention(op, qv, kv, vv, ov, maskv):
    """Shapes of q, k, v, out and the mask as the contract states them (ValueError otherwise)."""
    (b, hq, nq, d), (bk, hkv, nk, dk) = qv.shape, kv.shape
    if vv.shape[:3] != kv.shape[:3] or dk != d or bk != b or hkv == 0 or hq % hkv:
        raise ValueError(f"{op}: q {qv.shape}, k {kv.shape}, v {vv.shape} do not fit "
                         "(B, Hq, Nq, D), (B, Hkv, Nk, D), (B, Hkv, Nk, Dv) with Hkv dividing Hq")
    if ov.shape != (b, hq, nq, vv.shape[3]) or not ov.c_contiguous:
        raise ValueError(f"{op}: out must be C-contiguous of shape {(b, hq, nq, vv.shape[3])}, got {ov.shape}")
    for name, x in (("q", qv), ("k", kv), ("v", vv)):
        if x.shape[3] > 1 and x.strides[3] != 1:
            raise ValueError(f"{op}: {name} must have unit stride along its last axis, got strides {x.strides}")
    if maskv is not None:
        full = (b, hq, nq, nk)
        if any(m not in (1, f) for m, f in zip(maskv.shape, full)):
            raise ValueError(f"{op}: attn_mask of shape {maskv.shape} does not broadcast to {full}")


def conv_operands(op, x, out, w, bias, groups, dtypes):
    """conv2d's operands as device views, checked (one dtype of ``dtypes``; the layouts and
    shapes of check_conv): ((xv, ov, wv, biasv), stream, device)."""
    views, stream, device = arrays.operands(op, [
        (x, "x", dtypes, 4), (out, "out", dtypes, 4), (w, "w", dtypes, 4), (bias, "bias", dtypes, 1)])
    xv, ov, wv, biasv = views
    if not xv.dtype == ov.dtype == wv.dtype == (biasv.dtype if biasv else xv.dtype):
        raise TypeError(f"{op}: x, w, bias and out must share one dtype")
    check_conv(op, xv, ov, wv, biasv, groups)
    return views, stream, device


def check_conv(op, xv, ov, wv, biasv, groups):
    """The contract's layouts and shapes (ValueError otherwise); the op checked the geometry."""
    if not xv.c_contiguous or not ov.c_contiguous:
        raise ValueError(f"{op}: x and out must be C-contiguous NHWC")
    n, _, _, c = xv.shape
    o, cg = wv.shape[:2]
    if cg * groups != c or o % groups or ov.shape[0] != n or ov.shape[3] != o:
        raise ValueError(f"{op}: x {xv.shape}, w {wv.shape}, out {ov.shape} do not fit groups={groups}")
    if biasv is not None and (biasv.shape != (o,) or (o > 1 and biasv.strides[0] != 1)):
        raise ValueError(f"{op}: bias must be contiguous of shape ({o},), got {biasv.shape}")


def lstm_operands(op, x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, y, h_n, c_n):
    """The lstm_layer contract's operands as device views (float32, lengths int64), checked:
    (views, stream, device, check_lstm's (T, B, I, H, R, rows))."""
    f32 = ("float32",)
    views, stream, device = arrays.operands(op, [
        (x, "x", f32, 3), (w_ih, "w_ih", f32, 2), (w_hh, "w_hh", f32, 2), (bias, "bias", f32, 1),
        (w_hr, "w_hr", f32, 2), (h0, "h0", f32, 2), (c0, "c0", f32, 2), (lengths, "lengths", ("int64",), 1),
        (y, "y", f32, 3), (h_n, "h_n", f32, 2), (c_n, "c_n", f32, 2)])
    return views, stream, device, check_lstm(op, *views)


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


def check_structure(op, w, pv, iv, dv):
    m = w.shape[0]
    r, c = w.blocksize
    if pv.shape != (m // r + 1,) or iv.shape[0] != (dv.shape[0] if dv.ndim else 0):
        raise ValueError(f"{op}: the sparse structure does not fit its shape {w.shape} and block {w.blocksize}")
    for name, v in (("indptr", pv), ("indices", iv), ("data", dv)):
        if not v.c_contiguous:
            raise ValueError(f"{op}: {name} must be contiguous")


def check_dense(op, m, n, bv, ov, biasv, bias_len):
    if ov.shape != (m, n) or bv.shape[1] != n:
        raise ValueError(f"{op}: b {bv.shape} and out {ov.shape} do not fit a sparse matrix of {m} rows")
    if n > 1 and m > 0 and ov.strides[1] != 1:
        raise ValueError(f"{op}: out must have unit column stride")
    if biasv is not None and (biasv.shape != (bias_len,) or (bias_len > 1 and biasv.strides[0] != 1)):
        raise ValueError(f"{op}: bias must be contiguous of shape ({bias_len},), got {biasv.shape}")
