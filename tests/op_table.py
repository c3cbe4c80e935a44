"""Every public op as a row of one table: what the reliability tests iterate over.

An ``OpSpec`` says how to call an op, its float64 reference, the shapes of its array
arguments as a function of named sizes, and the limits those sizes are drawn from. The
bad-input matrix (bad_input_cases.py), the property tests (test_properties.py), the
fuzzer (fuzz/), and the thread, leak and determinism tests (test_threads.py,
test_leaks.py) all loop over ``OPS``: a family that adds an op adds one row here and
is covered by all of them.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import pykernels as pk
from pykernels import geometry
from pykernels.formats.int8_weights import Int8Weights
from pykernels.formats.patterns import to_sparse
from pykernels.formats.qtensor import QTensor, dynamic_qparams
from pykernels.reference import (activations as ref_act, attention as ref_attention, conv as ref_conv,
                                 embedding as ref_embedding, gemm as ref_gemm, int8 as ref_int8, lstm as ref_lstm,
                                 spmm as ref_spmm)

ELEMENTWISE = ("relu", "sigmoid", "tanh", "gelu")


@dataclass(frozen=True)
class OpSpec:
    name: str  # the row's id in test names
    kernel: str  # the registry op computing it: every backend of it is tested
    call: Callable[..., np.ndarray]  # call(*arrays, backend=..., out=..., **params)
    reference: Callable[..., np.ndarray]  # reference(*arrays, dtype=..., **params)
    args: tuple[str, ...]  # names of the array arguments, as error messages spell them
    shapes: Callable[..., tuple]  # shapes(**sizes): one shape per array argument
    sizes: dict[str, tuple[int, int]]  # inclusive range of each size (property tests, fuzzing)
    small: dict[str, int]  # a small example (threads, leaks, bad-input rows)
    large: dict[str, int]  # big enough that the kernels split the work over threads
    params: dict[str, tuple] = field(default_factory=dict)  # choices of each keyword parameter
    empty: tuple[dict[str, int], ...] = ()  # sizes with a zero dimension (batch 0 and others)
    scale: float = 1.0  # inputs are uniform in [-scale, scale]
    out: bool = True  # accepts a float32 out= (the generated out= rows)
    nondeterministic: str = ""  # why results may differ bit-wise across runs or thread counts ("" if they may not)
    # Arguments that are not float32 (ids, integer codes, sparse weights) are drawn as floats
    # like the others, then ``prepare(arrays, rng)`` turns them into what the op takes; it
    # must accept arrays of any shape (the fuzzer changes shapes). Only the arguments in
    # ``floats`` (None: all) get the generated wrong-dtype, list and NaN/inf rows.
    prepare: Callable[[list, np.random.Generator], list] | None = None
    floats: tuple[str, ...] | None = None
    exact: bool = False  # integer results: compared bit for bit

    def arrays(self, sizes: dict[str, int], seed: int = 0) -> list[np.ndarray]:
        """Random inputs of the shapes ``sizes`` give (float32 unless ``prepare`` says otherwise)."""
        rng = np.random.default_rng(seed)
        arrays = [rng.uniform(-self.scale, self.scale, shape).astype(np.float32) for shape in self.shapes(**sizes)]
        return self.prepared(arrays, rng)

    def prepared(self, arrays: list, rng: np.random.Generator) -> list:
        if self.prepare is None:
            return arrays
        with np.errstate(all="ignore"):
            prepared = self.prepare(list(arrays), rng)
        return [np.asarray(a) if isinstance(a, np.generic) else a for a in prepared]  # 0-d casts give scalars

    def float_args(self) -> tuple[str, ...]:
        return self.args if self.floats is None else self.floats

    def param_sets(self) -> list[dict]:
        """Every combination of the keyword parameters (one empty dict if none)."""
        names = list(self.params)
        return [dict(zip(names, values)) for values in itertools.product(*self.params.values())]

    def default_params(self) -> dict:
        return {name: choices[0] for name, choices in self.params.items()}

    def expected(self, arrays, params) -> tuple[np.ndarray, np.ndarray]:
        """(float64 reference, float32 NumPy yardstick) for ``arrays`` and ``params``."""
        with np.errstate(all="ignore"):
            return (self.reference(*arrays, dtype=np.float64, **params),
                    self.reference(*arrays, dtype=np.float32, **params))


# --- views with the values of an array, in unusual layouts (or, for zero-stride, a broadcast) ---
def strided(x):
    if x.ndim == 0:
        return x
    base = np.zeros(x.shape[:-1] + (2 * x.shape[-1],), x.dtype)
    base[..., ::2] = x
    return base[..., ::2]


def negative(x):
    return np.flip(np.flip(x).copy())


def fortran(x):
    return np.asfortranarray(x)


def misaligned(x):
    view = np.zeros(x.nbytes + 1, np.uint8)[1:].view(x.dtype).reshape(x.shape)
    view[...] = x
    return view


def zero_stride(x):
    if x.ndim == 0:
        return x
    return np.broadcast_to(x[:1], x.shape)  # read-only, stride 0 along axis 0


def read_only(x):
    x = x.copy()
    x.flags.writeable = False
    return x


LAYOUTS = {"strided": strided, "negative-stride": negative, "fortran": fortran, "misaligned": misaligned,
           "zero-stride": zero_stride, "read-only": read_only}


def _elementwise(name: str) -> OpSpec:
    function = getattr(pk.ops, name)
    return OpSpec(
        name=name, kernel="activation",
        call=lambda x, **kw: function(x, **kw),
        reference=lambda x, dtype: ref_act.activate(x, name, dtype),
        args=("x",), shapes=lambda r, c: ((r, c),),
        sizes={"r": (0, 9), "c": (0, 3000)}, small={"r": 3, "c": 33}, large={"r": 4, "c": 40000},
        empty=({"r": 0, "c": 5}, {"r": 3, "c": 0}), scale=12.0)


OPS: list[OpSpec] = [
    OpSpec(
        name="matmul", kernel="gemm",
        call=lambda a, b, **kw: pk.ops.matmul(a, b, **kw),
        reference=lambda a, b, dtype: ref_gemm.matmul(a, b, dtype),
        args=("a", "b"), shapes=lambda m, k, n: ((m, k), (k, n)),
        sizes={"m": (0, 40), "k": (0, 600), "n": (0, 40)},
        small={"m": 5, "k": 19, "n": 7}, large={"m": 160, "k": 300, "n": 150},
        empty=({"m": 0, "k": 7, "n": 3}, {"m": 4, "k": 0, "n": 3}, {"m": 4, "k": 7, "n": 0})),
    OpSpec(
        name="matmul_batched", kernel="gemm",
        call=lambda a, b, **kw: pk.ops.matmul(a, b, **kw),
        reference=lambda a, b, dtype: ref_gemm.matmul(a, b, dtype),
        args=("a", "b"), shapes=lambda batch, m, k, n: ((batch, m, k), (1, k, n)),
        sizes={"batch": (0, 4), "m": (0, 20), "k": (0, 100), "n": (0, 20)},
        small={"batch": 3, "m": 4, "k": 9, "n": 5}, large={"batch": 2, "m": 120, "k": 200, "n": 100},
        empty=({"batch": 0, "m": 4, "k": 7, "n": 3}, {"batch": 2, "m": 4, "k": 0, "n": 3})),
    OpSpec(
        name="linear", kernel="gemm",
        call=lambda x, w, bias, **kw: pk.ops.linear(x, w, bias, **kw),
        reference=lambda x, w, bias, dtype, activation: ref_gemm.linear(x, w, bias, activation, dtype),
        args=("x", "w", "bias"), shapes=lambda m, k, n: ((m, k), (n, k), (n,)),
        sizes={"m": (0, 40), "k": (0, 600), "n": (1, 40)},
        small={"m": 5, "k": 19, "n": 7}, large={"m": 160, "k": 300, "n": 150},
        params={"activation": ("relu", None, "sigmoid", "tanh", "gelu", "softmax")},
        empty=({"m": 0, "k": 7, "n": 3}, {"m": 4, "k": 0, "n": 3})),
    OpSpec(
        name="activation", kernel="activation",
        call=lambda x, **kw: pk.ops.activation(x, **kw),
        reference=lambda x, dtype, name: ref_act.activate(x, name, dtype),
        args=("x",), shapes=lambda r, c: ((r, c),),
        sizes={"r": (0, 9), "c": (0, 3000)}, small={"r": 3, "c": 33}, large={"r": 4, "c": 40000},
        params={"name": ("gelu", None, "relu", "sigmoid", "tanh", "softmax")},
        empty=({"r": 0, "c": 5}, {"r": 3, "c": 0}), scale=12.0),
    *[_elementwise(name) for name in ELEMENTWISE],
    OpSpec(
        name="softmax", kernel="softmax",
        call=lambda x, **kw: pk.ops.softmax(x, **kw),
        reference=lambda x, dtype, axis: ref_act.softmax(x, axis, dtype),
        args=("x",), shapes=lambda r, c: ((r, c),),
        sizes={"r": (0, 9), "c": (0, 3000)}, small={"r": 3, "c": 33}, large={"r": 8, "c": 20000},
        params={"axis": (-1, 0)},
        empty=({"r": 0, "c": 5}, {"r": 3, "c": 0}), scale=20.0),
]


# --- conv: NCHW x, OIHW w; groups follow from the shapes (x channels / w input channels) ---
def _groups(x, w) -> int:
    """x's channels over w's input channels (1 when the shapes make no sense: the op says why)."""
    try:
        return max(1, np.shape(x)[1] // np.shape(w)[1])
    except (IndexError, ZeroDivisionError):
        return 1


def _nhwc(x):
    return np.moveaxis(np.asarray(x), 1, -1)


def _nchw(y):
    return np.moveaxis(y, -1, 1)


def _conv_reference(x, w, bias, dtype, stride, padding, activation):
    stride2, groups = geometry.pair(stride, "conv2d", "stride"), _groups(x, w)
    pads = geometry.padding(padding, "conv2d", x.shape[2:], w.shape[2:], stride2)
    return _nchw(ref_conv.conv2d(_nhwc(x), w, bias, stride2, pads, (1, 1), groups, activation, dtype))


def _pool_reference(function, x, kernel_size, stride, padding, ceil_mode, dtype, **extra):
    kernel = geometry.pair(kernel_size, "pool", "kernel")
    stride2 = kernel if stride is None else geometry.pair(stride, "pool", "stride")
    pads = geometry.padding(padding, "pool", x.shape[2:], kernel, stride2)
    return _nchw(function(_nhwc(x), kernel, stride2, pads, ceil_mode, **extra, dtype=dtype))


CONV_SIZES = {"n": (0, 3), "c": (1, 6), "h": (1, 12), "w": (1, 12)}
POOL_SIZES = {"n": (0, 3), "c": (0, 6), "h": (3, 12), "w": (3, 12)}

CONV = [
    OpSpec(
        name="conv2d", kernel="conv2d",
        call=lambda x, w, bias, **kw: pk.ops.conv2d(x, w, bias, groups=_groups(x, w), **kw),
        reference=_conv_reference,
        args=("x", "w", "bias"),
        shapes=lambda n, g, cg, og, h, w, kh, kw: ((n, g * cg, h, w), (g * og, cg, kh, kw), (g * og,)),
        sizes={"n": (0, 3), "g": (1, 3), "cg": (1, 5), "og": (1, 5), "h": (1, 12), "w": (1, 12), "kh": (1, 3),
               "kw": (1, 3)},
        small={"n": 2, "g": 1, "cg": 3, "og": 5, "h": 6, "w": 7, "kh": 3, "kw": 3},
        large={"n": 2, "g": 1, "cg": 16, "og": 32, "h": 24, "w": 24, "kh": 3, "kw": 3},
        params={"activation": ("relu", None), "stride": (1, 2), "padding": ("same", 1)},
        empty=({"n": 0, "g": 1, "cg": 3, "og": 4, "h": 5, "w": 5, "kh": 3, "kw": 3},)),
    OpSpec(  # groups = channels: the depthwise kernels
        name="depthwise_conv2d", kernel="conv2d",
        call=lambda x, w, bias, **kw: pk.ops.conv2d(x, w, bias, groups=_groups(x, w), **kw),
        reference=_conv_reference,
        args=("x", "w", "bias"),
        shapes=lambda n, c, m, h, w: ((n, c, h, w), (c * m, 1, 3, 3), (c * m,)),
        sizes={"n": (0, 3), "c": (1, 9), "m": (1, 2), "h": (1, 12), "w": (1, 12)},
        small={"n": 2, "c": 5, "m": 1, "h": 6, "w": 7}, large={"n": 2, "c": 32, "m": 1, "h": 24, "w": 24},
        params={"activation": ("relu", None), "stride": (1, 2), "padding": ("same", 1)},
        empty=({"n": 0, "c": 4, "m": 1, "h": 5, "w": 5},)),
    OpSpec(
        name="max_pool2d", kernel="max_pool2d",
        call=lambda x, **kw: pk.ops.max_pool2d(x, **kw),
        reference=lambda x, dtype, **kw: _pool_reference(ref_conv.max_pool2d, x, dtype=dtype, **kw),
        args=("x",), shapes=lambda n, c, h, w: ((n, c, h, w),),
        sizes=POOL_SIZES, small={"n": 2, "c": 5, "h": 7, "w": 6}, large={"n": 4, "c": 32, "h": 32, "w": 32},
        params={"kernel_size": (3, 2), "stride": (2, None), "padding": (1, 0), "ceil_mode": (False, True)},
        empty=({"n": 0, "c": 3, "h": 5, "w": 5}, {"n": 2, "c": 0, "h": 5, "w": 5})),
    OpSpec(
        name="avg_pool2d", kernel="avg_pool2d",
        call=lambda x, **kw: pk.ops.avg_pool2d(x, **kw),
        reference=lambda x, dtype, **kw: _pool_reference(ref_conv.avg_pool2d, x, dtype=dtype, **kw),
        args=("x",), shapes=lambda n, c, h, w: ((n, c, h, w),),
        sizes=POOL_SIZES, small={"n": 2, "c": 5, "h": 7, "w": 6}, large={"n": 4, "c": 32, "h": 32, "w": 32},
        params={"kernel_size": (3, 2), "stride": (2, None), "padding": (1, 0), "ceil_mode": (False, True),
                "count_include_pad": (True, False)},
        empty=({"n": 0, "c": 3, "h": 5, "w": 5}, {"n": 2, "c": 0, "h": 5, "w": 5})),
    OpSpec(
        name="global_avg_pool2d", kernel="global_avg_pool2d",
        call=lambda x, **kw: pk.ops.global_avg_pool2d(x, **kw),
        reference=lambda x, dtype: ref_conv.global_avg_pool2d(_nhwc(x), dtype),
        args=("x",), shapes=lambda n, c, h, w: ((n, c, h, w),),
        sizes={"n": (0, 3), "c": (0, 20), "h": (1, 12), "w": (1, 12)},
        small={"n": 2, "c": 5, "h": 7, "w": 6}, large={"n": 8, "c": 64, "h": 16, "w": 16},
        empty=({"n": 0, "c": 3, "h": 5, "w": 5}, {"n": 2, "c": 0, "h": 5, "w": 5})),
]


# --- lstm / embedding: the results as one float32 vector (output, then the final states) ---
def _flat(*arrays) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays])


def _lstm_reference(x, w_ih, w_hh, b_ih, b_hh, h0, c0, dtype):
    y, (h, c) = ref_lstm.lstm(x, [(w_ih, w_hh, b_ih, b_hh)], h0, c0, dtype=dtype)
    return _flat(y, h, c)


def _integer_ids(arrays, rng):
    ids, table = arrays
    rows = np.shape(table)[0] if np.ndim(table) else 1
    arrays[0] = rng.integers(0, max(rows, 1), np.shape(ids), dtype=np.int64)
    return arrays


RECURRENT = [
    OpSpec(
        name="lstm", kernel="lstm_layer",
        call=lambda x, w_ih, w_hh, b_ih, b_hh, h0, c0, **kw: _flat(*_lstm_parts(
            pk.ops.lstm(x, [(w_ih, w_hh, b_ih, b_hh)], h0, c0, **kw))),
        reference=_lstm_reference,
        args=("x", "w_ih", "w_hh", "b_ih", "b_hh", "h0", "c0"),
        shapes=lambda t, b, i, h: ((t, b, i), (4 * h, i), (4 * h, h), (4 * h,), (4 * h,), (1, b, h), (1, b, h)),
        sizes={"t": (0, 6), "b": (0, 5), "i": (1, 20), "h": (1, 20)},
        small={"t": 3, "b": 2, "i": 5, "h": 4}, large={"t": 6, "b": 16, "i": 64, "h": 64},
        empty=({"t": 0, "b": 2, "i": 5, "h": 4}, {"t": 3, "b": 0, "i": 5, "h": 4}), out=False),
    OpSpec(
        name="lstm_cell", kernel="lstm_layer",
        call=lambda x, h, c, w_ih, w_hh, b_ih, b_hh, **kw: _flat(*pk.ops.lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh,
                                                                                  **kw)),
        reference=lambda x, h, c, w_ih, w_hh, b_ih, b_hh, dtype: _flat(*ref_lstm.lstm_cell(
            x, h, c, w_ih, w_hh, b_ih, b_hh, dtype=dtype)),
        args=("x", "h", "c", "w_ih", "w_hh", "b_ih", "b_hh"),
        shapes=lambda b, i, h: ((b, i), (b, h), (b, h), (4 * h, i), (4 * h, h), (4 * h,), (4 * h,)),
        sizes={"b": (0, 5), "i": (1, 20), "h": (1, 20)},
        small={"b": 2, "i": 5, "h": 4}, large={"b": 32, "i": 64, "h": 64},
        empty=({"b": 0, "i": 5, "h": 4},), out=False),
    OpSpec(
        name="embedding", kernel="embedding",
        call=lambda ids, table, **kw: pk.ops.embedding(ids, table, **kw),
        reference=lambda ids, table, dtype: ref_embedding.embedding(ids, table, dtype),
        args=("ids", "table"), shapes=lambda b, t, rows, dim: ((b, t), (rows, dim)),
        sizes={"b": (0, 4), "t": (0, 9), "rows": (1, 40), "dim": (0, 70)},
        small={"b": 2, "t": 5, "rows": 11, "dim": 9}, large={"b": 16, "t": 64, "rows": 500, "dim": 128},
        empty=({"b": 0, "t": 5, "rows": 11, "dim": 9}, {"b": 2, "t": 5, "rows": 11, "dim": 0}),
        prepare=_integer_ids, floats=("table",)),
]


def _lstm_parts(result):
    y, (h, c) = result
    return y, h, c


# --- attention: q (B, Hkv * G, L, D), k and v (B, Hkv, S, D / Dv): grouped-query when G > 1 ---
ATTENTION_SIZES = {"b": (0, 2), "hkv": (1, 2), "g": (1, 3), "l": (1, 40), "s": (1, 40), "d": (1, 40), "dv": (1, 40)}
ATTENTION = [
    OpSpec(
        name="sdpa", kernel="sdpa",
        call=lambda q, k, v, **kw: pk.ops.sdpa(q, k, v, **kw),
        reference=lambda q, k, v, dtype, is_causal: ref_attention.sdpa(q, k, v, None, is_causal, dtype=dtype),
        args=("q", "k", "v"),
        shapes=lambda b, hkv, g, l, s, d, dv: ((b, hkv * g, l, d), (b, hkv, s, d), (b, hkv, s, dv)),
        sizes=ATTENTION_SIZES,
        small={"b": 1, "hkv": 2, "g": 2, "l": 5, "s": 7, "d": 8, "dv": 6},
        large={"b": 2, "hkv": 2, "g": 2, "l": 64, "s": 64, "d": 32, "dv": 32},
        params={"is_causal": (False, True)},
        empty=({"b": 0, "hkv": 1, "g": 1, "l": 3, "s": 3, "d": 4, "dv": 4},
               {"b": 1, "hkv": 1, "g": 1, "l": 0, "s": 3, "d": 4, "dv": 4},
               {"b": 1, "hkv": 1, "g": 1, "l": 3, "s": 0, "d": 4, "dv": 4})),
    OpSpec(  # an additive float mask broadcast over batch and heads
        name="sdpa_masked", kernel="sdpa",
        call=lambda q, k, v, mask, **kw: pk.ops.sdpa(q, k, v, mask, **kw),
        reference=lambda q, k, v, mask, dtype, is_causal: ref_attention.sdpa(q, k, v, mask, is_causal, dtype=dtype),
        args=("q", "k", "v", "attn_mask"),
        shapes=lambda b, hkv, g, l, s, d, dv: ((b, hkv * g, l, d), (b, hkv, s, d), (b, hkv, s, dv), (l, s)),
        sizes=ATTENTION_SIZES,
        small={"b": 1, "hkv": 1, "g": 3, "l": 5, "s": 7, "d": 8, "dv": 6},
        large={"b": 2, "hkv": 2, "g": 2, "l": 64, "s": 64, "d": 32, "dv": 32},
        params={"is_causal": (False, True)}, scale=2.0, floats=("q", "k", "v")),  # masks: bool or any float
    OpSpec(
        name="layer_norm", kernel="layer_norm",
        call=lambda x, gamma, beta, **kw: pk.ops.layer_norm(x, gamma, beta, **kw),
        reference=lambda x, gamma, beta, dtype, eps: ref_attention.layer_norm(x, gamma, beta, eps, dtype),
        args=("x", "gamma", "beta"), shapes=lambda r, c: ((r, c), (c,), (c,)),
        sizes={"r": (0, 9), "c": (1, 700)}, small={"r": 3, "c": 33}, large={"r": 64, "c": 512},
        params={"eps": (1e-5, 0.1)},
        empty=({"r": 0, "c": 5},), scale=3.0),
]


# --- int8: codes and accumulators drawn as floats, then made integers by ``prepare`` ---
def _qparams(x, axis, dtype):
    """(scale, zero point) per tensor, or per channel along ``axis`` (shaped to broadcast against x)."""
    zero = 128 if np.dtype(dtype) == np.uint8 else 0
    try:
        channels = np.shape(x)[axis]
    except (TypeError, IndexError):
        return np.float32(0.05), zero
    shape = [1] * np.ndim(x)
    shape[axis] = channels
    scale = (0.02 * (1 + np.arange(channels) % 5)).astype(np.float32).reshape(shape)
    return scale, (zero + np.arange(channels) % 3 - 1).reshape(shape)


def _tensor_qparams(dtype):
    return np.float32(0.05), 128 if np.dtype(dtype) == np.uint8 else 0


def _quantize(x, qdtype, axis, **kw):
    scale, zero = _qparams(x, axis, qdtype) if axis is not None else _tensor_qparams(qdtype)
    return pk.ops.quantize(x, np.ravel(scale), np.ravel(zero), qdtype, axis=axis, **kw).data


def _quantize_reference(x, qdtype, axis, dtype):
    scale, zero = _qparams(x, axis, qdtype) if axis is not None else _tensor_qparams(qdtype)
    lo, hi = (0, 255) if np.dtype(qdtype) == np.uint8 else (-128, 127)
    return ref_int8.quantize(x, scale, zero, lo, hi, qdtype)


def _int8_codes(arrays, rng):
    arrays[0] = np.rint(np.asarray(arrays[0], np.float32) * 127).astype(np.int8)
    return arrays


def _int32_accumulators(arrays, rng):
    arrays[0] = np.rint(np.asarray(arrays[0], np.float64) * 2**20).astype(np.int32)
    return arrays


def _int8_operands(arrays, rng):
    arrays[0] = np.rint((np.asarray(arrays[0], np.float32) + 1) * 127).astype(np.uint8)
    arrays[1] = np.rint(np.asarray(arrays[1], np.float32) * 127).astype(np.int8)
    return arrays


def _dequantize(q, axis, **kw):
    scale, zero = _qparams(q, axis, np.int8) if axis is not None else (np.float32(0.05), 3)
    return pk.ops.dequantize(QTensor(q, np.ravel(scale), np.ravel(zero), axis), **kw)


def _dequantize_reference(q, axis, dtype):
    scale, zero = _qparams(q, axis, np.int8) if axis is not None else (np.float32(0.05), 3)
    return ref_int8.dequantize(q, scale, zero, dtype)


REQUANTIZE_MULTIPLIER = 1e-4


def _requantize(x, qdtype, **kw):
    return pk.ops.requantize(x, REQUANTIZE_MULTIPLIER, _tensor_qparams(qdtype)[1], qdtype, **kw)


def _requantize_reference(x, qdtype, activation, dtype):
    lo, hi = (0, 255) if np.dtype(qdtype) == np.uint8 else (-128, 127)
    zero = _tensor_qparams(qdtype)[1]
    return ref_int8.requantize(x, REQUANTIZE_MULTIPLIER, zero, max(lo, zero) if activation == "relu" else lo, hi,
                               qdtype)


def _linear_int8_reference(x, w, bias, dtype, activation):
    """Dynamic uint8 quantization of x on its range, per-channel symmetric int8 w, exact sums."""
    weights = Int8Weights.from_float(w)
    rows = x.reshape(-1, x.shape[-1])
    qmax = weights.safe_a_max
    scale, zero = dynamic_qparams(rows, qmax, "linear_int8")
    codes, zero = ref_int8.activation_codes(rows, zero, scale, qmax)
    sums = ref_int8.gemm_s64(codes, zero, weights.data, weights.zero_point)
    y = ref_int8.gemm_int8(sums, np.float32, np.float32(scale) * weights.scale, bias, activation=activation or "none",
                           dtype=dtype)
    return y.reshape(x.shape[:-1] + (w.shape[0],))


INT8 = [
    OpSpec(
        name="quantize", kernel="quantize",
        call=_quantize, reference=_quantize_reference,
        args=("x",), shapes=lambda r, c: ((r, c),),
        sizes={"r": (0, 9), "c": (0, 700)}, small={"r": 3, "c": 33}, large={"r": 64, "c": 4000},
        params={"qdtype": (np.int8, np.uint8), "axis": (None, -1, 0)},
        empty=({"r": 0, "c": 5}, {"r": 3, "c": 0}), scale=8.0, out=False, exact=True),
    OpSpec(
        name="dequantize", kernel="dequantize",
        call=lambda q, axis, **kw: _dequantize(q, axis, **kw),
        reference=lambda q, axis, dtype: _dequantize_reference(q, axis, dtype),
        args=("q",), shapes=lambda r, c: ((r, c),),
        sizes={"r": (0, 9), "c": (0, 700)}, small={"r": 3, "c": 33}, large={"r": 64, "c": 4000},
        params={"axis": (None, -1, 0)},
        empty=({"r": 0, "c": 5}, {"r": 3, "c": 0}), prepare=_int8_codes, floats=()),
    OpSpec(
        name="requantize", kernel="requantize",
        call=_requantize, reference=_requantize_reference,
        args=("x",), shapes=lambda r, c: ((r, c),),
        sizes={"r": (0, 9), "c": (0, 700)}, small={"r": 3, "c": 33}, large={"r": 64, "c": 4000},
        params={"qdtype": (np.int8, np.uint8), "activation": (None, "relu")},
        empty=({"r": 0, "c": 5}, {"r": 3, "c": 0}), prepare=_int32_accumulators, floats=(), out=False, exact=True),
    OpSpec(
        name="matmul_int8", kernel="gemm_int8",
        call=lambda a, b, **kw: pk.ops.matmul_int8(a, b, **kw),
        reference=lambda a, b, dtype, a_zero_point: ref_int8.gemm_s64(a, a_zero_point, np.asarray(b).T).astype(
            np.int32),
        args=("a", "b"), shapes=lambda m, k, n: ((m, k), (k, n)),
        sizes={"m": (0, 40), "k": (0, 600), "n": (0, 40)},
        small={"m": 5, "k": 19, "n": 7}, large={"m": 160, "k": 300, "n": 150},
        params={"a_zero_point": (0, 128)},
        empty=({"m": 0, "k": 7, "n": 3}, {"m": 4, "k": 0, "n": 3}, {"m": 4, "k": 7, "n": 0}),
        prepare=_int8_operands, floats=(), out=False, exact=True),
    OpSpec(
        name="linear_int8", kernel="gemm_int8",
        call=lambda x, w, bias, **kw: pk.ops.linear_int8(x, Int8Weights.from_float(w), bias, **kw),
        reference=_linear_int8_reference,
        args=("x", "w", "bias"), shapes=lambda m, k, n: ((m, k), (n, k), (n,)),
        sizes={"m": (1, 40), "k": (1, 600), "n": (1, 40)},
        small={"m": 5, "k": 19, "n": 7}, large={"m": 160, "k": 300, "n": 150},
        params={"activation": ("relu", None)}, floats=("bias",)),  # x: float32 or uint8 / int8 codes
]


# --- sparse: the dense weight is drawn, pruned to the format's pattern by ``prepare`` ---
SPARSE_PATTERNS = ("unstructured", "block(4,4)", "2:4")


def _pruned(arrays, rng):
    """w with half its 4x4 blocks zero and at most 2 nonzeros in each group of 4 inputs:
    valid in every pattern of SPARSE_PATTERNS (when its shape is a multiple of 4)."""
    w = np.array(arrays[0], copy=True)
    if w.ndim == 2 and w.shape[0] % 4 == 0 and w.shape[1] % 4 == 0 and w.size:
        m, k = w.shape
        blocks = w.reshape(m // 4, 4, k // 4, 4)
        blocks[rng.random((m // 4, 1, k // 4, 1)).repeat(4, 1).repeat(4, 3) < 0.5] = 0
        groups = w.reshape(m, k // 4, 4)
        dropped = np.argsort(rng.random(groups.shape), axis=-1)[..., :2]  # 2 random positions per group
        np.put_along_axis(groups, dropped, 0, axis=-1)
    arrays[0] = w
    return arrays


def _spmm_reference(w, x, bias, dtype, pattern, activation):
    """The reference over W's stored entries (NaN / inf in x reach only the rows that read them)."""
    sparse = to_sparse(w, pattern)
    y = ref_spmm.spmm(sparse, np.asarray(x).reshape(x.shape[0], -1), bias, activation, dtype)
    return y.reshape((sparse.shape[0],) + x.shape[1:])


SPARSE = [
    OpSpec(
        name="spmm", kernel="spmm",
        call=lambda w, x, bias, pattern, **kw: pk.ops.spmm(to_sparse(w, pattern), x, bias, **kw),
        reference=_spmm_reference,
        args=("w", "x", "bias"), shapes=lambda mb, kb, n: ((4 * mb, 4 * kb), (4 * kb, n), (4 * mb,)),
        sizes={"mb": (1, 10), "kb": (1, 25), "n": (0, 40)},
        small={"mb": 2, "kb": 4, "n": 7}, large={"mb": 64, "kb": 64, "n": 64},
        params={"pattern": SPARSE_PATTERNS, "activation": ("relu", None)},
        empty=({"mb": 2, "kb": 4, "n": 0},), prepare=_pruned, floats=("x", "bias")),
]

OPS += CONV + RECURRENT + ATTENTION + INT8 + SPARSE

BY_NAME = {spec.name: spec for spec in OPS}
