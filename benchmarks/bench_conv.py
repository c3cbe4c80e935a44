"""conv2d on pytest-benchmark: the "conv" suite of ``pykernels.bench`` (see pykernels.bench.pytest_suite).

    pytest benchmarks/bench_conv.py --benchmark-only -k resnet50-b1
    pytest benchmarks/bench_conv.py --benchmark-only --bench-quick --bench-threads 1

Speedups here come from separate timing blocks; for the acceptance figures (interleaved
per-repetition ratios against PyTorch, geometric means per group) run
``python benchmarks/conv_ratios.py``.
"""
from pykernels.bench.pytest_suite import bind
from pykernels.bench.suites import conv

pytest_generate_tests, _peaks, test_conv = bind(conv)
