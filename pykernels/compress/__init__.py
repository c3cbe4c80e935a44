"""Model compression: magnitude pruning (and its schedules, imported masks, strip)."""
from pykernels.compress.masks import from_tfmot, from_torch_prune, strip
from pykernels.compress.prune import masks_for, prune, sparsity_of
from pykernels.compress.schedules import ConstantSparsity, PolynomialDecay, PruningSchedule

__all__ = ["ConstantSparsity", "PolynomialDecay", "PruningSchedule", "from_tfmot", "from_torch_prune", "masks_for",
           "prune", "sparsity_of", "strip"]
