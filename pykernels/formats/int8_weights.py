"""Int8Weights: the int8 weight matrix of a linear map, ready for the int8 GEMM.

Holds W (out_features N, in_features K) as int8 codes with per-channel (one per output
row) or per-tensor scales and zero points, and what every multiplication needs and is
worth computing once:

- ``colsum``: sum_k W[n, k] (int32, wrapping), for the activation zero-point correction;
- ``abs_sum_max``: max_n sum_k |W[n, k] - zero_point[n]|, the bound that decides whether
  an int32 accumulator can overflow (ops raise OverflowError before computing);
- ``safe_a_max``: the largest uint8 activation code for which the AVX2 u8 x s8 kernel's
  pairs of products a0*w0 + a1*w1 (over k = 2t, 2t + 1) never leave int16, so that
  ``vpmaddubsw`` cannot saturate. Quantized layers quantize activations to
  [0, safe_a_max] (>= 127: this is PyTorch/FBGEMM's "reduce_range", relaxed when the
  weights allow); larger codes still give exact results through a slower kernel.
- backend layouts, packed on first use and kept (``packed(backend, make)``).
"""
from __future__ import annotations

import numpy as np

from pykernels import validation
from pykernels.formats.qtensor import QTensor

INT16_MAX = 32767
INT32_MAX = 2**31 - 1


