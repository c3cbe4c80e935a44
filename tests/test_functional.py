"""The functional API (Input, Model, Concatenate): multi-input graphs against a reference
computation of the same graph, masks, save/load, summary, and bad graphs."""
import numpy as np
import pytest

from pykernels.io import load_model, save_model
from pykernels.layers import LSTM, Concatenate, Dense, Embedding, Flatten, Input, Model, Sequential
from pykernels.reference.embedding import embedding as ref_embedding
from pykernels.reference.gemm import linear as ref_linear
from pykernels.reference.lstm import lstm_layer as ref_lstm_layer
from pykernels.testing import assert_close


def fusion_model():
    """Image (Flatten → Dense relu) + audio (LSTM) + text (Embedding mask_zero → LSTM) → Concatenate → Dense sigmoid."""
    image, audio, text = Input((6, 5), name="image"), Input((7, 3), name="audio"), Input((9,), "int32", "text")
    a = Dense(4, activation="relu", name="image_dense")(Flatten(name="image_flat")(image))
    b = LSTM(5, name="audio_lstm")(audio)
    c = LSTM(3, name="text_lstm")(Embedding(20, 6, mask_zero=True, name="tokens")(text))
    out = Dense(1, activation="sigmoid", name="head")(Concatenate(name="fuse")([a, b, c]))
    return Model([image, audio, text], out, name="fusion")


def fusion_inputs(n, seed=0):
    rng = np.random.default_rng(seed)
    text = rng.integers(1, 20, (n, 9))
    text[0, 5:] = 0  # padded: the text LSTM stops after 5 tokens
    return [rng.standard_normal((n, 6, 5)), rng.standard_normal((n, 7, 3)), text]


def fusion_reference(model, inputs, dtype):
    image, audio, text = inputs
    w = {(layer.name, name): value for layer, name, value in model.weight_slots()}

    def lstm(x, layer, lengths=None):  # Keras-style LSTM on (batch, steps, features): last valid h
        _, h, _ = ref_lstm_layer(np.swapaxes(x, 0, 1), w[layer, "weight_ih_l0"], w[layer, "weight_hh_l0"],
                                 w[layer, "bias_ih_l0"], w[layer, "bias_hh_l0"], lengths=lengths, dtype=dtype)
        return h

    a = ref_linear(np.asarray(image).reshape(len(image), -1), w["image_dense", "kernel"].T, w["image_dense", "bias"],
                   "relu", dtype=dtype)
    b = lstm(audio, "audio_lstm")
    c = lstm(ref_embedding(text, w["tokens", "embeddings"], dtype=dtype), "text_lstm",
             lengths=(np.asarray(text) != 0).sum(axis=1))
    return ref_linear(np.concatenate([a, b, c], axis=1), w["head", "kernel"].T, w["head", "bias"], "sigmoid",
                      dtype=dtype)


@pytest.mark.parametrize("n", [1, 6])
def test_fusion_model_matches_a_reference_computation_of_the_graph(n):
    model = fusion_model()
    inputs = fusion_inputs(n)
    assert_close(model(inputs), fusion_reference(model, inputs, np.float64),
                 fusion_reference(model, inputs, np.float32), what="fusion model")


def test_predict_in_batches_save_and_load(tmp_path):
    model = fusion_model()
    inputs = fusion_inputs(7)
    expected = model(inputs)
    # batches of 3 may take other GEMM kernels (other summation orders) than one of 7
    np.testing.assert_allclose(model.predict(inputs, batch_size=3), expected, rtol=1e-5)
    save_model(model, tmp_path / "fusion.npz")
    loaded = load_model(tmp_path / "fusion.npz")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(loaded(inputs), expected)


def test_summary_lists_inputs_layers_and_connections():
    lines = []
    fusion_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "fusion"' in text
    assert "image (Input)" in text and "(None, 9)" in text
    assert "fuse (Concatenate)" in text and "image_dense:0, audio_lstm:0, text_lstm:0" in text
    assert text.splitlines()[-1] == f"Total params: {fusion_model().count_params():,}"


