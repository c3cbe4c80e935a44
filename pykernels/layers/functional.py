"""The functional API: ``Input``, layers called on symbolic tensors, and ``Model``.

::

    image = Input((64, 64, 3))
    text = Input((20,), dtype="int32")
    a = Flatten()(MaxPooling2D(2)(Conv2D(32, 3, activation="relu")(image)))
    b = Flatten()(Embedding(1000, 16)(text))
    model = Model(inputs=[image, text], outputs=Dense(1, activation="sigmoid")(Concatenate()([a, b])))
    p = model([images, token_ids])

Calling a layer on a ``SymbolicTensor`` builds the layer for that shape and records a
``Node``; ``Model`` runs the recorded nodes in order on arrays. Extra arguments of a
call (masks, flags) may be symbolic tensors or JSON values (None, bool, int, float, str).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from pykernels.layers.base import (Layer, deserialize, format_shape, normalize_shape, predict_in_batches,
                                   print_summary, serialize)

_INPUT_NAMES = itertools.count()
_JSON_LEAVES = (type(None), bool, int, float, str)


class SymbolicTensor:
    """A placeholder for an array in a functional graph: shape (None for the batch), dtype,
    and the node that produces it (None for an ``Input``)."""

    __slots__ = ("shape", "dtype", "node", "index", "name")

    def __init__(self, shape: tuple, dtype: np.dtype, node: "Node | None", index: int, name: str):
        self.shape, self.dtype, self.node, self.index, self.name = shape, dtype, node, index, name

    def __repr__(self) -> str:
        return f"<SymbolicTensor {self.name!r} shape={format_shape(self.shape)} dtype={self.dtype}>"


@dataclass(eq=False)
class Node:
    """One call of ``layer`` in the graph: its first argument, the others, its outputs."""

    layer: Layer
    inputs: Any  # a SymbolicTensor or a list of them
    args: tuple
    kwargs: dict
    outputs: list[SymbolicTensor] = field(default_factory=list)


def Input(shape, dtype="float32", name: str | None = None) -> SymbolicTensor:  # noqa: N802 - Keras' name
    """A model input of ``shape`` per sample (without the batch), e.g. ``Input((64, 64, 3))``;
    ``dtype="int32"`` for token ids."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"Input: dtype must be a NumPy dtype such as 'float32' or 'int32', got {dtype!r}") from None
    if dtype.kind not in "iuf":
        raise TypeError(f"Input: dtype must be an integer or float type, got {dtype}")
    if name is None:
        index = next(_INPUT_NAMES)
        name = "input" if index == 0 else f"input_{index}"
    shape = normalize_shape(shape, f"Input {name!r}")
    return SymbolicTensor((None,) + shape, dtype, None, 0, name)


def _leaves(structure) -> list:
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _leaves(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _leaves(item)]
    return [structure]


def _map(structure, fn: Callable):
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(item, fn) for item in structure)
    if isinstance(structure, dict):
        return {key: _map(item, fn) for key, item in structure.items()}
    return fn(structure)


def is_symbolic(inputs, args: tuple, kwargs: dict) -> bool:
    """Whether a layer call has a symbolic tensor anywhere in its arguments."""
    return any(isinstance(leaf, SymbolicTensor) for leaf in _leaves([inputs, args, kwargs]))


def call_symbolic(layer: Layer, inputs, args: tuple, kwargs: dict):
    """Build ``layer`` for the symbolic inputs' shapes and record the call; its outputs."""
    for leaf in _leaves([inputs, args, kwargs]):
        if not isinstance(leaf, (SymbolicTensor, *_JSON_LEAVES)):
            raise TypeError(f"{layer}: in a functional model, arguments must be symbolic tensors (Input or layer "
                            f"outputs) or plain values, got {type(leaf).__name__}; make it a model Input")
    if not all(isinstance(leaf, SymbolicTensor) for leaf in _leaves(inputs)):
        raise TypeError(f"{layer}: the first argument mixes symbolic tensors and plain values")
    shapes = _map(inputs, lambda t: t.shape)
    layer.ensure_built(list(shapes) if layer.multi_input else shapes)
    return record(layer, inputs, args, kwargs, layer.compute_output_shape(list(shapes) if layer.multi_input else shapes))


