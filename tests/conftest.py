"""Shared fixtures: every registered backend, seeded random inputs."""
import numpy as np
import pytest

from pykernels.registry import backend_names


def backends_of(op):
    """Every available backend of ``op`` except the reference (which is the oracle)."""
    return [name for name in backend_names(op) if name != "reference"]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def random_f32(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)
