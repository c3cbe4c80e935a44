"""Results as pytest-benchmark's JSON, so ``pytest-benchmark compare`` reads them.

Each Measurement becomes one benchmark named ``Measurement.benchmark_name``
in group ``<suite> <group>-<shape> <threads>t`` (the ids ``benchmarks/`` uses), with our
figures in ``extra_info``. Needs pytest-benchmark (its Stats and commit info).
"""
from __future__ import annotations

import dataclasses
import json
import platform
from datetime import datetime, timezone

from pytest_benchmark import __version__ as pytest_benchmark_version
from pytest_benchmark.stats import Stats
from pytest_benchmark.utils import get_commit_info

from pykernels.bench.case import benchmark_id
from pykernels.bench.runner import Measurement, SuiteRun
from pykernels.bench.timing import Settings


def group(suite: str, case_id: str, threads: int) -> str:
    return f"{suite} {case_id} {threads}t"


def extra_info(m: Measurement) -> dict:
    """Our figures for one measurement: GFLOP/s, % of peak, speedup vs each baseline."""
    info = {"impl": m.name, "baseline": m.baseline, "threads": m.threads, "flops": m.case.flops,
            "gflops": round(m.gflops, 3), "gflops_best": round(m.gflops_best, 3),
            "peak_gflops": round(m.peak, 3), "pct_peak": round(m.pct_peak, 2)}
    info.update({f"speedup_vs_{b}": round(s, 4) for b, s in m.speedup.items()})
    return info


def _benchmark(suite: str, m: Measurement, settings: Settings) -> dict:
    stats = Stats()
    for sample in m.timing.samples:
        stats.update(sample)
    name = m.benchmark_name
    return {
        "group": group(suite, m.case.id, m.threads),
        "name": name,
        "fullname": f"pykernels bench {suite}::{name}",
        "params": {**m.case.params, "impl": m.name, "threads": m.threads},
        "param": benchmark_id(m.case.id, m.name, m.threads),
        "extra_info": extra_info(m),
        "options": {"timer": "perf_counter", "disable_gc": False, **dataclasses.asdict(settings)},
        "stats": {**stats.as_dict(), "data": list(m.timing.samples), "iterations": m.timing.iterations},
    }


def write_json(path: str, runs: list[SuiteRun], machine: dict, settings: Settings) -> None:
    """Write ``runs``, timed with ``settings``, to ``path``; ``machine`` is machine.describe()."""
    machine_info = {"node": platform.node(), "processor": platform.processor(), "machine": platform.machine(),
                    "python_implementation": platform.python_implementation(),
                    "python_version": platform.python_version(), "release": platform.release(),
                    "system": platform.system(), "cpu": {"brand_raw": machine["cpu"], "count": machine["cores"]},
                    "pykernels": machine}
    document = {
        "machine_info": machine_info,
        "commit_info": get_commit_info("pykernels"),
        "benchmarks": [_benchmark(run.suite, m, settings) for run in runs for m in run.measurements],
        "datetime": datetime.now(timezone.utc).isoformat(),
        "version": pytest_benchmark_version,
    }
    with open(path, "w") as f:
        json.dump(document, f, indent=2)
