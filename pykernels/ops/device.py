"""The ops on device arrays (CuPy, PyTorch CUDA, Numba): the GPU side of pykernels.ops.

Each op in pykernels.ops sends device operands here. Validation reads shapes and dtypes
through pykernels.cuda.arrays (nothing is copied to the host), the kernel comes from the
registry's backends for device arrays (``device="cuda"``: "cuda", then "numba-cuda"),
and results are allocated by the library that made the first operand, on its device.

GPU kernel contracts are the host ones (pykernels.ops.*) on device arrays, with these
differences:
- "gemm": float32, float16 or bfloat16 (one dtype); "conv2d": float32 / float16 /
  bfloat16 NHWC; "sdpa": float16 / bfloat16 on "cuda", float32 / float16 on "numba-cuda";
  "lstm_layer": float32, lengths int64 on the device.
- "spmm": w is a pykernels.cuda.weights.DeviceSparse (CSR or BSR on the device).
- "gemm_int8": ``gemm_int8(a, b, out, row_scale=None, col_scale=None, bias=None,
  activation="none", accumulate=False)``: a (M, K), b (K, N) int8 (symmetric, no zero
  points); out int32 (exact) or float32 act(S * row_scale[i] * col_scale[j] + bias[j]).
"""
from __future__ import annotations

import math

from pykernels import geometry, validation
from pykernels.cuda import arrays
from pykernels.registry import resolve

DEVICE = "cuda"
INT32_MAX = 2**31 - 1


def matmul(a, b, *, out=None, backend: str = "auto"):
    """2-D ``a @ b`` on device arrays of one float dtype."""
    av, bv = (arrays.view(x, "matmul", name, ndim=2) for x, name in ((a, "a"), (b, "b")))
    if av.shape[1] != bv.shape[0]:
        raise ValueError(f"matmul: inner dimensions differ: a has shape {av.shape}, b has shape {bv.shape}")
    gemm = resolve("gemm", backend, DEVICE)
    shape = (av.shape[0], bv.shape[1])
    validation.check_nbytes(shape, "matmul", itemsize=av.itemsize)
    target = arrays.empty_like(a, shape, av.dtype) if out is None else out
    gemm(a, b, target)
    return target


def linear(x, w, bias=None, activation=None, *, out=None, backend: str = "auto"):
    """``act(x @ w.T + bias)`` on device arrays; x of shape (..., in_features), C-contiguous
    when it has more than two dimensions; softmax is not fused on the GPU."""
    activation = validation.activation_name(activation, "linear", validation.ELEMENTWISE_ACTIVATIONS)
    xv = arrays.view(x, "linear", "x")
    wv = arrays.view(w, "linear", "w", ndim=2)
    if xv.ndim < 1 or xv.shape[-1] != wv.shape[1]:
        raise ValueError(f"linear: x has shape {xv.shape} but w {wv.shape} expects {wv.shape[1]} features")
    if xv.ndim > 2 and not xv.c_contiguous:
        raise ValueError("linear: x with more than two dimensions must be C-contiguous on the GPU")
    gemm = resolve("gemm", backend, DEVICE)
    shape = xv.shape[:-1] + (wv.shape[0],)
    validation.check_nbytes(shape, "linear", itemsize=xv.itemsize)
    target = arrays.empty_like(x, shape, xv.dtype) if out is None else out
    rows = x.reshape(-1, xv.shape[-1]) if xv.ndim != 2 else x
    gemm(rows, w.T, target.reshape(-1, wv.shape[0]), bias, 1, activation)
    return target


def matmul_int8(a, b, *, a_zero_point: int = 0, out=None, backend: str = "auto"):
    """``a @ b`` exactly in int32 for int8 device arrays a (M, K), b (K, N) (symmetric: no zero point)."""
    op = "matmul_int8"
    if a_zero_point != 0:
        raise ValueError(f"{op}: the GPU int8 GEMM is symmetric: a_zero_point must be 0, got {a_zero_point}")
    av = arrays.view(a, op, "a", dtypes=("int8",), ndim=2)
    bv = arrays.view(b, op, "b", dtypes=("int8",), ndim=2)
    if av.shape[1] != bv.shape[0]:
        raise ValueError(f"{op}: inner dimensions differ: a has shape {av.shape}, b has shape {bv.shape}")
    if 128 * 128 * av.shape[1] > INT32_MAX:
        raise OverflowError(f"{op}: K = {av.shape[1]} could overflow the int32 accumulator (at most "
                            f"{INT32_MAX // (128 * 128)} for any int8 inputs)")
    shape = (av.shape[0], bv.shape[1])
    target = arrays.empty_like(a, shape, "int32") if out is None else out
    resolve("gemm_int8", backend, DEVICE)(a, b, target)
    return target


