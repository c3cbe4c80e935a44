# int8 GEMM in numba.cuda: the device "gemm_int8" contract (pykernels.ops.device):
# out int32 = a @ b exactly (+ out when accumulating), or float32
# act(S * row_scale[i] * col_scale[j] + bias[j]). a (M, K), b (K, N) int8, any strides.
#
# Tile: 16 x 16 threads per 16 x 16 tile of out, K in steps of 16 through shared memory
# as int32 (one element per thread per operand), int32 accumulation: exact, no
# saturation (int8 x int8 products and their sums over K < 2^17 fit int32).
import numpy as np
from numba import cuda, int32

from pykernels.cuda import arrays
from pykernels.numba.activations import CODES
from pykernels.numba_cuda import launch
from pykernels.numba_cuda.gemm import _activate

T = 16


@cuda.jit
def _gemm_int8_kernel(a, b, out, row_scale, col_scale, bias, code, accumulate, dequant):
    As = cuda.shared.array((T, T), int32)
    Bs = cuda.shared.array((T, T), int32)
    m, k = a.shape
    n = b.shape[1]
    ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
    i, j = cuda.blockIdx.y * T + ty, cuda.blockIdx.x * T + tx
    acc = int32(0)
    for k0 in range(0, k, T):
        As[ty, tx] = int32(a[i, k0 + tx]) if i < m and k0 + tx < k else int32(0)
        Bs[ty, tx] = int32(b[k0 + ty, j]) if j < n and k0 + ty < k else int32(0)
        cuda.syncthreads()
        for kk in range(T):
            acc += As[ty, kk] * Bs[kk, tx]
        cuda.syncthreads()
    if i >= m or j >= n:
        return
    if not dequant:
        out[i, j] = out[i, j] + acc if accumulate else acc
        return
    v = np.float32(acc)
    if row_scale.shape[0]:
        v *= row_scale[i]
    if col_scale.shape[0]:
        v *= col_scale[j]
    if accumulate:
        v += out[i, j]
    if bias.shape[0]:
        v += bias[j]
    out[i, j] = _activate(v, code)


def gemm_int8(a, b, out, row_scale=None, col_scale=None, bias=None, activation="none", accumulate=False):
    op = "numba-cuda gemm_int8"
    (av, bv, ov, rv, cv, biasv), stream, _ = arrays.operands(op, [
        (a, "a", ("int8",), 2), (b, "b", ("int8",), 2), (out, "out", ("int32", "float32"), 2),
        (row_scale, "row_scale", ("float32",), 1), (col_scale, "col_scale", ("float32",), 1),
        (bias, "bias", ("float32",), 1)])
    (m, k), n = av.shape, bv.shape[1]
    if bv.shape[0] != k or ov.shape != (m, n):
        raise ValueError(f"{op}: shapes do not chain: a {av.shape}, b {bv.shape}, out {ov.shape}")
    dequant = ov.dtype == "float32"
    if not dequant and (rv or cv or biasv or activation != "none"):
        raise ValueError(f"{op}: an int32 out takes the exact product: no scales, bias or activation")
    for name, v, length in (("row_scale", rv, m), ("col_scale", cv, n), ("bias", biasv, n)):
        if v is not None and v.shape != (length,):
            raise ValueError(f"{op}: {name} has shape {v.shape}, expected ({length},)")
    if k >= 2 ** 17:
        raise OverflowError(f"{op}: K = {k} could overflow the int32 accumulator (at most {2 ** 17 - 1})")
    if m == 0 or n == 0:
        return
    grid = ((n + T - 1) // T, (m + T - 1) // T)
    _gemm_int8_kernel[grid, (T, T), launch.stream(stream)](
        a, b, out, launch.operand(row_scale), launch.operand(col_scale), launch.operand(bias), CODES[activation],
        bool(accumulate), dequant)
