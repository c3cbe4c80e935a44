"""Attention on pytest-benchmark: the "attention" suite of ``pykernels.bench``, one benchmark
per (case, implementation, thread count), grouped per case and thread count, plus the
peak extra memory of a 16k-token causal sdpa. Run as a script, it prints interleaved
speed ratios (ours / baseline timed alternately on the same inputs, median of the
per-repetition ratios) and the peak extra memory.

``extra_info`` holds GFLOP/s and % of the measured FMA peak from this benchmark's median,
and ``speedup_vs_<baseline>``: the baseline's median time, measured by the harness on the
same inputs in this process, over this benchmark's median.

    pytest benchmarks/bench_attention.py --benchmark-only --bench-quick --bench-threads 1
    python benchmarks/bench_attention.py [--threads 1] [--reps 7]
"""
import dataclasses

import pytest

from pykernels.bench import export, machine, runner, timing
from pykernels.bench.baselines import limit_threads
from pykernels.bench.suites import attention as suite

_current = {}  # the case being benchmarked: its Prepared, and its baselines' medians per thread count


def pytest_generate_tests(metafunc):
    config = metafunc.config
    threads = machine.thread_counts(config.getoption("bench_threads"))
    params = [pytest.param(case, name, t, id=export.benchmark_id(case.id, name, t))
              for case in suite.cases(config.getoption("bench_quick"))
              for t in threads
              for name, _ in suite.contenders()]
    metafunc.parametrize("case,name,threads", params)


def _prepared(case):
    if _current.get("case") != case:
        _current.clear()
        _current.update(case=case, prepared=suite.prepare(case), baselines={})
    return _current["prepared"]


def _baseline_medians(prepared, threads):
    medians = _current["baselines"]
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


def test_attention(benchmark, case, name, threads):
    prepared = _prepared(case)
    contender = prepared.contender(name)
    with limit_threads(threads):
        try:
            runner.ready(prepared, contender)
        except ImportError as e:
            pytest.skip(f"{name}: {type(e).__name__}: {e}")
    if benchmark.disabled:  # --benchmark-disable: run once, the check above is the test
        benchmark(contender.run)
        return
    baseline_medians = _baseline_medians(prepared, threads)
    benchmark.group = export.group(suite.NAME, case.id, threads)
    with limit_threads(threads):
        timing.settle()
        benchmark(contender.run)
    result = timing.Timing(tuple(benchmark.stats.stats.data), benchmark.stats.iterations)
    speedup = {b: median / result.median for b, median in baseline_medians.items() if b != name}
    measured = runner.Measurement(case, name, contender.baseline, threads, result, machine.fma_peak(threads), speedup)
    benchmark.extra_info.update(export.extra_info(measured))


MEMORY_SCRIPT = """
import numpy as np, pykernels
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


def peak_extra_memory(shape=(1, 8, 16384, 64), threads=None) -> int:
    """Bytes the process's peak RSS grows by during one causal sdpa of ``shape`` into a
    preallocated output (a fresh process, so earlier allocations do not hide it)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT.format(shape=tuple(shape))], env=env,
                            capture_output=True, text=True, check=True)
    return int(result.stdout.strip())


def test_peak_extra_memory_16k():
    extra = peak_extra_memory()
    print(f"sdpa 1x8x16384x64 causal: peak extra memory {extra / 2**20:.1f} MiB")
    assert extra < 64 * 2**20


def interleaved_ratios(threads: int, reps: int) -> None:
    """Print ours vs each baseline, timed alternately, for every case of the suite."""
    import time

    import numpy as np

    for case in suite.cases():
        prepared = suite.prepare(case)
        with limit_threads(threads):
            for contender in prepared.contenders:
                runner.ready(prepared, contender)
            base = {c.name: c for c in prepared.contenders if c.baseline}
            for ours in (c for c in prepared.contenders if not c.baseline):
                times = {name: [] for name in [ours.name, *base]}
                for _ in range(reps):
                    for c in [ours, *base.values()]:
                        start = time.perf_counter()
                        c.run()
                        times[c.name].append(time.perf_counter() - start)
                best = min(times[ours.name])
                ratios = ", ".join(f"{name} {np.median(np.array(t) / np.array(times[ours.name])):.2f}x"
                                   for name, t in times.items() if name != ours.name)
                print(f"{case.id:32s} {threads}t {ours.name:6s} {case.flops / best / 1e9:6.1f} GFLOP/s  "
                      f"vs {ratios}")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    interleaved_ratios(args.threads, args.reps)
    print(f"peak extra memory, sdpa 1x8x16384x64 causal: {peak_extra_memory(threads=args.threads) / 2**20:.1f} MiB")
