"""Reference activations and softmax, written for clarity."""
import math

import numpy as np

_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def relu(x, dtype=np.float64):
    x = np.asarray(x, dtype)
    return np.where(np.isnan(x), x, np.maximum(x, 0))


def sigmoid(x, dtype=np.float64):
    x = np.asarray(x, dtype)
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def tanh(x, dtype=np.float64):
    return np.tanh(np.asarray(x, dtype))


def gelu(x, dtype=np.float64):
    """x * Phi(x), Phi the standard normal CDF, as 0.5 * erfc(-x / sqrt(2)).

    Not 0.5 * (1 + erf(x / sqrt(2))): for x < -6 that sum cancels to nothing (it is 0
    below -8.3, where gelu is still 1e-15 .. 1e-45), while erfc keeps full precision.
    """
    x = np.asarray(x, dtype)
    with np.errstate(invalid="ignore"):  # gelu(-inf) = -inf * 0 = NaN, as in PyTorch
        return (x * 0.5 * _erfc(-x / math.sqrt(2))).astype(dtype)


def softmax(x, axis=-1, dtype=np.float64):
    x = np.asarray(x, dtype)
    with np.errstate(invalid="ignore"):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))  # initial: empty rows too
        return e / np.sum(e, axis=axis, keepdims=True)


def activate(x, name, dtype=np.float64):
    """Apply the activation called ``name`` (None/"none"/"linear" for identity)."""
    if name in (None, "none", "linear"):
        return np.asarray(x, dtype)
    return ACTIVATIONS[name](x, dtype=dtype)


ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "gelu": gelu, "softmax": softmax}
