"""conv2d and pooling kernels, ops and layers against the float64 reference, on every backend."""
import itertools
import random

import numpy as np
import pytest

import pykernels as pk
from pykernels import geometry
from pykernels.layers import (AveragePooling2D, Conv2D, Dense, DepthwiseConv2D, Flatten, GlobalAveragePooling2D,
                              MaxPooling2D, Sequential, deserialize, initializers, serialize)
from pykernels.reference import conv as ref
from pykernels.reference.gemm import linear as ref_linear
from pykernels.registry import resolve
from pykernels.testing import assert_close, sentinel_like
from conftest import backends_of, random_f32

BACKENDS = backends_of("conv2d")
POOL_BACKENDS = backends_of("max_pool2d")


def pairwise(axes: dict, seed: int = 0, candidates: int = 60) -> list[dict]:
    """Rows covering every pair of values of every two axes (AETG greedy, deterministic)."""
    names = list(axes)
    uncovered = {(a, va, b, vb) for a, b in itertools.combinations(names, 2) for va in axes[a] for vb in axes[b]}
    rng, rows = random.Random(seed), []
    while uncovered:
        best, gain = None, -1
        for _ in range(candidates):
            row = {n: rng.choice(axes[n]) for n in names}
            g = sum((a, row[a], b, row[b]) in uncovered for a, b in itertools.combinations(names, 2))
            if g > gain:
                best, gain = row, g
        rows.append(best)
        uncovered -= {(a, best[a], b, best[b]) for a, b in itertools.combinations(names, 2)}
    return rows


def make_weights(rng, oc, cg, kh, kw, layout):
    """OIHW weights stored as given: contiguous OIHW, an HWIO (Keras) view, or a negative-stride view."""
    w = random_f32(rng, (oc, cg, kh, kw))
    if layout == "hwio":
        return np.ascontiguousarray(w.transpose(2, 3, 1, 0)).transpose(3, 2, 0, 1)
    if layout == "reversed":
        return np.ascontiguousarray(w[::-1])[::-1]
    return w


def run_conv(backend, x, w, bias, stride, padding, dilation, groups, activation):
    """The kernel on NHWC x, output pre-filled with the sentinel, and the reference pair."""
    n, h, width, c = x.shape
    oc, _, kh, kw = w.shape
    pads = geometry.padding(padding, "test", (h, width), (kh, kw), stride, dilation)
    out_hw = geometry.conv_output("test", (h, width), (kh, kw), stride, pads, dilation)
    out = sentinel_like((n, *out_hw, oc))
    resolve("conv2d", backend)(x, out, w, bias, stride, pads, dilation, groups, activation)
    args = (bias, stride, pads, dilation, groups, activation)
    return out, ref.conv2d(x, w, *args), ref.conv2d(x, w, *args, dtype=np.float32)


# --- conv2d kernels: the parameter space, pairwise -----------------------------------------
CONV_AXES = {
    "stride": [1, 2, 3],
    "dilation": [1, 2],
    "groups": ["1", "2", "depthwise", "multiplier"],
    "padding": [0, 1, (2, 1), (0, 2, 1, 0), "same", "valid"],
    "size": [(7, 7), (11, 8), (5, 13)],
    "channels": [4, 6],
    "batch": [0, 1, 3],
    "kernel": [(3, 3), (1, 1), (2, 3)],
    "weights": ["oihw", "hwio", "reversed"],
    "bias": [True, False],
    "activation": ["none", "relu", "tanh"],
}
CONV_ROWS = pairwise(CONV_AXES)


