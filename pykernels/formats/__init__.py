"""Data formats beyond dense float32: quantized tensors and prepacked int8 weights."""
from pykernels.formats.int8_weights import Int8Weights
from pykernels.formats.qtensor import QTensor, choose_qparams
