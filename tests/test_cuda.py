"""CUDA C++ kernels (backend "cuda") against the float64 reference, on a GPU.

Skipped, with the probe's reason, where no GPU is present (the build and the CUDA
sources' compilation are still checked: test_cuda_build). Operands are PyTorch CUDA
tensors (DLPack for bfloat16, CAI otherwise), CuPy arrays and Numba device arrays.
Tolerances: float32 follows pykernels.testing's policy; f16 / bf16 / TF32 compare with
the float64 product of the rounded inputs, within the output's rounding plus the
accumulation error of a float32 sum (K * eps32 * sum |a||b|); int8 is bit-exact.
"""
import importlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import pykernels
from pykernels.reference import gemm as ref
from pykernels.registry import _backend
from pykernels.testing import assert_close

CUDA = _backend("cuda")


def test_cuda_build():
    """Where nvcc exists the build compiled every CUDA source (PYKERNELS_CUDA=auto), and
    the backend explains why it is unavailable when it is."""
    record_path = Path(pykernels.__file__).parent / "_cuda_build.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    if shutil.which("nvcc") and os.environ.get("PYKERNELS_CUDA", "auto") != "off":
        assert record.get("built"), f"nvcc is on PATH but _C_cuda was not built: {record}"
        importlib.import_module("pykernels._C_cuda")
    assert CUDA.available or "GPU" in CUDA.reason or "not built" in CUDA.reason, CUDA.reason


pytestmark_gpu = pytest.mark.skipif(not CUDA.available, reason=f"backend cuda unavailable: {CUDA.reason}")
torch = pytest.importorskip("torch") if CUDA.available else None


def libraries():
    found = ["torch"]
    try:
        import cupy  # noqa: F401
        found.append("cupy")
    except ImportError:
        pass
    return found


def to_device(x, library="torch", dtype=None):
    if library == "cupy":
        import cupy
        return cupy.asarray(x if dtype is None else x.astype(dtype))
    t = torch.from_numpy(np.ascontiguousarray(x)).cuda()
    return t if dtype is None else t.to(getattr(torch, dtype))


def to_host(x):
    if hasattr(x, "get"):
        return x.get()
    return x.float().cpu().numpy() if x.dtype == torch.bfloat16 else x.cpu().numpy()


def rounded(x, dtype):
    """x rounded to dtype and back to float64 on the host (bfloat16 through torch)."""
    return torch.from_numpy(np.asarray(x, np.float32)).to(getattr(torch, dtype)).double().numpy()


def gemm_bound(a64, b64, out_dtype_eps, k, c=None):
    magnitude = np.abs(a64) @ np.abs(b64)
    return out_dtype_eps * np.abs(a64 @ b64) + 2 * k * 2.0 ** -23 * magnitude + 1e-6


@pytestmark_gpu
@pytest.mark.parametrize("library", libraries())
@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (127, 31, 129), (128, 64, 128), (257, 4001, 33), (3, 0, 5)])
def test_f32_exact(library, m, k, n):
    from pykernels.cuda.gemm import gemm
    rng = np.random.default_rng(m * 1000 + n)
    a, b = rng.uniform(-1, 1, (m, k)).astype(np.float32), rng.uniform(-1, 1, (k, n)).astype(np.float32)
    bias = rng.uniform(-1, 1, n).astype(np.float32)
    out = to_device(np.full((m, n), np.nan, np.float32), library)
    gemm(to_device(a, library), to_device(b, library), out, to_device(bias, library), 1, "gelu")
    torch.cuda.synchronize()
    assert_close(to_host(out), ref.gemm(a, b, bias, 1, "gelu"), ref.gemm(a, b, bias, 1, "gelu", dtype=np.float32))


@pytestmark_gpu
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "tf32"])
@pytest.mark.parametrize("b_layout", ["row", "w.T"])
@pytest.mark.parametrize("m, k, n", [(1, 16, 8), (129, 37, 130), (256, 4096, 256), (77, 5, 300)])
def test_tensor_core(dtype, b_layout, m, k, n):
    from pykernels.cuda.gemm import gemm
    rng = np.random.default_rng(k)
    a, b = rng.uniform(-1, 1, (m, k)).astype(np.float32), rng.uniform(-1, 1, (k, n)).astype(np.float32)
    storage = "float32" if dtype == "tf32" else dtype
    da = to_device(a, dtype=storage)
    db = to_device(np.ascontiguousarray(b.T), dtype=storage).T if b_layout == "w.T" else to_device(b, dtype=storage)
    bias = rng.uniform(-1, 1, n).astype(np.float32)
    out = torch.full((m, n), float("nan"), dtype=getattr(torch, storage), device="cuda")
    gemm(da, db, out, to_device(bias, dtype=storage), 1, "relu", tf32=dtype == "tf32")
    torch.cuda.synchronize()
    round_to = "bfloat16" if dtype == "bfloat16" else "float16" if dtype == "float16" else None
    if round_to:
        a64, b64, bias64 = rounded(a, round_to), rounded(b, round_to), rounded(bias, round_to)
        eps = 2.0 ** -8 if dtype == "bfloat16" else 2.0 ** -11
    else:  # TF32 keeps 10 mantissa bits of each operand
        a64, b64, bias64, eps = a.astype(np.float64), b.astype(np.float64), bias.astype(np.float64), 2.0 ** -23
    want = np.maximum(a64 @ b64 + bias64, 0)
    bound = gemm_bound(a64, b64, eps, k) + (np.abs(a64) @ np.abs(b64)) * (2.0 ** -10 if dtype == "tf32" else 0)
    got = to_host(out).astype(np.float64)
    assert np.isfinite(got).all()
    assert (np.abs(got - want) <= bound + eps * np.abs(bias64)).all()


