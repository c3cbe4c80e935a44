"""The registry of benchmark suites.

A suite is a module with ``NAME``, ``SHAPE`` (how its case labels read, e.g. "MxKxN") and:

- ``cases(quick: bool) -> list[Case]``: its benchmark points, read from a shapes file
  in ``benchmarks/shapes/`` (``quick`` picks the subset marked quick);
- ``contenders(case=None) -> list[tuple[str, bool]]``: (name, is_baseline) of what it
  times, our implementations first, known before any input is made (of ``case`` when
  given, else of any case);
- ``prepare(case) -> Prepared``: makes the inputs, the reference result, and the
  callables to time.

Optional: ``TARGETS`` (the family's acceptance lines, ``pykernels.bench.ratios.Target``,
checked by ``pykernels bench --ratios``), ``ratio_notes(results) -> list[str]`` (figures
derived from the ratios, or that are not ratios) and ``plot(run, directory)`` (extra
figures for ``--plot``).

Adding a suite is adding its module and an entry in SUITES.
"""
from __future__ import annotations

import importlib
from importlib import resources
import json
from types import ModuleType
from typing import Iterable, Iterator

SUITES = {
    "gemm": ("pykernels.bench.suites.gemm", "float32 GEMM and linear+relu: square, tall-skinny, BERT FFN, CNN Dense"),
    "lstm": ("pykernels.bench.suites.lstm", "LSTM layer over a sequence: classic LSTM(50), batch-1 latency, T=100/200 encoders"),
    "attention": ("pykernels.bench.suites.attention", "fused scaled dot-product attention: BERT, 1k-4k causal, 16k tokens"),
    "conv": ("pykernels.bench.suites.conv", "conv2d: classic CNN layer, every ResNet-50 conv (batch 1, 8), "
                                            "MobileNetV2 depthwise"),
    "int8": ("pykernels.bench.suites.int8", "int8 GEMM and dynamic quantized Linear vs float32, FBGEMM, torch._int_mm, ONNX Runtime"),
    "sparse": ("pykernels.bench.suites.sparse", "SpMM (CSR, BSR, N:M) vs dense BLAS, scipy.sparse, torch.sparse: sparsity sweeps, ResNet-50 1x1"),
    "models": ("pykernels.bench.suites.models", "whole models vs their PyTorch twins: classic CNN, LSTM(50), Transformer encoder, "
                                             "MiniLM-L6 fp32 / int8"),
}


def names() -> list[str]:
    return list(SUITES)


def load(name: str) -> ModuleType:
    """The suite's module; ValueError naming the suites when ``name`` is not one."""
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; available: {', '.join(SUITES)}")
    return importlib.import_module(SUITES[name][0])


def shapes(filename: str) -> dict:
    """A shapes file of ``benchmarks/shapes/`` (installed as ``pykernels/bench/shapes/``)."""
    return json.loads(resources.files("pykernels.bench").joinpath("shapes", filename).read_text())


def entries(filename: str, quick: bool = False) -> Iterator[tuple[dict, dict]]:
    """(group, shape) of every shape of a shapes file; ``quick``: those marked quick only."""
    for group in shapes(filename)["groups"]:
        for entry in group["shapes"]:
            if not quick or entry.get("quick", False):
                yield group, entry


def implementations(op: str) -> list[str]:
    """Our contenders for ``op``: every registered backend but the reference."""
    from pykernels import registry

    return [name for name in registry.backend_names(op) if name != "reference"]


def contender_names(op: str, theirs: Iterable[str]) -> list[tuple[str, bool]]:
    """A suite's ``contenders()``: our implementations of ``op``, then the baselines ``theirs``."""
    return [(name, False) for name in implementations(op)] + [(name, True) for name in theirs]


def installed_contenders(op: str, baseline_names: Iterable[str]) -> list[tuple[str, bool]]:
    """``contender_names`` with those of ``baseline_names`` whose packages are installed."""
    from pykernels.bench import baselines

    wanted = set(baseline_names)
    return contender_names(op, [name for name in baselines.available() if name in wanted])

