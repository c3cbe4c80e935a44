"""A suite of ``pykernels.bench`` as a pytest-benchmark module: one benchmark per (case,
implementation, thread count), grouped per case and thread count. A family's
``benchmarks/bench_<family>.py`` is three lines::

    from pykernels.bench.pytest_suite import bind
    from pykernels.bench.suites import conv
    pytest_generate_tests, _peaks, test_conv = bind(conv)

``extra_info`` holds GFLOP/s and % of the measured FMA peak from each benchmark's median,
and ``speedup_vs_<baseline>``: the baseline's median time, measured by the harness on the
same inputs in this process, over this benchmark's median. The options (--bench-quick,
--bench-threads) come from benchmarks/conftest.py.
"""
from __future__ import annotations

import dataclasses
from types import ModuleType

import pytest

from pykernels.bench import export, machine, runner, timing
from pykernels.bench.baselines import limit_threads


def bind(suite: ModuleType):
    """(pytest_generate_tests, the FMA-peak fixture, the test function) for ``suite``."""
    current = {}  # the case being benchmarked: its Prepared, and its baselines' medians per thread count

    def pytest_generate_tests(metafunc):
        config = metafunc.config
        threads = machine.thread_counts(config.getoption("bench_threads"))
        params = [pytest.param(case, name, t, id=export.benchmark_id(case.id, name, t))
                  for case in suite.cases(config.getoption("bench_quick"))
                  for t in threads
                  for name, _ in suite.contenders()]
        metafunc.parametrize("case,name,threads", params)

    def prepared_case(case):
        if current.get("case") != case:
            current.clear()
            current.update(case=case, prepared=suite.prepare(case), baselines={})
        return current["prepared"]

    def baseline_medians(prepared, threads):
        medians = current["baselines"]
        if threads not in medians:
            only = dataclasses.replace(prepared, contenders=tuple(c for c in prepared.contenders if c.baseline))
            run = runner.SuiteRun(suite.NAME, suite.SHAPE, [threads])
            medians[threads] = {m.name: m.timing.median for m in runner.measure(only, threads, timing.QUICK, run)}
        return medians[threads]

    @pytest.fixture(scope="module", autouse=True)
    def _peaks(request):
        """Measure the FMA peaks before any kernel runs (machine.fma_peak keeps them)."""
        for threads in machine.thread_counts(request.config.getoption("bench_threads")):
            machine.fma_peak(threads)

    def test_suite(benchmark, case, name, threads):
        prepared = prepared_case(case)
        contender = prepared.contender(name)
        with limit_threads(threads):
            try:
                runner.ready(prepared, contender)
            except ImportError as e:
                pytest.skip(f"{name}: {type(e).__name__}: {e}")
        if benchmark.disabled:  # --benchmark-disable: run once, the check above is the test
            benchmark(contender.run)
            return
        medians = baseline_medians(prepared, threads)
        benchmark.group = export.group(suite.NAME, case.id, threads)
        with limit_threads(threads):
            timing.settle()
            benchmark(contender.run)
        result = timing.Timing(tuple(benchmark.stats.stats.data), benchmark.stats.iterations)
        speedup = {b: median / result.median for b, median in medians.items() if b != name}
        measured = runner.Measurement(case, name, contender.baseline, threads, result, machine.fma_peak(threads),
                                      speedup)
        benchmark.extra_info.update(export.extra_info(measured))

    return pytest_generate_tests, _peaks, test_suite
