"""Weight importers: PyTorch state_dicts (made here with torch), Keras 3 weights (fixtures
made by tests/fixtures/keras/make_keras_fixtures.py), safetensors and npz round trips, and
the missing / unexpected / mis-shaped report."""
from pathlib import Path

import numpy as np
import pytest

from pykernels.io import (load_keras_weights, load_npz_weights, load_state_dict, load_weights, save_npz_weights,
                          save_weights)
from pykernels.layers import (LSTM, Conv2D, Dense, Embedding, Flatten, LayerNormalization, MaxPooling2D,
                              MultiHeadAttention, Sequential, TransformerEncoder)
from pykernels.testing import assert_close

FIXTURES = Path(__file__).parent / "fixtures" / "keras"


def _tolerance(ours, theirs):
    """float32 frameworks against each other: a few float32 ulps of the output scale."""
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5 * float(np.abs(theirs).max()))


def test_torch_cnn_with_flatten_reordering():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                              torch.nn.Linear(8 * 3 * 3, 5))
    model = Sequential([Conv2D(8, 3, activation="relu"), MaxPooling2D(2), Flatten(), Dense(5)])
    model.build((None, 8, 8, 3))
    load_state_dict(model, net.state_dict())
    x = np.random.default_rng(0).standard_normal((3, 8, 8, 3)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x).permute(0, 3, 1, 2)).numpy()
    _tolerance(model(x), expected)


def test_torch_lstm_embedding_layernorm_by_mapping():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    emb, lstm, norm = torch.nn.Embedding(30, 6), torch.nn.LSTM(6, 7, batch_first=True), torch.nn.LayerNorm(7)
    head = torch.nn.Linear(7, 2)
    state = {**{f"emb.{k}": v for k, v in emb.state_dict().items()},
             **{f"rnn.{k}": v for k, v in lstm.state_dict().items()},
             **{f"ln.{k}": v for k, v in norm.state_dict().items()}, **{f"fc.{k}": v for k, v in head.state_dict().items()}}
    model = Sequential([Embedding(30, 6, name="e"), LSTM(7, name="r"), LayerNormalization(1e-5, name="n"),
                        Dense(2, name="d")])
    model.build((None, 5))
    load_state_dict(model, state, mapping={"e": "emb", "r": "rnn", "n": "ln", "d": "fc"})
    ids = np.random.default_rng(1).integers(0, 30, (4, 5))
    with torch.no_grad():
        out, _ = lstm(emb(torch.from_numpy(ids)))
        expected = head(norm(out[:, -1])).numpy()
    _tolerance(model(ids), expected)


def test_torch_transformer_encoder_and_multihead_attention():
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    net = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True),
                                      2, enable_nested_tensor=False).eval()
    ours = TransformerEncoder(2, 16, 4, 32)
    ours.build((None, None, 16))
    load_state_dict(ours, net.state_dict())
    x = np.random.default_rng(2).standard_normal((2, 9, 16)).astype(np.float32)
    pad = np.ones((2, 9), bool)
    pad[1, 6:] = False
    with torch.no_grad():
        expected = net(torch.from_numpy(x), src_key_padding_mask=torch.from_numpy(~pad)).numpy()
    _tolerance(ours(x, padding_mask=pad)[pad], expected[pad])

    mha = torch.nn.MultiheadAttention(16, 4, batch_first=True).eval()
    layer = MultiHeadAttention(4, 4)
    layer.build((None, None, 16))
    load_state_dict(layer, mha.state_dict())
    with torch.no_grad():
        expected = mha(*[torch.from_numpy(x)] * 3, need_weights=False)[0].numpy()
    _tolerance(layer(x, x), expected)


def test_torch_report_lists_missing_unexpected_and_misshaped():
    torch = pytest.importorskip("torch")
    model = Sequential([Dense(4, name="a"), Dense(3, name="b")])
    model.build((None, 5))
    state = {"x.weight": torch.zeros(4, 5), "y.weight": torch.zeros(2, 4), "y.bias": torch.zeros(3),
             "z.extra": torch.zeros(1)}
    before = model.get_weights()
    with pytest.raises(ValueError) as e:
        load_state_dict(model, state, mapping={"a": "x", "b": "y"})
    text = str(e.value)
    assert "missing 1: x.bias" in text and "unexpected 1: z.extra" in text
    assert "b/kernel: expected (4, 3), got (4, 2)" in text
    for w, w0 in zip(model.get_weights(), before):  # nothing written
        np.testing.assert_array_equal(w, w0)
    with pytest.raises(ValueError, match="2 layers with weights"):
        load_state_dict(model, {"x.weight": torch.zeros(4, 5)})


def _keras_case(name, model, input_shape):
    pytest.importorskip("h5py")
    model.build(input_shape)
    load_keras_weights(model, FIXTURES / f"{name}.weights.h5")
    _tolerance(model(np.load(FIXTURES / f"{name}_x.npy")), np.load(FIXTURES / f"{name}_y.npy"))


def test_keras_cnn():
    _keras_case("cnn", Sequential([Conv2D(4, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                                   Dense(3, activation="softmax")]), (None, 8, 8, 3))


def test_keras_lstm_gate_layout():
    _keras_case("lstm", Sequential([LSTM(5), Dense(1)]), (None, 6, 4))


def test_keras_embedding_and_multihead_attention():
    _keras_case("attention", Sequential([Embedding(20, 8), MultiHeadAttention(2, 4), Dense(2)]), (None, 7))


def test_keras_report_names_the_problem():
    pytest.importorskip("h5py")
    model = Sequential([Conv2D(5, 3), Flatten(), Dense(3)])
    model.build((None, 8, 8, 3))
    with pytest.raises(ValueError, match=r"mis-shaped 3: conv2d\S*/kernel: expected \(3, 3, 3, 5\), got \(3, 3, 3, 4\)"):
        load_keras_weights(model, FIXTURES / "cnn.weights.h5")


@pytest.mark.parametrize("fmt", ["safetensors", "npz"])
def test_weight_files_round_trip_and_report(tmp_path, fmt):
    if fmt == "safetensors":
        pytest.importorskip("safetensors")
    save, load = (save_weights, load_weights) if fmt == "safetensors" else (save_npz_weights, load_npz_weights)
    model = Sequential([Dense(4, name="a"), Dense(2, name="b")])
    model.build((None, 3))
    save(model, tmp_path / "w")
    twin = Sequential([Dense(4, name="a"), Dense(2, name="b")])
    twin.build((None, 3))
    load(twin, tmp_path / "w")
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(twin(x), model(x))
    other = Sequential([Dense(4, name="a"), Dense(2, name="c")])
    other.build((None, 3))
    with pytest.raises(ValueError, match="missing 2: c/kernel, c/bias.*unexpected 2: b/bias, b/kernel"):
        load(other, tmp_path / "w")
