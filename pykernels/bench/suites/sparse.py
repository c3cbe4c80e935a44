"""Suite "sparse": ops.spmm against dense BLAS, our dense GEMM, scipy.sparse and torch.sparse.

Points come from ``benchmarks/shapes/sparse.json``: W (M, K) pruned by magnitude to a
pattern and sparsity, times X (K, N). Every contender computes W @ X: ours with the
sparse format (every registered "spmm" backend), the baselines "numpy" (dense W @ X,
OpenBLAS in the wheels), "pykernels-dense" (ops.matmul, our dense GEMM), "scipy" (CSR)
and "torch-csr" / "torch-bsr" (block patterns) when installed. A case's FLOPs are the
dense product's, 2 M K N, so GFLOP/s reads as dense-equivalent throughput and ratios
between contenders are speedups.

Group "digits-cnn" times a whole model: the shipped digits CNN pruned to 80%, converted
by ``compress.sparsify`` (ours, per backend) against the same pruned weights in dense
layers ("pykernels-dense"), at each batch; its FLOPs are the dense model's.

``plot(run, directory)`` (``pykernels bench sparse --plot DIR``) draws the sparsity
sweeps: speedup over dense OpenBLAS against sparsity, one curve per pattern and dense
width, with the measured CSR break-even marked.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

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


def _prepare_model(case: Case) -> Prepared:
    """The pruned model as sparse layers (ours, on each backend) and as dense layers (baseline)."""
    p = case.params
    dense = _digits(p["model"])
    x = np.random.default_rng(1).random((p["batch"], *dense.input_shape[1:]), dtype=np.float32)
    expected = dense(x)
    contenders = [Contender("pykernels-dense", True, lambda: dense(x))]
    for name in implementations():
        sparse = compress.sparsify(dense)
        for layer in sparse.layers:
            layer.backend = name
        contenders.insert(0, Contender(name, False, lambda sparse=sparse: sparse(x)))

    def check(result, what: str) -> None:
        np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-6, err_msg=what)

    return Prepared(case, tuple(contenders), check)


def prepare(case: Case) -> Prepared:
    p = case.params
    if "model" in p:
        return _prepare_model(case)
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


def _break_even(points: list[tuple[float, float]]) -> float | None:
    """The lowest sparsity where the speedup reaches 1, interpolated between measured points."""
    for (s0, r0), (s1, r1) in zip(points, points[1:]):
        if r0 < 1.0 <= r1:
            return s0 + (1.0 - r0) / (r1 - r0) * (s1 - s0)
    return points[0][0] if points and points[0][1] >= 1.0 else None


def plot(run, directory: Path) -> list[Path]:
    """``sparse_speedup.png``: per sweep group and thread count, our speedup over dense
    ``numpy`` (OpenBLAS) against sparsity, a curve per (pattern, N); the CSR break-even marked."""
    from pykernels.bench.plots import pyplot
    sweeps = [m for m in run.measurements if not m.baseline and "sparsity" in m.case.params and "numpy" in m.speedup
              and m.case.group.startswith("sweep")]
    if not sweeps:
        return []
    panels = sorted({(m.case.group, m.threads) for m in sweeps})
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False, sharey=True)
    for ax, (group, threads) in zip(axes[0], panels):
        mine = [m for m in sweeps if (m.case.group, m.threads) == (group, threads)]
        curves: dict[tuple, list[tuple[float, float]]] = {}
        for m in mine:
            p = m.case.params
            curves.setdefault((m.name, p["pattern"], p["n"]), []).append((p["sparsity"], m.speedup["numpy"]))
        for (name, pattern, n), points in sorted(curves.items()):
            points.sort()
            style = {"marker": "o", "markersize": 4} if len(points) > 1 else {"marker": "*", "markersize": 9}
            ax.plot([100 * s for s, _ in points], [r for _, r in points], label=f"{name} {pattern}, N={n}", **style)
            even = _break_even(points) if pattern == "unstructured" else None
            if even is not None and len(points) > 1:
                ax.axvline(100 * even, color="grey", linewidth=0.8, linestyle=":")
                ax.annotate(f"{name} break-even {even:.0%}\n(N={n})", (100 * even, 1.0), fontsize=7, rotation=90,
                            xytext=(3, 5), textcoords="offset points")
        ax.axhline(1.0, color="black", linewidth=1, linestyle="--", label="dense OpenBLAS (numpy)")
        ax.set_yscale("log")
        ax.set_title(f"{group}: W {mine[0].case.params['m']}x{mine[0].case.params['k']}, "
                     f"{threads} thread{'s' * (threads != 1)}")
        ax.set_xlabel("sparsity (%)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("speedup over dense W @ X (median)")
    fig.tight_layout()
    path = Path(directory) / "sparse_speedup.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [path]
