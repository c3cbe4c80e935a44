"""Image + text fusion: a functional Model with a Conv2D branch and an Embedding branch.

    python examples/fusion_image_text.py [--batch 16]

image (32x32x3) -> Conv2D(16, 3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(32, relu) ┐
text (20 token ids, 0 = padding) -> Embedding(1000, 32, mask_zero) -> LSTM(32)        ┴-> Concatenate -> Dense(1, sigmoid)

No trained weights exist for this model: the weights are seeded random (uniform, seed 0),
so the scores show the plumbing, not a classifier. tests/test_examples.py checks the model
against a reference computation of the same graph.
"""
import numpy as np

from pykernels.layers import LSTM, Concatenate, Conv2D, Dense, Embedding, Flatten, Input, MaxPooling2D, Model

import fusion_demo  # examples/fusion_demo.py, beside this script

IMAGE, TOKENS, VOCAB = (32, 32, 3), 20, 1000


def build() -> Model:
    image, text = Input(IMAGE, name="image"), Input((TOKENS,), dtype="int32", name="text")
    a = Conv2D(16, 3, activation="relu", name="image_conv")(image)
    a = Dense(32, activation="relu", name="image_dense")(Flatten(name="image_flat")(MaxPooling2D(2, name="image_pool")(a)))
    b = LSTM(32, name="text_lstm")(Embedding(VOCAB, 32, mask_zero=True, name="tokens")(text))
    score = Dense(1, activation="sigmoid", name="match")(Concatenate(name="fuse")([a, b]))
    model = Model([image, text], score, name="image_text_fusion")
    return fusion_demo.seeded_random_weights(model)


def inputs(batch: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    text = rng.integers(1, VOCAB, (batch, TOKENS)).astype(np.int32)
    text[np.arange(TOKENS) >= rng.integers(3, TOKENS + 1, (batch, 1))] = 0
    return [rng.random((batch, *IMAGE), dtype=np.float32), text]


if __name__ == "__main__":
    fusion_demo.run(__doc__.splitlines()[0], build, inputs, "match scores")
