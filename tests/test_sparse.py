"""Sparse family: formats (validation, conversions), ops.spmm on every backend against the
reference, sparse layers and their dispatch, pruning, schedules and mask import."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import pykernels as pk
from pykernels import compress
from pykernels.formats import BSRMatrix, CSRMatrix, NMMatrix, parse_pattern, to_sparse
from pykernels.layers import Dense, Sequential, SparseConv2D, SparseDense
from pykernels.ops import sparse_dispatch
from pykernels.reference import gemm as ref_gemm
from pykernels.reference import spmm as ref
from pykernels.testing import assert_close, sentinel_like
from conftest import backends_of, random_f32

BACKENDS = backends_of("spmm")
# (pattern, block / n:m) of every kernel variant: CSR, the templated BSR shapes, a
# generic block shape, 1x1 blocks as BSR, and N:M with a specialised and a generic n.
PATTERNS = ["unstructured", "block(1,1)", "block(1,4)", "block(4,1)", "block(4,4)", "block(8,1)", "block(2,3)",
            "2:4", "4:8", "3:8"]


def sparse_weight(rng, m, k, pattern, sparsity):
    """A random (m, k) weight pruned to ``pattern`` at ``sparsity``, in its format."""
    w = random_f32(rng, (m, k))
    p = parse_pattern(pattern, "test")
    if p.kind != "nm":
        w = compress.prune(w, sparsity, p)
    else:
        w = compress.prune(w, None, p)
    return to_sparse(w, p)


def check_spmm(w, x, backend, bias=None, activation=None):
    out = sentinel_like((w.shape[0],) + x.shape[1:])
    result = pk.ops.spmm(w, x, bias, activation, out=out, backend=backend)
    assert result is out
    assert_close(out, ref.spmm(w, x, bias, activation), ref.spmm(w, x, bias, activation, dtype=np.float32),
                 what=f"{backend} {w!r} x{x.shape}")


# --- formats ---------------------------------------------------------------------

@pytest.mark.parametrize("pattern", PATTERNS)
def test_format_round_trips(rng, pattern):
    w = sparse_weight(rng, 24, 48, pattern, 0.7)
    dense = w.to_dense()
    again = to_sparse(dense, pattern)
    np.testing.assert_array_equal(again.to_dense(), dense)


def test_from_scipy():
    sp = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(0)
    d = compress.prune(random_f32(rng, (16, 24)), 0.8)
    coo = sp.coo_matrix(d)
    dup = sp.coo_matrix((np.r_[coo.data, 1.0], (np.r_[coo.row, 0], np.r_[coo.col, 0])), shape=d.shape)
    expected = dup.toarray().astype(np.float32)
    np.testing.assert_array_equal(CSRMatrix.from_scipy(dup).to_dense(), expected)
    np.testing.assert_array_equal(BSRMatrix.from_scipy(sp.csr_matrix(d), (4, 4)).to_dense(), d)
    np.testing.assert_array_equal(BSRMatrix.from_scipy(sp.bsr_matrix(d, blocksize=(2, 8))).to_dense(), d)
    nm = compress.prune(d, None, "2:4")
    np.testing.assert_array_equal(NMMatrix.from_scipy(sp.csr_matrix(nm)).to_dense(), nm)
    with pytest.raises(TypeError, match="scipy.sparse"):
        CSRMatrix.from_scipy(d)


@pytest.mark.parametrize("args,message", [
    (((2, 3), [0, 2, 1], [0, 1], [1, 2]), "non-decreasing"),
    (((2, 3), [1, 1, 2], [0, 1], [1, 2]), "start at 0"),
    (((2, 3), [0, 1, 3], [0, 1], [1, 2]), "nnz"),
    (((2, 3), [0, 1, 2], [0, 3], [1, 2]), "out of range"),
    (((2, 3), [0, 1, 2], [0, -1], [1, 2]), "out of range"),
    (((2, 3), [0, 2, 2], [1, 1], [1, 2]), "strictly increasing"),
    (((2, 3), [0, 2, 2], [2, 0], [1, 2]), "strictly increasing"),
    (((2, 3), [0, 1], [0], [1]), "3 entries"),
    (((2, 3), [0, 1, 2], [0, 1], [1]), "one value per index"),
    (((-1, 3), [0], [], []), "non-negative"),
])
def test_csr_rejects_malformed(args, message):
    with pytest.raises(ValueError, match=message):
        CSRMatrix(*args)


def test_bsr_and_nm_reject_malformed():
    with pytest.raises(ValueError, match="multiple of the block"):
        BSRMatrix((6, 8), (4, 4), [0, 0], [], np.zeros((0, 4, 4)))
    with pytest.raises(ValueError, match="expected"):
        BSRMatrix((4, 8), (4, 4), [0, 1], [0], np.zeros((1, 4, 2)))
    with pytest.raises(ValueError, match="out of range"):
        BSRMatrix((4, 8), (4, 4), [0, 1], [2], np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        NMMatrix((1, 4), 2, 4, [[1, 2]], [[0, 4]])
    with pytest.raises(ValueError, match="strictly increasing"):
        NMMatrix((1, 4), 2, 4, [[1, 2]], [[2, 2]])
    with pytest.raises(ValueError, match="multiple of m"):
        NMMatrix((1, 6), 2, 4, [[1, 2]], [[0, 1]])
    with pytest.raises(ValueError, match="more than n"):
        NMMatrix.from_dense(np.ones((2, 8), np.float32))
    with pytest.raises(TypeError, match="integer"):
        CSRMatrix((1, 2), [0.0, 1.0], [0], [1.0])
    with pytest.raises(ValueError, match="unknown pattern"):
        parse_pattern("blocky", "test")


# --- spmm on every backend -------------------------------------------------------

# (m, k, n) hitting panel edges (8, 16, 24, 32 wide, +-1), a single column, primes and
# the N:M lockstep tile of 3 rows (m = 24 + 1, 25 + 2) and 2:4's steps of two groups
# (k = 36: nine groups, the last one alone).
SHAPES = [(8, 8, 1), (24, 16, 7), (16, 8, 33), (40, 24, 17), (8, 40, 64), (48, 32, 24), (25, 64, 31), (104, 96, 100),
          (20, 36, 13)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_spmm_matches_reference(rng, backend, pattern):
    for i, (m, k, n) in enumerate(SHAPES):
        r, c = (parse_pattern(pattern, "t").a, parse_pattern(pattern, "t").b)
        if pattern.startswith("block") and (m % r or k % c):
            continue
        if ":" in pattern and k % c:
            continue
        sparsity = (0.0, 0.5, 0.9, 0.97)[i % 4]
        w = sparse_weight(rng, m, k, pattern, sparsity)
        x = random_f32(rng, (k, n))
        bias = random_f32(rng, m) if i % 2 else None
        check_spmm(w, x, backend, bias, ("relu", None, "gelu", "sigmoid", "tanh")[i % 5])


@pytest.mark.parametrize("backend", BACKENDS)
def test_spmm_edges(rng, backend):
    m, k = 24, 32
    for w in (CSRMatrix.from_dense(np.zeros((m, k))), BSRMatrix.from_dense(np.zeros((m, k)), (4, 4)),
              NMMatrix.from_dense(np.zeros((m, k)))):  # all-zero: bias only
        check_spmm(w, random_f32(rng, (k, 9)), backend, random_f32(rng, m), "relu")
    d = random_f32(rng, (m, k))
    d[[0, 5, 6, 23]] = 0.0  # empty rows, first and last included
    for w in (CSRMatrix.from_dense(d), BSRMatrix.from_dense(d, (1, 1)), BSRMatrix.from_dense(d, (1, 4))):
        check_spmm(w, random_f32(rng, (k, 40)), backend, random_f32(rng, m))
    dense = CSRMatrix.from_dense(random_f32(rng, (m, k)))  # 100% dense
    x = random_f32(rng, (k, 50))
    check_spmm(dense, x, backend)
    check_spmm(dense, x[:, 0].copy(), backend)  # 1-D x: a single column
    check_spmm(dense, x.T.copy().T, backend)  # transposed view (column-major)
    check_spmm(dense, x[::-1][::-1], backend)
    check_spmm(dense, x[:, ::-2], backend)  # negative column stride
    check_spmm(dense, x[:, :0], backend)  # n = 0
    check_spmm(CSRMatrix.from_dense(np.zeros((0, k))), x, backend)  # m = 0
    empty_k = CSRMatrix.from_dense(np.zeros((m, 0)))
    check_spmm(empty_k, np.zeros((0, 5), np.float32), backend, random_f32(rng, m), "sigmoid")


def test_spmv_row_lengths_and_strides(rng):
    # CSR against one column runs the SpMV kernel: rows of 0 .. 40 nonzeros cover the
    # 16-wide loop, the 8-wide step and every masked tail; x strided or reversed.
    k = 48
    d = np.zeros((41, k), np.float32)
    for i in range(41):
        d[i, rng.choice(k, size=i, replace=False)] = rng.uniform(-1, 1, i)
    w = CSRMatrix.from_dense(d)
    x = random_f32(rng, (2 * k, 3))
    for column in (x[:k, :1], x[::2, 1], x[::-2, 2], x[:k, 0].copy()):
        for backend in BACKENDS:
            check_spmm(w, column, backend, random_f32(rng, 41), "tanh")
    assert pk.cpu.spmm.kernel_name(w, 1).startswith("spmv_f32_csr_")


@pytest.mark.parametrize("pattern", ["unstructured", "block(4,4)", "2:4"])
def test_spmm_threads_agree(rng, pattern):
    # 768 x 768 at 50% (~300k values): two threads even on one column. n = 300 and 40:
    # threads take whole panels (of 24 or 32 columns, the last ragged), each packed by
    # its thread; n = 20 and 1: one panel, threads take pieces of rows (CSR at n = 1: the
    # SpMV kernel, rows split by values).
    w = sparse_weight(rng, 768, 768, pattern, 0.5)
    before = pk.get_num_threads()
    try:
        for n in (300, 40, 20, 1):
            x = random_f32(rng, (768, n))
            bias = random_f32(rng, 768)
            pk.set_num_threads(1)
            one = pk.ops.spmm(w, x, bias, "relu", backend="cpu")
            pk.set_num_threads(2)
            check_spmm(w, x, "cpu", bias, "relu")
            two = pk.ops.spmm(w, x, bias, "relu", backend="cpu")
            np.testing.assert_array_equal(one, two)  # each row: the same sums in the same order
    finally:
        pk.set_num_threads(before)


def test_spmm_bad_input(rng):
    w = sparse_weight(rng, 8, 16, "unstructured", 0.5)
    x = random_f32(rng, (16, 4))
    with pytest.raises(TypeError, match="sparse matrix"):
        pk.ops.spmm(w.to_dense(), x)
    with pytest.raises(TypeError, match="float32"):
        pk.ops.spmm(w, x.astype(np.float64))
    with pytest.raises(ValueError, match="expects 16"):
        pk.ops.spmm(w, x[:15])
    with pytest.raises(ValueError, match=r"expected \(8,\)"):
        pk.ops.spmm(w, x, np.zeros(7, np.float32))
    with pytest.raises(ValueError, match="unknown activation"):
        pk.ops.spmm(w, x, activation="softmax")
    with pytest.raises(ValueError, match="out has shape"):
        pk.ops.spmm(w, x, out=np.empty((8, 5), np.float32))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        pk.ops.spmm(w, x[None])


def test_portable_isa_fallback():
    code = (
        "import numpy as np, pykernels as pk; from pykernels import _C, compress\n"
        "from pykernels.formats import to_sparse; from pykernels.reference import spmm as ref\n"
        "from pykernels.testing import assert_close\n"
        "assert _C.cpu_info()['isa'] == 'portable'\n"
        "rng = np.random.default_rng(0)\n"
        "for pattern in ['unstructured', 'block(4,4)', '2:4']:\n"
        "    d = rng.uniform(-1, 1, (40, 64)).astype(np.float32)\n"
        "    w = to_sparse(compress.prune(d, 0.5 if ':' not in pattern else None, pattern), pattern)\n"
        "    x = rng.uniform(-1, 1, (64, 37)).astype(np.float32); b = rng.uniform(-1, 1, 40).astype(np.float32)\n"
        "    assert_close(pk.ops.spmm(w, x, b, 'relu'), ref.spmm(w, x, b, 'relu'), ref.spmm(w, x, b, 'relu', dtype=np.float32))\n"
        "    x1 = x[:, :1]\n"
        "    assert_close(pk.ops.spmm(w, x1, b), ref.spmm(w, x1, b), ref.spmm(w, x1, b, dtype=np.float32))\n"
        "print('ok', pk.cpu.spmm.kernel_name(w, 37))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir(),
                            env=dict(os.environ, PYKERNELS_ISA="portable"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok spmm_f32_nm_portable")


# --- layers and dispatch ------------------------------------------------------------

@pytest.mark.parametrize("pattern", ["unstructured", "block(4,4)", "2:4"])
def test_sparse_dense_matches_dense(rng, pattern):
    x = random_f32(rng, (2, 5, 64))
    dense = Dense(32, activation="tanh")
    dense(x)
    compress.prune(dense, 0.8 if ":" not in pattern else None, pattern)
    ref64, ref32 = (ref_gemm.linear(x, dense.kernel.T, dense.bias, "tanh", dtype=t) for t in (np.float64, np.float32))
    for dispatch in ("sparse", "dense", "auto"):
        layer = SparseDense.from_dense(dense, pattern, dispatch)
        assert_close(layer(x), ref64, ref32, what=dispatch)
    assert layer.decision is not None and layer.decision in sparse_dispatch.decisions()
    assert layer.decision.speedup > 0 and layer.decision.n == 10
    assert "sparse" in str(layer.decision) or "dense" in str(layer.decision)


def test_sparse_dense_set_weights_rebuilds(rng):
    layer = SparseDense(8, dispatch="sparse")
    x = random_f32(rng, (3, 16))
    layer(x)
    kernel = compress.prune(random_f32(rng, (16, 8)), 0.5)
    layer.set_weights([kernel, np.ones(8)])
    np.testing.assert_allclose(layer(x), x @ kernel + 1, rtol=1e-5, atol=1e-5)
    assert SparseDense.from_config(layer.get_config()).pattern == layer.pattern
    with pytest.raises(ValueError, match="channel"):
        SparseDense(4, pattern="channel")
    with pytest.raises(ValueError, match="dispatch"):
        SparseDense(4, dispatch="maybe")


@pytest.mark.parametrize("data_format,strides", [("channels_last", 1), ("channels_first", 2)])
def test_sparse_conv1x1(rng, data_format, strides):
    layer = SparseConv2D(12, strides=strides, activation="relu", data_format=data_format, pattern="block(4,1)",
                         dispatch="sparse")
    x = random_f32(rng, (2, 16, 5, 7) if data_format == "channels_first" else (2, 5, 7, 16))
    layer.build(x.shape)
    layer.set_weights([compress.prune(layer.kernel, 0.5), random_f32(rng, 12)])
    y = layer(x)
    k = layer.kernel[0, 0]
    if data_format == "channels_last":
        expected = np.maximum(x @ k + layer.bias, 0)
    else:
        expected = np.maximum(np.einsum("nchw,cf->nfhw", x[:, :, ::2, ::2], k) + layer.bias[:, None, None], 0)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    assert y.shape == layer.compute_output_shape(x.shape)


# --- sparse convolution --------------------------------------------------------------

CONV_BACKENDS = backends_of("conv2d_sparse")


def check_conv_sparse(rng, backend, x_shape, oc, kernel, pattern, sparsity=0.8, stride=1, padding="same",
                      dilation=1, activation="relu", bias=True):
    from pykernels.reference import conv as ref_conv
    from pykernels.geometry import padding as pads_of
    x = random_f32(rng, x_shape)
    w = sparse_weight(rng, oc, kernel[0] * kernel[1] * x_shape[-1], pattern, sparsity)
    b = random_f32(rng, oc) if bias else None
    pads = pads_of(padding, "test", x_shape[1:3], kernel, (stride, stride), (dilation, dilation))
    oihw = w.to_dense().reshape(oc, *kernel, -1).transpose(0, 3, 1, 2)
    args = (oihw, b, (stride, stride), pads, (dilation, dilation), 1, activation)
    expected64, expected32 = ref_conv.conv2d(x, *args), ref_conv.conv2d(x, *args, dtype=np.float32)
    out = sentinel_like(expected64.shape)
    result = pk.ops.conv2d_sparse(x, w, kernel, b, stride, padding, dilation, activation,
                                  data_format="channels_last", out=out, backend=backend)
    assert result is out
    assert_close(out, expected64, expected32, what=f"{backend} {w!r} x{x_shape} k{kernel}")


# (x NHWC, out channels, kernel, pattern, stride, padding, dilation): 1x1, 3x3 same, strided,
# dilated, non-square, a pixel count off the 8-pixel packer blocks, one input channel, a
# prime channel count, and N:M over taps.
CONV_CASES = [((2, 5, 7, 16), 12, (1, 1), "block(4,1)", 2, "valid", 1),
              ((1, 8, 8, 16), 32, (3, 3), "unstructured", 1, "same", 1),
              ((3, 9, 7, 5), 13, (3, 3), "unstructured", 2, 1, 1),
              ((1, 11, 10, 8), 24, (3, 3), "block(4,4)", 1, "valid", 2),
              ((2, 6, 9, 4), 8, (2, 3), "2:4", 1, "same", 1),
              ((4, 8, 8, 1), 16, (3, 3), "unstructured", 1, "same", 1),
              ((1, 13, 13, 8), 5, (5, 5), "4:8", 1, 2, 1),
              ((1, 3, 3, 8), 8, (3, 3), "block(8,1)", 1, "same", 1)]


@pytest.mark.parametrize("backend", CONV_BACKENDS)
@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[2][0]}x{c[2][1]}-{c[3]}")
def test_conv2d_sparse_matches_reference(rng, backend, case):
    x_shape, oc, kernel, pattern, stride, padding, dilation = case
    check_conv_sparse(rng, backend, x_shape, oc, kernel, pattern, stride=stride, padding=padding, dilation=dilation)


@pytest.mark.parametrize("backend", CONV_BACKENDS)
def test_conv2d_sparse_edges(rng, backend):
    check_conv_sparse(rng, backend, (0, 5, 5, 4), 8, (3, 3), "unstructured")  # batch 0
    check_conv_sparse(rng, backend, (1, 6, 6, 4), 8, (3, 3), "unstructured", sparsity=1.0)  # all zero: bias only
    check_conv_sparse(rng, backend, (1, 6, 6, 4), 8, (3, 3), "unstructured", sparsity=0.0, bias=False)  # dense
    check_conv_sparse(rng, backend, (1, 1, 1, 3), 1, (1, 1), "unstructured", activation=None)  # one pixel
    check_conv_sparse(rng, backend, (2, 17, 3, 6), 9, (3, 1), "unstructured", activation="sigmoid")  # 51 pixels


def test_conv2d_sparse_channels_first_and_bad_input(rng):
    x = random_f32(rng, (2, 6, 6, 4))
    w = sparse_weight(rng, 8, 36, "unstructured", 0.7)
    nhwc = pk.ops.conv2d_sparse(x, w, 3, padding="same", data_format="channels_last")
    nchw = pk.ops.conv2d_sparse(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), w, 3, padding="same")
    np.testing.assert_allclose(nchw, nhwc.transpose(0, 3, 1, 2), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="expected kh \\* kw \\* in_channels"):
        pk.ops.conv2d_sparse(x, w, 2, data_format="channels_last")
    with pytest.raises(TypeError, match="sparse matrix"):
        pk.ops.conv2d_sparse(x, w.to_dense(), 3, data_format="channels_last")
    with pytest.raises(ValueError, match="bias"):
        pk.ops.conv2d_sparse(x, w, 3, np.zeros(7, np.float32), data_format="channels_last")
    with pytest.raises(TypeError):
        pk.ops.conv2d_sparse(x.astype(np.float64), w, 3, data_format="channels_last")
    with pytest.raises(ValueError, match="exceeds|window"):
        pk.ops.conv2d_sparse(x[:, :2], w, 3, data_format="channels_last")


@pytest.mark.parametrize("pattern,data_format", [("unstructured", "channels_last"), ("2:4", "channels_first")])
def test_sparse_conv_kxk_layer(rng, pattern, data_format):
    from pykernels.layers import Conv2D
    dense = Conv2D(16, 3, padding="same", activation="relu", data_format=data_format)
    x = random_f32(rng, (3, 8, 7, 8) if data_format == "channels_last" else (3, 8, 8, 7))
    dense(x)
    compress.prune(dense, None if ":" in pattern else 0.8, pattern)
    for dispatch in ("sparse", "auto"):
        sparse = SparseConv2D.from_conv(dense, pattern, dispatch)
        np.testing.assert_allclose(sparse(x), dense(x), rtol=1e-5, atol=1e-5)
        assert sparse(x).shape == sparse.compute_output_shape(x.shape)
    info = sparse.profile_info()
    assert info["format"] == sparse.sparse_weight.label and info["bits"] == 32
    assert abs(info["sparsity"] - (0.8 if pattern == "unstructured" else 0.5)) < 0.01
    assert "measured" in info["why"] and ("faster" in info["why"] or "slower" in info["why"])
    equivalent = sparse.float_equivalent()
    assert isinstance(equivalent, Conv2D)
    np.testing.assert_array_equal(equivalent(x), dense(x))
    again = SparseConv2D.from_config(sparse.get_config())
    assert again.kernel_size == (3, 3) and again.padding == "same"


def test_sparse_dense_profile(rng):
    layer = SparseDense(8, activation="relu", dispatch="sparse")
    x = random_f32(rng, (4, 16))
    layer(x)
    assert "forced" in layer.profile_info()["why"]
    assert isinstance(layer.float_equivalent(), Dense)
    np.testing.assert_allclose(layer.float_equivalent()(x), layer(x), rtol=1e-6, atol=1e-6)
    profile = pk.profile(Sequential([layer]), x, repeat=2)
    row = profile.layers[0]
    assert row.dense_seconds is not None and row.sparsity is not None
    assert row.flops == 2 * layer.sparse_weight.nnz * 4


# --- pruning ------------------------------------------------------------------------

def test_prune_exact_counts_and_patterns(rng):
    w = random_f32(rng, (16, 32))
    p = compress.prune(w, 0.75)
    assert np.count_nonzero(p) == 128 and np.abs(p[p != 0]).min() >= np.abs(w[p == 0]).max()
    blocks = compress.prune(w, 0.5, "block(4,4)")
    assert BSRMatrix.from_dense(blocks, (4, 4)).indices.size == 16
    nm = compress.prune(w, None, "2:4")
    assert (np.count_nonzero(nm.reshape(16, -1, 4), axis=2) == 2).all()
    ch = compress.prune(w, 0.25, "channel")
    assert (~ch.any(axis=1)).sum() == 4
    g = compress.prune({"a": w, "b": 10 * w, "bias": np.ones(3)}, 0.5, scope="global")
    assert compress.sparsity_of(g["a"]) > 0.9 and compress.sparsity_of(g["b"]) < 0.1
    np.testing.assert_array_equal(g["bias"], np.ones(3))
    assert compress.prune(w, 0.0) is not w and np.array_equal(compress.prune(w, 0.0), w)
    with pytest.raises(ValueError, match="fixes the sparsity"):
        compress.prune(w, 0.6, "2:4")
    with pytest.raises(ValueError, match="scope"):
        compress.prune(w, 0.5, scope="model")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        compress.prune(w, 1.5)


def test_prune_model_and_channel_shrink(rng):
    model = Sequential([Dense(32, activation="relu"), Dense(16, activation="relu"), Dense(4)])
    x = random_f32(rng, (6, 10))
    model(x)
    compress.prune(model, 0.8, scope="global")
    total = sum(layer.kernel.size for layer in model.layers)
    zeros = sum(layer.kernel.size - np.count_nonzero(layer.kernel) for layer in model.layers)
    assert zeros == round(0.8 * total)
    model = Sequential([Dense(32, activation="relu"), Dense(16, activation="relu"), Dense(4)])
    model(x)
    compress.prune(model, 0.5, "channel")  # zeroing would equal removal: compare
    small = compress.prune(model, 0.5, "channel")
    assert [layer.kernel.shape for layer in small.layers] == [(10, 16), (16, 8), (8, 4)]
    zeroed = model
    for layer in zeroed.layers[:-1]:
        keep = np.abs(layer.kernel).mean(axis=0).argsort(kind="stable")[layer.units // 2:]
        mask = np.zeros(layer.units, bool)
        mask[keep] = True
        layer.kernel[:, ~mask] = 0
        layer.bias[~mask] = 0
    np.testing.assert_allclose(small(x), zeroed(x), rtol=1e-5, atol=1e-5)


def test_schedules_match_tfmot():
    s = compress.PolynomialDecay(0.2, 0.8, begin_step=100, end_step=1100, power=3, frequency=50)
    assert s(100) == (True, pytest.approx(0.2))
    assert s(600) == (True, pytest.approx(0.8 - 0.6 * 0.5 ** 3))
    assert s(1100) == (True, pytest.approx(0.8))
    assert s(1150) == (False, pytest.approx(0.8))
    assert s(99)[0] is False and s(125)[0] is False and s(99)[1] == pytest.approx(0.2)
    c = compress.ConstantSparsity(0.5, begin_step=10, frequency=5)
    assert c(10) == (True, 0.5) and c(13) == (False, 0.5) and c(10 ** 6) == (True, 0.5)
    with pytest.raises(ValueError, match="end_step"):
        compress.PolynomialDecay(0.0, 0.5, 10, 10)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        compress.ConstantSparsity(1.0, 0)
    with pytest.raises(ValueError, match="begin_step"):
        compress.ConstantSparsity(0.5, -1)


def test_mask_import_torch_and_tfmot(rng):
    torch = pytest.importorskip("torch")
    prune = pytest.importorskip("torch.nn.utils.prune")
    lin = torch.nn.Linear(16, 8)
    prune.l1_unstructured(lin, "weight", amount=0.75)
    weights, masks = compress.from_torch_prune(lin.state_dict())
    np.testing.assert_array_equal(weights["weight"], lin.weight.detach().numpy())
    assert masks["weight"].sum() == 32 and "bias" in weights
    w = random_f32(rng, (16, 8))
    mask = (np.abs(w) > 0.5).astype(np.float32)
    variables = {"prune_low_magnitude_dense/kernel:0": w, "prune_low_magnitude_dense/mask:0": mask,
                 "prune_low_magnitude_dense/threshold:0": np.float32(0.5),
                 "prune_low_magnitude_dense/pruning_step:0": np.int64(7),
                 "prune_low_magnitude_dense/bias:0": np.zeros(8, np.float32)}
    weights, masks = compress.from_tfmot(variables)
    assert sorted(weights) == ["dense/bias", "dense/kernel"]
    np.testing.assert_array_equal(weights["dense/kernel"], w * mask)
    with pytest.raises(ValueError, match="only 0 and 1"):
        compress.from_tfmot({"d/kernel:0": w, "d/mask:0": 2 * mask})


def test_strip(rng):
    x = random_f32(rng, (3, 12))
    model = Sequential([SparseDense(8, activation="relu", dispatch="sparse"), Dense(2)])
    expected = model(x)
    dense = compress.strip(model)
    assert type(dense.layers[0]) is Dense
    np.testing.assert_allclose(dense(x), expected, rtol=1e-6, atol=1e-6)
    w = sparse_weight(rng, 8, 8, "unstructured", 0.5)
    np.testing.assert_array_equal(compress.strip(w), w.to_dense())


def test_channel_pruning_shrinks_conv_layers(rng):
    from pykernels.layers import Conv2D, Flatten, MaxPooling2D
    model = Sequential([Conv2D(8, 3, padding="same", activation="relu"), MaxPooling2D(2),
                        Conv2D(16, 3, padding="same", activation="relu"), Flatten(), Dense(12, activation="relu"),
                        Dense(3)])
    x = random_f32(rng, (4, 6, 6, 3))
    model(x)
    small = compress.prune(model, 0.5, "channel")
    assert [layer.kernel.shape for layer in small.layers if layer.weights] == \
        [(3, 3, 3, 4), (3, 3, 4, 8), (72, 6), (6, 3)]
    for i in (0, 2, 4):  # zero the same filters / units in the original: equal outputs
        layer = model.layers[i]
        scores = np.abs(layer.kernel).reshape(-1, layer.kernel.shape[-1]).mean(axis=0)
        drop = scores.argsort(kind="stable")[:layer.kernel.shape[-1] // 2]
        layer.kernel[..., drop] = 0
        layer.bias[drop] = 0
    np.testing.assert_allclose(small(x), model(x), rtol=1e-5, atol=1e-5)
