"""Threads, backends, ISA fallback and import time."""
import os
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest

import pykernels as pk
from pykernels.reference import gemm as ref
from pykernels.testing import assert_close
from conftest import random_f32


def test_backends_listing():
    infos = {b.name: b for b in pk.backends()}
    assert {"cpu", "numba", "reference"} <= set(infos)
    assert infos["cpu"].available and infos["reference"].available
    assert "gemm" in infos["cpu"].ops
    assert [b.priority for b in pk.backends()] == sorted((b.priority for b in pk.backends()), reverse=True)


def test_set_num_threads_round_trip():
    before = pk.get_num_threads()
    try:
        pk.set_num_threads(1)
        assert pk.get_num_threads() == 1
        pk.set_num_threads(3)
        assert pk.get_num_threads() == 3
    finally:
        pk.set_num_threads(before)


def test_results_identical_across_thread_counts(rng):
    a, b = random_f32(rng, (200, 700)), random_f32(rng, (700, 150))
    before = pk.get_num_threads()
    try:
        results = []
        for n in (1, 2, 4):
            pk.set_num_threads(n)
            results.append(pk.ops.matmul(a, b, backend="cpu"))
    finally:
        pk.set_num_threads(before)
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


def test_concurrent_python_threads(rng):
    # The GIL is released inside kernels; concurrent calls must not interfere.
    a, b = random_f32(rng, (150, 300)), random_f32(rng, (300, 120))
    expected = pk.ops.matmul(a, b)
    results = [None] * 8

    def work(i):
        results[i] = pk.ops.matmul(a, b)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, expected)


def run_python(code, **env):
    # From a neutral directory, so the installed package is imported, not the source tree.
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, **env), cwd=tempfile.gettempdir())
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_portable_isa_fallback():
    # PYKERNELS_ISA=portable runs the code a CPU without AVX2 gets; results must match.
    code = (
        "import numpy as np, pykernels as pk; from pykernels import _C\n"
        "from pykernels.reference import gemm as ref; from pykernels.testing import assert_close\n"
        "assert _C.cpu_info()['isa'] == 'portable', _C.cpu_info()\n"
        "rng = np.random.default_rng(0)\n"
        "for m, k, n in [(1, 300, 70), (3, 33, 9), (40, 600, 48), (150, 600, 45)]:\n"
        "    a = rng.uniform(-1, 1, (m, k)).astype(np.float32); w = rng.uniform(-1, 1, (n, k)).astype(np.float32)\n"
        "    b = rng.uniform(-1, 1, n).astype(np.float32)\n"
        "    for act in ['relu', 'sigmoid', 'tanh', 'gelu', 'softmax']:\n"
        "        assert_close(pk.ops.linear(a, w, b, act), ref.linear(a, w, b, act), ref.linear(a, w, b, act, dtype=np.float32))\n"
        "    assert_close(pk.ops.matmul(a, w.T), ref.matmul(a, w.T), ref.matmul(a, w.T, dtype=np.float32))\n"
        "    rows = np.ascontiguousarray(w.T)[:, 3:]  # row-major B starting off a panel row\n"
        "    assert_close(pk.ops.matmul(a, rows), ref.matmul(a, rows), ref.matmul(a, rows, dtype=np.float32))\n"
        "print('ok', _C.cpu_info()['sgemm_kernel'])\n"
    )
    assert run_python(code, PYKERNELS_ISA="portable").startswith("ok sgemm_4x8_portable")


def test_omp_num_threads_is_honoured():
    assert run_python("import pykernels as pk; print(pk.get_num_threads())", OMP_NUM_THREADS="3").strip() == "3"


def test_import_is_fast_and_lazy():
    code = ("import time, sys; t = time.perf_counter(); import pykernels; dt = time.perf_counter() - t\n"
            "print(dt, 'numba' in sys.modules, 'torch' in sys.modules)")
    times = []
    for _ in range(3):
        dt, numba_loaded, torch_loaded = run_python(code).split()
        assert numba_loaded == "False" and torch_loaded == "False"
        times.append(float(dt))
    assert min(times) < 0.5, times
