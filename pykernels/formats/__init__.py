"""Weight formats: sparse (CSR, BSR, N:M) and quantized tensors.

Each format validates its metadata on construction and converts from / to dense arrays
and from scipy.sparse (scipy is optional: needed only for those conversions).
"""
from pykernels.formats.bsr import BSRMatrix
from pykernels.formats.csr import CSRMatrix
from pykernels.formats.nm import NMMatrix

SPARSE_FORMATS = (CSRMatrix, BSRMatrix, NMMatrix)

__all__ = ["BSRMatrix", "CSRMatrix", "NMMatrix", "SPARSE_FORMATS"]

from pykernels.formats.patterns import Pattern, parse as parse_pattern, to_sparse  # noqa: E402

__all__ += ["Pattern", "parse_pattern", "to_sparse"]
