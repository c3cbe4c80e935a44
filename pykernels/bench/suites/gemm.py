"""Suite "gemm": float32 matmul and linear+relu, ours against NumPy and PyTorch.

Shapes come from ``benchmarks/shapes/gemm.json``: groups of op "matmul" time
``ops.matmul(a, b, backend=name)`` against ``a @ b`` and ``torch.mm``; groups of op
"linear" time ``ops.linear(x, w, b, activation="relu", backend=name)`` against
``np.maximum(x @ w.T + b, 0)`` and ``F.relu(F.linear(x, w, b))``. Every registered
"gemm" backend except the reference is timed; results are checked against
``pykernels.reference``.
"""
from __future__ import annotations

import numpy as np

from pykernels import ops
from pykernels.bench import baselines, suites
from pykernels.bench.case import ONE_THREAD, PEAK, Case, Prepared, Target, groups, shapes
from pykernels.reference import gemm as reference
from pykernels.testing import assert_close

NAME = "gemm"
OP = "gemm"  # the registry op of our contenders
SHAPE = "MxKxN"
BASELINES = ("numpy", "torch")

LARGE_SQUARE = shapes("1024x1024x1024", "2048x2048x2048")
TARGETS = [  # the foundation issue's acceptance lines
    Target("f32 GEMM vs NumPy (OpenBLAS), M=N=K=1024 and 2048", "numpy", 1.0, LARGE_SQUARE),
    Target("f32 GEMM share of the FMA peak, M=N=K=1024 and 2048", PEAK, 80.0, LARGE_SQUARE),
    Target("f32 GEMM on 2 threads vs 1", ONE_THREAD, 1.8, LARGE_SQUARE, threads=2),
    Target("f32 GEMM vs NumPy at inference shapes (tall-skinny), worst case", "numpy", 1.0, groups("tall-skinny"),
           combine="min"),
    Target("Numba GEMM within 3x of C++, worst case", "numba", 1 / 3, combine="min"),
]


def cases(quick: bool = False) -> list[Case]:
    found = []
    for group, s in suites.entries("gemm.json", quick):
        m, k, n = s["m"], s["k"], s["n"]
        found.append(Case(NAME, group["name"], f"{m}x{k}x{n}", 2.0 * m * k * n,
                          {"op": group["op"], "m": m, "k": k, "n": n}, bytes=4.0 * (m * k + k * n + m * n)))
    return found


def contenders(case: Case | None = None) -> list[tuple[str, bool]]:
    return suites.installed_contenders(OP, BASELINES)


def prepare(case: Case) -> Prepared:
    p = case.params
    rng = np.random.default_rng(0)
    a = rng.standard_normal((p["m"], p["k"]), dtype=np.float32)
    torch = baselines.module("torch")
    if p["op"] == "matmul":
        b = rng.standard_normal((p["k"], p["n"]), dtype=np.float32)
        ref64, ref32 = reference.gemm(a, b), reference.gemm(a, b, dtype=np.float32)
        ours = {name: (lambda name=name: ops.matmul(a, b, backend=name)) for name in suites.implementations(OP)}
        theirs = {"numpy": lambda: a @ b}
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            theirs["torch"] = lambda: torch.mm(ta, tb)
    else:
        w = rng.standard_normal((p["n"], p["k"]), dtype=np.float32)
        bias = rng.standard_normal(p["n"], dtype=np.float32)
        ref64 = reference.linear(a, w, bias, "relu")
        ref32 = reference.linear(a, w, bias, "relu", dtype=np.float32)
        ours = {name: (lambda name=name: ops.linear(a, w, bias, activation="relu", backend=name))
                for name in suites.implementations(OP)}
        theirs = {"numpy": lambda: np.maximum(a @ w.T + bias, 0)}
        if torch is not None:
            functional = torch.nn.functional
            tx, tw, tbias = torch.from_numpy(a), torch.from_numpy(w), torch.from_numpy(bias)
            theirs["torch"] = lambda: functional.relu(functional.linear(tx, tw, tbias))

    def check(result, what: str) -> None:
        assert_close(np.asarray(result), ref64, ref32, what=what)

    return Prepared.of(case, ours, theirs, check)
