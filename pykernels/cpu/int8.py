"""Quantization and the int8 GEMM on the C++ kernels (csrc/cpu/int8)."""
import numpy as np

from pykernels import _C
from pykernels.cpu.codes import ACTIVATION, PER


def quantize(x, scale, zero_point, per, lo, hi, q):
    _C.quantize_f32(x, scale, zero_point, PER[per], lo, hi, q)


def dequantize(q, scale, zero_point, per, y):
    _C.dequantize_f32(q, scale, zero_point, PER[per], y)


def requantize(x, multiplier, zero_point, per, lo, hi, q):
    _C.requantize_s32(x, multiplier, zero_point, PER[per], lo, hi, q)


_F32 = np.dtype(np.float32)


def _pack(weights):
    return _C.int8_pack_b(weights.data)


def gemm_int8(a, a_zero_point, a_scale, a_qmax, weights, out, bias=None, multiplier=None, bias_s32=None,
              out_zero_point=0, activation="none", a_per_row=False):
    _C.gemm_int8(a, a_zero_point, a_scale, a_qmax, weights.packed("cpu", _pack), weights.colsum,
                 weights.zero_point, weights.safe_a_max, out, weights.scale if out.dtype == _F32 else None,
                 bias, multiplier, bias_s32, out_zero_point, ACTIVATION[activation], a_per_row)


def conv2d_int8(x, x_zero_point, x_scale, weights, out, kernel, stride, padding, dilation, groups, group,
                bias=None, multiplier=None, bias_s32=None, out_zero_point=0, activation="none"):
    _C.conv2d_int8_nhwc(x, x_zero_point, x_scale, kernel, stride, padding, dilation, groups, group,
                        weights.packed("cpu", _pack), weights.colsum, weights.zero_point, weights.safe_a_max, out,
                        weights.scale if out.dtype == _F32 else None, bias, multiplier, bias_s32, out_zero_point,
                        ACTIVATION[activation])
