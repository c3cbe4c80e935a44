"""Backend "cpu": the C++ kernels of pykernels._C (AVX2/FMA with a portable fallback)."""
PRIORITY = 30

IMPLEMENTATIONS = {
    "gemm": "pykernels.cpu.gemm:gemm",
    "activation": "pykernels.cpu.activations:activation",
    "softmax": "pykernels.cpu.activations:softmax",
    "lstm_layer": "pykernels.cpu.lstm:lstm_layer",
    "embedding": "pykernels.cpu.embedding:embedding",
    "sdpa": "pykernels.cpu.attention:sdpa",
    "layer_norm": "pykernels.cpu.attention:layer_norm",
    "conv2d": "pykernels.cpu.conv:conv2d",
    "max_pool2d": "pykernels.cpu.conv:max_pool2d",
    "avg_pool2d": "pykernels.cpu.conv:avg_pool2d",
    "global_avg_pool2d": "pykernels.cpu.conv:global_avg_pool2d",
    "quantize": "pykernels.cpu.int8:quantize",
    "dequantize": "pykernels.cpu.int8:dequantize",
    "requantize": "pykernels.cpu.int8:requantize",
    "gemm_int8": "pykernels.cpu.int8:gemm_int8",
    "conv2d_int8": "pykernels.cpu.int8:conv2d_int8",
    "spmm": "pykernels.cpu.spmm:spmm",
    "conv2d_sparse": "pykernels.cpu.spmm:conv2d_sparse",
}

# One native call for ops.matmul / ops.linear on plain float32 matrices (registry.fast_path).
FAST_PATHS = {"gemm": {"matmul": "pykernels._C:matmul_f32", "linear": "pykernels._C:linear_f32"}}


def probe():
    try:
        from pykernels import _C  # noqa: F401
    except ImportError as e:  # pragma: no cover - the extension is part of the build
        return f"the native extension pykernels._C failed to load: {e}"
    return None
