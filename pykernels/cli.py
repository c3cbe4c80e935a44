"""The ``pykernels`` command.

    pykernels info                      CPU, ISA, threads, backends, FMA peak, memory bandwidth
    pykernels bench [suite ...|all] [--quick] [--threads 1,N] [--backend cpu,numba]
                    [--json F] [--csv F] [--plot DIR] [--compare OLD.json [--threshold 0.1]]
                    [--cases TEXT] [--ratios [--clock cpu|wall] [--reps N]]
    pykernels profile MODEL_FILE [--batch N | --inputs X.npy] [--repeat R] [--threads N]
                    [--prune SPARSITY] [--quantize dynamic|static] [--json F] [--trace F]
    pykernels report MODEL_FILE --calibration X.npy [--inputs X.npy] [--labels Y.npy]
                    [--sparsity 0.8] [--pattern P] [--pruned PRUNED_FILE] [--mode static|dynamic]
                    [--json F] [--plot F.png]
"""
from __future__ import annotations

import argparse
from typing import Callable, Sequence


def _thread_counts(text: str) -> list[int]:
    from pykernels.bench import machine

    try:
        return machine.thread_counts(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _backend_names(text: str) -> list[str]:
    from pykernels.registry import BACKEND_PACKAGES

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKEND_PACKAGES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"expected backends from {sorted(BACKEND_PACKAGES)} separated by commas, "
                                         f"got {text!r}")
    return names


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


