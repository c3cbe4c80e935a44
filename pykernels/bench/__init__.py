"""Benchmark harness behind ``pykernels bench`` and ``benchmarks/``.

Every speed figure is a ratio measured side by side in one process: each of our
implementations against each baseline, on the same inputs, after a warm-up call that
is also checked against the reference, median of repeats, per thread count.

- ``case``      the data types a suite hands to the runner (Case, Contender, Prepared);
- ``suites/``   the suites: shapes from ``benchmarks/shapes/`` plus the callables to time;
- ``baselines`` the libraries we compare against, and setting every library's threads;
- ``machine``   CPU model, ISA, versions and the measured FMA peak;
- ``timing``    the clock: warm-up, calibration, interleaved rounds, median and min;
- ``runner``    runs a suite over thread counts into Measurements;
- ``report``    tables and the progress bar; ``export`` pytest-benchmark's JSON.

Not imported by ``import pykernels``.
"""
