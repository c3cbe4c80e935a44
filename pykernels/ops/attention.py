"""Scaled dot-product attention and layer norm on the registry's kernels.

Kernel contracts::

    sdpa(q, k, v, out, mask, is_causal, scale)
        out (B, Hq, Nq, Dv) C-contiguous float32 = softmax(scale q k^T + mask) v, with
        q (B, Hq, Nq, D), k (B, Hkv, Nk, D), v (B, Hkv, Nk, Dv) float32 with unit stride along D (any
        other strides), Hkv dividing Hq; mask None, or a 4-D bool (True = attend) or
        float32 (additive) array broadcastable to (B, Hq, Nq, Nk); causal keeps keys
        j <= i; rows that attend no key are zeros.
    layer_norm(x, out, gamma, beta, eps)
        out = layer norm of x over its last axis; x, out C-contiguous float32 (out may
        be x), gamma / beta contiguous float32 of the last axis' length or None.
"""
from __future__ import annotations

import math

import numpy as np

from pykernels import validation
from pykernels.registry import resolve
from pykernels.cuda.arrays import is_device_array


def _unit_last(x: np.ndarray) -> np.ndarray:
    """``x`` itself when its last axis is unit-stride (the kernels' need), else a copy."""
    return x if x.shape[-1] <= 1 or x.strides[-1] == x.itemsize else np.ascontiguousarray(x)


def _attention_mask(mask, shape: tuple) -> np.ndarray | None:
    """The mask as a 4-D bool or float32 array broadcastable to ``shape`` (B, Hq, Nq, Nk)."""
    if mask is None:
        return None
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"sdpa: attn_mask must be a numpy.ndarray (bool or float), got {type(mask).__name__}")
    if mask.dtype == np.bool_:
        pass
    elif mask.dtype.kind == "f":
        mask = mask.astype(np.float32, copy=False)
    else:
        raise TypeError(f"sdpa: attn_mask must be bool (True = attend) or float (additive), got {mask.dtype}")
    validation.broadcastable(mask.shape, shape, "sdpa", "attn_mask")
    mask = mask.reshape((1,) * (4 - mask.ndim) + mask.shape)
    return mask if mask.flags.aligned else mask.copy()


def sdpa(q: np.ndarray, k: np.ndarray, v: np.ndarray, attn_mask: np.ndarray | None = None, is_causal: bool = False,
         scale: float | None = None, *, out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``softmax(scale * q @ k^T + mask) @ v``, fused: PyTorch's ``scaled_dot_product_attention``.

    q is (B, Hq, Nq, D), k (B, Hkv, Nk, D), v (B, Hkv, Nk, Dv), the result (B, Hq, Nq, Dv);
    Hkv must divide Hq (grouped-query
    attention: query head h reads key/value head h // (Hq // Hkv)). ``attn_mask`` is bool
    (True = attend) or additive float, broadcastable to (B, Hq, Nq, Nk): (B, 1, 1, Nk) is
    a key padding mask. ``is_causal`` keeps keys j <= i (top-left aligned when Nq != Nk,
    as PyTorch). ``scale`` defaults to 1 / sqrt(D). A row that attends no key gives zeros
    (PyTorch gives NaN). Device arrays run on the GPU backends (pykernels.ops.device.sdpa).
    """
    if is_device_array(q):
        from pykernels.ops import device
        return device.sdpa(q, k, v, attn_mask, is_causal, scale, out=out, backend=backend)
    q = _unit_last(validation.float32_array(q, "sdpa", "q", ndim=4))
    k = _unit_last(validation.float32_array(k, "sdpa", "k", ndim=4))
    v = _unit_last(validation.float32_array(v, "sdpa", "v", ndim=4))
    if k.shape[:3] != v.shape[:3]:
        raise ValueError(f"sdpa: k and v must agree on (B, Hkv, Nk), got k {k.shape}, v {v.shape}")
    (b, hq, nq, d), (bk, hkv, nk, dk) = q.shape, k.shape
    if dk != d:
        raise ValueError(f"sdpa: head dims differ: q {q.shape} has D={d}, k {k.shape} has D={dk}")
    if bk != b:
        raise ValueError(f"sdpa: batch sizes differ: q {q.shape}, k {k.shape}")
    if hkv == 0 or hq % hkv:
        raise ValueError(f"sdpa: key/value heads ({hkv}, k {k.shape}) must divide query heads ({hq}, q {q.shape})")
    if not isinstance(is_causal, (bool, np.bool_)):
        raise TypeError(f"sdpa: is_causal must be a bool, got {type(is_causal).__name__}")
    if scale is None:
        scale = 1.0 / math.sqrt(d) if d else 1.0
    else:
        scale = validation.real(scale, "sdpa", "scale")
    mask = _attention_mask(attn_mask, (b, hq, nq, nk))
    kernel = resolve("sdpa", backend)
    target, user_out = validation.output(out, q.shape[:3] + v.shape[3:], "sdpa", (q, k, v))
    if target.size:
        kernel(q, k, v, target, mask, bool(is_causal), float(scale))
    return validation.finish(target, user_out)


def layer_norm(x: np.ndarray, gamma: np.ndarray | None = None, beta: np.ndarray | None = None, eps: float = 1e-5, *,
               out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``(x - mean) / sqrt(var + eps) * gamma + beta`` over the last axis (PyTorch's LayerNorm)."""
    x = validation.contiguous_float32(x, "layer_norm", "x", min_ndim=1)
    n = x.shape[-1]
    params = []
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p is not None:
            p = validation.contiguous_float32(p, "layer_norm", name, ndim=1)
            if p.shape != (n,):
                raise ValueError(f"layer_norm: {name} has shape {p.shape}, expected ({n},) for x of shape {x.shape}")
        params.append(p)
    eps = validation.real(eps, "layer_norm", "eps", minimum=0)
    kernel = resolve("layer_norm", backend)
    target, user_out = validation.output(out, x.shape, "layer_norm", (x,))
    if target.size:
        kernel(x, target, params[0], params[1], float(eps))
    return validation.finish(target, user_out)
