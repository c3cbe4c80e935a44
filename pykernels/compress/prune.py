"""Magnitude pruning: zero the smallest weights (or blocks, or channels) of a model.

``prune(target, sparsity, pattern, scope)`` accepts

- an array: a weight in PyTorch's layout (out_features, in_features, ...), treated as
  the matrix (out, rest); returns a pruned copy;
- a dict or list of arrays: each array with at least 2 axes is pruned, the rest (biases)
  pass through; returns the same container of copies;
- a layer or Sequential: every layer with a ``kernel`` (Keras layout, (..., in, out)) is
  pruned in place and the model is returned; with pattern "channel" a new, smaller
  Sequential is returned instead (whole units removed, next layer's inputs too).

Patterns (pykernels.formats.patterns): "unstructured" (single weights), "block(r,c)"
(r output x c input blocks, scored by mean |w|), "n:m" (keep the n largest of every m
consecutive inputs; the sparsity is 1 - n/m and may be passed as None), "channel" (output
rows by mean |w|). ``scope="layer"`` prunes each tensor to ``sparsity``; ``"global"``
ranks all tensors together (one threshold), as TF-MOT's and torch's global pruning do.
Exactly round(sparsity x count) weights / blocks / rows are removed per scope.
"""
from __future__ import annotations

import numpy as np

from pykernels import formats, validation

SCOPES = ("layer", "global")


def _check_sparsity(sparsity, pattern, what: str) -> float:
    if pattern.kind == "nm":
        implied = 1.0 - pattern.a / pattern.b
        if sparsity is not None and abs(float(sparsity) - implied) > 1e-9:
            raise ValueError(f"{what}: pattern {pattern} fixes the sparsity at {implied:g}, got sparsity={sparsity}")
        return implied
    return validation.real(sparsity, what, "sparsity", minimum=0, maximum=1)


def _matrix(w: np.ndarray, what: str) -> np.ndarray:
    if w.ndim < 2:
        raise ValueError(f"{what}: a weight to prune needs at least 2 axes (out, in, ...), got shape {w.shape}")
    return w.reshape(w.shape[0], -1)


