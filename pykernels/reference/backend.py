"""The reference as a registry backend: float64 results written into float32 outputs."""
from pykernels.reference import activations, conv as _conv, gemm as _gemm


def gemm(a, b, out, bias=None, bias_axis=None, activation="none", accumulate=False):
    out[...] = _gemm.gemm(a, b, bias, bias_axis, activation, out if accumulate else None)


def activation(x, name):
    x[...] = activations.activate(x, name)


def softmax(x, out):
    out[...] = activations.softmax(x)


def conv2d(x, out, w, bias, stride, padding, dilation, groups, activation):
    out[...] = _conv.conv2d(x, w, bias, stride, padding, dilation, groups, activation)


def max_pool2d(x, out, kernel, stride, padding, ceil_mode):
    out[...] = _conv.max_pool2d(x, kernel, stride, padding, ceil_mode)


def avg_pool2d(x, out, kernel, stride, padding, ceil_mode, count_include_pad):
    out[...] = _conv.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad)


def global_avg_pool2d(x, out):
    out[...] = _conv.global_avg_pool2d(x)
