"""Per-layer profile of a model's forward pass.

``profile(model, inputs)`` alternates plain forward passes (the end-to-end time) with
passes in which every layer's ``call`` is timed and every kernel call traced, and
reports per layer: the kernels
and backends that ran (and why), median time and share of the total, GFLOP/s and % of
the measured FMA peak, arithmetic intensity, weight sparsity and bit width, and — for
sparse and quantized layers — the speedup against their dense float32 equivalent.
"""
from __future__ import annotations

import json
import statistics
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from time import perf_counter
from typing import Callable, Iterator

import pykernels
from pykernels import validation
from pykernels.layers.base import Layer
from pykernels.profiler import trace


@dataclass(frozen=True)
class LayerProfile:
    name: str
    kind: str  # the layer's class
    kernels: str  # e.g. "gemm[cpu] x2, softmax[cpu]"
    why: str  # why those kernels ran (backend choice, sparse/dense dispatch)
    seconds: float  # median over the profiled runs
    share: float  # of the sum over layers
    flops: float | None  # summed over its kernel calls; None when a kernel has no formula
    bytes: int  # bytes of the kernels' array arguments
    peak: float  # measured FMA peak (GFLOP/s) on the threads used
    sparsity: float | None
    bits: int | None
    dense_seconds: float | None  # its dense float32 equivalent, when it has one

    @property
    def gflops(self) -> float | None:
        return None if self.flops is None or self.seconds <= 0 else self.flops / self.seconds / 1e9

    @property
    def pct_peak(self) -> float | None:
        return None if self.gflops is None else 100.0 * self.gflops / self.peak

    @property
    def intensity(self) -> float | None:
        """FLOP per byte of kernel arguments."""
        return None if self.flops is None or not self.bytes else self.flops / self.bytes

    @property
    def speedup_vs_dense(self) -> float | None:
        return None if self.dense_seconds is None else self.dense_seconds / self.seconds


@dataclass(frozen=True)
class Span:
    """One timed layer call of the last profiled run."""

    layer: str
    start: float
    seconds: float


