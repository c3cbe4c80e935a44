"""The pykernels command: info, and the bench argument checks (timing lives in benchmarks/)."""
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
])
def test_bench_rejects_bad_arguments(argv, fragment, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert fragment in capsys.readouterr().err
