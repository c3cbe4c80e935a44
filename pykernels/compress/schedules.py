"""Pruning schedules with TF Model Optimization's semantics, for pruning while training.

A schedule is called with the training step and returns ``(should_prune, sparsity)``,
as ``tfmot.sparsity.keras.ConstantSparsity`` / ``PolynomialDecay`` do: pruning happens
on steps ``begin_step <= step <= end_step`` (``end_step=-1``: forever, ConstantSparsity
only) that are a multiple of ``frequency`` steps after ``begin_step``.
"""
from __future__ import annotations

from pykernels import validation


def _sparsity(value, what: str, name: str) -> float:
    return validation.real(value, what, name, minimum=0, below=1)


def _steps(begin_step, end_step, frequency, what: str, allow_forever: bool) -> tuple[int, int, int]:
    begin_step = validation.integer(begin_step, what, "begin_step", minimum=0)
    end_step = validation.integer(end_step, what, "end_step")
    frequency = validation.integer(frequency, what, "frequency", minimum=1)
    if not (allow_forever and end_step == -1):
        if end_step < begin_step or (not allow_forever and end_step == begin_step):
            expected = "> begin_step" if not allow_forever else ">= begin_step, or -1 to prune forever"
            raise ValueError(f"{what}: end_step must be {expected}; got begin_step={begin_step}, end_step={end_step}")
    return begin_step, end_step, frequency


class PruningSchedule:
    begin_step: int
    end_step: int
    frequency: int

    def should_prune(self, step: int) -> bool:
        """TF-MOT's rule: inside [begin_step, end_step] and on a frequency boundary."""
        in_range = step >= self.begin_step and (self.end_step == -1 or step <= self.end_step)
        return in_range and (step - self.begin_step) % self.frequency == 0

    def sparsity(self, step: int) -> float:
        raise NotImplementedError

    def __call__(self, step) -> tuple[bool, float]:
        step = validation.integer(step, type(self).__name__, "step")
        return self.should_prune(step), self.sparsity(step)


class ConstantSparsity(PruningSchedule):
    """The same target sparsity at every pruning step."""

    def __init__(self, target_sparsity: float, begin_step: int, end_step: int = -1, frequency: int = 100):
        what = "ConstantSparsity"
        self.target_sparsity = _sparsity(target_sparsity, what, "target_sparsity")
        self.begin_step, self.end_step, self.frequency = _steps(begin_step, end_step, frequency, what, True)

    def sparsity(self, step: int) -> float:
        return self.target_sparsity


class PolynomialDecay(PruningSchedule):
    """Sparsity rising from initial to final: final + (initial - final) * (1 - p) ** power,
    p = clip((step - begin_step) / (end_step - begin_step), 0, 1)."""

    def __init__(self, initial_sparsity: float, final_sparsity: float, begin_step: int, end_step: int,
                 power: float = 3, frequency: int = 100):
        what = "PolynomialDecay"
        self.initial_sparsity = _sparsity(initial_sparsity, what, "initial_sparsity")
        self.final_sparsity = _sparsity(final_sparsity, what, "final_sparsity")
        self.begin_step, self.end_step, self.frequency = _steps(begin_step, end_step, frequency, what, False)
        self.power = validation.real(power, what, "power")

    def sparsity(self, step: int) -> float:
        p = min(1.0, max(0.0, (step - self.begin_step) / (self.end_step - self.begin_step)))
        return self.final_sparsity + (self.initial_sparsity - self.final_sparsity) * (1.0 - p) ** self.power
