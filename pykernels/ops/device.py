"""matmul and linear on device arrays (CuPy, PyTorch CUDA, Numba): the GPU side of the ops.

pykernels.ops.gemm sends device operands here. Validation reads shapes and dtypes
through pykernels.cuda.arrays (nothing is copied to the host), the kernel comes from
the registry's backends for device arrays (``device="cuda"``), and results are
allocated by the library that made the first operand, on its device.
"""
from __future__ import annotations

from pykernels import validation
from pykernels.cuda import arrays
from pykernels.registry import resolve

DEVICE = "cuda"


def matmul(a, b, *, out=None, backend: str = "auto"):
    """2-D ``a @ b`` on device arrays of one float dtype."""
    av, bv = (arrays.view(x, "matmul", name, ndim=2) for x, name in ((a, "a"), (b, "b")))
    if av.shape[1] != bv.shape[0]:
        raise ValueError(f"matmul: inner dimensions differ: a has shape {av.shape}, b has shape {bv.shape}")
    gemm = resolve("gemm", backend, DEVICE)
    shape = (av.shape[0], bv.shape[1])
    validation.check_nbytes(shape, "matmul", itemsize=av.itemsize)
    target = arrays.empty_like(a, shape, av.dtype) if out is None else out
    gemm(a, b, target)
    return target


def linear(x, w, bias=None, activation=None, *, out=None, backend: str = "auto"):
    """``act(x @ w.T + bias)`` on device arrays; x of shape (..., in_features), C-contiguous
    when it has more than two dimensions; softmax is not fused on the GPU."""
    activation = validation.activation_name(activation, "linear", validation.ELEMENTWISE_ACTIVATIONS)
    xv = arrays.view(x, "linear", "x")
    wv = arrays.view(w, "linear", "w", ndim=2)
    if xv.ndim < 1 or xv.shape[-1] != wv.shape[1]:
        raise ValueError(f"linear: x has shape {xv.shape} but w {wv.shape} expects {wv.shape[1]} features")
    if xv.ndim > 2 and not xv.c_contiguous:
        raise ValueError("linear: x with more than two dimensions must be C-contiguous on the GPU")
    gemm = resolve("gemm", backend, DEVICE)
    shape = xv.shape[:-1] + (wv.shape[0],)
    validation.check_nbytes(shape, "linear", itemsize=xv.itemsize)
    target = arrays.empty_like(x, shape, xv.dtype) if out is None else out
    rows = x.reshape(-1, xv.shape[-1]) if xv.ndim != 2 else x
    gemm(rows, w.T, target.reshape(-1, wv.shape[0]), bias, 1, activation)
    return target