def _scores(m: np.ndarray, pattern, what: str) -> np.ndarray:
    """One score per prunable unit of the (out, in) matrix: |w|, block or row mean |w|."""
    a = np.abs(m.astype(np.float64))
    if pattern.kind == "unstructured":
        return a
    if pattern.kind == "channel":
        return a.mean(axis=1)
    r, c = pattern.a, pattern.b
    if m.shape[0] % r or m.shape[1] % c:
        raise ValueError(f"{what}: weight of shape {m.shape} (out, in) is not a multiple of the block {r}x{c}")
    return a.reshape(m.shape[0] // r, r, m.shape[1] // c, c).mean(axis=(1, 3))


def _expand(keep: np.ndarray, m: np.ndarray, pattern) -> np.ndarray:
    """The unit mask ``keep`` as a mask of the matrix ``m``."""
    if pattern.kind == "unstructured":
        return keep
    if pattern.kind == "channel":
        return np.broadcast_to(keep[:, None], m.shape)
    return np.kron(keep, np.ones((pattern.a, pattern.b), bool)).astype(bool)


def _smallest(scores: list[np.ndarray], count: int) -> list[np.ndarray]:
    """Keep-masks removing exactly the ``count`` smallest scores across the list (ties by position)."""
    flat = np.concatenate([s.ravel() for s in scores]) if scores else np.zeros(0)
    drop = np.zeros(flat.size, bool)
    if count > 0:
        drop[np.argsort(flat, kind="stable")[:count]] = True
    masks, start = [], 0
    for s in scores:
        masks.append(~drop[start:start + s.size].reshape(s.shape))
        start += s.size
    return masks


def _nm_mask(m: np.ndarray, n: int, mm: int, what: str) -> np.ndarray:
    if m.shape[1] % mm:
        raise ValueError(f"{what}: in_features = {m.shape[1]} is not a multiple of m = {mm} for pattern {n}:{mm}")
    groups = np.abs(m).reshape(m.shape[0], -1, mm)
    order = np.argsort(-groups, axis=2, kind="stable")[:, :, :n]
    keep = np.zeros(groups.shape, bool)
    np.put_along_axis(keep, order, True, axis=2)
    return keep.reshape(m.shape)


def masks_for(weights: list[np.ndarray], sparsity, pattern="unstructured", scope="layer") -> list[np.ndarray]:
    """Keep-masks (True = kept) for (out, in, ...) weights, the shapes of the weights."""
    what = "prune"
    p = formats.parse_pattern(pattern, what)
    s = _check_sparsity(sparsity, p, what)
    if scope not in SCOPES:
        raise ValueError(f"{what}: scope must be one of {list(SCOPES)}, got {scope!r}")
    mats = [_matrix(np.asarray(w), what) for w in weights]
    if p.kind == "nm":
        keeps = [_nm_mask(m, p.a, p.b, what) for m in mats]
    else:
        scores = [_scores(m, p, what) for m in mats]
        if scope == "global":
            units = _smallest(scores, int(round(s * sum(sc.size for sc in scores))))
        else:
            units = [_smallest([sc], int(round(s * sc.size)))[0] for sc in scores]
        keeps = [_expand(u, m, p) for u, m in zip(units, mats)]
    return [np.asarray(k).reshape(np.shape(w)) for k, w in zip(keeps, weights)]


def _kernel_layers(model) -> list:
    layers = getattr(model, "layers", None)
    found = list(layers) if layers is not None else [model]
    return [layer for layer in found if getattr(layer, "kernel", None) is not None]


def _keras_to_torch(kernel: np.ndarray) -> np.ndarray:
    """A Keras kernel (..., in, out) as (out, ...in): out first, inputs flattened in order."""
    return kernel.reshape(-1, kernel.shape[-1]).T


def prune(target, sparsity=None, pattern="unstructured", scope="layer"):
    """Magnitude-prune ``target`` (array, dict/list of arrays, layer or model); see the module docstring."""
    p = formats.parse_pattern(pattern, "prune")
    if isinstance(target, np.ndarray):
        return target * masks_for([target], sparsity, p, scope)[0]
    if isinstance(target, dict):
        names = [k for k, v in target.items() if np.ndim(v) >= 2]
        masks = dict(zip(names, masks_for([np.asarray(target[k]) for k in names], sparsity, p, scope)))
        return {k: (np.asarray(v) * masks[k] if k in masks else np.array(v, copy=True)) for k, v in target.items()}
    if isinstance(target, (list, tuple)):
        pruned = prune(dict(enumerate(target)), sparsity, p, scope)
        return type(target)(pruned[i] for i in range(len(target)))
    layers = _kernel_layers(target)
    if not layers:
        raise TypeError(f"prune: expected an array, a dict or list of arrays, or a built model with kernels; "
                        f"got {type(target).__name__}")
    if any(not layer.built for layer in layers):
        raise ValueError("prune: the model is not built; call it on data first")
    if p.kind == "channel":
        from pykernels.compress.channels import prune_channels
        return prune_channels(target, _check_sparsity(sparsity, p, "prune"), scope)
    masks = masks_for([_keras_to_torch(layer.kernel) for layer in layers], sparsity, p, scope)
    for layer, mask in zip(layers, masks):
        layer.kernel *= mask.T.reshape(layer.kernel.shape)
        if hasattr(layer, "refresh"):
            layer.refresh()
    return target


def sparsity_of(w) -> float:
    """The fraction of zeros of an array (or of a sparse format's dense form)."""
    dense = w.to_dense() if hasattr(w, "to_dense") else np.asarray(w)
    return 1.0 - np.count_nonzero(dense) / max(1, dense.size)
