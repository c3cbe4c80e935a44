"""A small Keras-style MLP on pykernels layers: summary, accuracy against the reference, speed vs NumPy.

    python examples/mlp.py [--batch 256] [--backend auto]

Flatten -> Dense(64, relu) -> Dense(10, softmax) on random 64x64x3 "images". The error
is measured against pykernels.reference in float64 and compared with the error that the
same computation in float32 NumPy makes; the timing is side by side with NumPy on the same
input (pykernels' benchmark clock: warmed up, median of rounds), on one thread and on all.
"""
import argparse
import os

import numpy as np

from pykernels.bench import timing
from pykernels.bench.baselines import limit_threads
from pykernels.layers import Dense, Flatten, Sequential
from pykernels.reference.gemm import linear
from pykernels.testing import error_bound


def reference_mlp(model, x, dtype):
    """The model's forward pass computed by pykernels.reference (Keras kernel = w.T)."""
    k1, b1, k2, b2 = model.get_weights()
    hidden = linear(x.reshape(len(x), -1), k1.T, b1, "relu", dtype=dtype)
    return linear(hidden, k2.T, b2, "softmax", dtype=dtype)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--backend", default="auto", help="auto, or one of pykernels.registry.backend_names('gemm')")
    args = parser.parse_args()

    model = Sequential([Flatten(), Dense(64, activation="relu"), Dense(10, activation="softmax")],
                       backend=None if args.backend == "auto" else args.backend)
    x = np.random.default_rng(0).standard_normal((args.batch, 64, 64, 3)).astype(np.float32)
    y = model(x)
    model.summary()

    ref64, ref32 = reference_mlp(model, x, np.float64), reference_mlp(model, x, np.float32)
    err = float(np.abs(y - ref64).max())
    print(f"\noutput shape {y.shape}, rows sum to 1 within {np.abs(y.sum(axis=1) - 1).max():.1e}")
    print(f"max error vs float64 reference {err:.2e} (float32 NumPy: {np.abs(ref32 - ref64).max():.2e}, "
          f"test bound {error_bound(ref64, ref32):.2e})")

    flops = 2 * args.batch * (64 * 64 * 3 * 64 + 64 * 10)
    print(f"\nbatch {args.batch}: pykernels ({args.backend}) vs NumPy float32, median ms (GFLOP/s)")
    for threads in sorted({1, os.cpu_count() or 1}):
        with limit_threads(threads) as notes:
            ours = timing.measure(lambda: model(x), timing.QUICK).median
            numpy = timing.measure(lambda: reference_mlp(model, x, np.float32), timing.QUICK).median
        print(f"  {threads} thread(s): pykernels {ours * 1e3:6.2f} ({flops / ours / 1e9:5.1f})   "
              f"NumPy {numpy * 1e3:6.2f} ({flops / numpy / 1e9:5.1f})   speedup {numpy / ours:.2f}x")
        for note in notes:
            print(f"    note: {note}")


if __name__ == "__main__":
    main()
