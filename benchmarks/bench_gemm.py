"""GEMM on pytest-benchmark: the "gemm" suite of ``pykernels.bench`` (see pykernels.bench.pytest_suite).

    pytest benchmarks/bench_gemm.py --benchmark-only -k 1024
    pytest benchmarks/bench_gemm.py --benchmark-only --bench-quick --bench-threads 1
"""
from pykernels.bench.pytest_suite import bind
from pykernels.bench.suites import gemm

pytest_generate_tests, _peaks, test_gemm = bind(gemm)
