"""Fuzz harnesses: random bytes -> calls of the public API (and of the native bindings).

Each harness takes a ``ByteSource`` and makes one call from it. Whatever the bytes, the
call may only return a correct result or raise TypeError, ValueError or OverflowError;
anything else (another exception, a crash, a sanitizer report) is a bug.

- ``ops``: every op of op_table.OPS on every backend: sizes within and outside the
  spec, wrong shapes, dtypes, layouts, junk parameters, ``out=``; tame inputs that pass
  validation are checked against the reference.
- ``layers``: Dense, Activation, Flatten, Sequential and every family's layers (conv,
  pooling, LSTM, Embedding, LayerNormalization, attention, sparse, quantized): junk
  configurations, inputs of any dtype and shape, set_weights, predict, serialization.
- ``native``: the pybind11 functions of pykernels._C called directly with arrays of any
  dtype, rank, strides (negative, zero, misaligned) and flags, and out-of-range codes:
  the C++ side must check again what it relies on.

A new op is fuzzed by adding it to op_table.OPS; a new native entry point by adding a
function to NATIVE.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: op_table, conftest

import pykernels as pk  # noqa: E402
from pykernels import _C  # noqa: E402
from pykernels.formats.int8_weights import Int8Weights  # noqa: E402
from pykernels.testing import assert_close  # noqa: E402

from conftest import backends_of  # noqa: E402
from op_table import LAYOUTS, OPS  # noqa: E402

ALLOWED = (TypeError, ValueError, OverflowError)
SMALL = 12  # most sizes stay below this: fast calls, more of them
DTYPES = (np.float64, np.float16, np.int32, np.uint8, np.bool_, np.complex64, object, "U2")
# Junk for parameters. No large sizes that are merely big (2**31 units would be a real
# 48 GiB request, a MemoryError): only ones whose byte count overflows (2**70).
JUNK = (None, "", "relu", "softmax", "linear", "Relu", -1, 0, 1, 2, 2**70, -2**63, 1.5, float("nan"), True,
        np.int64(1), np.float32(0), [1], (0,), b"relu", {})


def shape_of(src, rank_max=4, dim_max=6) -> tuple:
    return tuple(src.int(0, dim_max) for _ in range(src.int(0, rank_max)))


def array(src, shape, tame: bool, flags: list) -> object:
    """A float32 array of ``shape``, maybe (recorded in ``flags``) made invalid or oddly laid out."""
    return mutate(src, src.float32s(int(np.prod(shape)), tame).reshape(shape), flags)


def mutate(src, x: np.ndarray, flags: list) -> object:
    """``x``, maybe (recorded in ``flags``) of another dtype, not an array, or in an odd layout."""
    pick = src.int(0, 31)
    if pick == 0:
        flags.append("dtype")
        dtype = src.choice(DTYPES)
        with np.errstate(all="ignore"):
            return x.astype(dtype) if dtype != "U2" else x.astype(str).astype("U2")
    if pick == 1:
        flags.append("not an array")
        return src.choice((x.tolist(), None, 1.0, np.float32(1.0), "x"))
    if pick < 12 and x.size:
        return LAYOUTS[src.choice(list(LAYOUTS))](x)
    return x


# --- ops ----------------------------------------------------------------------------------
def fuzz_ops(src) -> None:
    spec = src.choice(OPS)
    backend = src.choice(["auto", "reference", *backends_of(spec.kernel)] + ["gpu"] * src.chance(16))
    flags = [] if backend != "gpu" else ["backend"]
    wide = src.chance(16)
    sizes = {name: src.int(low, high if wide else min(high, max(low, SMALL))) for name, (low, high) in
             spec.sizes.items()}
    shapes = list(spec.shapes(**sizes))
    if src.chance(8):
        flags.append("shape")
        shapes[src.int(0, len(shapes) - 1)] = shape_of(src)
    tame = src.chance(2)
    values = [src.float32s(int(np.prod(shape)), tame).reshape(shape) for shape in shapes]
    values = spec.prepared(values, np.random.default_rng(src.int(0, 255)))  # ids, integer codes, pruned weights
    arrays = [mutate(src, x, flags) for x in values]
    params = {}
    for name, choices in spec.params.items():
        if src.chance(8):
            flags.append("param")
            params[name] = src.choice(JUNK)
        else:
            params[name] = src.choice(choices)
    kw = dict(params, backend=backend)
    if spec.out and src.chance(4):
        flags.append("out")  # the result is checked by the bad-input matrix; here only the contract
        kw["out"] = array(src, shape_of(src) if src.chance(2) else _expected_shape(spec, sizes, params), tame, [])
        if isinstance(kw["out"], np.ndarray) and kw["out"].base is None and src.chance(4):
            kw["out"].flags.writeable = False
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in arrays]
    try:
        with np.errstate(all="ignore"):
            result = spec.call(*arrays, **kw)
    except ALLOWED:
        return
    assert isinstance(result, np.ndarray) and (spec.exact or result.dtype == np.float32), type(result)
    for name, now, then in zip(spec.args, arrays, before):
        if then is not None and now is not kw.get("out"):
            np.testing.assert_array_equal(now, then, err_msg=f"{spec.name} changed input {name}")
    if not flags and tame and spec.exact:
        np.testing.assert_array_equal(result, spec.expected(arrays, params)[0], err_msg=f"{spec.name} {backend}")
    elif not flags and tame:
        expected = [flush_subnormals(e) for e in spec.expected(arrays, params)]
        assert_close(flush_subnormals(result), *expected, what=f"{spec.name} {backend} {sizes} {params}")


def flush_subnormals(x) -> np.ndarray:
    """x in float64 with values below float32's normal range set to 0.

    The fuzzer's random sizes often put every output of a call deep in a tail (gelu of
    -13), where the policy's bound (2 ulp of the largest output) shrinks below float32's
    subnormal spacing; kernels that flush subnormal results to zero (as FTZ does) would
    fail it for no loss that matters. The property tests keep the strict policy.
    """
    x = np.array(x, np.float64)
    x[np.abs(x) < np.finfo(np.float32).tiny] = 0.0
    return x


def _expected_shape(spec, sizes, params):
    try:
        return spec.expected(spec.arrays(sizes), params)[0].shape
    except Exception:  # noqa: BLE001 - junk parameters: any shape will do
        return (1,)


# --- layers -------------------------------------------------------------------------------
def layer_input(src) -> object:
    shape = shape_of(src)
    x = src.float32s(int(np.prod(shape)), src.chance(2)).reshape(shape)
    pick = src.int(0, 15)
    if pick == 0:
        return x.tolist()
    if pick < 4:
        dtype = src.choice(DTYPES)
        with np.errstate(all="ignore"):
            return x.astype(dtype) if dtype != "U2" else x.astype(str)
    if pick < 8 and x.size:
        return LAYOUTS[src.choice(list(LAYOUTS))](x)
    return x


def small(src, low=1, high=6):
    """A small int, or (rarely) junk."""
    return src.int(low, high) if not src.chance(8) else src.choice(JUNK)


def some(src, choices):
    return src.choice(choices) if not src.chance(8) else src.choice(JUNK)


ACTIVATIONS = (None, "relu", "sigmoid", "tanh", "gelu")
PADDINGS = ("valid", "same", 0, 1)
FORMATS = ("channels_last", "channels_first")
# The other families' layers, each built from a few fuzzed choices (see make_layer).
FAMILY_LAYERS = (
    lambda src, b: pk.layers.Conv2D(small(src), small(src, 1, 3), strides=small(src, 1, 2),
                                    padding=some(src, PADDINGS), data_format=some(src, FORMATS),
                                    dilation_rate=small(src, 1, 2), groups=small(src, 1, 2),
                                    activation=some(src, ACTIVATIONS), backend=b),
    lambda src, b: pk.layers.DepthwiseConv2D(small(src, 1, 3), strides=small(src, 1, 2), padding=some(src, PADDINGS),
                                             depth_multiplier=small(src, 1, 2), data_format=some(src, FORMATS),
                                             backend=b),
    lambda src, b: pk.layers.MaxPooling2D(small(src, 1, 3), padding=some(src, PADDINGS),
                                          data_format=some(src, FORMATS), backend=b),
    lambda src, b: pk.layers.AveragePooling2D(small(src, 1, 3), padding=some(src, PADDINGS),
                                              data_format=some(src, FORMATS), backend=b),
    lambda src, b: pk.layers.GlobalAveragePooling2D(some(src, FORMATS), keepdims=some(src, (False, True)), backend=b),
    lambda src, b: pk.layers.LSTM(small(src), return_sequences=some(src, (False, True)),
                                  go_backwards=some(src, (False, True)), num_layers=small(src, 1, 2),
                                  bidirectional=some(src, (False, True)), backend=b),
    lambda src, b: pk.layers.Embedding(small(src, 1, 9), small(src), mask_zero=some(src, (False, True)), backend=b),
    lambda src, b: pk.layers.LayerNormalization(some(src, (1e-3, 0.0, -1.0)), center=some(src, (True, False)),
                                                backend=b),
    lambda src, b: pk.layers.MultiHeadAttention(small(src, 1, 3), small(src, 1, 4), backend=b),
    lambda src, b: pk.layers.TransformerEncoderLayer(small(src, 2, 4) * 2, small(src, 1, 2), small(src, 1, 8),
                                                     norm_first=some(src, (False, True)), backend=b),
    lambda src, b: pk.layers.SinusoidalPositionEmbedding(backend=b),
    lambda src, b: pk.layers.SparseDense(small(src), some(src, ACTIVATIONS), pattern=some(src, ("unstructured",
                                         "block(2,2)", "2:4")), dispatch=some(src, ("sparse", "dense")), backend=b),
    lambda src, b: pk.layers.QuantizedDense(
        Int8Weights.from_float(src.float32s(small(src, 1, 4) * 4, True).reshape(-1, 4)),
        activation=some(src, ACTIVATIONS), backend=b),
)


def make_layer(src, depth=0):
    backend = src.choice(("auto", "cpu", "numba", "reference", "gpu", 3))
    if src.chance(2):
        return src.choice(FAMILY_LAYERS)(src, backend)
    kind = src.int(0, 3 if depth == 0 else 2)
    if kind == 0:
        units = src.int(1, 9) if not src.chance(8) else src.choice(JUNK)
        activation = src.choice((None, "relu", "sigmoid", "tanh", "gelu", "softmax", "linear")) \
            if not src.chance(8) else src.choice(JUNK)
        use_bias = src.choice((True, False)) if not src.chance(8) else src.choice(JUNK)
        init = src.choice(("glorot_uniform", "he_uniform", "zeros", "ones")) if not src.chance(8) \
            else src.choice(JUNK)
        return pk.layers.Dense(units, activation, use_bias, kernel_initializer=init, backend=backend)
    if kind == 1:
        activation = src.choice((None, "relu", "sigmoid", "tanh", "gelu", "softmax")) if not src.chance(8) \
            else src.choice(JUNK)
        return pk.layers.Activation(activation, backend=backend)
    if kind == 2:
        return pk.layers.Flatten(backend=backend)
    return pk.layers.Sequential([make_layer(src, depth + 1) for _ in range(src.int(0, 3))],
                                backend=src.choice((None, "auto", "cpu", "numba")))


def fuzz_layers(src) -> None:
    try:
        layer = make_layer(src)
        for _ in range(src.int(1, 3)):
            action = src.int(0, 7)
            with np.errstate(all="ignore"):
                if action < 4:
                    result = layer(layer_input(src))
                    assert isinstance(result, np.ndarray) and result.dtype == np.float32, type(result)
                elif action == 4:
                    layer.set_weights([layer_input(src) for _ in range(src.int(0, 4))])
                elif action == 5 and isinstance(layer, pk.layers.Sequential):
                    result = layer.predict(layer_input(src), batch_size=src.choice((None, 1, 2, 5, 0, -1, 1.5)))
                    assert isinstance(result, np.ndarray) and result.dtype == np.float32, type(result)
                elif action == 6:
                    layer.count_params()
                    layer.get_weights()
                else:
                    try:
                        twin = pk.layers.deserialize(pk.layers.serialize(layer))
                    except NotImplementedError as e:  # documented: a config carries no int8 weights
                        assert "QuantizedDense" in str(e), e
                        continue
                    assert type(twin) is type(layer)
    except ALLOWED:
        return


# --- native bindings ----------------------------------------------------------------------
def native_array(src, dtype=np.float32, max_rank=3) -> object:
    """Any view numpy allows: rank 0-max_rank, steps of any sign, transposes, zero strides,
    misaligned; of ``dtype`` (values -4..4, so integer arrays hold small indices) or, rarely, another."""
    if src.chance(16):
        return src.choice((None, 1.0, [1.0, 2.0], "x"))
    rank = src.int(0, max_rank)
    base_shape = tuple(src.int(0, 9) for _ in range(rank))
    x = src.float32s(int(np.prod(base_shape)), True).reshape(base_shape)
    with np.errstate(all="ignore"):
        x = x.astype(src.choice(DTYPES[:-2]) if src.chance(8) else dtype)
    if rank:
        x = x[tuple(slice(None, None, src.choice((1, 1, 2, -1, -2))) for _ in range(rank))]
    if rank > 1 and src.chance(4):
        x = x.T
    pick = src.int(0, 15)
    if pick == 0 and x.size:
        x = misaligned(x)
    elif pick == 1 and rank and x.shape[0]:
        x = np.lib.stride_tricks.as_strided(x, shape=(src.int(1, 5),) + x.shape[1:], strides=(0,) + x.strides[1:],
                                            writeable=src.chance(2))
    elif pick == 2:
        x = x.copy()
        x.flags.writeable = False
    return x


def misaligned(x):
    view = np.zeros(x.nbytes + 1, np.uint8)[1:].view(x.dtype).reshape(x.shape)
    view[...] = x
    return view


def code(src, low, high):
    return src.int(low, high) if not src.chance(8) else src.choice((-1, 2**31 - 1, -2**31, 2**31, 2**40, 1.5, None))


def optional(src, make):
    return make() if src.chance(2) else None


def pair(src, low=0, high=4):
    return [code(src, low, high) for _ in range(2)]


def quad(src):
    return [code(src, 0, 3) for _ in range(4)]


def image(src):
    return native_array(src, max_rank=4)


def ints(src, dtype=np.int64):
    return native_array(src, dtype, max_rank=2)


NATIVE = {
    "sgemm": lambda src: _C.sgemm(native_array(src), native_array(src), native_array(src),
                                  native_array(src) if src.chance(2) else None, code(src, 0, 2), code(src, 0, 4),
                                  src.chance(2)),
    "activation_inplace": lambda src: _C.activation_inplace(native_array(src), code(src, 0, 4)),
    "softmax_rows": lambda src: _C.softmax_rows(native_array(src), native_array(src)),
    "conv2d_f32_nhwc": lambda src: _C.conv2d_f32_nhwc(
        image(src), image(src), image(src), optional(src, lambda: native_array(src)), pair(src, 1), quad(src),
        pair(src, 1), code(src, 1, 4), code(src, 0, 4)),
    "max_pool2d_f32_nhwc": lambda src: _C.max_pool2d_f32_nhwc(image(src), image(src), pair(src, 1), pair(src, 1),
                                                              quad(src)),
    "avg_pool2d_f32_nhwc": lambda src: _C.avg_pool2d_f32_nhwc(image(src), image(src), pair(src, 1), pair(src, 1),
                                                              quad(src), src.chance(2)),
    "global_avg_pool2d_f32_nhwc": lambda src: _C.global_avg_pool2d_f32_nhwc(image(src), native_array(src)),
    "quantize_f32": lambda src: _C.quantize_f32(native_array(src), native_array(src), ints(src, np.int32),
                                                code(src, 0, 2), code(src, -128, 0), code(src, 0, 255),
                                                native_array(src, src.choice((np.int8, np.uint8)))),
    "dequantize_f32": lambda src: _C.dequantize_f32(native_array(src, src.choice((np.int8, np.uint8))),
                                                    native_array(src), ints(src, np.int32), code(src, 0, 2),
                                                    native_array(src)),
    "requantize_s32": lambda src: _C.requantize_s32(native_array(src, np.int32), native_array(src, np.float64),
                                                    ints(src, np.int32), code(src, 0, 2), code(src, -128, 0),
                                                    code(src, 0, 255),
                                                    native_array(src, src.choice((np.int8, np.uint8)))),
    "int8_pack_b": lambda src: _C.int8_pack_b(native_array(src, np.int8)),
    "gemm_int8": lambda src: _C.gemm_int8(
        native_array(src, src.choice((np.uint8, np.int8, np.float32))), code(src, 0, 255),
        src.choice((None, 0.5, 1e-30, float("nan"))), code(src, 1, 255), native_array(src, np.int8),
        ints(src, np.int32), optional(src, lambda: ints(src, np.int32)), code(src, 1, 255),
        native_array(src, src.choice((np.int32, np.float32, np.uint8, np.int8))),
        optional(src, lambda: native_array(src)), optional(src, lambda: native_array(src)),
        optional(src, lambda: native_array(src, np.float64)), optional(src, lambda: ints(src, np.int32)),
        code(src, 0, 255), code(src, 0, 4)),
    "spmm_bsr_f32": lambda src: _C.spmm_bsr_f32(
        code(src, 0, 9), code(src, 0, 9), code(src, 1, 4), code(src, 1, 4), ints(src, np.int32), ints(src, np.int32),
        native_array(src), native_array(src), native_array(src), optional(src, lambda: native_array(src)),
        code(src, 0, 4)),
    "spmm_nm_f32": lambda src: _C.spmm_nm_f32(
        code(src, 0, 9), code(src, 0, 9), code(src, 1, 4), code(src, 1, 8), ints(src, np.uint8), native_array(src),
        native_array(src), native_array(src), optional(src, lambda: native_array(src)), code(src, 0, 4)),
    "lstm_layer": lambda src: _C.lstm_layer(
        native_array(src), native_array(src), native_array(src), native_array(src),
        optional(src, lambda: native_array(src)), optional(src, lambda: native_array(src)),
        optional(src, lambda: native_array(src)), optional(src, lambda: ints(src, np.int64)), src.chance(2),
        native_array(src), native_array(src), native_array(src)),
    "embedding": lambda src: _C.embedding(ints(src, np.int64), native_array(src), native_array(src)),
    "sdpa_f32": lambda src: _C.sdpa_f32(image(src), image(src), image(src), image(src),
                                        optional(src, lambda: native_array(src, src.choice((np.float32, np.bool_)),
                                                                            max_rank=4)),
                                        src.chance(2), src.choice((1.0, 0.5, float("inf"), 0.0))),
    "layer_norm_f32": lambda src: _C.layer_norm_f32(native_array(src), native_array(src),
                                                    optional(src, lambda: native_array(src)),
                                                    optional(src, lambda: native_array(src)),
                                                    src.choice((1e-5, 0.0, -1.0, float("nan")))),
}


def fuzz_native(src) -> None:
    try:
        with np.errstate(all="ignore"):
            NATIVE[src.choice(sorted(NATIVE))](src)
    except ALLOWED:
        return


HARNESSES = {"ops": fuzz_ops, "layers": fuzz_layers, "native": fuzz_native}
