"""safetensors files: read all tensors as NumPy arrays, write a model's weights.

``read_safetensors(path)`` needs the ``safetensors`` package (``pip install pykernels[io]``);
float16 / bfloat16 tensors are widened to float32 (our layers compute in float32).
``save_weights`` / ``load_weights`` store a model's weights under their slot names
(``layer_name/weight_name``), so a file written by one model loads into its twin, and a
missing, unexpected or mis-shaped tensor is reported by name.
"""
from __future__ import annotations

import os

import numpy as np

from pykernels.io.mapping import WeightAssignment
from pykernels.layers.base import Layer


def _safetensors():
    try:
        import safetensors.numpy
    except ImportError as e:
        raise ImportError(f"reading safetensors needs the safetensors package (pip install safetensors, "
                          f"or pykernels[io]): {e}") from None
    return safetensors.numpy


def read_safetensors(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file by name; bfloat16 / float16 become float32."""
    st = _safetensors()
    try:
        tensors = st.load_file(str(path))
    except (OSError, ValueError) as e:  # safetensors' own errors derive from these or from Exception
        raise ValueError(f"read_safetensors: {path} is not a readable safetensors file: {e}") from None
    except Exception as e:  # noqa: BLE001 - SafetensorError is not exported under a stable name
        raise ValueError(f"read_safetensors: {path} is not a readable safetensors file: {e}") from None
    return {name: (t.astype(np.float32) if t.dtype.kind == "f" and t.dtype.itemsize < 4 else t)
            for name, t in tensors.items()}


def weight_names(model: Layer) -> list[str]:
    """``layer_name/weight_name`` of every weight of a built model, in ``get_weights`` order."""
    return [f"{layer.name}/{name}" for layer, name, _ in model.weight_slots()]


def save_weights(model: Layer, path: str | os.PathLike) -> None:
    """Write a built model's weights to a .safetensors file, named by ``weight_names``."""
    st = _safetensors()
    st.save_file(dict(zip(weight_names(model), model.get_weights())), str(path))


def assign_by_slot_names(model: Layer, tensors: dict, source: str) -> None:
    """Load ``tensors`` named ``layer_name/weight_name`` into ``model`` (all checked first)."""
    plan = WeightAssignment(tensors, source)
    layers: dict[Layer, list] = {}
    for layer, name, _ in model.weight_slots():
        layers.setdefault(layer, []).append(plan.take(f"{layer.name}/{name}"))
    for layer, arrays in layers.items():
        plan.assign(layer, arrays)
    plan.finish()


def load_weights(model: Layer, path: str | os.PathLike) -> None:
    """Load weights that ``save_weights`` wrote (or any file with the same names) into ``model``."""
    assign_by_slot_names(model, read_safetensors(path), f"safetensors file {path}")
