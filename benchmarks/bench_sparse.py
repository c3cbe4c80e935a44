"""SpMM acceptance ratios, the digits CNN as sparse layers, and the sparsity sweep: our sparse
kernels against dense BLAS.

Every figure is a ratio measured side by side in this process: for each repetition the
two contenders run back to back on the same inputs (after a warm-up), and the median of
the per-repetition ratios is reported. ``--clock cpu`` times single-thread runs with the
calling thread's CPU time (steadier on a shared machine; the kernels run on that thread
when limited to one); thread scaling is always wall time.

    python benchmarks/bench_sparse.py --clock cpu      # acceptance lines
    python benchmarks/bench_sparse.py --sweep          # also the sparsity sweep, printed
    pykernels bench sparse --plot DIR                  # the full suite; DIR/sparse_speedup.png
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import pykernels as pk
from pykernels import ops
from pykernels.bench.baselines import limit_threads
from pykernels.bench.suites.sparse import weights
from pykernels.ops.sparse_dispatch import interleaved

M = K = 1024
N = 256
REPEATS = 15
BLOCKS = ("block(1,4)", "block(4,1)", "block(4,4)", "block(8,1)")


def ratio(ours, theirs, clock=time.perf_counter, repeats=REPEATS) -> float:
    """Median over repetitions of theirs_time / ours_time, run alternately."""
    return statistics.median(t / max(o, 1e-9) for o, t in interleaved(ours, theirs, repeats, clock))


def spmm_call(pattern, sparsity, x, m=M, k=K):
    wd, ws = weights(m, k, pattern, sparsity)
    return wd, ws, (lambda: ops.spmm(ws, x))


def break_even(x, dense, clock) -> float:
    """The lowest sparsity (interpolated on a 5% grid) at which CSR is no slower than dense."""
    previous = None
    for s in np.arange(0.30, 0.96, 0.05):
        r = ratio(spmm_call("unstructured", float(s), x)[2], dense, clock, repeats=7)
        if r >= 1.0:
            if previous is None:
                return float(s)
            s0, r0 = previous
            return float(s0 + (1.0 - r0) / (r - r0) * (s - s0))
        previous = (float(s), r)
    return float("nan")


def acceptance(clock) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((K, N), dtype=np.float32)
    with limit_threads(1):
        wd = rng.standard_normal((M, K), dtype=np.float32)
        dense = lambda: wd @ x  # noqa: E731
        _, csr, csr_run = spmm_call("unstructured", 0.9, x)
        print(f"W {M}x{K}, N = {N}, one thread, {REPEATS} interleaved repetitions, median ratio")
        print(f"  CSR 90%  vs dense OpenBLAS: {ratio(csr_run, dense, clock):5.2f}x   (target >= 4)")
        try:
            import scipy.sparse as sp
            s_csr = sp.csr_matrix(csr.to_dense())
            print(f"  CSR 90%  vs scipy.sparse:   {ratio(csr_run, lambda: s_csr @ x, clock):5.2f}x   (target >= 5)")
        except ImportError:
            print("  scipy is not installed: no scipy.sparse baseline")
        best = max((ratio(spmm_call(b, 0.9, x)[2], dense, clock), b) for b in BLOCKS)
        print(f"  BSR 90%  vs dense (best block {best[1]}): {best[0]:5.2f}x   (target >= 6)")
        print(f"  2:4      vs dense OpenBLAS: {ratio(spmm_call('2:4', None, x)[2], dense, clock):5.2f}x   (target >= 1.3)")
        print(f"  CSR break-even vs dense:    {break_even(x, dense, clock):.0%} sparsity   (target <= 60%)")

    def on(threads):
        def run():
            pk.set_num_threads(threads)
            csr_run()
        return run
    with limit_threads(2):
        print(f"  CSR 90%, 2 threads vs 1:    {ratio(on(2), on(1)):5.2f}x   (target >= 1.8, wall clock)")


def models(clock) -> None:
    """The digits CNN pruned to 80%: compress.sparsify's sparse layers against the same weights in dense layers."""
    from pykernels import compress
    from pykernels.models import digits_cnn
    dense = digits_cnn.build("pruned80")
    sparse = compress.sparsify(dense)
    rng = np.random.default_rng(3)
    with limit_threads(1):
        for batch in (1, 64):
            x = rng.random((batch, 8, 8, 1), dtype=np.float32)
            r = ratio(lambda: sparse(x), lambda: dense(x), clock, repeats=41)
            print(f"  digits CNN pruned80, batch {batch:2d}: sparse layers {r:5.2f}x the dense layers   (target > 1)")
        for layer in sparse.layers:
            if hasattr(layer, "decision"):
                print(f"    {layer.name}: {layer.profile_info()['why']}")


SWEEP = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def sweep(clock) -> None:
    rng = np.random.default_rng(2)
    curves = {}
    with limit_threads(1):
        for m, k in ((1024, 1024), (4096, 1024)):
            wd = rng.standard_normal((m, k), dtype=np.float32)
            for n in (1, 16, 256):
                x = rng.standard_normal((k, n), dtype=np.float32)
                for pattern in ("unstructured", "block(4,4)"):
                    speedups = [ratio(spmm_call(pattern, s, x, m, k)[2], lambda: wd @ x, clock, repeats=7) for s in SWEEP]
                    curves[(m, k, n, pattern)] = speedups
                    print(f"{m}x{k} N={n:3d} {pattern:12s} " + "  ".join(f"{s:.0%}:{r:5.2f}x" for s, r in zip(SWEEP, speedups)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="also run the sparsity sweep")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="single-thread clock")
    args = parser.parse_args(argv)
    clock = time.thread_time if args.clock == "cpu" else time.perf_counter
    acceptance(clock)
    models(clock)
    if args.sweep:
        sweep(clock)


if __name__ == "__main__":
    main()
