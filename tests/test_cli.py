"""The pykernels command: info, bench (its outputs and argument checks; timing lives in
benchmarks/) and profile."""
import subprocess
import sys

import pytest

from pykernels import cli


def test_info_reports_machine_and_backends(capsys):
    cli.main(["info"])
    text = capsys.readouterr().out
    assert "sgemm_6x16_avx2" in text or "sgemm_4x8_portable" in text
    assert "FMA peak GFLOP/s" in text
    for backend in ("cpu", "numba", "reference"):
        assert backend in text


def test_python_dash_m_pykernels_is_the_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pykernels", "bench", "nope"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "unknown suite 'nope'" in done.stderr


@pytest.mark.parametrize("argv,fragment", [
    (["bench", "nope"], "unknown suite 'nope'"),
    (["bench", "gemm", "--threads", "0"], "threads"),
    (["bench", "gemm", "--backend", "gpu"], "expected backends"),
    (["bench", "gemm", "--threshold", "x"], "fraction"),
    (["bench", "gemm", "--compare", "/nonexistent.json"], "cannot read benchmark results"),
    (["profile", "/nonexistent.npz"], "not a pykernels model file"),
    (["profile", "m.npz", "--batch", "0"], "integer >= 1"),
])
def test_commands_reject_bad_arguments(argv, fragment, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert fragment in capsys.readouterr().err


TINY_SHAPES = {  # one small case per suite, in each shapes file's own format
    "gemm.json": {"name": "square", "op": "matmul", "shapes": [{"m": 24, "k": 24, "n": 24, "quick": True}]},
    "conv.json": {"name": "classic-cnn", "activation": "relu", "shapes": [
        {"batch": 1, "h": 9, "w": 9, "c": 3, "o": 8, "k": 3, "stride": 1, "padding": 0, "groups": 1, "quick": True}]},
    "lstm.json": {"name": "classic", "shapes": [{"t": 3, "b": 2, "i": 5, "h": 8, "quick": True}]},
    "attention.json": {"name": "bert", "shapes": [
        {"b": 1, "h": 2, "n": 16, "d": 8, "causal": True, "naive": True, "quick": True}]},
    "int8.json": {"name": "gemm", "op": "matmul_int8", "shapes": [{"m": 4, "k": 32, "n": 16, "quick": True}]},
    "models.json": {"name": "lstm50", "model": "lstm", "shapes": [{"batch": 1, "steps": 3, "quick": True}]},
    "sparse.json": {"name": "sweep-1024", "shapes": [[16, 32, 8]], "patterns": {"unstructured": [0.5]},
                    "quick": {"shapes": [[16, 32, 8]], "unstructured": [0.5]}},
}


@pytest.fixture
def tiny_suites(monkeypatch):
    """Every suite cut to one small case (its shapes file replaced), timed without settling or waking pauses."""
    from pykernels.bench import suites, timing

    monkeypatch.setattr(suites, "shapes", lambda filename: {"groups": [TINY_SHAPES[filename]]})
    monkeypatch.setattr(timing, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(timing, "WAKE_SECONDS", 0.0)
    monkeypatch.setattr(timing, "QUICK", timing.Settings(min_rounds=3, min_time=0.0))


def _names(path):
    import json

    return {b["name"] for b in json.loads(path.read_text())["benchmarks"]}


def test_bench_writes_json_csv_and_plots(tiny_suites, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "run.json"
    status = cli.main(["bench", "gemm", "conv", "sparse", "--quick", "--threads", "1", "--backend", "cpu",
                       "--json", str(out), "--csv", str(tmp_path / "run.csv"), "--plot", str(tmp_path / "plots")])
    assert status == 0
    names = _names(out)
    assert "gemm[square-24x24x24-cpu-1t]" in names and "gemm[square-24x24x24-numpy-1t]" in names
    assert not any("-numba-" in name for name in names)  # --backend cpu
    rows = (tmp_path / "run.csv").read_text().splitlines()
    assert rows[0].startswith("suite,group,shape,impl,baseline,threads,median_s")
    assert len(rows) == 1 + len(names)
    for figure in ("gemm_gflops.png", "conv_gflops.png", "roofline.png", "sparse_speedup.png"):
        data = (tmp_path / "plots" / figure).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_bench_json_of_every_suite_is_read_by_pytest_benchmark_compare_and_by_compare(tiny_suites, tmp_path,
                                                                                       capsys):
    import sys

    from pykernels.bench import suites

    out = tmp_path / "run.json"
    assert cli.main(["bench", "all", "--quick", "--threads", "1", "--backend", "cpu", "--json", str(out)]) == 0
    names = _names(out)
    assert {name.split("[")[0] for name in names} == set(suites.names())
    # From tmp_path: in the repository, pytest-benchmark would load tests/conftest.py and
    # import the source tree's pykernels (no extension when the package is installed).
    done = subprocess.run([sys.executable, "-c", "from pytest_benchmark.cli import main; main()", "compare", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for fragment in ("square-24x24x24-cpu-1t", "1x9x9x3-3x3x8/s1-cpu-1t", "3x2x5x8-cpu-1t",
                     "1x2x16x8-causal-cpu-1t", "4x32x16-cpu-1t", "16x32x8@unstructured:0.5-cpu-1t"):
        assert fragment in done.stdout
    capsys.readouterr()
    assert cli.main(["bench", "all", "--quick", "--threads", "1", "--backend", "cpu", "--compare", str(out),
                     "--threshold", "9"]) == 0
    assert f"{len(names)} benchmarks compared, 0 regressions" in capsys.readouterr().out


def test_bench_compare_flags_regressions(tiny_suites, tmp_path, capsys):
    import json

    old = tmp_path / "old.json"
    assert cli.main(["bench", "gemm", "--quick", "--threads", "1", "--json", str(old)]) == 0
    assert cli.main(["bench", "gemm", "--quick", "--threads", "1", "--compare", str(old), "--threshold", "9"]) == 0
    assert "0 regressions" in capsys.readouterr().out
    document = json.loads(old.read_text())
    for benchmark in document["benchmarks"]:
        benchmark["stats"]["median"] /= 1000.0  # the old run was 1000x faster
    old.write_text(json.dumps(document))
    assert cli.main(["bench", "gemm", "--quick", "--threads", "1", "--compare", str(old)]) == 1
    text = capsys.readouterr().out
    assert "REGRESSION" in text and f"{len(document['benchmarks'])} regressions" in text


def test_profile_command(tmp_path, capsys):
    import numpy as np

    from pykernels.io import save_model
    from pykernels.layers import Dense, Flatten, Sequential

    model = Sequential([Flatten(), Dense(8, activation="relu"), Dense(3)], name="tiny")
    model(np.zeros((1, 4, 4), np.float32))
    save_model(model, tmp_path / "m.npz")
    status = cli.main(["profile", str(tmp_path / "m.npz"), "--batch", "2", "--repeat", "2", "--threads", "1",
                       "--json", str(tmp_path / "p.json"), "--trace", str(tmp_path / "t.json")])
    assert status == 0
    text = capsys.readouterr().out
    assert "profile of 'tiny'" in text and "gemm[cpu]" in text and "end to end" in text
    assert (tmp_path / "p.json").exists() and (tmp_path / "t.json").exists()


def test_bench_ratios_prints_ratios_geomeans_and_targets(tiny_suites, capsys):
    assert cli.main(["bench", "gemm", "sparse", "--ratios", "--quick", "--threads", "1,2", "--reps", "3",
                     "--backend", "cpu"]) == 0
    text = capsys.readouterr().out
    assert "gemm, 1 thread, cpu clock" in text and "gemm, 2 threads, wall clock" in text
    assert "vs numpy" in text and "vs 1 thread" in text and "geomean of 1" in text
    assert "target gemm: f32 GEMM vs NumPy (OpenBLAS), M=N=K=1024 and 2048 (need >= 1x, 1 thread): " \
           "not measured in this run" in text
    assert "target sparse: CSR at 90% vs dense OpenBLAS" in text


def test_bench_ratios_rejects_recording_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["bench", "gemm", "--ratios", "--json", "x.json"])
    assert "--ratios prints interleaved ratios only" in capsys.readouterr().err

