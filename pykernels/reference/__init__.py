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
    "spmm": "pykernels.reference.backend:spmm",
}


def probe():
    return None
