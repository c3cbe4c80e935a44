"""Backend "numba-cuda": kernels written in Python, compiled for the GPU by numba.cuda.

Same contracts as backend "cuda", on the same device arrays (pykernels.cuda.arrays); the
kernels mirror the tiling of the CUDA C++ ones, so the CUDA simulator
(NUMBA_ENABLE_CUDASIM=1) can exercise that tiling on machines without a GPU (CI).
"""
import importlib.util
import os

PRIORITY = 35
DEVICE = "cuda"

IMPLEMENTATIONS = {
    "gemm": "pykernels.numba_cuda.gemm:gemm",
    "gemm_int8": "pykernels.numba_cuda.int8:gemm_int8",
    "spmm": "pykernels.numba_cuda.sparse:spmm",
    "sdpa": "pykernels.numba_cuda.attention:sdpa",
    "conv2d": "pykernels.numba_cuda.conv:conv2d",
    "lstm_layer": "pykernels.numba_cuda.lstm:lstm_layer",
}


def simulated() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def probe():
    if importlib.util.find_spec("numba") is None:
        return "numba is not installed (pip install numba)"
    if simulated():
        return None  # runs on Numba's CUDA simulator: slow, for tests
    from pykernels.cuda.driver import gpu_status

    count, why = gpu_status()
    return None if count else f"no GPU found: {why} (NUMBA_ENABLE_CUDASIM=1 runs these kernels on the simulator)"
