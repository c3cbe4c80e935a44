"""Suite "gemm" (float32 GEMM and linear+relu) on pytest-benchmark; see pykernels.bench.pytest_suite.

    pytest benchmarks/bench_gemm.py --benchmark-only -k 1024
    pytest benchmarks/bench_gemm.py --benchmark-only --bench-quick --bench-threads 1
"""
from pykernels.bench import pytest_suite


def pytest_generate_tests(metafunc):
    pytest_suite.parametrize(metafunc, "gemm")


def test_gemm(benchmark, case, name, threads):
    pytest_suite.run_benchmark(benchmark, "gemm", case, name, threads)
