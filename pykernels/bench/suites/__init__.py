"""The registry of benchmark suites.

A suite is a module with ``NAME``, ``SHAPE`` (how its case labels read, e.g. "MxKxN") and:

- ``cases(quick: bool) -> list[Case]``: its benchmark points, read from a shapes file
  in ``benchmarks/shapes/`` (``quick`` picks the subset marked quick);
- ``contenders() -> list[tuple[str, bool]]``: (name, is_baseline) of what it times,
  our implementations first, known before any input is made;
- ``prepare(case) -> Prepared``: makes the inputs, the reference result, and the
  callables to time.

Adding a suite is adding its module and an entry in SUITES.
"""
from __future__ import annotations

import importlib
from importlib import resources
import json
from types import ModuleType

SUITES = {
    "gemm": ("pykernels.bench.suites.gemm", "float32 GEMM and linear+relu: square, tall-skinny, BERT FFN, CNN Dense"),
    "lstm": ("pykernels.bench.suites.lstm", "LSTM layer over a sequence: classic LSTM(50), batch-1 latency, T=100/200 encoders"),
    "attention": ("pykernels.bench.suites.attention", "fused scaled dot-product attention: BERT, 1k-4k causal, 16k tokens"),
    "conv": ("pykernels.bench.suites.conv", "conv2d: classic CNN layer, every ResNet-50 conv (batch 1, 8), "
                                            "MobileNetV2 depthwise"),
    "int8": ("pykernels.bench.suites.int8", "int8 GEMM and dynamic quantized Linear vs float32, FBGEMM, torch._int_mm, ONNX Runtime"),
    "sparse": ("pykernels.bench.suites.sparse", "SpMM (CSR, BSR, N:M) vs dense BLAS, scipy.sparse, torch.sparse: sparsity sweeps, ResNet-50 1x1"),
    "models": ("pykernels.bench.suites.models", "whole models vs their PyTorch twins: classic CNN, LSTM(50)"),
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
