"""Interleaved speed ratios for the conv suite: the acceptance figures of the conv family.

On a shared or noisy machine, separate timing blocks drift; here every repetition runs
each contender once, back to back on the same inputs (rotating the order), and the
figure per case is the median over repetitions of the per-repetition ratio. Per group,
the geometric mean of those medians. With one thread the clock is the process's CPU
time (``--clock cpu``, the default there), so time slices lost to other processes on a
shared machine count for nobody; thread scaling needs wall time.

    python benchmarks/conv_ratios.py                          # 1 thread, every group
    python benchmarks/conv_ratios.py --groups resnet50-b1 --reps 15
    python benchmarks/conv_ratios.py --scaling                # cpu backend: 1 thread / 2 threads

Columns: our GFLOP/s and % of the FMA peak (pykernels.bench.machine), then the baselines'
time over ours (> 1: ours is faster) and numba's time over cpu's.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

import pykernels
from pykernels.bench import machine, runner
from pykernels.bench.baselines import limit_threads
from pykernels.bench.suites import conv

SAMPLE_SECONDS = 4e-3  # each timed sample repeats the call to last about this long


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _sample(fn, calls: int, clock) -> float:
    start = clock()
    for _ in range(calls):
        fn()
    return (clock() - start) / calls


def interleaved(fns: dict, reps: int, clock=time.perf_counter) -> dict[str, list[float]]:
    """Seconds per call of every function, one sample each per repetition, order rotating."""
    calls = {name: max(1, round(SAMPLE_SECONDS / max(_sample(fn, 1, clock), 1e-7))) for name, fn in fns.items()}
    names, times = list(fns), {name: [] for name in fns}
    for rep in range(reps):
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            times[name].append(_sample(fns[name], calls[name], clock))
    return times


def median_ratio(times: dict, num: str, den: str) -> float:
    return statistics.median(a / b for a, b in zip(times[num], times[den]))


def geomean(values) -> float:
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def compare(cases, threads: int, reps: int, clock: str) -> None:
    peak = machine.fma_peak(threads)
    print(f"{threads} thread(s), {clock} time, FMA peak {peak:.0f} GFLOP/s, median of {reps} interleaved ratios "
          "per case")
    by_group: dict[str, dict[str, list[float]]] = {}
    for case in cases:
        prepared = conv.prepare(case)
        with limit_threads(threads):
            for contender in prepared.contenders:
                runner.ready(prepared, contender)  # warm-up, compile, check
            times = interleaved({c.name: c.run for c in prepared.contenders}, reps, CLOCKS[clock])
        gflops = case.flops / statistics.median(times["cpu"]) / 1e9
        ratios = {name: median_ratio(times, name, "cpu") for name in times if name != "cpu"}
        group = by_group.setdefault(case.group, {})
        for name, value in ratios.items():
            group.setdefault(name, []).append(value)
        cells = "  ".join(f"{name} {value:5.2f}x" for name, value in ratios.items())
        print(f"  {case.group:15s} {case.shape:28s} cpu {gflops:6.1f} GFLOP/s {100 * gflops / peak:4.0f}%  {cells}")
    for group, ratios in by_group.items():
        cells = "  ".join(f"{name} {geomean(values):5.2f}x" for name, values in ratios.items())
        print(f"geomean {group:15s} time / cpu time: {cells}")


def scaling(cases, reps: int) -> None:
    """The cpu backend on 1 and 2 threads, interleaved: time(1) / time(2) per case."""
    print(f"cpu backend, time on 1 thread / time on 2 threads, median of {reps} interleaved ratios")
    values = []
    for case in cases:
        prepared = conv.prepare(case)
        fn = prepared.contender("cpu").run

        def on(threads):
            def run():
                pykernels.set_num_threads(threads)
                return fn()
            return run

        with limit_threads(2):
            runner.ready(prepared, prepared.contender("cpu"))
            times = interleaved({"1": on(1), "2": on(2)}, reps)
        values.append(median_ratio(times, "1", "2"))
        print(f"  {case.group:15s} {case.shape:28s} {values[-1]:5.2f}x")
    print(f"geomean {geomean(values):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", default="", help="comma-separated groups of conv.json (default: all)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="only the cases marked quick")
    parser.add_argument("--scaling", action="store_true", help="cpu backend on 1 vs 2 threads")
    parser.add_argument("--clock", choices=sorted(CLOCKS), help="default: cpu with one thread, else wall")
    args = parser.parse_args()
    groups = set(filter(None, args.groups.split(",")))
    cases = [c for c in conv.cases(args.quick) if not groups or c.group in groups]
    if args.scaling:
        scaling(cases, args.reps)
    else:
        compare(cases, args.threads, args.reps, args.clock or ("cpu" if args.threads == 1 else "wall"))


if __name__ == "__main__":
    main()
