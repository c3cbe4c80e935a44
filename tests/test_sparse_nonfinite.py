"""NaN and inf in the dense operand of the sparse ops: like scipy.sparse and torch.sparse,
a weight the format does not store never meets x, so a non-finite input reaches only the
outputs whose stored weights read it. Every backend agrees with the reference on where
NaN and inf land, and on the finite values elsewhere."""
import numpy as np
import pytest

import pykernels as pk
from pykernels.formats import to_sparse
from pykernels.reference import conv as ref_conv, spmm as ref_spmm
from conftest import backends_of

PATTERNS = ("unstructured", "bsr(4,4)", "2:4")


def pruned(rng, shape, pattern="unstructured"):
    """Random weights with columns 4..7 zero (a whole 4x4 block column: CSR and BSR store
    nothing there; an N:M format still stores zeros in those groups), pruned to ``pattern``."""
    w = rng.standard_normal(shape).astype(np.float32)
    w[:, 4:8] = 0
    return to_sparse(pk.compress.prune(w, pattern=pattern) if ":" in pattern else w, pattern)


def assert_same_nonfinite(got, expected):
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(expected))
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("backend", backends_of("spmm"))
def test_spmm_nonfinite_reach_only_stored_rows(backend, pattern):
    rng = np.random.default_rng(3)
    w = pruned(rng, (16, 24), pattern)
    x = rng.standard_normal((24, 5)).astype(np.float32)
    x[5, 0], x[1, 2], x[9, 3], x[2, 4] = np.nan, np.inf, -np.inf, np.nan
    expected = ref_spmm.spmm(w, x)
    if ":" not in pattern:
        assert np.isfinite(expected[:, 0]).all(), "an unstored weight must not spread its input's NaN"
    assert_same_nonfinite(pk.ops.spmm(w, x, backend=backend), expected)


@pytest.mark.parametrize("backend", backends_of("conv2d_sparse"))
def test_conv2d_sparse_nonfinite_reach_only_stored_taps(backend):
    rng = np.random.default_rng(4)
    c, o, k = 4, 8, 3
    w = pruned(rng, (o, k * k * c))  # tap (0, 1) is pruned for every channel: output (3, 3) reads
    # the NaN at (2, 3) only through it
    x = rng.standard_normal((1, 6, 6, c)).astype(np.float32)
    x[0, 2, 3, 1], x[0, 4, 1, 2] = np.nan, np.inf
    expected = ref_conv.conv2d_sparse(x, w, (k, k), padding=(1, 1, 1, 1))
    assert np.isnan(expected[0, 2, 3]).all() and np.isfinite(expected[0, 3, 3]).all()
    got = pk.ops.conv2d_sparse(x, w, k, padding=1, data_format="channels_last", backend=backend)
    assert_same_nonfinite(got, expected)
