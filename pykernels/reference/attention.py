"""Reference scaled dot-product attention and layer norm, written for clarity."""
import math

import numpy as np


def sdpa(q, k, v, attn_mask=None, is_causal=False, scale=None, dtype=np.float64):
    """softmax(scale * q k^T + mask) v over (batch, heads, seq, dim) arrays, as PyTorch's
    ``F.scaled_dot_product_attention``: k / v heads are repeated for grouped-query
    attention, a bool mask (True = attend) or an additive float mask broadcasts to
    (batch, heads_q, nq, nk), causal keeps keys j <= i (top-left aligned), and a row
    that attends no key is zeros (PyTorch gives NaN there).
    """
    q, k, v = (np.asarray(x, dtype) for x in (q, k, v))
    group = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ np.swapaxes(k, -1, -2)) * dtype(scale)
    nq, nk = q.shape[2], k.shape[2]
    if attn_mask is not None:
        mask = np.asarray(attn_mask)
        if mask.dtype == np.bool_:
            scores = np.where(mask, scores, -np.inf)
        else:
            scores = scores + mask.astype(dtype)
    if is_causal:
        scores = np.where(np.tril(np.ones((nq, nk), bool)), scores, -np.inf)
    with np.errstate(invalid="ignore"):
        top = np.max(scores, axis=-1, keepdims=True) if nk else np.zeros(scores.shape[:-1] + (1,), dtype)
        top = np.where(np.isneginf(top), 0, top)  # a fully masked row: every weight exp(-inf) = 0
        weights = np.exp(scores - top)
        total = np.sum(weights, axis=-1, keepdims=True)
        weights = weights / np.where(total == 0, 1, total)
    return (weights @ v).astype(dtype)


def layer_norm(x, gamma=None, beta=None, eps=1e-5, dtype=np.float64):
    """(x - mean) / sqrt(var + eps) * gamma + beta over the last axis (biased variance)."""
    x = np.asarray(x, dtype)
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    y = (x - mean) / np.sqrt(var + dtype(eps))
    if gamma is not None:
        y = y * np.asarray(gamma, dtype)
    if beta is not None:
        y = y + np.asarray(beta, dtype)
    return y.astype(dtype)
