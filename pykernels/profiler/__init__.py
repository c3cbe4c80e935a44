"""Where a model's time goes: kernel-call tracing and the per-layer profiler.

- ``trace``     traced kernel calls (``PYKERNELS_VERBOSE=1`` prints one line per call);
- ``flops``     the work of each op's kernel call, for GFLOP/s;
- ``profiler``  ``profile(model, inputs)``: the per-layer table, JSON and Chrome trace.

``pykernels.profile`` is ``profiler.profile``; it is imported on first use.
"""
