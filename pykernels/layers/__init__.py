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
from pykernels.layers.attention import (LayerNormalization, MultiHeadAttention, PositionEmbedding,
                                        SinusoidalPositionEmbedding)
from pykernels.layers.base import InputSpec, Layer, deserialize, serialize
from pykernels.layers.conv import (AveragePooling2D, Conv2D, DepthwiseConv2D, GlobalAveragePooling2D,
                                   MaxPooling2D)
from pykernels.layers.core import Activation, Flatten
from pykernels.layers.dense import Dense
from pykernels.layers.embedding import Embedding
from pykernels.layers.functional import Input, Model
from pykernels.layers.merge import Concatenate
from pykernels.layers.quantized import QuantizedConv2D, QuantizedDense, QuantizedLSTM, QuantizedMultiHeadAttention
from pykernels.layers.recurrent import LSTM, Bidirectional, LSTMCell
from pykernels.layers.sequential import Sequential
from pykernels.layers.sparse import SparseConv2D, SparseDense
from pykernels.layers.transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = ["Activation", "AveragePooling2D", "Bidirectional", "Concatenate", "Conv2D", "Dense", "DepthwiseConv2D",
           "Embedding", "Flatten", "GlobalAveragePooling2D", "Input", "InputSpec", "LSTM", "LSTMCell", "Layer",
           "LayerNormalization", "MaxPooling2D", "Model", "MultiHeadAttention", "PositionEmbedding",
           "QuantizedConv2D", "QuantizedDense", "QuantizedLSTM",
           "QuantizedMultiHeadAttention", "Sequential", "SinusoidalPositionEmbedding", "SparseConv2D", "SparseDense",
           "TransformerEncoder", "TransformerEncoderLayer", "deserialize", "initializers", "serialize"]
