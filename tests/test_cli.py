"""The pykernels command: info, bench (its outputs and argument checks; timing lives in
benchmarks/) and profile."""
import pytest

from pykernels import cli


def test_info_reports_machine_and_backends(capsys):
    cli.main(["info"])
    text = capsys.readouterr().out
    assert "sgemm_6x16_avx2" in text or "sgemm_4x8_portable" in text
    assert "FMA peak GFLOP/s" in text
    for backend in ("cpu", "numba", "reference"):
        assert backend in text


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


@pytest.fixture
def tiny_gemm_suite(monkeypatch):
    """The gemm suite cut to one small case, timed without settling pauses."""
    from pykernels.bench import timing
    from pykernels.bench.case import Case
    from pykernels.bench.suites import gemm

    case = Case("gemm", "square", "24x24x24", 2.0 * 24**3, {"op": "matmul", "m": 24, "k": 24, "n": 24},
                bytes=4.0 * 3 * 24**2)
    monkeypatch.setattr(gemm, "cases", lambda quick=False: [case])
    monkeypatch.setattr(timing, "SETTLE_SECONDS", 0.0)


def _names(path):
    import json

    return {b["name"] for b in json.loads(path.read_text())["benchmarks"]}


def test_bench_writes_json_csv_and_plots(tiny_gemm_suite, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "run.json"
    status = cli.main(["bench", "all", "--quick", "--threads", "1", "--backend", "cpu", "--json", str(out),
                       "--csv", str(tmp_path / "run.csv"), "--plot", str(tmp_path / "plots")])
    assert status == 0
    names = _names(out)
    assert "gemm[square-24x24x24-cpu-1t]" in names and "gemm[square-24x24x24-numpy-1t]" in names
    assert not any("-numba-" in name for name in names)  # --backend cpu
    rows = (tmp_path / "run.csv").read_text().splitlines()
    assert rows[0].startswith("suite,group,shape,impl,baseline,threads,median_s")
    assert len(rows) == 1 + len(names)
    for figure in ("gemm_gflops.png", "roofline.png"):
        data = (tmp_path / "plots" / figure).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_bench_json_is_read_by_pytest_benchmark_compare(tiny_gemm_suite, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "run.json"
    assert cli.main(["bench", "gemm", "--quick", "--threads", "1", "--json", str(out)]) == 0
    # From tmp_path: in the repository, pytest-benchmark would load tests/conftest.py and
    # import the source tree's pykernels (no extension when the package is installed).
    done = subprocess.run([sys.executable, "-c", "from pytest_benchmark.cli import main; main()", "compare", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "square-24x24x24-cpu-1t" in done.stdout


def test_bench_compare_flags_regressions(tiny_gemm_suite, tmp_path, capsys):
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
