"""LSTM (op "lstm_layer" through ops.lstm / ops.lstm_cell), embedding, and their layers
against the float64 reference, on every registered backend."""
import numpy as np
import pytest

import pykernels as pk
from pykernels.layers import LSTM, Bidirectional, Embedding, LSTMCell, Sequential
from pykernels.reference import embedding as ref_embedding, lstm as ref
from pykernels.testing import assert_close
from conftest import backends_of, random_f32

BACKENDS = backends_of("lstm_layer")


def make_weights(rng, layers, directions, inputs, hidden, proj=0):
    state = proj or hidden
    weights = []
    for layer in range(layers):
        for _ in range(directions):
            width = inputs if layer == 0 else directions * state
            entry = [random_f32(rng, (4 * hidden, width), -0.6, 0.6), random_f32(rng, (4 * hidden, state), -0.6, 0.6),
                     random_f32(rng, (4 * hidden,)), random_f32(rng, (4 * hidden,))]
            if proj:
                entry.append(random_f32(rng, (proj, hidden), -0.6, 0.6))
            weights.append(tuple(entry))
    return weights


def check_lstm(backend, rng, steps, batch, inputs, hidden, layers=1, bidirectional=False, batch_first=False,
               states=False, lengths=None, proj=0):
    directions = 2 if bidirectional else 1
    weights = make_weights(rng, layers, directions, inputs, hidden, proj)
    x = random_f32(rng, (batch, steps, inputs) if batch_first else (steps, batch, inputs), -2, 2)
    h0 = random_f32(rng, (layers * directions, batch, proj or hidden)) if states else None
    c0 = random_f32(rng, (layers * directions, batch, hidden)) if states else None
    args = (x, weights, h0, c0, bidirectional, batch_first, lengths)
    out, (h_n, c_n) = pk.ops.lstm(*args, backend=backend)
    out64, (h64, c64) = ref.lstm(*args)
    out32, (h32, c32) = ref.lstm(*args, dtype=np.float32)
    what = f"{backend} lstm T={steps} B={batch} I={inputs} H={hidden} L={layers} D={directions} P={proj}"
    assert_close(out, out64, out32, what=what + " output")
    assert_close(h_n, h64, h32, what=what + " h_n")
    assert_close(c_n, c64, c32, what=what + " c_n")


# Pairwise coverage of the acceptance grid: layers 1-3, bidirectional, batch_first, given
# and zero states, variable lengths, proj_size, T=1, batch 1, hidden sizes off multiples
# of 8 (and the 3-row tile edges: batch 1, 2, 3, 4, 7).
CASES = [
    # steps, batch, inputs, hidden, layers, bidirectional, batch_first, states, lengths, proj
    (1, 1, 3, 8, 1, False, False, False, None, 0),
    (1, 4, 5, 13, 2, True, True, True, None, 0),
    (6, 1, 7, 50, 1, True, False, True, [4], 0),
    (9, 2, 4, 9, 3, False, True, False, [9, 3], 0),
    (5, 3, 6, 24, 2, False, False, True, None, 7),
    (7, 7, 5, 17, 1, True, True, False, [7, 1, 3, 7, 2, 5, 6], 5),
    (4, 5, 1, 33, 3, True, False, True, [1, 4, 2, 4, 3], 0),
    (12, 4, 16, 64, 1, False, False, True, [12, 11, 5, 1], 0),
    (3, 2, 9, 3, 2, True, True, True, [3, 1], 2),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: "T{}-B{}-I{}-H{}-L{}-bi{:d}-bf{:d}-h0{:d}-len{:d}-P{}".format(
    *c[:5], c[5], c[6], c[7], c[8] is not None, c[9]))
