"""One registry of implementations, keyed by (op, backend).

Each backend is a package whose ``__init__`` (cheap to import) declares:

- ``PRIORITY``: higher wins under ``backend="auto"``;
- ``probe()``: ``None`` when usable here, else the reason it is not;
- ``IMPLEMENTATIONS``: ``{op: "module:function"}``, loaded on first use, so that
  ``import pykernels`` never imports Numba;
- ``DEVICE`` (optional, default ``"host"``): where the backend's operands live. GPU
  backends declare ``"cuda"``: they take device arrays (pykernels.cuda.arrays).
- ``FAST_PATHS`` (optional): ``{op: {name: "module:function"}}``, functions that run an
  op's common case end to end in one call (``fast_path`` below).

``backend="auto"`` chooses among the backends of the inputs' device only: ops on host
(NumPy) arrays resolve with ``device="host"`` and never get a GPU backend, ops on device
arrays resolve with ``device="cuda"``. A backend named explicitly is used as asked; a GPU
kernel given host arrays raises a TypeError that says how to move them.

Adding a backend is adding its package to ``BACKEND_PACKAGES``; adding an op to a
backend is adding an entry to its ``IMPLEMENTATIONS``. Callers never change.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from pykernels.profiler import trace

BACKEND_PACKAGES = {
    "cpu": "pykernels.cpu",
    "numba": "pykernels.numba",
    "reference": "pykernels.reference",
    "cuda": "pykernels.cuda",
    "numba-cuda": "pykernels.numba_cuda",
}
HOST = "host"


@dataclass(frozen=True)
class BackendInfo:
    name: str
    available: bool
    reason: str  # why it is unavailable ("" when available)
    priority: int
    ops: tuple[str, ...]
    device: str = HOST  # where its operands live: "host" or "cuda"


@lru_cache(maxsize=None)
def _backend(name: str) -> BackendInfo:
    package = importlib.import_module(BACKEND_PACKAGES[name])
    reason = package.probe()
    return BackendInfo(name, reason is None, reason or "", package.PRIORITY,
                       tuple(sorted(package.IMPLEMENTATIONS)), getattr(package, "DEVICE", HOST))


def backends() -> list[BackendInfo]:
    """Every backend, best first, with whether it is available here and why not."""
    return sorted((_backend(name) for name in BACKEND_PACKAGES), key=lambda b: -b.priority)


@lru_cache(maxsize=None)
def backend_names(op: str, device: str = HOST) -> tuple[str, ...]:
    """The available backends implementing ``op`` on ``device`` arrays, best first."""
    return tuple(b.name for b in backends() if b.available and op in b.ops and b.device == device)


def _import(target: str) -> Callable:
    """The function a ``"module:function"`` entry names."""
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)


def resolve(op: str, backend: str = "auto", device: str = HOST) -> Callable:
    """The implementation of ``op`` on ``backend`` ("auto": the best available for
    ``device`` arrays), traced while tracing is on (``PYKERNELS_VERBOSE=1`` or the profiler).

    Every op call asks, so a request answered before costs one dict lookup."""
    try:
        name, kernel = _RESOLVED[op, backend, device]
    except (KeyError, TypeError):  # not asked before, or an unhashable backend
        if not isinstance(backend, str):
            raise TypeError(f"{op}: backend must be a str, got {type(backend).__name__}") from None
        name, kernel = _RESOLVED.setdefault((op, backend, device), _resolved(op, backend, device))
    return trace.traced(op, name, kernel) if trace.active() else kernel


_RESOLVED: dict[tuple[str, str, str], tuple[str, Callable]] = {}  # resolve's answers, by request


def _resolved(op: str, backend: str, device: str) -> tuple[str, Callable]:
    """(backend name, implementation) of a request; errors name the choices."""
    name = _backend_name(op, backend, device)
    return name, _import(importlib.import_module(BACKEND_PACKAGES[name]).IMPLEMENTATIONS[op])


def fast_path(op: str, name: str, backend: str = "auto") -> Callable | None:
    """The fast path ``name`` of the host backend that ``resolve(op, backend)`` picks, if it has one.

    A fast path runs an op's common case in one call: it checks its inputs itself and takes
    exactly those the op's validation would pass through unchanged, returning the result,
    and returns None for any other input. The op then validates and calls ``resolve`` as
    usual, so errors still come from pykernels.validation. None while tracing is on, so
    that every kernel call is traced."""
    try:
        function = _FAST_PATHS[op, name, backend]
    except (KeyError, TypeError):  # not asked before, or an unhashable backend
        if not isinstance(backend, str):
            return None  # resolve() says what is wrong with it
        function = _FAST_PATHS.setdefault((op, name, backend), _fast_path(op, name, backend))
    return None if trace.active() else function


_FAST_PATHS: dict[tuple[str, str, str], Callable | None] = {}  # fast_path's answers, by request


def _fast_path(op: str, name: str, backend: str) -> Callable | None:
    try:
        chosen = _backend_name(op, backend)
    except ValueError:  # resolve() raises it for the op
        return None
    target = getattr(importlib.import_module(BACKEND_PACKAGES[chosen]), "FAST_PATHS", {}).get(op, {}).get(name)
    return None if target is None else _import(target)


def _backend_name(op: str, backend: str, device: str = HOST) -> str:
    """The backend that runs ``op`` when ``backend`` is asked for; errors name the choices."""
    candidates = backend_names(op, device)
    if backend == "auto":
        if not candidates:  # on the host the reference implements every op
            unavailable = [f"{b.name}: {b.reason}" for b in backends() if b.device == device and not b.available]
            raise ValueError(f"{op}: no backend for {device} arrays is available here ({'; '.join(unavailable)})")
        return candidates[0]
    if backend not in BACKEND_PACKAGES:
        raise ValueError(f"{op}: unknown backend {backend!r}; expected 'auto' or one of {sorted(BACKEND_PACKAGES)}")
    info = _backend(backend)
    if not info.available:
        raise ValueError(f"{op}: backend {backend!r} is not available here: {info.reason}")
    if op not in info.ops:
        raise ValueError(f"{op}: backend {backend!r} does not implement it; available: {list(backend_names(op))}")
    return backend
