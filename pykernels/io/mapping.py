"""What every importer shares: take named tensors from a checkpoint, convert them to a
layer's layout, check them all, and only then write them.

    plan = WeightAssignment(tensors, "PyTorch state_dict")
    plan.assign(dense, [plan.take("fc.weight").T, plan.take("fc.bias")])
    plan.finish()   # ValueError listing missing, unexpected and mis-shaped tensors; else set_weights

``take`` records a missing name and returns None; ``assign`` compares each converted
array with the layer's weight of the same slot; ``finish`` reports every problem at once
(names, expected and given shapes) and writes nothing unless there is none.
"""
from __future__ import annotations

import numpy as np

from pykernels.layers.base import Layer, format_shape


def as_array(value) -> np.ndarray:
    """A NumPy array from an array, a PyTorch tensor (detached, on the CPU) or an h5py dataset."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


class WeightAssignment:
    """Named source tensors being assigned to layers (see the module docstring)."""

    def __init__(self, tensors: dict, source: str):
        self.tensors = {str(name): value for name, value in tensors.items()}
        self.source = source
        self.used: set[str] = set()
        self.missing: list[str] = []
        self.misshaped: list[str] = []
        self.pending: list[tuple[Layer, list[np.ndarray]]] = []

    def has(self, name: str) -> bool:
        return name in self.tensors

    def take(self, name: str, alias: str | None = None) -> np.ndarray | None:
        """The tensor ``name`` (or ``alias``) as an array; None, recorded as missing, when absent."""
        for key in (name, alias):
            if key is not None and key in self.tensors:
                self.used.add(key)
                return as_array(self.tensors[key])
        self.missing.append(name)
        return None

    def skip(self, name: str) -> None:
        """Mark ``name`` as read though not loaded (buffers such as BatchNorm counters)."""
        self.used.add(name)

    def assign(self, layer: Layer, arrays: list) -> None:
        """``layer``'s weights, in ``get_weights`` order, as converted arrays (None: missing)."""
        slots = layer.weight_slots()
        if len(arrays) != len(slots):
            self.misshaped.append(f"{layer}: {len(arrays)} tensors for {len(slots)} weights "
                                  f"[{', '.join(name for _, name, _ in slots)}]")
            return
        for (owner, name, value), array in zip(slots, arrays):
            if array is not None and array.shape != value.shape:
                self.misshaped.append(f"{owner.name}/{name}: expected {format_shape(value.shape)}, "
                                      f"got {format_shape(array.shape)}")
        self.pending.append((layer, arrays))

    def finish(self) -> None:
        """Write every assigned layer, or raise ValueError listing what does not fit."""
        unexpected = sorted(set(self.tensors) - self.used)
        problems = []
        if self.missing:
            problems.append(f"missing {len(self.missing)}: {', '.join(self.missing)}")
        if unexpected:
            problems.append(f"unexpected {len(unexpected)}: {', '.join(unexpected)}")
        if self.misshaped:
            problems.append(f"mis-shaped {len(self.misshaped)}: {'; '.join(self.misshaped)}")
        if problems:
            raise ValueError(f"cannot load the {self.source}: " + " | ".join(problems))
        for layer, arrays in self.pending:
            layer.set_weights(arrays)
