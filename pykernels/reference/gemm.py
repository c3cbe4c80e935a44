"""Reference GEMM, matmul and linear."""
import numpy as np

from pykernels.reference.activations import activate


def gemm(a, b, bias=None, bias_axis=None, activation=None, c=None, dtype=np.float64):
    """act(a @ b [+ c] [+ bias]); bias runs along columns (bias_axis=1) or rows (0)."""
    y = np.asarray(a, dtype) @ np.asarray(b, dtype)
    if c is not None:
        y = y + np.asarray(c, dtype)
    if bias is not None:
        bias = np.asarray(bias, dtype)
        y = y + (bias[:, None] if bias_axis == 0 else bias[None, :])
    return activate(y, activation, dtype)


def matmul(a, b, dtype=np.float64):
    return np.matmul(np.asarray(a, dtype), np.asarray(b, dtype))


def linear(x, w, bias=None, activation=None, dtype=np.float64):
    """act(x @ w.T + bias), w of shape (out_features, in_features)."""
    y = np.asarray(x, dtype) @ np.asarray(w, dtype).T
    if bias is not None:
        y = y + np.asarray(bias, dtype)
    return activate(y, activation, dtype)
