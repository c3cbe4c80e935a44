"""Load a PyTorch ``state_dict`` into our layers and models, converting layouts.

    load_state_dict(model, torch_model.state_dict())                     # layers in order
    load_state_dict(model, sd, mapping={"conv1": "features.0", "fc": "classifier"})

Each of our layers with weights takes the tensors under one module prefix: by default the
weighted modules of the state dict in order, matched with our weighted layers in order;
``mapping`` names them (our layer name -> torch module prefix). Conversions:

- Linear -> Dense: weight (out, in) -> kernel (in, out). After a Flatten of an NHWC
  feature map, the kernel's rows are permuted from torch's C,H,W order to our H,W,C.
- Conv2d -> Conv2D: weight (O, I/g, kh, kw) -> (kh, kw, I/g, O).
- LSTM -> LSTM / Bidirectional: same layout and gate order (i, f, g, o); no bias -> zeros.
- Embedding, LayerNorm (weight, bias -> gamma, beta).
- MultiheadAttention -> MultiHeadAttention: in_proj (3d, d) split into per-head kernels.
- TransformerEncoderLayer / TransformerEncoder -> ours (self_attn, linear1/2, norm1/2).

Missing, unexpected or mis-shaped tensors -> ValueError listing them; nothing is written
unless everything fits.
"""
from __future__ import annotations

import numpy as np

from pykernels.io.mapping import WeightAssignment
from pykernels.layers import (LSTM, Bidirectional, Conv2D, Dense, Embedding, Flatten, LayerNormalization,
                              MultiHeadAttention, TransformerEncoder, TransformerEncoderLayer)
from pykernels.layers.base import Layer


def _dense(plan, p, layer: Dense, flatten_from=None):
    w = plan.take(p + "weight")
    if w is not None:
        if flatten_from is not None and w.ndim == 2:  # torch flattened (C, H, W); we flatten (H, W, C)
            h, wd, c = flatten_from
            if h * wd * c == w.shape[1]:
                w = w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
        w = w.T
    plan.assign(layer, [w] + ([plan.take(p + "bias")] if layer.use_bias else []))


def _conv(plan, p, layer: Conv2D):
    w = plan.take(p + "weight")
    plan.assign(layer, [None if w is None else w.transpose(2, 3, 1, 0)]
                + ([plan.take(p + "bias")] if layer.use_bias else []))


def _lstm(plan, p, layer):
    lstm = layer.layer if isinstance(layer, Bidirectional) else layer
    arrays = []
    for _, name, value in lstm.weight_slots():
        if name.startswith("bias") and not plan.has(p + name) and not lstm.use_bias:
            arrays.append(np.zeros_like(value))
        else:
            arrays.append(plan.take(p + name))
    plan.assign(lstm, arrays)


def _embedding(plan, p, layer: Embedding):
    plan.assign(layer, [plan.take(p + "weight")])


def _norm(plan, p, layer: LayerNormalization):
    plan.assign(layer, ([plan.take(p + "weight")] if layer.scale else [])
                + ([plan.take(p + "bias")] if layer.center else []))


def _attention(plan, p, layer: MultiHeadAttention):
    h, kd, vd = layer.num_heads, layer.key_dim, layer.value_dim
    if plan.has(p + "in_proj_weight"):
        w = plan.take(p + "in_proj_weight")
        ws = np.split(w, [h * kd, 2 * h * kd]) if w.shape[0] == h * (2 * kd + vd) else [w, w, w]
    else:
        ws = [plan.take(f"{p}{n}_proj_weight") for n in ("q", "k", "v")]
    bs = np.split(plan.take(p + "in_proj_bias"), [h * kd, 2 * h * kd]) if layer.use_bias else [None] * 3
    arrays = []
    for w, b, dim in zip(ws, bs, (kd, kd, vd)):
        arrays.append(None if w is None or w.shape[0] != h * dim else w.T.reshape(w.shape[1], h, dim))
        if layer.use_bias:
            arrays.append(None if b is None else b.reshape(h, dim))
    out = plan.take(p + "out_proj.weight")
    arrays.append(None if out is None else out.T.reshape(h, vd, out.shape[0]))
    if layer.use_bias:
        arrays.append(plan.take(p + "out_proj.bias"))
    plan.assign(layer, arrays)