def linear_int8(x, weights, bias=None, activation=None, *, x_scale=None, out=None, backend: str = "auto"):
    """``act(x_scale * w_scale * (x @ W.T) + bias)`` in float32 for int8 device codes x (..., K)
    and pykernels.cuda.weights.DeviceInt8Weights (per-tensor x_scale; activations are quantized
    by the caller on the GPU)."""
    from pykernels.cuda.weights import DeviceInt8Weights
    op = "linear_int8"
    if not isinstance(weights, DeviceInt8Weights):
        raise TypeError(f"{op}: device x takes DeviceInt8Weights (pykernels.cuda.weights.DeviceInt8Weights."
                        f"from_weights(weights, like=x)), got {type(weights).__name__}")
    activation = validation.activation_name(activation, op, validation.ELEMENTWISE_ACTIVATIONS)
    if x_scale is None or not (isinstance(x_scale, (int, float)) and math.isfinite(x_scale) and x_scale > 0):
        raise ValueError(f"{op}: int8 device codes need a finite x_scale > 0, got {x_scale!r}")
    xv = arrays.view(x, op, "x", dtypes=("int8",))
    n, k = weights.shape
    if xv.ndim < 1 or xv.shape[-1] != k or (xv.ndim > 2 and not xv.c_contiguous):
        raise ValueError(f"{op}: x has shape {xv.shape}, expected (..., {k}) (C-contiguous when more than 2-D)")
    if 128 * weights.abs_sum_max > INT32_MAX:
        raise OverflowError(f"{op}: the int32 accumulator could overflow (128 x {weights.abs_sum_max})")
    rows = x.reshape(-1, k) if xv.ndim != 2 else x
    m = int(math.prod(xv.shape[:-1]))
    shape = xv.shape[:-1] + (n,)
    target = arrays.empty_like(x, shape, "float32") if out is None else out
    row_scale = arrays.from_host(x, _full(m, x_scale))
    resolve("gemm_int8", backend, DEVICE)(rows, weights.w.T, target.reshape(-1, n), row_scale, weights.scale, bias,
                                          activation)
    return target


def _full(length: int, value: float):
    import numpy as np
    return np.full(length, value, np.float32)


def spmm(w, x, bias=None, activation=None, *, out=None, backend: str = "auto"):
    """``act(W @ x + bias[:, None])`` for a DeviceSparse w (M, K) and a float32 device x (K, N)."""
    from pykernels.cuda.weights import DeviceSparse
    op = "spmm"
    if not isinstance(w, DeviceSparse):
        raise TypeError(f"{op}: with device x, w must be on the device too: pykernels.cuda.weights.to_device(w, "
                        f"like=x), got {type(w).__name__}")
    activation = validation.activation_name(activation, op, validation.ELEMENTWISE_ACTIVATIONS)
    xv = arrays.view(x, op, "x", dtypes=("float32",), ndim=2)
    if xv.shape[0] != w.shape[1]:
        raise ValueError(f"{op}: x has {xv.shape[0]} rows (shape {xv.shape}) but w {w.shape} expects {w.shape[1]}")
    target = arrays.empty_like(x, (w.shape[0], xv.shape[1]), "float32") if out is None else out
    resolve(op, backend, DEVICE)(w, x, target, bias, activation)
    return target


def sdpa(q, k, v, attn_mask=None, is_causal=False, scale=None, *, out=None, backend: str = "auto"):
    """Fused ``softmax(scale q k^T + mask) v`` on device arrays (see pykernels.ops.attention.sdpa)."""
    op = "sdpa"
    qv = arrays.view(q, op, "q", ndim=4)
    arrays.view(k, op, "k", ndim=4)
    vv = arrays.view(v, op, "v", ndim=4)
    if not isinstance(is_causal, bool):
        raise TypeError(f"{op}: is_causal must be a bool, got {type(is_causal).__name__}")
    d = qv.shape[3]
    if scale is None:
        scale = 1.0 / math.sqrt(d) if d else 1.0
    else:
        scale = validation.real(scale, op, "scale")
    if attn_mask is not None:
        mv = arrays.view(attn_mask, op, "attn_mask")
        if mv.ndim != 4:
            raise ValueError(f"{op}: a device attn_mask must be 4-D (use size-1 dimensions to broadcast), "
                             f"got shape {mv.shape}")
    shape = qv.shape[:3] + vv.shape[3:]
    target = arrays.empty_like(q, shape, qv.dtype) if out is None else out
    if all(shape):
        resolve(op, backend, DEVICE)(q, k, v, target, attn_mask, is_causal, float(scale))
    return target


