"""Threads and determinism for every op in op_table.OPS, on every backend of its kernel.

- Kernels release the GIL: 8 Python threads calling the ops at once get bit-identical
  results to a single-threaded run.
- Same inputs give bit-identical outputs from call to call and for 1 and 2 pykernels
  threads (the work is split over threads by output blocks, never along a reduction).
  An op that cannot promise this says why in its OpSpec's ``nondeterministic``.
"""
import threading

import numpy as np
import pytest

import pykernels as pk

from conftest import backends_of
from op_table import OPS

CASES = [(spec, backend) for spec in OPS for backend in backends_of(spec.kernel)]
IDS = [f"{spec.name}-{backend}" for spec, backend in CASES]
PYTHON_THREADS = 8


def run(spec, backend, arrays, params):
    return spec.call(*arrays, backend=backend, **params)


def examples(spec):
    """(arrays, params) per parameter set, at the size where the kernels use several threads."""
    return [(spec.arrays(spec.large, seed=i), params) for i, params in enumerate(spec.param_sets())]


def in_threads(work, n=PYTHON_THREADS):
    """Run work(i) on n threads released together; re-raise the first failure."""
    barrier, errors = threading.Barrier(n), []

    def body(i):
        try:
            barrier.wait()
            work(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@pytest.mark.parametrize("spec,backend", CASES, ids=IDS)
def test_concurrent_calls_match_single_thread(spec, backend):
    cases = examples(spec)
    expected = [run(spec, backend, *case) for case in cases]
    results = [[None] * len(cases) for _ in range(PYTHON_THREADS)]

    def work(i):
        for j in np.roll(np.arange(len(cases)), i):  # each thread in its own order
            results[i][j] = run(spec, backend, *cases[j])

    in_threads(work)
    for per_thread in results:
        for got, want in zip(per_thread, expected):
            np.testing.assert_array_equal(got, want)


def test_every_op_at_once():
    """8 threads, each running every op on every backend, in different orders."""
    calls = [(spec, backend, spec.arrays(spec.small, seed=i), spec.default_params())
             for i, (spec, backend) in enumerate(CASES)]
    expected = [run(*call) for call in calls]
    mismatches = []

    def work(i):
        for j in np.roll(np.arange(len(calls)), 3 * i):
            for _ in range(3):
                if not np.array_equal(run(*calls[j]), expected[j], equal_nan=True):
                    mismatches.append(IDS[j])

    in_threads(work)
    assert not mismatches, sorted(set(mismatches))


@pytest.mark.parametrize("spec,backend", CASES, ids=IDS)
def test_deterministic_across_runs_and_thread_counts(spec, backend):
    if spec.nondeterministic:
        pytest.skip(spec.nondeterministic)
    before = pk.get_num_threads()
    try:
        for arrays, params in examples(spec):
            pk.set_num_threads(1)
            first = run(spec, backend, arrays, params)
            np.testing.assert_array_equal(run(spec, backend, arrays, params), first, err_msg="run to run, 1 thread")
            pk.set_num_threads(2)
            np.testing.assert_array_equal(run(spec, backend, arrays, params), first, err_msg="1 vs 2 threads")
            np.testing.assert_array_equal(run(spec, backend, arrays, params), first, err_msg="run to run, 2 threads")
    finally:
        pk.set_num_threads(before)
