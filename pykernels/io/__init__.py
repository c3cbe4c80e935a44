"""Reading and writing models and weights.

- ``model_file``  ``save_model`` / ``load_model``: architecture and weights in one file.
"""
from pykernels.io.model_file import load_model, save_model

__all__ = ["load_model", "save_model"]
