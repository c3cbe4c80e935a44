"""Run the fuzz harnesses for a bounded time and report executions.

    python -m tests.fuzz.run --seconds 300              # every harness, one after another
    python -m tests.fuzz.run --seconds 60 --harness native --asan

Needs atheris (``pip install .[fuzz]``, in a virtual environment). Each harness runs in
its own process on the pykernels this command imports (``--asan``: the ASan+UBSan
build of tests/sanitize.sh, with the sanitizer runtime preloaded). Corpora and crash
inputs go to build/fuzz/. Exits non-zero if any harness found a failure.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HARNESSES = ("ops", "layers", "native")
# A unit slower than this is reported as a hang. Generous: the first call of a Numba
# kernel with new argument types compiles it, which takes 10-40 s on a loaded machine.
UNIT_TIMEOUT_SECONDS = 300


def sanitizer_env() -> dict:
    lib = REPO / "build" / "asan" / "lib"
    if not (lib / "pykernels").is_dir():
        sys.exit(f"no ASan build in {lib}: run tests/sanitize.sh first")
    cxx = os.environ.get("CXX", "c++")
    runtime = [subprocess.run([cxx, f"-print-file-name={name}"], capture_output=True, text=True,
                              check=True).stdout.strip() for name in ("libasan.so", "libstdc++.so.6")]
    return {"PYTHONPATH": str(lib), "LD_PRELOAD": ":".join(runtime), "PYTHONMALLOC": "malloc",
            "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


def run_one(name: str, seconds: int, asan: bool, max_len: int) -> tuple[int, int, float, str]:
    """(return code, executions, wall seconds, output tail) of one harness run; the whole log
    goes to build/fuzz/<harness>/last-run.log."""
    out = REPO / "build" / "fuzz" / (f"{name}-asan" if asan else name)
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    if asan:
        env = dict(os.environ, **sanitizer_env())
    else:
        import pykernels
        env = dict(os.environ, PYTHONPATH=str(Path(pykernels.__file__).resolve().parents[1]))
    command = [sys.executable, str(HERE / "main.py"), name, str(corpus), f"-max_total_time={seconds}",
               f"-max_len={max_len}", f"-timeout={UNIT_TIMEOUT_SECONDS}", "-rss_limit_mb=4096", "-print_final_stats=1",
               f"-artifact_prefix={out}/"]
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=out)
    seconds = time.monotonic() - start
    output = result.stdout + result.stderr
    (out / "last-run.log").write_text(output)
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", output)
    if not runs:  # a crash stops libFuzzer before the final stats
        runs = re.findall(r"#(\d+)\s", output)
    return result.returncode, int(runs[-1]) if runs else 0, seconds, output[-3000:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="time per harness")
    parser.add_argument("--harness", nargs="+", choices=HARNESSES, default=list(HARNESSES))
    parser.add_argument("--asan", action="store_true", help="fuzz the ASan+UBSan build")
    parser.add_argument("--max-len", type=int, default=512, help="longest input in bytes")
    args = parser.parse_args(argv)
    failed = False
    for name in args.harness:
        code, runs, seconds, tail = run_one(name, args.seconds, args.asan, args.max_len)
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"{name}{' (asan)' if args.asan else ''}: {runs} executions in {seconds:.0f} s, {status}", flush=True)
        if code != 0:
            failed = True
            print(tail, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
