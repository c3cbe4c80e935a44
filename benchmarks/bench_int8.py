"""int8 benchmarks: the "int8" suite of ``pykernels.bench`` on pytest-benchmark, and the
issue's acceptance ratios measured interleaved.

    pytest benchmarks/bench_int8.py --benchmark-only --bench-quick --bench-threads 1
    python benchmarks/bench_int8.py            # acceptance ratios, one thread, interleaved
    python benchmarks/bench_int8.py --conv     # quantized conv on ResNet-50 layers vs f32 conv and FBGEMM

pytest: one benchmark per (case, implementation, thread count), grouped per case and
thread count; ``extra_info`` holds GOP/s, % of the FMA peak and ``speedup_vs_<baseline>``
(the baseline's median, measured by the harness on the same inputs, over ours).

``python benchmarks/bench_int8.py``: each acceptance line of the int8 issue as a median
of per-repetition ratios, ours and the baseline alternating (timing.interleaved_ratio),
on one thread, on the suite's own inputs.
"""
import dataclasses
import sys

import pytest

from pykernels.bench import export, machine, runner, timing
from pykernels.bench.baselines import limit_threads
from pykernels.bench.case import Case
from pykernels.bench.suites import int8 as suite

_current = {}  # the case being benchmarked: its Prepared, and its baselines' medians per thread count


def pytest_generate_tests(metafunc):
    config = metafunc.config
    threads = machine.thread_counts(config.getoption("bench_threads"))
    contenders = suite.contenders()
    params = [pytest.param(case, name, t, id=export.benchmark_id(case.id, name, t))
              for case in suite.cases(config.getoption("bench_quick"))
              for t in threads
              for name, _ in contenders if name in suite.implementations() or
              name in suite.BASELINE_NAMES[case.params["op"]]]
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
    for threads in machine.thread_counts(request.config.getoption("bench_threads")):
        machine.fma_peak(threads)


def test_int8(benchmark, case, name, threads):
    prepared = _prepared(case)
    contender = prepared.contender(name)
    with limit_threads(threads):
        runner.ready(prepared, contender)
    if benchmark.disabled:
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


# --- acceptance ratios -------------------------------------------------------------------
# (op, shapes M x K x N, ours, baseline, required ratio)
ACCEPTANCE = [
    ("matmul_int8", [(1024, 1024, 1024), (2048, 2048, 2048)], "cpu", "f32-gemm", 1.7),
    ("linear_int8", [(128, k, k) for k in (1024, 2048, 4096)] + [(512, k, k) for k in (1024, 2048, 4096)],
     "cpu", "torch-fbgemm", 1.0),
    ("linear_int8", [(1, k, k) for k in (1024, 2048, 4096)], "cpu", "f32-gemm", 1.5),
    ("matmul_int8", [(128, 1024, 1024)], "cpu", "torch._int_mm", 100.0),
    ("matmul_int8", [(k, k, k) for k in (512, 1024, 2048)], "cpu", "onnxruntime", 1.0),
]


def acceptance(threads: int = 1) -> bool:
    ok = True
    print(f"int8 acceptance, {threads} thread(s), ratio = baseline time / ours (median of interleaved repetitions)")
    for op, shapes, ours, theirs, needed in ACCEPTANCE:
        for m, k, n in shapes:
            case = timing_case(op, m, k, n)
            prepared = suite.prepare(case)
            names = [c.name for c in prepared.contenders]
            if theirs not in names:
                print(f"  {op:12} {m}x{k}x{n:<5} vs {theirs:14} skipped: not installed")
                continue
            a, b = prepared.contender(ours), prepared.contender(theirs)
            with limit_threads(threads):
                runner.ready(prepared, a)
                runner.ready(prepared, b)
                ratio, t_ours, t_theirs = timing.interleaved_ratio(a.run, b.run, repeats=9 if m * k * n < 2**31 else 5)
            passed = ratio >= needed
            ok &= passed
            print(f"  {op:12} {m}x{k}x{n:<5} vs {theirs:14} {ratio:7.2f}x (need {needed}x) "
                  f"{'ok  ' if passed else 'FAIL'} ours {case.flops / t_ours / 1e9:6.1f} GOP/s, "
                  f"theirs {case.flops / t_theirs / 1e9:6.1f}")
    return ok


def conv_ratios(threads: int = 1, quick: bool = False) -> None:
    """Quantized conv (uint8 in, int8 out) on the ResNet-50 layers vs our f32 conv and FBGEMM (no target: reported)."""
    print(f"int8 conv on ResNet-50 layers, {threads} thread(s), ratio = baseline time / ours (interleaved)")
    for case in [c for c in suite.cases(quick) if c.params["op"] == "conv2d_int8"]:
        prepared = suite.prepare(case)
        ours = prepared.contender("cpu")
        line = f"  {case.shape:28} ours"
        with limit_threads(threads):
            runner.ready(prepared, ours)
            for theirs in ("f32-conv", "torch-fbgemm"):
                if theirs not in [c.name for c in prepared.contenders]:
                    continue
                other = prepared.contender(theirs)
                runner.ready(prepared, other)
                ratio, t_ours, t_theirs = timing.interleaved_ratio(ours.run, other.run, repeats=7)
                line += (f" {case.flops / t_ours / 1e9:6.1f} GOP/s | vs {theirs} {ratio:5.2f}x "
                         f"({case.flops / t_theirs / 1e9:6.1f})")
        print(line)


def timing_case(op: str, m: int, k: int, n: int):
    group = "gemm" if op == "matmul_int8" else "linear"
    return Case(suite.NAME, group, f"{m}x{k}x{n}", 2.0 * m * k * n, {"op": op, "m": m, "k": k, "n": n})


if __name__ == "__main__":
    if "--conv" in sys.argv:
        conv_ratios(quick="--quick" in sys.argv)
        sys.exit(0)
    sys.exit(0 if acceptance() else 1)
