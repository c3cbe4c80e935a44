"""Resident memory stays flat while every op in op_table.OPS runs 10,000 times on every
backend of its kernel, and while the native bindings reject bad input 10,000 times.

Small shapes keep it fast. The first calls (compilation, thread pools, allocator
arenas) are a warm-up; after it, 10,000 more calls may not grow the resident set by
more than LIMIT, far less than the 10,000 x output size a leaked result would cost.
One-time growth can still land after the warm-up (an OpenMP worker touching its
malloc arena for the first time on a many-core machine), so a window that grew is
measured again, up to WINDOWS times: a leak grows every window, a one-time cost once.
"""
import gc
import os

import numpy as np
import pytest

from pykernels import _C
from pykernels.cffi import PK_ACT_NONE, PK_BIAS_NONE, ffi, pk_sgemm

from conftest import backends_of
from op_table import OPS

CALLS = 10_000
WARM_UP = 1_000
LIMIT = 256 << 10  # bytes: a leak of 26 bytes per call shows
WINDOWS = 3
PAGE = os.sysconf("SC_PAGE_SIZE")

CASES = [(spec, backend) for spec in OPS for backend in backends_of(spec.kernel)]


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def growth(call) -> int:
    """Resident-set growth over CALLS calls of ``call`` after a warm-up: the first
    window of up to WINDOWS that stays within LIMIT, else the smallest growth seen."""
    for _ in range(WARM_UP):
        call()
    grown = []
    for _ in range(WINDOWS):
        gc.collect()
        before = resident_bytes()
        for _ in range(CALLS):
            call()
        gc.collect()
        grown.append(resident_bytes() - before)
        if grown[-1] <= LIMIT:
            break
    return min(grown)


def raises(call, exception):
    def run():
        try:
            call()
        except exception:
            return
        raise AssertionError(f"{call} did not raise {exception.__name__}")
    return run


f32 = np.ones((3, 4), np.float32)
w32 = np.ones((5, 4), np.float32)
read_only_out = np.empty((3, 5), np.float32)
read_only_out.flags.writeable = False

# Error paths of the native bindings and the C ABI (the public ops stop bad input in
# Python, so these are only reached directly): every exception must free what it built.
NATIVE_ERRORS = {
    "sgemm-dtype": raises(lambda: _C.sgemm(f32.astype(np.float64), w32.T, np.empty((3, 5), np.float32)), TypeError),
    "sgemm-shapes": raises(lambda: _C.sgemm(f32, w32, np.empty((3, 5), np.float32)), ValueError),
    "sgemm-activation": raises(lambda: _C.sgemm(f32, w32.T, np.empty((3, 5), np.float32), None, 0, 9), ValueError),
    "sgemm-read-only": raises(lambda: _C.sgemm(f32, w32.T, read_only_out), ValueError),
    "sgemm-bias-list": raises(lambda: _C.sgemm(f32, w32.T, np.empty((3, 5), np.float32), [1.0] * 5, 2), TypeError),
    "activation-strided": raises(lambda: _C.activation_inplace(np.ones((4, 4), np.float32)[:, ::2], 1), ValueError),
    "softmax-size": raises(lambda: _C.softmax_rows(f32, np.empty(5, np.float32)), ValueError),
    "capi-negative-size": lambda: pk_sgemm(-1, 2, 3, ffi.NULL, 3, 1, ffi.NULL, 2, 1, ffi.NULL, 2, ffi.NULL,
                                           PK_BIAS_NONE, PK_ACT_NONE, 0),
}


@pytest.mark.parametrize("spec,backend", CASES, ids=[f"{spec.name}-{backend}" for spec, backend in CASES])
def test_op_does_not_leak(spec, backend):
    arrays, params = spec.arrays(spec.small), spec.default_params()
    grew = growth(lambda: spec.call(*arrays, backend=backend, **params))
    assert grew <= LIMIT, f"resident memory grew by {grew} bytes over {CALLS} calls"


@pytest.mark.parametrize("name", NATIVE_ERRORS)
def test_native_error_path_does_not_leak(name):
    grew = growth(NATIVE_ERRORS[name])
    assert grew <= LIMIT, f"resident memory grew by {grew} bytes over {CALLS} failing calls"
