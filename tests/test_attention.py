"""Attention: sdpa kernels of every backend against the float64 reference, layer norm,
bad input, and the layers against PyTorch's nn.TransformerEncoderLayer (when installed)."""
import numpy as np
import pytest

import pykernels as pk
from pykernels import ops
from pykernels.layers import (LayerNormalization, MultiHeadAttention, PositionEmbedding, SinusoidalPositionEmbedding,
                              TransformerEncoder, TransformerEncoderLayer)
from pykernels.reference import attention as ref
from pykernels.testing import assert_close, sentinel_like
from conftest import backends_of, random_f32

BACKENDS = backends_of("sdpa")


def qkv(rng, b, hq, hkv, nq, nk, d):
    return random_f32(rng, (b, hq, nq, d), -2, 2), random_f32(rng, (b, hkv, nk, d), -2, 2), \
        random_f32(rng, (b, hkv, nk, d))


def check(backend, q, k, v, mask=None, causal=False, scale=None, what=""):
    out = sentinel_like(q.shape[:3] + v.shape[3:])
    ops.sdpa(q, k, v, mask, causal, scale, out=out, backend=backend)
    assert_close(out, ref.sdpa(q, k, v, mask, causal, scale), ref.sdpa(q, k, v, mask, causal, scale, np.float32),
                 what=f"{backend} sdpa {what} q{q.shape} k{k.shape} causal={causal}")


# Pairwise coverage of head dim (16-128, non-multiples of 8, the 16-wide panel edges),
# lengths (1, primes, the 6-row tile and 64-key block edges, Nq != Nk both ways), GQA
# and causal, rather than the full product.
CASES = [  # (b, hq, hkv, nq, nk, d, causal)
    (1, 1, 1, 1, 1, 16, False), (1, 1, 1, 1, 1, 16, True), (2, 4, 2, 7, 300, 17, False),
    (2, 4, 2, 7, 300, 24, True), (1, 3, 1, 200, 65, 64, True), (1, 3, 3, 200, 65, 33, False),
    (2, 2, 1, 97, 97, 128, True), (1, 2, 2, 64, 63, 72, False), (1, 8, 2, 6, 129, 40, True),
    (1, 2, 1, 193, 128, 96, False), (3, 1, 1, 5, 1, 120, True), (2, 2, 2, 30, 70, 16, True), (1, 1, 1, 130, 6, 7, True),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("b,hq,hkv,nq,nk,d,causal", CASES)
def test_shapes(backend, b, hq, hkv, nq, nk, d, causal, rng):
    check(backend, *qkv(rng, b, hq, hkv, nq, nk, d), causal=causal)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["bool", "additive"])
