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

from pykernels import ops
from pykernels.bench import baselines, suites
from pykernels.bench.case import ONE_THREAD, Case, Prepared, Target, shapes
from pykernels.reference import attention as reference
from pykernels.testing import assert_close

NAME = "attention"
OP = "sdpa"  # the registry op of our contenders
SHAPE = "BxHxNxD"
BASELINES = ("numpy", "torch")
CHECKED_ROWS = 64  # query rows compared with the reference
PEAK_MEMORY_LIMIT = 64 * 2**20  # bytes of extra memory a 16k-token causal sdpa may take
TARGETS = [  # the attention issue's acceptance lines
    Target("sdpa vs PyTorch SDPA, non-causal N=1024 D=64", "torch", 1.5, shapes("4x8x1024x64")),
    Target("sdpa vs PyTorch SDPA, causal N=1024 D=64", "torch", 2.5, shapes("4x8x1024x64-causal")),
    Target("2 threads vs 1, N >= 1024, worst case", ONE_THREAD, 1.8, lambda c: c.params["n"] >= 1024, threads=2,
           combine="min"),
    Target("Numba within 4x of C++, worst case", "numba", 0.25, combine="min"),
]


def flops(b: int, h: int, n: int, d: int, causal: bool) -> float:
    """The two products' FLOPs: 4 B H D per (query, key) pair attended."""
    pairs = n * (n + 1) / 2 if causal else n * n
    return 4.0 * b * h * pairs * d


def cases(quick: bool = False) -> list[Case]:
    found = []
    for group, s in suites.entries("attention.json", quick):
        label = f"{s['b']}x{s['h']}x{s['n']}x{s['d']}" + ("-causal" if s["causal"] else "")
        found.append(Case(NAME, group["name"], label, flops(s["b"], s["h"], s["n"], s["d"], s["causal"]),
                          dict(s)))
    return found


def contenders(case: Case | None = None) -> list[tuple[str, bool]]:
    return suites.installed_contenders(OP, BASELINES)


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
    ours = {name: (lambda name=name: ops.sdpa(q, k, v, is_causal=causal, backend=name)) for name in suites.implementations(OP)}
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

    return Prepared.of(case, ours, theirs, check)


MEMORY_SCRIPT = """
import numpy as np
from pykernels import ops
b, h, n, d = {shape}
q, k, v = (np.ones((b, h, n, d), np.float32) for _ in range(3))
out = np.full_like(q, 1.0)  # touched: its pages are not extra memory
def rss(field):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(field)) * 1024
tiny = np.ones((1, 1, 8, 8), np.float32)
ops.sdpa(tiny, tiny, tiny, is_causal=True)  # load the kernels; their workspaces stay small
open("/proc/self/clear_refs", "w").write("5")  # reset the peak RSS to the current RSS
before = rss("VmRSS:")
ops.sdpa(q, k, v, is_causal=True, out=out)
print(rss("VmHWM:") - before)
"""


def peak_extra_memory(shape: tuple[int, int, int, int], threads: int) -> int:
    """Bytes the peak RSS grows by during one causal sdpa of ``shape`` into a preallocated
    output, in a fresh process (so earlier allocations do not hide it)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT.format(shape=tuple(shape))], env=env,
                          capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def ratio_notes(results) -> list[str]:
    """The peak extra memory of the longest causal case of the run, when it has 16k tokens."""
    long = [r for r in results if r.case.params["causal"] and r.case.params["n"] >= 16384]
    if not long:
        return []
    p = max(long, key=lambda r: r.case.params["n"]).case.params
    extra = peak_extra_memory((p["b"], p["h"], p["n"], p["d"]), threads=1)
    verdict = "ok" if extra < PEAK_MEMORY_LIMIT else "FAIL"
    return [f"peak extra memory of sdpa {p['b']}x{p['h']}x{p['n']}x{p['d']} causal: {extra / 2**20:.1f} MiB "
            f"(need < {PEAK_MEMORY_LIMIT / 2**20:.0f} MiB) {verdict}"]

