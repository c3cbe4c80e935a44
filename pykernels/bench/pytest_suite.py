"""A suite of ``pykernels.bench`` as pytest-benchmark tests: one benchmark per (case,
implementation, thread count), grouped per case and thread count. Each
``benchmarks/bench_<suite>.py`` is two lines on top of this module.

``extra_info`` holds GFLOP/s and % of the measured FMA peak from the benchmark's median,
and ``speedup_vs_<baseline>``: the baseline's median time, measured by the harness on the
same inputs in this process, over the benchmark's median.
"""
from __future__ import annotations

import dataclasses

import pytest

from pykernels.bench import export, machine, runner, suites, timing
from pykernels.bench.baselines import limit_threads
from pykernels.bench.case import benchmark_id

_current: dict = {}  # the case being benchmarked: its Prepared, and its baselines' medians per thread count


def parametrize(metafunc, suite_name: str) -> None:
    """``pytest_generate_tests`` of a suite's file: (case, name, threads) for every benchmark."""
    config = metafunc.config
    suite = suites.load(suite_name)
    threads = machine.thread_counts(config.getoption("bench_threads"))
    params = [pytest.param(case, name, t, id=benchmark_id(case.id, name, t))
              for case in suite.cases(config.getoption("bench_quick"))
              for t in threads
              for name, _ in suite.contenders(case)]
    metafunc.parametrize("case,name,threads", params)


def _prepared(suite, case):
    if _current.get("case") != case:
        _current.clear()
        _current.update(case=case, prepared=suite.prepare(case), baselines={})
    return _current["prepared"]


def _baseline_medians(suite, prepared, threads):
    medians = _current["baselines"]
    if threads not in medians:
        only = dataclasses.replace(prepared, contenders=tuple(c for c in prepared.contenders if c.baseline))
        run = runner.SuiteRun(suite.NAME, suite.SHAPE, [threads])
        medians[threads] = {m.name: m.timing.median for m in runner.measure(only, threads, timing.QUICK, run)}
    return medians[threads]


def run_benchmark(benchmark, suite_name: str, case, name: str, threads: int) -> None:
    """The body of a suite's benchmark test: check, time, and record our figures."""
    suite = suites.load(suite_name)
    prepared = _prepared(suite, case)
    contender = next((c for c in prepared.contenders if c.name == name), None)
    if contender is None:  # e.g. a baseline that only some of a suite's cases have
        pytest.skip(f"{name} does not run {case.id}")
    with limit_threads(threads):
        try:
            runner.ready(prepared, contender)
        except ImportError as e:
            pytest.skip(f"{name}: {type(e).__name__}: {e}")
    if benchmark.disabled:  # --benchmark-disable: run once, the check above is the test
        benchmark(contender.run)
        return
    baseline_medians = _baseline_medians(suite, prepared, threads)
    benchmark.group = export.group(suite.NAME, case.id, threads)
    with limit_threads(threads):
        timing.settle(contender.run)
        benchmark(contender.run)
    result = timing.Timing(tuple(benchmark.stats.stats.data), benchmark.stats.iterations)
    speedup = {b: median / result.median for b, median in baseline_medians.items() if b != name}
    measured = runner.Measurement(case, name, contender.baseline, threads, result, machine.fma_peak(threads), speedup)
    benchmark.extra_info.update(export.extra_info(measured))
