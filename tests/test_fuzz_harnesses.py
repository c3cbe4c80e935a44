"""The fuzz harnesses (tests/fuzz) on seeded random bytes, without atheris: a quick
smoke run in every test session; the coverage-guided runs are `python -m tests.fuzz.run`."""
import random

import pytest

from fuzz.harnesses import HARNESSES
from fuzz.source import ByteSource

INPUTS = 300


@pytest.mark.parametrize("name", HARNESSES)
def test_harness_on_random_bytes(name):
    rng = random.Random(name)
    for _ in range(INPUTS):
        HARNESSES[name](ByteSource(rng.randbytes(rng.randint(0, 256))))