def test_lstm_matches_reference(backend, case, rng):
    steps, batch, inputs, hidden, layers, bidirectional, batch_first, states, lengths, proj = case
    check_lstm(backend, rng, steps, batch, inputs, hidden, layers, bidirectional, batch_first, states, lengths, proj)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lstm_larger_sizes_and_threads(backend, rng):
    # Many hidden blocks and row tiles, two k chunks (203 > 128 state values), and enough
    # work per step (batch 16) for the C++ kernel's two-thread task hand-off.
    before = pk.get_num_threads()
    pk.set_num_threads(2)
    try:
        check_lstm(backend, rng, 5, 16, 40, 203, layers=1, bidirectional=True, states=True,
                   lengths=[5, 4, 3, 2, 1] * 3 + [5])
    finally:
        pk.set_num_threads(before)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lstm_batch_zero_and_strided_input(backend, rng):
    weights = make_weights(rng, 1, 1, 4, 6)
    out, (h_n, c_n) = pk.ops.lstm(np.zeros((3, 0, 4), np.float32), weights, backend=backend)
    assert out.shape == (3, 0, 6) and h_n.shape == (1, 0, 6) and c_n.shape == (1, 0, 6)
    base = random_f32(rng, (5, 3, 8))
    x = base[::-1, :, ::2]  # negative time stride, every other feature
    out, (h_n, _) = pk.ops.lstm(x, weights, backend=backend)
    out64, (h64, _) = ref.lstm(x, weights)
    out32, (h32, _) = ref.lstm(x, weights, dtype=np.float32)
    assert_close(out, out64, out32, what=f"{backend} strided x")
    assert_close(h_n, h64, h32, what=f"{backend} strided x h_n")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("batch", [3, 5])  # C++: unpacked GEMV path (batch <= 4), packed tiles
def test_lstm_cell(backend, batch, rng):
    inputs, hidden = 7, 19
    w_ih, w_hh, b_ih, b_hh = make_weights(rng, 1, 1, inputs, hidden)[0]
    x, h, c = random_f32(rng, (batch, inputs)), random_f32(rng, (batch, hidden)), random_f32(rng, (batch, hidden))
    h1, c1 = pk.ops.lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, backend=backend)
    h64, c64 = ref.lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh)
    h32, c32 = ref.lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, dtype=np.float32)
    assert_close(h1, h64, h32, what="cell h")
    assert_close(c1, c64, c32, what="cell c")
    h0, c0 = pk.ops.lstm_cell(x, None, None, w_ih, w_hh, None, None, backend=backend)
    zeros = np.zeros((batch, hidden))
    h64, c64 = ref.lstm_cell(x, zeros, zeros, w_ih, w_hh, 0 * b_ih, 0 * b_hh)
    h32, c32 = ref.lstm_cell(x, zeros, zeros, w_ih, w_hh, 0 * b_ih, 0 * b_hh, dtype=np.float32)
    assert_close(h0, h64, h32, what="cell zero-state h")


def test_converters_from_keras_and_onnx(rng):
    inputs, hidden = 4, 6
    w_ih, w_hh, b_ih, b_hh = make_weights(rng, 1, 1, inputs, hidden)[0]
    x = random_f32(rng, (3, 2, inputs))
    expected, _ = ref.lstm(x, [(w_ih, w_hh, b_ih, b_hh)])
    # Keras: kernel (I, 4H), recurrent (H, 4H), gates (i, f, c, o), one bias.
    keras = pk.ops.lstm_weights_from_keras(w_ih.T, w_hh.T, b_ih + b_hh)
    np.testing.assert_allclose(ref.lstm(x, [keras])[0], expected, rtol=1e-6, atol=1e-6)
    # ONNX: (D, 4H, I) with gates (i, o, f, c), B = [Wb, Rb].
    def to_onnx(w):
        i, f, g, o = np.split(w, 4)
        return np.concatenate([i, o, f, g])
    onnx = pk.ops.lstm_weights_from_onnx(to_onnx(w_ih)[None], to_onnx(w_hh)[None],
                                          np.concatenate([to_onnx(b_ih), to_onnx(b_hh)])[None])
    np.testing.assert_allclose(ref.lstm(x, onnx)[0], expected, rtol=1e-6, atol=1e-6)


