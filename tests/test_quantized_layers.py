"""Quantized conv2d (ops.conv2d_int8: integer results bit-exact against the int64
reference on every backend), QuantizedConv2D / QuantizedLSTM / QuantizedMultiHeadAttention,
compress.quantize on Sequential and functional models, the statically quantized digits
CNN, and what the profiler sees of quantized layers."""
import numpy as np
import pytest

import pykernels as pk
from pykernels import geometry
from pykernels.compress import quantize
from pykernels.formats import Int8ConvWeights, Int8Weights, QTensor
from pykernels.layers import (LSTM, Concatenate, Conv2D, Dense, Flatten, Input, Model, MultiHeadAttention,
                              QuantizedConv2D, QuantizedDense, Sequential)
from pykernels.registry import resolve
from pykernels.testing import assert_close, sentinel_like
from conftest import backends_of

BACKENDS = backends_of("conv2d_int8")
SENTINEL = -123456789


def raw_weights(rng, kernel, cg, filters, groups, worst=False, zero_point=False):
    """Int8ConvWeights of random (or saturating: +-127 / -128) codes, optionally with zero points."""
    taps = kernel[0] * kernel[1] * cg
    parts = []
    for _ in range(groups):
        w = (rng.choice([127, -128], size=(filters // groups, taps)) if worst
             else rng.integers(-128, 128, size=(filters // groups, taps))).astype(np.int8)
        zp = rng.integers(-5, 6, size=filters // groups) if zero_point else 0
        parts.append(Int8Weights(QTensor(w, np.full(filters // groups, 0.01, np.float32), zp, 0)))
    return Int8ConvWeights(tuple(parts), kernel, cg * groups)


# (batch, h, w, c, filters, kernel, stride, padding, dilation, groups): 1x1, 3x3 "same",
# stride 2, dilation 2, asymmetric padding, groups 2, depthwise, 7x7 stride 2, batch 0.
CASES = [(2, 9, 7, 6, 10, (3, 3), (1, 1), "same", (1, 1), 1),
         (1, 5, 6, 3, 17, (1, 1), (1, 1), 0, (1, 1), 1),
         (1, 8, 8, 8, 32, (3, 3), (2, 2), 1, (1, 1), 2),
         (1, 10, 11, 5, 4, (3, 2), (1, 2), (2, 0, 1, 3), (2, 1), 1),
         (2, 6, 6, 4, 8, (3, 3), (1, 1), 1, (1, 1), 4),
         (1, 15, 15, 3, 16, (7, 7), (2, 2), 3, (1, 1), 1),
         (0, 5, 5, 4, 4, (3, 3), (1, 1), 1, (1, 1), 1)]


def run_kernel(backend, x, zp, weights, out_dtype, case, **epilogue):
    _, h, w, _, filters, kernel, stride, padding, dilation, groups = case
    pads = geometry.padding(padding, "test", (h, w), kernel, stride, dilation)
    out_hw = geometry.conv_output("test", (h, w), kernel, stride, pads, dilation)
    out = np.full((x.shape[0], *out_hw, filters), SENTINEL if out_dtype == np.int32 else 77, out_dtype)
    og = filters // groups
    for g, part in enumerate(weights.groups):
        kw = {k: (v[g * og:(g + 1) * og] if isinstance(v, np.ndarray) else v) for k, v in epilogue.items()}
        resolve("conv2d_int8", backend)(x, zp, 0.02, part, out, kernel, stride, pads, dilation, groups, g, **kw)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[:5])) + f"k{c[5][0]}{c[5][1]}g{c[9]}")
def test_conv2d_int8_s32_bit_exact(backend, case, rng):
    n, h, w, c, filters, kernel, _, _, _, groups = case
    worst = case is CASES[0]
    x = (rng.choice([0, 255], size=(n, h, w, c)) if worst else rng.integers(0, 256, (n, h, w, c))).astype(np.uint8)
    weights = raw_weights(rng, kernel, c // groups, filters, groups, worst=worst, zero_point=case is CASES[3])
    zp = 255 if worst else 37
    got = run_kernel(backend, x, zp, weights, np.int32, case)
    np.testing.assert_array_equal(got, run_kernel("reference", x, zp, weights, np.int32, case))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("out_dtype,activation", [(np.uint8, "relu"), (np.int8, None)])
def test_conv2d_int8_requantized_bit_exact(backend, out_dtype, activation, rng):
    x = rng.standard_normal((2, 7, 9, 6)).astype(np.float32)
    weights = Int8ConvWeights.from_float(rng.standard_normal((3, 3, 3, 12)).astype(np.float32), groups=2)
    kw = dict(x_scale=0.03, x_zero_point=60, out_dtype=out_dtype, out_scale=0.05,
              out_zero_point=3 if out_dtype == np.uint8 else -4)
    bias = rng.standard_normal(12).astype(np.float32)
    got = pk.ops.conv2d_int8(x, weights, bias, 2, "same", 1, activation, backend=backend, **kw)
    want = pk.ops.conv2d_int8(x, weights, bias, 2, "same", 1, activation, backend="reference", **kw)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation,static", [("relu", True), ("gelu", False), (None, False)])
def test_conv2d_int8_float_epilogue(backend, activation, static, rng):
    x = rng.standard_normal((2, 8, 6, 5)).astype(np.float32)
    weights = Int8ConvWeights.from_float(rng.standard_normal((3, 3, 5, 19)).astype(np.float32))
    bias = rng.standard_normal(19).astype(np.float32)
    kw = dict(x_scale=0.02, x_zero_point=70) if static else {}
    out = sentinel_like((2, 8, 6, 19))
    pk.ops.conv2d_int8(x, weights, bias, 1, "same", 1, activation, out=out, backend=backend, **kw)
    codes, scale, zp = pk.ops.int8_conv.quantize_activations(x, weights.safe_a_max, kw.get("x_scale"),
                                                             kw.get("x_zero_point"), "test")
    s = run_kernel("reference", codes, zp, weights, np.int32, (2, 8, 6, 5, 19, (3, 3), (1, 1), "same", (1, 1), 1))
    y = {dt: pk.reference.int8.gemm_int8(s.astype(np.int64), np.float32, scale * weights.scale, bias,
                                         activation=activation, dtype=dt) for dt in (np.float64, np.float32)}
    assert_close(out, y[np.float64], y[np.float32], what=f"{backend} conv2d_int8")


def test_conv2d_int8_close_to_float_conv_channels_first(rng):
    x = rng.standard_normal((2, 4, 9, 9)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 4, 8)).astype(np.float32)
    float_y = pk.ops.conv2d(x, pk.ops.oihw_from_hwio(kernel), None, 1, 1)
    y = pk.ops.conv2d_int8(x, Int8ConvWeights.from_float(kernel), None, 1, 1, data_format="channels_first")
    assert y.shape == float_y.shape
    assert np.linalg.norm(y - float_y) / np.linalg.norm(float_y) < 0.02


@pytest.mark.parametrize("call,exc,fragment", [
    (lambda w, x: pk.ops.conv2d_int8(x.astype(np.int8), w), TypeError, "float32 or uint8"),
    (lambda w, x: pk.ops.conv2d_int8(x[..., :2], w), ValueError, "channels"),
    (lambda w, x: pk.ops.conv2d_int8(x, w.groups[0]), TypeError, "Int8ConvWeights"),
    (lambda w, x: pk.ops.conv2d_int8(np.full_like(x, np.nan), w), ValueError, "NaN"),
    (lambda w, x: pk.ops.conv2d_int8(x, w, x_scale=0.0), ValueError, "scale"),
    (lambda w, x: pk.ops.conv2d_int8(x, w, x_scale=0.1, x_zero_point=300), ValueError, "zero"),
    (lambda w, x: pk.ops.conv2d_int8((x * 0).astype(np.uint8), w), ValueError, "x_scale"),
    (lambda w, x: pk.ops.conv2d_int8(x, w, padding="valid", stride=0), ValueError, "stride"),
    (lambda w, x: pk.ops.conv2d_int8(x[:, :1, :1], w), ValueError, "window"),
    (lambda w, x: pk.ops.conv2d_int8(x, w, out_dtype=np.uint8), ValueError, "out_scale"),
])
def test_conv2d_int8_bad_input(call, exc, fragment, rng):
    weights = Int8ConvWeights.from_float(rng.standard_normal((3, 3, 3, 4)).astype(np.float32))
    with pytest.raises(exc, match=fragment):
        call(weights, rng.standard_normal((1, 5, 5, 3)).astype(np.float32))


# --- layers and compress.quantize ------------------------------------------------------
def test_digits_cnn_static_int8_keeps_accuracy():
    pytest.importorskip("sklearn")
    from pykernels.models import digits_cnn

    (x_train, _), (x_test, y_test) = digits_cnn.load_data()
    model = digits_cnn.build("float")
    qmodel = quantize(model, x_train[:256], mode="static")
    assert [type(l).__name__ for l in qmodel.layers][:3] == ["QuantizedConv2D", "MaxPooling2D", "QuantizedConv2D"]
    float_acc = float((model(x_test).argmax(1) == y_test).mean())
    int8_acc = float((qmodel(x_test).argmax(1) == y_test).mean())
    assert int8_acc >= float_acc - 0.01, (float_acc, int8_acc)


@pytest.mark.parametrize("mode", ["dynamic", "static"])
def test_quantized_conv2d_layer(mode, rng):
    conv = Conv2D(12, 3, strides=2, padding="same", activation="relu", groups=2, name="c")
    x = rng.random((3, 10, 10, 4)).astype(np.float32)
    ref = conv(x)
    twin = QuantizedConv2D.from_float(conv, input_range=(0.0, 1.0) if mode == "static" else None)
    assert twin.mode == mode and twin.compute_output_shape((None, 10, 10, 4)) == (None, 5, 5, 12)
    assert np.linalg.norm(twin(x) - ref) / np.linalg.norm(ref) < 0.02
    info = twin.profile_info()
    assert info["bits"] == 8 and mode in info["why"] and "u8s8" in info["why"]
    dense = twin.float_equivalent()
    assert isinstance(dense, Conv2D) and np.linalg.norm(dense(x) - ref) / np.linalg.norm(ref) < 0.02


def test_quantized_lstm_and_attention_in_sequential(rng):
    model = Sequential([MultiHeadAttention(2, 8), LSTM(6, return_sequences=True, bidirectional=True), LSTM(5)])
    x = rng.standard_normal((3, 7, 16)).astype(np.float32)
    ref = model(x)
    qmodel = quantize(model, x)
    kinds = [type(l).__name__ for l in qmodel.layers]
    assert kinds == ["QuantizedMultiHeadAttention", "QuantizedLSTM", "QuantizedLSTM"]
    assert qmodel.quantization_report.model_relative_error < 0.05
    assert np.linalg.norm(qmodel(x) - ref) / np.linalg.norm(ref) < 0.05
    for layer in qmodel.layers:
        equivalent = layer.float_equivalent()
        assert type(equivalent).__name__ in ("MultiHeadAttention", "LSTM") and layer.profile_info()["bits"] == 8


def test_quantized_lstm_masks_and_states(rng):
    lstm = LSTM(8, return_sequences=True, return_state=True, bidirectional=True, go_backwards=True)
    x = rng.standard_normal((4, 6, 5)).astype(np.float32)
    mask = np.arange(6)[None, :] < np.array([6, 3, 1, 5])[:, None]
    ref = lstm(x, mask=mask)
    got = quantize(Sequential([lstm]), x).layers[0](x, mask=mask)
    assert len(got) == len(ref) == 5
    for r, g in zip(ref, got):
        assert r.shape == g.shape and np.linalg.norm(g - r) / np.linalg.norm(r) < 0.05
    assert (got[0][1, 3:] == 0).all()  # past its length the output is zero


def test_lstm_int8_bad_input(rng):
    w = Int8Weights.from_float(rng.standard_normal((8, 3)).astype(np.float32))
    h = Int8Weights.from_float(rng.standard_normal((8, 2)).astype(np.float32))
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="w_ih"):
        pk.ops.lstm_int8(x[..., :2], [(w, h, np.zeros(8, np.float32))])
    with pytest.raises(ValueError, match="lengths"):
        pk.ops.lstm_int8(x, [(w, h, np.zeros(8, np.float32))], lengths=[5, 1])
    with pytest.raises(TypeError, match="Int8Weights"):
        pk.ops.lstm_int8(x, [(w.data, h, np.zeros(8, np.float32))])


@pytest.mark.parametrize("mode", ["dynamic", "static"])
def test_quantize_functional_model(mode, rng):
    image, seq = Input((8, 8, 1), name="image"), Input((5, 16), name="seq")
    features = Flatten()(Conv2D(8, 3, padding="same", activation="relu")(image))
    o = Dense(3)(Concatenate()([features, LSTM(12)(seq)]))
    model = Model([image, seq], o, name="two_inputs")
    xs = [rng.random((4, 8, 8, 1)).astype(np.float32), rng.standard_normal((4, 5, 16)).astype(np.float32)]
    ref = model(xs)
    qmodel = quantize(model, xs, mode=mode)
    assert isinstance(qmodel, Model) and qmodel.name == "two_inputs_int8"
    assert [type(l).__name__ for l in qmodel.layers] == ["QuantizedConv2D", "Flatten", "QuantizedLSTM",
                                                         "Concatenate", "QuantizedDense"]
    assert len(qmodel.quantization_report.layers) == 3
    assert np.linalg.norm(qmodel(xs) - ref) / np.linalg.norm(ref) < 0.05
    assert model.layers[0].kernel.dtype == np.float32  # the original is untouched


def test_profiler_sees_int8_layers(rng):
    model = Sequential([Conv2D(8, 3, padding="same", activation="relu"), Flatten(), Dense(4)])
    x = rng.random((2, 6, 6, 3)).astype(np.float32)
    model(x)
    profile = pk.profile(quantize(model, x, mode="static"), x, repeat=1)
    rows = {row.kind: row for row in profile.layers}
    for kind in ("QuantizedConv2D", "QuantizedDense"):
        assert rows[kind].bits == 8 and rows[kind].dense_seconds is not None and rows[kind].flops > 0
    assert "static" in rows["QuantizedConv2D"].why
    assert rows["QuantizedConv2D"].flops >= 2 * 2 * 36 * 27 * 8
