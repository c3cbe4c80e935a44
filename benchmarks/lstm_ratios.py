"""Interleaved speed ratios for the lstm suite: the acceptance figures of the LSTM family.

The method of conv_ratios.py (whose helpers this reuses): every repetition runs each
contender once, back to back on the same inputs (rotating the order), and the figure
per case is the median over repetitions of the per-repetition ratio. With one thread the
clock is the process's CPU time (``--clock cpu``, the default there), so time slices
lost to other processes on a shared machine count for nobody; thread scaling needs wall
time.

    python benchmarks/lstm_ratios.py                         # 1 thread, every group
    python benchmarks/lstm_ratios.py --groups classic,medium --reps 21
    python benchmarks/lstm_ratios.py --groups large --against torch --reps 5
    python benchmarks/lstm_ratios.py --scaling --groups large  # cpu: 1 thread / 2 threads

Columns: our GFLOP/s and % of the FMA peak, then the baselines' time over ours (> 1:
ours is faster) and numba's time over cpu's.
"""
from __future__ import annotations

import argparse

from conv_ratios import CLOCKS, geomean, interleaved, median_ratio

import pykernels
from pykernels.bench import machine, runner
from pykernels.bench.baselines import limit_threads
from pykernels.bench.suites import lstm


def compare(cases, threads: int, reps: int, clock: str, only: set[str]) -> None:
    peak = machine.fma_peak(threads)
    print(f"{threads} thread(s), {clock} time, FMA peak {peak:.0f} GFLOP/s, median of {reps} interleaved ratios "
          "per case")
    for case in cases:
        prepared = lstm.prepare(case)
        contenders = [c for c in prepared.contenders if c.name == "cpu" or not only or c.name in only]
        with limit_threads(threads):
            for contender in contenders:
                runner.ready(prepared, contender)  # warm-up, compile, check
            times = interleaved({c.name: c.run for c in contenders}, reps, CLOCKS[clock])
        gflops = case.flops / sorted(times["cpu"])[len(times["cpu"]) // 2] / 1e9
        cells = "  ".join(f"{name} {median_ratio(times, name, 'cpu'):5.2f}x" for name in times if name != "cpu")
        print(f"  {case.group:8s} {case.shape:16s} cpu {gflops:6.1f} GFLOP/s {100 * gflops / peak:4.0f}%  {cells}")


def scaling(cases, reps: int) -> None:
    """The cpu backend on 1 and 2 threads, interleaved, wall time: time(1) / time(2) per case."""
    print(f"cpu backend, wall time on 1 thread / on 2 threads, median of {reps} interleaved ratios")
    values = []
    for case in cases:
        prepared = lstm.prepare(case)
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
        print(f"  {case.group:8s} {case.shape:16s} {values[-1]:5.2f}x")
    print(f"geomean {geomean(values):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", default="", help="comma-separated groups of lstm.json (default: all)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="only the cases marked quick")
    parser.add_argument("--against", default="", help="comma-separated contenders besides cpu (default: all)")
    parser.add_argument("--scaling", action="store_true", help="cpu backend on 1 vs 2 threads")
    parser.add_argument("--clock", choices=sorted(CLOCKS), help="default: cpu with one thread, else wall")
    args = parser.parse_args()
    groups = set(filter(None, args.groups.split(",")))
    cases = [c for c in lstm.cases(args.quick) if not groups or c.group in groups]
    if args.scaling:
        scaling(cases, args.reps)
    else:
        compare(cases, args.threads, args.reps, args.clock or ("cpu" if args.threads == 1 else "wall"),
                set(filter(None, args.against.split(","))))


if __name__ == "__main__":
    main()
