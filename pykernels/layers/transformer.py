"""Transformer encoder: TransformerEncoderLayer (PyTorch's nn.TransformerEncoderLayer at
inference) and TransformerEncoder, a stack of them.

Input (batch, seq, d_model) float; ``padding_mask`` (batch, seq) is True for real tokens
(Keras' convention; PyTorch's src_key_padding_mask is its negation). Dropout is an
identity at inference and is not modelled.
"""
from __future__ import annotations

import numpy as np

from pykernels import validation
from pykernels.layers.attention import LayerNormalization, MultiHeadAttention
from pykernels.layers.base import InputSpec, Layer, format_shape
from pykernels.layers.dense import Dense


def _attention_mask(padding_mask, attention_mask, batch: int, seq: int, layer: Layer):
    """Combine a (B, N) padding mask and an attention mask into one for MultiHeadAttention."""
    if padding_mask is None:
        return attention_mask
    padding_mask = np.asarray(padding_mask)
    if padding_mask.dtype != np.bool_ or padding_mask.shape != (batch, seq):
        raise ValueError(f"{layer}: padding_mask must be bool of shape ({batch}, {seq}) (True = token), "
                         f"got {padding_mask.dtype} {format_shape(padding_mask.shape)}")
    keys = padding_mask[:, None, :]
    if attention_mask is None:
        return keys
    attention_mask = np.asarray(attention_mask)
    if attention_mask.dtype == np.bool_:
        return attention_mask & keys
    return np.where(keys, attention_mask.astype(np.float32), np.float32(-np.inf))


