"""Embedding -> TransformerEncoder (2 layers, d_model 512, 4 heads, dff 2048) on padded token batches.

    python examples/transformer.py [--batch 8] [--tokens 128]

A functional Model: Embedding(mask_zero=True) propagates the padding mask to the encoder,
so padded positions are never attended to. The script checks that: the shortest sequence
run alone, without its padding, gives the same outputs at its valid positions. No trained weights exist
for this model: the weights are seeded random (uniform, seed 0; LayerNorm at identity).
"""
import argparse

import numpy as np

import pykernels
from pykernels.bench import timing
from pykernels.layers import Embedding, Input, Model, TransformerEncoder

VOCAB, D_MODEL, HEADS, DFF, LAYERS = 10000, 512, 4, 2048, 2


def build(tokens: int) -> Model:
    ids = Input((tokens,), dtype="int32", name="token_ids")
    x = Embedding(VOCAB, D_MODEL, mask_zero=True, name="tokens")(ids)
    model = Model(ids, TransformerEncoder(LAYERS, D_MODEL, HEADS, DFF, name="encoder")(x), name="transformer")
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(-1, 1, w.shape).astype(np.float32) * np.sqrt(3 / w.shape[0])
                       if w.ndim > 1 else w for w in model.get_weights()])
    return model


def padded_batch(batch: int, tokens: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Token ids with 0 padding after each sequence's random length, and those lengths."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(tokens // 4, tokens + 1, batch)
    ids = rng.integers(1, VOCAB, (batch, tokens))
    ids[np.arange(tokens) >= lengths[:, None]] = 0
    return ids.astype(np.int32), lengths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()

    model = build(args.tokens)
    model.summary()
    ids, lengths = padded_batch(args.batch, args.tokens)
    y = model(ids)
    print(f"\ntoken ids {ids.shape} (valid lengths {', '.join(map(str, lengths))}) -> {y.shape}")

    embed, encoder = model.layers[-2:]
    shortest = int(lengths.argmin())
    alone = encoder(embed(ids[shortest:shortest + 1, :lengths[shortest]]))[0]
    print(f"sequence {shortest} run alone without its padding: valid positions differ by "
          f"{np.abs(alone - y[shortest, :lengths[shortest]]).max():.1e} (the mask hides the padding)")

    seconds = timing.measure(lambda: model(ids), timing.QUICK).median
    flops = 2 * LAYERS * args.batch * args.tokens * (4 * D_MODEL * D_MODEL + 2 * D_MODEL * DFF + 2 * args.tokens * D_MODEL)
    print(f"\ntime per batch of {args.batch} x {args.tokens} tokens: {seconds * 1e3:.1f} ms, "
          f"{flops / seconds / 1e9:.1f} GFLOP/s ({pykernels.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