def test_torch_lstm_weights_give_the_same_outputs(rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    for kwargs in ({"num_layers": 2, "bidirectional": True}, {"num_layers": 1, "proj_size": 5}):
        model = torch.nn.LSTM(7, 11, batch_first=True, **kwargs)
        params = [p.detach().numpy() for p in model.parameters()]
        per = 5 if kwargs.get("proj_size") else 4
        weights = [tuple(params[i:i + per]) for i in range(0, len(params), per)]
        x = random_f32(rng, (3, 6, 7))
        with torch.no_grad():
            expected, (h_t, c_t) = model(torch.from_numpy(x))
        for backend in BACKENDS:
            out, (h_n, c_n) = pk.ops.lstm(x, weights, bidirectional=kwargs["bidirectional"] if "bidirectional" in kwargs
                                          else False, batch_first=True, backend=backend)
            np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=2e-6)
            np.testing.assert_allclose(h_n, h_t.numpy(), rtol=1e-5, atol=2e-6)
            np.testing.assert_allclose(c_n, c_t.numpy(), rtol=1e-5, atol=2e-6)
    # Packed sequences: lengths as pack_padded_sequence.
    model = torch.nn.LSTM(4, 9)
    x = random_f32(rng, (5, 3, 4))
    lengths = [5, 2, 4]
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.from_numpy(x), lengths, enforce_sorted=False)
    with torch.no_grad():
        out_p, (h_t, c_t) = model(packed)
    expected, _ = torch.nn.utils.rnn.pad_packed_sequence(out_p, total_length=5)
    out, (h_n, c_n) = pk.ops.lstm(x, [tuple(p.detach().numpy() for p in model.parameters())], lengths=lengths)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(h_n, h_t.numpy(), rtol=1e-5, atol=2e-6)
    # The LSTM layer takes an nn.LSTM's parameters through set_weights.
    model = torch.nn.LSTM(4, 9, num_layers=2, bidirectional=True, batch_first=True)
    layer = LSTM(9, num_layers=2, bidirectional=True, return_sequences=True)
    layer.build((None, 6, 4))
    layer.set_weights([p.detach().numpy() for p in model.parameters()])
    x = random_f32(rng, (2, 6, 4))
    with torch.no_grad():
        expected = model(torch.from_numpy(x))[0].numpy()
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_input(backend, rng):
    weights = make_weights(rng, 2, 1, 4, 6)
    x = random_f32(rng, (3, 2, 4))
    with pytest.raises(ValueError, match=r"weights\[0\] w_ih has shape \(24, 4\), expected \(24, 5\).*5 features"):
        pk.ops.lstm(random_f32(rng, (3, 2, 5)), weights, backend=backend)
    with pytest.raises(ValueError, match=r"h0 has shape \(2, 3, 6\), expected \(2, 2, 6\)"):
        pk.ops.lstm(x, weights, h0=np.zeros((2, 3, 6), np.float32), backend=backend)
    with pytest.raises(ValueError, match=r"c0 has shape \(1, 2, 6\), expected \(2, 2, 6\)"):
        pk.ops.lstm(x, weights, c0=np.zeros((1, 2, 6), np.float32), backend=backend)
    with pytest.raises(ValueError, match=r"lengths\[1\] = 4 is outside \[1, 3\]"):
        pk.ops.lstm(x, weights, lengths=[3, 4], backend=backend)
    with pytest.raises(ValueError, match=r"lengths\[0\] = 0 is outside \[1, 3\]"):
        pk.ops.lstm(x, weights, lengths=[0, 2], backend=backend)
    with pytest.raises(ValueError, match=r"lengths has shape \(3,\), expected \(2,\)"):
        pk.ops.lstm(x, weights, lengths=[1, 2, 3], backend=backend)
    with pytest.raises(TypeError, match="float32"):
        pk.ops.lstm(x.astype(np.float64), weights, backend=backend)
    with pytest.raises(TypeError, match="float32"):
        pk.ops.lstm(x, [tuple(w.astype(np.float64) for w in weights[0])], backend=backend)
    with pytest.raises(TypeError, match="integers"):
        pk.ops.lstm(x, weights, lengths=np.array([1.0, 2.0]), backend=backend)
    with pytest.raises(ValueError, match="3-D"):
        pk.ops.lstm(x[0], weights, backend=backend)
    with pytest.raises(ValueError, match="cannot be split"):
        pk.ops.lstm(x, weights[:1] * 3, bidirectional=True, backend=backend)
    with pytest.raises(ValueError, match=r"h has shape \(2, 5\), expected \(2, 6\)"):
        pk.ops.lstm_cell(x[0], np.zeros((2, 5), np.float32), None, *weights[0], backend=backend)


