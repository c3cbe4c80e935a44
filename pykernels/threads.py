"""The number of threads every backend uses (OpenMP for C++, Numba's pool for Numba).

It starts at OMP_NUM_THREADS, or the number of cores, and is one process-wide value:
a kernel called from any Python thread honours it.
"""
import operator

from pykernels import _C


def get_num_threads() -> int:
    """The number of threads kernels run on."""
    return _C.get_num_threads()


def set_num_threads(n: int) -> None:
    """Run kernels on ``n`` threads (n >= 1)."""
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"set_num_threads: expected an int, got {type(n).__name__}") from None
    if n < 1:
        raise ValueError(f"set_num_threads: expected n >= 1, got {n}")
    _C.set_num_threads(n)
