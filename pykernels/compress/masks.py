"""Pruning masks made elsewhere, and stripping pruned models back to dense.

- ``from_torch_prune(state_dict)``: a state dict of a model pruned with
  ``torch.nn.utils.prune`` holds ``<name>_orig`` and ``<name>_mask`` for each pruned
  parameter (``weight_orig`` / ``weight_mask``); returns the effective weights
  ``{prefix.name: orig * mask}`` (other entries unchanged) and the masks.
- ``from_tfmot(weights)``: the variables of a Keras model wrapped by TF-MOT's
  ``prune_low_magnitude`` (``{v.name: v.numpy()}``): ``.../kernel:0`` next to
  ``.../mask:0``, plus ``threshold`` and ``pruning_step`` bookkeeping; returns the
  masked kernels under names without the wrapper's prefix and ``:0``, and the masks.
- ``strip(model_or_weights)``: sparse layers back to Dense (a new Sequential), sparse
  matrices back to arrays.

Tensors may be torch tensors or anything NumPy converts; torch is never imported here.
"""
from __future__ import annotations

import re

import numpy as np

_TFMOT_PREFIX = "prune_low_magnitude_"
_TFMOT_BOOKKEEPING = ("threshold", "pruning_step")


def _array(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _check_mask(mask: np.ndarray, weight: np.ndarray, name: str, what: str) -> np.ndarray:
    if mask.shape != weight.shape:
        raise ValueError(f"{what}: mask of {name!r} has shape {mask.shape}, the weight has {weight.shape}")
    values = np.unique(mask)
    if not np.isin(values, (0, 1)).all():
        raise ValueError(f"{what}: mask of {name!r} must hold only 0 and 1, got values {values[:5].tolist()}")
    return mask.astype(bool)


def from_torch_prune(state_dict) -> tuple[dict, dict]:
    """(weights, masks) from a ``torch.nn.utils.prune`` state dict (see the module docstring)."""
    what = "from_torch_prune"
    items = {k: _array(v) for k, v in dict(state_dict).items()}
    weights, masks = {}, {}
    for key, value in items.items():
        if key.endswith("_mask"):
            base = key[:-len("_mask")]
            if base + "_orig" not in items:
                raise ValueError(f"{what}: {key!r} has no matching {base + '_orig'!r}")
            continue
        if key.endswith("_orig") and key[:-len("_orig")] + "_mask" in items:
            base = key[:-len("_orig")]
            mask = _check_mask(items[base + "_mask"], value, base, what)
            weights[base] = value * mask
            masks[base] = mask
        else:
            weights[key] = value
    return weights, masks


def _tfmot_name(name: str) -> str:
    name = re.sub(r":\d+$", "", name)
    return "/".join(part[len(_TFMOT_PREFIX):] if part.startswith(_TFMOT_PREFIX) else part
                    for part in name.split("/"))


def from_tfmot(weights) -> tuple[dict, dict]:
    """(weights, masks) from the variables of a TF-MOT pruned Keras model (see the module docstring)."""
    what = "from_tfmot"
    items = {str(k): _array(v) for k, v in dict(weights).items()}
    masks_by_scope = {k.rsplit("/", 1)[0]: v for k, v in items.items() if re.search(r"(^|/)mask(:\d+)?$", k)}
    out, masks = {}, {}
    for key, value in items.items():
        leaf = re.sub(r":\d+$", "", key.rsplit("/", 1)[-1])
        if leaf == "mask" or leaf in _TFMOT_BOOKKEEPING:
            continue
        scope = key.rsplit("/", 1)[0] if "/" in key else ""
        name = _tfmot_name(key)
        if leaf == "kernel" and scope in masks_by_scope:
            mask = _check_mask(masks_by_scope.pop(scope), value, name, what)
            out[name], masks[name] = value * mask, mask
        else:
            out[name] = value
    if masks_by_scope:
        raise ValueError(f"{what}: masks without a kernel: {sorted(masks_by_scope)}")
    return out, masks


def strip(target):
    """Sparse layers and matrices back to dense: a new Sequential, a dense array, or a dict of them."""
    from pykernels.formats import SPARSE_FORMATS
    from pykernels.layers import Dense, Sequential, SparseDense
    from pykernels.layers.base import deserialize, serialize
    if isinstance(target, SPARSE_FORMATS):
        return target.to_dense()
    if isinstance(target, dict):
        return {k: strip(v) if isinstance(v, SPARSE_FORMATS) else v for k, v in target.items()}
    layers = getattr(target, "layers", None)
    if layers is None:
        raise TypeError(f"strip: expected a sparse matrix, a dict, or a Sequential; got {type(target).__name__}")
    new_layers = []
    for layer in layers:
        if isinstance(layer, SparseDense):
            dense = Dense(layer.units, layer.activation, layer.use_bias, name=layer.name, backend=layer.backend)
        else:
            dense = deserialize(serialize(layer))
        if layer.built:
            dense.build(layer.input_shape)
            dense.set_weights(layer.get_weights())
        new_layers.append(dense)
    return Sequential(new_layers)
