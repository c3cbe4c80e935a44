"""Suite "int8" (int8 GEMM and the dynamic quantized Linear against float32, FBGEMM,
torch._int_mm and ONNX Runtime) on pytest-benchmark; see pykernels.bench.pytest_suite.
Interleaved acceptance ratios: ``pykernels bench int8 --ratios --threads 1``.

    pytest benchmarks/bench_int8.py --benchmark-only -k linear
    pytest benchmarks/bench_int8.py --benchmark-only --bench-quick --bench-threads 1
"""
from pykernels.bench import pytest_suite


def pytest_generate_tests(metafunc):
    pytest_suite.parametrize(metafunc, "int8")


def test_int8(benchmark, case, name, threads):
    pytest_suite.run_benchmark(benchmark, "int8", case, name, threads)
