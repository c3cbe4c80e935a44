"""Activation and softmax kernels against the float64 reference, over the whole range."""
import numpy as np
import pytest

import pykernels as pk
from pykernels.reference import activations as ref
from pykernels.testing import assert_close, sentinel_like
from conftest import backends_of, random_f32

BACKENDS = backends_of("activation")
NAMES = ["relu", "sigmoid", "tanh", "gelu"]


def special_values():
    # Around 0 (tanh's polynomial switch at 0.625), the exp clamps (+-88), tails, NaN, inf.
    edges = [0.0, -0.0, 1e-30, -1e-30, 1e-4, -1e-4, 0.6249, 0.6251, -0.625, 5.0, -5.0, 9.0, -9.0, 15.0,
             -15.0, 30.0, -30.0, 87.0, -87.0, 88.5, -88.5, 89.0, -89.0, 100.0, -100.0, 1e30, -1e30,
             np.inf, -np.inf, np.nan]
    return np.array(edges, np.float32)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [1, 7, 8, 9, 1000, 4097])
def test_activation_random(backend, name, n, rng):
    x = random_f32(rng, (n,), -12, 12)
    y = pk.ops.activation(x, name, out=sentinel_like(x.shape), backend=backend)
    assert_close(y, ref.activate(x, name), ref.activate(x, name, dtype=np.float32), what=f"{backend} {name}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", NAMES)
def test_activation_special_values(backend, name):
    x = special_values()
    y = pk.ops.activation(x, name, backend=backend)
    expected = ref.activate(x, name)
    with np.errstate(all="ignore"):
        assert_close(y, expected, ref.activate(x, name, dtype=np.float32), what=f"{backend} {name}")
    # relative accuracy in the tails: a few float32 ulp, not just absolute closeness
    finite = np.isfinite(expected) & (np.abs(expected) > 1e-30)
    rel = np.abs(y[finite] - expected[finite]) / np.abs(expected[finite])
    assert rel.max() < 3e-6, f"{name}: relative error {rel.max():.2g}"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape,axis", [((1,), -1), ((5, 7), -1), ((3, 1000), 1), ((4, 9, 17), 0), ((2, 3, 33), 1)])
def test_softmax(backend, shape, axis, rng):
    x = random_f32(rng, shape, -20, 20)
    y = pk.ops.softmax(x, axis=axis, out=sentinel_like(shape), backend=backend)
    assert_close(y, ref.softmax(x, axis), ref.softmax(x, axis, dtype=np.float32), what=f"{backend} softmax")


@pytest.mark.parametrize("backend", BACKENDS)
def test_softmax_nan_row(backend):
    x = np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]], np.float32)
    y = pk.ops.softmax(x, backend=backend)
    assert np.isnan(y[0]).all() and np.isfinite(y[1]).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_contiguous_input(backend, rng):
    x = random_f32(rng, (20, 30))[::-2, ::3]
    y = pk.ops.gelu(x, backend=backend)
    assert_close(y, ref.gelu(x), ref.gelu(x, dtype=np.float32))
