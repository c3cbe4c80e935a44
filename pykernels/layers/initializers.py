"""Weight initializers with Keras' names and semantics: how layers create their parameters.

An initializer is called with a shape and returns a float32 array of that shape.
``get`` accepts a name ("glorot_uniform"), an instance, a ``{"class_name", "config"}``
dict (what ``serialize`` returns) or any callable ``shape -> array``.
"""
from __future__ import annotations

import math
import re

import numpy as np


class Initializer:
    """Base class: ``__call__(shape)`` returns a float32 array; ``get_config`` its arguments."""

    def __call__(self, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}


class Zeros(Initializer):
    def __call__(self, shape):
        return np.zeros(shape, np.float32)


class Ones(Initializer):
    def __call__(self, shape):
        return np.ones(shape, np.float32)


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) as Keras computes them: kernels are (..., in, out)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class _ScaledUniform(Initializer):
    """Uniform on [-limit, limit], limit = sqrt(6 / fan), fan chosen by the subclass."""

    def __init__(self, seed: int | None = None):
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def _fan(self, fan_in: int, fan_out: int) -> float:
        raise NotImplementedError

    def __call__(self, shape):
        limit = math.sqrt(6.0 / max(1.0, self._fan(*_fans(shape))))
        return self._rng.uniform(-limit, limit, shape).astype(np.float32)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_ScaledUniform):
    """Glorot (Xavier) uniform: limit = sqrt(6 / (fan_in + fan_out))."""

    def _fan(self, fan_in, fan_out):
        return fan_in + fan_out


class HeUniform(_ScaledUniform):
    """He uniform: limit = sqrt(6 / fan_in)."""

    def _fan(self, fan_in, fan_out):
        return fan_in


class RandomUniform(Initializer):
    """Uniform on [minval, maxval] (Keras' "uniform": [-0.05, 0.05], e.g. for embeddings)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval, self.maxval, self.seed = minval, maxval, seed
        self._rng = np.random.default_rng(seed)

    def __call__(self, shape):
        return self._rng.uniform(self.minval, self.maxval, shape).astype(np.float32)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR of a Gaussian matrix (Keras'
    default for recurrent kernels); shapes of rank > 2 are flattened to (prod(rest), last)."""

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain, self.seed = gain, seed
        self._rng = np.random.default_rng(seed)

    def __call__(self, shape):
        rows, cols = (math.prod(shape[:-1]), shape[-1]) if len(shape) >= 2 else (1, math.prod(shape))
        a = self._rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # a uniform distribution over orthogonal matrices
        q = q if rows >= cols else q.T
        return (self.gain * q).reshape(shape).astype(np.float32)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


_CLASSES = {cls.__name__: cls for cls in (Zeros, Ones, GlorotUniform, HeUniform, RandomUniform, Orthogonal)}
_NAMES = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(): cls for name, cls in _CLASSES.items()}


def get(identifier, what: str = "initializer"):
    """The initializer that ``identifier`` names (see the module docstring); ``what`` prefixes errors."""
    if isinstance(identifier, str):
        if identifier not in _NAMES:
            raise ValueError(f"{what}: unknown initializer {identifier!r}; expected one of {sorted(_NAMES)}")
        return _NAMES[identifier]()
    if isinstance(identifier, dict):
        class_name = identifier.get("class_name")
        if class_name not in _CLASSES:
            raise ValueError(f"{what}: unknown initializer class {class_name!r}; expected one of {sorted(_CLASSES)}")
        return _CLASSES[class_name](**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"{what}: expected an initializer name, dict or callable, got {type(identifier).__name__}")


def serialize(initializer) -> dict | object:
    """``{"class_name", "config"}`` for the built-in initializers; other callables as they are."""
    if isinstance(initializer, Initializer) and type(initializer).__name__ in _CLASSES:
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    return initializer
