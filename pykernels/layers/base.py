"""The Layer base class: the contract every layer follows, and what all layers share.

A layer owns parameters and calls ``pykernels.ops``; it computes nothing itself. A
subclass implements

- ``build(input_shape)``: create the weights with ``add_weight`` for an input of
  ``input_shape`` (batch first, ``None`` where unknown), then call ``super().build``;
- ``call(x, *args, **kwargs)``: the forward pass on a float32 array (extra arguments
  such as masks are passed through), through ``pykernels.ops``;
- ``compute_output_shape(input_shape)``: the output shape (a list of shapes for several
  outputs), without building;
- ``get_config()``: its constructor arguments (extending ``super().get_config()``);

and may set ``input_spec`` (an ``InputSpec``) to have its inputs checked, and
``multi_input`` when its first argument is a list of arrays. Calling a layer casts the
input to float32 (as Keras does; ``convert_inputs``), checks it against ``input_spec``,
builds the layer on first use from the input's shape and runs ``call``; called on
symbolic tensors (``layers.Input``) it records a node of a functional ``Model`` instead.
Weights are kept in creation order, which is the order of ``get_weights`` /
``set_weights``.
"""
from __future__ import annotations

import itertools
import operator
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from pykernels import validation
from pykernels.layers import initializers

_LAYER_CLASSES: dict[str, type] = {}
_NAME_COUNTERS = defaultdict(itertools.count)
_CASTABLE_KINDS = "biuf"  # bool, int, unsigned, float: cast to float32


def _snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _unique_name(prefix: str) -> str:
    index = next(_NAME_COUNTERS[prefix])
    return prefix if index == 0 else f"{prefix}_{index}"


def format_shape(shape) -> str:
    """A shape as Keras prints it: ``(None, 64)``."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


@dataclass(frozen=True)
class InputSpec:
    """What a layer accepts: rank (exact or minimum) and fixed sizes of given axes."""

    ndim: int | None = None
    min_ndim: int | None = None
    axes: dict[int, int] = field(default_factory=dict)

    def check(self, shape: tuple, layer: "Layer") -> None:
        rank = len(shape)
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(f"{layer}: expected a {self.ndim}-D input, got shape {format_shape(shape)}")
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(f"{layer}: expected an input with at least {self.min_ndim} axes, "
                             f"got shape {format_shape(shape)}")
        for axis, size in self.axes.items():
            if shape[axis] is not None and shape[axis] != size:
                raise ValueError(f"{layer}: expected axis {axis} of the input to be {size}, "
                                 f"got shape {format_shape(shape)}")


def as_float32(x, layer: "Layer") -> np.ndarray:
    """``x`` as a float32 array: floats, ints and bools are cast; anything else is a TypeError."""
    array = np.asarray(x)
    if array.dtype.kind not in _CASTABLE_KINDS:
        raise TypeError(f"{layer}: expected a real numeric input (float, int or bool array, cast to float32), "
                        f"got dtype {array.dtype}")
    return array.astype(np.float32, copy=False)


def normalize_shape(shape, layer: "Layer") -> tuple:
    """``shape`` as a tuple of non-negative ints or None."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{layer}: a shape must be a tuple of ints (None for unknown), "
                        f"got {type(shape).__name__}") from None
    result = []
    for d in dims:
        if d is None:
            result.append(None)
            continue
        try:
            if isinstance(d, bool):
                raise TypeError
            d = operator.index(d)
        except TypeError:
            raise TypeError(f"{layer}: shape {dims} has a {type(d).__name__} entry; expected ints or None") from None
        if d < 0:
            raise ValueError(f"{layer}: shape {dims} has a negative dimension")
        result.append(d)
    return tuple(result)


def _unbatched(shape):
    """``shape`` with None for the batch (each shape of a list)."""
    if isinstance(shape, list):
        return [_unbatched(s) for s in shape]
    return (None,) + tuple(shape[1:]) if len(shape) else ()


