"""Ready-made models.

- ``digits_cnn``  a small CNN for scikit-learn's 8x8 digits, with trained float and
  80%-pruned weights shipped in ``weights/`` (examples and the prune/quantize tests use it).
"""
