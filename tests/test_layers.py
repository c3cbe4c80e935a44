"""Layers: Dense, Flatten, Activation and Sequential against the reference, on every backend."""
import numpy as np
import pytest

from pykernels.layers import Activation, Dense, Flatten, Sequential, initializers
from pykernels.reference.activations import activate
from pykernels.reference.gemm import linear as ref_linear
from pykernels.registry import backend_names
from pykernels.testing import assert_close

BACKENDS = backend_names("gemm")
INPUT_SHAPE = (4, 4, 3)  # 48 features after Flatten


def mlp(backend=None, seed=0, prefix=""):
    """Flatten -> Dense 64 relu -> Dense 10 softmax, named and seeded for exact assertions."""
    return Sequential([
        Flatten(name=prefix + "flatten"),
        Dense(64, activation="relu", kernel_initializer=initializers.GlorotUniform(seed),
              bias_initializer=initializers.GlorotUniform(seed + 1), name=prefix + "hidden"),
        Dense(10, activation="softmax", kernel_initializer=initializers.GlorotUniform(seed + 2),
              bias_initializer=initializers.GlorotUniform(seed + 3), name=prefix + "probs"),
    ], name=prefix + "mlp", backend=backend)


def mlp_reference(model, x, dtype):
    """The MLP computed by pykernels.reference from the model's weights (Keras kernel = w.T)."""
    k1, b1, k2, b2 = model.get_weights()
    h = ref_linear(np.asarray(x).reshape(len(x), -1), k1.T, b1, "relu", dtype=dtype)
    return ref_linear(h, k2.T, b2, "softmax", dtype=dtype)


def batch(n, seed=0):
    return np.random.default_rng(seed).standard_normal((n,) + INPUT_SHAPE)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n", [1, 8, 37])
def test_mlp_matches_reference(backend, n):
    model = mlp(backend)
    x = batch(n).astype(np.float32)
    y = model(x)
    assert y.dtype == np.float32 and y.shape == (n, 10)
    assert [layer.backend for layer in model.layers] == [backend] * 3
    assert_close(y, mlp_reference(model, x, np.float64), mlp_reference(model, x, np.float32), what=f"mlp[{backend}]")


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_zero(backend):
    model = mlp(backend)
    y = model(np.zeros((0,) + INPUT_SHAPE, np.float32))
    assert y.shape == (0, 10) and y.dtype == np.float32


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "gelu", "softmax"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_on_3d_input(backend, activation, use_bias):
    layer = Dense(7, activation=activation, use_bias=use_bias, bias_initializer="ones", backend=backend)
    x = np.random.default_rng(1).standard_normal((3, 5, 11)).astype(np.float32)
    y = layer(x)
    assert layer.kernel.shape == (11, 7) and y.shape == (3, 5, 7)
    assert (layer.bias is not None) == use_bias and len(layer.weights) == 1 + use_bias
    ref = [ref_linear(x, layer.kernel.T, layer.bias, activation, dtype=d) for d in (np.float64, np.float32)]
    assert_close(y, *ref, what=f"Dense {activation}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "gelu", "softmax", "linear"])
def test_activation_layer(backend, name):
    x = np.random.default_rng(2).standard_normal((4, 9)).astype(np.float32) * 3
    y = Activation(name, backend=backend)(x)
    assert_close(y, activate(x, name), activate(x, name, dtype=np.float32), what=f"Activation {name}")


def test_flatten_shapes():
    flatten = Flatten()
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(flatten(x), x.reshape(2, 12))
    assert flatten(np.ones(5)).shape == (5, 1)
    assert flatten.compute_output_shape((None, 3, None)) == (None, None)
    assert flatten.compute_output_shape((None, 2, 3, 4)) == (None, 24)


def test_summary_lists_layers_shapes_and_params():
    model = mlp()
    assert model.compute_output_shape((None,) + INPUT_SHAPE) == (None, 10)
    with pytest.raises(ValueError, match="summary needs a built model"):
        model.summary()
    model.build((None,) + INPUT_SHAPE)
    lines = []
    model.summary(print_fn=lines.append)
    assert lines == [
        'Model: "mlp"',
        "_" * 46,
        " Layer (type)        Output Shape   Param #",
        "=" * 46,
        " flatten (Flatten)   (None, 48)     0",
        " hidden (Dense)      (None, 64)     3,136",
        " probs (Dense)       (None, 10)     650",
        "=" * 46,
        "Total params: 3,786",
    ]
    assert model.count_params() == 48 * 64 + 64 + 64 * 10 + 10 == 3786
    assert [w.shape for w in model.get_weights()] == [(48, 64), (64,), (64, 10), (10,)]


def test_get_set_weights_round_trip():
    source, target = mlp(seed=0), mlp(seed=10, prefix="other_")
    x = batch(5).astype(np.float32)
    source(x), target(x)
    assert not np.array_equal(source(x), target(x))
    target.set_weights(source.get_weights())
    np.testing.assert_array_equal(target(x), source(x))
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)
    copies = source.get_weights()
    copies[0][...] = 0  # get_weights returns copies
    assert np.abs(source.get_weights()[0]).max() > 0
    source.layers[1].set_weights([np.ones((48, 64), np.int64), np.zeros(64)])  # ints are cast
    assert source.layers[1].kernel.dtype == np.float32 and (source.layers[1].kernel == 1).all()


