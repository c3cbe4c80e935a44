"""Backend "cuda": the CUDA C++ kernels of pykernels._C_cuda (csrc/cuda), on device arrays.

Operands are CuPy arrays, PyTorch CUDA tensors or Numba device arrays (read through
pykernels.cuda.arrays, never copied to the host); kernels run asynchronously on the
producer's stream. ``backend="auto"`` picks this backend only for device arrays
(``DEVICE``, see pykernels.registry).
"""
import json
from pathlib import Path

PRIORITY = 40
DEVICE = "cuda"

IMPLEMENTATIONS = {
    "gemm": "pykernels.cuda.gemm:gemm",
    "gemm_int8": "pykernels.cuda.gemm:gemm_int8",
    "spmm": "pykernels.cuda.sparse:spmm",
    "sdpa": "pykernels.cuda.attention:sdpa",
    "conv2d": "pykernels.cuda.conv:conv2d",
    "lstm_layer": "pykernels.cuda.lstm:lstm_layer",
}


def build_record() -> dict:
    """What the build wrote about _C_cuda (pykernels/_cuda_build.json), {} when absent."""
    try:
        return json.loads((Path(__file__).parent.parent / "_cuda_build.json").read_text())
    except (OSError, ValueError):
        return {}


def probe():
    from pykernels.cuda.driver import gpu_status

    count, why = gpu_status()
    if count == 0:
        return f"no GPU found: {why}" + _build_note()
    try:
        from pykernels import _C_cuda
    except ImportError as e:
        record = build_record()
        if not record:
            return "pykernels._C_cuda was not built (no build record: rebuild with PYKERNELS_CUDA=on to see why)"
        if not record.get("built"):
            return f"pykernels._C_cuda was not built: {record.get('reason', 'unknown reason')}"
        return f"pykernels._C_cuda was built but failed to load: {e}"
    count, why = _C_cuda.runtime_status()
    if count == 0:
        return f"the CUDA runtime of pykernels._C_cuda finds no usable GPU ({why})"
    return None


def _build_note() -> str:
    record = build_record()
    if record.get("built"):
        return " (pykernels._C_cuda is built, for " + record.get("archs", "?") + ")"
    return f"; pykernels._C_cuda was not built either: {record.get('reason', 'no build record')}"
