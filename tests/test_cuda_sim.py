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


# ---- the other families on numba-cuda, through the ops (device dispatch), tiny shapes ----

import pykernels.ops as ops  # noqa: E402
from pykernels.formats import BSRMatrix, CSRMatrix  # noqa: E402
from pykernels.reference import attention as ref_attention, conv as ref_conv, lstm as ref_lstm  # noqa: E402
from pykernels.reference import spmm as ref_spmm  # noqa: E402

NB = "numba-cuda"


@pytest.mark.parametrize("b, hq, hkv, nq, nk, d, causal, mask", [
    (1, 2, 1, 5, 70, 8, False, None),    # GQA, keys cross a 64-key tile
    (2, 1, 1, 65, 65, 4, True, None),    # causal, query tile + 1: the second block skips no tile
    (1, 2, 2, 3, 7, 5, False, "bool"),   # key padding mask, one row fully masked
    (1, 1, 1, 4, 6, 3, True, "float"),   # additive mask with causal
])
def test_sdpa(b, hq, hkv, nq, nk, d, causal, mask, rng):
    q, k, v = random_f32(rng, (b, hq, nq, d)), random_f32(rng, (b, hkv, nk, d)), random_f32(rng, (b, hkv, nk, d + 1))
    m = None
    if mask == "bool":
        m = rng.random((b, 1, nq, nk)) < 0.7
        m[0, 0, 1] = False
    elif mask == "float":
        m = random_f32(rng, (1, 1, nq, nk), -2, 2)
    out = cuda.to_device(np.full((b, hq, nq, d + 1), np.nan, np.float32))
    ops.sdpa(cuda.to_device(q), cuda.to_device(k), cuda.to_device(v), None if m is None else cuda.to_device(m),
             causal, out=out, backend=NB)
    assert_close(out.copy_to_host(), ref_attention.sdpa(q, k, v, m, causal),
                 ref_attention.sdpa(q, k, v, m, causal, dtype=np.float32), what="numba-cuda sdpa")


