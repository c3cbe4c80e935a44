"""Suite "models": whole models end to end, ours against the same model in PyTorch.

Shapes come from ``benchmarks/shapes/models.json``. "classic-cnn" is examples/cnn.py's
model (Conv2D 32 3x3 relu -> MaxPooling2D 2 -> Flatten -> Dense 64 relu -> Dense 10
softmax on 64x64x3); "lstm50" is examples/lstm.py's (LSTM(50) -> Dense(1) over 100 steps).
The PyTorch twin runs the same weights (images given to it as contiguous NCHW, its native
layout; Keras flatten order kept); results are checked against the twin within the float32 tolerance policy.
"""
from __future__ import annotations

import copy

import numpy as np

from pykernels.bench import baselines, suites
from pykernels.bench.case import Case, Prepared
from pykernels.layers import LSTM, Conv2D, Dense, Flatten, MaxPooling2D, Sequential

NAME = "models"
SHAPE = "batch[xsteps]"


def _cnn_flops(batch: int) -> float:
    return 2.0 * batch * (62 * 62 * 32 * 27 + 30752 * 64 + 64 * 10)


def _lstm_flops(batch: int, steps: int) -> float:
    return 2.0 * batch * (steps * 4 * 50 * (1 + 50) + 50)


def cases(quick: bool = False) -> list[Case]:
    found = []
    for group, s in suites.entries("models.json", quick):
        if group["model"] == "cnn":
            found.append(Case(NAME, group["name"], str(s["batch"]), _cnn_flops(s["batch"]), {"model": "cnn", **s}))
        else:
            found.append(Case(NAME, group["name"], f"{s['batch']}x{s['steps']}", _lstm_flops(s["batch"], s["steps"]),
                              {"model": "lstm", **s}))
    return found


OP = "gemm"  # every layer of these models runs on the backend named; its availability follows gemm's


def contenders(case: Case | None = None) -> list[tuple[str, bool]]:
    return suites.contender_names(OP, ["torch"] * ("torch" in baselines.available()))


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
    rng = np.random.default_rng(1)
    if p["model"] == "cnn":
        model = _seeded(Sequential([Conv2D(32, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                                    Dense(64, activation="relu"), Dense(10, activation="softmax")]), (None, 64, 64, 3))
        x = rng.random((p["batch"], 64, 64, 3), dtype=np.float32)
    else:
        model = _seeded(Sequential([LSTM(50), Dense(1)]), (None, p["steps"], 1))
        x = rng.standard_normal((p["batch"], p["steps"], 1), dtype=np.float32)
    theirs = {}
    expected = None
    torch = baselines.module("torch")
    if torch is not None:
        twin = (_torch_cnn if p["model"] == "cnn" else _torch_lstm)(torch, model)
        tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if p["model"] == "cnn" else x)

        def run_torch():
            with torch.inference_mode():
                return twin(tx).numpy()
        theirs["torch"] = run_torch
        expected = run_torch()

    def check(result, what: str) -> None:
        if expected is not None:
            np.testing.assert_allclose(np.asarray(result), expected, rtol=1e-4, atol=1e-5, err_msg=what)

    ours = {}
    for name in suites.implementations(OP):  # a copy of the model on each backend: every layer set to it
        replica = copy.deepcopy(model)
        for layer in replica.layers:
            layer.backend = name
        ours[name] = lambda replica=replica: replica(x)
    return Prepared.of(case, ours, theirs, check)
