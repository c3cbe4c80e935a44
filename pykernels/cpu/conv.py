"""Convolution and pooling on the C++ kernels (csrc/cpu/conv): NHWC, weights read in place."""
from pykernels import _C
from pykernels.cpu.codes import ACTIVATION


def conv2d(x, out, w, bias, stride, padding, dilation, groups, activation):
    _C.conv2d_f32_nhwc(x, w, out, bias, stride, padding, dilation, groups, ACTIVATION[activation])


def max_pool2d(x, out, kernel, stride, padding, ceil_mode):
    _C.max_pool2d_f32_nhwc(x, out, kernel, stride, padding)  # out's shape carries ceil_mode


def avg_pool2d(x, out, kernel, stride, padding, ceil_mode, count_include_pad):
    _C.avg_pool2d_f32_nhwc(x, out, kernel, stride, padding, count_include_pad)


def global_avg_pool2d(x, out):
    _C.global_avg_pool2d_f32_nhwc(x, out)