@pytest.mark.parametrize("backend", backends_of("embedding"))
def test_embedding(backend, rng):
    table = random_f32(rng, (11, 5))
    ids = rng.integers(0, 11, size=(3, 4)).astype(np.int32)
    out = pk.ops.embedding(ids, table, backend=backend)
    np.testing.assert_array_equal(out, ref_embedding.embedding(ids, table).astype(np.float32))
    assert pk.ops.embedding(np.zeros((0,), np.int64), table, backend=backend).shape == (0, 5)
    with pytest.raises(TypeError, match="integers"):
        pk.ops.embedding(ids.astype(np.float32), table, backend=backend)
    with pytest.raises(ValueError, match=r"id 11 at index \(1, 2\) is out of range for a table of 11 rows"):
        pk.ops.embedding(np.array([[0, 1, 2], [3, 4, 11]]), table, backend=backend)
    with pytest.raises(ValueError, match="id -1"):
        pk.ops.embedding(np.array([-1]), table, backend=backend)


def test_lstm_layer_keras_semantics(rng):
    x = random_f32(rng, (3, 5, 4))
    layer = LSTM(6, return_sequences=True, return_state=True)
    seq, h, c = layer(x)
    weights = layer.weight_tuples()
    out64, (h64, c64) = ref.lstm(x, weights, batch_first=True)
    np.testing.assert_allclose(seq, out64, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, h64[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, c64[0], rtol=1e-5, atol=1e-6)
    last = LSTM(6, name="last")
    last.build(x.shape)
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(last(x), seq[:, -1], rtol=1e-6)
    assert last.compute_output_shape((None, 5, 4)) == (None, 6)
    backwards = LSTM(6, return_sequences=True, go_backwards=True)
    backwards.build(x.shape)
    backwards.set_weights(layer.get_weights())
    np.testing.assert_allclose(backwards(x), ref.lstm(x[:, ::-1], weights, batch_first=True)[0], rtol=1e-5, atol=1e-6)
    # Keras' unit_forget_bias: b_ih of the forget gate starts at 1.
    np.testing.assert_array_equal(layer.weights[2][6:12], 1.0)


def test_bidirectional_and_masked_embedding_model(rng):
    ids = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2], [5, 0, 0, 0, 0]])
    embed = Embedding(10, 4, mask_zero=True)
    lstm = Bidirectional(LSTM(6, return_sequences=True))
    model = Sequential([embed, lstm])
    out = model(ids)
    assert out.shape == (3, 5, 12)
    lengths = (ids != 0).sum(1)
    expected, _ = ref.lstm(embed.embeddings[ids], lstm.layer.weight_tuples(), bidirectional=True, batch_first=True,
                           lengths=lengths)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert np.all(out[0, 3:] == 0)
    summed = Bidirectional(LSTM(6), merge_mode="sum")
    y = summed(random_f32(rng, (2, 3, 4)))
    assert y.shape == (2, 6) and summed.compute_output_shape((None, 3, 4)) == (None, 6)
    with pytest.raises(ValueError, match="prefix"):
        LSTM(3)(random_f32(rng, (1, 3, 2)), mask=np.array([[True, False, True]]))
    with pytest.raises(TypeError, match="integers"):
        embed(np.array([[1.0, 2.0]]))


def test_lstm_cell_layer(rng):
    cell = LSTMCell(5)
    x = random_f32(rng, (2, 3))
    h, (h2, c) = cell(x)
    h1, _ = cell(x, [h, c])
    w = cell.weights
    r_h, r_c = ref.lstm_cell(x, np.zeros((2, 5)), np.zeros((2, 5)), *w)
    np.testing.assert_allclose(h, r_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h1, ref.lstm_cell(x, r_h, r_c, *w)[0], rtol=1e-5, atol=1e-6)
