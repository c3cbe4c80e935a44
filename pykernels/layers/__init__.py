"""Keras-like layers: they own parameters and call ops; no maths here."""
