"""A small CNN for scikit-learn's 8x8 digits, with shipped weights.

``build(weights="float" | "pruned80")`` returns the trained model (trained by
``examples/digits/train_digits_cnn.py``); ``load_data()`` the fixed train/test split
(needs scikit-learn), images scaled to [0, 1] as (N, 8, 8, 1) float32.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from pykernels.layers import Conv2D, Dense, Flatten, MaxPooling2D, Sequential

WEIGHTS = {"float": "digits_cnn.npz", "pruned80": "digits_cnn_pruned80.npz"}
_FOLDER = Path(__file__).parent / "weights"


def architecture(name: str = "digits_cnn") -> Sequential:
    """The untrained model, built for (None, 8, 8, 1) inputs."""
    model = Sequential([Conv2D(16, 3, padding="same", activation="relu", name="conv1"), MaxPooling2D(2, name="pool1"),
                        Conv2D(32, 3, padding="same", activation="relu", name="conv2"), MaxPooling2D(2, name="pool2"),
                        Flatten(name="flatten"), Dense(64, activation="relu", name="dense1"),
                        Dense(10, activation="softmax", name="dense2")], name=name)
    model.build((None, 8, 8, 1))
    return model


def build(weights: str = "float") -> Sequential:
    """The trained model with the shipped ``weights`` ("float" or "pruned80")."""
    if weights not in WEIGHTS:
        raise ValueError(f"digits_cnn: weights must be one of {sorted(WEIGHTS)}, got {weights!r}")
    model = architecture(f"digits_cnn_{weights}")
    with np.load(_FOLDER / WEIGHTS[weights]) as archive:
        model.set_weights([archive[f"w{i}"] for i in range(len(archive.files))])
    return model


def load_data(test_size: float = 0.3):
    """((x_train, y_train), (x_test, y_test)): digits as (N, 8, 8, 1) float32 in [0, 1], stratified, seed 0."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as e:
        raise ImportError(f"the digits data comes from scikit-learn (pip install scikit-learn): {e}") from None
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]
    x_train, x_test, y_train, y_test = train_test_split(x, digits.target, test_size=test_size, random_state=0,
                                                        stratify=digits.target)
    return (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))
