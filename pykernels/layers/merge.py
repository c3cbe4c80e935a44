"""Layers that merge several inputs: Concatenate."""
from __future__ import annotations

import numpy as np

from pykernels.layers.base import Layer, format_shape


class Concatenate(Layer):
    """Joins a list of arrays along ``axis`` (the last by default), like ``keras.layers.Concatenate``."""

    multi_input = True

    def __init__(self, axis: int = -1, name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"{self}: axis must be an int, got {type(axis).__name__}")
        self.axis = axis

    def build(self, input_shape: list) -> None:
        self.compute_output_shape(input_shape)  # checks the shapes
        super().build(input_shape)

    def call(self, inputs: list) -> np.ndarray:
        self.compute_output_shape([x.shape for x in inputs])
        return np.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape: list) -> tuple:
        shapes = [tuple(s) for s in input_shape]
        described = ", ".join(format_shape(s) for s in shapes)
        if len(shapes) < 2:
            raise ValueError(f"{self}: needs at least 2 inputs, got {len(shapes)}")
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank or rank == 0:
            raise ValueError(f"{self}: inputs must have the same rank, with axis {self.axis} in it; got {described}")
        axis = self.axis % rank
        out = list(shapes[0])
        for d in range(rank):
            sizes = [s[d] for s in shapes]
            if d == axis:
                out[d] = None if None in sizes else sum(sizes)
            elif len({x for x in sizes if x is not None}) > 1:
                raise ValueError(f"{self}: inputs must match on every axis but {self.axis}; got {described}")
            else:
                out[d] = next((x for x in sizes if x is not None), None)
        return tuple(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
