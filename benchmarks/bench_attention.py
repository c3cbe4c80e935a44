"""Suite "attention" (fused scaled dot-product attention: BERT, 1k-4k causal, 16k tokens) on
pytest-benchmark; see pykernels.bench.pytest_suite. Interleaved acceptance ratios and the
16k-token peak extra memory: ``pykernels bench attention --ratios``.

    pytest benchmarks/bench_attention.py --benchmark-only -k 1024
    pytest benchmarks/bench_attention.py --benchmark-only --bench-quick --bench-threads 1
"""
from pykernels.bench import pytest_suite


def pytest_generate_tests(metafunc):
    pytest_suite.parametrize(metafunc, "attention")


def test_attention(benchmark, case, name, threads):
    pytest_suite.run_benchmark(benchmark, "attention", case, name, threads)
