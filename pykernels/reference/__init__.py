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
    "quantize": "pykernels.reference.int8_backend:quantize",
    "dequantize": "pykernels.reference.int8_backend:dequantize",
    "requantize": "pykernels.reference.int8_backend:requantize",
    "gemm_int8": "pykernels.reference.int8_backend:gemm_int8",
}


def probe():
    return None
