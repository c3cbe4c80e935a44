"""What the two fusion examples share: seeded random weights (no trained weights exist for
these models) and the command line that runs one on a batch, prints its scores and times it."""
import argparse

import numpy as np

import pykernels
from pykernels.bench import timing


def seeded_random_weights(model, limit: float = 0.1, seed: int = 0):
    """``model`` with every weight uniform in [-limit, limit] (seeded), returned for chaining."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-limit, limit, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def run(description: str, build, inputs, scores_name: str) -> None:
    """Parse ``--batch``, build the model, print its summary and first scores, and time it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()

    model = build()
    model.summary()
    data = inputs(args.batch)
    scores = model(data)
    print(f"\n{scores_name} {scores.shape}: " + " ".join(f"{s:.3f}" for s in scores[:8, 0]))
    seconds = timing.measure(lambda: model(data), timing.QUICK).median
    print(f"time per batch of {args.batch}: {seconds * 1e3:.2f} ms ({pykernels.get_num_threads()} threads)")
