"""Your own @numba.njit code calling pykernels' native kernels through the C ABI (pykernels.cffi).

    python examples/numba_calls_pykernels.py

A two-layer MLP forward pass written as one nopython function: two pk_sgemm calls (bias
and ReLU fused into the GEMM) and a pk_softmax_f32, with the status of every call
checked inside the compiled code. The result is compared with pykernels.reference, and
a bad call shows the error path (status code + pk_last_error()).
"""
import time

import numba
import numpy as np

from pykernels.cffi import PK_ACT_NONE, PK_ACT_RELU, PK_BIAS_COL, PK_OK, ffi, last_error, pk_sgemm, pk_softmax_f32
from pykernels.reference.gemm import linear
from pykernels.testing import error_bound


@numba.njit
def linear_into(x, w, bias, out, activation):
    """out = act(x @ w.T + bias); w (n, k) in PyTorch layout, read transposed via strides."""
    m, k = x.shape
    n = w.shape[0]
    return pk_sgemm(m, n, k, ffi.from_buffer(x), k, 1, ffi.from_buffer(w), 1, k,
                    ffi.from_buffer(out), n, ffi.from_buffer(bias), PK_BIAS_COL, activation, 0)


@numba.njit
def mlp_forward(x, w1, b1, w2, b2):
    """softmax(relu(x @ w1.T + b1) @ w2.T + b2), entirely in nopython mode; (probs, status)."""
    hidden = np.empty((x.shape[0], w1.shape[0]), np.float32)
    probs = np.empty((x.shape[0], w2.shape[0]), np.float32)
    status = linear_into(x, w1, b1, hidden, PK_ACT_RELU)
    if status == PK_OK:
        status = linear_into(hidden, w2, b2, probs, PK_ACT_NONE)
    if status == PK_OK:
        status = pk_softmax_f32(ffi.from_buffer(probs), ffi.from_buffer(probs), probs.shape[0], probs.shape[1])
    return probs, status


def main():
    rng = np.random.default_rng(0)
    batch, features, hidden, classes = 128, 784, 256, 10
    x = rng.standard_normal((batch, features)).astype(np.float32)
    w1 = (rng.standard_normal((hidden, features)) / np.sqrt(features)).astype(np.float32)
    b1 = rng.standard_normal(hidden).astype(np.float32) * 0.1
    w2 = (rng.standard_normal((classes, hidden)) / np.sqrt(hidden)).astype(np.float32)
    b2 = rng.standard_normal(classes).astype(np.float32) * 0.1

    start = time.perf_counter()
    probs, status = mlp_forward(x, w1, b1, w2, b2)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    probs, status = mlp_forward(x, w1, b1, w2, b2)
    run_s = time.perf_counter() - start
    print(f"mlp_forward (@numba.njit, nopython) status {status}: {batch}x{features} -> {probs.shape}, "
          f"first call (compiles) {compile_s:.2f} s, second call {run_s * 1e3:.2f} ms")

    ref64, ref32 = (linear(linear(x, w1, b1, "relu", dtype=d), w2, b2, "softmax", dtype=d)
                    for d in (np.float64, np.float32))
    err = float(np.abs(probs - ref64).max())
    print(f"max error vs float64 reference {err:.2e} (float32 NumPy {np.abs(ref32 - ref64).max():.2e}, "
          f"bound {error_bound(ref64, ref32):.2e}); predicted classes {probs.argmax(axis=1)[:8].tolist()} ...")

    status = linear_into(x, w1, b1, np.empty((batch, hidden), np.float32), 7)
    print(f"bad call (activation code 7): status {status}, pk_last_error() = {last_error()!r}")


if __name__ == "__main__":
    main()