@dataclass
class Profile:
    model: str
    threads: int
    repeat: int
    end_to_end_seconds: float  # median of un-instrumented forward passes
    layers: list[LayerProfile]
    spans: list[Span] = field(default_factory=list)
    calls: list[trace.KernelCall] = field(default_factory=list)

    @property
    def layers_seconds(self) -> float:
        return sum(layer.seconds for layer in self.layers)

    def as_dict(self) -> dict:
        layers = [{**asdict(l), "gflops": l.gflops, "pct_peak": l.pct_peak, "intensity": l.intensity,
                   "speedup_vs_dense": l.speedup_vs_dense} for l in self.layers]
        return {"model": self.model, "threads": self.threads, "repeat": self.repeat,
                "end_to_end_seconds": self.end_to_end_seconds, "layers_seconds": self.layers_seconds,
                "layers": layers,
                "kernel_calls": [{"op": c.op, "backend": c.backend, "arrays": c.signature, "seconds": c.seconds,
                                  "flops": c.flops, "bytes": c.bytes} for c in self.calls]}

    def to_json(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump(self.as_dict(), f, indent=2)

    def to_chrome_trace(self, path: str) -> None:
        """The last profiled run as a Chrome / Perfetto trace: layers on one track, kernels on another."""
        origin = min((s.start for s in self.spans), default=0.0)

        def event(name: str, start: float, seconds: float, track: int, args: dict) -> dict:
            return {"name": name, "ph": "X", "pid": 1, "tid": track, "ts": (start - origin) * 1e6,
                    "dur": seconds * 1e6, "args": args}

        events = [event(s.layer, s.start, s.seconds, 1, {}) for s in self.spans]
        events += [event(f"{c.op}[{c.backend}]", c.start, c.seconds, 2,
                         {"arrays": c.signature, "gflops": c.gflops}) for c in self.calls]
        names = [{"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "layers"}},
                 {"name": "thread_name", "ph": "M", "pid": 1, "tid": 2, "args": {"name": "kernels"}}]
        with open(path, "w") as f:
            json.dump({"traceEvents": names + events, "displayTimeUnit": "ms"}, f)

    def show(self) -> None:
        """Print the per-layer table and the totals."""
        from pykernels.bench import report

        def number(value, fmt: str) -> str:
            return "—" if value is None else format(value, fmt)

        rows = [([l.name, l.kind, l.kernels, l.why, f"{l.seconds * 1e3:.3f}", f"{100 * l.share:.1f}%",
                  number(l.gflops, ".1f"), number(l.pct_peak, ".0f"), number(l.intensity, ".1f"),
                  number(None if l.sparsity is None else 100 * l.sparsity, ".0f"), number(l.bits, "d"),
                  number(l.speedup_vs_dense, ".2f")], None) for l in self.layers]
        title = (f"profile of {self.model!r}: {self.threads} thread{'s' * (self.threads != 1)}, "
                 f"median of {self.repeat} runs")
        report.table(title, ["layer", "type", "kernels", "why", "ms", "share", "GFLOP/s", "% peak", "FLOP/B",
                             "sparsity %", "bits", "vs dense f32"], rows, left=4)
        ratio = self.layers_seconds / self.end_to_end_seconds if self.end_to_end_seconds else float("nan")
        report.emit(f"layers sum {self.layers_seconds * 1e3:.3f} ms; end to end "
                                  f"{self.end_to_end_seconds * 1e3:.3f} ms (sum / end to end = {ratio:.2f})")


def leaf_layers(model: Layer) -> list[Layer]:
    """The layers the profile has rows for: containers (models) are opened, recursively."""
    if not model.is_container:
        return [model]
    return [leaf for layer in model.layers for leaf in leaf_layers(layer)]


@contextmanager
def _timed_calls(layers: list[Layer], spans: list[Span], captured: dict[str, tuple]) -> Iterator[None]:
    """Within the block each layer's ``call`` appends a Span and keeps its last arguments."""
    for layer in layers:
        original = layer.call

        def timed(*args, _layer=layer, _original=original, **kwargs):
            start = perf_counter()
            result = _original(*args, **kwargs)
            spans.append(Span(_layer.name, start, perf_counter() - start))
            captured[_layer.name] = args, kwargs
            return result

        layer.call = timed  # an instance attribute shadows the method
    try:
        yield
    finally:
        for layer in layers:
            del layer.call


def _median_seconds(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = perf_counter()
        fn()
        samples.append(perf_counter() - start)
    return statistics.median(samples)


def _kernels(calls: list[trace.KernelCall]) -> str:
    counts = Counter(f"{c.op}[{c.backend}]" for c in calls)
    return ", ".join(name if n == 1 else f"{name} x{n}" for name, n in counts.items()) or "—"


def profile(model: Layer, inputs, repeat: int = 10) -> Profile:
    """Profile ``model(inputs)`` per layer over ``repeat`` runs (after one warm-up run)."""
    from pykernels.bench import machine

    if not isinstance(model, Layer):
        raise TypeError(f"profile: model must be a pykernels Layer or model, got {type(model).__name__}")
    repeat = validation.integer(repeat, "profile", "repeat", minimum=1)
    model(inputs)  # builds the model and compiles any JIT kernels
    layers = leaf_layers(model)
    per_layer: dict[str, list[float]] = {layer.name: [] for layer in layers}
    end_to_end: list[float] = []
    captured: dict[str, tuple] = {}
    for _ in range(repeat):  # plain and instrumented runs alternate, so both see the same machine
        start = perf_counter()
        model(inputs)
        end_to_end.append(perf_counter() - start)
        spans: list[Span] = []
        with trace.recording() as calls, _timed_calls(layers, spans, captured):
            model(inputs)
        for span in spans:
            per_layer[span.layer].append(span.seconds)
    threads = pykernels.get_num_threads()
    peak = machine.fma_peak(threads)
    medians = {name: statistics.median(times) if times else 0.0 for name, times in per_layer.items()}
    total = sum(medians.values()) or 1.0
    rows = []
    for layer in layers:
        span = next((s for s in spans if s.layer == layer.name), None)
        mine = [] if span is None else [c for c in calls if span.start <= c.start <= span.start + span.seconds]
        flops = None if any(c.flops is None for c in mine) or not mine else sum(c.flops for c in mine)
        info = layer.profile_info()
        equivalent = layer.float_equivalent()
        dense = None
        if equivalent is not None and layer.name in captured:
            args, kwargs = captured[layer.name]
            equivalent(*args, **kwargs)  # build and warm up
            dense = _median_seconds(lambda: equivalent(*args, **kwargs), repeat)
        why = info.get("why", "") if mine else "no kernel: reshapes or copies data"
        rows.append(LayerProfile(layer.name, type(layer).__name__, _kernels(mine), why,
                                 medians[layer.name], medians[layer.name] / total, flops,
                                 sum(c.bytes for c in mine), peak, info.get("sparsity"), info.get("bits"), dense))
    return Profile(model.name, threads, repeat, statistics.median(end_to_end), rows, spans, calls)
