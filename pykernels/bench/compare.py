"""``--compare OLD.json``: this run's medians against a saved run's, regressions flagged.

Reads pytest-benchmark's JSON (what ``--json`` and ``pytest benchmarks/
--benchmark-json`` write) and matches benchmarks by name.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from pykernels.bench.runner import SuiteRun

DEFAULT_THRESHOLD = 0.10  # slower by more than 10% is a regression


@dataclass(frozen=True)
class Change:
    name: str
    old: float  # median seconds
    new: float

    @property
    def ratio(self) -> float:
        """New time over old: above 1 is slower."""
        return self.new / self.old


def read_medians(path: str) -> dict[str, float]:
    """Benchmark name -> median seconds from a pytest-benchmark JSON file."""
    try:
        with open(path) as f:
            document = json.load(f)
        return {b["name"]: float(b["stats"]["median"]) for b in document["benchmarks"]}
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise ValueError(f"cannot read benchmark results from {path}: {type(e).__name__}: {e}") from None


def changes(runs: list[SuiteRun], old: dict[str, float]) -> list[Change]:
    """This run's measurements that ``old`` also has, in run order."""
    return [Change(m.benchmark_name, old[m.benchmark_name], m.timing.median)
            for run in runs for m in run.measurements if m.benchmark_name in old]


def regressions(found: list[Change], threshold: float = DEFAULT_THRESHOLD) -> list[Change]:
    return [c for c in found if c.ratio > 1.0 + threshold]
