"""The int8 reference as a registry backend: the kernel contracts of pykernels.ops.int8."""
import numpy as np

from pykernels.formats.qtensor import dynamic_qparams, dynamic_row_qparams
from pykernels.reference import conv, int8


def _params(p, per, shape):
    """Per-tensor / per-row / per-column parameters shaped to broadcast over a 2-D array."""
    return p.reshape(()) if per == "tensor" else (p[:, None] if per == "row" else p[None, :])


def quantize(x, scale, zero_point, per, lo, hi, q):
    q[...] = int8.quantize(x, _params(scale, per, x.shape), _params(zero_point, per, x.shape), lo, hi, q.dtype)


def dequantize(q, scale, zero_point, per, y):
    y[...] = int8.dequantize(q, _params(scale, per, q.shape), _params(zero_point, per, q.shape))


def requantize(x, multiplier, zero_point, per, lo, hi, q):
    q[...] = int8.requantize(x, _params(multiplier, per, x.shape), _params(zero_point, per, x.shape), lo, hi, q.dtype)


def gemm_int8(a, a_zero_point, a_scale, a_qmax, weights, out, bias=None, multiplier=None, bias_s32=None,
              out_zero_point=0, activation="none", a_per_row=False):
    if a_per_row:  # one (scale, zero point) per row, as columns that broadcast over A and S
        a_scale, a_zero_point = (p[:, None] for p in dynamic_row_qparams(a, a_qmax, "gemm_int8"))
    elif a_scale is None:
        a_scale, a_zero_point = dynamic_qparams(a, a_qmax, "gemm_int8")
    codes, za = int8.activation_codes(a, a_zero_point, a_scale, a_qmax)
    s = int8.gemm_s64(codes, za, weights.data, weights.zero_point)
    scale = np.asarray(a_scale, np.float32) * weights.scale  # (N,), or (M, N) per row
    out[...] = int8.gemm_int8(s, out.dtype, scale, bias, multiplier, bias_s32, out_zero_point, activation)


def conv2d_int8(x, x_zero_point, x_scale, weights, out, kernel, stride, padding, dilation, groups, group,
                bias=None, multiplier=None, bias_s32=None, out_zero_point=0, activation="none"):
    cg = x.shape[3] // groups
    og = weights.out_features
    codes = x[..., group * cg:(group + 1) * cg].astype(np.int64) - x_zero_point  # padding 0 = the zero point
    w = weights.data.astype(np.int64)
    if weights.zero_point is not None:
        w = w - weights.zero_point.astype(np.int64)[:, None]
    oihw = w.reshape(og, kernel[0], kernel[1], cg).transpose(0, 3, 1, 2)
    s = conv.conv2d(codes, oihw, None, stride, padding, dilation, dtype=np.int64)
    scale = np.float32(x_scale) * weights.scale
    out[..., group * og:(group + 1) * og] = int8.gemm_int8(s, out.dtype, scale, bias, multiplier, bias_s32,
                                                          out_zero_point, activation)
