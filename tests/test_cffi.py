"""pykernels.cffi: the C ABI from plain Python and from users' @numba.njit code."""
import re
from pathlib import Path

import numba
import numpy as np
import pytest

import pykernels.cffi as pkc
from pykernels.cffi import PK_ACT_NONE, PK_ACT_RELU, PK_BIAS_COL, PK_BIAS_NONE, PK_BIAS_ROW, ffi, pk_sgemm
from pykernels.reference.gemm import gemm as ref_gemm
from pykernels.testing import assert_close, sentinel_like

HEADER = Path(__file__).resolve().parents[1] / "csrc" / "include" / "pykernels.h"


@numba.njit
def njit_linear(x, w, bias, out, activation):
    """out = act(x @ w.T + bias) through pk_sgemm, C-contiguous arrays, w of shape (n, k).

    w.T is described by strides (row stride 1, column stride k): no copy, no transpose.
    """
    m, k = x.shape
    n = w.shape[0]
    return pk_sgemm(m, n, k, ffi.from_buffer(x), k, 1, ffi.from_buffer(w), 1, k,
                    ffi.from_buffer(out), n, ffi.from_buffer(bias), PK_BIAS_COL, activation, 0)


@pytest.mark.parametrize("m, n, k", [(1, 1, 1), (7, 17, 33), (64, 48, 100)])
def test_njit_calls_sgemm(m, n, k):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    out = sentinel_like((m, n))
    assert njit_linear(x, w, bias, out, PK_ACT_RELU) == pkc.PK_OK
    ref = [ref_gemm(x, w.T, bias, 1, "relu", dtype=d) for d in (np.float64, np.float32)]
    assert_close(out, *ref, what="pk_sgemm from njit")


def test_njit_error_code_and_message():
    one = np.ones((1, 1), np.float32)
    assert njit_linear(one, one, one[0], one.copy(), 99) == pkc.PK_ERR_ARGUMENT
    assert pkc.last_error() == "pk_sgemm: unknown activation 99"


def ptr(array):
    """A float* to an array's data, as plain-Python cffi wants it."""
    return ffi.from_buffer("float[]", array)


def test_plain_python_call_with_row_bias_and_null():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32)
    c = sentinel_like((5, 4))
    assert pk_sgemm(5, 4, 3, ptr(a), 3, 1, ptr(b), 4, 1, ptr(c), 4, ptr(bias), PK_BIAS_ROW, PK_ACT_NONE, 0) == pkc.PK_OK
    assert_close(c, ref_gemm(a, b, bias, 0), ref_gemm(a, b, bias, 0, dtype=np.float32), what="pk_sgemm row bias")
    before = c.copy()
    assert pk_sgemm(5, 4, 3, ptr(a), 3, 1, ptr(b), 4, 1, ptr(c), 4, ffi.NULL, PK_BIAS_NONE, PK_ACT_NONE, 1) == pkc.PK_OK
    assert_close(c, ref_gemm(a, b, c=before), ref_gemm(a, b, c=before, dtype=np.float32), what="pk_sgemm accumulate")


def test_negative_size_is_an_argument_error():
    status = pk_sgemm(-1, 2, 3, ffi.NULL, 3, 1, ffi.NULL, 2, 1, ffi.NULL, 2, ffi.NULL, PK_BIAS_NONE, PK_ACT_NONE, 0)
    assert status == pkc.PK_ERR_ARGUMENT
    assert pkc.last_error() == "pk_sgemm: negative size (m=-1, n=2, k=3)"


def test_every_header_function_and_constant_is_exposed():
    text = HEADER.read_text()
    functions = set(re.findall(r"PK_API [^;]*?\b(pk_\w+)\(", text))
    constants = set(re.findall(r"#define (PK_(?!API)\w+)", text))
    assert {"pk_sgemm", "pk_last_error"} <= functions and "PK_ERR_ARGUMENT" in constants
    assert functions | constants <= set(pkc.__all__)
    assert all(getattr(pkc, name) == getattr(pkc.lib, name) for name in constants)
