"""Suite "sparse": ops.spmm against dense BLAS, our dense GEMM, scipy.sparse and torch.sparse.

Points come from ``benchmarks/shapes/sparse.json``: W (M, K) pruned by magnitude to a
pattern and sparsity, times X (K, N). Every contender computes W @ X: ours with the
sparse format (every registered "spmm" backend), the baselines "numpy" (dense W @ X,
OpenBLAS in the wheels), "pykernels-dense" (ops.matmul, our dense GEMM), "scipy" (CSR)
and "torch-csr" / "torch-bsr" (block patterns) when installed. A case's FLOPs are the
dense product's, 2 M K N, so GFLOP/s reads as dense-equivalent throughput and ratios
between contenders are speedups.

Group "digits-cnn" times a whole model: the shipped digits CNN pruned to 80%, converted
to sparse layers by ``compress.sparsify`` (ours, per backend), against the same weights in
dense layers ("pykernels-dense"), at each batch; its FLOPs are the dense model's.
"""
from __future__ import annotations

import importlib.util

import numpy as np

from pykernels import compress, formats, ops
from pykernels.bench import baselines, suites
from pykernels.bench.case import ONE_THREAD, Case, Prepared, Target, shapes
from pykernels.reference import spmm as reference
from pykernels.testing import assert_close

NAME = "sparse"
OP = "spmm"  # the registry op of our contenders
SHAPE = "MxKxN@pattern:sparsity"
BASELINES = ("numpy", "pykernels-dense", "scipy", "torch-csr", "torch-bsr")

CSR_90 = shapes("1024x1024x256@unstructured:0.9")
TARGETS = [  # the sparse issue's acceptance lines: W 1024x1024, 256 dense columns
    Target("CSR at 90% vs dense OpenBLAS", "numpy", 4.0, CSR_90),
    Target("CSR at 90% vs scipy.sparse", "scipy", 5.0, CSR_90),
    Target("BSR at 90%, best block, vs dense OpenBLAS", "numpy", 6.0,
           lambda c: c.shape.startswith("1024x1024x256@bsr") and c.shape.endswith(":0.9"), combine="max"),
    Target("2:4 vs dense OpenBLAS", "numpy", 1.3, shapes("1024x1024x256@2:4:0.5")),
    Target("CSR at 90%, 2 threads vs 1", ONE_THREAD, 1.8, CSR_90, threads=2),
]
BREAK_EVEN_SHAPE, BREAK_EVEN_LIMIT = (1024, 1024, 256), 0.60  # CSR vs dense: even at <= 60% sparsity


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
    for group in suites.shapes("sparse.json")["groups"]:
        if "model" in group:
            for batch in (group["quick"] if quick else group)["batches"]:
                found.append(Case(NAME, group["name"], f"{group['model']}@b{batch}",
                                  batch * _model_flops(_digits(group["model"])),
                                  {"model": group["model"], "batch": batch}))
            continue
        for m, k, n, pattern, s in _points(group, quick):
            label = f"{m}x{k}x{n}@{pattern.replace('block', 'bsr')}:{s:g}"
            found.append(Case(NAME, group["name"], label, 2.0 * m * k * n,
                              {"m": m, "k": k, "n": n, "pattern": pattern, "sparsity": s}))
    return found


def _digits(weights: str):
    from pykernels.models import digits_cnn

    return digits_cnn.build(weights)


def _model_flops(model) -> float:
    """FLOPs of one image through the model's dense Conv2D and Dense layers (2 per multiply-add)."""
    total = 0.0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        pixels = int(np.prod(layer.compute_output_shape(layer.input_shape)[1:-1])) if kernel.ndim == 4 else 1
        total += 2.0 * pixels * kernel.size
    return total


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def contenders(case: Case | None = None) -> list[tuple[str, bool]]:
    if case is not None and "model" in case.params:
        return suites.contender_names(OP, ["pykernels-dense"])
    theirs = ["numpy", "pykernels-dense"] + ["scipy"] * _installed("scipy")
    if "torch" in baselines.available():
        theirs += ["torch-csr"] + ["torch-bsr"] * (case is None or case.params["pattern"].startswith("block"))
    return suites.contender_names(OP, theirs)


