"""GEMM kernels (op "gemm") and the matmul / linear ops against the float64 reference."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pykernels as pk
from pykernels.profiler import trace
from pykernels.reference import gemm as ref
from pykernels.registry import fast_path, resolve
from pykernels.testing import assert_close, sentinel_like
from conftest import backends_of, random_f32

BACKENDS = backends_of("gemm")
ACTIVATIONS = ["none", "relu", "sigmoid", "tanh", "gelu"]
# Edges of the register tiles (6x16 AVX2, 4x8 portable), of the skinny (M <= 4), fused
# (M <= 256; 128 portable) and blocked (A blocks of 72 rows) paths, primes, and K around
# the cache block (512) and 4096.
M_GRID = [1, 2, 4, 5, 6, 7, 13, 71, 72, 73, 128, 129, 150, 256, 257]
N_GRID = [1, 7, 8, 9, 15, 16, 17, 31, 33, 257]
K_GRID = [1, 2, 17, 511, 512, 513, 4000, 4001, 4096]


def run_kernel(backend, a, b, bias=None, bias_axis=None, activation="none", c=None):
    out = sentinel_like((a.shape[0], b.shape[1])) if c is None else c.copy()
    resolve("gemm", backend)(a, b, out, bias, bias_axis, activation, c is not None)
    return out


def rounding_floor(a, b, bias=None, bias_axis=None, c=None, **_):
    """2 ulp of the largest sum of |terms| an output adds (|a| @ |b| + |bias| + |c|),
    times the activations' largest slope (GELU's, 1.13): where the terms cancel, float32
    NumPy can be exact by luck and 4x its error bounds nothing."""
    terms = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    if bias is not None:
        terms += np.abs(bias.astype(np.float64))[:, None] if bias_axis == 0 else np.abs(bias.astype(np.float64))
    if c is not None:
        terms += np.abs(c.astype(np.float64))
    return 2 * 1.13 * np.finfo(np.float32).eps * float(terms.max(initial=0))


def check(backend, a, b, **kw):
    out = run_kernel(backend, a, b, **kw)
    args = dict(kw)
    assert_close(out, ref.gemm(a, b, **args), ref.gemm(a, b, dtype=np.float32, **args),
                 floor=rounding_floor(a, b, **kw), what=f"{backend} gemm {a.shape}x{b.shape}")


def check_on_threads(threads, backend, a, b, **kw):
    before = pk.get_num_threads()
    pk.set_num_threads(threads)
    try:
        check(backend, a, b, **kw)
    finally:
        pk.set_num_threads(before)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("m", M_GRID)
def test_edge_m(backend, m, rng):
    check(backend, random_f32(rng, (m, 37)), random_f32(rng, (37, 19)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n", N_GRID)
def test_edge_n(backend, n, rng):
    check(backend, random_f32(rng, (9, 23)), random_f32(rng, (23, n)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("k", K_GRID)
@pytest.mark.parametrize("m", [1, 3, 8])
def test_edge_k(backend, k, m, rng):
    check(backend, random_f32(rng, (m, k)), random_f32(rng, (k, 21)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_large_square_blocked_path(backend, rng):
    # Several A blocks (mc) and K blocks (kc): exercises the full loop nest.
    check(backend, random_f32(rng, (300, 1100)), random_f32(rng, (1100, 140)))


# The fused small-M path (M <= 256, row-major B): every row count of the 1..6-row
# microkernels, K over one or several k blocks (even and uneven), B rows starting off a
# cache line (a first panel narrower than 16 columns), a partial last panel, and both in
# one panel when they fit (the head and the tail of 64 columns 16 bytes off a line).
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("m,k,n,offset", [(5, 600, 257, 4), (6, 513, 64, 0), (7, 1, 33, 3), (13, 300, 100, 4),
                                          (16, 777, 129, 12), (17, 256, 48, 1), (63, 1025, 31, 4),
                                          (64, 512, 160, 0), (65, 259, 17, 4), (49, 600, 64, 4),
                                          (196, 700, 100, 4), (256, 513, 33, 0)])
def test_fused_small_m_path(backend, m, k, n, offset, rng):
    b = random_f32(rng, (k, 16 * ((n + offset) // 16 + 1)))[:, offset:offset + n]  # rows: 16k floats apart
    check(backend, random_f32(rng, (m, k)), b)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("bias_axis,activation", [(0, "relu"), (1, "gelu"), (None, "tanh")])
def test_fused_small_m_epilogue_accumulate(backend, threads, bias_axis, activation, rng):
    # Bias, activation and C += A.B after the last of several k blocks, panels split over threads.
    m, k, n = 16, 700, 70
    a, b, c = random_f32(rng, (m, k)), random_f32(rng, (k, n)), random_f32(rng, (m, n))
    bias = None if bias_axis is None else random_f32(rng, (m if bias_axis == 0 else n,))
    kw = dict(bias=bias, bias_axis=bias_axis, activation=activation, c=c)
    check_on_threads(threads, backend, a, b, **kw)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("m,k,n,b_transposed", [(400, 1100, 70, False), (257, 300, 33, False),
                                                 (200, 1100, 70, True), (40, 600, 50, True)])
def test_blocked_threads(backend, threads, m, k, n, b_transposed, rng):
    # The blocked path: A blocks of uneven heights owned by the threads (M > fused_m, or a
    # transposed B with M > mc), or one A block whose tiles the threads split (M <= mc, B
    # transposed); several k blocks, C +=.
    a, c, bias = random_f32(rng, (m, k)), random_f32(rng, (m, n)), random_f32(rng, (n,))
    b = np.ascontiguousarray(random_f32(rng, (n, k))).T if b_transposed else random_f32(rng, (k, n))
    kw = dict(bias=bias, bias_axis=1, activation="relu", c=c)
    check_on_threads(threads, backend, a, b, **kw)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize("transpose_a,transpose_b", [(False, False), (True, True), (False, True), (True, False)])
def test_narrow_n(backend, threads, n, transpose_a, transpose_b, rng):
    # N < 8 runs as dots over row blocks of 4 (sgemm_narrow): 4 columns of W at a time and
    # the last 1..3 together; A or B not contiguous along K is copied; rows split over
    # threads; bias per row, C +=, activation.
    m, k = 203, 517
    a = random_f32(rng, (k, m)).T if transpose_a else random_f32(rng, (m, k))
    b = np.ascontiguousarray(random_f32(rng, (n, k))).T if transpose_b else random_f32(rng, (k, n))
    kw = dict(bias=random_f32(rng, (m,)), bias_axis=0, activation="gelu", c=random_f32(rng, (m, n)))
    check_on_threads(threads, backend, a, b, **kw)


# M = 1 with more than 8 MiB of B on one thread: the skinny row sweep takes 8 rows at a
# time (sgemm_skinny_avx2.cc). K = 8q + 7 leaves a 4-row pass and 3 single rows; N = 16q +
# 9 a column group of 8 and a masked one; B rows strided (a column slice), A columns too.
@pytest.mark.parametrize("backend", BACKENDS)
def test_skinny_m1_streamed_b(backend, rng):
    k, n = 1031, 2073
    a = random_f32(rng, (1, 2 * k))[:, ::2]
    b = random_f32(rng, (k, n + 5))[:, 3:3 + n]
    c, bias = random_f32(rng, (1, n)), random_f32(rng, (n,))
    kw = dict(bias=bias, bias_axis=1, activation="relu", c=c)
    before = pk.get_num_threads()
    pk.set_num_threads(1)
    try:
        out = run_kernel(backend, a, b, **kw)
    finally:
        pk.set_num_threads(before)
    assert_close(out, ref.gemm(a, b, **kw), ref.gemm(a, b, dtype=np.float32, **kw))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("m", [1, 4, 40])
@pytest.mark.parametrize("layout", ["a.T", "b.T", "both.T", "neg", "step2", "fortran"])
def test_strided_views(backend, m, layout, rng):
    a_base, b_base = random_f32(rng, (2 * m, 2 * 29)), random_f32(rng, (2 * 29, 2 * 23))
    a, b = a_base[:m, :29], b_base[:29, :23]
    if layout == "a.T":
        a = np.ascontiguousarray(a.T).T
    elif layout == "b.T":
        b = np.ascontiguousarray(b.T).T
    elif layout == "both.T":
        a, b = np.ascontiguousarray(a.T).T, np.ascontiguousarray(b.T).T
    elif layout == "neg":
        a, b = a_base[m - 1::-1, 28::-1], b_base[28::-1, 22::-1]
    elif layout == "step2":
        a, b = a_base[:m, ::2], b_base[::2, ::2][:29, :23]
    elif layout == "fortran":
        a, b = np.asfortranarray(a), np.asfortranarray(b)
    check(backend, a, b)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("bias_axis", [None, 0, 1])
@pytest.mark.parametrize("m", [3, 50])
def test_epilogue(backend, activation, bias_axis, m, rng):
    a, b = random_f32(rng, (m, 64), -2, 2), random_f32(rng, (64, 35), -2, 2)
    bias = None if bias_axis is None else random_f32(rng, (m if bias_axis == 0 else 35,), -3, 3)
    check(backend, a, b, bias=bias, bias_axis=bias_axis, activation=activation)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("m", [2, 30])
@pytest.mark.parametrize("k", [0, 5, 700])
def test_accumulate_and_empty_k(backend, m, k, rng):
    a, b, c = random_f32(rng, (m, k)), random_f32(rng, (k, 18)), random_f32(rng, (m, 18))
    bias = random_f32(rng, (18,))
    out = run_kernel(backend, a, b, bias=bias, bias_axis=1, activation="relu", c=c)
    kw = dict(bias=bias, bias_axis=1, activation="relu", c=c)
    assert_close(out, ref.gemm(a, b, **kw), ref.gemm(a, b, dtype=np.float32, **kw))
    if k == 0:  # nothing to multiply: act(bias) or act(c + bias), never the sentinel
        zero_k = run_kernel(backend, a, b, bias=bias, bias_axis=1, activation="relu")
        np.testing.assert_array_equal(zero_k, np.broadcast_to(np.maximum(bias, 0), zero_k.shape))


@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_and_inf_propagate(backend, rng):
    a, b = random_f32(rng, (7, 40)), random_f32(rng, (40, 20))
    a[2, 5] = np.nan
    b[3, 11] = np.inf
    check(backend, a, b, activation="relu")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(0, 5, 3), (4, 5, 0), (0, 0, 0)])
def test_empty_outputs(backend, shape):
    m, k, n = shape
    y = pk.ops.matmul(np.ones((m, k), np.float32), np.ones((k, n), np.float32), backend=backend)
    assert y.shape == (m, n) and y.dtype == np.float32


@pytest.mark.parametrize("backend", BACKENDS + ["reference"])
def test_matmul_numpy_semantics(backend, rng):
    cases = [((5,), (5, 3)), ((4, 5), (5,)), ((5,), (5,)), ((2, 3, 4, 5), (5, 6)), ((3, 1, 4, 5), (2, 5, 6))]
    for sa, sb in cases:
        a, b = random_f32(rng, sa), random_f32(rng, sb)
        y = pk.ops.matmul(a, b, backend=backend)
        assert y.shape == np.matmul(a, b).shape
        assert_close(y, ref.matmul(a, b), ref.matmul(a, b, dtype=np.float32), what=f"matmul {sa} @ {sb}")


@pytest.mark.parametrize("backend", BACKENDS + ["reference"])
@pytest.mark.parametrize("activation", ACTIVATIONS + ["softmax", None])
def test_linear(backend, activation, rng):
    x, w, b = random_f32(rng, (3, 5, 48)), random_f32(rng, (33, 48)), random_f32(rng, (33,))
    y = pk.ops.linear(x, w, b, activation=activation, backend=backend)
    assert y.shape == (3, 5, 33)
    assert_close(y, ref.linear(x, w, b, activation), ref.linear(x, w, b, activation, dtype=np.float32))


@pytest.mark.parametrize("backend", BACKENDS)
def test_out_argument(backend, rng):
    x, w = random_f32(rng, (6, 10)), random_f32(rng, (4, 10))
    out = sentinel_like((6, 4))
    result = pk.ops.linear(x, w, out=out, backend=backend)
    assert result is out
    assert_close(out, ref.linear(x, w), ref.linear(x, w, dtype=np.float32))
    strided = sentinel_like((6, 8))[:, ::2]  # not C-contiguous: computed aside, copied in
    pk.ops.linear(x, w, out=strided, backend=backend)
    assert_close(strided, ref.linear(x, w), ref.linear(x, w, dtype=np.float32))
    a = random_f32(rng, (5, 5))
    expected = ref.matmul(a, a)
    pk.ops.matmul(a, a, out=a, backend=backend)  # out aliases the inputs
    assert_close(a, expected, expected.astype(np.float32) + np.float32(1e-6))


@settings(max_examples=40, deadline=None)
@given(m=st.integers(0, 40), k=st.integers(0, 70), n=st.integers(0, 40),
       activation=st.sampled_from(ACTIVATIONS), seed=st.integers(0, 2**32 - 1),
       transpose_a=st.booleans(), transpose_b=st.booleans())
def test_property_random_shapes(m, k, n, activation, seed, transpose_a, transpose_b):
    rng = np.random.default_rng(seed)
    a = random_f32(rng, (k, m)).T if transpose_a else random_f32(rng, (m, k))
    b = random_f32(rng, (n, k)).T if transpose_b else random_f32(rng, (k, n))
    bias = random_f32(rng, (n,))
    for backend in BACKENDS:
        check(backend, a, b, bias=bias, bias_axis=1, activation=activation)


# The native fast paths of ops.matmul / ops.linear (registry.fast_path, bind_gemm.cc):
# plain 2-D float32 operands in one call, the same numbers as the kernel path; anything
# else falls back to the op's checks, which raise the usual errors.
def _kernel_path(op, *args, **kw):
    with trace.recording() as calls:  # tracing turns the fast paths off
        result = op(*args, **kw)
    assert calls, "the op did not reach a kernel"
    return result


@pytest.mark.parametrize("backend", ["auto", "cpu"])
@pytest.mark.parametrize("m,k,n", [(1, 8, 8), (3, 1, 17), (0, 5, 4), (5, 0, 3), (9, 37, 0), (70, 300, 33)])
def test_fast_paths_match_the_kernel_path(backend, m, k, n, rng):
    a, b = random_f32(rng, (m, k)), random_f32(rng, (k, n))
    assert fast_path("gemm", "matmul", backend) is not None
    for x, y in [(a, b), (a[::-1], b[:, ::-1]), (np.asfortranarray(a), b.T.copy().T)]:  # any strides
        np.testing.assert_array_equal(pk.ops.matmul(x, y, backend=backend), _kernel_path(pk.ops.matmul, x, y))
    w, bias = np.ascontiguousarray(b.T), random_f32(rng, (n,))
    for activation in [None, "linear", "relu", "gelu"]:
        y = pk.ops.linear(a, w, bias, activation, backend=backend)
        np.testing.assert_array_equal(y, _kernel_path(pk.ops.linear, a, w, bias, activation))
    if m:  # one row as a vector: (K,) @ (K, N) -> (N,)
        row = a[0]
        np.testing.assert_array_equal(pk.ops.matmul(row, b), _kernel_path(pk.ops.matmul, row, b))
        np.testing.assert_array_equal(pk.ops.linear(row, w, bias, "relu"),
                                      _kernel_path(pk.ops.linear, row, w, bias, "relu"))
    w_columns = np.asfortranarray(w)  # w.T row-major: the kernel reads B in the other layout
    np.testing.assert_array_equal(pk.ops.linear(a, w_columns), _kernel_path(pk.ops.linear, a, w_columns))


def test_fast_paths_decline_anything_else(rng):
    matmul, linear = fast_path("gemm", "matmul"), fast_path("gemm", "linear")
    a, w, bias = random_f32(rng, (4, 6)), random_f32(rng, (5, 6)), random_f32(rng, (5,))
    misaligned = np.zeros(4 * 24 + 1, np.uint8)[1:].view(np.float32).reshape(4, 6)
    assert not misaligned.flags.aligned
    for x, y in [(a.astype(np.float64), w.T), (a.astype(">f4"), w.T), (a, w.T[:, 0]), (a, w), (misaligned, w.T),
                 (a.tolist(), w.T), (a[None], w.T), (a[0], w.T[:, 0]), (np.float32(1), w.T)]:
        assert matmul(x, y) is None
    for args in [(a, w, bias, "softmax"), (a, w, bias, "swish"), (a, w, bias, 1), (a, w, bias[:4], None),
                 (a, w, random_f32(rng, (10,))[::2], None), (a, w, bias.astype(np.float64), None),
                 (a, w.T, None, None), (a[:, :5], w, None, None)]:
        assert linear(*args) is None
    huge = np.broadcast_to(np.float32(1), (2**40, 1))
    assert matmul(huge, huge.T) is None
    with pytest.raises(OverflowError):
        pk.ops.matmul(huge, huge.T)


def test_fast_path_lookup():
    assert fast_path("gemm", "matmul", "reference") is None  # no fast path: the op's own path
    assert fast_path("gemm", "matmul", "no-such-backend") is None  # resolve() raises for it
    assert fast_path("gemm", "matmul", ["cpu"]) is None
    assert fast_path("gemm", "no-such-path") is None
    with trace.recording():
        assert fast_path("gemm", "matmul") is None