def record(layer: Layer, inputs, args: tuple, kwargs: dict, out):
    """The node of a built ``layer`` called on symbolic arguments, with output shape(s)
    ``out`` (a list for several outputs); its symbolic outputs. Layers whose building
    needs more than the first argument's shape (MultiHeadAttention) build, then call this."""
    several = isinstance(out, list)
    node = Node(layer, inputs, tuple(args), dict(kwargs))
    node.outputs = [SymbolicTensor(tuple(shape), np.dtype(np.float32), node, i, f"{layer.name}:{i}")
                    for i, shape in enumerate(out if several else [out])]
    return node.outputs if several else node.outputs[0]


def _as_list(tensors, what: str) -> list[SymbolicTensor]:
    found = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    if not found or not all(isinstance(t, SymbolicTensor) for t in found):
        raise TypeError(f"Model: {what} must be a symbolic tensor or a non-empty list of them "
                        "(from layers.Input and layer calls)")
    return found


def _topological(outputs: list[SymbolicTensor], inputs: list[SymbolicTensor]) -> list[Node]:
    """The nodes the outputs depend on, each after the nodes it reads; every Input reached
    must be one of ``inputs``."""
    order: list[Node] = []
    seen: set[int] = set()

    def visit(tensor: SymbolicTensor) -> None:
        node = tensor.node
        if node is None:
            if not any(tensor is t for t in inputs):
                raise ValueError(f"Model: the outputs depend on input {tensor.name!r}, which is not among the "
                                 f"model's inputs {[t.name for t in inputs]}")
            return
        if id(node) in seen:
            return
        seen.add(id(node))
        for leaf in _leaves([node.inputs, node.args, node.kwargs]):
            if isinstance(leaf, SymbolicTensor):
                visit(leaf)
        order.append(node)

    for tensor in outputs:
        visit(tensor)
    return order


