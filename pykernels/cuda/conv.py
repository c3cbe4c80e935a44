"""conv2d on the CUDA implicit-GEMM kernels (csrc/cuda/conv): the registry's "conv2d" contract on device arrays.

``conv2d(x, out, w, bias, stride, padding, dilation, groups, activation)``: x (N, H, W, C)
C-contiguous NHWC, out (N, OH, OW, O) C-contiguous, w OIHW with any strides (weights
stored OHWI, i.e. ``w.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)`` in PyTorch,
load in whole 16-byte chunks), bias (O,) or None; one dtype: float32 (exact FP32),
float16 or bfloat16 (tensor cores, float32 accumulation). padding is (top, bottom,
left, right) as pykernels.geometry gives it.
"""
from __future__ import annotations

from pykernels import _C_cuda
from pykernels.cpu.codes import ACTIVATION
from pykernels.cuda import arrays, checks

DTYPES = ("float32", "float16", "bfloat16")


def conv2d(x, out, w, bias, stride, padding, dilation, groups, activation):
    op = "cuda conv2d"
    (xv, ov, wv, biasv), stream, device = checks.conv_operands(op, x, out, w, bias, groups, DTYPES)
    if 0 in ov.shape:
        return
    arrays.order_after_producers(_C_cuda, [v for v in (xv, ov, wv, biasv) if v], stream)
    top, _, left, _ = padding
    _C_cuda.conv2d(device, stream, arrays.CODES[xv.dtype], xv.shape, ov.shape[1:], wv.shape[2:], tuple(stride),
                   (top, left), tuple(dilation), groups, xv.ptr, wv.ptr, wv.strides, ov.ptr,
                   biasv.ptr if biasv else 0, ACTIVATION[activation])