def _number_below(limit: float, expected: str):
    """An argparse type: a float in [0, limit), else an error saying ``expected``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0.0 <= value < limit:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


_fraction = _number_below(10.0, "a fraction such as 0.1 (10% slower)")
_sparsity = _number_below(1.0, "a sparsity in [0, 1), such as 0.8")


def _info(args: argparse.Namespace) -> int:
    import pykernels
    from pykernels.bench import machine, report

    report.machine(machine.describe(machine.thread_counts()))
    report.backends(pykernels.backends())
    print(f"kernels run on {pykernels.get_num_threads()} threads (OMP_NUM_THREADS or all cores; "
          "pykernels.set_num_threads changes it)")
    return 0


def _need_matplotlib(args: argparse.Namespace) -> None:
    from pykernels.bench import plots

    try:
        plots.pyplot()
    except ImportError as e:
        args.parser.error(str(e))


def _compare(args: argparse.Namespace, runs) -> int:
    from pykernels.bench import compare, report

    found = compare.changes(runs, compare.read_medians(args.compare))
    slow = compare.regressions(found, args.threshold)
    rows = [([c.name, f"{c.old * 1e3:.4g}", f"{c.new * 1e3:.4g}", f"{100 * (c.ratio - 1):+.1f}%",
              "REGRESSION" if c in slow else ""], "bold red" if c in slow else None) for c in found]
    report.table(f"compared with {args.compare} (regression: more than {100 * args.threshold:.0f}% slower)",
                 ["benchmark", "old ms", "new ms", "change", ""], rows)
    report.emit(f"{len(found)} benchmarks compared, {len(slow)} regressions")
    return 1 if slow else 0


def _bench(args: argparse.Namespace) -> int:
    from pykernels.bench import machine, report, runner, suites, timing

    names = suites.names() if not args.suites or "all" in args.suites else args.suites
    try:
        modules = [suites.load(name) for name in names]
    except ValueError as e:
        args.parser.error(str(e))
    if args.ratios and (args.json or args.csv or args.plot or args.compare):
        args.parser.error("--ratios prints interleaved ratios only; --json, --csv, --plot and --compare "
                          "record a timing run (leave out --ratios)")
    if args.json:
        try:
            from pykernels.bench import export
        except ImportError as e:
            args.parser.error(f"--json needs pytest-benchmark (pip install pytest-benchmark): {e}")
    if args.plot:
        _need_matplotlib(args)
    if args.compare:
        from pykernels.bench import compare

        try:
            compare.read_medians(args.compare)
        except ValueError as e:
            args.parser.error(str(e))
    threads = args.threads or ([1] if args.quick else machine.thread_counts())
    plan = [(suite, [case for case in suite.cases(args.quick) if _matches(case, args.cases)]) for suite in modules]
    info = machine.describe(threads)
    report.machine(info)
    if args.ratios:
        return _ratios(args, plan, threads)
    settings = timing.QUICK if args.quick else timing.FULL
    with report.progress(sum(len(cases) for _, cases in plan) * len(threads)) as start:
        runs = [runner.run_suite(suite, cases, threads, settings, start, args.backend) for suite, cases in plan]
    for run in runs:
        report.suite(run)
    if args.json:
        export.write_json(args.json, runs, info, settings)
        print(f"wrote {args.json}")
    if args.csv:
        from pykernels.bench import tabular

        tabular.write_csv(args.csv, runs)
        print(f"wrote {args.csv}")
    if args.plot:
        from pykernels.bench import plots

        for path in plots.write_plots(runs, modules, info, args.plot):
            print(f"wrote {path}")
    status = 1 if any(run.failed for run in runs) else 0
    if args.compare:
        status = max(status, _compare(args, runs))
    return status


def _matches(case, wanted: list[str] | None) -> bool:
    return not wanted or any(text in case.id for text in wanted)


def _ratios(args: argparse.Namespace, plan, threads: list[int]) -> int:
    from pykernels.bench import ratios, report

    repeats = args.reps or (5 if args.quick else 11)
    with report.progress(sum(len(cases) for _, cases in plan) * len(threads)) as start:
        done = [(suite, *ratios.run_suite(suite, cases, threads, args.clock, repeats, start, args.backend))
                for suite, cases in plan]
    for suite, run, results in done:
        ratios.show(suite, run, results)
    return 1 if any(run.failed for _, run, _ in done) else 0


def _profile(args: argparse.Namespace) -> int:
    import numpy as np

    import pykernels
    from pykernels.io import load_model

    try:
        model = load_model(args.model)
    except (OSError, ValueError) as e:
        args.parser.error(str(e))
    if args.inputs:
        inputs = np.load(args.inputs, allow_pickle=False)
    else:
        shape = (args.batch,) + tuple(model.input_shape[1:])
        if None in shape:
            args.parser.error(f"the model's input shape {model.input_shape} has unknown sizes; pass --inputs X.npy")
        inputs = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    if args.threads:
        pykernels.set_num_threads(args.threads)
    if args.prune is not None or args.quantize:
        from pykernels.profiler.compression import compressed

        try:
            model, notes = compressed(model, args.prune, mode=args.quantize, calibration=inputs)
        except (TypeError, ValueError) as e:
            args.parser.error(str(e))
        for name, note in notes.items():
            print(f"note: {name} stays float32 dense: {note}")
    result = pykernels.profile(model, inputs, repeat=args.repeat)
    result.show()
    _write(args.json, result.to_json)
    _write(args.trace, result.to_chrome_trace, " (open in https://ui.perfetto.dev or chrome://tracing)")
    return 0


def _write(path: str | None, write: Callable[[str], object], hint: str = "") -> None:
    """``write(path)`` when the option naming ``path`` was given, and say so."""
    if path:
        write(path)
        print(f"wrote {path}{hint}")


def _report(args: argparse.Namespace) -> int:
    import numpy as np

    from pykernels.io import load_model
    from pykernels.profiler.compression import compression_report

    try:
        model = load_model(args.model)
        pruned = load_model(args.pruned) if args.pruned else None
        arrays = {name: np.load(path, allow_pickle=False) if path else None
                  for name, path in (("calibration", args.calibration), ("inputs", args.inputs),
                                     ("labels", args.labels))}
    except (OSError, ValueError) as e:
        args.parser.error(str(e))
    if args.plot:
        _need_matplotlib(args)
    if args.threads:
        import pykernels

        pykernels.set_num_threads(args.threads)
    try:
        result = compression_report(model, arrays["calibration"], arrays["inputs"], arrays["labels"], args.sparsity,
                                    args.pattern, args.mode, pruned, args.repeat)
    except (TypeError, ValueError) as e:
        args.parser.error(str(e))
    result.show()
    _write(args.json, result.to_json)
    _write(args.plot, result.plot)
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    from pykernels.bench.suites import SUITES

    parser = argparse.ArgumentParser(prog="pykernels", description="pykernels: kernels for NN inference on CPUs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    info = commands.add_parser("info", help="CPU, ISA, threads, backends, FMA peak and memory bandwidth")
    info.set_defaults(handler=_info)

    suite_list = "\n".join(f"  {name:<10} {description}" for name, (_, description) in SUITES.items())
    bench = commands.add_parser(
        "bench", help="benchmark suites against NumPy and PyTorch",
        description="Time every implementation against the baselines, side by side, per thread count.",
        epilog=f"suites:\n{suite_list}\n  all        every suite", formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("suites", nargs="*", metavar="suite", help="suites to run (default: all)")
    bench.add_argument("--quick", action="store_true", help="a small subset of shapes, fewer rounds, one thread "
                       "unless --threads says otherwise")
    bench.add_argument("--threads", type=_thread_counts, metavar="N[,N...]",
                       help="thread counts, each reported separately (default: 1 and all cores; 1 with --quick)")
    bench.add_argument("--backend", type=_backend_names, metavar="NAME[,NAME...]",
                       help="time only these pykernels backends (baselines always run)")
    bench.add_argument("--json", metavar="FILE", help="also write pytest-benchmark's JSON to FILE")
    bench.add_argument("--csv", metavar="FILE", help="also write one CSV row per measurement to FILE")
    bench.add_argument("--plot", metavar="DIR", help="also write figures (GFLOP/s, roofline) into DIR")
    bench.add_argument("--compare", metavar="OLD.json", help="compare medians with a saved --json run; "
                       "exit status 1 when one regressed")
    bench.add_argument("--threshold", type=_fraction, default=0.10, metavar="FRACTION",
                       help="slower by more than this fraction is a regression (default 0.1)")
    bench.add_argument("--cases", type=_words, metavar="TEXT[,TEXT...]",
                       help="only the cases whose id (group-shape) contains one of these")
    bench.add_argument("--ratios", action="store_true",
                       help="instead of timing each contender in turn, alternate them per repetition on the same "
                            "inputs and print the median per-repetition ratios, group geometric means and the "
                            "suites' acceptance targets")
    bench.add_argument("--clock", choices=("cpu", "wall"),
                       help="with --ratios on one thread: the thread's CPU time (default) or wall time; "
                            "more threads always use wall time")
    bench.add_argument("--reps", type=_positive, metavar="N",
                       help="with --ratios: repetitions per case (default 11, 5 with --quick)")
    bench.set_defaults(handler=_bench, parser=bench)

    prof = commands.add_parser("profile", help="per-layer profile of a saved model (pykernels.io.save_model)")
    prof.add_argument("model", metavar="MODEL_FILE", help="a model saved with pykernels.io.save_model")
    inputs = prof.add_mutually_exclusive_group()
    inputs.add_argument("--batch", type=_positive, default=1, help="batch of random inputs (default 1)")
    inputs.add_argument("--inputs", metavar="X.npy", help="the inputs, as a .npy file")
    prof.add_argument("--repeat", type=_positive, default=20, help="profiled runs, median taken (default 20)")
    prof.add_argument("--threads", type=_positive, help="kernel threads (default: all cores)")
    prof.add_argument("--prune", type=_sparsity, metavar="SPARSITY",
                      help="first prune by magnitude (compress.prune) and run layers with a sparse twin sparse")
    prof.add_argument("--quantize", choices=("dynamic", "static"),
                      help="first quantize to int8 (compress.quantize; static: calibrated on the inputs)")
    prof.add_argument("--json", metavar="FILE", help="also write the profile as JSON")
    prof.add_argument("--trace", metavar="FILE", help="also write a Chrome/Perfetto trace of one run")
    prof.set_defaults(handler=_profile, parser=prof)

    rep = commands.add_parser("report", help="a model against its pruned, int8 and pruned + int8 versions",
                              description="Accuracy (with --labels) or output error against float, weight bytes and "
                                          "latency of the float model, pruned (compress.prune), int8 "
                                          "(compress.quantize) and both; layers without a converter stay float.")
    rep.add_argument("model", metavar="MODEL_FILE", help="a float model saved with pykernels.io.save_model")
    rep.add_argument("--calibration", required=True, metavar="X.npy", help="calibration inputs for quantization "
                     "(also the evaluation inputs unless --inputs is given)")
    rep.add_argument("--inputs", metavar="X.npy", help="evaluation inputs (default: the calibration inputs)")
    rep.add_argument("--labels", metavar="Y.npy", help="class labels of the evaluation inputs: report accuracy")
    rep.add_argument("--sparsity", type=_sparsity, default=0.8, help="magnitude pruning target (default 0.8)")
    rep.add_argument("--pattern", default="unstructured", help="pruning pattern: unstructured, block(r,c), n:m")
    rep.add_argument("--pruned", metavar="PRUNED_FILE", help="an already pruned (e.g. fine-tuned) model to use "
                     "instead of pruning MODEL_FILE")
    rep.add_argument("--mode", choices=("static", "dynamic"), default="static", help="int8 mode (default static)")
    rep.add_argument("--repeat", type=_positive, default=7, help="interleaved latency repetitions (default 7)")
    rep.add_argument("--threads", type=_positive, help="kernel threads (default: all cores)")
    rep.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    rep.add_argument("--plot", metavar="FILE.png", help="also write a figure: size, latency, accuracy per variant")
    rep.set_defaults(handler=_report, parser=rep)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.handler(args)
