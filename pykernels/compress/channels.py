"""Channel (structured) pruning: whole units removed, so the result is a smaller dense model.

In a Sequential of Dense layers (Activation and Dropout-like layers without weights may sit
between), removing unit j of a layer removes column j of its kernel and bias and row j
of the next Dense's kernel. The last Dense keeps its units: they are the model's outputs.
"""
from __future__ import annotations

import numpy as np

from pykernels.layers.base import deserialize, serialize


def _dense_like(layer) -> bool:
    return getattr(layer, "kernel", None) is not None and getattr(layer, "units", None) is not None \
        and layer.kernel.ndim == 2


def prune_channels(model, sparsity: float, scope: str):
    """A new Sequential with ``sparsity`` of the hidden units of each Dense removed (by mean |w|)."""
    from pykernels.compress.prune import masks_for
    from pykernels.layers import Sequential
    layers = list(getattr(model, "layers", [model]))
    weighted = [i for i, layer in enumerate(layers) if layer.weights]
    if not all(_dense_like(layers[i]) for i in weighted):
        raise ValueError("prune: pattern 'channel' supports Sequential models of Dense / SparseDense layers "
                         "(with weightless layers between); other weighted layers are not supported")
    hidden = weighted[:-1]
    masks = masks_for([layers[i].kernel.T for i in hidden], sparsity, "channel", scope)
    keep = {i: m[:, 0] for i, m in zip(hidden, masks)}
    new_layers, prev_keep = [], None
    for i, layer in enumerate(layers):
        config = serialize(layer)
        if i not in weighted:
            new_layers.append(deserialize(config))
            continue
        kernel = layer.kernel if prev_keep is None else layer.kernel[prev_keep]
        bias = layer.bias if getattr(layer, "use_bias", False) else None
        if i in keep:
            kernel, bias = kernel[:, keep[i]], (bias[keep[i]] if bias is not None else None)
            config["config"]["units"] = int(keep[i].sum())
        if int(kernel.shape[1]) == 0:
            raise ValueError(f"prune: sparsity {sparsity} removes every unit of {layer}")
        config["config"]["name"] = layer.name
        new = deserialize(config)
        new.build((None, kernel.shape[0]))
        new.set_weights([kernel] + ([bias] if bias is not None else []))
        new_layers.append(new)
        prev_keep = keep.get(i)
    return Sequential(new_layers)
