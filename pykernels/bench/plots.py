"""``--plot DIR``: PNG figures of a benchmark run (needs matplotlib, in the [bench] extra).

- ``<suite>_gflops.png``: GFLOP/s against the work of one call, one series per
  implementation (baselines dashed), one panel per thread count, the FMA peak marked;
- ``roofline.png``: every measurement whose case knows its bytes, as a point at (FLOP per
  byte, GFLOP/s) under the two roofs measured by ``pykernels info``: FMA peak and memory
  bandwidth;
- a suite may add its own figures with ``plot(run, directory) -> list[Path]`` (the
  sparse suite's speedup against sparsity, for instance).
"""
from __future__ import annotations

import importlib
from pathlib import Path

from pykernels.bench.runner import SuiteRun


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend; ImportError says how to install it."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(f"--plot needs matplotlib (pip install 'pykernels[bench]'): {e}") from None
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def _style(baseline: bool) -> dict:
    return {"linestyle": "--" if baseline else "-", "marker": "s" if baseline else "o", "markersize": 4}


def gflops_figure(run: SuiteRun, directory: Path) -> Path:
    plt = pyplot()
    counts = [t for t in run.thread_counts if any(m.threads == t for m in run.measurements)]
    fig, axes = plt.subplots(1, len(counts), figsize=(6.5 * len(counts), 4.5), squeeze=False, sharey=True)
    for ax, threads in zip(axes[0], counts):
        ms = [m for m in run.measurements if m.threads == threads]
        for name in dict.fromkeys(m.name for m in ms):
            points = sorted((m.case.flops, m.gflops) for m in ms if m.name == name)
            baseline = next(m.baseline for m in ms if m.name == name)
            ax.plot(*zip(*points), label=name + (" (baseline)" if baseline else ""), **_style(baseline))
        ax.axhline(ms[0].peak, color="grey", linewidth=1, linestyle=":", label="FMA peak")
        ax.set_xscale("log")
        ax.set_xlabel("work per call (FLOP)")
        ax.set_title(f"{run.suite}, {threads} thread{'s' * (threads != 1)}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("GFLOP/s (median)")
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    path = directory / f"{run.suite}_gflops.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def roofline_figure(runs: list[SuiteRun], peaks: dict[int, float], bandwidth_gbs: float, directory: Path) -> Path:
    plt = pyplot()
    points = [(run.suite, m) for run in runs for m in run.measurements if m.case.intensity is not None]
    fig, ax = plt.subplots(figsize=(7.5, 5))
    intensities = [m.case.intensity for _, m in points] or [1.0]
    low, high = min(intensities) / 2, max(intensities) * 2
    xs = [low * (high / low) ** (i / 200) for i in range(201)]
    for threads, peak in sorted(peaks.items()):
        ax.plot(xs, [min(peak, bandwidth_gbs * x) for x in xs], color="black", linewidth=1.2 - 0.4 * (threads > 1),
                label=f"roof, {threads} thread{'s' * (threads != 1)}: {peak:.0f} GFLOP/s, {bandwidth_gbs:.0f} GB/s")
    series = sorted({(suite, m.name, m.threads, m.baseline) for suite, m in points})
    for suite, name, threads, baseline in series:
        chosen = [m for s, m in points if (s, m.name, m.threads) == (suite, name, threads)]
        ax.scatter([m.case.intensity for m in chosen], [m.gflops for m in chosen], s=18,
                   marker="s" if baseline else "o", label=f"{suite}: {name}, {threads}t")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP per byte moved)")
    ax.set_ylabel("GFLOP/s (median)")
    ax.set_title("roofline")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = directory / "roofline.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_plots(runs: list[SuiteRun], modules: list, info: dict, directory: str) -> list[Path]:
    """Every figure for ``runs`` (of suite ``modules``) into ``directory``; the paths written."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = [gflops_figure(run, out) for run in runs if run.measurements]
    peaks = {int(t): p for t, p in info["fma_peak_gflops"].items()}
    written.append(roofline_figure(runs, peaks, info["memory_bandwidth_gbs"], out))
    for run, module in zip(runs, modules):
        if hasattr(module, "plot") and run.measurements:
            written += module.plot(run, out)
    return written
