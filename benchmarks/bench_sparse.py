"""Suite "sparse" (SpMM in CSR, BSR and N:M against dense BLAS, scipy.sparse and
torch.sparse) on pytest-benchmark; see pykernels.bench.pytest_suite. Interleaved
acceptance ratios and the break-even sparsity: ``pykernels bench sparse --ratios``; the
speedup-against-sparsity figure: ``pykernels bench sparse --plot DIR``.

    pytest benchmarks/bench_sparse.py --benchmark-only -k sweep-1024
    pytest benchmarks/bench_sparse.py --benchmark-only --bench-quick --bench-threads 1
"""
from pykernels.bench import pytest_suite


def pytest_generate_tests(metafunc):
    pytest_suite.parametrize(metafunc, "sparse")


def test_sparse(benchmark, case, name, threads):
    pytest_suite.run_benchmark(benchmark, "sparse", case, name, threads)
