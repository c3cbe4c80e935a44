"""Console output: the machine header, result tables, notes and the progress bar.

Uses ``rich`` when it is installed and plain text otherwise.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

from pykernels.bench.runner import SuiteRun

try:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table
    from rich.text import Text
except ImportError:  # plain text
    Console = None

# Off a terminal (a pipe, a file) rich would wrap at 80 columns; let tables be as wide as they are.
_console = Console(highlight=False, width=None if sys.stdout.isatty() else 200) if Console else None


def emit(text: str = "") -> None:
    if _console:
        _console.print(text, markup=False)
    else:
        print(text)


def table(title: str, columns: Sequence[str], rows: Sequence[tuple[Sequence[str], str | None]],
           left: int = 1) -> None:
    """Columns after the first ``left`` are right-aligned; a row's style (rich only) may be None."""
    if _console:
        grid = Table(title=Text(title), title_justify="left")
        for i, column in enumerate(columns):
            grid.add_column(Text(column), justify="left" if i < left else "right")
        for cells, style in rows:  # Text: brackets in cells are data, not rich markup
            grid.add_row(*map(Text, cells), style=style)
        _console.print(grid)
        return
    widths = [max(len(c) for c in column) for column in zip(columns, *(cells for cells, _ in rows))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    print(title)
    print(line(columns))
    print("  ".join("-" * w for w in widths))
    for cells, _ in rows:
        print(line(cells))
    print()


def machine(info: dict) -> None:
    """The header: CPU, ISA, threads, FMA peaks, library versions."""
    isa = info["isa"]
    flags = " ".join(f if isa.get(f) else f"no-{f}" for f in ("avx2", "fma", "f16c", "avx512f"))
    peaks = ", ".join(f"{t} thread{'s' * (t != '1')} {p:.1f}" for t, p in info["fma_peak_gflops"].items())
    v = info["versions"]
    emit(f"CPU      {info['cpu']} ({info['cores']} cores), {info['system']}, "
           f"load average {info['load_average_1min']} at start")
    emit(f"ISA      {flags}; active {isa['isa']}, sgemm kernel {isa['sgemm_kernel']}")
    emit(f"threads  {', '.join(map(str, info['threads']))}; FMA peak GFLOP/s: {peaks}; "
         f"memory bandwidth {info['memory_bandwidth_gbs']} GB/s")
    emit(f"versions pykernels {v['pykernels']}, numpy {v['numpy']} ({info['numpy_blas']}), torch {v['torch']}, "
           f"numba {v['numba']}, python {info['python']}")
    emit()


def backends(infos: Sequence) -> None:
    """The registry's backends: priority, availability (or why not) and ops."""
    rows = [([b.name, str(b.priority), "yes" if b.available else f"no: {b.reason}", ", ".join(b.ops)], None)
            for b in infos]
    table("backends (best first)", ["backend", "priority", "available", "ops"], rows, left=4)


def seconds(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def suite(run: SuiteRun) -> None:
    """One table per thread count; then the notes (skipped, wrong, errors)."""
    baselines = list(dict.fromkeys(m.name for m in run.measurements if m.baseline))
    emit(f"{run.suite}: time per call, median and min of the rounds; GFLOP/s and % of the FMA peak "
           f"from the median; vs X = X's median time / this row's")
    for threads in run.thread_counts:
        ms = [m for m in run.measurements if m.threads == threads]
        if not ms:
            continue
        rows = []
        for m in ms:
            speedups = [f"{m.speedup[b]:.2f}x" if b in m.speedup else "—" for b in baselines]
            rows.append(([m.case.group, m.case.shape, m.name, seconds(m.timing.median), seconds(m.timing.min),
                          f"{m.gflops:.1f}", f"{m.pct_peak:.0f}%", *speedups], "dim" if m.baseline else None))
        title = f"{run.suite}, {threads} thread{'s' * (threads != 1)}, FMA peak {ms[0].peak:.1f} GFLOP/s"
        table(title, ["group", run.shape, "impl", "median", "min", "GFLOP/s", "% peak",
                       *(f"vs {b}" for b in baselines)], rows, left=3)
    for note in run.notes:
        emit(f"note: {note}")


@contextmanager
def progress(total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar of ``total`` steps; yields ``start(what)``, called as each step starts."""
    if not _console:
        yield lambda what: None
        return
    columns = (TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=_console, transient=True) as bar:
        task = bar.add_task("", total=total)
        started = [0]

        def start(what: str) -> None:
            bar.update(task, description=what, completed=started[0])
            started[0] += 1

        yield start
