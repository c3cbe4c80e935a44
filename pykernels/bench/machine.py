"""The machine a benchmark ran on: CPU model, ISA, cores, library versions, FMA peak and
memory bandwidth (the roofline's two roofs)."""
from __future__ import annotations

import os
import platform
from functools import lru_cache
from importlib import metadata
from time import perf_counter

from pykernels import _C

PEAK_SECONDS = 0.2  # per measurement of the FMA peak
PEAK_REPEATS = 3  # best of


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (platform.processor() elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def thread_counts(text: str | None = None) -> list[int]:
    """Parse "1,2" into [1, 2]; None gives the default, one thread and all cores."""
    if text is None:
        return list(dict.fromkeys([1, cores()]))
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise ValueError(f"expected thread counts >= 1 separated by commas, e.g. 1,2; got {text!r}")
    return list(dict.fromkeys(counts))


def isa() -> dict:
    """ISA flags seen by the extension, the active ISA and the sgemm kernel it dispatches to."""
    return dict(_C.cpu_info())


def versions() -> dict[str, str]:
    """Versions of pykernels and of the libraries it is compared against or built on."""
    found = {}
    for package in ("pykernels", "numpy", "torch", "numba", "threadpoolctl"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def numpy_blas() -> str:
    """The BLAS NumPy was built against, e.g. 'scipy-openblas 0.3.31'."""
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas['version']}"
    except (KeyError, TypeError):
        return "unknown"


@lru_cache(maxsize=None)
def fma_peak(threads: int) -> float:
    """The measured FMA peak in GFLOP/s on ``threads`` threads, best of PEAK_REPEATS."""
    return max(_C.fma_peak_gflops(threads, PEAK_SECONDS) for _ in range(PEAK_REPEATS))


@lru_cache(maxsize=None)
def memory_bandwidth() -> float:
    """Main-memory bandwidth in GB/s: copying 128 MiB with NumPy (read + write bytes), best of 3."""
    import numpy as np

    src = np.ones(32 * 2**20, np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the pages in
    seconds = min(_timed(lambda: np.copyto(dst, src)) for _ in range(3))
    return 2 * src.nbytes / seconds / 1e9


def _timed(fn) -> float:
    start = perf_counter()
    fn()
    return perf_counter() - start


def describe(thread_counts: list[int]) -> dict:
    """Everything a report's header says about the machine, peaks for each thread count."""
    return {
        "cpu": cpu_model(),
        "cores": cores(),
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "isa": isa(),
        "threads": list(thread_counts),
        "fma_peak_gflops": {str(t): round(fma_peak(t), 1) for t in thread_counts},
        "memory_bandwidth_gbs": round(memory_bandwidth(), 1),
        "numpy_blas": numpy_blas(),
        "versions": versions(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }
