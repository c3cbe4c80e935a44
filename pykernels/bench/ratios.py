"""``pykernels bench --ratios``: speed ratios measured interleaved, what speed claims rest on.

On a shared machine, separately timed blocks drift apart. Here each repetition runs every
contender's sample back to back on the same inputs, the order rotating
(``timing.interleaved``), and a case's figure against a contender is the median over
repetitions of the per-repetition ratio: its time over our first implementation's
(> 1: ours is faster). Per group, the geometric mean of those medians.

Clocks: on one thread the default is the calling thread's CPU time (``time.thread_time``):
every library runs its kernel on the calling thread there, and time slices lost to other
processes count for nobody. On more threads the clock is wall time, and the contender
"1 thread" (ours, on one thread, interleaved with the rest) gives thread scaling.

A suite states its acceptance lines as data: ``TARGETS``, a list of Target, checked
(``pykernels.bench.case``) against the cases of the run; and optionally ``ratio_notes(results) -> list[str]`` for
figures derived from the ratios or that are not ratios (a break-even, a peak memory).
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Callable, Sequence

import pykernels
from pykernels.bench import machine, report, runner, timing
from pykernels.bench.baselines import limit_threads
from pykernels.bench.case import ONE_THREAD, PEAK, Case, Contender, Target

CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}


@dataclass(frozen=True)
class CaseRatios:
    case: Case
    threads: int
    clock: str
    ours: str  # the implementation every ratio is against
    seconds: dict[str, float]  # median seconds per call of each contender
    ratios: dict[str, float]  # every other contender -> median of its time / ours
    peak: float  # measured FMA peak on ``threads`` threads

    @property
    def gflops(self) -> float:
        return self.case.flops / self.seconds[self.ours] / 1e9

    @property
    def pct_peak(self) -> float:
        return 100.0 * self.gflops / self.peak

    def value(self, against: str) -> float | None:
        return self.pct_peak if against == PEAK else self.ratios.get(against)


def geomean(values: Sequence[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan


def _on_threads(fn: Callable[[], object], threads: int, restore: int) -> Callable[[], object]:
    def run():
        pykernels.set_num_threads(threads)
        try:
            return fn()
        finally:
            pykernels.set_num_threads(restore)
    return run


def measure(prepared, threads: int, clock: str, repeats: int, run: runner.SuiteRun,
            only: Sequence[str] | None = None) -> CaseRatios | None:
    """One case on ``threads`` threads: every working contender interleaved; None when none of ours works."""
    with limit_threads(threads) as notes:
        run.notes.update(dict.fromkeys(notes))
        live = runner.ready_contenders(prepared, threads, run, only)
        ours = next((c for c in live if not c.baseline), None)
        if ours is None:
            return None
        if threads > 1:
            live.append(Contender(ONE_THREAD, True, _on_threads(ours.run, 1, threads)))
        times = timing.interleaved({c.name: c.run for c in live}, repeats, CLOCKS[clock], settle_first=threads > 1)
    mine = times[ours.name]
    ratios = {name: statistics.median(t / o for t, o in zip(theirs, mine))
              for name, theirs in times.items() if name != ours.name}
    return CaseRatios(prepared.case, threads, clock, ours.name, {n: statistics.median(t) for n, t in times.items()},
                      ratios, machine.fma_peak(threads))


def run_suite(suite: ModuleType, cases: Sequence[Case], thread_counts: Sequence[int], clock: str | None,
              repeats: int, on_step: Callable[[str], None] = lambda what: None,
              only: Sequence[str] | None = None) -> tuple[runner.SuiteRun, list[CaseRatios]]:
    """Ratios of ``cases`` on each thread count (``clock`` None: cpu on one thread, else wall);
    the SuiteRun holds the notes and whether a contender failed."""
    run = runner.SuiteRun(suite.NAME, suite.SHAPE, list(thread_counts))
    for threads in thread_counts:
        machine.fma_peak(threads)
    results = []
    for case in cases:
        prepared = suite.prepare(case)
        for threads in thread_counts:
            on_step(f"{suite.NAME} {case.id} {threads}t")
            chosen = clock if threads == 1 and clock else ("cpu" if threads == 1 else "wall")
            found = measure(prepared, threads, chosen, repeats, run, only)
            if found is not None:
                results.append(found)
    return run, results


def check(target: Target, results: Sequence[CaseRatios]) -> list[tuple[str, float | None, bool | None]]:
    """(label, value, passed) lines of a target; value None when the run has no matching case."""
    found = [(r.case, r.value(target.baseline)) for r in results
             if r.threads == target.threads and target.where(r.case)]
    found = [(case, v) for case, v in found if v is not None]
    if not found:
        return [("", None, None)]
    if target.combine == "each":
        return [(case.id, v, v >= target.needed) for case, v in found]
    combined = {"min": min, "max": max, "geomean": geomean}[target.combine]([v for _, v in found])
    return [(f"{target.combine} of {len(found)} cases", combined, combined >= target.needed)]


def _x(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.2f}x"


def show(suite: ModuleType, run: runner.SuiteRun, results: Sequence[CaseRatios]) -> None:
    """Per thread count a table of the cases and the group geometric means; then the targets and notes."""
    for threads in run.thread_counts:
        mine = [r for r in results if r.threads == threads]
        if not mine:
            continue
        others = list(dict.fromkeys(name for r in mine for name in r.ratios))
        clocks = sorted({r.clock for r in mine})
        title = (f"{suite.NAME}, {threads} thread{'s' * (threads != 1)}, {'/'.join(clocks)} clock: "
                 f"X's time / ours, median of per-repetition ratios (> 1: ours is faster)")
        rows = [([r.case.group, r.case.shape, r.ours, report.seconds(r.seconds[r.ours]), f"{r.gflops:.1f}",
                  f"{r.pct_peak:.0f}%", *(_x(r.ratios.get(name)) for name in others)], None) for r in mine]
        for group in dict.fromkeys(r.case.group for r in mine):
            members = [r for r in mine if r.case.group == group]
            rows.append(([group, f"geomean of {len(members)}", "", "", "", "",
                          *(_x(geomean([r.ratios[n] for r in members if n in r.ratios])) for n in others)],
                         "bold"))
        report.table(title, ["group", run.shape, "ours", "time", "GFLOP/s", "% peak", *(f"vs {n}" for n in others)],
                     rows, left=3)
    for target in getattr(suite, "TARGETS", ()):
        unit = "%" if target.baseline == PEAK else "x"
        for label, value, passed in check(target, results):
            verdict = "not measured in this run" if value is None else \
                f"{label + ': ' if label else ''}{value:.2f}{unit} {'ok' if passed else 'FAIL'}"
            report.emit(f"target {suite.NAME}: {target.what} (need >= {target.needed:.3g}{unit}, "
                        f"{target.threads} thread{'s' * (target.threads != 1)}): {verdict}")
    for line in getattr(suite, "ratio_notes", lambda _: [])(results):
        report.emit(f"{suite.NAME}: {line}")
    for note in run.notes:
        report.emit(f"note: {note}")
