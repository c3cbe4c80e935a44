"""Model compression: post-training quantization (and pruning)."""
from pykernels.compress.quantize import LayerContext, QuantizationReport, quantize, register_quantizer
