"""Model compression: post-training quantization, and magnitude pruning with its
schedules, imported masks, ``strip`` and ``sparsify`` (pruned layers to sparse layers)."""
from pykernels.compress.masks import from_tfmot, from_torch_prune, strip
from pykernels.compress.prune import masks_for, prune, sparsity_of
from pykernels.compress.quantize import LayerContext, QuantizationReport, quantize, register_quantizer
from pykernels.compress.schedules import ConstantSparsity, PolynomialDecay, PruningSchedule
from pykernels.compress.sparsify import sparsify

__all__ = ["ConstantSparsity", "LayerContext", "PolynomialDecay", "PruningSchedule", "QuantizationReport",
           "from_tfmot", "from_torch_prune", "masks_for", "prune", "quantize", "register_quantizer", "sparsify",
           "sparsity_of", "strip"]