def test_shared_layer_nested_sequential_and_several_outputs():
    x = Input((4,))
    shared = Dense(3, name="shared")
    tower = Sequential([Dense(5, activation="tanh"), Dense(2)], name="tower")
    left, right = shared(x), tower(shared(x))
    model = Model(x, [left, right])
    data = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    out_left, out_right = model(data)
    np.testing.assert_array_equal(out_left, shared(data))
    np.testing.assert_array_equal(out_right, tower(shared(data)))
    assert [layer.name for layer in model.layers] == ["shared", "tower"]
    assert model.compute_output_shape((8, 4)) == [(8, 3), (8, 2)]


@pytest.mark.parametrize("axis,shapes,expected", [
    (-1, [(2, 3), (2, 4)], (2, 7)),
    (1, [(2, 3, 5), (2, 1, 5)], (2, 4, 5)),
    (0, [(2, 3), (1, 3)], (3, 3)),
])
def test_concatenate(axis, shapes, expected):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    out = Concatenate(axis=axis)(arrays)
    assert out.shape == expected
    np.testing.assert_array_equal(out, np.concatenate(arrays, axis=axis))


@pytest.mark.parametrize("make,error,fragment", [
    (lambda: Concatenate()([np.zeros((2, 3))]), ValueError, "at least 2 inputs"),
    (lambda: Concatenate()([np.zeros((2, 3)), np.zeros((3, 3))]), ValueError, "match on every axis but -1"),
    (lambda: Concatenate(axis=2)([np.zeros((2, 3)), np.zeros((2, 3))]), ValueError, "same rank, with axis 2"),
    (lambda: Concatenate()(np.zeros((2, 3))), TypeError, "list of arrays"),
    (lambda: Concatenate(axis=1.0), TypeError, "axis must be an int"),
    (lambda: Model(Input((3,)), Dense(2)(Input((3,)))), ValueError, "not among the model's inputs"),
    (lambda: Model([], Dense(2)(Input((3,)))), TypeError, "inputs must be a symbolic tensor"),
    (lambda: Input((3,), dtype="complex64"), TypeError, "integer or float"),
    (lambda: Input((-1,)), ValueError, "negative"),
    (lambda: Dense(2)(Input((3,)), np.zeros(2)), TypeError, "make it a model Input"),
])
def test_bad_graphs_and_merges(make, error, fragment):
    with pytest.raises(error, match=fragment):
        make()


def test_model_checks_inputs():
    model = fusion_model()
    image, audio, text = fusion_inputs(2)
    with pytest.raises(ValueError, match="expected 3 inputs"):
        model([image, audio])
    with pytest.raises(TypeError, match="takes integers"):
        model([image, audio, text.astype(np.float32)])
    with pytest.raises(ValueError, match=r"input 'image' expects shape \(None, 6, 5\), got \(2, 6, 4\)"):
        model([image[..., :4], audio, text])


def test_embedding_transformer_attention_graph_honours_the_padding_mask():
    """Embedding(mask_zero) → TransformerEncoder → MultiHeadAttention in a functional Model:
    the propagated mask equals passing the padding mask by hand."""
    from pykernels.layers import MultiHeadAttention, TransformerEncoder

    ids = Input((12,), dtype="int32")
    tokens = Embedding(50, 16, mask_zero=True, name="tokens")
    encoder = TransformerEncoder(2, 16, 4, 32, name="encoder")
    attention = MultiHeadAttention(2, 8, name="mha")
    encoded = encoder(tokens(ids))
    model = Model(ids, attention(encoded, encoded))
    data = np.random.default_rng(3).integers(1, 50, (3, 12))
    data[1, 7:] = 0
    by_hand = encoder(tokens(data), padding_mask=data != 0)
    np.testing.assert_array_equal(model(data), attention(by_hand, by_hand))
    assert model.compute_output_shape((3, 12)) == (3, 12, 16)
