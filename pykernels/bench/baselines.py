"""The libraries we compare against, and one switch for every library's thread count.

Baselines are what a user would pick instead: NumPy (on its BLAS, OpenBLAS in the
wheels) and PyTorch CPU when it is installed. Suites write the baseline calls for their
op; this module says which baselines exist here and keeps thread counts equal.
"""
from __future__ import annotations

import importlib
import importlib.util
from contextlib import ExitStack, contextmanager
from types import ModuleType
from typing import Iterator

import pykernels

BASELINES = {
    "numpy": "NumPy (BLAS)",
    "torch": "PyTorch CPU",
    "onnxruntime": "ONNX Runtime CPU (MLAS)",
}


def available() -> list[str]:
    """The baselines importable here, in BASELINES order."""
    return [name for name in BASELINES if importlib.util.find_spec(name) is not None]


def module(name: str) -> ModuleType | None:
    """The baseline's module, or None when it is not installed."""
    return importlib.import_module(name) if name in available() else None


@contextmanager
def limit_threads(n: int) -> Iterator[list[str]]:
    """Run pykernels, NumPy's BLAS and PyTorch on ``n`` threads; restore them on exit.

    Yields notes on libraries whose threads could not be set (threadpoolctl missing).
    """
    notes = []
    with ExitStack() as stack:
        before = pykernels.get_num_threads()
        stack.callback(pykernels.set_num_threads, before)
        pykernels.set_num_threads(n)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            notes.append("threadpoolctl is not installed: NumPy's BLAS runs on its default threads")
        else:
            stack.enter_context(threadpool_limits(limits=n, user_api="blas"))
        torch = module("torch")
        if torch is not None:
            stack.callback(torch.set_num_threads, torch.get_num_threads())
            torch.set_num_threads(n)
        yield notes
