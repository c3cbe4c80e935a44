"""The PyTorch baseline for BERT-family encoders: Hugging Face ``transformers.BertModel``
when it is installed, else the same forward pass written here with torch.nn.functional
(what BertModel runs in eval mode: embeddings + LayerNorm, then per layer q/k/v linears,
scaled_dot_product_attention with the padding mask, output linear, residual LayerNorm,
GELU feed-forward, residual LayerNorm). Tests check pykernels against it; the models
suite times it. torch is imported only here, and only when called.
"""
from __future__ import annotations

import importlib.util

import numpy as np


def _forward(tensors: dict, config, heads: int):
    import torch
    import torch.nn.functional as F

    prefix = "bert." if any(k.startswith("bert.") for k in tensors) else ""
    w = {k[len(prefix):]: torch.from_numpy(np.ascontiguousarray(v, np.float32)) for k, v in tensors.items()
         if k.startswith(prefix) and np.asarray(v).dtype.kind == "f"}
    eps = config.layer_norm_eps
    d = config.hidden_size

    def norm(x, p):
        return F.layer_norm(x, (d,), w[p + "weight"], w[p + "bias"], eps)

    def linear(x, p):
        return F.linear(x, w[p + "weight"], w[p + "bias"])

    act = F.gelu if config.hidden_act == "gelu" else F.relu

    def forward(input_ids, attention_mask):
        ids = torch.as_tensor(input_ids, dtype=torch.long)
        mask = torch.as_tensor(attention_mask).bool()
        b, t = ids.shape
        e = "embeddings."
        x = (w[e + "word_embeddings.weight"][ids] + w[e + "position_embeddings.weight"][:t][None]
             + w[e + "token_type_embeddings.weight"][0])
        x = norm(x, e + "LayerNorm.")
        key_mask = mask[:, None, None, :]
        for i in range(config.num_hidden_layers):
            p = f"encoder.layer.{i}."

            def split(y):
                return y.view(b, t, heads, d // heads).transpose(1, 2)

            q, k, v = (split(linear(x, f"{p}attention.self.{n}.")) for n in ("query", "key", "value"))
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask).transpose(1, 2).reshape(b, t, d)
            x = norm(linear(o, f"{p}attention.output.dense.") + x, f"{p}attention.output.LayerNorm.")
            y = linear(act(linear(x, f"{p}intermediate.dense.")), f"{p}output.dense.")
            x = norm(y + x, f"{p}output.LayerNorm.")
        return x

    return forward


def bert_forward(tensors: dict, config):
    """``forward(input_ids, attention_mask) -> torch.Tensor`` (batch, seq, hidden) last hidden
    states of the BERT checkpoint ``tensors`` (safetensors names) with ``config``
    (pykernels.models.bert.BertConfig), under torch.inference_mode by the caller."""
    if importlib.util.find_spec("transformers") is None:
        return _forward(tensors, config, config.num_attention_heads), "torch (functional BERT forward)"
    import torch
    import transformers

    hf = transformers.BertModel(transformers.BertConfig(**{f: getattr(config, f) for f in (
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
        "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "pad_token_id")}), add_pooling_layer=False)
    state = {k.removeprefix("bert."): torch.from_numpy(np.asarray(v)) for k, v in tensors.items()
             if not k.removeprefix("bert.").startswith("pooler.")}
    hf.load_state_dict(state, strict=False)
    hf.eval()

    def forward(input_ids, attention_mask):
        return hf(input_ids=torch.as_tensor(input_ids), attention_mask=torch.as_tensor(attention_mask)) \
            .last_hidden_state

    return forward, f"transformers {transformers.__version__} BertModel"


def mean_pool(hidden, attention_mask) -> np.ndarray:
    """sentence-transformers' mean pooling and L2 normalisation, in float64 NumPy."""
    h = np.asarray(hidden.detach().numpy() if hasattr(hidden, "detach") else hidden, np.float64)
    m = np.asarray(attention_mask, np.float64)[:, :, None]
    pooled = (h * m).sum(1) / m.sum(1)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
