"""The data a suite hands to the runner: cases, per case the callables to time, and the
family's acceptance targets."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Case:
    """One benchmark point: a shape in a group of a suite, with its work in FLOPs."""

    suite: str
    group: str  # e.g. "square", "cnn-dense"
    shape: str  # e.g. "1024x1024x1024" (MxKxN)
    flops: float  # floating-point operations of one call
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    bytes: float = 0.0  # bytes a call must at least move (inputs + output); 0 if not given

    @property
    def intensity(self) -> float | None:
        """Arithmetic intensity, FLOP per byte (the roofline's x axis)."""
        return self.flops / self.bytes if self.bytes else None

    @property
    def id(self) -> str:
        return f"{self.group}-{self.shape}"


@dataclass(frozen=True)
class Contender:
    """One implementation to time; ``run()`` computes the case once and returns the result."""

    name: str
    baseline: bool
    run: Callable[[], Any]


@dataclass(frozen=True)
class Prepared:
    """A case's inputs made: the contenders on them and the check of a result against the reference."""

    case: Case
    contenders: tuple[Contender, ...]
    check: Callable[[Any, str], None]  # check(result, what) raises AssertionError when wrong

    @classmethod
    def of(cls, case: Case, ours: dict[str, Callable[[], Any]], theirs: dict[str, Callable[[], Any]],
           check: Callable[[Any, str], None]) -> "Prepared":
        """Our callables by name, then the baselines' by name."""
        contenders = [Contender(name, False, fn) for name, fn in ours.items()]
        contenders += [Contender(name, True, fn) for name, fn in theirs.items()]
        return cls(case, tuple(contenders), check)

    def contender(self, name: str) -> Contender:
        return next(c for c in self.contenders if c.name == name)


def benchmark_id(case_id: str, name: str, threads: int) -> str:
    """One benchmark's id within its suite: ``<group>-<shape>-<impl>-<threads>t``."""
    return f"{case_id}-{name}-{threads}t"


ONE_THREAD = "1 thread"  # the pseudo-contender of ratios on more threads: ours on one thread
PEAK = "% peak"  # a Target on our share of the FMA peak instead of a ratio


@dataclass(frozen=True)
class Target:
    """An acceptance line: ratio against ``baseline`` (or ONE_THREAD, or PEAK) at least ``needed``."""

    what: str
    baseline: str
    needed: float
    where: Callable[[Case], bool] = lambda case: True
    threads: int = 1
    combine: str = "each"  # one line per matching case ("each"), or one for their "min", "geomean" or "max"


def groups(*names: str) -> Callable[[Case], bool]:
    """Target.where: the cases of these groups."""
    return lambda case: case.group in names


def shapes(*labels: str) -> Callable[[Case], bool]:
    """Target.where: the cases with these shape labels."""
    return lambda case: case.shape in labels
