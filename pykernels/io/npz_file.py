"""Weights in a NumPy .npz archive, named ``layer_name/weight_name`` (no pickles).

``save_npz_weights`` / ``load_npz_weights`` are the safetensors pair without the extra
package; a missing, unexpected or mis-shaped array -> ValueError listing them.
"""
from __future__ import annotations

import os

import numpy as np

from pykernels.io.safetensors_file import assign_by_slot_names, weight_names
from pykernels.layers.base import Layer


def save_npz_weights(model: Layer, path: str | os.PathLike) -> None:
    """Write a built model's weights to ``path`` (.npz), named by ``layer_name/weight_name``."""
    with open(path, "wb") as f:
        np.savez(f, **dict(zip(weight_names(model), model.get_weights())))


def load_npz_weights(model: Layer, path: str | os.PathLike) -> None:
    """Load an .npz of weights named ``layer_name/weight_name`` into ``model`` (all checked first)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            tensors = {name: archive[name] for name in archive.files}
    except (OSError, ValueError) as e:
        raise ValueError(f"load_npz_weights: {path} is not a readable .npz: {e}") from None
    assign_by_slot_names(model, tensors, f"npz file {path}")
