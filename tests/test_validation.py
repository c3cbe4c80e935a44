"""Bad input is rejected with the right exception type and a message naming the problem."""
import numpy as np
import pytest

import pykernels as pk
from conftest import backends_of

f32 = np.ones((3, 4), np.float32)
w32 = np.ones((5, 4), np.float32)


@pytest.mark.parametrize("backend", backends_of("gemm") + ["reference"])
@pytest.mark.parametrize("call,exc,fragment", [
    (lambda b: pk.ops.linear(f32.astype(np.float64), w32, backend=b), TypeError, "x must be float32, got float64"),
    (lambda b: pk.ops.linear(f32, w32.astype(np.int32), backend=b), TypeError, "w must be float32, got int32"),
    (lambda b: pk.ops.linear(f32.astype(np.complex64), w32, backend=b), TypeError, "complex64"),
    (lambda b: pk.ops.linear(f32.astype(bool), w32, backend=b), TypeError, "bool"),
    (lambda b: pk.ops.linear([[1.0]], w32, backend=b), TypeError, "numpy.ndarray"),
    (lambda b: pk.ops.linear(f32, np.ones((5, 3), np.float32), backend=b), ValueError, "(3, 4)"),
    (lambda b: pk.ops.linear(f32, np.ones((5, 3), np.float32), backend=b), ValueError, "(5, 3)"),
    (lambda b: pk.ops.linear(f32, w32, np.ones(4, np.float32), backend=b), ValueError, "bias has shape (4,)"),
    (lambda b: pk.ops.linear(f32, w32, activation="swish", backend=b), ValueError, "unknown activation 'swish'"),
    (lambda b: pk.ops.linear(f32, w32, activation=3, backend=b), TypeError, "activation must be a str"),
    (lambda b: pk.ops.linear(f32, w32[0], backend=b), ValueError, "w must be 2-D"),
    (lambda b: pk.ops.matmul(f32, f32, backend=b), ValueError, "inner dimensions differ"),
    (lambda b: pk.ops.matmul(np.ones((2, 3, 4), np.float32), np.ones((3, 4, 5), np.float32), backend=b),
     ValueError, "do not broadcast"),
    (lambda b: pk.ops.matmul(np.float32(1.0), f32, backend=b), TypeError, "numpy.ndarray"),
    (lambda b: pk.ops.matmul(np.ones((), np.float32), f32, backend=b), ValueError, "at least 1 dimensions"),
    (lambda b: pk.ops.linear(f32, w32, out=np.empty((3, 5), np.float64), backend=b), TypeError, "out must be float32"),
    (lambda b: pk.ops.linear(f32, w32, out=np.empty((5, 3), np.float32), backend=b), ValueError, "expected (3, 5)"),
    (lambda b: pk.ops.softmax(f32, axis=2, backend=b), ValueError, "axis 2 is out of range"),
    (lambda b: pk.ops.softmax(f32, axis=1.0, backend=b), TypeError, "axis must be an int"),
])
def test_bad_input(backend, call, exc, fragment):
    with pytest.raises(exc) as info:
        call(backend)
    assert fragment in str(info.value)


def test_read_only_out():
    out = np.empty((3, 5), np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pk.ops.linear(f32, w32, out=out)


def test_output_size_overflow():
    huge = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), shape=(2**40, 1), strides=(0, 0))
    wide = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), shape=(1, 2**40), strides=(0, 0))
    with pytest.raises(OverflowError, match="addressable"):
        pk.ops.matmul(huge, wide)


def test_misaligned_view_is_copied():
    raw = np.zeros(4 * 12 + 1, np.uint8)[1:].view(np.float32).reshape(3, 4)
    raw[...] = f32
    assert not raw.flags.aligned
    np.testing.assert_array_equal(pk.ops.matmul(raw, np.eye(4, dtype=np.float32)), f32)


@pytest.mark.parametrize("backend,exc,fragment", [
    ("gpu", ValueError, "unknown backend 'gpu'"),
    (3, TypeError, "backend must be a str"),
])
def test_bad_backend(backend, exc, fragment):
    with pytest.raises(exc, match=fragment):
        pk.ops.matmul(f32, w32.T, backend=backend)


@pytest.mark.parametrize("n,exc", [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError)])
def test_bad_thread_count(n, exc):
    with pytest.raises(exc):
        pk.set_num_threads(n)


def test_native_binding_checks_again():
    from pykernels import _C
    with pytest.raises(TypeError, match="expected float32"):
        _C.sgemm(f32.astype(np.float64), w32.T, np.empty((3, 5), np.float32))
    with pytest.raises(ValueError, match="do not chain"):
        _C.sgemm(f32, w32, np.empty((3, 5), np.float32))
    with pytest.raises(ValueError, match="unknown activation 9"):
        _C.sgemm(f32, w32.T, np.empty((3, 5), np.float32), None, 0, 9)
    ro = np.empty((3, 5), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _C.sgemm(f32, w32.T, ro)
