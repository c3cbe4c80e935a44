"""The digits CNN four ways: float, 80%-pruned, int8, and pruned + int8 — accuracy and latency.

    python examples/prune_and_quantize.py [--batch 64]

Shipped trained weights (pykernels.models.digits_cnn, trained by examples/digits/): the
float model, and its 80%-pruned fine-tune, run as sparse layers (compress.sparsify turns
the pruned Dense / Conv2D layers into SparseDense / SparseConv2D). int8 is
compress.quantize in static mode, calibrated on 256 training images. "pruned + int8"
quantizes the pruned model: its int8 kernels are dense, so the zeros cost the same as any
weight and its speed is int8's. Accuracy is on the whole test split (needs scikit-learn);
latency is the median time of one batch on one thread.
"""
import argparse

import numpy as np

from pykernels import compress
from pykernels.bench import report, timing
from pykernels.bench.baselines import limit_threads
from pykernels.models import digits_cnn


def variants(calibration: np.ndarray) -> dict:
    pruned = digits_cnn.build("pruned80")
    return {
        "float": digits_cnn.build("float"),
        "pruned 80% (sparse)": compress.sparsify(pruned),
        "int8 (static)": compress.quantize(digits_cnn.build("float"), calibration, mode="static"),
        "pruned 80% + int8": compress.quantize(pruned, calibration, mode="static"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()

    (x_train, _), (x_test, y_test) = digits_cnn.load_data()
    models = variants(x_train[:256])
    batch = x_test[:args.batch]
    rows = []
    with limit_threads(1):
        for name, model in models.items():
            accuracy = float((model(x_test).argmax(axis=1) == y_test).mean())
            seconds = timing.measure(lambda: model(batch), timing.QUICK).median
            rows.append((name, accuracy, seconds))
    base = rows[0][2]
    report.table(f"digits CNN, {len(x_test)} test images; latency of a batch of {args.batch}, 1 thread",
                 ["model", "accuracy", "ms / batch", "vs float"],
                 [([name, f"{100 * acc:.2f}%", f"{s * 1e3:.3f}", f"{base / s:.2f}x"], None) for name, acc, s in rows])


if __name__ == "__main__":
    main()
