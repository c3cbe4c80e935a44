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


# ---- attention, convolution, LSTM, sparse and int8 ops on device arrays (backend cuda) ----

def flash_rule(got, want64, torch_same_precision, factor=3.0):
    """FlashAttention's rule: our error against float64 at most `factor` x PyTorch's own in the
    same precision (plus the output's rounding)."""
    got, theirs = to_host(got).astype(np.float64), to_host(torch_same_precision).astype(np.float64)
    assert np.isfinite(got).all()
    ours_err, their_err = np.abs(got - want64).max(), np.abs(theirs - want64).max()
    assert ours_err <= factor * their_err + 1e-3 * np.abs(want64).max(), (ours_err, their_err)


@pytestmark_gpu
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("b, hq, hkv, nq, nk, d, causal, mask", [
    (1, 4, 4, 128, 128, 64, False, None), (2, 8, 2, 200, 333, 128, True, None),   # GQA, causal, ragged tiles
    (1, 2, 1, 1, 4097, 64, False, None), (1, 2, 2, 65, 63, 80, False, "bool"),    # decode row; D = 80 pads to 128
    (2, 2, 2, 100, 100, 32, True, "float"), (1, 1, 1, 64, 64, 40, False, "empty_row"),
])
def test_sdpa_flash(dtype, b, hq, hkv, nq, nk, d, causal, mask):
    from pykernels.reference import attention as ref_attention
    rng = np.random.default_rng(nq + nk)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in
               ((b, hq, nq, d), (b, hkv, nk, d), (b, hkv, nk, d)))
    q, k, v = (rounded(t, dtype) for t in (q, k, v))
    m = None
    if mask in ("bool", "empty_row"):
        m = rng.random((b, 1, nq, nk)) < 0.8
        if mask == "empty_row":
            m[0, 0, 3] = False
    elif mask == "float":
        m = rng.uniform(-3, 3, (1, hq, nq, nk)).astype(np.float32)
    dq, dk, dv = (to_device(t.astype(np.float32), dtype=dtype) for t in (q, k, v))
    dm = None if m is None else to_device(m)
    got = pykernels.ops.sdpa(dq, dk, dv, dm, causal)
    torch.cuda.synchronize()
    want = ref_attention.sdpa(q, k, v, m, causal)
    rep = hq // hkv
    tm = None if m is None else dm
    if causal and tm is None:
        theirs = torch.nn.functional.scaled_dot_product_attention(dq, dk.repeat_interleave(rep, 1),
                                                                  dv.repeat_interleave(rep, 1), is_causal=True)
    else:
        if causal:
            tm = tm + torch.where(torch.ones(nq, nk, device="cuda", dtype=torch.bool).tril(), 0.0, float("-inf"))
        theirs = torch.nn.functional.scaled_dot_product_attention(
            dq, dk.repeat_interleave(rep, 1), dv.repeat_interleave(rep, 1),
            attn_mask=None if tm is None else (tm if tm.dtype == torch.bool else tm.to(dq.dtype)))
    theirs = torch.nan_to_num(theirs, nan=0.0)  # PyTorch: NaN for a row that attends nothing, we give 0
    flash_rule(got, want, theirs)