def _encoder_layer(plan, p, layer: TransformerEncoderLayer):
    _attention(plan, p + "self_attn.", layer.attention)
    _norm(plan, p + "norm1.", layer.norm1)
    _norm(plan, p + "norm2.", layer.norm2)
    _dense(plan, p + "linear1.", layer.linear1)
    _dense(plan, p + "linear2.", layer.linear2)


def _encoder(plan, p, layer: TransformerEncoder):
    for i, sub in enumerate(layer.layers):
        _encoder_layer(plan, f"{p}layers.{i}.", sub)
    if layer.norm is not None:
        _norm(plan, p + "norm.", layer.norm)


CONVERTERS = {Dense: _dense, Conv2D: _conv, LSTM: _lstm, Bidirectional: _lstm, Embedding: _embedding,
              LayerNormalization: _norm, MultiHeadAttention: _attention, TransformerEncoderLayer: _encoder_layer,
              TransformerEncoder: _encoder}


def _layers(model: Layer) -> list[Layer]:
    return list(getattr(model, "layers", None) or [model]) if not isinstance(model, TransformerEncoder) else [model]


def _module_prefixes(names) -> list[str]:
    """The module prefixes of a state dict's parameter names, in order of first appearance.

    A prefix is everything up to the first component that starts a parameter of a known
    torch module (so "0.weight" -> "0.", "encoder.layers.0.self_attn.in_proj_weight" ->
    "encoder.")."""
    starts = ("weight", "bias", "in_proj", "q_proj", "k_proj", "v_proj", "out_proj", "self_attn", "layers",
              "linear1", "norm", "weight_ih", "weight_hh", "bias_ih", "bias_hh")
    prefixes = []
    for name in names:
        parts = name.split(".")
        cut = next((i for i, part in enumerate(parts) if part.startswith(starts)), len(parts) - 1)
        prefix = "".join(part + "." for part in parts[:cut])
        if prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes


def load_state_dict(model: Layer, state_dict: dict, mapping: dict[str, str] | None = None) -> None:
    """Load ``state_dict`` (tensors or arrays) into a built ``model`` (a layer, Sequential or
    Model); see the module docstring for the matching and the conversions."""
    if not isinstance(model, Layer):
        raise TypeError(f"load_state_dict: expected a pykernels layer or model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"load_state_dict: {model} is not built; call it on data or build(input_shape) first")
    plan = WeightAssignment(state_dict, "PyTorch state_dict")
    for name in state_dict:
        if name.endswith("num_batches_tracked"):
            plan.skip(name)
    layers = _layers(model)
    weighted = [layer for layer in layers if layer.weight_slots()]
    unsupported = [str(layer) for layer in weighted if type(layer) not in CONVERTERS]
    if unsupported:
        raise ValueError(f"load_state_dict: no PyTorch conversion for {', '.join(unsupported)}; "
                         f"supported: {', '.join(c.__name__ for c in CONVERTERS)}")
    if mapping is None:
        prefixes = _module_prefixes(state_dict)
        if len(prefixes) != len(weighted):
            raise ValueError(f"load_state_dict: the state_dict has {len(prefixes)} modules with parameters "
                             f"[{', '.join(p.rstrip('.') or '<root>' for p in prefixes)}] but the model has "
                             f"{len(weighted)} layers with weights [{', '.join(l.name for l in weighted)}]; "
                             f"pass mapping={{our_layer_name: torch_module_prefix}}")
        mapping = {layer.name: prefix for layer, prefix in zip(weighted, prefixes)}
    previous = {}
    for before, layer in zip([None] + layers, layers):
        previous[layer.name] = before
    for layer in weighted:
        if layer.name not in mapping:
            raise ValueError(f"load_state_dict: mapping has no entry for layer {layer.name!r}")
        prefix = mapping[layer.name]
        prefix = prefix + "." if prefix and not prefix.endswith(".") else prefix
        before = previous.get(layer.name)
        if isinstance(layer, Dense) and isinstance(before, Flatten) and before.input_shape \
                and len(before.input_shape) == 4:
            _dense(plan, prefix, layer, flatten_from=before.input_shape[1:])
        else:
            CONVERTERS[type(layer)](plan, prefix, layer)
    plan.finish()