@pytestmark_gpu
@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (129, 100, 127), (64, 4096, 256), (300, 17, 3)])
@pytest.mark.parametrize("out", ["int32", "dequant"])
def test_int8_exact(m, k, n, out):
    from pykernels.cuda.gemm import gemm_int8
    rng = np.random.default_rng(n)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    w = rng.integers(-128, 128, (n, k), dtype=np.int8)
    acc = a.astype(np.int64) @ w.T.astype(np.int64)
    db = to_device(w).T
    if out == "int32":
        res = torch.full((m, n), -7, dtype=torch.int32, device="cuda")
        gemm_int8(to_device(a), db, res)
        torch.cuda.synchronize()
        np.testing.assert_array_equal(to_host(res), acc)
    else:
        rs, cs = rng.uniform(0.01, 0.1, m).astype(np.float32), rng.uniform(0.01, 0.1, n).astype(np.float32)
        bias = rng.uniform(-1, 1, n).astype(np.float32)
        res = torch.full((m, n), float("nan"), device="cuda")
        gemm_int8(to_device(a), db, res, to_device(rs), to_device(cs), to_device(bias), "relu")
        torch.cuda.synchronize()
        want = np.maximum(acc * rs[:, None].astype(np.float64) * cs.astype(np.float64) + bias, 0)
        np.testing.assert_allclose(to_host(res), want, rtol=4 * 2.0 ** -23, atol=1e-6)


@pytestmark_gpu
def test_strided_and_negative_views():
    from pykernels.cuda.gemm import gemm
    rng = np.random.default_rng(5)
    base_a, base_b = rng.uniform(-1, 1, (40, 60)).astype(np.float32), rng.uniform(-1, 1, (60, 50)).astype(np.float32)
    ta, tb = to_device(base_a), to_device(base_b)
    views = [(ta[:20, :30], tb[:30, :25], base_a[:20, :30], base_b[:30, :25]),
             (ta[:, ::2], tb[::2, ::2], base_a[:, ::2], base_b[::2, ::2]),
             (ta.flip(0)[:20], tb.flip(1)[:60, :25], base_a[::-1][:20], base_b[:, ::-1][:60, :25])]
    for da, db, a, b in views:
        out = torch.full((a.shape[0], b.shape[1]), float("nan"), device="cuda")
        gemm(da, db, out)
        torch.cuda.synchronize()
        assert_close(to_host(out), ref.gemm(a, b), ref.gemm(a, b, dtype=np.float32))


@pytestmark_gpu
def test_runs_on_the_producers_stream():
    """On a side stream, the kernel is ordered after the producer's fill and before the read."""
    from pykernels.cuda.gemm import gemm
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        a = torch.ones((512, 512), device="cuda")
        a.mul_(2)
        out = torch.empty((512, 512), device="cuda")
        gemm(a, a, out)
        total = out.sum()
    side.synchronize()
    assert total.item() == 512 * 512 * 512 * 4


@pytestmark_gpu
def test_ops_on_device_arrays_return_device_arrays():
    x, w = torch.randn(4, 6, 32, device="cuda"), torch.randn(16, 32, device="cuda")
    bias = torch.randn(16, device="cuda")
    y = pykernels.ops.linear(x, w, bias, "tanh")
    assert isinstance(y, torch.Tensor) and y.is_cuda and y.shape == (4, 6, 16)
    torch.testing.assert_close(y, torch.tanh(x @ w.T + bias), rtol=1e-5, atol=1e-5)


@pytestmark_gpu
def test_host_arrays_rejected():
    from pykernels.cuda.gemm import gemm
    a = np.ones((2, 2), np.float32)
    with pytest.raises(TypeError, match="host array.*torch.from_numpy"):
        gemm(a, a, np.empty((2, 2), np.float32))
    with pytest.raises(TypeError, match="host array"):
        gemm(torch.ones(2, 2), torch.ones(2, 2), torch.empty(2, 2))


@pytestmark_gpu
@pytest.mark.parametrize("m, k, n, density", [(1, 1, 1, 1.0), (37, 300, 129, 0.1), (9, 64, 256, 0.0),
                                              (513, 1024, 300, 0.02)])
def test_spmm_csr(m, k, n, density):
    from pykernels.cuda.sparse import spmm_csr
    rng = np.random.default_rng(m)
    dense = rng.uniform(-1, 1, (m, k)) * (rng.random((m, k)) < density)
    dense = dense.astype(np.float32)
    rows, cols = np.nonzero(dense)
    indptr = np.searchsorted(rows, np.arange(m + 1)).astype(np.int32)
    b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    bias = rng.uniform(-1, 1, n).astype(np.float32)
    out = torch.full((m, n), float("nan"), device="cuda")
    spmm_csr(to_device(indptr), to_device(cols.astype(np.int32)), to_device(dense[rows, cols]), to_device(b), out,
             to_device(bias), "sigmoid")
    torch.cuda.synchronize()
    assert_close(to_host(out), ref.gemm(dense, b, bias, 1, "sigmoid"),
                 ref.gemm(dense, b, bias, 1, "sigmoid", dtype=np.float32))
