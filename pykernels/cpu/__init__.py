"""Backend "cpu": the C++ kernels of pykernels._C (AVX2/FMA with a portable fallback)."""
PRIORITY = 30

IMPLEMENTATIONS = {
    "gemm": "pykernels.cpu.gemm:gemm",
    "activation": "pykernels.cpu.activations:activation",
    "softmax": "pykernels.cpu.activations:softmax",
    "spmm": "pykernels.cpu.spmm:spmm",
}


def probe():
    try:
        from pykernels import _C  # noqa: F401
    except ImportError as e:  # pragma: no cover - the extension is part of the build
        return f"the native extension pykernels._C failed to load: {e}"
    return None