class TransformerEncoderLayer(Layer):
    """Self-attention then a feed-forward block, each with a residual and a LayerNorm.

    norm_first=False (post-norm): x = norm1(x + attn(x)); x = norm2(x + ffn(x)).
    norm_first=True (pre-norm):   x = x + attn(norm1(x)); x = x + ffn(norm2(x)).
    ffn(x) = linear2(activation(linear1(x))), activation "relu" or "gelu" (exact erf).
    A mask propagated from ``Embedding(mask_zero=True)`` is the padding mask.
    """

    supports_masking = True

    def __init__(self, d_model: int, num_heads: int, dff: int, activation: str = "relu", norm_first: bool = False,
                 layer_norm_eps: float = 1e-5, name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.d_model = validation.integer(d_model, str(self), "d_model", minimum=1)
        self.num_heads = validation.integer(num_heads, str(self), "num_heads", minimum=1)
        if self.d_model % self.num_heads:
            raise ValueError(f"{self}: d_model={self.d_model} is not a multiple of num_heads={self.num_heads}")
        self.dff = validation.integer(dff, str(self), "dff", minimum=1)
        self.activation = validation.activation_name(activation, str(self), ("relu", "gelu"))
        self.norm_first = bool(norm_first)
        self.layer_norm_eps = float(layer_norm_eps)
        self.input_spec = InputSpec(ndim=3, axes={-1: self.d_model})
        prefix = self.name
        self.attention = MultiHeadAttention(self.num_heads, self.d_model // self.num_heads,
                                            name=f"{prefix}/attention", backend=backend)
        self.norm1 = LayerNormalization(self.layer_norm_eps, name=f"{prefix}/norm1", backend=backend)
        self.norm2 = LayerNormalization(self.layer_norm_eps, name=f"{prefix}/norm2", backend=backend)
        self.linear1 = Dense(self.dff, activation=self.activation, name=f"{prefix}/linear1", backend=backend)
        self.linear2 = Dense(self.d_model, name=f"{prefix}/linear2", backend=backend)
        self._sublayers = (self.attention, self.norm1, self.norm2, self.linear1, self.linear2)

    def build(self, input_shape: tuple) -> None:
        shape = (input_shape[0], input_shape[1], self.d_model)
        self.attention.build(shape)
        for layer in (self.norm1, self.norm2, self.linear1):
            layer.ensure_built(shape)
        self.linear2.ensure_built(shape[:2] + (self.dff,))
        super().build(input_shape)

    def call(self, x, padding_mask=None, attention_mask=None, use_causal_mask=False, mask=None) -> np.ndarray:
        padding_mask = mask if padding_mask is None else padding_mask
        mask = _attention_mask(padding_mask, attention_mask, x.shape[0], x.shape[1], self)

        def attend(y):
            return self.attention.call(y, y, y, mask, use_causal_mask)

        def feed_forward(y):
            return self.linear2.call(self.linear1.call(y))

        if self.norm_first:
            x = x + attend(self.norm1.call(x))
            return x + feed_forward(self.norm2.call(x))
        x = self.norm1.call(x + attend(x))
        return self.norm2.call(x + feed_forward(x))

    def compute_mask(self, x, mask=None):
        return mask

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def weight_slots(self):
        return [slot for layer in self._sublayers for slot in layer.weight_slots()]

    def set_torch_weights(self, state_dict: dict) -> None:
        """Load a PyTorch ``nn.TransformerEncoderLayer``'s ``state_dict`` (arrays or tensors)."""
        get = {name: np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value, np.float32)
               for name, value in state_dict.items()}
        d, h = self.d_model, self.num_heads
        if not self.built:
            self.build((None, None, d))
        wq, wk, wv = np.split(get["self_attn.in_proj_weight"], 3)
        bq, bk, bv = np.split(get["self_attn.in_proj_bias"], 3)
        weights = []
        for w, b in ((wq, bq), (wk, bk), (wv, bv)):
            weights += [w.T.reshape(d, h, d // h), b.reshape(h, d // h)]
        weights += [get["self_attn.out_proj.weight"].T.reshape(h, d // h, d), get["self_attn.out_proj.bias"]]
        weights += [get["norm1.weight"], get["norm1.bias"], get["norm2.weight"], get["norm2.bias"]]
        weights += [get["linear1.weight"].T, get["linear1.bias"], get["linear2.weight"].T, get["linear2.bias"]]
        self.set_weights(weights)

    def get_config(self) -> dict:
        return {**super().get_config(), "d_model": self.d_model, "num_heads": self.num_heads, "dff": self.dff,
                "activation": self.activation, "norm_first": self.norm_first,
                "layer_norm_eps": self.layer_norm_eps}


class TransformerEncoder(Layer):
    """``num_layers`` TransformerEncoderLayers in sequence (PyTorch's nn.TransformerEncoder),
    with an optional final LayerNorm (``final_norm``, usual with norm_first). A mask
    propagated from ``Embedding(mask_zero=True)`` is the padding mask."""

    supports_masking = True

    def __init__(self, num_layers: int, d_model: int, num_heads: int, dff: int, activation: str = "relu",
                 norm_first: bool = False, layer_norm_eps: float = 1e-5, final_norm: bool = False,
                 name: str | None = None, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        self.num_layers = validation.integer(num_layers, str(self), "num_layers", minimum=1)
        self.final_norm = bool(final_norm)
        self.input_spec = InputSpec(ndim=3, axes={-1: d_model})
        self.layers = [TransformerEncoderLayer(d_model, num_heads, dff, activation, norm_first, layer_norm_eps,
                                               name=f"{self.name}/layer{i}", backend=backend)
                       for i in range(self.num_layers)]
        self.norm = LayerNormalization(layer_norm_eps, name=f"{self.name}/norm", backend=backend) \
            if self.final_norm else None

    def build(self, input_shape: tuple) -> None:
        for layer in self.layers:
            layer.ensure_built(input_shape)
        if self.norm is not None:
            self.norm.ensure_built(input_shape)
        super().build(input_shape)

    def call(self, x, padding_mask=None, attention_mask=None, use_causal_mask=False, mask=None) -> np.ndarray:
        padding_mask = mask if padding_mask is None else padding_mask
        for layer in self.layers:
            x = layer.call(x, padding_mask, attention_mask, use_causal_mask)
        return x if self.norm is None else self.norm.call(x)

    def compute_mask(self, x, mask=None):
        return mask

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def weight_slots(self):
        layers = self.layers + ([self.norm] if self.norm is not None else [])
        return [slot for layer in layers for slot in layer.weight_slots()]

    def get_config(self) -> dict:
        first = self.layers[0]
        return {**super().get_config(), "num_layers": self.num_layers, "d_model": first.d_model,
                "num_heads": first.num_heads, "dff": first.dff, "activation": first.activation,
                "norm_first": first.norm_first, "layer_norm_eps": first.layer_norm_eps,
                "final_norm": self.final_norm}
