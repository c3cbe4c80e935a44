"""GEMM on the C++ kernel (csrc/cpu/gemm): packing handles any strides, no copies."""
from pykernels import _C
from pykernels.cpu.codes import ACTIVATION, BIAS_MODE


def gemm(a, b, out, bias=None, bias_axis=None, activation="none", accumulate=False):
    _C.sgemm(a, b, out, bias, BIAS_MODE[bias_axis if bias is not None else None], ACTIVATION[activation], accumulate)
