# conv2d in numba.cuda: the "conv2d" contract on NHWC device arrays (float32 or float16 in
# and out, float32 accumulation), as an implicit GEMM like csrc/cuda/conv.
#
# GEMM view (csrc/cuda/gemm/operands.cuh): row = output pixel (image, oy, ox), column =
# output channel of the group, k = (ky, kx, input channel) with channels fastest; the
# A tile is gathered from x through the same im2col address decode (padding taps read
# zero) and the B tile from OIHW weights with their strides. Tile: 16 x 16 threads per
# 16 pixels x 16 channels, K in steps of 16 through shared memory; groups are grid z.
import numpy as np
from numba import cuda, float32

from pykernels.cuda.checks import conv_operands
from pykernels.numba.activations import CODES
from pykernels.numba_cuda import launch
from pykernels.numba_cuda.gemm import _activate

T = 16
DTYPES = ("float32", "float16")


@cuda.jit(device=True, inline=True)
def _im2col(x, row, kk, oh, ow, kw, cg, c0, sh, sw, pt, pl, dh, dw):
    """x's element at (row, kk) of the implicit im2col matrix, 0 in the padding."""
    pixels = oh * ow
    img, pix = row // pixels, row % pixels
    oy, ox = pix // ow, pix % ow
    tap, ch = kk // cg, kk % cg
    iy = oy * sh - pt + (tap // kw) * dh
    ix = ox * sw - pl + (tap % kw) * dw
    if iy < 0 or iy >= x.shape[1] or ix < 0 or ix >= x.shape[2]:
        return float32(0.0)
    return float32(x[img, iy, ix, c0 + ch])


@cuda.jit
def _conv_kernel(x, w, out, bias, sh, sw, pt, pl, dh, dw, code):
    As = cuda.shared.array((T, T), float32)
    Bs = cuda.shared.array((T, T), float32)
    n_img, oh, ow, oc = out.shape
    og, cg, kh, kw = w.shape[0] // (x.shape[3] // w.shape[1]), w.shape[1], w.shape[2], w.shape[3]
    g = cuda.blockIdx.z
    rows, depth = n_img * oh * ow, kh * kw * cg
    ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
    row, col = cuda.blockIdx.y * T + ty, cuda.blockIdx.x * T + tx
    o = g * og + col
    acc = float32(0.0)
    for k0 in range(0, depth, T):
        kk = k0 + tx
        As[ty, tx] = _im2col(x, row, kk, oh, ow, kw, cg, g * cg, sh, sw, pt, pl, dh, dw) \
            if row < rows and kk < depth else float32(0.0)
        kb = k0 + ty
        if col < og and kb < depth:
            tap, ch = kb // cg, kb % cg
            Bs[ty, tx] = float32(w[o, ch, tap // kw, tap % kw])
        else:
            Bs[ty, tx] = float32(0.0)
        cuda.syncthreads()
        for t in range(T):
            acc += As[ty, t] * Bs[t, tx]
        cuda.syncthreads()
    if row < rows and col < og:
        pixels = oh * ow
        img, pix = row // pixels, row % pixels
        v = acc + (float32(bias[o]) if bias.shape[0] else float32(0.0))
        out[img, pix // ow, pix % ow, o] = _activate(v, code)


def conv2d(x, out, w, bias, stride, padding, dilation, groups, activation):
    op = "numba-cuda conv2d"
    (xv, ov, wv, biasv), stream, _ = conv_operands(op, x, out, w, bias, groups, DTYPES)
    n, oh, ow, oc = ov.shape
    if 0 in ov.shape:
        return
    og = oc // groups
    grid = ((og + T - 1) // T, (n * oh * ow + T - 1) // T, groups)
    top, _, left, _ = padding
    _conv_kernel[grid, (T, T), launch.stream(stream)](x, w, out, launch.operand(bias, np.dtype(xv.dtype)), *stride,
                                                      top, left, *dilation, CODES[activation])