def conv_case(row, rng):
    c = row["channels"]
    groups, oc = {"1": (1, 5), "2": (2, 6), "depthwise": (c, c), "multiplier": (c, 2 * c)}[row["groups"]]
    kh, kw = row["kernel"]
    x = random_f32(rng, (row["batch"], *row["size"], c))
    w = make_weights(rng, oc, c // groups, kh, kw, row["weights"])
    bias = random_f32(rng, (oc,)) if row["bias"] else None
    s, d = row["stride"], row["dilation"]
    return x, w, bias, (s, s), row["padding"], (d, d), groups, row["activation"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("row", CONV_ROWS, ids=[f"case{i}" for i in range(len(CONV_ROWS))])
def test_conv2d_parameter_space(backend, row, rng):
    case = conv_case(row, rng)
    out, r64, r32 = run_conv(backend, *case)
    assert_close(out, r64, r32, what=f"{backend} conv2d {row}")


# Edges of the fast paths: depthwise 3x3 channel tails (8 per ymm) and pixel tiles of 4,
# the GEMM's 6-row panels and 16-wide columns, K across the 512 block (pixel chunks),
# the first ResNet layer (3 channels, 7x7 stride 2), grouped 1x1.
EDGE_CASES = [
    # (batch, h, w, c, oc, k, stride, pad, groups)
    (1, 9, 10, 1, 1, 3, 1, 1, 1),
    (2, 6, 9, 7, 7, 3, 1, 1, 7),
    (1, 6, 11, 8, 8, 3, 1, 1, 8),
    (1, 5, 12, 9, 9, 3, 1, 1, 9),
    (1, 9, 13, 17, 17, 3, 2, 1, 17),
    (1, 8, 8, 33, 33, 3, 2, "same", 33),
    (1, 5, 5, 16, 16, 3, 1, 4, 16),
    (1, 7, 7, 13, 17, 3, 1, 1, 1),
    (1, 4, 4, 5, 15, 1, 1, 0, 1),
    (1, 4, 4, 5, 16, 1, 1, 0, 1),
    (2, 3, 1, 5, 17, 1, 1, 0, 1),
    (1, 20, 20, 64, 200, 3, 1, 1, 1),
    (1, 23, 23, 3, 16, 7, 2, 3, 1),
    (2, 5, 5, 8, 12, 1, 2, 0, 4),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", EDGE_CASES, ids=lambda c: "x".join(map(str, c)))
def test_conv2d_edges(backend, case, rng):
    n, h, w, c, oc, k, s, pad, groups = case
    x = random_f32(rng, (n, h, w, c))
    weights = make_weights(rng, oc, c // groups, k, k, "oihw")
    out, r64, r32 = run_conv(backend, x, weights, random_f32(rng, (oc,)), (s, s), pad, (1, 1), groups, "relu")
    assert_close(out, r64, r32, what=f"{backend} conv2d {case}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("groups", [1, 8])
def test_conv2d_padding_never_meets_infinity(backend, groups, rng):
    """Padding taps are skipped (or zeros), never 0 * inf = NaN; infinities propagate."""
    x = random_f32(rng, (1, 6, 7, 8))
    x[0, 0, 0, :] = np.inf
    x[0, 5, 6, 3] = -np.inf
    out, r64, r32 = run_conv(backend, x, make_weights(rng, 8, 8 // groups, 3, 3, "oihw"), None, (1, 1), 1,
                             (1, 1), groups, "none")
    assert_close(out, r64, r32, what=f"{backend} conv2d with infinities")


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv2d_op_layouts_views_and_out(backend, rng):
    """channels_first and channels_last agree with the reference; strided inputs; out=."""
    x = random_f32(rng, (2, 5, 9, 8))  # NCHW
    w = random_f32(rng, (6, 5, 3, 3))
    bias = random_f32(rng, (6,))
    nhwc = x.transpose(0, 2, 3, 1)
    r64 = ref.conv2d(nhwc, w, bias, (2, 1), (1, 1, 1, 1), (1, 1), 1, "gelu")
    r32 = ref.conv2d(nhwc, w, bias, (2, 1), (1, 1, 1, 1), (1, 1), 1, "gelu", dtype=np.float32)
    y = pk.ops.conv2d(x, w, bias, (2, 1), 1, activation="gelu", backend=backend)
    assert y.flags.c_contiguous
    assert_close(y.transpose(0, 2, 3, 1), r64, r32)
    y = pk.ops.conv2d(nhwc[:, :, ::-1][:, :, ::-1], w, bias, (2, 1), 1, activation="gelu",
                      data_format="channels_last", backend=backend)
    assert_close(y, r64, r32)
    out = sentinel_like((2, 6, 5, 8))
    assert pk.ops.conv2d(x, w, bias, (2, 1), 1, activation="gelu", out=out, backend=backend) is out
    assert_close(out.transpose(0, 2, 3, 1), r64, r32)
    out = sentinel_like((2, 5, 8, 6))
    pk.ops.conv2d(nhwc, w, bias, (2, 1), 1, activation="gelu", data_format="channels_last", out=out,
                  backend=backend)
    assert_close(out, r64, r32)


def test_same_padding_is_tensorflows():
    # out = ceil(in / stride); the odd pixel of padding goes to the bottom / right
    assert geometry.same_padding(5, 3, 2, 1) == (1, 1)
    assert geometry.same_padding(6, 3, 2, 1) == (0, 1)
    assert geometry.same_padding(7, 1, 3, 1) == (0, 0)
    assert geometry.same_padding(8, 3, 1, 2) == (2, 2)
    assert geometry.padding("same", "t", (6, 5), (3, 3), (2, 2)) == (0, 1, 1, 1)


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
def test_conv2d_matches_torch():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = np.random.default_rng(5)
    x, w, b = random_f32(rng, (2, 6, 10, 11)), random_f32(rng, (9, 2, 3, 2)), random_f32(rng, (9,))
    for kw in ({"stride": 2, "padding": 1, "dilation": 2, "groups": 3}, {"padding": "same", "groups": 3}):
        ours = pk.ops.conv2d(x, w, b, **kw)
        theirs = functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_conv2d_threads_agree(rng):
    x, w = random_f32(rng, (2, 12, 12, 16)), random_f32(rng, (24, 16, 3, 3))
    dw = random_f32(rng, (16, 1, 3, 3))
    before = pk.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            pk.set_num_threads(threads)
            results.append((pk.ops.conv2d(x, w, padding=1, data_format="channels_last"),
                            pk.ops.conv2d(x, dw, padding=1, groups=16, data_format="channels_last")))
    finally:
        pk.set_num_threads(before)
    for one, two in zip(*results):
        np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-5)


def test_keras_weight_helpers(rng):
    hwio = random_f32(rng, (3, 2, 4, 5))
    oihw = pk.ops.oihw_from_hwio(hwio)
    assert oihw.shape == (5, 4, 3, 2) and np.shares_memory(oihw, hwio)
    assert oihw[1, 2, 0, 1] == hwio[0, 1, 2, 1]
    depthwise = random_f32(rng, (3, 3, 4, 2))  # (kh, kw, channels, multiplier)
    oihw = pk.ops.oihw_from_keras_depthwise(depthwise)
    assert oihw.shape == (8, 1, 3, 3) and oihw[2 * 3 + 1, 0, 2, 0] == depthwise[2, 0, 3, 1]


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, message", [
    ({"stride": 0}, ValueError, "stride must be >= 1, got 0"),
    ({"stride": (1, -2)}, ValueError, "stride must be >= 1, got -2"),
    ({"dilation": 0}, ValueError, "dilation must be >= 1, got 0"),
    ({"groups": 0}, ValueError, "groups must be >= 1, got 0"),
    ({"groups": 4}, ValueError, "in_channels 6 and out_channels 8 must both be divisible by groups 4"),
    ({"groups": 2}, ValueError, "expects 6 x groups 2 = 12 input channels, x has 6"),
    ({"w_shape": (8, 5, 3, 3)}, ValueError, "expects 5 x groups 1 = 5 input channels, x has 6"),
    ({"w_shape": (8, 6, 9, 3)}, ValueError, "extent 9) is larger than the padded input height 7 + 0 + 0 = 7"),
    ({"dilation": 4}, ValueError, "extent 9) is larger than the padded input height 7 + 0 + 0 = 7"),
    ({"padding": -1}, ValueError, "padding must be >= 0, got -1"),
    ({"padding": "full"}, ValueError, "padding must be 'valid', 'same'"),
    ({"padding": (1, 2, 3)}, ValueError, "padding must be an int, a pair or (top, bottom, left, right)"),
    ({"bias_shape": (7,)}, ValueError, "bias has shape (7,), expected (8,)"),
    ({"activation": "softmax"}, ValueError, "unknown activation 'softmax'"),
    ({"data_format": "NCHW"}, ValueError, "data_format must be one of"),
    ({"x_dtype": np.float64}, TypeError, "x must be float32, got float64"),
    ({"w_dtype": np.int32}, TypeError, "w must be float32, got int32"),
    ({"x_shape": (6, 7, 7)}, ValueError, "x must be 4-D"),
])
def test_conv2d_bad_input(kwargs, error, message):
    kwargs = dict(kwargs)
    x = np.zeros(kwargs.pop("x_shape", (2, 6, 7, 7)), kwargs.pop("x_dtype", np.float32))
    w = np.zeros(kwargs.pop("w_shape", (8, 6, 3, 3)), kwargs.pop("w_dtype", np.float32))
    bias = np.zeros(kwargs.pop("bias_shape"), np.float32) if "bias_shape" in kwargs else None
    with pytest.raises(error) as info:
        pk.ops.conv2d(x, w, bias, **kwargs)
    assert message in str(info.value)


def test_native_checks_what_it_relies_on():
    from pykernels import _C
    x, y = np.zeros((1, 5, 5, 3), np.float32), np.zeros((1, 3, 3, 4), np.float32)
    with pytest.raises(ValueError, match="in_c 3 and out_c 4 must be divisible by groups 3"):
        _C.conv2d_f32_nhwc(x, np.zeros((4, 1, 3, 3), np.float32), y, None, (1, 1), (0, 0, 0, 0), (1, 1), 3, 0)
    with pytest.raises(ValueError, match="padding must be smaller than the window"):
        _C.max_pool2d_f32_nhwc(x, np.zeros((1, 3, 3, 3), np.float32), (2, 2), (2, 2), (2, 0, 0, 0))


# --- pooling ----------------------------------------------------------------------------------
POOL_AXES = {
    "kernel": [(2, 2), (3, 3), (2, 3), (1, 1)],
    "stride": [None, 1, 2, (3, 2)],
    "padding": [0, 1, (0, 1, 1, 0), "same", "valid"],
    "ceil_mode": [False, True],
    "count_include_pad": [True, False],
    "size": [(7, 7), (8, 5), (1, 1)],
    "channels": [3, 8, 37],
    "batch": [0, 1, 2],
}
POOL_ROWS = pairwise(POOL_AXES, seed=1)


def _pool_geometry(row):
    """(size, kernel, stride, pads) of a row; a row whose padding is not smaller than its
    window runs unpadded, and an input smaller than the window grows to fit it."""
    kernel = row["kernel"]
    stride = kernel if row["stride"] is None else geometry.pair(row["stride"], "t", "stride")
    size = tuple(max(s, k) for s, k in zip(row["size"], kernel))
    pads = geometry.padding(row["padding"], "t", size, kernel, stride)
    if max(pads[:2]) >= kernel[0] or max(pads[2:]) >= kernel[1]:
        pads = (0, 0, 0, 0)
    return size, kernel, stride, pads


@pytest.mark.parametrize("backend", POOL_BACKENDS)
@pytest.mark.parametrize("row", POOL_ROWS, ids=[f"case{i}" for i in range(len(POOL_ROWS))])
def test_pooling_parameter_space(backend, row, rng):
    size, kernel, stride, pads = _pool_geometry(row)
    x = random_f32(rng, (row["batch"], *size, row["channels"]))
    ceil = row["ceil_mode"]
    out_hw = geometry.pool_output("t", size, kernel, stride, pads, ceil)
    out = sentinel_like((row["batch"], *out_hw, row["channels"]))
    resolve("max_pool2d", backend)(x, out, kernel, stride, pads, ceil)
    np.testing.assert_array_equal(out, ref.max_pool2d(x, kernel, stride, pads, ceil).astype(np.float32))
    cip = row["count_include_pad"]
    out = sentinel_like(out.shape)
    resolve("avg_pool2d", backend)(x, out, kernel, stride, pads, ceil, cip)
    assert_close(out, ref.avg_pool2d(x, kernel, stride, pads, ceil, cip),
                 ref.avg_pool2d(x, kernel, stride, pads, ceil, cip, dtype=np.float32))


@pytest.mark.parametrize("backend", POOL_BACKENDS)
def test_max_pool_propagates_nan(backend):
    x = np.zeros((1, 4, 4, 11), np.float32)
    x[0, 1, 1, 3] = np.nan
    x[0, 0, 0, 3] = 5.0  # a larger value after the NaN in window order must not hide it
    x[0, 3, 3, :] = np.inf
    y = pk.ops.max_pool2d(x, 2, data_format="channels_last", backend=backend)
    assert np.isnan(y[0, 0, 0, 3]) and np.isnan(y).sum() == 1 and (y[0, 1, 1] == np.inf).all()


@pytest.mark.parametrize("backend", POOL_BACKENDS)
@pytest.mark.parametrize("shape", [(2, 7, 5, 37), (1, 1, 1, 8), (0, 3, 3, 4)])
def test_global_avg_pool(backend, shape, rng):
    x = random_f32(rng, shape)
    y = pk.ops.global_avg_pool2d(x, data_format="channels_last", backend=backend)
    assert_close(y, ref.global_avg_pool2d(x), ref.global_avg_pool2d(x, dtype=np.float32))
    nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    y = pk.ops.global_avg_pool2d(nchw, keepdims=True, backend=backend)
    assert y.shape == (shape[0], shape[3], 1, 1)
    assert_close(y[:, :, 0, 0], ref.global_avg_pool2d(x), ref.global_avg_pool2d(x, dtype=np.float32))


def test_pooling_matches_torch():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    x = random_f32(np.random.default_rng(3), (2, 5, 10, 9))
    tx = torch.from_numpy(x)
    for kernel, stride, pad in ((3, 2, 1), (2, 2, 0), ((3, 2), (2, 3), (1, 1))):
        for ceil in (False, True):
            np.testing.assert_array_equal(pk.ops.max_pool2d(x, kernel, stride, pad, ceil),
                                          functional.max_pool2d(tx, kernel, stride, pad, ceil_mode=ceil).numpy())
            for cip in (False, True):
                theirs = functional.avg_pool2d(tx, kernel, stride, pad, ceil_mode=ceil, count_include_pad=cip)
                np.testing.assert_allclose(pk.ops.avg_pool2d(x, kernel, stride, pad, ceil, cip), theirs.numpy(),
                                           rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"kernel_size": 0}, ValueError, "kernel_size must be >= 1, got 0"),
    ({"stride": 0}, ValueError, "stride must be >= 1, got 0"),
    ({"padding": 2}, ValueError, "padding (2, 2) must be smaller than the pool size 2"),
    ({"kernel_size": 9}, ValueError, "extent 9) is larger than the padded input height 7"),
    ({"ceil_mode": 1}, TypeError, "ceil_mode must be a bool"),
    ({"x_dtype": np.float16}, TypeError, "x must be float32, got float16"),
])
def test_pooling_bad_input(kwargs, error, message):
    kwargs = {"kernel_size": 2, **kwargs}
    x = np.zeros((1, 3, 7, 7), kwargs.pop("x_dtype", np.float32))
    with pytest.raises(error) as info:
        pk.ops.max_pool2d(x, **kwargs)
    assert message in str(info.value)


