"""Keras-like layers: they own parameters and call ``pykernels.ops``; no maths here.

::

    from pykernels.layers import Dense, Flatten, Sequential
    model = Sequential([Flatten(), Dense(64, activation="relu"), Dense(10, activation="softmax")])
    y = model(x)                 # built on the first call from x.shape; x cast to float32
    model.summary()              # layers, output shapes, parameter counts
    weights = model.get_weights()

New layers subclass ``Layer`` (see ``pykernels.layers.base`` for the contract).
"""
from pykernels.layers import initializers
from pykernels.layers.base import InputSpec, Layer, deserialize, serialize
from pykernels.layers.core import Activation, Flatten
from pykernels.layers.dense import Dense
from pykernels.layers.sequential import Sequential
from pykernels.layers.sparse import SparseConv2D, SparseDense

__all__ = ["Activation", "Dense", "Flatten", "InputSpec", "Layer", "Sequential", "SparseConv2D", "SparseDense", "deserialize", "initializers",
           "serialize"]
