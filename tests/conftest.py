"""Shared fixtures: every registered backend, seeded random inputs."""
import os

import numpy as np
import pytest
from hypothesis import settings

from pykernels.cuda.driver import gpu_status
from pykernels.registry import backend_names

# Without a GPU the numba-cuda kernels run on Numba's CUDA simulator (tests/test_cuda_sim.py);
# set before anything imports numba.cuda.
if not gpu_status()[0]:
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")


# CI (.ci/run sets CI=1) draws the same property-test examples on every run, so a red
# run reproduces; elsewhere each run draws new ones, which is how new failures are found.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def backends_of(op):
    """Every available backend of ``op`` except the reference (which is the oracle)."""
    return [name for name in backend_names(op) if name != "reference"]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def random_f32(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)
