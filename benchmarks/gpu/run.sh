#!/usr/bin/env bash
# The GPU session in one command (needs an NVIDIA GPU, nvcc, PyTorch with CUDA; about 6
# minutes on an H100): build pykernels with PYKERNELS_CUDA=on, run the CUDA tests (C++
# kernels and numba-cuda kernels on the real GPU), compute-sanitizer memcheck on a
# subset, then the benchmarks against PyTorch (cuBLAS / cuBLASLt, SDPA, cuDNN conv and
# LSTM, cuSPARSE). Logs, JSON and the table go to $OUT (the device tool's folder) or
# benchmarks/gpu/results. BENCH_ARGS=--quick runs one shape per case.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-benchmarks/gpu/results}"
mkdir -p "$out"
export PYTHONUNBUFFERED=1 NUMBA_ENABLE_CUDASIM=0 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
py="${PYTHON:-python3}"

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem --format=csv | tee "$out/gpu.txt"
echo "== build (PYKERNELS_CUDA=on)"
time PYKERNELS_CUDA=on "$py" setup.py -q build_ext --inplace >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
cat pykernels/_cuda_build.json
"$py" -c "import pykernels; [print(b) for b in pykernels.backends()]" | tee "$out/backends.txt"

echo "== tests"
status=0
"$py" -m pytest tests/test_cuda.py tests/test_cuda_sim.py -q -p no:cacheprovider -rs 2>&1 | tee "$out/tests.log" || status=1

echo "== compute-sanitizer memcheck (subset)"
if command -v compute-sanitizer >/dev/null; then
  compute-sanitizer --tool memcheck --error-exitcode 9 --print-limit 20 \
    "$py" -m pytest tests/test_cuda.py -q -p no:cacheprovider -x \
    -k "(f32_exact and 127-31-129) or (tensor_core and 129-37-130) or int8_exact or strided or (sdpa_flash and 65-63-80) or (sdpa_flash and 200-333) or (conv2d_implicit and 12-10-12) or (lstm_layer and 20-8) or (lstm_layer and 6-2-12) or spmm_op" \
    >"$out/memcheck.log" 2>&1 && echo "memcheck clean" || { status=1; tail -40 "$out/memcheck.log"; }
else
  echo "compute-sanitizer not found" | tee "$out/memcheck.log"
fi

echo "== benchmarks"
"$py" benchmarks/gpu/bench_cuda.py --json "$out/bench_cuda.json" ${BENCH_ARGS:-} | tee "$out/bench_cuda.txt" || status=1
exit $status