@pytestmark_gpu
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("n, h, w, c, oc, kernel, stride, padding, dilation, groups, ohwi", [
    (2, 17, 19, 32, 64, 3, 1, 1, 1, 1, True), (1, 14, 14, 24, 129, 1, 2, 0, 1, 1, False),
    (3, 9, 9, 16, 16, 3, 2, "same", 1, 16, False), (1, 12, 10, 12, 18, (3, 5), 1, 2, 2, 3, True),
])
def test_conv2d_implicit_gemm(dtype, n, h, w, c, oc, kernel, stride, padding, dilation, groups, ohwi):
    rng = np.random.default_rng(c * oc)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = rng.uniform(-1, 1, (n, h, w, c)).astype(np.float32)
    wt = rng.uniform(-1, 1, (oc, c // groups, kh, kw)).astype(np.float32)
    bias = rng.uniform(-1, 1, oc).astype(np.float32)
    if dtype != "float32":
        x, wt, bias = (rounded(t, dtype).astype(np.float32) for t in (x, wt, bias))
    dx, dbias = to_device(x, dtype=dtype), to_device(bias, dtype=dtype)
    dw = (to_device(np.ascontiguousarray(wt.transpose(0, 2, 3, 1)), dtype=dtype).permute(0, 3, 1, 2) if ohwi
          else to_device(wt, dtype=dtype))
    got = pykernels.ops.conv2d(dx, dw, dbias, stride, padding, dilation, groups, "relu",
                               data_format="channels_last")
    torch.cuda.synchronize()
    want = pykernels.ops.conv2d(x, wt, bias, stride, padding, dilation, groups, "relu",
                                data_format="channels_last", backend="reference")
    if dtype == "float32":
        f32 = pykernels.ops.conv2d(x, wt, bias, stride, padding, dilation, groups, "relu",
                                   data_format="channels_last")
        assert_close(to_host(got), want, f32, what="cuda conv2d f32")
    else:
        from pykernels import geometry
        st, dl = geometry.pair(stride, "t", "stride"), geometry.pair(dilation, "t", "dilation")
        top, bottom, left, right = geometry.padding(padding, "t", (h, w), (kh, kw), st, dl)
        padded = torch.nn.functional.pad(dx.permute(0, 3, 1, 2), (left, right, top, bottom))
        theirs = torch.relu(torch.nn.functional.conv2d(padded, dw, dbias, st, 0, dl, groups)).permute(0, 2, 3, 1)
        flash_rule(got, want, theirs)


@pytestmark_gpu
@pytest.mark.parametrize("t, b, i, h, proj, lengths, batch_first", [
    (7, 1, 16, 32, None, None, False), (20, 8, 64, 256, None, [20, 3, 7, 1, 20, 19, 2, 5], True),
    (5, 3, 10, 50, None, None, False), (4, 2, 8, 2048, None, None, False), (6, 2, 12, 20, 8, [6, 4], False),
])
def test_lstm_layer(t, b, i, h, proj, lengths, batch_first):
    """Persistent kernel (small H), step-wise path (H = 2048 and projections), lengths, both layouts."""
    from pykernels.reference import lstm as ref_lstm
    rng = np.random.default_rng(h)
    r = proj or h
    x = rng.uniform(-1, 1, (t, b, i)).astype(np.float32)
    w_ih, w_hh = rng.uniform(-0.3, 0.3, (4 * h, i)).astype(np.float32), rng.uniform(-0.3, 0.3, (4 * h, r)).astype(
        np.float32)
    b_ih, b_hh = rng.uniform(-1, 1, 4 * h).astype(np.float32), rng.uniform(-1, 1, 4 * h).astype(np.float32)
    w_hr = rng.uniform(-0.3, 0.3, (r, h)).astype(np.float32) if proj else None
    h0, c0 = rng.uniform(-1, 1, (1, b, r)).astype(np.float32), rng.uniform(-1, 1, (1, b, h)).astype(np.float32)
    entry = (w_ih, w_hh, b_ih, b_hh) + ((w_hr,) if proj else ())
    dx = to_device(np.ascontiguousarray(x.swapaxes(0, 1)) if batch_first else x)
    lens = None if lengths is None else to_device(np.array(lengths, np.int64))
    y, (h_n, c_n) = pykernels.ops.lstm(dx, [tuple(to_device(a) for a in entry)], to_device(h0), to_device(c0),
                                       batch_first=batch_first, lengths=lens)
    torch.cuda.synchronize()
    args = ([entry], h0, c0, False, False, lengths)
    y64, (h64, c64) = ref_lstm.lstm(x, *args)
    y32, (h32, c32) = ref_lstm.lstm(x, *args, dtype=np.float32)
    got_y = to_host(y).swapaxes(0, 1) if batch_first else to_host(y)
    assert_close(got_y, y64, y32, what="cuda lstm y")
    assert_close(to_host(h_n), h64, h32, what="cuda lstm h_n")
    assert_close(to_host(c_n), c64, c32, what="cuda lstm c_n")


@pytestmark_gpu
@pytest.mark.parametrize("fmt, block, m, k, n, density", [("csr", None, 300, 257, 130, 0.1),
                                                          ("bsr", (4, 4), 256, 128, 77, 0.2),
                                                          ("bsr", (8, 1), 64, 64, 300, 0.3),
                                                          ("bsr", (3, 2), 33, 20, 5, 0.5)])
def test_spmm_op(fmt, block, m, k, n, density):
    from pykernels.cuda.weights import to_device as sparse_to_device
    from pykernels.formats import BSRMatrix, CSRMatrix
    from pykernels.reference import spmm as ref_spmm
    rng = np.random.default_rng(m)
    dense = (rng.uniform(-1, 1, (m, k)) * (rng.random((m, k)) < density)).astype(np.float32)
    w = CSRMatrix.from_dense(dense) if fmt == "csr" else BSRMatrix.from_dense(dense, block)
    x, bias = rng.uniform(-1, 1, (k, n)).astype(np.float32), rng.uniform(-1, 1, m).astype(np.float32)
    dx = to_device(x)
    got = pykernels.ops.spmm(sparse_to_device(w, dx), dx, to_device(bias), "relu")
    torch.cuda.synchronize()
    assert_close(to_host(got), ref_spmm.spmm(w, x, bias, "relu"), ref_spmm.spmm(w, x, bias, "relu", dtype=np.float32))


@pytestmark_gpu
def test_int8_ops_on_device():
    from pykernels.cuda.weights import DeviceInt8Weights
    from pykernels.formats.int8_weights import Int8Weights
    rng = np.random.default_rng(8)
    a, b = rng.integers(-128, 128, (77, 300), dtype=np.int8), rng.integers(-128, 128, (300, 45), dtype=np.int8)
    got = pykernels.ops.matmul_int8(to_device(a), to_device(b))
    torch.cuda.synchronize()
    np.testing.assert_array_equal(to_host(got), a.astype(np.int64) @ b.astype(np.int64))
    weights = Int8Weights.from_float(rng.uniform(-1, 1, (45, 300)).astype(np.float32))
    dx = to_device(a)
    y = pykernels.ops.linear_int8(dx, DeviceInt8Weights.from_weights(weights, dx), x_scale=0.02)
    torch.cuda.synchronize()
    acc = a.astype(np.int64) @ weights.data.T.astype(np.int64)
    np.testing.assert_allclose(to_host(y), acc * (np.float64(np.float32(0.02)) * weights.scale), rtol=4e-7, atol=1e-6)
