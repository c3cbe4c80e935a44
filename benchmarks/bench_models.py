"""Suite "models" (whole models vs their PyTorch twins) on pytest-benchmark; see pykernels.bench.pytest_suite.

    pytest benchmarks/bench_models.py --benchmark-only -k cnn
    pytest benchmarks/bench_models.py --benchmark-only --bench-quick --bench-threads 1
"""
from pykernels.bench import pytest_suite


def pytest_generate_tests(metafunc):
    pytest_suite.parametrize(metafunc, "models")


def test_models(benchmark, case, name, threads):
    pytest_suite.run_benchmark(benchmark, "models", case, name, threads)