# --- layers ------------------------------------------------------------------------------------
def classic_cnn(backend="auto"):
    """Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(64, relu) -> Dense(10, softmax)."""
    seeded = [initializers.GlorotUniform(seed) for seed in range(6)]
    return Sequential([
        Conv2D(32, 3, activation="relu", kernel_initializer=seeded[0], bias_initializer=seeded[1]),
        MaxPooling2D(2),
        Flatten(),
        Dense(64, activation="relu", kernel_initializer=seeded[2], bias_initializer=seeded[3]),
        Dense(10, activation="softmax", kernel_initializer=seeded[4], bias_initializer=seeded[5]),
    ], backend=backend)


def classic_cnn_reference(model, x, dtype):
    kernel, b1, k2, b2, k3, b3 = model.get_weights()
    h = ref.conv2d(x, kernel.transpose(3, 2, 0, 1), b1, activation="relu", dtype=dtype)
    h = ref.max_pool2d(h, (2, 2), (2, 2), dtype=dtype)
    h = ref_linear(h.reshape(len(x), -1), k2.T, b2, "relu", dtype=dtype)
    return ref_linear(h, k3.T, b3, "softmax", dtype=dtype)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n", [1, 3])
def test_classic_cnn_matches_reference(backend, n, rng):
    model = classic_cnn(backend)
    x = random_f32(rng, (n, 64, 64, 3))
    y = model(x)
    assert y.shape == (n, 10)
    assert_close(y, classic_cnn_reference(model, x, np.float64), classic_cnn_reference(model, x, np.float32))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for expected in ("(None, 62, 62, 32)", "896", "(None, 31, 31, 32)", "(None, 30752)", "1,968,192",
                     "Total params: 1,969,738"):
        assert expected in text


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv_layers_channels_first_and_depthwise(backend, rng):
    x = random_f32(rng, (2, 6, 9, 8))  # NCHW: 6 channels, 9 x 8 pixels
    conv = Conv2D(4, (3, 2), strides=2, padding="same", groups=2, data_format="channels_first", use_bias=False,
                  activation="tanh", backend=backend)
    y = conv(x)
    assert y.shape == conv.compute_output_shape(x.shape) == (2, 4, 5, 4)
    nhwc = x.transpose(0, 2, 3, 1)
    w = pk.ops.oihw_from_hwio(conv.kernel)
    pads = geometry.padding("same", "t", (9, 8), (3, 2), (2, 2))
    args = (None, (2, 2), pads, (1, 1), 2, "tanh")
    assert_close(y.transpose(0, 2, 3, 1), ref.conv2d(nhwc, w, *args), ref.conv2d(nhwc, w, *args, dtype=np.float32))

    dw = DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu", backend=backend,
                         bias_initializer=initializers.GlorotUniform(1))
    y = dw(nhwc)
    assert y.shape == (2, 9, 8, 12) and dw.depthwise_kernel.shape == (3, 3, 6, 2)
    w = pk.ops.oihw_from_keras_depthwise(dw.depthwise_kernel)
    args = (dw.bias, (1, 1), (1, 1, 1, 1), (1, 1), 6, "relu")
    assert_close(y, ref.conv2d(nhwc, w, *args), ref.conv2d(nhwc, w, *args, dtype=np.float32))


