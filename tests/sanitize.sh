#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the Numba
# kernels with bounds checking.
#
#   bash tests/sanitize.sh            # build (incremental) and run both passes
#   bash tests/sanitize.sh -x -q      # extra arguments go to every pytest run
#
# 1. An instrumented pykernels._C is built into build/asan (its own CMake tree and its
#    own copy of the package), never touching the normal in-place build.
# 2. ASan pass: every test file except those in SKIP_UNDER_ASAN, minus the Numba
#    parametrizations (pass 4 covers those), on the machine's ISA; then the kernel test
#    files again with PYKERNELS_ISA=portable, so the fallback kernels (what CPUs
#    without AVX2 run) are checked too. A new family's test file is picked up without
#    an edit; add it to PORTABLE_TESTS if it has portable kernels.
# 3. Any sanitizer report aborts the process: the pass fails.
# 4. NUMBA_BOUNDSCHECK=1 pass over NUMBA_TESTS (the Numba parametrizations), with a
#    fresh Numba cache so that unchecked cached machine code is not reused.
#
# Needs the build tools of pyproject.toml's [build-system] (pybind11, cmake, ninja) in
# the running Python environment.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

SANITIZE_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
# What makes no sense under ASan: resident memory (the leak test) is ASan's allocator's,
# and timing (import time) is ASan's slowdown.
SKIP_FILES_UNDER_ASAN=(tests/test_leaks.py)
SKIP_TESTS_UNDER_ASAN=(test_import_is_fast_and_lazy)
# Test files with kernels that have a portable (no AVX2) variant.
PORTABLE_TESTS=(tests/test_gemm.py tests/test_activations.py tests/test_bad_input.py tests/test_cli.py)
# Known accuracy shortfalls of the portable kernels (not sanitizer findings; they fail
# without ASan too): sgemm skinny M=3 at K~4000, softmax (3, 1000) and gelu's far tail
# exceed the float32 error bound. Remove a line when its kernel is fixed.
PORTABLE_KNOWN_FAILURES=(
  "tests/test_gemm.py::test_edge_k[3-4000-cpu]"
  "tests/test_gemm.py::test_edge_k[3-4001-cpu]"
  "tests/test_gemm.py::test_edge_k[3-4096-cpu]"
  "tests/test_activations.py::test_activation_special_values[gelu-cpu]"
  "tests/test_activations.py::test_softmax[shape2-1-cpu]"
)
# Numba kernels under NUMBA_BOUNDSCHECK=1: the tests that run the Numba backend.
NUMBA_TESTS=(tests/test_gemm.py tests/test_activations.py tests/test_bad_input.py tests/test_properties.py)

build="$repo/build/asan"
lib="$build/lib"
echo "== building the ASan+UBSan extension in $build"
rm -rf "$lib"  # the Python sources are copied afresh; the CMake tree stays incremental
PYKERNELS_CMAKE_ARGS="-DPYKERNELS_EXTRA_FLAGS=\"$SANITIZE_FLAGS\"" \
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
      python -m pytest --rootdir="$repo" -c "$repo/pyproject.toml" -p no:cacheprovider "$@")
}

(cd "$lib" && env PYTHONPATH="$lib" LD_PRELOAD="$libasan:$libstdcxx" ASAN_OPTIONS=detect_leaks=0 \
  python -c "import pykernels._C as C, sys; assert C.__file__.startswith('$lib'), C.__file__; print('instrumented:', C.__file__)")

ignores=()
for skipped in "${SKIP_FILES_UNDER_ASAN[@]}"; do ignores+=(--ignore="$repo/$skipped"); done
selection="not numba"
for skipped in "${SKIP_TESTS_UNDER_ASAN[@]}"; do selection+=" and not $skipped"; done
echo "== ASan+UBSan: test suite without the Numba parametrizations (native ISA)"
sanitized_pytest -q -k "$selection" "${ignores[@]}" "$@" "$repo/tests"
echo "== ASan+UBSan: kernel tests with PYKERNELS_ISA=portable"
known=()
for id in "${PORTABLE_KNOWN_FAILURES[@]}"; do known+=(--deselect="$id"); done  # node ids: relative to the rootdir
PYKERNELS_ISA=portable sanitized_pytest -q -k "$selection" "${known[@]}" "$@" "${PORTABLE_TESTS[@]/#/$repo/}"

echo "== NUMBA_BOUNDSCHECK=1: the Numba kernels with bounds checks"
numba_cache="$(mktemp -d)"
trap 'rm -rf "$numba_cache"' EXIT
# From a neutral directory: the pykernels of the environment (installed, or PYTHONPATH).
(cd "$numba_cache" && NUMBA_BOUNDSCHECK=1 NUMBA_CACHE_DIR="$numba_cache/cache" \
  python -m pytest --rootdir="$repo" -c "$repo/pyproject.toml" -p no:cacheprovider -q -k "numba" "$@" \
  "${NUMBA_TESTS[@]/#/$repo/}")
