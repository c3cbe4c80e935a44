"""Suite "conv" (conv2d: the classic CNN layer, every distinct ResNet-50 convolution,
MobileNetV2 depthwise layers) on pytest-benchmark; see pykernels.bench.pytest_suite.

    pytest benchmarks/bench_conv.py --benchmark-only -k resnet50-b1
    pytest benchmarks/bench_conv.py --benchmark-only --bench-quick --bench-threads 1
"""
from pykernels.bench import pytest_suite


def pytest_generate_tests(metafunc):
    pytest_suite.parametrize(metafunc, "conv")


def test_conv(benchmark, case, name, threads):
    pytest_suite.run_benchmark(benchmark, "conv", case, name, threads)
