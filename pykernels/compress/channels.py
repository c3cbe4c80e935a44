"""Channel (structured) pruning: whole units removed, so the result is a smaller dense model.

In a Sequential of Dense and Conv2D layers (groups 1; weightless layers such as pooling,
Flatten, Activation or Dropout may sit between), removing unit j of a layer (a Dense
unit or a Conv2D filter, scored by mean |w|) removes column j of its kernel and bias
and its inputs in the next weighted layer: a Conv2D's input channel j, a Dense's row j,
or, after a Flatten of a convolution's output, every row that channel j fed. The last
weighted layer keeps its units: they are the model's outputs.
"""
from __future__ import annotations

import numpy as np

from pykernels.layers.base import deserialize, serialize


def _units_key(layer) -> str | None:
    """The config entry that counts the layer's outputs ("units" or "filters"), None when it cannot shrink."""
    kernel = getattr(layer, "kernel", None)
    if kernel is None:
        return None
    if kernel.ndim == 2 and getattr(layer, "units", None) is not None:
        return "units"
    if kernel.ndim == 4 and getattr(layer, "filters", None) is not None and getattr(layer, "groups", 1) == 1:
        return "filters"
    return None


def _input_mask(keep: np.ndarray, layer, fed_by) -> np.ndarray:
    """The kept inputs of ``layer`` (its kernel's input axis) when ``fed_by`` kept channels ``keep``."""
    inputs = layer.kernel.shape[-2]
    if inputs == keep.size:
        return keep
    if fed_by.kernel.ndim == 4 and inputs % keep.size == 0:  # a Flatten of the convolution's output
        pixels = inputs // keep.size
        if getattr(fed_by, "data_format", "channels_last") == "channels_last":
            return np.tile(keep, pixels)  # rows (h, w, c)
        return np.repeat(keep, pixels)  # rows (c, h, w)
    raise ValueError(f"prune: {layer} takes {inputs} inputs, which {fed_by}'s {keep.size} channels do not explain")


def prune_channels(model, sparsity: float, scope: str):
    """A new Sequential with ``sparsity`` of the hidden units / filters of each layer removed (by mean |w|)."""
    from pykernels.compress.prune import _keras_to_torch, masks_for
    from pykernels.layers import Sequential
    layers = list(getattr(model, "layers", [model]))
    weighted = [i for i, layer in enumerate(layers) if layer.weights]
    if not all(_units_key(layers[i]) for i in weighted):
        raise ValueError("prune: pattern 'channel' supports Sequential models of Dense / SparseDense and Conv2D "
                         "(groups 1) layers, with weightless layers between; other weighted layers are not supported")
    hidden = weighted[:-1]
    masks = masks_for([_keras_to_torch(layers[i].kernel) for i in hidden], sparsity, "channel", scope)
    keep = {i: m[:, 0] for i, m in zip(hidden, masks)}
    configs = []
    for i, layer in enumerate(layers):
        config = serialize(layer)
        config["config"]["name"] = layer.name
        if i in keep:
            if not keep[i].any():
                raise ValueError(f"prune: sparsity {sparsity} removes every unit of {layer}")
            config["config"][_units_key(layer)] = int(keep[i].sum())
        configs.append(config)
    smaller = Sequential([deserialize(config) for config in configs], name=getattr(model, "name", None))
    smaller.build(model.input_shape)
    previous = None  # index of the last weighted layer
    for i in weighted:
        layer = layers[i]
        kernel = layer.kernel
        bias = layer.bias if getattr(layer, "use_bias", False) else None
        if previous is not None and previous in keep:
            kernel = np.compress(_input_mask(keep[previous], layer, layers[previous]), kernel, axis=-2)
        if i in keep:
            kernel, bias = kernel[..., keep[i]], (bias[keep[i]] if bias is not None else None)
        smaller.layers[i].set_weights([kernel] + ([bias] if bias is not None else []))
        previous = i
    return smaller
