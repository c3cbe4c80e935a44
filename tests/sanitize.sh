#!/usr/bin/env bash
# The native kernels under AddressSanitizer + UndefinedBehaviorSanitizer, then the Numba
# kernels with bounds checking: a selection of the test suite that reaches every kernel
# and keeps CI within its budget.
#
#   bash tests/sanitize.sh            # build (incremental) and run the three passes
#   bash tests/sanitize.sh -x -q      # extra arguments go to every pytest run
#
# 1. An instrumented pykernels._C is built into build/asan (its own CMake tree and its
#    own copy of the package), never touching the normal in-place build.
# 2. ASan pass, machine ISA: NATIVE_TESTS. Every op of every family is a row of
#    tests/op_table.py, so the bad-input matrix's cpu rows (layouts, NaN/inf, zero sizes,
#    out=) and the direct _C rows run every native kernel and binding on small shapes,
#    the property tests on random shapes (tile edges), and the determinism test every
#    parameter set (sparse formats, activations, strides) at sizes that split over
#    threads; the families' kernel test files add their tile-edge and path-selection
#    cases (all small: ~20 s without ASan); the C ABI and fuzz-harness smoke tests hit
#    the entry points directly. A new family adds its kernel test file here.
# 3. ASan pass with PYKERNELS_ISA=portable: the same rows on the fallback kernels (what
#    CPUs without AVX2 run), plus the gemm and activation edge tests.
# 4. Any sanitizer report aborts the process: the pass fails.
# 5. NUMBA_BOUNDSCHECK=1 over the bad-input matrix's numba rows (every Numba kernel, every
#    layout), with a fresh Numba cache so that unchecked cached machine code is not
#    reused; compiling is what this pass spends its time on.
#
# Needs the build tools of pyproject.toml's [build-system] (pybind11, cmake, ninja) in
# the running Python environment.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

SANITIZE_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
# "file::selection": pytest -k selection per file (result rows run kernels; rows that
# raise in Python validation never reach native code).
NATIVE_TESTS=(
  "tests/test_bad_input.py::cpu or _C"
  "tests/test_properties.py::cpu"
  "tests/test_threads.py::deterministic and cpu"
  "tests/test_cffi.py::not numba"
  "tests/test_gemm.py::not numba"
  "tests/test_activations.py::not numba"
  "tests/test_conv.py::not numba"
  "tests/test_lstm.py::not numba"
  "tests/test_attention.py::not numba"
  "tests/test_int8.py::not numba"
  "tests/test_sparse.py::not numba"
  "tests/test_fuzz_harnesses.py::not numba"
)
PORTABLE_TESTS=(
  "tests/test_bad_input.py::cpu"
  "tests/test_gemm.py::cpu"
  "tests/test_activations.py::cpu"
)
NUMBA_TESTS=("tests/test_bad_input.py::numba")

build="$repo/build/asan"
lib="$build/lib"
echo "== building the ASan+UBSan extension in $build"
rm -rf "$lib"  # the Python sources are copied afresh; the CMake tree stays incremental
# CPU kernels only: the CUDA extension is not what this job checks (and nvcc would double the build).
PYKERNELS_CUDA=off PYKERNELS_CMAKE_ARGS="-DPYKERNELS_EXTRA_FLAGS=\"$SANITIZE_FLAGS\"" \
  python setup.py -q build_py --build-lib "$lib" build_ext --build-lib "$lib" --build-temp "$build/temp" >/dev/null

libasan="$(${CXX:-c++} -print-file-name=libasan.so)"
libstdcxx="$(${CXX:-c++} -print-file-name=libstdc++.so.6)"
[[ -f "$libasan" && -f "$libstdcxx" ]] || { echo "libasan or libstdc++ not found: $libasan $libstdcxx" >&2; exit 1; }

# Run pytest on the instrumented package: from $lib (so `import pykernels` finds it,
# also in the subprocesses that tests start), with the repository's pytest settings.
sanitized_pytest() {
  (cd "$lib" && env PYTHONPATH="$lib" PYTHONMALLOC=malloc LD_PRELOAD="$libasan:$libstdcxx" \
      ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:check_initialization_order=1:strict_string_checks=1" \
      UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
      python -m pytest --rootdir="$repo" -c "$repo/pyproject.toml" -p no:cacheprovider --capture=sys "$@")
}
# --capture=sys: pytest's default fd capture would swallow a sanitizer report, which is
# written to fd 2 just before the process exits.

(cd "$lib" && env PYTHONPATH="$lib" LD_PRELOAD="$libasan:$libstdcxx" ASAN_OPTIONS=detect_leaks=0 \
  python -c "import pykernels._C as C, sys; assert C.__file__.startswith('$lib'), C.__file__; print('instrumented:', C.__file__)")

# Run each "file::selection" of the named array through the given pytest runner.
run_selection() {
  local runner="$1" array="$2[@]"
  shift 2
  for entry in "${!array}"; do
    "$runner" -q -k "${entry#*::}" "$@" "$repo/${entry%%::*}"
  done
}

echo "== ASan+UBSan: every native kernel (machine ISA)"
run_selection sanitized_pytest NATIVE_TESTS "$@"
echo "== ASan+UBSan: every native kernel with PYKERNELS_ISA=portable"
PYKERNELS_ISA=portable run_selection sanitized_pytest PORTABLE_TESTS "$@"

echo "== NUMBA_BOUNDSCHECK=1: the Numba kernels with bounds checks"
numba_cache="$(mktemp -d)"
trap 'rm -rf "$numba_cache"' EXIT
# From a neutral directory: the pykernels of the environment (installed, or PYTHONPATH).
checked_pytest() {
  (cd "$numba_cache" && NUMBA_BOUNDSCHECK=1 NUMBA_CACHE_DIR="$numba_cache/cache" \
    python -m pytest --rootdir="$repo" -c "$repo/pyproject.toml" -p no:cacheprovider "$@")
}
run_selection checked_pytest NUMBA_TESTS "$@"
