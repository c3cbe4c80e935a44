"""SDPA on the CUDA flash kernel (csrc/cuda/attention): the registry's "sdpa" contract on device arrays.

``sdpa(q, k, v, out, mask, is_causal, scale)``: q (B, Hq, Nq, D), k (B, Hkv, Nk, D),
v (B, Hkv, Nk, Dv) float16 or bfloat16 with unit stride along D (any other strides), D
and Dv at most 128; out (B, Hq, Nq, Dv) C-contiguous of q's dtype; mask None, bool
(True = attend) or additive (float32 or q's dtype), 4-D broadcastable to (B, Hq, Nq, Nk)
(size-1 dimensions broadcast by stride 0). float32 attention runs on backend numba-cuda.
"""
from __future__ import annotations

from pykernels import _C_cuda
from pykernels.cuda import arrays, checks

DTYPES = ("float16", "bfloat16")
MASK_NONE, MASK_BOOL, MASK_F32, MASK_SAME = 0, 1, 2, 3


def mask_strides(maskv):
    """Element strides of a 4-D mask with broadcast dimensions at stride 0."""
    return tuple(0 if dim == 1 else s for dim, s in zip(maskv.shape, maskv.strides))


def sdpa(q, k, v, out, mask, is_causal, scale):
    op = "cuda sdpa"
    (qv, kv, vv, ov), stream, device = arrays.operands(op, [
        (q, "q", DTYPES, 4), (k, "k", DTYPES, 4), (v, "v", DTYPES, 4), (out, "out", DTYPES, 4)])
    maskv = None if mask is None else arrays.view(mask, op, "attn_mask", dtypes=("bool", "float32", qv.dtype), ndim=4,
                                                  stream=stream)
    if not qv.dtype == kv.dtype == vv.dtype == ov.dtype:
        raise TypeError(f"{op}: q, k, v and out must share one dtype, got {qv.dtype}, {kv.dtype}, {vv.dtype}, {ov.dtype}")
    checks.check_attention(op, qv, kv, vv, ov, maskv)
    if max(qv.shape[3], vv.shape[3]) > _C_cuda.SDPA_MAX_HEAD_DIM:
        raise ValueError(f"{op}: head dims up to {_C_cuda.SDPA_MAX_HEAD_DIM}, got D={qv.shape[3]}, Dv={vv.shape[3]}")
    kind = MASK_NONE if maskv is None else {"bool": MASK_BOOL, "float32": MASK_F32}.get(maskv.dtype, MASK_SAME)
    arrays.order_after_producers(_C_cuda, [x for x in (qv, kv, vv, ov, maskv) if x is not None], stream)
    (b, hq, nq, d), (_, hkv, nk, _), dv = qv.shape, kv.shape, vv.shape[3]
    _C_cuda.sdpa(device, stream, arrays.CODES[qv.dtype], b, hq, hkv, nq, nk, d, dv, qv.ptr, qv.strides[:3], kv.ptr,
                 kv.strides[:3], vv.ptr, vv.strides[:3], ov.ptr, 0 if maskv is None else maskv.ptr, kind,
                 (0, 0, 0, 0) if maskv is None else mask_strides(maskv), bool(is_causal), float(scale))
