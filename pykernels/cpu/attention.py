"""Attention kernels on the C++ code (csrc/cpu/attention): fused flash sdpa, layer norm."""
from pykernels import _C


def sdpa(q, k, v, out, mask, is_causal, scale):
    _C.sdpa_f32(q, k, v, out, mask, is_causal, scale)


def layer_norm(x, out, gamma, beta, eps):
    _C.layer_norm_f32(x, out, gamma, beta, eps)
