"""Reading and writing models and weights.

- ``model_file``        ``save_model`` / ``load_model``: architecture and weights in one file.
- ``torch_state_dict``  ``load_state_dict``: a PyTorch state_dict into our layers (layouts converted).
- ``keras_h5``          ``load_keras_weights``: Keras 3 .weights.h5 / .keras (h5py).
- ``safetensors_file``  ``read_safetensors``, ``save_weights`` / ``load_weights`` by weight name.
- ``npz_file``          ``save_npz_weights`` / ``load_npz_weights`` by weight name.
- ``mapping``           ``WeightAssignment``: the missing / unexpected / mis-shaped report they share.
"""
from pykernels.io.keras_h5 import load_keras_weights, read_keras_weights
from pykernels.io.mapping import WeightAssignment
from pykernels.io.model_file import load_model, save_model
from pykernels.io.npz_file import load_npz_weights, save_npz_weights
from pykernels.io.safetensors_file import load_weights, read_safetensors, save_weights
from pykernels.io.torch_state_dict import load_state_dict

__all__ = ["WeightAssignment", "load_keras_weights", "load_model", "load_npz_weights", "load_state_dict",
           "load_weights", "read_keras_weights", "read_safetensors", "save_model", "save_npz_weights",
           "save_weights"]
