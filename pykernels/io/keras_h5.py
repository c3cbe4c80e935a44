"""Load Keras 3 weights (``.weights.h5`` from ``model.save_weights``, or a ``.keras`` archive)
into our layers and models, read with h5py (``pip install pykernels[io]``).

Keras 3 stores each layer's variables under ``layers/<name>/vars/<i>`` (a recurrent
layer's under ``.../cell/vars``, MultiHeadAttention's under ``query_dense``,
``key_dense``, ``value_dense``, ``output_dense``), where ``<name>`` is the snake_case
class name with ``_1``, ``_2``... for repeats, in model order. Our layers are matched the
same way: our k-th layer of a class reads Keras' k-th layer of the same class.

Conv2D (HWIO), Dense, Embedding, LayerNormalization and MultiHeadAttention share Keras'
layouts; LSTM kernels (I, 4H) / (H, 4H) with gates (i, f, c, o) become PyTorch's layout
through ``ops.lstm_weights_from_keras``. Missing, unexpected or mis-shaped tensors ->
ValueError listing them.
"""
from __future__ import annotations

import io
import os
import zipfile
from collections import Counter

from pykernels import ops
from pykernels.io.mapping import WeightAssignment
from pykernels.layers import LSTM, Bidirectional, MultiHeadAttention
from pykernels.layers.base import Layer, _snake_case


def _h5py():
    try:
        import h5py
    except ImportError as e:
        raise ImportError(f"reading Keras weights needs h5py (pip install h5py, or pykernels[io]): {e}") from None
    return h5py


def read_keras_weights(path: str | os.PathLike) -> dict:
    """Every variable of a .weights.h5 or .keras file as ``{"layers/dense/vars/0": array}``."""
    h5py = _h5py()
    path = os.fspath(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if "model.weights.h5" not in archive.namelist():
                raise ValueError(f"read_keras_weights: {path} is a zip without model.weights.h5 (not a .keras file)")
            source = io.BytesIO(archive.read("model.weights.h5"))
    else:
        source = path
    tensors = {}
    try:
        with h5py.File(source, "r") as f:
            f.visititems(lambda name, item: tensors.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset)
                         else None)
    except OSError as e:
        raise ValueError(f"read_keras_weights: {path} is not an HDF5 weights file: {e}") from None
    return tensors


def _vars(plan, group: str, count: int) -> list:
    return [plan.take(f"{group}/vars/{i}") for i in range(count)]


def _assign(plan: WeightAssignment, group: str, layer: Layer) -> None:
    if isinstance(layer, (LSTM, Bidirectional)):
        lstm = layer.layer if isinstance(layer, Bidirectional) else layer
        if lstm.num_layers != 1:
            raise ValueError(f"load_keras_weights: {layer} stacks {lstm.num_layers} layers; Keras LSTMs have one")
        cells = [f"{group}/forward_layer/cell", f"{group}/backward_layer/cell"] if lstm.bidirectional \
            else [f"{group}/cell"]
        arrays = []
        for cell in cells:
            kernel, recurrent, *bias = _vars(plan, cell, 3 if lstm.use_bias else 2)
            if kernel is None or recurrent is None or any(b is None for b in bias):
                arrays += [None] * 4
            else:
                arrays += ops.lstm_weights_from_keras(kernel, recurrent, bias[0] if bias else None)
        plan.assign(lstm, arrays)
    elif isinstance(layer, MultiHeadAttention):
        arrays = []
        for part in ("query_dense", "key_dense", "value_dense", "output_dense"):
            arrays += _vars(plan, f"{group}/{part}", 2 if layer.use_bias else 1)
        plan.assign(layer, arrays)
    else:
        plan.assign(layer, _vars(plan, group, len(layer.weight_slots())))


def load_keras_weights(model: Layer, path: str | os.PathLike) -> None:
    """Load a Keras 3 ``.weights.h5`` / ``.keras`` file into a built ``model`` (see the module docstring)."""
    if not isinstance(model, Layer):
        raise TypeError(f"load_keras_weights: expected a pykernels layer or model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"load_keras_weights: {model} is not built; call it on data or build(input_shape) first")
    plan = WeightAssignment(read_keras_weights(path), f"Keras weights {path}")
    seen = Counter()
    for layer in getattr(model, "layers", None) or [model]:
        kind = _snake_case(type(layer).__name__)
        index = seen[kind]
        seen[kind] += 1
        if layer.weight_slots():
            _assign(plan, f"layers/{kind}" + (f"_{index}" if index else ""), layer)
    plan.finish()
