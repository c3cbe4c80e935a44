"""Embedding: integer ids -> rows of a learned table, through ``pykernels.ops.embedding``.

With ``mask_zero=True`` id 0 is padding: ``compute_mask(ids)`` is ``ids != 0``, and
layers that take a mask (LSTM) read it as sequence lengths.
"""
from __future__ import annotations

import numpy as np

from pykernels import ops, validation
from pykernels.layers import initializers
from pykernels.layers.base import Layer, normalize_shape
from pykernels.ops.embedding import embedding_ids


class Embedding(Layer):
    """``table[ids]`` for integer ids of any shape; the output adds a last axis of ``output_dim``."""

    def __init__(self, input_dim: int, output_dim: int, mask_zero: bool = False,
                 embeddings_initializer="random_uniform", name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.input_dim = validation.integer(input_dim, str(self), "input_dim", minimum=1)
        self.output_dim = validation.integer(output_dim, str(self), "output_dim", minimum=1)
        if not isinstance(mask_zero, bool):
            raise TypeError(f"{self}: mask_zero must be a bool, got {type(mask_zero).__name__}")
        self.mask_zero = mask_zero
        self.embeddings_initializer = initializers.get(embeddings_initializer, f"{self}: embeddings_initializer")
        self.embeddings: np.ndarray | None = None

    def build(self, input_shape: tuple) -> None:
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer)
        super().build(input_shape)

    def prepare_input(self, ids) -> np.ndarray:
        """Integer ids in [0, input_dim) (TypeError / ValueError otherwise), not cast to float."""
        return embedding_ids(ids, str(self), self.input_dim)

    def call(self, ids: np.ndarray) -> np.ndarray:
        return ops.embedding(ids, self.embeddings, backend=self.backend)

    def compute_mask(self, ids, mask=None):
        """``ids != 0`` with ``mask_zero``, else None."""
        return np.asarray(ids) != 0 if self.mask_zero else None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return normalize_shape(input_shape, self) + (self.output_dim,)

    def get_config(self) -> dict:
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "mask_zero": self.mask_zero,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer)}