def test_set_weights_rejects_bad_input_and_writes_nothing():
    model = mlp()
    model.build((None,) + INPUT_SHAPE)
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"expected 4 arrays .*hidden/kernel \(48, 64\).*got 3"):
        model.set_weights(before[:3])
    wrong = [w.copy() for w in before]
    wrong[0] = np.zeros((64, 48))
    with pytest.raises(ValueError, match=r"Dense 'hidden': weight 'kernel' has shape \(48, 64\), got \(64, 48\)"):
        model.set_weights(wrong)
    wrong = [np.zeros_like(w) for w in before]
    wrong[3] = np.zeros(10, complex)
    with pytest.raises(TypeError, match=r"Dense 'probs': weight 'bias' .*complex128"):
        model.set_weights(wrong)  # the first three were valid: still nothing may be written
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="not built"):
        Dense(3).set_weights([np.zeros((2, 3)), np.zeros(3)])


@pytest.mark.parametrize("dtype", [np.float16, np.float64, np.int32, np.uint8, np.bool_])
def test_numeric_inputs_are_cast_to_float32(dtype):
    model = mlp()
    x = (batch(3) * 4).astype(dtype)
    y = model(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, model(x.astype(np.float32)))
    np.testing.assert_array_equal(model(x.tolist()), y)


@pytest.mark.parametrize("x", [np.zeros((2,) + INPUT_SHAPE, complex), np.full((2, 48), "a"),
                               np.zeros((2, 48), object)])
def test_non_numeric_input_is_a_type_error(x):
    with pytest.raises(TypeError, match=f"Sequential 'mlp': expected a real numeric input.*got dtype {x.dtype}"):
        mlp()(x)


def test_wrong_input_shape_names_expected_and_given():
    model = mlp()
    model(batch(2))
    with pytest.raises(ValueError, match=r"'hidden': expected axis -1 of the input to be 48, got shape \(2, 75\)"):
        model(np.zeros((2, 5, 5, 3)))
    with pytest.raises(ValueError, match=r"Dense 'dense\w*': expected an input with at least 2 axes, got shape \(3,\)"):
        Dense(4)(np.zeros(3))
    with pytest.raises(ValueError, match="last dimension of the input must be known"):
        Sequential([Dense(2)]).build((None, None))
    with pytest.raises(TypeError, match="shape must be a tuple of ints"):
        Sequential([Dense(2)]).build(5)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(units=0), ValueError, "units must be >= 1, got 0"),
    (dict(units=2.5), TypeError, "units must be an int, got float"),
    (dict(units=3, activation="swish"), ValueError, "unknown activation 'swish'"),
    (dict(units=3, use_bias=1), TypeError, "use_bias must be a bool, got int"),
    (dict(units=3, kernel_initializer="nope"), ValueError, "kernel_initializer: unknown initializer 'nope'"),
    (dict(units=3, name=""), TypeError, "name must be a non-empty str"),
])
def test_dense_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        Dense(**kwargs)


def test_sequential_add_predict_and_names():
    model = Sequential(name="grow")
    model.add(Flatten())
    with pytest.raises(TypeError, match="can only add Layer instances, got int"):
        model.add(3)
    model.add(Dense(6, name="a"))
    with pytest.raises(ValueError, match="layer named 'a' is already in the model"):
        model.add(Dense(2, name="a"))
    x = batch(10)
    model(x)
    model.add(Dense(4, activation="tanh", name="b"))  # built at once from the current output shape
    assert model.layers[-1].kernel.shape == (6, 4) and model.count_params() == 48 * 6 + 6 + 6 * 4 + 4
    kernel_a, bias_a, kernel_b, bias_b = model.get_weights()
    flat = x.reshape(len(x), -1)
    expected = [ref_linear(ref_linear(flat, kernel_a.T, bias_a, dtype=dt), kernel_b.T, bias_b, "tanh", dtype=dt)
                for dt in (np.float64, np.float32)]
    for batch_size in (None, 1, 3, 10, 64):  # batches of 1..4 rows run the skinny kernels
        assert_close(model.predict(x, batch_size=batch_size), *expected)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        model.predict(x, batch_size=0)
    with pytest.raises(ValueError, match="has no layers"):
        Sequential()(x)
    assert Dense(2).name != Dense(2).name


def test_config_round_trip_makes_a_twin():
    model = mlp()
    x = batch(4)
    expected = model(x)
    twin = Sequential.from_config(model.get_config())
    assert [type(layer) for layer in twin.layers] == [Flatten, Dense, Dense]
    assert [layer.get_config() for layer in twin.layers] == [layer.get_config() for layer in model.layers]
    twin.build((None,) + INPUT_SHAPE)
    twin.set_weights(model.get_weights())
    np.testing.assert_array_equal(twin(x), expected)


def test_initializers():
    kernel = initializers.get("glorot_uniform")((48, 64))
    limit = np.sqrt(6 / (48 + 64))
    assert kernel.dtype == np.float32 and np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    seeded = initializers.GlorotUniform(seed=3)((5, 4))
    np.testing.assert_array_equal(seeded, initializers.GlorotUniform(seed=3)((5, 4)))
    assert np.abs(initializers.get("he_uniform")((3, 3, 8, 16))).max() <= np.sqrt(6 / (3 * 3 * 8))
    assert (initializers.get({"class_name": "Ones", "config": {}})((2,)) == 1).all()
    with pytest.raises(TypeError, match="expected an initializer name, dict or callable, got int"):
        initializers.get(3)
