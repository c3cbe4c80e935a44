"""Image + audio fusion: a functional Model with a Conv2D branch and an LSTM branch.

    python examples/fusion_image_audio.py [--batch 16]

image (32x32x3) -> Conv2D(16, 3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(32, relu) ┐
audio (50 frames x 13 MFCCs) -> LSTM(32)                                               ┴-> Concatenate -> Dense(1, sigmoid)

No trained weights exist for this model: the weights are seeded random (uniform, seed 0)
and the audio is seeded noise, so the scores show the plumbing, not a classifier.
tests/test_examples.py checks the model against a reference computation of the same graph.
"""
import numpy as np

from pykernels.layers import LSTM, Concatenate, Conv2D, Dense, Flatten, Input, MaxPooling2D, Model

import fusion_demo  # examples/fusion_demo.py, beside this script

IMAGE, AUDIO = (32, 32, 3), (50, 13)


def build() -> Model:
    image, audio = Input(IMAGE, name="image"), Input(AUDIO, name="audio")
    a = Conv2D(16, 3, activation="relu", name="image_conv")(image)
    a = Dense(32, activation="relu", name="image_dense")(Flatten(name="image_flat")(MaxPooling2D(2, name="image_pool")(a)))
    b = LSTM(32, name="audio_lstm")(audio)
    score = Dense(1, activation="sigmoid", name="event")(Concatenate(name="fuse")([a, b]))
    model = Model([image, audio], score, name="image_audio_fusion")
    return fusion_demo.seeded_random_weights(model)


def inputs(batch: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.random((batch, *IMAGE), dtype=np.float32), rng.standard_normal((batch, *AUDIO)).astype(np.float32)]


if __name__ == "__main__":
    fusion_demo.run(__doc__.splitlines()[0], build, inputs, "event scores")
