"""The number of threads every backend uses (OpenMP for C++, Numba's pool for Numba).

It starts at OMP_NUM_THREADS, or the number of cores, and is one process-wide value:
a kernel called from any Python thread honours it.
"""
from pykernels import _C, validation

C_INT_MAX = 2**31 - 1  # the kernels take the count as a C int


def get_num_threads() -> int:
    """The number of threads kernels run on."""
    return _C.get_num_threads()


def set_num_threads(n: int) -> None:
    """Run kernels on ``n`` threads (n >= 1)."""
    _C.set_num_threads(validation.integer(n, "set_num_threads", "n", minimum=1, maximum=C_INT_MAX))
