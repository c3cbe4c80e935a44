"""Weight formats beyond dense float32: sparse (CSR, BSR, N:M), quantized tensors and
prepacked int8 weights.

Each format validates its metadata on construction; the sparse ones convert from / to
dense arrays and from scipy.sparse (scipy is optional: needed only for those conversions).
"""
from pykernels.formats.bsr import BSRMatrix
from pykernels.formats.csr import CSRMatrix
from pykernels.formats.int8_weights import Int8ConvWeights, Int8Weights
from pykernels.formats.nm import NMMatrix
from pykernels.formats.patterns import Pattern, parse as parse_pattern, to_sparse
from pykernels.formats.qtensor import QTensor, choose_qparams

SPARSE_FORMATS = (CSRMatrix, BSRMatrix, NMMatrix)

__all__ = ["BSRMatrix", "CSRMatrix", "Int8ConvWeights", "Int8Weights", "NMMatrix", "Pattern", "QTensor", "SPARSE_FORMATS",
           "choose_qparams", "parse_pattern", "to_sparse"]
