"""The reference as a registry backend: float64 results written into float32 outputs."""
from pykernels.reference import activations, attention as _attention, gemm as _gemm


def gemm(a, b, out, bias=None, bias_axis=None, activation="none", accumulate=False):
    out[...] = _gemm.gemm(a, b, bias, bias_axis, activation, out if accumulate else None)


def activation(x, name):
    x[...] = activations.activate(x, name)


def softmax(x, out):
    out[...] = activations.softmax(x)


def sdpa(q, k, v, out, mask, is_causal, scale):
    out[...] = _attention.sdpa(q, k, v, mask, is_causal, scale)


def layer_norm(x, out, gamma, beta, eps):
    out[...] = _attention.layer_norm(x, gamma, beta, eps)
