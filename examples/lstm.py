"""LSTM(50) -> Dense(1) on a batch of sine-wave sequences: summary, predictions, time per batch.

    python examples/lstm.py [--batch 32] [--steps 100]

Each sequence is sin(f * t + phase) with its own frequency and phase; the model reads the
sequence and emits one number. No trained weights exist for this model: the weights are
seeded random (uniform, seed 0), so the predictions show the plumbing, not a forecast.
"""
import argparse

import numpy as np

import pykernels
from pykernels.bench import timing
from pykernels.layers import LSTM, Dense, Sequential


def sine_batch(batch: int, steps: int, seed: int = 0) -> np.ndarray:
    """(batch, steps, 1) float32 sine waves with random frequencies and phases."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps) * 0.1
    freq, phase = rng.uniform(0.5, 2.0, (batch, 1)), rng.uniform(0, 2 * np.pi, (batch, 1))
    return np.sin(freq * t + phase).astype(np.float32)[..., np.newaxis]


def build(steps: int) -> Sequential:
    model = Sequential([LSTM(50, name="lstm"), Dense(1, name="next_value")], name="sine_lstm")
    model.build((None, steps, 1))
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(-0.2, 0.2, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()

    model = build(args.steps)
    model.summary()
    x = sine_batch(args.batch, args.steps)
    y = model(x)
    print(f"\ninput {x.shape} -> output {y.shape}; last input value and prediction of the first 4 sequences:")
    for last, pred in zip(x[:4, -1, 0], y[:4, 0]):
        print(f"  {last:+.3f} -> {pred:+.4f}")

    seconds = timing.measure(lambda: model(x), timing.QUICK).median
    print(f"\ntime per batch of {args.batch} x {args.steps} steps: {seconds * 1e3:.2f} ms "
          f"({pykernels.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
