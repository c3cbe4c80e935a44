"""Shape and layout checks of the GPU kernel contracts, shared by backends "cuda" and
"numba-cuda" (no import of pykernels._C_cuda: the numba-cuda backend works without it).
Arguments are pykernels.cuda.arrays.DeviceArray views; errors are ValueErrors naming the
expected and given shapes."""
from __future__ import annotations


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
