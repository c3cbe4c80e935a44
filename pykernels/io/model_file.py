"""A model in one file: its architecture (the layers' configs as JSON), its input shape
and its weights, stored in a NumPy ``.npz`` archive without pickles.

The JSON sits in the archive as the UTF-8 bytes of entry ``__config__``; the weights are
``weight_00000``, ``weight_00001``, ... in ``get_weights`` order.
"""
from __future__ import annotations

import json
import os

import numpy as np

from pykernels.layers.base import Layer, deserialize, serialize

FORMAT = "pykernels-model-1"
_CONFIG = "__config__"


def save_model(model: Layer, path: str | os.PathLike) -> None:
    """Write a built ``model`` (architecture and weights) to ``path`` (an .npz file)."""
    if not isinstance(model, Layer):
        raise TypeError(f"save_model: expected a pykernels Layer or model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"save_model: {model} is not built; call it on data or build(input_shape) first")
    header = {"format": FORMAT, "model": serialize(model), "input_shape": list(model.input_shape)}
    arrays = {_CONFIG: np.frombuffer(json.dumps(header).encode(), np.uint8)}
    arrays.update({f"weight_{i:05d}": w for i, w in enumerate(model.get_weights())})
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load_model(path: str | os.PathLike) -> Layer:
    """The model ``save_model`` wrote to ``path``, built and with its weights."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"load_model: {path} is not a pykernels model file: {e}") from None
    with archive:
        if _CONFIG not in archive.files:
            raise ValueError(f"load_model: {path} has no {_CONFIG!r} entry; not written by save_model")
        header = json.loads(archive[_CONFIG].tobytes().decode())
        if header.get("format") != FORMAT:
            raise ValueError(f"load_model: {path} has format {header.get('format')!r}, expected {FORMAT!r}")
        names = sorted(name for name in archive.files if name != _CONFIG)
        weights = [archive[name] for name in names]
    model = deserialize(header["model"])
    model.build(tuple(header["input_shape"]))
    model.set_weights(weights)
    return model
