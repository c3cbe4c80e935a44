"""Suite "sparse": ops.spmm against dense BLAS, our dense GEMM, scipy.sparse and torch.sparse.

Points come from ``benchmarks/shapes/sparse.json``: W (M, K) pruned by magnitude to a
pattern and sparsity, times X (K, N). Every contender computes W @ X: ours with the
sparse format (every registered "spmm" backend), the baselines "numpy" (dense W @ X,
OpenBLAS in the wheels), "pykernels-dense" (ops.matmul, our dense GEMM), "scipy" (CSR)
and "torch-csr" / "torch-bsr" (block patterns) when installed. A case's FLOPs are the
dense product's, 2 M K N, so GFLOP/s reads as dense-equivalent throughput and ratios
between contenders are speedups.
"""
from __future__ import annotations

import importlib.util

import numpy as np

from pykernels import compress, formats, ops, registry
from pykernels.bench import baselines
from pykernels.bench.case import Case, Contender, Prepared
from pykernels.bench.suites import shapes
from pykernels.reference import spmm as reference
from pykernels.testing import assert_close

NAME = "sparse"
SHAPE = "MxKxN@pattern:sparsity"
BASELINES = ("numpy", "pykernels-dense", "scipy", "torch-csr", "torch-bsr")


def _points(group: dict, quick: bool):
    chosen = group["quick"] if quick else group["patterns"]
    for m, k, n in (chosen["shapes"] if quick else group["shapes"]):
        for pattern, sparsities in chosen.items():
            if pattern == "shapes":
                continue
            for s in sparsities:
                yield m, k, n, pattern, s


def cases(quick: bool = False) -> list[Case]:
    found = []
    for group in shapes("sparse.json")["groups"]:
        for m, k, n, pattern, s in _points(group, quick):
            label = f"{m}x{k}x{n}@{pattern.replace('block', 'bsr')}:{s:g}"
            found.append(Case(NAME, group["name"], label, 2.0 * m * k * n,
                              {"m": m, "k": k, "n": n, "pattern": pattern, "sparsity": s}))
    return found


def implementations() -> list[str]:
    return [name for name in registry.backend_names("spmm") if name != "reference"]


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def contenders() -> list[tuple[str, bool]]:
    theirs = ["numpy", "pykernels-dense"] + ["scipy"] * _installed("scipy")
    if "torch" in baselines.available():
        theirs += ["torch-csr", "torch-bsr"]
    return [(name, False) for name in implementations()] + [(name, True) for name in theirs]


def weights(m: int, k: int, pattern: str, sparsity: float, seed: int = 0):
    """The dense pruned weight (float32) and its sparse format, reproducibly."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((m, k), dtype=np.float32)
    p = formats.parse_pattern(pattern, NAME)
    w = compress.prune(w, None if p.kind == "nm" else sparsity, p)
    return w, formats.to_sparse(w, p)


def prepare(case: Case) -> Prepared:
    p = case.params
    wd, ws = weights(p["m"], p["k"], p["pattern"], p["sparsity"])
    x = np.random.default_rng(1).standard_normal((p["k"], p["n"]), dtype=np.float32)
    ref64, ref32 = reference.spmm(ws, x), reference.spmm(ws, x, dtype=np.float32)
    ours = {name: (lambda name=name: ops.spmm(ws, x, backend=name)) for name in implementations()}
    theirs = {"numpy": lambda: wd @ x, "pykernels-dense": lambda: ops.matmul(wd, x)}
    if _installed("scipy"):
        import scipy.sparse as sp
        s_csr = sp.csr_matrix(wd)
        theirs["scipy"] = lambda: s_csr @ x
    torch = baselines.module("torch")
    if torch is not None:
        tx, tw = torch.from_numpy(x), torch.from_numpy(wd)
        t_csr = tw.to_sparse_csr()
        theirs["torch-csr"] = lambda: t_csr @ tx
        if isinstance(ws, formats.BSRMatrix):
            t_bsr = tw.to_sparse_bsr(ws.blocksize)
            theirs["torch-bsr"] = lambda: t_bsr @ tx

    def check(result, what: str) -> None:
        result = result.numpy() if hasattr(result, "numpy") else np.asarray(result)
        assert_close(result, ref64, ref32, what=what)

    contenders = [Contender(name, False, fn) for name, fn in ours.items()]
    contenders += [Contender(name, True, fn) for name, fn in theirs.items()]
    return Prepared(case, tuple(contenders), check)
