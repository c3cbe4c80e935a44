"""Pruned dense layers to sparse layers: the step after ``prune`` that makes the zeros pay.

``sparsify(model)`` returns a new Sequential in which every Dense, and every Conv2D with
groups 1, whose kernel is at least ``min_sparsity`` zeros becomes a SparseDense /
SparseConv2D holding the same weights (the sparse format built from the kernel's
nonzeros in ``pattern``); the other layers are copied unchanged. With dispatch "auto"
each sparse layer still runs dense where its first call measures that dense is faster.
"""
from __future__ import annotations

import copy

from pykernels.layers.base import Layer


def _convert(layer: Layer, pattern: str, min_sparsity: float, dispatch: str) -> Layer:
    from pykernels.compress.prune import sparsity_of
    from pykernels.layers import Conv2D, Dense, SparseConv2D, SparseDense
    if type(layer) is Dense and sparsity_of(layer.kernel) >= min_sparsity:
        return SparseDense.from_dense(layer, pattern, dispatch)
    if type(layer) is Conv2D and layer.groups == 1 and sparsity_of(layer.kernel) >= min_sparsity:
        return SparseConv2D.from_conv(layer, pattern, dispatch)
    return copy.deepcopy(layer)  # any layer, quantized ones too (their int8 weights have no config)


def sparsify(model: Layer, pattern: str = "unstructured", min_sparsity: float = 0.5, dispatch: str = "auto"):
    """A copy of the built ``model`` (Sequential or one layer) with its sparse-enough Dense and
    Conv2D layers as SparseDense / SparseConv2D; see the module docstring."""
    from pykernels.layers import Sequential
    if not isinstance(model, Layer) or not model.built:
        raise ValueError(f"sparsify: expected a built pykernels layer or Sequential, got {model!r}")
    if not 0.0 <= min_sparsity <= 1.0:
        raise ValueError(f"sparsify: min_sparsity must be in [0, 1], got {min_sparsity}")
    if not isinstance(model, Sequential):
        return _convert(model, pattern, min_sparsity, dispatch)
    converted = Sequential([_convert(layer, pattern, min_sparsity, dispatch) for layer in model.layers],
                           name=f"{model.name}_sparse")
    converted.build(model.input_shape)
    return converted
