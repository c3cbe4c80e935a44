"""The reference as a registry backend: float64 results written into float32 outputs."""
import numpy as np

from pykernels.reference import activations, attention as _attention, conv as _conv, embedding as _embedding
from pykernels.reference import gemm as _gemm, lstm as _lstm, spmm as _spmm


def gemm(a, b, out, bias=None, bias_axis=None, activation="none", accumulate=False):
    out[...] = _gemm.gemm(a, b, bias, bias_axis, activation, out if accumulate else None)


def activation(x, name):
    x[...] = activations.activate(x, name)


def softmax(x, out):
    out[...] = activations.softmax(x)


def lstm_layer(x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, reverse, y, h_n, c_n):
    y[...], h_n[...], c_n[...] = _lstm.lstm_layer(x, w_ih, w_hh, bias, np.zeros_like(bias), w_hr, h0, c0, lengths, reverse)


def embedding(ids, table, out):
    out[...] = _embedding.embedding(ids, table)


def sdpa(q, k, v, out, mask, is_causal, scale):
    out[...] = _attention.sdpa(q, k, v, mask, is_causal, scale)


def layer_norm(x, out, gamma, beta, eps):
    out[...] = _attention.layer_norm(x, gamma, beta, eps)


def conv2d(x, out, w, bias, stride, padding, dilation, groups, activation):
    out[...] = _conv.conv2d(x, w, bias, stride, padding, dilation, groups, activation)


def max_pool2d(x, out, kernel, stride, padding, ceil_mode):
    out[...] = _conv.max_pool2d(x, kernel, stride, padding, ceil_mode)


def avg_pool2d(x, out, kernel, stride, padding, ceil_mode, count_include_pad):
    out[...] = _conv.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad)


def global_avg_pool2d(x, out):
    out[...] = _conv.global_avg_pool2d(x)


def spmm(w, x, out, bias=None, activation="none"):
    out[...] = _spmm.spmm(w, x, bias, activation)


def conv2d_sparse(x, out, w, kernel, bias, stride, padding, dilation, activation):
    out[...] = _conv.conv2d_sparse(x, w, kernel, bias, stride, padding, dilation, activation)