def pair_sums(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``w`` (N, K): the largest sum of the positive parts and of the negative
    parts (as magnitudes) of neighbouring pairs (k = 2t, 2t + 1), the pairs the AVX2
    u8 x s8 kernel adds in int16."""
    n, k = w.shape
    pairs = np.zeros((n, k + k % 2), w.dtype if w.dtype.kind == "f" else np.int32)
    pairs[:, :k] = w
    pos, neg = np.maximum(pairs, 0), np.maximum(-pairs, 0)
    return (pos[:, 0::2] + pos[:, 1::2]).max(axis=1, initial=0), (neg[:, 0::2] + neg[:, 1::2]).max(axis=1, initial=0)


def _safe_a_max(w: np.ndarray) -> int:
    """The largest activation code a with a * (positive part of a pair) <= 32767 and a * (negative part) <= 32768."""
    pos, neg = pair_sums(w)
    pos_max, neg_max = int(pos.max(initial=0)), int(neg.max(initial=0))
    return min(255, INT16_MAX // max(pos_max, 1), (INT16_MAX + 1) // max(neg_max, 1))


class Int8Weights:
    """Prepacked int8 weights W (N, K): per-channel along axis 0, or per tensor."""

    def __init__(self, weight: QTensor):
        if not isinstance(weight, QTensor):
            raise TypeError(f"Int8Weights: expected a QTensor, got {type(weight).__name__}")
        if weight.dtype != np.int8:
            raise TypeError(f"Int8Weights: weights must be int8 codes, got {weight.dtype}")
        if weight.data.ndim != 2:
            raise ValueError(f"Int8Weights: weights must be 2-D (out_features, in_features), got shape {weight.shape}")
        if weight.axis not in (None, 0):
            raise ValueError(f"Int8Weights: per-channel parameters must run along axis 0 (out_features), "
                             f"got axis {weight.axis}")
        self.qweight = weight
        self.data = np.ascontiguousarray(weight.data)
        n, k = self.data.shape
        self.scale = np.ascontiguousarray(np.broadcast_to(weight.scale, (n,)))
        zero_point = np.ascontiguousarray(np.broadcast_to(weight.zero_point, (n,)))
        self.zero_point = zero_point if zero_point.any() else None  # None: symmetric, no correction
        wide = self.data.astype(np.int64)
        self.colsum = wide.sum(axis=1).astype(np.int32)  # wraps like the kernels' int32 arithmetic
        centered = wide - (0 if self.zero_point is None else self.zero_point[:, None])
        self.abs_sum_max = int(np.abs(centered).sum(axis=1).max(initial=0))
        self.safe_a_max = _safe_a_max(self.data)
        self._packed: dict[str, object] = {}

    @classmethod
    def from_int8(cls, w: np.ndarray) -> "Int8Weights":
        """Raw int8 codes W (N, K) with scale 1 and zero point 0 (for integer matmuls)."""
        w = validation.integer_array(w, "Int8Weights", "w", (np.int8,), ndim=2)
        return cls(QTensor(w, 1.0, 0))

    @classmethod
    def from_float(cls, w: np.ndarray, *, per_channel: bool = True) -> "Int8Weights":
        """Symmetric int8 quantization of float weights W (N, K) on their min/max."""
        return cls(QTensor.from_float(w, np.int8, axis=0 if per_channel else None, symmetric=True))

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape

    @property
    def out_features(self) -> int:
        return self.data.shape[0]

    @property
    def in_features(self) -> int:
        return self.data.shape[1]

    def packed(self, backend: str, make):
        """The backend's layout of these weights: ``make(self)`` on first use, then cached."""
        if backend not in self._packed:
            self._packed[backend] = make(self)
        return self._packed[backend]

    def dequantize(self) -> np.ndarray:
        return self.qweight.dequantize()

    def __repr__(self) -> str:
        kind = "per-channel" if self.qweight.per_channel else "per-tensor"
        return f"Int8Weights(shape={self.shape}, {kind}, safe_a_max={self.safe_a_max})"


class Int8ConvWeights:
    """The int8 weights of a conv2d: one Int8Weights per group, each (filters / groups,
    kernel_h * kernel_w * in_channels / groups) with taps in (kh, kw, c) order -- the rows of
    the implicit im2col matrix that the int8 conv multiplies them with."""

    def __init__(self, groups: tuple, kernel_size: tuple[int, int], in_channels: int):
        if not groups or not all(isinstance(g, Int8Weights) for g in groups):
            raise TypeError("Int8ConvWeights: expected a non-empty sequence of Int8Weights, one per group")
        kh, kw = kernel_size
        cg = in_channels // len(groups)
        if in_channels % len(groups) or any(g.in_features != kh * kw * cg for g in groups):
            raise ValueError(f"Int8ConvWeights: each group needs {kh}x{kw}x{cg} = {kh * kw * cg} taps, got "
                             f"{[g.in_features for g in groups]}")
        if len({g.out_features for g in groups}) != 1:
            raise ValueError("Int8ConvWeights: every group must have the same number of filters")
        self.groups = tuple(groups)
        self.kernel_size = (kh, kw)
        self.in_channels = in_channels
        self.filters = groups[0].out_features * len(groups)
        self.safe_a_max = min(g.safe_a_max for g in groups)

    @classmethod
    def from_float(cls, kernel: np.ndarray, groups: int = 1, *, per_channel: bool = True) -> "Int8ConvWeights":
        """Symmetric int8 quantization of a Keras Conv2D kernel (kh, kw, in / groups, filters),
        per filter by default (per tensor: one scale for the whole kernel)."""
        kernel = validation.float32_array(kernel, "Int8ConvWeights", "kernel", ndim=4)
        kh, kw, cg, filters = kernel.shape
        if filters % groups:
            raise ValueError(f"Int8ConvWeights: filters {filters} must be divisible by groups {groups}")
        w = np.ascontiguousarray(kernel.reshape(kh * kw * cg, filters).T)  # (filters, taps)
        q = QTensor.from_float(w, np.int8, axis=0 if per_channel else None, symmetric=True)
        og = filters // groups
        scale = np.broadcast_to(q.scale, (filters,))
        parts = tuple(Int8Weights(QTensor(q.data[g * og:(g + 1) * og], scale[g * og:(g + 1) * og] if per_channel
                                          else q.scale, 0, 0 if per_channel else None)) for g in range(groups))
        return cls(parts, (kh, kw), cg * groups)

    @property
    def scale(self) -> np.ndarray:
        return np.concatenate([g.scale for g in self.groups])

    def dequantize(self) -> np.ndarray:
        """The float kernel these weights stand for, in Keras' (kh, kw, in / groups, filters) layout."""
        kh, kw = self.kernel_size
        w = np.concatenate([g.dequantize() for g in self.groups])  # (filters, taps)
        return np.ascontiguousarray(w.T.reshape(kh, kw, self.in_channels // len(self.groups), self.filters))

    def __repr__(self) -> str:
        return (f"Int8ConvWeights(kernel_size={self.kernel_size}, in_channels={self.in_channels}, "
                f"filters={self.filters}, groups={len(self.groups)}, safe_a_max={self.safe_a_max})")
