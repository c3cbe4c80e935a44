"""The profiler, the kernel-call trace (PYKERNELS_VERBOSE) and model files."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import pykernels
from pykernels.io import load_model, save_model
from pykernels.layers import Dense, Flatten, Sequential
from pykernels.profiler import trace


@pytest.fixture
def mlp():
    model = Sequential([Flatten(), Dense(24, activation="relu"), Dense(10, activation="softmax")], name="mlp")
    x = np.random.default_rng(0).standard_normal((5, 4, 7), dtype=np.float32)
    model(x)
    return model, x


def test_profile_has_a_row_per_layer_with_the_kernels_and_their_work(mlp):
    model, x = mlp
    result = pykernels.profile(model, x, repeat=3)
    assert [row.name for row in result.layers] == [layer.name for layer in model.layers]
    flatten, hidden, head = result.layers
    assert flatten.kernels == "—" and flatten.flops is None
    assert hidden.kernels == "gemm[cpu]"
    assert hidden.flops == 2 * 5 * 28 * 24
    assert head.kernels == "gemm[cpu], softmax[cpu]"
    assert head.flops == 2 * 5 * 24 * 10 + 5 * 10
    assert hidden.bytes == 4 * (5 * 28 + 28 * 24 + 5 * 24 + 24)  # x, w, out, bias
    assert hidden.bits == 32 and hidden.sparsity == 0.0
    assert sum(row.share for row in result.layers) == pytest.approx(1.0)
    assert all(row.seconds > 0 for row in result.layers) and result.end_to_end_seconds > 0
    assert len(result.calls) == 3  # the kernel calls of the last run


def test_profile_follows_the_forced_backend(mlp):
    model, x = mlp
    model.layers[1].backend = "numba"
    result = pykernels.profile(model, x, repeat=1)
    assert result.layers[1].kernels == "gemm[numba]"
    assert "numba" in result.layers[1].why


def test_profile_exports_json_and_a_chrome_trace(mlp, tmp_path):
    model, x = mlp
    result = pykernels.profile(model, x, repeat=2)
    result.to_json(tmp_path / "p.json")
    document = json.loads((tmp_path / "p.json").read_text())
    assert [row["name"] for row in document["layers"]] == [layer.name for layer in model.layers]
    assert document["layers"][1]["flops"] == 2 * 5 * 28 * 24
    assert document["kernel_calls"][0]["arrays"].startswith("a:f32[5x28]")
    result.to_chrome_trace(tmp_path / "t.json")
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    spans = [e for e in events if e["ph"] == "X"]
    assert {e["name"] for e in spans if e["tid"] == 1} == {layer.name for layer in model.layers}
    assert [e["name"] for e in spans if e["tid"] == 2] == ["gemm[cpu]", "gemm[cpu]", "softmax[cpu]"]
    assert all(e["dur"] >= 0 for e in spans)


def test_profile_rejects_bad_arguments(mlp):
    model, x = mlp
    with pytest.raises(TypeError, match="Layer"):
        pykernels.profile(lambda v: v, x)
    with pytest.raises(ValueError, match="repeat"):
        pykernels.profile(model, x, repeat=0)


def test_verbose_prints_one_line_per_kernel_call(mlp, capsys):
    model, x = mlp
    pykernels.set_verbose(True)
    try:
        model(x)
    finally:
        pykernels.set_verbose(False)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("pykernels_verbose,exec,cpu,gemm,a:f32[5x28] b:f32[28x24] out:f32[5x24] bias:f32[24],")
    assert lines[0].endswith("GFLOP/s")
    assert lines[2].startswith("pykernels_verbose,exec,cpu,softmax,")
    model(x)
    assert capsys.readouterr().err == ""  # off again


def test_verbose_environment_variable(tmp_path):
    script = ("import numpy as np, pykernels as pk; "
              "pk.ops.linear(np.ones((2, 3), np.float32), np.ones((4, 3), np.float32), activation='relu')")
    env = {**os.environ, "PYKERNELS_VERBOSE": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=tmp_path,
                          check=True)
    assert done.stderr.startswith("pykernels_verbose,exec,cpu,gemm,a:f32[2x3] b:f32[3x4] out:f32[2x4],")


def test_recording_is_off_outside_its_block(mlp):
    model, x = mlp
    with trace.recording() as calls:
        model(x)
    model(x)
    assert len(calls) == 3 and not trace.active()


def test_model_file_round_trip(mlp, tmp_path):
    model, x = mlp
    save_model(model, tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(loaded(x), model(x))


def test_model_file_errors(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        save_model(Sequential([Dense(3)]), tmp_path / "m.npz")
    with pytest.raises(TypeError, match="Layer"):
        save_model("model", tmp_path / "m.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="__config__"):
        load_model(tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a pykernels model file"):
        load_model(tmp_path / "junk.npz")


def test_report_command_compares_float_pruned_int8_and_both(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    from pykernels import cli
    from pykernels.models import digits_cnn

    (x_train, _), (x_test, y_test) = digits_cnn.load_data()
    save_model(digits_cnn.build("float"), tmp_path / "float.npz")
    save_model(digits_cnn.build("pruned80"), tmp_path / "pruned.npz")
    np.save(tmp_path / "calib.npy", x_train[:64])
    np.save(tmp_path / "x.npy", x_test[:128])
    np.save(tmp_path / "y.npy", y_test[:128])
    status = cli.main(["report", str(tmp_path / "float.npz"), "--calibration", str(tmp_path / "calib.npy"),
                       "--inputs", str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"),
                       "--pruned", str(tmp_path / "pruned.npz"), "--repeat", "2", "--threads", "1",
                       "--json", str(tmp_path / "r.json"), "--plot", str(tmp_path / "r.png")])
    assert status == 0
    text = capsys.readouterr().out
    assert "f32 csr" in text and "int8 static" in text
    document = json.loads((tmp_path / "r.json").read_text())
    variants = {v["name"]: v for v in document["variants"]}
    assert list(variants) == ["float", "pruned 80%", "int8", "pruned + int8"]
    assert variants["float"]["relative_error"] == 0.0
    assert all(v["accuracy"] > 0.9 for v in variants.values())  # the shipped weights keep ~98%
    assert variants["pruned 80%"]["bytes"] < variants["float"]["bytes"]
    assert variants["int8"]["bytes"] < variants["float"]["bytes"] / 1.5
    assert "zeros stored (no sparse int8 kernel)" in variants["pruned + int8"]["layers"][5]["form"]
    data = (tmp_path / "r.png").read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_report_command_prunes_by_magnitude_without_labels(tmp_path, capsys):
    from pykernels import cli

    model = Sequential([Flatten(), Dense(16, activation="relu"), Dense(4)], name="small")
    x = np.random.default_rng(0).standard_normal((32, 6), dtype=np.float32)
    model(x)
    save_model(model, tmp_path / "m.npz")
    np.save(tmp_path / "x.npy", x)
    assert cli.main(["report", str(tmp_path / "m.npz"), "--calibration", str(tmp_path / "x.npy"),
                     "--sparsity", "0.5", "--mode", "dynamic", "--repeat", "1"]) == 0
    text = capsys.readouterr().out
    assert "pruned 50%" in text and "int8 dynamic" in text and "f32 csr, 50% zeros" in text
    with pytest.raises(SystemExit):
        cli.main(["report", str(tmp_path / "m.npz"), "--calibration", str(tmp_path / "x.npy"), "--sparsity", "1.5"])
    assert "sparsity in [0, 1)" in capsys.readouterr().err


def test_every_registered_op_has_a_flop_formula():
    import importlib

    from pykernels.profiler.flops import FORMULAS

    for backend in ("reference", "cpu", "numba"):
        ops_ = importlib.import_module(f"pykernels.{backend}").IMPLEMENTATIONS
        assert set(ops_) <= set(FORMULAS), f"{backend}: no FLOP formula for {sorted(set(ops_) - set(FORMULAS))}"


def test_verbose_trace_lists_every_kernel_call_of_a_multi_family_model(capsys):
    """Sparse conv2d (pruned Conv2D), pooling, SpMM (pruned Dense), int8 GEMM (quantized Dense)
    and softmax in one pass."""
    from pykernels.layers import Conv2D, MaxPooling2D
    from pykernels.profiler.compression import compressed

    x = np.random.default_rng(1).standard_normal((4, 10, 10, 3), dtype=np.float32)
    model = Sequential([Conv2D(8, 3, activation="relu"), MaxPooling2D(2), Flatten(), Dense(32, activation="relu"),
                        Dense(10, activation="softmax")], name="families")
    model(x)
    sparse, _ = compressed(model, 0.9)
    mixed = Sequential([sparse.layers[0], sparse.layers[1], sparse.layers[2], sparse.layers[3],
                        compressed(model, mode="dynamic")[0].layers[4]])
    mixed.layers[0].dispatch = mixed.layers[3].dispatch = "sparse"
    mixed(x)
    with trace.recording() as calls:
        pykernels.set_verbose(True)
        try:
            mixed(x)
        finally:
            pykernels.set_verbose(False)
    lines = capsys.readouterr().err.splitlines()
    assert [c.op for c in calls] == ["conv2d_sparse", "max_pool2d", "spmm", "gemm_int8", "softmax"]
    assert lines == [c.line() for c in calls]  # one verbose line per kernel call, in order
    assert all(c.flops and c.flops > 0 for c in calls) and all(line.endswith("GFLOP/s") for line in lines)
    conv, pool, spmm, int8, _ = calls
    assert conv.flops == 2 * mixed.layers[0].sparse_weight.nnz * 4 * 8 * 8
    assert pool.flops == 4 * 4 * 4 * 8 * 2 * 2
    assert spmm.flops == 2 * mixed.layers[3].sparse_weight.nnz * 4
    assert int8.flops == 2 * 4 * 32 * 10


def test_profile_of_the_pruned_int8_classic_cnn_sums_to_the_end_to_end_time(tmp_path, capsys):
    from pykernels import cli
    from pykernels.layers import Conv2D, MaxPooling2D

    model = Sequential([Conv2D(32, 3, activation="relu"), MaxPooling2D(2), Flatten(), Dense(64, activation="relu"),
                        Dense(10, activation="softmax")], name="classic_cnn")
    model(np.zeros((1, 64, 64, 3), np.float32))
    save_model(model, tmp_path / "cnn.npz")
    assert cli.main(["profile", str(tmp_path / "cnn.npz"), "--batch", "2", "--prune", "0.8", "--quantize", "static",
                     "--repeat", "3", "--threads", "1", "--json", str(tmp_path / "p.json")]) == 0
    text = capsys.readouterr().out
    assert "conv2d_int8[cpu]" in text and "gemm_int8[cpu]" in text
    document = json.loads((tmp_path / "p.json").read_text())
    assert [row["kind"] for row in document["layers"]] == ["QuantizedConv2D", "MaxPooling2D", "Flatten",
                                                           "QuantizedDense", "QuantizedDense"]
    assert all(row["gflops"] for row in document["layers"] if row["kind"] != "Flatten")
