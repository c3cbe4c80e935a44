"""spmm: a sparse weight times a dense matrix, on the registry's "spmm" kernels.

Kernel contract for op "spmm" (every backend implements exactly this)::

    spmm(w, x, out, bias=None, activation="none")

writes ``out = act(W @ x + bias[:, None])`` where ``w`` is a validated sparse matrix
(pykernels.formats: CSRMatrix, BSRMatrix, NMMatrix) of shape (M, K), ``x`` (K, N) is an
aligned float32 array with any strides, ``out`` (M, N) is C-contiguous float32
overlapping neither, ``bias`` is contiguous float32 of length M and ``activation`` is
one of validation.ELEMENTWISE_ACTIVATIONS. N is the dense dimension: batch x pixels.
"""
from __future__ import annotations

import numpy as np

from pykernels import validation
from pykernels.cuda.arrays import is_device_array
from pykernels.registry import resolve


def spmm(w, x: np.ndarray, bias: np.ndarray | None = None, activation: str | None = None, *,
         out: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """``act(W @ x + bias[:, None])`` for a sparse ``w`` (M, K) and dense float32 ``x`` (K, N) or (K,).

    A device ``x`` (CuPy, PyTorch CUDA, Numba) takes a device ``w``
    (pykernels.cuda.weights.to_device) and runs on the GPU backends (pykernels.ops.device)."""
    if is_device_array(x):
        from pykernels.ops import device
        return device.spmm(w, x, bias, activation, out=out, backend=backend)
    w = validation.sparse_matrix(w, "spmm")
    x = validation.float32_array(x, "spmm", "x", min_ndim=1)
    if x.ndim > 2:
        raise ValueError(f"spmm: x must be 1-D or 2-D (K, N), got shape {x.shape}")
    activation = validation.activation_name(activation, "spmm", validation.ELEMENTWISE_ACTIVATIONS)
    m, k = w.shape
    if x.shape[0] != k:
        raise ValueError(f"spmm: x has {x.shape[0]} rows (shape {x.shape}) but w {w.shape} expects {k}")
    if bias is not None:
        bias = validation.contiguous_float32(bias, "spmm", "bias", ndim=1)
        if bias.shape[0] != m:
            raise ValueError(f"spmm: bias has shape {bias.shape}, expected ({m},) to match w {w.shape}")
    kernel = resolve("spmm", backend)
    x2 = x[:, np.newaxis] if x.ndim == 1 else x
    shape = (m,) + x.shape[1:]
    target, user_out = validation.output(out, shape, "spmm", (x,) + ((bias,) if bias is not None else ()))
    kernel(w, x2, target.reshape(m, x2.shape[1]), bias, activation)
    return validation.finish(target, user_out)
