"""The ``pykernels`` command.

    pykernels info                     CPU, ISA, threads, backends, measured FMA peak
    pykernels bench [suite ...] [--quick] [--threads 1,N] [--json FILE]
"""
from __future__ import annotations

import argparse
from typing import Sequence


def _thread_counts(text: str) -> list[int]:
    from pykernels.bench import machine

    try:
        return machine.thread_counts(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _info(args: argparse.Namespace) -> int:
    import pykernels
    from pykernels.bench import machine, report

    report.machine(machine.describe(machine.thread_counts()))
    report.backends(pykernels.backends())
    print(f"kernels run on {pykernels.get_num_threads()} threads (OMP_NUM_THREADS or all cores; "
          "pykernels.set_num_threads changes it)")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from pykernels.bench import machine, report, runner, suites, timing

    try:
        modules = [suites.load(name) for name in args.suites or suites.names()]
    except ValueError as e:
        args.parser.error(str(e))
    if args.json:
        try:
            from pykernels.bench import export
        except ImportError as e:
            args.parser.error(f"--json needs pytest-benchmark (pip install pytest-benchmark): {e}")
    threads = args.threads or machine.thread_counts()
    settings = timing.QUICK if args.quick else timing.FULL
    plan = [(suite, suite.cases(args.quick)) for suite in modules]
    info = machine.describe(threads)
    report.machine(info)
    with report.progress(sum(len(cases) for _, cases in plan) * len(threads)) as start:
        runs = [runner.run_suite(suite, cases, threads, settings, start) for suite, cases in plan]
    for run in runs:
        report.suite(run)
    if args.json:
        export.write_json(args.json, runs, info, settings)
        print(f"wrote {args.json}")
    return 1 if any(run.failed for run in runs) else 0


def _parser() -> argparse.ArgumentParser:
    from pykernels.bench.suites import SUITES

    parser = argparse.ArgumentParser(prog="pykernels", description="pykernels: kernels for NN inference on CPUs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    info = commands.add_parser("info", help="CPU, ISA, threads, backends and the measured FMA peak")
    info.set_defaults(handler=_info)
    suite_list = "\n".join(f"  {name:<10} {description}" for name, (_, description) in SUITES.items())
    bench = commands.add_parser(
        "bench", help="benchmark suites against NumPy and PyTorch",
        description="Time every implementation against the baselines, side by side, per thread count.",
        epilog=f"suites:\n{suite_list}", formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("suites", nargs="*", metavar="suite", help="suites to run (default: all)")
    bench.add_argument("--quick", action="store_true", help="a small subset of shapes, fewer rounds")
    bench.add_argument("--threads", type=_thread_counts, metavar="N[,N...]",
                       help="thread counts, each reported separately (default: 1 and all cores)")
    bench.add_argument("--json", metavar="FILE", help="also write pytest-benchmark's JSON to FILE")
    bench.set_defaults(handler=_bench, parser=bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.handler(args)
