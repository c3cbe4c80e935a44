"""Elementwise activations and softmax on the registry's kernels.

Kernel contracts::

    activation(x, name)   # in place on a C-contiguous float32 array, name in ELEMENTWISE_ACTIVATIONS
    softmax(x, out)       # out = softmax over the last axis; C-contiguous float32, out may be x
"""
from __future__ import annotations

import numpy as np

from pykernels import validation
from pykernels.registry import resolve


def activation(x: np.ndarray, name: str | None, *, out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``name(x)`` elementwise for name in relu, sigmoid, tanh, gelu (exact erf form), softmax, None."""
    name = validation.activation_name(name, "activation")
    if name == "softmax":
        return softmax(x, out=out, backend=backend)
    x = validation.float32_array(x, name, "x")
    target, user_out = validation.output(out, x.shape, name, (x,))
    np.copyto(target, x)
    if name != "none":
        resolve("activation", backend)(target, name)
    return validation.finish(target, user_out)


def relu(x: np.ndarray, **kw) -> np.ndarray:
    """max(x, 0); NaN stays NaN."""
    return activation(x, "relu", **kw)


def sigmoid(x: np.ndarray, **kw) -> np.ndarray:
    """1 / (1 + exp(-x))."""
    return activation(x, "sigmoid", **kw)


def tanh(x: np.ndarray, **kw) -> np.ndarray:
    """Hyperbolic tangent."""
    return activation(x, "tanh", **kw)


def gelu(x: np.ndarray, **kw) -> np.ndarray:
    """x * Phi(x) with the exact normal CDF (PyTorch's and Keras' default GELU)."""
    return activation(x, "gelu", **kw)


def softmax(x: np.ndarray, axis: int = -1, *, out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along ``axis``."""
    x = validation.float32_array(x, "softmax", "x", min_ndim=1)
    axis = validation.axis_index(axis, x.ndim, "softmax")
    kernel = resolve("softmax", backend)
    target, user_out = validation.output(out, x.shape, "softmax", (x,))
    if axis == x.ndim - 1:
        kernel(np.ascontiguousarray(x), target)
    else:
        # A copy, always: the kernel writes into it, and a moved view of x may already be
        # C-contiguous (shape (n, 1), axis 0), which ascontiguousarray would not copy.
        moved = np.array(np.moveaxis(x, axis, -1), order="C")
        kernel(moved, moved)
        np.copyto(target, np.moveaxis(moved, -1, axis))
    return validation.finish(target, user_out)
