"""``--csv FILE``: one row per measurement, for spreadsheets and pandas."""
from __future__ import annotations

import csv

from pykernels.bench.runner import SuiteRun

COLUMNS = ["suite", "group", "shape", "impl", "baseline", "threads", "median_s", "min_s", "gflops", "pct_peak",
           "intensity"]


def write_csv(path: str, runs: list[SuiteRun]) -> None:
    baselines = sorted({m.name for run in runs for m in run.measurements if m.baseline})
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS + [f"speedup_vs_{b}" for b in baselines])
        for run in runs:
            for m in run.measurements:
                writer.writerow([run.suite, m.case.group, m.case.shape, m.name, m.baseline, m.threads,
                                 f"{m.timing.median:.9g}", f"{m.timing.min:.9g}", f"{m.gflops:.4g}",
                                 f"{m.pct_peak:.4g}", "" if m.case.intensity is None else f"{m.case.intensity:.4g}"]
                                + [f"{m.speedup[b]:.4g}" if b in m.speedup else "" for b in baselines])
