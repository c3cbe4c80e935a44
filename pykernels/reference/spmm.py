"""Reference SpMM: act(W @ X + bias) with the sparse weight expanded to dense."""
import numpy as np

from pykernels.reference.activations import activate


def spmm(w, x, bias=None, activation=None, dtype=np.float64):
    """act(W @ x + bias[:, None]) for a sparse format ``w`` (M x K) and dense ``x`` (K x N)."""
    y = np.asarray(w.to_dense(), dtype) @ np.asarray(x, dtype)
    if bias is not None:
        y = y + np.asarray(bias, dtype)[:, None]
    return activate(y, activation, dtype)
