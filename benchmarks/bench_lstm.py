"""Suite "lstm" (LSTM sequences: the classic LSTM(50), large shapes, batch-1 latency) on
pytest-benchmark; see pykernels.bench.pytest_suite.

    pytest benchmarks/bench_lstm.py --benchmark-only -k medium
    pytest benchmarks/bench_lstm.py --benchmark-only --bench-quick --bench-threads 1
"""
from pykernels.bench import pytest_suite


def pytest_generate_tests(metafunc):
    pytest_suite.parametrize(metafunc, "lstm")


def test_lstm(benchmark, case, name, threads):
    pytest_suite.run_benchmark(benchmark, "lstm", case, name, threads)
