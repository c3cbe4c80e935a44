"""Backend "reference": the NumPy float64 oracle of every op.

The functions in this package are the one reference: tests, benchmarks and examples
import them. Each takes ``dtype`` (float64 by default); passing ``np.float32`` gives
"the same computation in float32 NumPy", the yardstick of the numerics policy.
"""
PRIORITY = 0

IMPLEMENTATIONS = {
    "gemm": "pykernels.reference.backend:gemm",
    "activation": "pykernels.reference.backend:activation",
    "softmax": "pykernels.reference.backend:softmax",
    "lstm_layer": "pykernels.reference.backend:lstm_layer",
    "embedding": "pykernels.reference.backend:embedding",
    "sdpa": "pykernels.reference.backend:sdpa",
    "layer_norm": "pykernels.reference.backend:layer_norm",
    "conv2d": "pykernels.reference.backend:conv2d",
    "max_pool2d": "pykernels.reference.backend:max_pool2d",
    "avg_pool2d": "pykernels.reference.backend:avg_pool2d",
    "global_avg_pool2d": "pykernels.reference.backend:global_avg_pool2d",
    "quantize": "pykernels.reference.int8_backend:quantize",
    "dequantize": "pykernels.reference.int8_backend:dequantize",
    "requantize": "pykernels.reference.int8_backend:requantize",
    "gemm_int8": "pykernels.reference.int8_backend:gemm_int8",
    "conv2d_int8": "pykernels.reference.int8_backend:conv2d_int8",
    "spmm": "pykernels.reference.backend:spmm",
    "conv2d_sparse": "pykernels.reference.backend:conv2d_sparse",
}


def probe():
    return None