def weights(m: int, k: int, pattern: str, sparsity: float, seed: int = 0):
    """The dense pruned weight (float32) and its sparse format, reproducibly."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((m, k), dtype=np.float32)
    p = formats.parse_pattern(pattern, NAME)
    w = compress.prune(w, None if p.kind == "nm" else sparsity, p)
    return w, formats.to_sparse(w, p)


def _prepare_model(case: Case) -> Prepared:
    """The pruned model as sparse layers (ours, on each backend) and as dense layers (baseline)."""
    p = case.params
    dense = _digits(p["model"])
    x = np.random.default_rng(1).random((p["batch"], *dense.input_shape[1:]), dtype=np.float32)
    expected = dense(x)
    ours = {}
    for name in suites.implementations(OP):
        sparse = compress.sparsify(dense)
        for layer in sparse.layers:
            layer.backend = name
        ours[name] = lambda sparse=sparse: sparse(x)

    def check(result, what: str) -> None:
        np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-6, err_msg=what)

    return Prepared.of(case, ours, {"pykernels-dense": lambda: dense(x)}, check)


def prepare(case: Case) -> Prepared:
    p = case.params
    if "model" in p:
        return _prepare_model(case)
    wd, ws = weights(p["m"], p["k"], p["pattern"], p["sparsity"])
    x = np.random.default_rng(1).standard_normal((p["k"], p["n"]), dtype=np.float32)
    ref64, ref32 = reference.spmm(ws, x), reference.spmm(ws, x, dtype=np.float32)
    ours = {name: (lambda name=name: ops.spmm(ws, x, backend=name)) for name in suites.implementations(OP)}
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

    return Prepared.of(case, ours, theirs, check)


def break_even(points) -> float | None:
    """The sparsity where the speedup over dense crosses 1, interpolated linearly between
    the (sparsity, speedup) ``points``; None when no point reaches 1."""
    previous = None
    for sparsity, speedup in sorted(points):
        if speedup >= 1.0:
            if previous is None:
                return sparsity
            s0, r0 = previous
            return s0 + (1.0 - r0) / (speedup - r0) * (sparsity - s0)
        previous = (sparsity, speedup)
    return None


def ratio_notes(results) -> list[str]:
    """CSR's break-even sparsity against dense OpenBLAS, from the run's one-thread sweep."""
    m, k, n = BREAK_EVEN_SHAPE
    points = [(r.case.params["sparsity"], r.ratios["numpy"]) for r in results
              if r.threads == 1 and r.case.params.get("pattern") == "unstructured" and "numpy" in r.ratios
              and (r.case.params["m"], r.case.params["k"], r.case.params["n"]) == (m, k, n)]
    if len(points) < 2:
        return []
    found = break_even(points)
    verdict = "no sparsity of the run" if found is None else \
        f"{found:.1%} ({'ok' if found <= BREAK_EVEN_LIMIT else 'FAIL'})"
    return [f"CSR break-even against dense OpenBLAS, W {m}x{k}, N={n}, from {len(points)} sparsities: {verdict}, "
            f"need <= {BREAK_EVEN_LIMIT:.0%}"]


def plot(run, directory):
    """``sparse_speedup.png``: our speedup over dense NumPy against sparsity, one panel per
    group, one line per shape and pattern; the break-even (speedup 1) marked."""
    from pykernels.bench.plots import pyplot

    plt = pyplot()
    threads = run.thread_counts[0]
    ours = [m for m in run.measurements if not m.baseline and m.threads == threads and "numpy" in m.speedup
            and "sparsity" in m.case.params]
    if not ours:
        return []
    first = ours[0].name
    groups = list(dict.fromkeys(m.case.group for m in ours))
    fig, axes = plt.subplots(1, len(groups), figsize=(6 * len(groups), 4.5), squeeze=False)
    for ax, group in zip(axes[0], groups):
        series: dict[str, list[tuple[float, float]]] = {}
        for m in ours:
            if m.case.group == group and m.name == first:
                p = m.case.params
                series.setdefault(f"{p['m']}x{p['k']}, N={p['n']}, {p['pattern']}", []).append(
                    (100 * p["sparsity"], m.speedup["numpy"]))
        for label, points in series.items():
            ax.plot(*zip(*sorted(points)), marker="o", markersize=4, label=label)
            even = break_even([(s / 100, r) for s, r in points]) if "unstructured" in label else None
            if even is not None and len(points) > 1:
                ax.axvline(100 * even, color="grey", linewidth=0.8, linestyle=":")
        ax.axhline(1.0, color="black", linewidth=1, linestyle="--", label="break-even with dense NumPy (OpenBLAS)")
        ax.set_yscale("log")
        ax.set_xlabel("sparsity (%)")
        ax.set_title(f"sparse {group}, {first}, {threads} thread{'s' * (threads != 1)}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("speedup over dense W @ X (median times)")
    fig.tight_layout()
    path = directory / "sparse_speedup.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [path]

