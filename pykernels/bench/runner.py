"""Run a suite: per case and thread count, warm up and check every contender, then time
them one after the other on the same inputs and turn the timings into GFLOP/s, % of
peak and speedups against each baseline."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Callable, Sequence

from pykernels.bench import machine, timing
from pykernels.bench.baselines import limit_threads
from pykernels.bench.case import Case, Contender, Prepared, benchmark_id


@dataclass(frozen=True)
class Measurement:
    case: Case
    name: str
    baseline: bool
    threads: int
    timing: timing.Timing
    peak: float  # measured FMA peak in GFLOP/s on ``threads`` threads
    speedup: dict[str, float]  # other baseline -> its median time / ours

    @property
    def benchmark_name(self) -> str:
        """``<suite>[<group>-<shape>-<impl>-<threads>t]``: the name in JSON exports and comparisons."""
        return f"{self.case.suite}[{benchmark_id(self.case.id, self.name, self.threads)}]"

    @property
    def gflops(self) -> float:
        return self.case.flops / self.timing.median / 1e9

    @property
    def gflops_best(self) -> float:
        return self.case.flops / self.timing.min / 1e9

    @property
    def pct_peak(self) -> float:
        return 100.0 * self.gflops / self.peak


@dataclass
class SuiteRun:
    suite: str
    shape: str  # how the suite writes a shape, e.g. "MxKxN"
    thread_counts: list[int]
    measurements: list[Measurement] = field(default_factory=list)
    notes: dict[str, None] = field(default_factory=dict)  # ordered, without repeats
    failed: bool = False  # a contender errored or gave a wrong result


def ready(prepared: Prepared, contender: Contender) -> None:
    """The warm-up call (JIT compilation happens here), checked against the reference."""
    case = prepared.case
    prepared.check(contender.run(), f"{case.suite} {case.id} {contender.name}")


def ready_contenders(prepared: Prepared, threads: int, run: SuiteRun,
                      only: Sequence[str] | None) -> list[Contender]:
    live = []
    for contender in prepared.contenders:
        if only is not None and not contender.baseline and contender.name not in only:
            continue
        try:
            ready(prepared, contender)
        except ImportError as e:  # a backend's kernel module is missing: skip it, say so once
            run.notes[f"skipped {contender.name}: {type(e).__name__}: {e}"] = None
            continue
        except AssertionError as e:
            run.notes[f"WRONG on {threads} thread{'s' * (threads != 1)}: {e}"] = None
            run.failed = True
            continue
        except Exception as e:  # noqa: BLE001 - report the error, keep benchmarking the others
            run.notes[f"ERROR {contender.name} on {prepared.case.id}: {type(e).__name__}: {e}"] = None
            run.failed = True
            continue
        live.append(contender)
    return live


def measure(prepared: Prepared, threads: int, settings: timing.Settings, run: SuiteRun,
            only: Sequence[str] | None = None) -> list[Measurement]:
    """Every working contender on one prepared case, timed in turn on ``threads`` threads;
    ``only`` limits our implementations (not the baselines) to those names."""
    with limit_threads(threads) as notes:
        run.notes.update(dict.fromkeys(notes))
        live = ready_contenders(prepared, threads, run, only)
        timings = [timing.measure(c.run, settings, threads) for c in live]
    medians = {c.name: t.median for c, t in zip(live, timings) if c.baseline}
    peak = machine.fma_peak(threads)
    return [Measurement(prepared.case, c.name, c.baseline, threads, t, peak,
                        {b: m / t.median for b, m in medians.items() if b != c.name})
            for c, t in zip(live, timings)]


def run_suite(suite: ModuleType, cases: Sequence[Case], thread_counts: Sequence[int], settings: timing.Settings,
              on_step: Callable[[str], None] = lambda what: None, only: Sequence[str] | None = None) -> SuiteRun:
    """Run ``cases`` of ``suite`` on each thread count; ``on_step(what)`` is called as each
    (case, threads) step starts; ``only`` limits our implementations to those backends."""
    run = SuiteRun(suite.NAME, suite.SHAPE, list(thread_counts))
    for threads in thread_counts:  # the peaks first, on a quiet process
        machine.fma_peak(threads)
    for case in cases:
        prepared = suite.prepare(case)
        for threads in thread_counts:
            on_step(f"{suite.NAME} {case.id} {threads}t")
            run.measurements += measure(prepared, threads, settings, run, only)
    return run