@pytest.mark.parametrize("mask_shape", [(2, 3, 50, 70), (50, 70), (2, 1, 1, 70), (1, 3, 50, 1)])
def test_masks(backend, kind, mask_shape, rng):
    q, k, v = qkv(rng, 2, 3, 3, 50, 70, 32)
    if kind == "bool":
        mask = rng.random(mask_shape) > 0.3
    else:
        mask = np.where(rng.random(mask_shape) > 0.3, rng.standard_normal(mask_shape), -np.inf).astype(np.float32)
    check(backend, q, k, v, mask, causal=mask_shape == (50, 70), what=f"{kind} mask {mask_shape}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["bool", "additive"])
def test_fully_masked_rows_are_zero(backend, kind, rng):
    q, k, v = qkv(rng, 2, 2, 1, 9, 130, 20)
    pad = np.ones((2, 1, 1, 130), bool)
    pad[1] = False  # batch 1 attends nothing
    mask = pad if kind == "bool" else np.where(pad, 0.0, -np.inf).astype(np.float32)
    out = ops.sdpa(q, k, v, mask, backend=backend)
    assert np.array_equal(out[1], np.zeros_like(out[1]))
    check(backend, q, k, v, mask)
    # Causal with Nq > Nk... and rows whose only keys are masked by a partial mask.
    rows = np.ones((9, 130), bool)
    rows[3] = False
    check(backend, q, k, v, rows, causal=True, what="row 3 masked")


@pytest.mark.parametrize("backend", BACKENDS)
def test_strided_views_scale_and_empty(backend, rng):
    base = random_f32(rng, (2, 40, 3, 3, 32))  # (B, N, {q,k,v}, H, D) like a fused projection
    q, k, v = (base[:, :, i].transpose(0, 2, 1, 3) for i in range(3))
    check(backend, q, k, v, scale=0.3, what="strided")
    check(backend, q[:, :, ::-1], k[:, :, ::2], v[:, :, ::2], what="negative / step")
    assert ops.sdpa(q[:0], k[:0], v[:0], backend=backend).shape == (0, 3, 40, 32)
    out = ops.sdpa(q, k[:, :, :0], v[:, :, :0], backend=backend)
    assert np.array_equal(out, np.zeros_like(out))  # no keys: every row attends nothing


@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_propagates(backend, rng):
    q, k, v = qkv(rng, 1, 1, 1, 8, 8, 16)
    v[0, 0, 3, 0] = np.nan
    out = ops.sdpa(q, k, v, backend=backend)
    assert np.isnan(out[0, 0, :, 0]).all() and not np.isnan(out[0, 0, :, 1:]).any()


@pytest.mark.parametrize("backend", BACKENDS)
def test_threads_agree(backend, rng):
    q, k, v = qkv(rng, 1, 2, 2, 300, 300, 64)
    pk.set_num_threads(1)
    one = ops.sdpa(q, k, v, is_causal=True, backend=backend)
    pk.set_num_threads(2)
    try:
        assert np.array_equal(one, ops.sdpa(q, k, v, is_causal=True, backend=backend))
    finally:
        pk.set_num_threads(pk.threads.get_num_threads())


def test_bad_input(rng):
    q, k, v = qkv(rng, 2, 4, 2, 5, 6, 16)
    with pytest.raises(ValueError, match=r"head dims differ.*\(2, 4, 5, 16\).*\(2, 2, 6, 8\)"):
        ops.sdpa(q, k[..., :8], v[..., :8])
    with pytest.raises(ValueError, match=r"heads \(3, k \(2, 3, 6, 16\)\) must divide query heads \(4"):
        ops.sdpa(q, *qkv(rng, 2, 3, 3, 5, 6, 16)[1:])
    with pytest.raises(ValueError, match=r"\(5, 7\) does not broadcast to \(2, 4, 5, 6\)"):
        ops.sdpa(q, k, v, np.ones((5, 7), bool))
    with pytest.raises(ValueError, match="k and v"):
        ops.sdpa(q, k, v[:, :, :3])
    with pytest.raises(ValueError, match="4-D"):
        ops.sdpa(q[0], k[0], v[0])
    with pytest.raises(TypeError, match="float32"):
        ops.sdpa(q.astype(np.float64), k, v)
    with pytest.raises(TypeError, match="bool.*additive"):
        ops.sdpa(q, k, v, np.ones((5, 6), np.int32))
    with pytest.raises(ValueError, match="scale"):
        ops.sdpa(q, k, v, scale=float("nan"))


@pytest.mark.parametrize("backend", backends_of("layer_norm"))
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (2, 5, 512), (4, 1000)])
def test_layer_norm(backend, shape, rng):
    x = random_f32(rng, shape, -3, 5)
    gamma, beta = random_f32(rng, shape[-1:]), random_f32(rng, shape[-1:])
    out = sentinel_like(shape)
    ops.layer_norm(x, gamma, beta, 1e-5, out=out, backend=backend)
    assert_close(out, ref.layer_norm(x, gamma, beta, 1e-5), ref.layer_norm(x, gamma, beta, 1e-5, np.float32))
    assert_close(ops.layer_norm(x, backend=backend), ref.layer_norm(x), ref.layer_norm(x, dtype=np.float32))
    with pytest.raises(ValueError, match="gamma"):
        ops.layer_norm(x, gamma[:-1] if shape[-1] > 1 else np.ones(2, np.float32), backend=backend)


