"""numba-cuda kernels against the reference, on Numba's CUDA simulator where no GPU is
(conftest sets NUMBA_ENABLE_CUDASIM=1), on the GPU otherwise. The simulator runs every
thread as a Python thread: shapes stay within a few 128 x 128 tiles, and each test still
crosses the tile edges that matter (1, tile - 1, tile + 1, K not a multiple of 8)."""
import numpy as np
import pytest

from pykernels.reference import gemm as ref
from pykernels.registry import resolve
from pykernels.testing import assert_close
from conftest import random_f32

cuda = pytest.importorskip("numba.cuda")
pytestmark = pytest.mark.skipif(not cuda.is_available(), reason="neither a GPU nor the CUDA simulator")


def run_gemm(a, b, bias=None, bias_axis=None, activation="none", c=None, dtype=np.float32):
    out = np.full((a.shape[0], b.shape[1]), np.nan, dtype) if c is None else c.astype(dtype)
    d_out = cuda.to_device(out)
    d_bias = None if bias is None else cuda.to_device(bias.astype(dtype))
    resolve("gemm", "numba-cuda", device="cuda")(cuda.to_device(a.astype(dtype)), cuda.to_device(b.astype(dtype)),
                                                 d_out, d_bias, bias_axis, activation, c is not None)
    return d_out.copy_to_host()


def check(a, b, **kw):
    assert_close(run_gemm(a, b, **kw), ref.gemm(a, b, **kw), ref.gemm(a, b, dtype=np.float32, **kw),
                 what=f"numba-cuda gemm {a.shape}x{b.shape}")


@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (127, 9, 5), (3, 17, 129), (129, 8, 2), (2, 0, 3)])
def test_tile_edges(m, k, n, rng):
    check(random_f32(rng, (m, k)), random_f32(rng, (k, n)))


@pytest.mark.parametrize("layout", ["a.T", "b.T", "neg", "step2"])
def test_strided_views(layout, rng):
    a_base, b_base = random_f32(rng, (10, 26)), random_f32(rng, (26, 14))
    da_base, db_base = cuda.to_device(a_base), cuda.to_device(b_base)
    index_a, index_b = (slice(0, 5), slice(0, 13)), (slice(0, 13), slice(0, 7))
    if layout == "neg":
        index_a, index_b = (slice(4, None, -1), slice(12, None, -1)), (slice(12, None, -1), slice(6, None, -1))
    elif layout == "step2":
        index_a, index_b = (slice(0, 5), slice(None, None, 2)), (slice(None, None, 2), slice(None, None, 2))
    a, b, d_a, d_b = a_base[index_a], b_base[index_b], da_base[index_a], db_base[index_b]
    if layout == "a.T":  # column-major a: a transposed device array
        d_a = cuda.to_device(np.ascontiguousarray(a.T)).T
    elif layout == "b.T":
        d_b = cuda.to_device(np.ascontiguousarray(b.T)).T
    out = cuda.to_device(np.full((a.shape[0], b.shape[1]), np.nan, np.float32))
    resolve("gemm", "numba-cuda", device="cuda")(d_a, d_b, out)
    assert_close(out.copy_to_host(), ref.gemm(a, b), ref.gemm(a, b, dtype=np.float32))


@pytest.mark.parametrize("activation, bias_axis", [("none", 1), ("relu", 0), ("sigmoid", None), ("tanh", 1),
                                                   ("gelu", 0)])
def test_epilogue(activation, bias_axis, rng):
    a, b = random_f32(rng, (6, 20), -2, 2), random_f32(rng, (20, 9), -2, 2)
    bias = None if bias_axis is None else random_f32(rng, (6 if bias_axis == 0 else 9,), -3, 3)
    check(a, b, bias=bias, bias_axis=bias_axis, activation=activation)


def test_accumulate(rng):
    a, b, c = random_f32(rng, (4, 11)), random_f32(rng, (11, 6)), random_f32(rng, (4, 6))
    check(a, b, c=c, bias=random_f32(rng, (6,)), bias_axis=1, activation="relu")


def test_float16(rng):
    a, b = random_f32(rng, (7, 33)), random_f32(rng, (33, 10))
    got = run_gemm(a, b, dtype=np.float16).astype(np.float64)
    a16, b16 = a.astype(np.float16).astype(np.float64), b.astype(np.float16).astype(np.float64)
    np.testing.assert_allclose(got, a16 @ b16, rtol=2e-3, atol=2e-3)  # one f16 rounding of an f32 sum


def test_host_arrays_are_rejected_with_the_fix(rng):
    a = random_f32(rng, (2, 2))
    with pytest.raises(TypeError, match="host array.*cuda.to_device"):
        resolve("gemm", "numba-cuda", device="cuda")(a, a, np.empty((2, 2), np.float32))


def test_bad_shapes_and_dtypes(rng):
    d = cuda.to_device(random_f32(rng, (2, 3)))
    gemm = resolve("gemm", "numba-cuda", device="cuda")
    with pytest.raises(ValueError, match="do not chain"):
        gemm(d, d, cuda.to_device(np.empty((2, 3), np.float32)))
    with pytest.raises(TypeError, match="dtype"):
        gemm(cuda.to_device(np.ones((2, 2))), d, d)
