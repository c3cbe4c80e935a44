"""pytest options and hooks for the pytest-benchmark suites in this folder.

    pytest benchmarks --benchmark-only [--bench-quick] [--bench-threads 1,2] [-k 1024]
"""
import pytest


def pytest_addoption(parser):
    group = parser.getgroup("pykernels benchmarks")
    group.addoption("--bench-threads", default=None, metavar="N[,N...]",
                    help="thread counts, each benchmarked separately (default: 1 and all cores)")
    group.addoption("--bench-quick", action="store_true", help="only the shapes marked quick")


def pytest_collect_file(file_path, parent):
    """Collect bench_*.py here (pytest's default pattern is test_*.py)."""
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session", autouse=True)
def _peaks(request):
    """Measure the FMA peaks before any kernel runs (machine.fma_peak keeps them)."""
    from pykernels.bench import machine

    for threads in machine.thread_counts(request.config.getoption("bench_threads")):
        machine.fma_peak(threads)


def pytest_benchmark_update_machine_info(config, machine_info):
    from pykernels.bench import machine

    machine_info["pykernels"] = machine.describe(machine.thread_counts(config.getoption("bench_threads")))