class Model(Layer):
    """A graph of layers from ``inputs`` to ``outputs`` (symbolic tensors), like ``keras.Model``.

    Called with one array per input (a list when there are several), it returns one array
    per output (a list when there are several).
    """

    is_container = True

    def __init__(self, inputs, outputs, name: str | None = None):
        super().__init__(name=name)
        self._several_inputs = isinstance(inputs, (list, tuple))
        self._several_outputs = isinstance(outputs, (list, tuple))
        self._inputs = _as_list(inputs, "inputs")
        self._outputs = _as_list(outputs, "outputs")
        for tensor in self._inputs:
            if tensor.node is not None:
                raise ValueError(f"Model: inputs must come from layers.Input; {tensor.name!r} is a layer output")
        self._nodes = _topological(self._outputs, self._inputs)
        self._layers = list(dict.fromkeys(node.layer for node in self._nodes))
        names = [layer.name for layer in self._layers]
        if len(set(names)) != len(names):
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"Model: layer names must be unique, {repeated} appear more than once")
        self.multi_input = self._several_inputs
        self.input_shape = [t.shape for t in self._inputs] if self._several_inputs else self._inputs[0].shape
        self.built = True

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def inputs(self) -> list[SymbolicTensor]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[SymbolicTensor]:
        return list(self._outputs)

    # --- running ------------------------------------------------------------------
    def prepare_input(self, inputs):
        """One array per Input, cast to its dtype (integer inputs must be integers); shapes checked."""
        given = list(inputs) if self._several_inputs and isinstance(inputs, (list, tuple)) else [inputs]
        if len(given) != len(self._inputs):
            raise ValueError(f"{self}: expected {len(self._inputs)} inputs "
                             f"({', '.join(t.name for t in self._inputs)}), got {len(given)}")
        arrays = []
        for tensor, value in zip(self._inputs, given):
            array = np.asarray(value)
            if tensor.dtype.kind in "iu" and array.dtype.kind not in "iu":
                raise TypeError(f"{self}: input {tensor.name!r} takes integers ({tensor.dtype}), got dtype {array.dtype}")
            if array.dtype.kind not in "biuf":
                raise TypeError(f"{self}: input {tensor.name!r} must be a real numeric array, got dtype {array.dtype}")
            if array.ndim != len(tensor.shape) or any(d is not None and d != s
                                                      for d, s in zip(tensor.shape, array.shape)):
                raise ValueError(f"{self}: input {tensor.name!r} expects shape {format_shape(tensor.shape)}, "
                                 f"got {format_shape(array.shape)}")
            arrays.append(array.astype(tensor.dtype, copy=False))
        return arrays if self._several_inputs else arrays[0]

    def call(self, inputs):
        """Each node in order; a mask a layer computes (Embedding's mask_zero) goes to the
        layers that read its output and support masking, as in Sequential."""
        values = {id(t): v for t, v in zip(self._inputs, inputs if self._several_inputs else [inputs])}
        masks: dict[int, np.ndarray] = {}

        def value(leaf):
            return values[id(leaf)] if isinstance(leaf, SymbolicTensor) else leaf

        for node in self._nodes:
            x = _map(node.inputs, value)
            kwargs = _map(node.kwargs, value)
            mask = masks.get(id(node.inputs)) if isinstance(node.inputs, SymbolicTensor) else None
            if mask is not None and node.layer.supports_masking and "mask" not in kwargs:
                kwargs["mask"] = mask
            result = node.layer(x, *_map(node.args, value), **kwargs)
            outputs = result if len(node.outputs) > 1 else [result]
            out_mask = node.layer.compute_mask(x, mask) if len(node.outputs) == 1 else None
            for tensor, array in zip(node.outputs, outputs):
                values[id(tensor)] = array
                if out_mask is not None:
                    masks[id(tensor)] = out_mask
        found = [values[id(t)] for t in self._outputs]
        return found if self._several_outputs else found[0]

    def predict(self, inputs, batch_size: int | None = None):
        """The outputs on ``inputs``, computed ``batch_size`` samples at a time (all at once if None)."""
        return predict_in_batches(self, self.prepare_input(inputs), batch_size)

    def compute_output_shape(self, input_shape):
        first = input_shape[0] if self._several_inputs else input_shape
        batch = first[0] if len(first) else None
        shapes = [(batch,) + t.shape[1:] for t in self._outputs]
        return shapes if self._several_outputs else shapes[0]

    def weight_slots(self):
        return [slot for layer in self._layers for slot in layer.weight_slots()]

    # --- description --------------------------------------------------------------
    def summary(self, print_fn=print) -> None:
        """A table of the layers: output shapes, parameter counts and what each is connected to."""
        rows = [(f"{t.name} (Input)", format_shape(t.shape), "0", "") for t in self._inputs]
        for node in self._nodes:
            shapes = ", ".join(format_shape(t.shape) for t in node.outputs)
            sources = [leaf.name for leaf in _leaves([node.inputs, node.args, node.kwargs])
                       if isinstance(leaf, SymbolicTensor)]
            rows.append((f"{node.layer.name} ({type(node.layer).__name__})", shapes,
                         f"{node.layer.count_params():,}", ", ".join(sources)))
        print_summary(self, ("Layer (type)", "Output Shape", "Param #", "Connected to"), rows, print_fn)

    def get_config(self) -> dict:
        tensors = {id(t): ["@tensor", "input", i] for i, t in enumerate(self._inputs)}
        nodes = []
        for n, node in enumerate(self._nodes):
            def ref(leaf):
                return tensors[id(leaf)] if isinstance(leaf, SymbolicTensor) else leaf

            nodes.append({"layer": node.layer.name, "inputs": _map(node.inputs, ref), "args": _map(list(node.args), ref),
                          "kwargs": _map(node.kwargs, ref)})
            tensors.update({id(t): ["@tensor", "node", n, i] for i, t in enumerate(node.outputs)})
        return {"name": self.name,
                "inputs": [{"name": t.name, "shape": list(t.shape[1:]), "dtype": t.dtype.name} for t in self._inputs],
                "several_inputs": self._several_inputs, "several_outputs": self._several_outputs,
                "layers": [serialize(layer) for layer in self._layers], "nodes": nodes,
                "outputs": [tensors[id(t)] for t in self._outputs]}

    @classmethod
    def from_config(cls, config: dict) -> "Model":
        inputs = [Input(tuple(spec["shape"]), spec["dtype"], spec["name"]) for spec in config["inputs"]]
        layers = {layer.name: layer for layer in map(deserialize, config["layers"])}
        produced: list[list[SymbolicTensor]] = []

        def tensor(leaf):
            if isinstance(leaf, list) and leaf[:1] == ["@tensor"]:
                return inputs[leaf[2]] if leaf[1] == "input" else produced[leaf[2]][leaf[3]]
            return leaf

        def resolve(structure):
            if isinstance(structure, list) and structure[:1] == ["@tensor"]:
                return tensor(structure)
            return _map(structure, tensor) if isinstance(structure, dict) else (
                [resolve(item) for item in structure] if isinstance(structure, list) else structure)

        for node in config["nodes"]:
            out = layers[node["layer"]](resolve(node["inputs"]), *resolve(node["args"]), **resolve(node["kwargs"]))
            produced.append(out if isinstance(out, list) else [out])
        outputs = [tensor(ref) for ref in config["outputs"]]
        return cls(inputs if config["several_inputs"] else inputs[0],
                   outputs if config["several_outputs"] else outputs[0], name=config["name"])


