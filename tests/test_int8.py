"""int8 family: quantize / dequantize / requantize, matmul_int8 and linear_int8 against
the int64 / float64 reference (integer results bit-exact), quantized layers and
compress.quantize, bad input."""
import numpy as np
import pytest

import pykernels as pk
from pykernels.formats import Int8Weights, QTensor, choose_qparams
from pykernels.formats.qtensor import dynamic_qparams, dynamic_row_qparams
from pykernels.layers import Dense, Flatten, QuantizedDense, Sequential
from pykernels.reference import int8 as ref
from pykernels.registry import resolve
from pykernels.testing import assert_close, sentinel_like
from conftest import backends_of

BACKENDS = backends_of("gemm_int8")
ALL = BACKENDS + ["reference"]
SENTINEL_I32 = np.int32(-123456789)


def codes(rng, shape, dtype, worst=False):
    lo, hi = (-128, 127) if np.dtype(dtype) == np.int8 else (0, 255)
    if worst:  # the values that make vpmaddubsw saturate: a = 255 / -128 against b = 127 / -128
        return rng.choice([lo, hi], size=shape).astype(dtype)
    return rng.integers(lo, hi + 1, size=shape).astype(dtype)


def gemm_ref(a, weights, a_zero_point=0):
    return ref.gemm_s64(a.astype(np.int64), a_zero_point, weights.data, weights.zero_point)


# --- quantize / dequantize / requantize -------------------------------------------------
def special_floats(rng, shape):
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    flat = x.reshape(-1)
    specials = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, np.nan, np.inf, -np.inf, 1e30, -1e30, -0.0, 126.5, 127.5, -128.5]
    flat[:min(len(specials), flat.size)] = specials[:flat.size]
    return x


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape,axis,dtype", [
    ((37,), None, np.int8), ((5, 19), None, np.uint8), ((5, 19), 0, np.int8), ((5, 19), 1, np.uint8),
    ((3, 4, 9), 1, np.int8), ((3, 4, 9), 2, np.uint8), ((0, 7), None, np.int8), ((1, 1), 0, np.uint8)])
def test_quantize_dequantize_bit_exact(backend, shape, axis, dtype, rng):
    x = special_floats(rng, shape)
    channels = 1 if axis is None else shape[axis]
    scale = rng.uniform(0.01, 2.0, channels).astype(np.float32)
    scale[0] = 1.0  # exact ties: x / 1.0 = 0.5, 1.5, 2.5 round half to even
    lo, hi = pk.validation.QUANTIZED_RANGES[np.dtype(dtype)]
    zero_point = rng.integers(lo, hi + 1, channels)
    q = pk.ops.quantize(x, scale if axis is not None else scale[:1], zero_point if axis is not None else zero_point[:1],
                        dtype, axis=axis, backend=backend)
    s, z = q.channel_params()
    expected = ref.quantize(x, s, z, lo, hi, dtype)
    np.testing.assert_array_equal(q.data, expected)
    y = sentinel_like(shape)
    pk.ops.dequantize(q, out=y, backend=backend)
    np.testing.assert_array_equal(y, ref.dequantize(q.data, s, z))


def test_quantize_rounds_half_to_even_and_saturates():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, np.nan, np.inf, -np.inf, 300.0], np.float32)
    for backend in ALL:
        q = pk.ops.quantize(x, 1.0, 0, np.int8, backend=backend)
        assert q.data.tolist() == [0, 2, 2, 0, -2, 0, 127, -128, 127], backend


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("axis,dtype,activation", [(None, np.int8, None), (1, np.uint8, "relu"), (0, np.uint8, None)])
def test_requantize_bit_exact(backend, axis, dtype, activation, rng):
    x = rng.integers(-2**31, 2**31, (6, 21)).astype(np.int32)
    x[0, :5] = [2**31 - 1, -2**31, 0, 7, -7]
    channels = 1 if axis is None else x.shape[axis]
    multiplier = rng.uniform(1e-9, 1e-6, channels)
    multiplier[0] = 0.5  # exact ties
    zero_point = 3 if activation else rng.integers(0, 100, channels)
    q = pk.ops.requantize(x, multiplier, zero_point, dtype, axis=axis, activation=activation, backend=backend)
    lo, hi = pk.validation.QUANTIZED_RANGES[np.dtype(dtype)]
    shape = [1, 1]
    if axis is not None:
        shape[axis] = -1
    z = np.broadcast_to(np.asarray(zero_point), (channels,)).reshape(shape)
    expected = ref.requantize(x, multiplier.reshape(shape), z, max(lo, 3) if activation else lo, hi, dtype)
    np.testing.assert_array_equal(q, expected)


