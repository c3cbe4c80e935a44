"""Numerics checks used by the tests (and available to users, like torch.testing).

The policy (DESIGN.md): a float kernel is compared with the float64 reference, and its
error may be at most a small multiple of the error that float32 NumPy makes computing
the same thing, plus the rounding of the output itself. NaN never passes where the
reference is not NaN. Outputs are pre-filled with SENTINEL so an unwritten element
shows up as NaN.
"""
from __future__ import annotations

import numpy as np

SENTINEL = np.float32(np.nan)
EPS32 = float(np.finfo(np.float32).eps)


def sentinel_like(shape) -> np.ndarray:
    """A float32 output buffer filled with the sentinel."""
    return np.full(shape, SENTINEL, np.float32)


def error_bound(ref64: np.ndarray, ref32: np.ndarray, factor: float = 4.0, floor: float = 0.0) -> float:
    """factor x (max error of float32 NumPy) + 2 ulp of the largest output magnitude, and
    at least ``floor`` (an error any float32 evaluation may make, e.g. where the terms of
    a sum cancel and float32 NumPy happens to be exact)."""
    ref64 = np.asarray(ref64, np.float64)
    finite = np.isfinite(ref64)
    if not finite.any():
        return 0.0
    err32 = np.abs(np.asarray(ref32, np.float64)[finite] - ref64[finite]).max()
    scale = np.abs(ref64[finite]).max()
    return max(factor * float(err32) + 2 * EPS32 * float(scale), floor)


def assert_close(actual: np.ndarray, ref64: np.ndarray, ref32: np.ndarray, *, factor: float = 4.0,
                 floor: float = 0.0, what: str = "result") -> None:
    """Assert ``actual`` is within the policy's bound of the float64 reference."""
    actual = np.asarray(actual)
    ref64 = np.asarray(ref64, np.float64)
    assert actual.shape == ref64.shape, f"{what}: shape {actual.shape} != reference {ref64.shape}"
    a64 = actual.astype(np.float64)
    nan_ref = np.isnan(ref64)
    bad_nan = np.isnan(a64) & ~nan_ref
    assert not bad_nan.any(), f"{what}: NaN at {np.argwhere(bad_nan)[:5].tolist()} where the reference is finite"
    assert np.isnan(a64[nan_ref]).all(), f"{what}: reference is NaN where the result is not"
    inf_ref = np.isinf(ref64)
    assert np.array_equal(a64[inf_ref], ref64[inf_ref]), f"{what}: infinities differ from the reference"
    finite = np.isfinite(ref64)
    if not finite.any():
        return
    err = np.abs(a64[finite] - ref64[finite])
    bound = error_bound(ref64, ref32, factor, floor)
    worst = float(err.max())
    floor_note = f", at least {floor:.3g}" if floor else ""
    assert worst <= bound, (f"{what}: max error {worst:.3g} exceeds the bound {bound:.3g} "
                            f"({factor} x float32 NumPy's error + 2 ulp{floor_note})")
