"""Suite "attention": fused scaled dot-product attention, ours against PyTorch and NumPy.

Shapes come from ``benchmarks/shapes/attention.json``. Every registered "sdpa" backend
except the reference times ``ops.sdpa(q, k, v, is_causal=..., backend=name)``; the
baselines are PyTorch's ``F.scaled_dot_product_attention`` (its CPU flash kernel) and,
where the shape is marked "naive", NumPy's softmax(q k^T) v with the full score matrix.
Results are checked against ``pykernels.reference`` on the first query rows (the float64
reference of a 16k-token case would not fit in memory).
"""
from __future__ import annotations

import math

import numpy as np

from pykernels import ops, registry
from pykernels.bench import baselines
from pykernels.bench.case import Case, Contender, Prepared
from pykernels.bench.suites import shapes
from pykernels.reference import attention as reference
from pykernels.testing import assert_close

NAME = "attention"
SHAPE = "BxHxNxD"
BASELINES = ("numpy", "torch")
CHECKED_ROWS = 64  # query rows compared with the reference


def flops(b: int, h: int, n: int, d: int, causal: bool) -> float:
    """The two products' FLOPs: 4 B H D per (query, key) pair attended."""
    pairs = n * (n + 1) / 2 if causal else n * n
    return 4.0 * b * h * pairs * d


def cases(quick: bool = False) -> list[Case]:
    found = []
    for group in shapes("attention.json")["groups"]:
        for s in group["shapes"]:
            if quick and not s.get("quick", False):
                continue
            label = f"{s['b']}x{s['h']}x{s['n']}x{s['d']}" + ("-causal" if s["causal"] else "")
            found.append(Case(NAME, group["name"], label, flops(s["b"], s["h"], s["n"], s["d"], s["causal"]),
                              dict(s)))
    return found


def implementations() -> list[str]:
    return [name for name in registry.backend_names("sdpa") if name != "reference"]


def contenders() -> list[tuple[str, bool]]:
    theirs = [name for name in baselines.available() if name in BASELINES]
    return [(name, False) for name in implementations()] + [(name, True) for name in theirs]


def naive_sdpa(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool) -> np.ndarray:
    """softmax(q k^T / sqrt(D)) v in float32 NumPy, the whole score matrix at once."""
    scores = (q @ np.swapaxes(k, -1, -2)) * np.float32(1.0 / math.sqrt(q.shape[-1]))
    if causal:
        n = q.shape[2]
        scores[..., np.triu(np.ones((n, n), bool), 1)] = -np.inf
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    scores /= scores.sum(axis=-1, keepdims=True)
    return scores @ v


def prepare(case: Case) -> Prepared:
    p = case.params
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((p["b"], p["h"], p["n"], p["d"]), dtype=np.float32) for _ in range(3))
    causal = p["causal"]
    rows = slice(0, min(CHECKED_ROWS, p["n"]))
    ref64 = reference.sdpa(q[:, :, rows], k, v, is_causal=causal)
    ref32 = reference.sdpa(q[:, :, rows], k, v, is_causal=causal, dtype=np.float32)
    ours = {name: (lambda name=name: ops.sdpa(q, k, v, is_causal=causal, backend=name)) for name in implementations()}
    theirs = {}
    if p.get("naive"):
        theirs["numpy"] = lambda: naive_sdpa(q, k, v, causal)
    torch = baselines.module("torch")
    if torch is not None:
        tq, tk, tv = (torch.from_numpy(x) for x in (q, k, v))
        functional = torch.nn.functional
        theirs["torch"] = lambda: functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)

    def check(result, what: str) -> None:
        assert_close(np.asarray(result)[:, :, rows], ref64, ref32, what=what)

    contenders = [Contender(name, False, fn) for name, fn in ours.items()]
    contenders += [Contender(name, True, fn) for name, fn in theirs.items()]
    return Prepared(case, tuple(contenders), check)