def test_position_embeddings_and_layer_norm_layer(rng):
    x = random_f32(rng, (2, 6, 8))
    table = SinusoidalPositionEmbedding()(np.zeros_like(x))[0]
    assert np.allclose(table[:, 0], np.sin(np.arange(6))) and np.allclose(table[:, 1], np.cos(np.arange(6)))
    learned = PositionEmbedding(10)
    assert np.array_equal(learned(x), x + learned.embeddings[:6])
    with pytest.raises(ValueError, match="sequence_length=4"):
        PositionEmbedding(4)(x)
    norm = LayerNormalization(epsilon=1e-5)
    assert_close(norm(x), ref.layer_norm(x, eps=1e-5), ref.layer_norm(x, eps=1e-5, dtype=np.float32))
    assert [w.shape for w in norm.get_weights()] == [(8,), (8,)]


def mha_reference(layer, query, value, mask=None, causal=False):
    """The layer's maths in float64 from its weights: projections, reference sdpa, output."""
    qk, qb, kk, kb, vk, vb, ok, ob = (w.astype(np.float64) for w in layer.get_weights())

    def project(x, kernel, bias):
        return (np.einsum("btd,dhk->bhtk", x.astype(np.float64), kernel) + bias[None, :, None, :])

    q, k, v = project(query, qk, qb), project(value, kk, kb), project(value, vk, vb)
    o = ref.sdpa(q, k, v, None if mask is None else mask[:, None], causal)
    return np.einsum("bhtv,hvd->btd", o, ok) + ob


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention(causal, rng):
    layer = MultiHeadAttention(num_heads=3, key_dim=12, value_dim=20)
    query, value = random_f32(rng, (2, 9, 16)), random_f32(rng, (2, 11, 24))
    mask = rng.random((2, 9, 11)) > 0.2
    out = layer(query, value, attention_mask=mask, use_causal_mask=causal)
    assert out.shape == (2, 9, 16) and len(layer.get_weights()) == 8
    expected = mha_reference(layer, query, value, mask, causal)
    assert np.abs(out - expected).max() < 1e-4 * max(1.0, np.abs(expected).max())
    with pytest.raises(ValueError, match="attention_mask"):
        layer(query, value, attention_mask=np.ones((2, 9, 5), bool))


@pytest.mark.parametrize("norm_first,activation", [(False, "relu"), (True, "gelu"), (False, "gelu"), (True, "relu")])
def test_encoder_layer_matches_torch(norm_first, activation, rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(64, 4, 96, dropout=0.0, activation=activation, batch_first=True,
                                              norm_first=norm_first).eval()
    ours = TransformerEncoderLayer(64, 4, 96, activation=activation, norm_first=norm_first)
    ours.set_torch_weights(theirs.state_dict())
    x = random_f32(rng, (3, 13, 64), -2, 2)
    pad = np.ones((3, 13), bool)
    pad[1, 7:] = False
    with torch.no_grad():
        tx = torch.from_numpy(x)
        expected = theirs(tx, src_key_padding_mask=torch.from_numpy(~pad)).numpy()
        causal = theirs(tx, src_mask=torch.nn.Transformer.generate_square_subsequent_mask(13), is_causal=True).numpy()
    got = ours(x, padding_mask=pad)
    assert np.abs(got[pad] - expected[pad]).max() < 1e-5 * 20  # padded rows: torch's fast path zeroes them
    assert np.abs(ours(x, use_causal_mask=True) - causal).max() < 2e-5


def test_encoder_stack(rng):
    encoder = TransformerEncoder(num_layers=2, d_model=32, num_heads=4, dff=48, norm_first=True, final_norm=True)
    x = random_f32(rng, (2, 7, 32))
    out = encoder(x, padding_mask=np.array([[True] * 7, [True] * 4 + [False] * 3]))
    assert out.shape == x.shape and np.isfinite(out).all()
    assert len(encoder.get_weights()) == 2 * 16 + 2
    # Layer by layer gives the same result.
    y = x
    for layer in encoder.layers:
        y = layer(y, padding_mask=np.array([[True] * 7, [True] * 4 + [False] * 3]))
    assert np.array_equal(out, encoder.norm(y))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("d,dv", [(12, 20), (64, 8), (17, 33)])
def test_value_dim_differs(backend, d, dv, rng):
    q, k, _ = qkv(rng, 2, 4, 2, 13, 70, d)
    check(backend, q, k, random_f32(rng, (2, 2, 70, dv)), causal=d == 64, what=f"Dv={dv}")
