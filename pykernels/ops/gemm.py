"""matmul and linear on the registry's "gemm" kernels.

Kernel contract for op "gemm" (every backend implements exactly this)::

    gemm(a, b, out, bias=None, bias_axis=None, activation="none", accumulate=False)

writes ``out = act(a @ b [+ out] [+ bias])`` where ``a`` (M, K) and ``b`` (K, N) are
aligned float32 arrays with any strides (negative too), ``out`` (M, N) is C-contiguous
float32 overlapping neither, ``bias`` is contiguous float32 of length N (bias_axis=1)
or M (bias_axis=0), and ``activation`` is one of validation.ELEMENTWISE_ACTIVATIONS.

Fast paths ``"matmul"`` and ``"linear"`` (registry.fast_path; the cpu backend's are in
csrc/bindings/bind_gemm.cc) take the ops' plain case, float32 matrices (the left operand
may be a vector) and no ``out``, in one native call: at batch 1 the Python checks cost
about 10% of a 512 x 512 product.
"""
from __future__ import annotations

import math

import numpy as np

from pykernels import validation
from pykernels.cuda.arrays import is_device_array
from pykernels.registry import fast_path, resolve


def matmul(a: np.ndarray, b: np.ndarray, *, out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``a @ b`` in float32 with NumPy's matmul semantics (1-D operands, broadcast batches).

    Device arrays (CuPy, PyTorch CUDA, Numba) go to the GPU backends (pykernels.ops.device)."""
    if out is None:  # float32 matrices: checked and multiplied in one call where the backend can
        fast = fast_path("gemm", "matmul", backend)
        result = None if fast is None else fast(a, b)
        if result is not None:
            return result
    if is_device_array(a) or is_device_array(b):
        from pykernels.ops import device
        return device.matmul(a, b, out=out, backend=backend)
    a = validation.float32_array(a, "matmul", "a", min_ndim=1)
    b = validation.float32_array(b, "matmul", "b", min_ndim=1)
    a2 = a[np.newaxis, :] if a.ndim == 1 else a
    b2 = b[:, np.newaxis] if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(f"matmul: inner dimensions differ: a has shape {a.shape}, b has shape {b.shape}")
    batch = ()
    if a2.ndim > 2 or b2.ndim > 2:
        try:
            batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions do not broadcast: a {a.shape}, b {b.shape}") from None
    m, n = a2.shape[-2], b2.shape[-1]
    shape = batch + (m,) * (a.ndim > 1) + (n,) * (b.ndim > 1)
    gemm = resolve("gemm", backend)
    target, user_out = validation.output(out, shape, "matmul", (a, b))
    if not batch:  # the common 2-D case: no broadcasting machinery
        gemm(a2, b2, target if target.ndim == 2 else target.reshape(m, n))
        return validation.finish(target, user_out)
    result = target.reshape(batch + (m, n))
    a_b = np.broadcast_to(a2, batch + a2.shape[-2:])
    b_b = np.broadcast_to(b2, batch + b2.shape[-2:])
    for index in np.ndindex(*batch):
        gemm(a_b[index], b_b[index], result[index])
    return validation.finish(target, user_out)


def linear(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None, activation: str | None = None, *,
           out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``act(x @ w.T + bias)`` with ``w`` of shape (out_features, in_features) as in PyTorch.

    ``x`` has shape (..., in_features); the activation is fused into the GEMM epilogue
    (softmax runs over the last axis right after it). Device arrays go to the GPU
    backends (pykernels.ops.device).
    """
    if out is None:  # float32 matrices, a fused activation: one call where the backend can
        fast = fast_path("gemm", "linear", backend)
        result = None if fast is None else fast(x, w, bias, activation)
        if result is not None:
            return result
    if is_device_array(x):
        from pykernels.ops import device
        return device.linear(x, w, bias, activation, out=out, backend=backend)
    x = validation.float32_array(x, "linear", "x", min_ndim=1)
    w = validation.float32_array(w, "linear", "w", ndim=2)
    activation = validation.activation_name(activation, "linear")
    if x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: x has {x.shape[-1]} features (shape {x.shape}) but w expects "
                         f"{w.shape[1]} (shape {w.shape}, (out_features, in_features))")
    if bias is not None:
        bias = validation.contiguous_float32(bias, "linear", "bias", ndim=1)
        if bias.shape[0] != w.shape[0]:
            raise ValueError(f"linear: bias has shape {bias.shape}, expected ({w.shape[0]},) to match w {w.shape}")
    gemm = resolve("gemm", backend)
    shape = x.shape[:-1] + (w.shape[0],)
    target, user_out = validation.output(out, shape, "linear", (x, w) + ((bias,) if bias is not None else ()))
    rows = x.reshape(math.prod(x.shape[:-1]), x.shape[-1]) if x.ndim != 2 else x  # not -1: x may be empty
    fused = "none" if activation == "softmax" else activation
    gemm(rows, w.T, target.reshape(rows.shape[0], w.shape[0]), bias, 1, fused)
    if activation == "softmax":
        resolve("softmax", backend)(target, target)
    return validation.finish(target, user_out)