@pytest.mark.parametrize("backend", POOL_BACKENDS)
def test_pooling_layers(backend, rng):
    x = random_f32(rng, (2, 7, 7, 5))
    y = AveragePooling2D(2, padding="same", backend=backend)(x)  # Keras: padding not counted
    assert_close(y, ref.avg_pool2d(x, (2, 2), (2, 2), (0, 1, 0, 1), count_include_pad=False),
                 ref.avg_pool2d(x, (2, 2), (2, 2), (0, 1, 0, 1), count_include_pad=False, dtype=np.float32))
    pool = MaxPooling2D((3, 2), strides=(2, 1), backend=backend)
    assert pool(x).shape == pool.compute_output_shape(x.shape) == (2, 3, 6, 5)
    gap = GlobalAveragePooling2D(keepdims=True, backend=backend)
    assert gap(x).shape == (2, 1, 1, 5) and gap.compute_output_shape((None, 7, 7, 5)) == (None, 1, 1, 5)


def test_layer_shapes_config_and_errors():
    model = Sequential([Conv2D(8, 3, strides=2, padding="same"), DepthwiseConv2D(3), MaxPooling2D(),
                        GlobalAveragePooling2D()])
    assert model.compute_output_shape((None, 32, 32, 3)) == (None, 8)
    assert Conv2D(8, 3).compute_output_shape((None, None, None, 3)) == (None, None, None, 8)
    for layer in model.layers:
        twin = deserialize(serialize(layer))
        assert type(twin) is type(layer) and twin.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="filters 6 must be divisible by groups 4"):
        Conv2D(6, 3, groups=4)
    with pytest.raises(ValueError, match="padding must be 'valid', 'same'"):
        MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="input channels 6 must be divisible by groups 4"):
        Conv2D(8, 3, groups=4)(np.zeros((1, 5, 5, 6)))
    conv = Conv2D(8, 3)
    conv(np.zeros((1, 5, 5, 3)))
    with pytest.raises(ValueError, match="expected axis -1 of the input to be 3"):
        conv(np.zeros((1, 5, 5, 4)))