def conv2d(x, w, bias=None, stride=1, padding=0, dilation=1, groups: int = 1, activation=None, *,
           data_format: str = "channels_first", out=None, backend: str = "auto"):
    """conv2d on NHWC device arrays (data_format="channels_last"; see pykernels.ops.conv.conv2d)."""
    op = "conv2d"
    if data_format != "channels_last":
        raise ValueError(f"{op}: on the GPU, x must be NHWC: pass data_format='channels_last' (e.g. "
                         "x.permute(0, 2, 3, 1).contiguous() for a PyTorch NCHW tensor)")
    activation = validation.activation_name(activation, op, validation.ELEMENTWISE_ACTIVATIONS)
    xv = arrays.view(x, op, "x", ndim=4)
    wv = arrays.view(w, op, "w", ndim=4)
    groups = validation.integer(groups, op, "groups", minimum=1)
    n, h, width, c = xv.shape
    oc, cg, kh, kw = wv.shape
    if kh < 1 or kw < 1 or c % groups or oc % groups or cg * groups != c:
        raise ValueError(f"{op}: w of shape {wv.shape} does not fit x {xv.shape} with groups {groups}")
    _, stride, dilation, pads, out_hw = geometry.conv(op, (h, width), (kh, kw), stride, padding, dilation)
    shape = (n, *out_hw, oc)
    validation.check_nbytes(shape, op, itemsize=xv.itemsize)
    target = arrays.empty_like(x, shape, xv.dtype) if out is None else out
    resolve(op, backend, DEVICE)(x, target, w, bias, stride, pads, dilation, groups, activation)
    return target


def lstm(x, weights, h0=None, c0=None, bidirectional: bool = False, batch_first: bool = False, lengths=None, *,
         backend: str = "auto"):
    """nn.LSTM's forward on float32 device arrays (see pykernels.ops.lstm.lstm): weights are
    (w_ih, w_hh, bias[, w_hr]) per layer and direction with one device bias b_ih + b_hh, or
    (w_ih, w_hh, b_ih, b_hh[, w_hr]) whose biases the producing library can add."""
    op = "lstm"
    xv = arrays.view(x, op, "x", dtypes=("float32",), ndim=3)
    directions = 2 if bidirectional else 1
    if not isinstance(weights, (list, tuple)) or not weights or len(weights) % directions:
        raise ValueError(f"{op}: weights must list (w_ih, w_hh, b_ih, b_hh[, w_hr]) per layer and direction")
    x_tm = _swap01(x) if batch_first else x
    steps, batch = (xv.shape[1], xv.shape[0]) if batch_first else xv.shape[:2]
    kernel = resolve("lstm_layer", backend, DEVICE)
    hidden = arrays.view(weights[0][1], op, "w_hh", ndim=2).shape[0] // 4
    w_hr0 = weights[0][4] if len(weights[0]) == 5 else None
    state = arrays.view(w_hr0, op, "w_hr", ndim=2).shape[0] if w_hr0 is not None else hidden
    count = len(weights)
    h_n = arrays.empty_like(x, (count, batch, state), "float32")
    c_n = arrays.empty_like(x, (count, batch, hidden), "float32")
    inputs = x_tm
    output = None
    for layer in range(count // directions):
        output = arrays.empty_like(x, (steps, batch, directions * state), "float32")
        for d in range(directions):
            idx = layer * directions + d
            entry = weights[idx]
            w_ih, w_hh, b_ih, b_hh = entry[:4]
            w_hr = entry[4] if len(entry) == 5 else None
            bias = b_ih if b_hh is None else b_ih + b_hh
            kernel(inputs, w_ih, w_hh, bias, w_hr, None if h0 is None else h0[idx], None if c0 is None else c0[idx],
                   lengths, d == 1, output[:, :, d * state:(d + 1) * state], h_n[idx], c_n[idx])
        inputs = output
    return (_swap01(output) if batch_first else output), (h_n, c_n)


def _swap01(a):
    """A view of 3-D device array ``a`` with its first two axes swapped (Numba arrays transpose by axes)."""
    numba = arrays.is_simulated(a) or type(a).__module__.startswith("numba")
    return a.transpose((1, 0, 2)) if numba else a.swapaxes(0, 1)
