"""The classic CNN on 64x64x3 images: summary, a batch's predictions, time per batch, per-layer profile.

    python examples/cnn.py [--batch 32]

Conv2D(32, 3x3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(64, relu) -> Dense(10, softmax).
No trained weights exist for this model: the weights are seeded random (uniform, Glorot-style
scale, seed 0) and the input is seeded random noise, so the predictions show the plumbing, not
a classifier.
"""
import argparse

import numpy as np

import pykernels
from pykernels.bench import timing
from pykernels.layers import Conv2D, Dense, Flatten, MaxPooling2D, Sequential


def build() -> Sequential:
    model = Sequential([Conv2D(32, 3, activation="relu", name="conv"), MaxPooling2D(2, name="pool"),
                        Flatten(name="flatten"), Dense(64, activation="relu", name="dense"),
                        Dense(10, activation="softmax", name="classes")], name="classic_cnn")
    model.build((None, 64, 64, 3))
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(-1, 1, w.shape).astype(np.float32) * np.sqrt(6 / sum(w.shape[-2:]))
                       if w.ndim > 1 else np.zeros_like(w) for w in model.get_weights()])
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    model = build()
    model.summary()
    x = np.random.default_rng(1).random((args.batch, 64, 64, 3), dtype=np.float32)
    probabilities = model(x)
    print(f"\npredictions for {args.batch} images (class, probability):")
    print("  " + "  ".join(f"{c}:{p:.2f}" for c, p in zip(probabilities.argmax(1)[:8], probabilities.max(1)[:8])))
    print(f"  rows sum to 1 within {np.abs(probabilities.sum(axis=1) - 1).max():.1e}")

    seconds = timing.measure(lambda: model(x), timing.QUICK).median
    print(f"\ntime per batch of {args.batch}: {seconds * 1e3:.2f} ms ({pykernels.get_num_threads()} threads)")
    pykernels.profile(model, x, repeat=3).show()


if __name__ == "__main__":
    main()