@pytest.mark.parametrize("n, h, w, c, oc, kernel, stride, padding, dilation, groups", [
    (1, 5, 6, 3, 17, 3, 1, 1, 1, 1),     # out channels cross the 16-channel tile
    (2, 7, 5, 4, 4, 3, 2, "same", 1, 4),  # depthwise, strided, asymmetric "same" padding
    (1, 6, 6, 6, 4, (2, 3), 1, 0, 2, 2),  # grouped, dilated, rectangular kernel
])
def test_conv2d(n, h, w, c, oc, kernel, stride, padding, dilation, groups, rng):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x, wt, bias = random_f32(rng, (n, h, w, c)), random_f32(rng, (oc, c // groups, kh, kw)), random_f32(rng, (oc,))
    got = ops.conv2d(cuda.to_device(x), cuda.to_device(wt), cuda.to_device(bias), stride, padding, dilation, groups,
                     "relu", data_format="channels_last", backend=NB).copy_to_host()
    want = ops.conv2d(x, wt, bias, stride, padding, dilation, groups, "relu", data_format="channels_last",
                      backend="reference")
    f32 = ops.conv2d(x, wt, bias, stride, padding, dilation, groups, "relu", data_format="channels_last",
                     backend="numba")
    assert_close(got, want, f32, what="numba-cuda conv2d")


def test_conv2d_needs_channels_last(rng):
    x = cuda.to_device(random_f32(rng, (1, 2, 3, 3)))
    with pytest.raises(ValueError, match="channels_last"):
        ops.conv2d(x, cuda.to_device(random_f32(rng, (2, 2, 1, 1))), backend=NB)


@pytest.mark.parametrize("batch_first, lengths, proj, reverse", [(False, None, False, False),
                                                                   (True, [3, 1], False, True),
                                                                   (False, [2, 3], True, False)])
def test_lstm_layer(batch_first, lengths, proj, reverse, rng):
    t, b, i, h = 3, 2, 4, 5
    r = 3 if proj else h
    x = random_f32(rng, (t, b, i))
    w_ih, w_hh, bias = random_f32(rng, (4 * h, i)), random_f32(rng, (4 * h, r)), random_f32(rng, (4 * h,))
    w_hr = random_f32(rng, (r, h)) if proj else None
    h0, c0 = random_f32(rng, (b, r)), random_f32(rng, (b, h))
    lens = None if lengths is None else np.array(lengths, np.int64)
    dx = cuda.to_device(np.ascontiguousarray(x.swapaxes(0, 1))).transpose((1, 0, 2)) if batch_first \
        else cuda.to_device(x)
    y = cuda.to_device(np.full((t, b, r), np.nan, np.float32))
    h_n, c_n = cuda.to_device(np.full((b, r), np.nan, np.float32)), cuda.to_device(np.full((b, h), np.nan, np.float32))
    dev = [None if a is None else cuda.to_device(a) for a in (w_ih, w_hh, bias, w_hr, h0, c0, lens)]
    resolve("lstm_layer", NB, device="cuda")(dx, *dev[:6], dev[6], reverse, y, h_n, c_n)
    want = ref_lstm.lstm_layer(x, w_ih, w_hh, bias, np.zeros_like(bias), w_hr, h0, c0, lens, reverse)
    f32 = ref_lstm.lstm_layer(x, w_ih, w_hh, bias, np.zeros_like(bias), w_hr, h0, c0, lens, reverse,
                              dtype=np.float32)
    for got, w64, w32 in zip((y, h_n, c_n), want, f32):
        assert_close(got.copy_to_host(), w64, w32, what="numba-cuda lstm_layer")


def test_lstm_op_two_layers_bidirectional(rng):
    t, b, i, h = 2, 2, 3, 4
    weights = []
    for layer in range(2):
        for _ in range(2):
            weights.append((random_f32(rng, (4 * h, i if layer == 0 else 2 * h)), random_f32(rng, (4 * h, h)),
                            random_f32(rng, (4 * h,)), np.zeros(4 * h, np.float32)))
    x = random_f32(rng, (t, b, i))
    # one summed bias per direction on the device (b_hh None): Numba device arrays cannot add
    dev = [(cuda.to_device(a), cuda.to_device(w), cuda.to_device(bias), None) for a, w, bias, _ in weights]
    y, (h_n, c_n) = ops.lstm(cuda.to_device(x), dev, bidirectional=True, backend=NB)
    y64, (h64, c64) = ref_lstm.lstm(x, weights, bidirectional=True)
    y32, (h32, c32) = ref_lstm.lstm(x, weights, bidirectional=True, dtype=np.float32)
    assert_close(y.copy_to_host(), y64, y32, what="numba-cuda lstm")
    assert_close(h_n.copy_to_host(), h64, h32, what="numba-cuda lstm h_n")


@pytest.mark.parametrize("fmt, m, k, n, block", [("csr", 9, 40, 130, None), ("bsr", 8, 12, 5, (4, 2)),
                                                 ("bsr", 6, 6, 3, (3, 3)), ("csr", 1, 1, 1, None)])
def test_spmm(fmt, m, k, n, block, rng):
    dense = random_f32(rng, (m, k)) * (rng.random((m, k)) < 0.4)
    w = CSRMatrix.from_dense(dense) if fmt == "csr" else BSRMatrix.from_dense(dense, block)
    x, bias = random_f32(rng, (k, n)), random_f32(rng, (m,))
    dx = cuda.to_device(x)
    from pykernels.cuda.weights import to_device
    got = ops.spmm(to_device(w, dx), dx, cuda.to_device(bias), "tanh", backend=NB).copy_to_host()
    assert_close(got, ref_spmm.spmm(w, x, bias, "tanh"), ref_spmm.spmm(w, x, bias, "tanh", dtype=np.float32),
                 what=f"numba-cuda spmm {fmt}")


def test_spmm_host_weights_with_device_x_are_rejected(rng):
    w = CSRMatrix.from_dense(np.eye(3, dtype=np.float32))
    with pytest.raises(TypeError, match="to_device"):
        ops.spmm(w, cuda.to_device(random_f32(rng, (3, 2))), backend=NB)


@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (17, 33, 15), (5, 0, 3)])
def test_matmul_int8_exact(m, k, n, rng):
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    got = ops.matmul_int8(cuda.to_device(a), cuda.to_device(b), backend=NB).copy_to_host()
    np.testing.assert_array_equal(got, a.astype(np.int64) @ b.astype(np.int64))


def test_linear_int8_dequant(rng):
    from pykernels.cuda.weights import DeviceInt8Weights
    from pykernels.formats.int8_weights import Int8Weights
    x = rng.integers(-128, 128, (2, 3, 20), dtype=np.int8)
    weights = Int8Weights.from_float(random_f32(rng, (7, 20)))
    bias = random_f32(rng, (7,))
    dx = cuda.to_device(x)
    got = ops.linear_int8(dx, DeviceInt8Weights.from_weights(weights, dx), cuda.to_device(bias), "relu",
                          x_scale=0.05, backend=NB).copy_to_host()
    acc = x.reshape(-1, 20).astype(np.int64) @ weights.data.T.astype(np.int64)
    want = np.maximum(acc * (np.float64(np.float32(0.05)) * weights.scale.astype(np.float64)) + bias, 0)
    np.testing.assert_allclose(got.reshape(-1, 7), want, rtol=1e-6, atol=1e-6)
