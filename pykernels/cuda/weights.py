"""Weights on the device for the GPU backends, copied once from their host formats by
the library of a device array ``like`` (PyTorch, CuPy, Numba), on its device:

- ``DeviceSparse`` / ``to_device(w, like)``: a CSR or BSR matrix (pykernels.formats) for
  ops.spmm on device arrays;
- ``DeviceInt8Weights.from_weights(weights, like)``: symmetric Int8Weights for
  ops.linear_int8 on int8 device codes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pykernels.cuda import arrays


@dataclass(frozen=True)
class DeviceSparse:
    """A CSR or BSR matrix whose index and value arrays are device arrays (int32, float32)."""
    format: str  # "csr" or "bsr"
    shape: tuple[int, int]
    blocksize: tuple[int, int]  # (1, 1) for CSR
    indptr: Any
    indices: Any
    data: Any  # CSR: (nnz,), BSR: (blocks, r, c)
    nnz: int

    @property
    def density(self) -> float:
        return self.nnz / max(1, self.shape[0] * self.shape[1])


def to_device(w, like) -> DeviceSparse:
    """Copy a validated host CSRMatrix or BSRMatrix to the device of device array ``like``."""
    from pykernels import validation
    w = validation.sparse_matrix(w, "to_device")
    if w.format not in ("csr", "bsr"):
        raise ValueError(f"to_device: the GPU kernels take CSR or BSR matrices, got {w.format!r} "
                         "(convert N:M with BSRMatrix.from_dense(w.to_dense(), (1, 1)) or CSRMatrix)")
    blocksize = w.blocksize if w.format == "bsr" else (1, 1)
    w_format = "csr" if blocksize == (1, 1) else "bsr"  # 1x1 blocks are CSR
    copy = [arrays.from_host(like, np.asarray(a, dtype)) for a, dtype in
            ((w.indptr, np.int32), (w.indices, np.int32), (w.data, np.float32))]
    return DeviceSparse(w_format, tuple(w.shape), blocksize, *copy, int(np.asarray(w.data).size))


@dataclass(frozen=True)
class DeviceInt8Weights:
    """Symmetric int8 weights on the device for ``ops.linear_int8``: w (N, K) int8 codes and
    per-output-channel float32 scales (N,), both device arrays."""
    w: Any
    scale: Any
    abs_sum_max: int  # max_n sum_k |w[n, k]|: bounds the int32 accumulator

    @classmethod
    def from_weights(cls, weights, like) -> "DeviceInt8Weights":
        """Copy host Int8Weights (symmetric: zero points 0) to the device of device array ``like``."""
        if weights.zero_point is not None:
            raise ValueError("DeviceInt8Weights: the GPU int8 GEMM takes symmetric weights (zero points 0); "
                             "quantize the weights with zero_point=0")
        return cls(arrays.from_host(like, weights.data), arrays.from_host(like, weights.scale.astype(np.float32)),
                   weights.abs_sum_max)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(arrays.view(self.w, "DeviceInt8Weights", "w").shape)
