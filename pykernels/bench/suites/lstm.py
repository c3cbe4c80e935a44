"""Suite "lstm": one LSTM layer over a sequence, ours against a NumPy loop and PyTorch.

Shapes come from ``benchmarks/shapes/lstm.json``. Every registered "lstm_layer"
backend except the reference runs ``ops.lstm(x, weights, backend=name)``; the baselines
are the reference's per-step NumPy loop in float32 (``reference.lstm(..., dtype=float32)``)
and ``torch.nn.LSTM`` loaded with the same weights. Results are checked against
``pykernels.reference``.
"""
from __future__ import annotations

import numpy as np

from pykernels import ops
from pykernels.bench import baselines, suites
from pykernels.bench.case import ONE_THREAD, Case, Prepared, Target, groups, shapes
from pykernels.reference import lstm as reference
from pykernels.testing import assert_close

NAME = "lstm"
OP = "lstm_layer"  # the registry op of our contenders
SHAPE = "TxBxIxH"
BASELINES = ("numpy", "torch")

TARGETS = [  # the LSTM issue's acceptance lines
    Target("LSTM vs PyTorch, T=100 B=32 I=128 H=256 and T=200 B=64 I=512 H=512", "torch", 1.3,
           groups("medium", "large")),
    Target("LSTM vs PyTorch, classic LSTM(50) at batch 1", "torch", 3.0, shapes("50x1x32x50")),
    Target("2 threads vs 1, large", ONE_THREAD, 1.6, groups("large"), threads=2),
    Target("Numba within 4x of C++, worst case", "numba", 0.25, combine="min"),
]


def cases(quick: bool = False) -> list[Case]:
    found = []
    for group, s in suites.entries("lstm.json", quick):
        t, b, i, h = s["t"], s["b"], s["i"], s["h"]
        found.append(Case(NAME, group["name"], f"{t}x{b}x{i}x{h}", 2.0 * t * b * 4 * h * (i + h),
                          {"t": t, "b": b, "i": i, "h": h}))
    return found


def contenders(case: Case | None = None) -> list[tuple[str, bool]]:
    return suites.installed_contenders(OP, BASELINES)


def prepare(case: Case) -> Prepared:
    p = case.params
    rng = np.random.default_rng(0)
    scale = 1.0 / np.sqrt(p["h"])
    weights = [tuple(rng.uniform(-scale, scale, shape).astype(np.float32)
                     for shape in ((4 * p["h"], p["i"]), (4 * p["h"], p["h"]), (4 * p["h"],), (4 * p["h"],)))]
    x = rng.standard_normal((p["t"], p["b"], p["i"]), dtype=np.float32)
    # The float64 reference of the large case takes seconds: the check compares the last
    # step's output, computed in float64 over the whole sequence once.
    out64, _ = reference.lstm(x, weights)
    out32, _ = reference.lstm(x, weights, dtype=np.float32)
    ours = {name: (lambda name=name: ops.lstm(x, weights, backend=name)[0]) for name in suites.implementations(OP)}
    theirs = {"numpy": lambda: reference.lstm(x, weights, dtype=np.float32)[0]}
    torch = baselines.module("torch")
    if torch is not None:
        model = torch.nn.LSTM(p["i"], p["h"])
        with torch.no_grad():
            for param, value in zip(model.parameters(), weights[0]):
                param.copy_(torch.from_numpy(value))
        tx = torch.from_numpy(x)

        def run_torch():
            with torch.no_grad():
                return model(tx)[0]
        theirs["torch"] = run_torch

    def check(result, what: str) -> None:
        assert_close(np.asarray(result), out64, out32, what=what)

    return Prepared.of(case, ours, theirs, check)