class Layer:
    """Base of every layer (see the module docstring for the contract)."""

    input_spec: InputSpec | None = None
    is_container = False  # models (Sequential, Model): the profiler looks inside them
    supports_masking = False  # True: __call__(x, mask=...) accepts a mask (batch, steps)
    multi_input = False  # the first argument is a list of arrays (Concatenate)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _LAYER_CLASSES[cls.__name__] = cls

    def __init__(self, name: str | None = None, backend: str = "auto"):
        if name is None:
            name = _unique_name(_snake_case(type(self).__name__))
        elif not isinstance(name, str) or not name:
            raise TypeError(f"{type(self).__name__}: name must be a non-empty str, got {name!r}")
        if not isinstance(backend, str):
            raise TypeError(f"{type(self).__name__}: backend must be a str, got {type(backend).__name__}")
        self.name = name
        self.backend = backend
        self.built = False
        self.input_shape: tuple | None = None  # set by build, with None for the batch
        self._weights: dict[str, np.ndarray] = {}

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.name!r}"

    # --- the contract -------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for ``input_shape`` (subclasses: then call super().build)."""
        self.input_shape = _unbatched(input_shape)
        self.built = True

    def call(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement call(x)")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        raise NotImplementedError(f"{type(self).__name__} does not implement compute_output_shape(input_shape)")

    def compute_mask(self, x, mask=None):
        """The mask of this layer's output for input ``x`` (None: no mask, the default)."""
        return None

    def get_config(self) -> dict:
        """The constructor arguments; ``type(layer).from_config(config)`` makes a twin."""
        return {"name": self.name, "backend": self.backend}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    # --- calling ------------------------------------------------------------------
    def __call__(self, inputs, *args, **kwargs):
        """Run the layer on arrays; on symbolic tensors (``layers.Input``), record the call
        in the functional graph instead (see ``layers.functional``). ``mask=`` (batch,
        steps) goes only to layers that support masking."""
        from pykernels.layers import functional

        if functional.is_symbolic(inputs, args, kwargs):
            return functional.call_symbolic(self, inputs, args, kwargs)
        if kwargs.get("mask", 0) is None:
            del kwargs["mask"]
        elif "mask" in kwargs and not self.supports_masking:
            raise ValueError(f"{self}: does not support masking (got a mask)")
        inputs = self.prepare_input(inputs)
        self.ensure_built([x.shape for x in inputs] if self.multi_input else inputs.shape)
        return self.call(inputs, *args, **kwargs)

    def prepare_input(self, inputs):
        """The first argument as ``call`` takes it: a float32 array (a list of them for
        ``multi_input`` layers). Layers of integer ids (Embedding) override it."""
        if not self.multi_input:
            return as_float32(inputs, self)
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(f"{self}: expected a list of arrays, got {type(inputs).__name__}")
        return [as_float32(x, self) for x in inputs]

    def ensure_built(self, input_shape) -> tuple | list:
        """Check ``input_shape`` (a list of shapes for ``multi_input`` layers) against
        ``input_spec``, build if needed; the checked shape."""
        if self.multi_input:
            shape = [normalize_shape(s, self) for s in input_shape]
        else:
            shape = normalize_shape(input_shape, self)
            if self.input_spec is not None:
                self.input_spec.check(shape, self)
        if not self.built:
            self.build(shape)
        return shape

    # --- weights ------------------------------------------------------------------
    def add_weight(self, name: str, shape: tuple[int, ...], initializer="zeros") -> np.ndarray:
        """A new float32 weight of ``shape`` from ``initializer``, kept in creation order."""
        validation.check_nbytes(shape, str(self), f"weight {name!r}")
        value = np.ascontiguousarray(initializers.get(initializer, f"{self}: {name}")(shape), np.float32)
        if value.shape != tuple(shape):
            raise ValueError(f"{self}: initializer of {name!r} returned shape {value.shape}, expected {tuple(shape)}")
        self._weights[name] = value
        return value

    def weight_slots(self) -> list[tuple["Layer", str, np.ndarray]]:
        """(owning layer, weight name, array) for every weight, in ``get_weights`` order."""
        return [(self, name, value) for name, value in self._weights.items()]

    @property
    def weights(self) -> list[np.ndarray]:
        """The weight arrays themselves (not copies), in ``get_weights`` order."""
        return [value for _, _, value in self.weight_slots()]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights (Keras order: e.g. kernel, bias per layer)."""
        return [value.copy() for value in self.weights]

    def set_weights(self, weights) -> None:
        """Replace every weight; counts, shapes and dtypes are checked before any is written."""
        slots = self.weight_slots()
        weights = list(weights)
        if len(weights) != len(slots):
            expected = ", ".join(f"{layer.name}/{name} {format_shape(value.shape)}" for layer, name, value in slots)
            hint = "" if self.built else " (the layer is not built yet: call it on data or build(input_shape) first)"
            raise ValueError(f"{self}: set_weights expected {len(slots)} arrays [{expected}], "
                             f"got {len(weights)}{hint}")
        checked = []
        for (layer, name, value), new in zip(slots, weights):
            new = np.asarray(new)
            if new.dtype.kind not in _CASTABLE_KINDS:
                raise TypeError(f"{layer}: weight {name!r} must be a real numeric array, got dtype {new.dtype}")
            if new.shape != value.shape:
                raise ValueError(f"{layer}: weight {name!r} has shape {format_shape(value.shape)}, "
                                 f"got {format_shape(new.shape)}")
            checked.append(new)
        for (_, _, value), new in zip(slots, checked):
            np.copyto(value, new, casting="unsafe")

    # --- profiling ----------------------------------------------------------------
    def profile_info(self) -> dict:
        """What the profiler reports besides time: ``bits`` and ``sparsity`` of the weight
        matrices, and ``why`` this layer's kernels were chosen. Sparse and quantized
        layers override it to describe their formats and dispatch decisions."""
        matrices = [w for w in self.weights if w.ndim >= 2]  # kernels, not biases or norms
        size = sum(w.size for w in matrices)
        zeros = sum(w.size - int(np.count_nonzero(w)) for w in matrices)
        why = "auto: the best available backend" if self.backend == "auto" else f"backend={self.backend!r} forced"
        return {"bits": 32 if size else None, "sparsity": zeros / size if size else None, "why": why}

    def float_equivalent(self) -> "Layer | None":
        """A dense float32 layer computing the same function (the profiler's yardstick for
        sparse and quantized layers); None when this layer is already one."""
        return None

    def count_params(self) -> int:
        """The number of scalars in the weights."""
        if not self.built:
            raise ValueError(f"{self}: count_params needs a built layer; call it on data or build(input_shape) first")
        return sum(value.size for value in self.weights)


def print_summary(model: Layer, header: tuple[str, ...], rows: list[tuple[str, ...]], print_fn) -> None:
    """A model's summary table as Keras prints it, ending with the parameter count."""
    widths = [max(len(row[i]) for row in rows + [header]) + 3 for i in range(len(header))]

    def line(row):
        return " " + "".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

    rule = "_" * (sum(widths) + 1)
    print_fn(f'Model: "{model.name}"')
    print_fn(rule)
    print_fn(line(header))
    print_fn("=" * len(rule))
    for row in rows:
        print_fn(line(row))
    print_fn("=" * len(rule))
    print_fn(f"Total params: {model.count_params():,}")


def predict_in_batches(model: Layer, inputs, batch_size: int | None):
    """``model(inputs)`` computed ``batch_size`` samples at a time and concatenated (all at
    once if None); ``inputs`` is an array, or a list of arrays for a several-input model."""
    if batch_size is None:
        return model(inputs)
    batch_size = validation.integer(batch_size, str(model), "batch_size", minimum=1)
    several = isinstance(inputs, list)
    arrays = inputs if several else [inputs]
    total = arrays[0].shape[0] if arrays[0].ndim else 0
    if total <= batch_size:
        return model(inputs)
    parts = [model([a[start:start + batch_size] for a in arrays] if several else inputs[start:start + batch_size])
             for start in range(0, total, batch_size)]
    if isinstance(parts[0], list):  # several outputs
        return [np.concatenate([part[i] for part in parts]) for i in range(len(parts[0]))]
    return np.concatenate(parts)


def serialize(layer: Layer) -> dict:
    """``{"class_name", "config"}`` of a layer, for ``deserialize``."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict) -> Layer:
    """The layer that ``serialize`` described (unbuilt, freshly initialised)."""
    class_name = config.get("class_name")
    if class_name not in _LAYER_CLASSES:
        raise ValueError(f"unknown layer class {class_name!r}; expected one of {sorted(_LAYER_CLASSES)}")
    return _LAYER_CLASSES[class_name].from_config(config.get("config", {}))
