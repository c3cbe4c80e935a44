"""Sequential: a stack of layers, each fed the previous one's output (itself a Layer)."""
from __future__ import annotations

import numpy as np

from pykernels.layers.base import (Layer, deserialize, format_shape, normalize_shape, predict_in_batches,
                                   print_summary, serialize)


class Sequential(Layer):
    """Layers applied in order, like ``keras.Sequential``.

    Built on the first call (or by ``build(input_shape)``), each layer from the output
    shape of the one before. ``backend``, when given, is set on every layer, present and
    added later, so the whole model runs on that backend.
    """

    is_container = True

    def __init__(self, layers=None, name: str | None = None, backend: str | None = None):
        super().__init__(name=name, backend="auto" if backend is None else backend)
        self.backend = backend  # None: each layer keeps its own
        self._layers: list[Layer] = []
        for layer in layers or ():
            self.add(layer)

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def add(self, layer: Layer) -> None:
        """Append ``layer``; in a built model it is built on the current output shape."""
        if not isinstance(layer, Layer):
            raise TypeError(f"{self}: can only add Layer instances, got {type(layer).__name__}")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"{self}: a layer named {layer.name!r} is already in the model; "
                             "layer names must be unique (pass name=...)")
        if self.built:
            layer.ensure_built(self.compute_output_shape(self.input_shape))
        if self.backend is not None:
            layer.backend = self.backend
        self._layers.append(layer)

    def build(self, input_shape: tuple) -> None:
        if not self._layers:
            raise ValueError(f"{self}: the model has no layers; add some with add(layer)")
        shape = input_shape = normalize_shape(input_shape, self)
        for layer in self._layers:
            shape = layer.compute_output_shape(layer.ensure_built(shape))
        super().build(input_shape)

    def prepare_input(self, x) -> np.ndarray:
        """What the first layer takes (float32, or integer ids for an Embedding)."""
        first = self._layers[0] if self._layers else None
        if first is not None and type(first).prepare_input is not Layer.prepare_input:
            return first.prepare_input(x)
        return super().prepare_input(x)

    def call(self, x: np.ndarray) -> np.ndarray:
        """Each layer on the previous output; a mask a layer computes (Embedding's
        mask_zero) is passed on to the next layers that support masking."""
        mask = None
        for layer in self._layers:
            inputs = x
            x = layer(x, mask=mask) if mask is not None and layer.supports_masking else layer(x)
            mask = layer.compute_mask(inputs, mask)
        return x

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def predict(self, x, batch_size: int | None = None) -> np.ndarray:
        """The model's output on ``x``, computed ``batch_size`` samples at a time (all at once if None)."""
        return predict_in_batches(self, self.prepare_input(x), batch_size)

    def weight_slots(self):
        return [slot for layer in self._layers for slot in layer.weight_slots()]

    def summary(self, print_fn=print) -> None:
        """Print a table of the layers, their output shapes and parameter counts, as Keras does."""
        if not self.built:
            raise ValueError(f"{self}: summary needs a built model; call it on data or build(input_shape) first")
        rows, shape = [], self.input_shape
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
            rows.append((f"{layer.name} ({type(layer).__name__})", format_shape(shape), f"{layer.count_params():,}"))
        print_summary(self, ("Layer (type)", "Output Shape", "Param #"), rows, print_fn)

    def get_config(self) -> dict:
        return {"name": self.name, "backend": self.backend, "layers": [serialize(l) for l in self._layers]}

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        config = dict(config)
        layers = [deserialize(layer) for layer in config.pop("layers", [])]
        return cls(layers=layers, **config)