# --- matmul_int8: bit-exact for every backend ------------------------------------------
# M: 1, the 4-row tile -1/0/+1, the M <= 16 path, several A blocks; N around the 16-column
# panel; K not a multiple of the 4-deep group, and around 4096.
MNK = [(1, 1, 1), (1, 17, 4001), (3, 16, 5), (4, 15, 4), (5, 33, 7), (16, 1, 4000), (17, 31, 4096), (130, 17, 66),
       (2, 64, 1023)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("m,n,k", MNK)
@pytest.mark.parametrize("a_dtype,worst", [(np.uint8, True), (np.int8, True), (np.uint8, False)])
def test_matmul_int8_bit_exact(backend, m, n, k, a_dtype, worst, rng):
    a = codes(rng, (m, k), a_dtype, worst)
    b = codes(rng, (k, n), np.int8, worst)
    weights = pk.ops.pack_int8(b)
    out = np.full((m, n), SENTINEL_I32)
    resolve("gemm_int8", backend)(a, 0, 1.0, 255, weights, out)
    np.testing.assert_array_equal(out, gemm_ref(a, weights))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("worst", [True, False])
def test_matmul_int8_into_out_across_blocks(backend, worst, rng):
    # uint8 A, za = 0, symmetric weights: whole 4 x 16 tiles are stored straight into the
    # caller's out; the 5 tail columns and the 3 tail rows go through the tile buffer.
    # 203 rows of k = 1001 span two 192 KiB A blocks; rows 0..202 of a taller out, as a view.
    m, k, n = 203, 1001, 3 * 16 + 5
    a = codes(rng, (m, k), np.uint8, worst)
    weights = pk.ops.pack_int8(codes(rng, (k, n), np.int8, worst))
    base = np.full((m + 2, n), SENTINEL_I32)
    out = base[1:-1]
    assert pk.ops.matmul_int8(a, weights, out=out, backend=backend) is out
    np.testing.assert_array_equal(out, gemm_ref(a, weights))
    assert (base[0] == SENTINEL_I32).all() and (base[-1] == SENTINEL_I32).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_matmul_int8_saturating_corner(backend):
    # Every pair a0*b0 + a1*b1 = 2 * 255 * 127 or 2 * 255 * -128: far outside int16.
    for a_val, b_val in [(255, 127), (255, -128), (0, -128)]:
        a = np.full((5, 1001), a_val, np.uint8)
        b = np.full((1001, 19), b_val, np.int8)
        np.testing.assert_array_equal(pk.ops.matmul_int8(a, b, backend=backend), np.full((5, 19), a_val * b_val * 1001))
    a = np.full((3, 999), -128, np.int8)
    b = np.full((999, 17), -128, np.int8)
    np.testing.assert_array_equal(pk.ops.matmul_int8(a, b, backend=backend), np.full((3, 17), 16384 * 999))


@pytest.mark.parametrize("backend", BACKENDS)
def test_plain_kernel_range(backend, rng):
    # Activation codes within safe_a_max take the fast kernel: still exact.
    b = codes(rng, (301, 40), np.int8, worst=True)
    weights = pk.ops.pack_int8(b)
    a = rng.choice([0, weights.safe_a_max], size=(9, 301)).astype(np.uint8)
    np.testing.assert_array_equal(pk.ops.matmul_int8(a, weights, backend=backend), gemm_ref(a, weights))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layout", ["a.T", "neg", "step2"])
def test_matmul_int8_strided(backend, layout, rng):
    base = codes(rng, (2 * 23, 2 * 37), np.uint8, worst=True)
    a = {"a.T": np.ascontiguousarray(base[:23, :37].T).T, "neg": base[22::-1, 36::-1],
         "step2": base[::2, ::2][:23, :37]}[layout]
    b = codes(rng, (74, 18), np.int8)[::2]
    np.testing.assert_array_equal(pk.ops.matmul_int8(a, b, backend=backend),
                                  a.astype(np.int64) @ b.astype(np.int64))


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_points_and_empty(backend, rng):
    w = QTensor(codes(rng, (21, 45), np.int8, worst=True), rng.uniform(0.1, 1, 21), rng.integers(-128, 128, 21), axis=0)
    weights = Int8Weights(w)
    a = codes(rng, (6, 45), np.int8, worst=True)
    out = pk.ops.matmul_int8(a, weights, a_zero_point=-100, backend=backend)
    np.testing.assert_array_equal(out, gemm_ref(a, weights, -100))
    assert pk.ops.matmul_int8(np.zeros((0, 45), np.uint8), weights, backend=backend).shape == (0, 21)
    empty_k = pk.ops.matmul_int8(np.zeros((3, 0), np.uint8), np.zeros((0, 4), np.int8), backend=backend)
    np.testing.assert_array_equal(empty_k, np.zeros((3, 4)))


def test_overflow_raised_before_computing():
    a = np.full((1, 66000), 255, np.uint8)
    b = np.full((66000, 1), -128, np.int8)  # 255 * 128 * 66000 > 2^31 - 1
    for backend in ALL:
        with pytest.raises(OverflowError, match="int32 accumulator could overflow"):
            pk.ops.matmul_int8(a, b, backend=backend)
    ok = np.full((65000, 1), -128, np.int8)  # 255 * 128 * 65000 fits: computed exactly
    for backend in BACKENDS:
        assert pk.ops.matmul_int8(a[:, :65000], ok, backend=backend)[0, 0] == -255 * 128 * 65000


# --- linear_int8: fused dequantize / requantize epilogues ------------------------------
def linear_case(rng, m, k, n, per_channel=True, asymmetric=False):
    w = rng.standard_normal((n, k)).astype(np.float32)
    if asymmetric:
        scale, zp = choose_qparams(w.min(axis=1), w.max(axis=1), np.int8)
        weights = Int8Weights(pk.ops.quantize(w, scale, zp, np.int8, axis=0))
    else:
        weights = Int8Weights.from_float(w, per_channel=per_channel)
    x = rng.standard_normal((m, k)).astype(np.float32)
    return x, weights, rng.standard_normal(n).astype(np.float32)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("m,k,n,activation,per_channel,asym", [
    (1, 64, 17, "relu", True, False), (7, 33, 16, "gelu", False, True), (33, 130, 40, None, True, True),
    (4, 1, 3, "sigmoid", True, False), (2, 97, 5, "softmax", True, False)])
def test_linear_int8_float_epilogue(backend, m, k, n, activation, per_channel, asym, rng):
    x, weights, bias = linear_case(rng, m, k, n, per_channel, asym)
    out = sentinel_like((m, n))
    pk.ops.linear_int8(x, weights, bias, activation, out=out, backend=backend)
    x_scale, x_zp = dynamic_qparams(x, weights.safe_a_max, "test")
    s = ref.gemm_s64(ref.quantize(x, x_scale, x_zp, 0, weights.safe_a_max, np.int64), x_zp, weights.data,
                     weights.zero_point)
    scale = np.float32(x_scale) * weights.scale
    fused = "none" if activation == "softmax" else activation

    def expected(dtype):
        y = ref.gemm_int8(s, np.float32, scale, bias, activation=fused, dtype=dtype)
        return pk.reference.activations.softmax(y, dtype=dtype) if activation == "softmax" else y

    assert_close(out, expected(np.float64), expected(np.float32), what=f"{backend} linear_int8")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("m,k,n,activation,asym,strided", [
    (1, 64, 17, "relu", False, False), (7, 33, 16, "gelu", True, True), (70, 130, 40, None, True, False),
    (4, 1, 3, "sigmoid", False, True), (9, 3, 5, "tanh", False, False)])
def test_linear_int8_per_row(backend, m, k, n, activation, asym, strided, rng):
    # x_granularity="row": each row quantized on its own range (a few rows 30x the others, as
    # the tokens a BERT feed-forward output gets), against the reference built from
    # dynamic_row_qparams; any strides.
    x, weights, bias = linear_case(rng, m, k, n, asymmetric=asym)
    x[::3] *= 30
    if strided:
        x = np.asfortranarray(x)
    out = sentinel_like((m, n))
    pk.ops.linear_int8(x, weights, bias, activation, x_granularity="row", out=out, backend=backend)
    scales, zero_points = (p[:, None] for p in dynamic_row_qparams(x, weights.safe_a_max, "test"))
    s = ref.gemm_s64(ref.quantize(x, scales, zero_points, 0, weights.safe_a_max, np.int64), zero_points,
                     weights.data, weights.zero_point)
    scale = scales * weights.scale  # float32: (M, 1) x (N,)

    def expected(dtype):
        return ref.gemm_int8(s, np.float32, scale, bias, activation=activation, dtype=dtype)

    assert_close(out, expected(np.float64), expected(np.float32), what=f"{backend} per-row linear_int8")


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_int8_per_row_keeps_small_rows_precise(backend, rng):
    # One outlier row costs the others their precision with one scale, not with one per row.
    x, weights, bias = linear_case(rng, 16, 256, 32)
    x[0] *= 50
    exact = x[1:].astype(np.float64) @ weights.dequantize().T.astype(np.float64) + bias
    err = {g: np.abs(pk.ops.linear_int8(x, weights, bias, x_granularity=g, backend=backend)[1:] - exact).max()
           for g in ("tensor", "row")}
    assert err["row"] < err["tensor"] / 10, err


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_int8_per_row_nan(backend, rng):
    x, weights, bias = linear_case(rng, 12, 20, 6)
    x[7, 3] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        pk.ops.linear_int8(x, weights, bias, x_granularity="row", backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("out_dtype,activation", [(np.int8, None), (np.uint8, "relu"), (np.int8, "relu")])
def test_linear_int8_requantized_bit_exact(backend, out_dtype, activation, rng):
    x, weights, bias = linear_case(rng, 9, 75, 23, asymmetric=True)
    kw = dict(x_scale=0.02, x_zero_point=100, x_qmax=255, out_dtype=out_dtype, out_scale=0.05,
              out_zero_point=10 if out_dtype == np.uint8 else -7)
    got = pk.ops.linear_int8(x, weights, bias, activation, backend=backend, **kw)
    np.testing.assert_array_equal(got, pk.ops.linear_int8(x, weights, bias, activation, backend="reference", **kw))
    x_codes = pk.ops.quantize(x, 0.02, 100, np.uint8).data  # already-quantized input: the same codes
    np.testing.assert_array_equal(pk.ops.linear_int8(x_codes, weights, bias, activation, backend=backend, **kw), got)


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_int8_batch_dims_and_nan(backend, rng):
    x, weights, bias = linear_case(rng, 12, 20, 6)
    y = pk.ops.linear_int8(x.reshape(3, 4, 20), weights, bias, backend=backend)
    np.testing.assert_allclose(y.reshape(12, 6), pk.ops.linear_int8(x, weights, bias, backend=backend), rtol=0, atol=0)
    x[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        pk.ops.linear_int8(x, weights, bias, backend=backend)


# --- bad input ----------------------------------------------------------------------------
X = np.ones((3, 4), np.float32)


@pytest.mark.parametrize("call,exc,fragment", [
    (lambda: pk.ops.quantize(X, 0.0, 0), ValueError, "scale must be finite and > 0"),
    (lambda: pk.ops.quantize(X, -1.0, 0), ValueError, "scale must be finite and > 0"),
    (lambda: pk.ops.quantize(X, np.nan, 0), ValueError, "scale must be finite and > 0"),
    (lambda: pk.ops.quantize(X, np.inf, 0), ValueError, "scale must be finite and > 0"),
    (lambda: pk.ops.quantize(X, 1.0, 128, np.int8), ValueError, "zero_point must lie in [-128, 127]"),
    (lambda: pk.ops.quantize(X, 1.0, -1, np.uint8), ValueError, "zero_point must lie in [0, 255]"),
    (lambda: pk.ops.quantize(X, np.ones(3), 0, axis=1), ValueError, "scale has 3 values, expected 4"),
    (lambda: pk.ops.quantize(X, np.ones(4), np.zeros(2, int), axis=1), ValueError, "zero_point has 2 values"),
    (lambda: pk.ops.quantize(X, np.ones(4), 0), ValueError, "pass axis for per-channel"),
    (lambda: pk.ops.quantize(X, 1.0, 0.5), TypeError, "zero_point must be integers"),
    (lambda: pk.ops.quantize(X, 1.0, 0, np.int16), TypeError, "dtype must be int8 or uint8"),
    (lambda: pk.ops.quantize(X.astype(np.float64), 1.0, 0), TypeError, "x must be float32"),
    (lambda: QTensor(X, 1.0), TypeError, "data must be int8 or uint8"),
    (lambda: QTensor(np.zeros(3, np.int8), [1.0, 2.0], 0, axis=0), ValueError, "scale has 2 values, expected 3"),
    (lambda: pk.ops.requantize(np.zeros(3, np.int64), 0.5), TypeError, "x must be int32"),
    (lambda: pk.ops.requantize(np.zeros(3, np.int32), 0.0), ValueError, "multiplier must be finite and > 0"),
    (lambda: pk.ops.matmul_int8(X, np.zeros((4, 2), np.int8)), TypeError, "a must be uint8 or int8"),
    (lambda: pk.ops.matmul_int8(np.zeros((3, 4), np.uint8), np.zeros((4, 2), np.uint8)), TypeError, "b must be int8"),
    (lambda: pk.ops.matmul_int8(np.zeros((3, 4), np.uint8), np.zeros((5, 2), np.int8)), ValueError,
     "inner dimensions differ"),
    (lambda: pk.ops.matmul_int8(np.zeros((3, 4), np.uint8), np.zeros((4, 2), np.int8), a_zero_point=256), ValueError,
     "zero_point must lie in [0, 255]"),
    (lambda: pk.ops.linear_int8(X, np.zeros((2, 4), np.int8)), TypeError, "weights must be Int8Weights"),
    (lambda: pk.ops.linear_int8(X, Int8Weights.from_float(np.ones((2, 5), np.float32))), ValueError, "x has 4 features"),
    (lambda: pk.ops.linear_int8(X, Int8Weights.from_float(np.ones((2, 4), np.float32)), activation="gelu",
                                out_dtype=np.int8, out_scale=1.0), ValueError, "unknown activation 'gelu'"),
    (lambda: pk.ops.linear_int8(X, Int8Weights.from_float(np.ones((2, 4), np.float32)), out_dtype=np.int8),
     ValueError, "needs out_scale"),
    (lambda: pk.ops.linear_int8(X, Int8Weights.from_float(np.ones((2, 4), np.float32)), x_scale=0.0), ValueError,
     "scale must be finite and > 0"),
    (lambda: pk.ops.linear_int8(X, Int8Weights.from_float(np.ones((2, 4), np.float32)), x_granularity="col"),
     ValueError, "x_granularity must be 'tensor' or 'row'"),
    (lambda: pk.ops.linear_int8(X, Int8Weights.from_float(np.ones((2, 4), np.float32)), x_granularity="row",
                                x_scale=0.1), ValueError, "x_granularity='row' quantizes float32 x dynamically"),
    (lambda: pk.ops.linear_int8(np.ones((3, 4), np.uint8), Int8Weights.from_float(np.ones((2, 4), np.float32)),
                                x_scale=0.1, x_zero_point=0, x_granularity="row"), ValueError, "x_granularity='row'"),
    (lambda: pk.ops.linear_int8(X, Int8Weights.from_float(np.ones((2, 4), np.float32)), x_granularity="row",
                                out_dtype=np.int8, out_scale=1.0), ValueError, "for a float32 output"),
])
def test_bad_input(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


# --- layers and compress.quantize ----------------------------------------------------------
def small_model(rng):
    model = Sequential([Flatten(), Dense(48, activation="relu"), Sequential([Dense(24, activation="tanh")]), Dense(10)])
    x = rng.standard_normal((64, 6, 6)).astype(np.float32)
    model(x)
    return model, x


@pytest.mark.parametrize("mode,observer", [("dynamic", "minmax"), ("static", "minmax"), ("static", "percentile"),
                                           ("static", "mse")])
def test_compress_quantize(mode, observer, rng):
    model, x = small_model(rng)
    before = [w.copy() for w in model.get_weights()]
    qmodel = pk.compress.quantize(model, x, mode=mode, observer=observer)
    report = qmodel.quantization_report
    assert [e.name for e in report.layers] == [model.layers[1].name, model.layers[2].layers[0].name, model.layers[3].name]
    assert all(isinstance(layer, QuantizedDense) and layer.mode == mode for layer in
               (qmodel.layers[1], qmodel.layers[2].layers[0], qmodel.layers[3]))
    assert all(e.weight_sqnr_db > 35 and e.output_sqnr_db > 25 for e in report.layers), str(report)
    assert report.model_sqnr_db > 25 and report.model_relative_error < 0.06, str(report)
    assert "output SQNR" in str(report)
    for w0, w1 in zip(before, model.get_weights()):
        np.testing.assert_array_equal(w0, w1)  # the float model is untouched
    y = qmodel(x)
    np.testing.assert_allclose(y, model(x), atol=0.15 * np.abs(model(x)).max())


def test_compress_quantize_bad_input(rng):
    model, x = small_model(rng)
    bad = x.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        pk.compress.quantize(model, bad, mode="static")
    bad[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        pk.compress.quantize(model, bad)
    with pytest.raises(ValueError, match="needs calibration_data"):
        pk.compress.quantize(model, mode="static")
    with pytest.raises(ValueError, match="mode must be one of"):
        pk.compress.quantize(model, x, mode="qat")
    with pytest.raises(ValueError, match="unknown observer"):
        pk.compress.quantize(model, x, mode="static", observer="kl")
    with pytest.raises(TypeError, match="must be a Sequential"):
        pk.compress.quantize(Dense(3))
    report = pk.compress.quantize(model).quantization_report  # no data: weight errors only
    assert report.model_sqnr_db is None and all(e.output_sqnr_db is None for e in report.layers)


@pytest.mark.parametrize("backend", ALL)
def test_quantized_dense_static_and_dynamic(backend, rng):
    dense = Dense(16, activation="relu", backend=backend)
    x = rng.standard_normal((10, 40)).astype(np.float32)
    y = dense(x)
    for layer in (QuantizedDense.from_float(dense), QuantizedDense.from_float(dense, input_range=(x.min(), x.max()))):
        np.testing.assert_allclose(layer(x), y, atol=0.05 * np.abs(y).max())
        assert layer.count_params() == dense.count_params()
    assert QuantizedDense.from_float(dense, per_channel=False).weights_int8.qweight.axis is None
