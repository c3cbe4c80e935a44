"""The bad-input matrix: one row per (op or layer, bad input), read by test_bad_input.py.

A row either raises (exception type and a fragment of its message) or returns the
correct result (checked against the reference, on every backend of the op's kernel).
Rows come from two places:

- generated for every ``OpSpec`` in op_table.OPS: each array argument in each wrong
  dtype and as a list; each argument as a strided, negative-stride, Fortran-order,
  misaligned, zero-stride and read-only view; NaN and +-inf in each argument; the
  spec's zero-size shapes; ``out=`` read-only, of the wrong dtype or shape, strided,
  misaligned, aliasing an input. A new op gets all of these by adding its OpSpec.
- written by hand, one section per op or layer below (rank, parameters, sizes whose
  byte count overflows, layer contracts). A family appends its section to ``CASES``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import pykernels as pk
from pykernels.layers import initializers
from pykernels.formats.int8_weights import Int8Weights
from pykernels.formats.qtensor import QTensor
from pykernels.reference import activations as ref_act, attention as ref_attention, gemm as ref_gemm, lstm as ref_lstm
from pykernels.registry import backend_names

from op_table import BY_NAME, LAYOUTS, OPS, OpSpec, fortran, misaligned, negative, read_only, strided

MAX_BYTES = np.iinfo(np.intp).max


@dataclass(frozen=True)
class Case:
    id: str
    call: Callable[[], object]
    raises: type[Exception] | None = None  # the call must raise this ...
    match: str = ""  # ... with this fragment in its message
    reference: Callable[[], tuple] | None = None  # or return what this gives: (float64, float32 NumPy)
    check: Callable[[object], None] | None = None  # and pass this extra check (e.g. "result is out")
    exact: bool = False  # compare bit for bit (integer results) instead of within the float bound


def error(id: str, call: Callable[[], object], raises: type[Exception], match: str) -> Case:
    return Case(id, call, raises=raises, match=match)


def kernel_backends(kernel: str) -> list[str]:
    """The backends a result row runs on: all of the kernel's, the reference as oracle excepted."""
    return [name for name in backend_names(kernel) if name != "reference"]


def result_rows(spec: OpSpec, label: str, make: Callable[[], tuple], check=None) -> list[Case]:
    """One row per backend: ``make()`` -> (arrays, params, out) builds fresh inputs each time.

    Besides the result, every row checks that the inputs are unchanged (but for an input
    that is also ``out``), and runs ``check(result, out, arrays)`` if given.
    """
    rows = []
    for backend in kernel_backends(spec.kernel):
        arrays, params, out = make()
        expected = spec.expected(arrays, params)  # before the call: out may alias an input
        kw = dict(params, backend=backend) | ({} if out is None else {"out": out})

        def full_check(result, out=out, arrays=arrays, before=[np.array(a, copy=True) for a in arrays]):
            for i, (now, then) in enumerate(zip(arrays, before)):
                if now is not out:
                    np.testing.assert_array_equal(now, then, err_msg=f"the call changed input {spec.args[i]}")
            if check is not None:
                check(result, out, arrays)
        rows.append(Case(f"{spec.name}-{label}[{backend}]", lambda a=arrays, kw=kw: _call(spec, a, kw),
                         reference=lambda e=expected: e, check=full_check, exact=spec.exact))
    return rows


def _call(spec: OpSpec, arrays, kw):
    with np.errstate(all="ignore"):
        return spec.call(*arrays, **kw)


BAD_DTYPES = (np.float64, np.float16, np.int32, np.uint8, np.bool_, np.complex64, object)


def _is_plain(view, original) -> bool:
    """True when a layout gives nothing new: the same strides, alignment and writability."""
    return (view.strides == original.strides and view.flags.aligned and view.flags.writeable
            and view.flags.c_contiguous)


def generated_rows(spec: OpSpec) -> list[Case]:
    rows = []
    sizes, params = spec.small, spec.default_params()

    def call(arrays, **kw):
        return lambda: spec.call(*arrays, **params, **kw)

    for i, name in enumerate(spec.args):
        floating = name in spec.float_args()
        for dtype in BAD_DTYPES if floating else ():
            arrays = spec.arrays(sizes)
            arrays[i] = arrays[i].astype(dtype)
            rows.append(error(f"{spec.name}-{name}-{np.dtype(dtype)}", call(arrays), TypeError,
                              f"{name} must be float32, got {np.dtype(dtype)}"))
        if floating:
            arrays = spec.arrays(sizes)
            arrays[i] = arrays[i].tolist()
            rows.append(error(f"{spec.name}-{name}-list", call(arrays), TypeError, f"{name} must be a numpy.ndarray"))

        for layout, transform in LAYOUTS.items():
            original = spec.arrays(sizes)[i]
            if _is_plain(transform(original), original):
                continue  # e.g. Fortran order of a vector: a duplicate of the plain row

            def make(i=i, transform=transform):
                arrays = spec.arrays(sizes)
                arrays[i] = transform(arrays[i])
                return arrays, params, None
            rows += result_rows(spec, f"{name}-{layout}", make)

        for label, value in (("nan", np.nan), ("inf", np.inf), ("-inf", -np.inf)) if floating else ():
            def make(i=i, value=value):
                arrays = spec.arrays(sizes)
                arrays[i].flat[arrays[i].size // 2] = value
                return arrays, params, None
            rows += result_rows(spec, f"{name}-{label}", make)

    for empty in spec.empty:
        label = "zero-size-" + "-".join(f"{k}{v}" for k, v in empty.items())
        rows += result_rows(spec, label, lambda empty=empty: (spec.arrays(empty), params, None))

    if spec.out:
        rows += out_rows(spec, sizes, params)
    return rows


def out_rows(spec: OpSpec, sizes, params) -> list[Case]:
    arrays = spec.arrays(sizes)
    shape = spec.expected(arrays, params)[0].shape
    readonly = read_only(np.empty(shape, np.float32))
    wrong_shape = np.empty(shape[::-1] + (1,), np.float32)
    rows = [
        error(f"{spec.name}-out-read-only", lambda: spec.call(*arrays, out=readonly, **params), ValueError,
              "out is read-only"),
        error(f"{spec.name}-out-float64", lambda: spec.call(*arrays, out=np.empty(shape), **params), TypeError,
              "out must be float32, got float64"),
        error(f"{spec.name}-out-wrong-shape", lambda: spec.call(*arrays, out=wrong_shape, **params), ValueError,
              f"expected {shape}"),
        error(f"{spec.name}-out-list", lambda: spec.call(*arrays, out=[0.0], **params), TypeError,
              "out must be a numpy.ndarray"),
    ]

    def is_out(result, out, arrays):
        assert result is out, "the result is not the out= array"

    for layout in ("plain", "strided", "fortran", "misaligned", "negative-stride"):
        def make(layout=layout):
            target = np.full(shape, np.nan, np.float32)
            return spec.arrays(sizes), params, target if layout == "plain" else LAYOUTS[layout](target)
        if layout == "plain" or not _is_plain(make()[2], np.empty(shape, np.float32)):
            rows += result_rows(spec, f"out-{layout}", make, check=is_out)
    for i, name in enumerate(spec.args):
        if spec.shapes(**sizes)[i] == shape and name in spec.float_args():
            def make(i=i):
                arrays = spec.arrays(sizes)
                return arrays, params, arrays[i]
            rows += result_rows(spec, f"out-is-{name}", make, check=is_out)
    return rows


# --- hand-written rows, one section per op or layer ---------------------------------------
f32 = np.ones((3, 4), np.float32)
w32 = np.ones((5, 4), np.float32)
b32 = np.ones(5, np.float32)


def huge(shape):
    """A zero-stride float32 view of any shape: no memory, any size."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), shape=shape, strides=(0,) * len(shape))


def ok(id: str, spec: OpSpec, arrays, **params) -> list[Case]:
    """Result rows for ``spec`` on given arrays, on every backend."""
    return result_rows(spec, id, lambda: ([a.copy() for a in arrays], params, None))


MATMUL = [
    error("matmul-a-0d", lambda: pk.ops.matmul(np.ones((), np.float32), f32), ValueError,
          "a must have at least 1 dimensions"),
    error("matmul-b-0d", lambda: pk.ops.matmul(f32, np.ones((), np.float32)), ValueError,
          "b must have at least 1 dimensions"),
    error("matmul-a-scalar", lambda: pk.ops.matmul(np.float32(1.0), f32), TypeError, "numpy.ndarray"),
    error("matmul-inner-mismatch", lambda: pk.ops.matmul(f32, f32), ValueError,
          "inner dimensions differ: a has shape (3, 4), b has shape (3, 4)"),
    error("matmul-vector-mismatch", lambda: pk.ops.matmul(np.ones(3, np.float32), np.ones(4, np.float32)),
          ValueError, "inner dimensions differ"),
    error("matmul-batch-mismatch",
          lambda: pk.ops.matmul(np.ones((2, 3, 4), np.float32), np.ones((3, 4, 5), np.float32)),
          ValueError, "batch dimensions do not broadcast"),
    error("matmul-bytes-overflow", lambda: pk.ops.matmul(huge((2**40, 1)), huge((1, 2**40))), OverflowError,
          "more than the addressable maximum"),
    error("matmul-batched-bytes-overflow", lambda: pk.ops.matmul(huge((2**20, 2**20, 1)), huge((1, 2**22))),
          OverflowError, "more than the addressable maximum"),
    error("matmul-backend-unknown", lambda: pk.ops.matmul(f32, w32.T, backend="gpu"), ValueError,
          "unknown backend 'gpu'"),
    error("matmul-backend-int", lambda: pk.ops.matmul(f32, w32.T, backend=3), TypeError, "backend must be a str"),
    *ok("vector-vector", BY_NAME["matmul"], [np.arange(5, dtype=np.float32), np.ones(5, np.float32)]),
    *ok("vector-matrix", BY_NAME["matmul"], [np.arange(4, dtype=np.float32), w32.T]),
    *ok("matrix-vector", BY_NAME["matmul"], [w32, np.arange(4, dtype=np.float32)]),
    *ok("broadcast-4d", BY_NAME["matmul"], [np.ones((2, 1, 3, 4), np.float32), np.ones((5, 4, 6), np.float32)]),
    *ok("ones-1x1x1", BY_NAME["matmul"], [np.ones((1, 1), np.float32), np.ones((1, 1), np.float32)]),
    *ok("large-values", BY_NAME["matmul"], [np.full((3, 4), 1e30, np.float32), np.full((4, 2), 1e10, np.float32)]),
]

LINEAR = [
    error("linear-w-1d", lambda: pk.ops.linear(f32, w32[0]), ValueError, "w must be 2-D, got 1-D"),
    error("linear-w-3d", lambda: pk.ops.linear(f32, w32[None]), ValueError, "w must be 2-D, got 3-D"),
    error("linear-x-0d", lambda: pk.ops.linear(np.ones((), np.float32), w32), ValueError,
          "x must have at least 1 dimensions"),
    error("linear-bias-2d", lambda: pk.ops.linear(f32, w32, b32[None]), ValueError, "bias must be 1-D, got 2-D"),
    error("linear-bias-length", lambda: pk.ops.linear(f32, w32, np.ones(4, np.float32)), ValueError,
          "bias has shape (4,), expected (5,)"),
    error("linear-features-mismatch", lambda: pk.ops.linear(f32, np.ones((5, 3), np.float32)), ValueError,
          "x has 4 features (shape (3, 4)) but w expects 3"),
    error("linear-activation-unknown", lambda: pk.ops.linear(f32, w32, activation="swish"), ValueError,
          "unknown activation 'swish'"),
    error("linear-activation-case", lambda: pk.ops.linear(f32, w32, activation="ReLU"), ValueError,
          "unknown activation 'ReLU'"),
    error("linear-activation-int", lambda: pk.ops.linear(f32, w32, activation=3), TypeError,
          "activation must be a str or None, got int"),
    error("linear-bytes-overflow", lambda: pk.ops.linear(huge((2**40, 1)), huge((2**40, 1))), OverflowError,
          "more than the addressable maximum"),
    error("linear-backend-unknown", lambda: pk.ops.linear(f32, w32, backend="metal"), ValueError,
          "unknown backend 'metal'"),
    *ok("x-1d", BY_NAME["linear"], [np.arange(4, dtype=np.float32), w32, b32], activation="relu"),
    *ok("x-3d", BY_NAME["linear"], [np.ones((2, 3, 4), np.float32), w32, b32], activation="tanh"),
    *ok("x-batch0-middle", BY_NAME["linear"], [np.ones((2, 0, 4), np.float32), w32, b32], activation="gelu"),
    *ok("activation-linear", BY_NAME["linear"], [f32, w32, b32], activation="linear"),
]

ACTIVATION = [
    error("activation-name-unknown", lambda: pk.ops.activation(f32, "swish"), ValueError,
          "unknown activation 'swish'; expected one of"),
    error("activation-name-int", lambda: pk.ops.activation(f32, 1), TypeError, "activation must be a str"),
    error("relu-backend-unknown", lambda: pk.ops.relu(f32, backend="tpu"), ValueError, "unknown backend 'tpu'"),
    *ok("0d", BY_NAME["relu"], [np.array(-1.5, np.float32)]),
    *ok("3d", BY_NAME["gelu"], [np.linspace(-5, 5, 60, dtype=np.float32).reshape(3, 4, 5)]),
    *ok("tails", BY_NAME["sigmoid"], [np.array([-1e30, -100, -88.8, 88.8, 100, 1e30], np.float32)]),
    *ok("subnormals", BY_NAME["tanh"], [np.array([1e-45, -1e-45, 1e-38, -0.0], np.float32)]),
]

SOFTMAX = [
    error("softmax-x-0d", lambda: pk.ops.softmax(np.ones((), np.float32)), ValueError,
          "x must have at least 1 dimensions"),
    error("softmax-axis-too-big", lambda: pk.ops.softmax(f32, axis=2), ValueError,
          "axis 2 is out of range for a 2-D array"),
    error("softmax-axis-too-negative", lambda: pk.ops.softmax(f32, axis=-3), ValueError, "axis -3 is out of range"),
    error("softmax-axis-float", lambda: pk.ops.softmax(f32, axis=1.0), TypeError, "axis must be an int, got float"),
    error("softmax-axis-bool", lambda: pk.ops.softmax(f32, axis=True), TypeError, "axis must be an int, got bool"),
    error("softmax-axis-none", lambda: pk.ops.softmax(f32, axis=None), TypeError, "axis must be an int"),
    *ok("axis-numpy-int", BY_NAME["softmax"], [f32], axis=np.int64(0)),
    # axis 0 of a column: the moved view is C-contiguous already (it was written in place).
    *ok("axis0-column", BY_NAME["softmax"], [np.arange(5, dtype=np.float32).reshape(5, 1)], axis=0),
    *result_rows(BY_NAME["softmax"], "axis0-column-read-only",
                 lambda: ([read_only(np.arange(5, dtype=np.float32).reshape(5, 1))], {"axis": 0}, None)),
    *ok("axis0-3d", BY_NAME["softmax"], [np.linspace(-3, 3, 24, dtype=np.float32).reshape(2, 3, 4)], axis=0),
    *ok("axis1-3d", BY_NAME["softmax"], [np.linspace(-3, 3, 24, dtype=np.float32).reshape(2, 3, 4)], axis=1),
    *ok("all-minus-inf-row", BY_NAME["softmax"], [np.array([[-np.inf] * 3, [1, 2, 3]], np.float32)], axis=-1),
    *ok("huge-spread", BY_NAME["softmax"], [np.array([[-1e30, 0, 1e30], [1e30, 1e30, -1e30]], np.float32)],
        axis=-1),
    *ok("one-column", BY_NAME["softmax"], [np.array([[5.0], [np.inf], [-3.0]], np.float32)], axis=-1),
]

THREADS = [
    error("set_num_threads-0", lambda: pk.set_num_threads(0), ValueError, "n must be >= 1, got 0"),
    error("set_num_threads-negative", lambda: pk.set_num_threads(-2), ValueError, "n must be >= 1, got -2"),
    error("set_num_threads-float", lambda: pk.set_num_threads(1.5), TypeError, "n must be an int, got float"),
    error("set_num_threads-str", lambda: pk.set_num_threads("2"), TypeError, "n must be an int, got str"),
    error("set_num_threads-bool", lambda: pk.set_num_threads(True), TypeError, "n must be an int, got bool"),
    error("set_num_threads-too-big", lambda: pk.set_num_threads(2**40), ValueError,
          "n must be <= 2147483647, got 1099511627776"),
]


# The native bindings, called directly (the C++ side checks again what it relies on).
def _native_misaligned():
    return misaligned(np.ones((3, 4), np.float32))


NATIVE = [
    error("_C.activation_inplace-misaligned", lambda: pk._C.activation_inplace(_native_misaligned(), 1), ValueError,
          "x: misaligned float32 data"),
    error("_C.softmax_rows-misaligned-x", lambda: pk._C.softmax_rows(_native_misaligned(), np.empty((3, 4), np.float32)),
          ValueError, "x: misaligned float32 data"),
    error("_C.softmax_rows-misaligned-y", lambda: pk._C.softmax_rows(f32, _native_misaligned()), ValueError,
          "y: misaligned float32 data"),
    error("_C.sgemm-misaligned", lambda: pk._C.sgemm(_native_misaligned(), w32.T, np.empty((3, 5), np.float32)),
          ValueError, "a: misaligned float32 data"),
    error("_C.activation_inplace-strided", lambda: pk._C.activation_inplace(np.ones((4, 4), np.float32)[:, ::2], 1),
          ValueError, "x: expected a C-contiguous array"),
    error("_C.activation_inplace-code", lambda: pk._C.activation_inplace(f32.copy(), 7), ValueError,
          "unknown activation 7"),
    error("_C.sgemm-bias-mode", lambda: pk._C.sgemm(f32, w32.T, np.empty((3, 5), np.float32), b32, 5), ValueError,
          "unknown bias_mode 5"),
    error("_C.sgemm-c-column-stride", lambda: pk._C.sgemm(f32, w32.T, np.empty((5, 3), np.float32).T), ValueError,
          "c must have unit column stride"),
]


# --- layers: built with fixed weights, checked against the reference of the op they call ---
def dense(units=5, activation="relu", in_features=4, **kw):
    layer = pk.layers.Dense(units, activation=activation, kernel_initializer=initializers.GlorotUniform(seed=1),
                            bias_initializer=initializers.GlorotUniform(seed=2), **kw)
    layer.build((None, in_features))
    return layer


def dense_reference(layer, x):
    x = np.asarray(x, np.float32)
    return tuple(ref_gemm.linear(x, layer.kernel.T, layer.bias, layer.activation, dtype=d)
                 for d in (np.float64, np.float32))


def layer_rows(id: str, make_layer: Callable, make_x: Callable, reference: Callable) -> list[Case]:
    """Result rows for a layer on every backend of its kernel (layers take backend=)."""
    rows = []
    for backend in kernel_backends("gemm"):
        layer, x = make_layer(backend), make_x()
        with np.errstate(all="ignore"):
            expected = reference(layer, x)
        rows.append(Case(f"{id}[{backend}]", lambda layer=layer, x=x: layer(x), reference=lambda e=expected: e))
    return rows


def _x(dtype=np.float32, shape=(3, 4), transform=lambda a: a):
    values = np.random.default_rng(3).uniform(-3, 3, shape)
    return lambda: transform(values.astype(dtype) if dtype is not list else values.tolist())


def _with(values, value):
    values = values.copy()
    values.flat[values.size // 2] = value
    return values


DENSE = [
    error("Dense-units-0", lambda: pk.layers.Dense(0), ValueError, "units must be >= 1, got 0"),
    error("Dense-units-negative", lambda: pk.layers.Dense(-3), ValueError, "units must be >= 1, got -3"),
    error("Dense-units-float", lambda: pk.layers.Dense(2.5), TypeError, "units must be an int, got float"),
    error("Dense-units-bool", lambda: pk.layers.Dense(True), TypeError, "units must be an int, got bool"),
    error("Dense-units-str", lambda: pk.layers.Dense("4"), TypeError, "units must be an int, got str"),
    error("Dense-activation-unknown", lambda: pk.layers.Dense(4, activation="swish"), ValueError,
          "unknown activation 'swish'"),
    error("Dense-activation-int", lambda: pk.layers.Dense(4, activation=1), TypeError, "activation must be a str"),
    error("Dense-use_bias-int", lambda: pk.layers.Dense(4, use_bias=1), TypeError, "use_bias must be a bool, got int"),
    error("Dense-initializer-unknown", lambda: pk.layers.Dense(4, kernel_initializer="nope"), ValueError,
          "unknown initializer 'nope'"),
    error("Dense-initializer-int", lambda: pk.layers.Dense(4, bias_initializer=3), TypeError,
          "expected an initializer name, dict or callable, got int"),
    error("Dense-name-empty", lambda: pk.layers.Dense(4, name=""), TypeError, "name must be a non-empty str"),
    error("Dense-backend-int", lambda: pk.layers.Dense(4, backend=2), TypeError, "backend must be a str, got int"),
    error("Dense-input-1d", lambda: dense()(np.ones(4, np.float32)), ValueError,
          "expected an input with at least 2 axes, got shape (4,)"),
    error("Dense-input-0d", lambda: dense()(np.float32(1)), ValueError, "expected an input with at least 2 axes"),
    error("Dense-input-features", lambda: dense()(np.ones((2, 3), np.float32)), ValueError,
          "expected axis -1 of the input to be 4, got shape (2, 3)"),
    error("Dense-input-complex", lambda: dense()(np.ones((2, 4), np.complex64)), TypeError,
          "expected a real numeric input (float, int or bool array, cast to float32), got dtype complex64"),
    error("Dense-input-object", lambda: dense()(np.ones((2, 4), object)), TypeError, "got dtype object"),
    error("Dense-input-str", lambda: dense()(np.full((2, 4), "a")), TypeError, "got dtype <U1"),
    error("Dense-input-ragged", lambda: dense()([[1.0, 2.0], [3.0]]), ValueError, "inhomogeneous"),
    error("Dense-weight-bytes-overflow", lambda: pk.layers.Dense(2**62)(np.ones((1, 4), np.float32)),
          OverflowError, "weight 'kernel' of shape (4, 4611686018427387904)"),
    error("Dense-backend-unknown", lambda: dense(backend="gpu")(f32), ValueError, "unknown backend 'gpu'"),
    error("Dense-set_weights-count", lambda: dense().set_weights([w32.T]), ValueError,
          "set_weights expected 2 arrays"),
    error("Dense-set_weights-shape", lambda: dense().set_weights([w32, b32]), ValueError,
          "weight 'kernel' has shape (4, 5), got (5, 4)"),
    error("Dense-set_weights-complex", lambda: dense().set_weights([w32.T.astype(complex), b32]), TypeError,
          "weight 'kernel' must be a real numeric array, got dtype complex128"),
    error("Dense-set_weights-unbuilt", lambda: pk.layers.Dense(3).set_weights([w32.T, b32]), ValueError,
          "the layer is not built yet"),
    error("Dense-count_params-unbuilt", lambda: pk.layers.Dense(3).count_params(), ValueError, "needs a built layer"),
]
for label, make_x in {
    "float64": _x(np.float64), "float16": _x(np.float16), "int32": _x(np.int32), "uint8": _x(np.uint8),
    "bool": _x(np.bool_), "list": _x(list), "strided": _x(transform=strided), "negative": _x(transform=negative),
    "fortran": _x(transform=fortran), "misaligned": _x(transform=misaligned), "read-only": _x(transform=read_only),
    "batch0": _x(shape=(0, 4)), "3d": _x(shape=(2, 3, 4)), "batch0-3d": _x(shape=(2, 0, 4)),
    "nan": _x(transform=lambda a: _with(a, np.nan)), "inf": _x(transform=lambda a: _with(a, np.inf)),
}.items():
    DENSE += layer_rows(f"Dense-input-{label}", lambda b: dense(activation="tanh", backend=b), make_x,
                        dense_reference)
DENSE += layer_rows("Dense-no-bias", lambda b: dense(activation=None, use_bias=False, backend=b), _x(),
                    lambda layer, x: tuple(ref_gemm.linear(x, layer.kernel.T, None, None, d)
                                           for d in (np.float64, np.float32)))
DENSE += layer_rows("Dense-softmax", lambda b: dense(activation="softmax", backend=b), _x(), dense_reference)


def activation_reference(layer, x):
    x = np.asarray(x, np.float32)
    return tuple(ref_act.activate(x, layer.activation, d) for d in (np.float64, np.float32))


ACTIVATION_LAYER = [
    error("Activation-unknown", lambda: pk.layers.Activation("swish"), ValueError, "unknown activation 'swish'"),
    error("Activation-int", lambda: pk.layers.Activation(3), TypeError, "activation must be a str or None, got int"),
    error("Activation-input-complex", lambda: pk.layers.Activation("relu")(np.ones(3, complex)), TypeError,
          "got dtype complex128"),
    error("Activation-softmax-0d", lambda: pk.layers.Activation("softmax")(np.float32(1)), ValueError,
          "x must have at least 1 dimensions"),
    *layer_rows("Activation-int-input", lambda b: pk.layers.Activation("gelu", backend=b), _x(np.int32),
                activation_reference),
    *layer_rows("Activation-softmax-nan", lambda b: pk.layers.Activation("softmax", backend=b),
                _x(transform=lambda a: _with(a, np.nan)), activation_reference),
    *layer_rows("Activation-batch0", lambda b: pk.layers.Activation("sigmoid", backend=b), _x(shape=(0, 4)),
                activation_reference),
]


def flatten_reference(layer, x):
    x = np.asarray(x, np.float32)
    flat = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
    return flat.astype(np.float64), flat


FLATTEN = [
    error("Flatten-input-0d", lambda: pk.layers.Flatten()(np.float32(1)), ValueError,
          "expected an input with at least 1 axes, got shape ()"),
    error("Flatten-input-object", lambda: pk.layers.Flatten()(np.ones((2, 2), object)), TypeError,
          "got dtype object"),
    *layer_rows("Flatten-batch0", lambda b: pk.layers.Flatten(), _x(shape=(0, 3, 4)), flatten_reference),
    *layer_rows("Flatten-zero-feature", lambda b: pk.layers.Flatten(), _x(shape=(2, 0, 4)), flatten_reference),
    *layer_rows("Flatten-1d", lambda b: pk.layers.Flatten(), _x(shape=(5,)), flatten_reference),
    *layer_rows("Flatten-negative", lambda b: pk.layers.Flatten(), _x(shape=(2, 3, 4), transform=negative),
                flatten_reference),
]


def mlp(backend="auto"):
    model = pk.layers.Sequential([pk.layers.Flatten(), dense(5, "relu"), dense(3, "softmax", in_features=5)],
                                 backend=backend)
    model.build((None, 2, 2))
    return model


def mlp_reference(model, x):
    flat = np.asarray(x, np.float32).reshape(len(x), 4)
    d1, d2 = model.layers[1], model.layers[2]
    return tuple(ref_gemm.linear(ref_gemm.linear(flat, d1.kernel.T, d1.bias, "relu", d), d2.kernel.T, d2.bias,
                                 "softmax", d) for d in (np.float64, np.float32))


SEQUENTIAL = [
    error("Sequential-add-non-layer", lambda: pk.layers.Sequential([1]), TypeError,
          "can only add Layer instances, got int"),
    error("Sequential-duplicate-name",
          lambda: pk.layers.Sequential([pk.layers.Dense(2, name="d"), pk.layers.Dense(2, name="d")]), ValueError,
          "a layer named 'd' is already in the model"),
    error("Sequential-empty-call", lambda: pk.layers.Sequential()(f32), ValueError, "the model has no layers"),
    error("Sequential-input-shape", lambda: mlp()(np.ones((2, 5), np.float32)), ValueError,
          "expected axis -1 of the input to be 4"),
    error("Sequential-predict-batch_size-0", lambda: mlp().predict(np.ones((2, 2, 2)), batch_size=0), ValueError,
          "batch_size must be >= 1, got 0"),
    error("Sequential-predict-batch_size-float", lambda: mlp().predict(np.ones((2, 2, 2)), batch_size=1.5),
          TypeError, "batch_size must be an int, got float"),
    error("Sequential-summary-unbuilt", lambda: pk.layers.Sequential([pk.layers.Dense(2)]).summary(), ValueError,
          "summary needs a built model"),
    error("Sequential-set_weights-count", lambda: mlp().set_weights([]), ValueError, "expected 4 arrays"),
    error("deserialize-unknown-class", lambda: pk.layers.deserialize({"class_name": "Conv9D"}), ValueError,
          "unknown layer class 'Conv9D'"),
    *layer_rows("Sequential-batch0", mlp, _x(shape=(0, 2, 2)), mlp_reference),
    *layer_rows("Sequential-int-input", mlp, _x(np.int64, shape=(3, 2, 2)), mlp_reference),
    *layer_rows("Sequential-nan", mlp, _x(shape=(3, 2, 2), transform=lambda a: _with(a, np.nan)), mlp_reference),
]


class Predicting:
    """A model called through ``predict(x, batch_size)``, for layer_rows."""

    def __init__(self, model, batch_size):
        self.model, self.batch_size, self.layers = model, batch_size, model.layers

    def __call__(self, x):
        return self.model.predict(x, self.batch_size)


for batch_size in (1, 2, 7):
    SEQUENTIAL += layer_rows(f"Sequential-predict-batch_size-{batch_size}",
                             lambda b, n=batch_size: Predicting(mlp(b), n), _x(shape=(5, 2, 2)), mlp_reference)


# --- the families' hand sections: parameters and metadata the generated rows do not vary ---
def f(*shape):
    return np.ones(shape, np.float32)


def ids(*values):
    return np.array(values)


W34 = np.arange(12, dtype=np.float32).reshape(3, 4)
LSTM_W = [(f(8, 3), f(8, 2), f(8), f(8))]  # one layer: input 3, hidden 2


def csr(indptr, indices, data=None, shape=(2, 4)):
    return lambda: pk.formats.CSRMatrix(shape, np.array(indptr), np.array(indices),
                                        np.ones(len(indices), np.float32) if data is None else data)


SPARSE_METADATA = [
    error("CSR-indptr-short", csr([0, 1], [0, 1]), ValueError, "indptr"),
    error("CSR-indptr-decreasing", csr([0, 2, 1], [0, 1]), ValueError, "indptr"),
    error("CSR-indptr-end", csr([0, 1, 3], [0, 1]), ValueError, "indptr"),
    error("CSR-index-out-of-range", csr([0, 1, 2], [0, 4]), ValueError,
          "column index 4 at position 1 is out of range [0, 4)"),
    error("CSR-index-negative", csr([0, 1, 2], [0, -1]), ValueError,
          "column index -1 at position 1 is out of range [0, 4)"),
    error("CSR-indices-unsorted", csr([0, 2, 2], [2, 1]), ValueError, "indices"),
    error("CSR-indices-duplicate", csr([0, 2, 2], [1, 1]), ValueError, "indices"),
    error("CSR-indices-float", csr([0, 1, 2], np.array([0.0, 1.0])), TypeError, "indices must be an integer array"),
    error("CSR-indptr-float", csr(np.array([0.0, 1.0, 2.0]), [0, 1]), TypeError, "indptr must be an integer array"),
    error("CSR-data-length", csr([0, 1, 2], [0, 1], np.ones(3, np.float32)), ValueError, "data"),
    error("CSR-shape-negative", csr([0], [], shape=(-1, 4)), ValueError, "shape must be non-negative, got (-1, 4)"),
    error("CSR-shape-int32-overflow", csr([0], [], shape=(2**62, 4)), OverflowError, "exceeds the int32 index range"),
    error("BSR-blocksize-zero", lambda: pk.formats.BSRMatrix.from_dense(W34, (0, 2)), ValueError,
          "blocksize must be positive, got (0, 2)"),
    error("BSR-shape-not-multiple", lambda: pk.formats.BSRMatrix.from_dense(W34, (2, 2)), ValueError,
          "shape (3, 4) is not a multiple of the block 2x2"),
    error("NM-pattern-n-above-m", lambda: pk.formats.NMMatrix.from_dense(W34, 3, 2), ValueError,
          "expected 1 <= n <= m <= 256, got 3:2"),
    error("NM-in-features-not-multiple", lambda: pk.formats.NMMatrix.from_dense(f(3, 6), 2, 4), ValueError,
          "in_features = 6 is not a multiple of m = 4"),
    error("NM-group-too-dense", lambda: pk.formats.NMMatrix.from_dense(W34, 2, 4), ValueError,
          "row 0, group 0 has 3 nonzeros, more than n = 2"),
    error("NM-positions-out-of-range",
          lambda: pk.formats.NMMatrix((1, 4), 2, 4, f(1, 2), np.array([[0, 4]])), ValueError,
          "positions must lie in [0, 4)"),
    error("NM-positions-not-increasing",
          lambda: pk.formats.NMMatrix((1, 4), 2, 4, f(1, 2), np.array([[2, 1]])), ValueError,
          "positions within a group must be strictly increasing"),
    error("NM-positions-float",
          lambda: pk.formats.NMMatrix((1, 4), 2, 4, f(1, 2), np.array([[0.0, 1.0]])), TypeError,
          "positions must be an integer array"),
    error("spmm-w-dense", lambda: pk.ops.spmm(W34, f(4, 2)), TypeError, "w must be a sparse matrix"),
    error("spmm-x-rows", lambda: pk.ops.spmm(pk.formats.CSRMatrix.from_dense(W34), f(3, 2)), ValueError,
          "x has 3 rows (shape (3, 2)) but w (3, 4) expects 4"),
    error("spmm-x-3d", lambda: pk.ops.spmm(pk.formats.CSRMatrix.from_dense(W34), f(4, 2, 1)), ValueError,
          "x must be 1-D or 2-D (K, N), got shape (4, 2, 1)"),
    error("spmm-bias-length", lambda: pk.ops.spmm(pk.formats.CSRMatrix.from_dense(W34), f(4, 2), f(4)), ValueError,
          "bias has shape (4,), expected (3,)"),
    error("spmm-activation-softmax", lambda: pk.ops.spmm(pk.formats.CSRMatrix.from_dense(W34), f(4, 2),
                                                         activation="softmax"), ValueError,
          "unknown activation 'softmax'"),
    *ok("x-1d", BY_NAME["spmm"], [W34, np.arange(4, dtype=np.float32), f(3)], pattern="unstructured",
        activation=None),
    *ok("all-zero-w", BY_NAME["spmm"], [np.zeros((8, 8), np.float32), f(8, 5), f(8)], pattern="2:4",
        activation="relu"),
]

QUANTIZATION = [
    error("quantize-scale-0", lambda: pk.ops.quantize(f(3), 0.0), ValueError, "scale must be finite and > 0, got [0.0]"),
    error("quantize-scale-negative", lambda: pk.ops.quantize(f(3), -1.0), ValueError, "scale must be finite and > 0"),
    error("quantize-scale-nan", lambda: pk.ops.quantize(f(3), np.nan), ValueError, "scale must be finite and > 0"),
    error("quantize-scale-inf", lambda: pk.ops.quantize(f(3), np.inf), ValueError, "scale must be finite and > 0"),
    error("quantize-scale-str", lambda: pk.ops.quantize(f(3), "a"), TypeError, "scale must be real numbers"),
    error("quantize-zero_point-range", lambda: pk.ops.quantize(f(3), 1.0, 200), ValueError,
          "zero_point must lie in [-128, 127] for int8, got [200]"),
    error("quantize-zero_point-uint8-range", lambda: pk.ops.quantize(f(3), 1.0, -1, np.uint8), ValueError,
          "zero_point must lie in [0, 255] for uint8"),
    error("quantize-zero_point-float", lambda: pk.ops.quantize(f(3), 1.0, 1.5), TypeError,
          "zero_point must be integers"),
    error("quantize-dtype-int16", lambda: pk.ops.quantize(f(3), 1.0, 0, np.int16), TypeError,
          "dtype must be int8 or uint8, got int16"),
    error("quantize-axis-out-of-range", lambda: pk.ops.quantize(f(3, 4), 1.0, axis=2), ValueError,
          "axis 2 is out of range for a 2-D array"),
    error("quantize-per-channel-count", lambda: pk.ops.quantize(f(3, 4), np.ones(3), axis=1), ValueError,
          "scale has 3 values, expected 4 (one per channel)"),
    error("dequantize-not-qtensor", lambda: pk.ops.dequantize(f(3)), TypeError, "expected a QTensor, got ndarray"),
    error("QTensor-float-data", lambda: QTensor(f(3), 1.0), TypeError, "data must be int8 or uint8, got float32"),
    error("requantize-multiplier-0", lambda: pk.ops.requantize(np.ones(3, np.int32), 0.0), ValueError,
          "multiplier must be finite and > 0, got [0.0]"),
    error("requantize-multiplier-nan", lambda: pk.ops.requantize(np.ones(3, np.int32), np.nan), ValueError,
          "multiplier must be finite and > 0"),
    error("requantize-x-int64", lambda: pk.ops.requantize(np.ones(3, np.int64), 1.0), TypeError,
          "x must be int32, got int64"),
    error("requantize-relu-per-channel-zero-points",
          lambda: pk.ops.requantize(np.ones((2, 3), np.int32), 1.0, np.array([1, 2, 3]), axis=1, activation="relu"),
          ValueError, "relu with per-channel zero points is not supported"),
    error("requantize-activation-gelu", lambda: pk.ops.requantize(np.ones(3, np.int32), 1.0, activation="gelu"),
          ValueError, "unknown activation 'gelu'; expected one of ['none', 'relu']"),
    error("matmul_int8-a-float32", lambda: pk.ops.matmul_int8(f(2, 3), np.ones((3, 2), np.int8)), TypeError,
          "a must be uint8 or int8, got float32"),
    error("matmul_int8-b-uint8", lambda: pk.ops.matmul_int8(np.ones((2, 3), np.uint8), np.ones((3, 2), np.uint8)),
          TypeError, "b must be int8, got uint8"),
    error("matmul_int8-inner", lambda: pk.ops.matmul_int8(np.ones((2, 3), np.uint8), np.ones((4, 2), np.int8)),
          ValueError, "inner dimensions differ: a has shape (2, 3), b has shape (4, 2)"),
    error("matmul_int8-zero_point-range",
          lambda: pk.ops.matmul_int8(np.ones((2, 3), np.uint8), np.ones((3, 2), np.int8), a_zero_point=300),
          ValueError, "zero_point must lie in [0, 255] for uint8, got [300]"),
    error("matmul_int8-out-float32",
          lambda: pk.ops.matmul_int8(np.ones((2, 3), np.uint8), np.ones((3, 2), np.int8), out=f(2, 2)), TypeError,
          "out must be int32, got float32"),
    error("matmul_int8-out-shape",
          lambda: pk.ops.matmul_int8(np.ones((2, 3), np.uint8), np.ones((3, 2), np.int8), out=np.ones((3, 3), np.int32)),
          ValueError, "out has shape (3, 3), expected (2, 2)"),
    error("pack_int8-float32", lambda: pk.ops.pack_int8(f(3, 2)), TypeError, "b must be int8, got float32"),
    error("pack_int8-1d", lambda: pk.ops.pack_int8(np.ones(3, np.int8)), ValueError, "b must be 2-D, got 1-D"),
    error("linear_int8-weights-ndarray", lambda: pk.ops.linear_int8(f(2, 3), np.ones((2, 3), np.int8)), TypeError,
          "weights must be Int8Weights, got ndarray"),
    error("linear_int8-x-float64", lambda: pk.ops.linear_int8(np.ones((2, 3)), Int8Weights.from_float(f(2, 3))),
          TypeError, "x must be float32 or uint8 or int8, got float64"),
    error("linear_int8-x_qmax-300", lambda: pk.ops.linear_int8(f(2, 3), Int8Weights.from_float(f(2, 3)), x_qmax=300),
          ValueError, "x_qmax must be <= 255, got 300"),
    error("linear_int8-zero-point-without-scale",
          lambda: pk.ops.linear_int8(f(2, 3), Int8Weights.from_float(f(2, 3)), x_zero_point=3), ValueError,
          "x_zero_point given without x_scale"),
    error("linear_int8-codes-without-scale",
          lambda: pk.ops.linear_int8(np.ones((2, 3), np.uint8), Int8Weights.from_float(f(2, 3))), ValueError,
          "quantized x needs x_scale"),
    error("linear_int8-features", lambda: pk.ops.linear_int8(f(2, 4), Int8Weights.from_float(f(2, 3))), ValueError,
          "x has 4 features (shape (2, 4)) but the weights expect 3"),
    error("linear_int8-out_dtype-int16",
          lambda: pk.ops.linear_int8(f(2, 3), Int8Weights.from_float(f(2, 3)), out_dtype=np.int16), TypeError,
          "out_dtype must be int8 or uint8, got int16"),
]

INT32_OVERFLOW = [  # |sum (a - za)(w - zw)| could exceed int32: refused before any kernel runs
    error("matmul_int8-accumulator-overflow",
          lambda: pk.ops.matmul_int8(np.ones((1, 70000), np.uint8), np.full((70000, 1), -128, np.int8)),
          OverflowError, "the int32 accumulator could overflow: K=70000"),
    error("linear_int8-accumulator-overflow",
          lambda: pk.ops.linear_int8(np.ones((1, 70000), np.uint8),
                                     Int8Weights.from_int8(np.full((1, 70000), -128, np.int8)), x_scale=1.0,
                                     x_zero_point=0),
          OverflowError, "the int32 accumulator could overflow"),
    # The largest K that cannot overflow (255 * 128 * K <= 2**31 - 1) runs, exactly.
    *ok("largest-safe-k", BY_NAME["matmul_int8"], [np.full((1, 65793), 255, np.uint8),
                                                   np.full((65793, 2), -128, np.int8)], a_zero_point=0),
]

CALIBRATION = [  # a range computed from the data is undefined with NaN / inf in it
    *(error(f"linear_int8-dynamic-x-{label}",
            lambda v=value: pk.ops.linear_int8(np.array([[1, v, 2]], np.float32), Int8Weights.from_float(f(2, 3))),
            ValueError, "contains NaN or inf; dynamic quantization needs a finite range")
      for label, value in (("nan", np.nan), ("inf", np.inf), ("-inf", -np.inf))),
    *(error(f"Int8Weights.from_float-{label}",
            lambda v=value: Int8Weights.from_float(np.array([[1, v]], np.float32)), ValueError,
            "contains NaN or inf; its range is undefined") for label, value in (("nan", np.nan), ("inf", np.inf))),
    error("QTensor.from_float-inf", lambda: QTensor.from_float(np.array([1, np.inf], np.float32)), ValueError,
          "contains NaN or inf"),
]

CONV_GEOMETRY = [
    error("conv2d-window-too-big", lambda: pk.ops.conv2d(f(1, 2, 3, 3), f(4, 2, 5, 5)), ValueError,
          "the window (5 taps, dilation 1: extent 5) is larger than the padded input height 3 + 0 + 0 = 3"),
    error("conv2d-dilated-window-too-big", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 3, 3), dilation=3),
          ValueError, "extent 7) is larger than the padded input height 5"),
    error("conv2d-groups-divide", lambda: pk.ops.conv2d(f(1, 3, 5, 5), f(4, 1, 3, 3), groups=2), ValueError,
          "in_channels 3 and out_channels 4 must both be divisible by groups 2"),
    error("conv2d-in-channels", lambda: pk.ops.conv2d(f(1, 3, 5, 5), f(4, 2, 3, 3)), ValueError,
          "w of shape (4, 2, 3, 3) expects 2 x groups 1 = 2 input channels, x has 3"),
    error("conv2d-groups-0", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 3, 3), groups=0), ValueError,
          "groups must be >= 1, got 0"),
    error("conv2d-stride-0", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 3, 3), stride=0), ValueError,
          "stride must be >= 1, got 0"),
    error("conv2d-stride-triple", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 3, 3), stride=(1, 2, 3)), ValueError,
          "stride must be an int or a pair of ints, got (1, 2, 3)"),
    error("conv2d-padding-negative", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 3, 3), padding=-1), ValueError,
          "padding must be >= 0, got -1"),
    error("conv2d-padding-full", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 3, 3), padding="full"), ValueError,
          "padding must be 'valid', 'same', an int, a pair or (top, bottom, left, right), got 'full'"),
    error("conv2d-dilation-0", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 3, 3), dilation=0), ValueError,
          "dilation must be >= 1, got 0"),
    error("conv2d-kernel-0-rows", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 0, 3)), ValueError,
          "the kernel must be at least 1x1, got w of shape (4, 2, 0, 3)"),
    error("conv2d-x-3d", lambda: pk.ops.conv2d(f(2, 5, 5), f(4, 2, 3, 3)), ValueError, "x must be 4-D, got 3-D"),
    error("conv2d-data_format", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 3, 3), data_format="NCHW"), ValueError,
          "data_format must be one of ['channels_first', 'channels_last'], got 'NCHW'"),
    error("conv2d-activation-softmax", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 3, 3), activation="softmax"),
          ValueError, "unknown activation 'softmax'"),
    error("conv2d-bias-length", lambda: pk.ops.conv2d(f(1, 2, 5, 5), f(4, 2, 3, 3), f(3)), ValueError,
          "bias has shape (3,), expected (4,)"),
    error("max_pool2d-padding-too-big", lambda: pk.ops.max_pool2d(f(1, 2, 5, 5), 2, padding=2), ValueError,
          "height padding (2, 2) must be smaller than the pool size 2"),
    error("max_pool2d-window-too-big", lambda: pk.ops.max_pool2d(f(1, 2, 2, 2), 3), ValueError,
          "is larger than the padded input height 2"),
    error("max_pool2d-ceil_mode-int", lambda: pk.ops.max_pool2d(f(1, 2, 5, 5), 2, ceil_mode=1), TypeError,
          "ceil_mode must be a bool, got int"),
    error("avg_pool2d-kernel-0", lambda: pk.ops.avg_pool2d(f(1, 2, 5, 5), 0), ValueError,
          "kernel_size must be >= 1, got 0"),
    error("global_avg_pool2d-keepdims-int", lambda: pk.ops.global_avg_pool2d(f(1, 2, 5, 5), keepdims=1), TypeError,
          "keepdims must be a bool, got int"),
    *ok("dilation-2", BY_NAME["conv2d"], [f(1, 2, 7, 7), np.linspace(-1, 1, 72, dtype=np.float32).reshape(4, 2, 3, 3),
                                           f(4)], stride=1, padding=2, activation=None),
    *ok("1x1-stride-3", BY_NAME["conv2d"], [np.linspace(-2, 2, 2 * 3 * 8 * 8, dtype=np.float32).reshape(2, 3, 8, 8),
                                             f(5, 3, 1, 1), f(5)], stride=3, padding=0, activation="relu"),
    *ok("valid", BY_NAME["depthwise_conv2d"], [np.linspace(-2, 2, 75, dtype=np.float32).reshape(1, 3, 5, 5),
                                               f(3, 1, 3, 3), f(3)], stride=1, padding="valid", activation=None),
]

LSTM_ARGUMENTS = [
    error("lstm-weights-empty", lambda: pk.ops.lstm(f(2, 1, 3), []), TypeError,
          "weights must be a non-empty list of (w_ih, w_hh, b_ih, b_hh[, w_hr]) tuples"),
    error("lstm-h0-shape", lambda: pk.ops.lstm(f(2, 1, 3), LSTM_W, h0=f(1, 2, 2)), ValueError,
          "h0 has shape (1, 2, 2), expected (1, 1, 2)"),
    error("lstm-c0-shape", lambda: pk.ops.lstm(f(2, 1, 3), LSTM_W, c0=f(2, 1, 2)), ValueError,
          "c0 has shape (2, 1, 2), expected (1, 1, 2)"),
    error("lstm-lengths-above-T", lambda: pk.ops.lstm(f(2, 1, 3), LSTM_W, lengths=[3]), ValueError,
          "lengths[0] = 3 is outside [1, 2] (T = 2)"),
    error("lstm-lengths-0", lambda: pk.ops.lstm(f(2, 1, 3), LSTM_W, lengths=[0]), ValueError,
          "lengths[0] = 0 is outside [1, 2]"),
    error("lstm-lengths-negative", lambda: pk.ops.lstm(f(2, 1, 3), LSTM_W, lengths=[-1]), ValueError,
          "lengths[0] = -1 is outside [1, 2]"),
    error("lstm-lengths-count", lambda: pk.ops.lstm(f(2, 1, 3), LSTM_W, lengths=[1, 2]), ValueError,
          "lengths has shape (2,), expected (1,) (one per batch row)"),
    error("lstm-lengths-float", lambda: pk.ops.lstm(f(2, 1, 3), LSTM_W, lengths=np.array([1.5])), TypeError,
          "lengths must be integers, got dtype float64"),
    error("lstm-w_ih-rows", lambda: pk.ops.lstm(f(2, 1, 3), [(f(7, 3), f(8, 2), f(8), f(8))]), ValueError,
          "weights[0] w_ih has shape (7, 3), expected (8, 3)"),
    error("lstm-w_hh-shape", lambda: pk.ops.lstm(f(2, 1, 3), [(f(8, 3), f(8, 3), f(8), f(8))]), ValueError,
          "weights[0] w_hh has shape (8, 3), expected (8, 2)"),
    error("lstm-input-features", lambda: pk.ops.lstm(f(2, 1, 4), LSTM_W), ValueError,
          "w_ih has shape (8, 3), expected (8, 4) for layer 0 (x has 4 features)"),
    error("lstm-bidirectional-odd", lambda: pk.ops.lstm(f(2, 1, 3), LSTM_W, bidirectional=True), ValueError,
          "1 weight tuples cannot be split into layers of 2 directions"),
    error("lstm-bias-length", lambda: pk.ops.lstm(f(2, 1, 3), [(f(8, 3), f(8, 2), f(7), f(8))]), ValueError,
          "weights[0] b_ih has shape (7,), expected (8,)"),
    error("lstm-x-2d", lambda: pk.ops.lstm(f(2, 3), LSTM_W), ValueError, "x must be 3-D, got 2-D"),
    error("lstm_cell-h-shape", lambda: pk.ops.lstm_cell(f(1, 3), f(2, 2), None, f(8, 3), f(8, 2)), ValueError,
          "h has shape (2, 2), expected (1, 2) (batch, hidden_size)"),
    error("embedding-ids-float", lambda: pk.ops.embedding(np.ones(3), f(4, 2)), TypeError,
          "ids must be integers, got dtype float64"),
    error("embedding-id-too-big", lambda: pk.ops.embedding(ids(4), f(4, 2)), ValueError,
          "id 4 at index (0,) is out of range for a table of 4 rows"),
    error("embedding-id-negative", lambda: pk.ops.embedding(ids(-1), f(4, 2)), ValueError,
          "id -1 at index (0,) is out of range"),
    error("embedding-id-uint64-huge", lambda: pk.ops.embedding(np.array([2**63], np.uint64), f(4, 2)), ValueError,
          "id 9223372036854775808 at index (0,) is out of range"),
    error("embedding-table-1d", lambda: pk.ops.embedding(ids(1), f(4)), ValueError, "table must be 2-D, got 1-D"),
    *ok("ids-0d", BY_NAME["embedding"], [np.array(2), W34]),
    *ok("ids-uint8", BY_NAME["embedding"], [np.array([[0, 2], [1, 1]], np.uint8), W34]),
]
def _flat_lstm(result):
    y, (h, c) = result
    return np.concatenate([np.ravel(y), np.ravel(h), np.ravel(c)])


for label, lengths in (("full", [3, 3]), ("ragged", [1, 3]), ("ones", [1, 1])):
    def _lstm_lengths(lengths=lengths):
        spec = BY_NAME["lstm"]
        arrays = spec.arrays({"t": 3, "b": 2, "i": 5, "h": 4}, seed=7)
        x, w_ih, w_hh, b_ih, b_hh, h0, c0 = arrays
        weights = [(w_ih, w_hh, b_ih, b_hh)]
        calls = {backend: (lambda b=backend: _flat_lstm(pk.ops.lstm(x, weights, h0, c0, lengths=lengths, backend=b)))
                 for backend in kernel_backends("lstm_layer")}
        expected = tuple(_flat_lstm(ref_lstm.lstm(x, weights, h0, c0, lengths=np.array(lengths), dtype=d))
                         for d in (np.float64, np.float32))
        return [Case(f"lstm-lengths-{label}[{b}]", call, reference=lambda e=expected: e) for b, call in calls.items()]
    LSTM_ARGUMENTS += _lstm_lengths()


def _bool_mask_rows(label, mask_shape, q_heads=4, kv_heads=2, causal=False):
    """sdpa with a bool mask (True = attend) of ``mask_shape`` on every backend."""
    rng = np.random.default_rng(5)
    q = rng.uniform(-1, 1, (2, q_heads, 5, 8)).astype(np.float32)
    k = rng.uniform(-1, 1, (2, kv_heads, 6, 8)).astype(np.float32)
    v = rng.uniform(-1, 1, (2, kv_heads, 6, 3)).astype(np.float32)
    mask = rng.random(mask_shape) < 0.6
    expected = tuple(ref_attention.sdpa(q, k, v, mask, causal, dtype=d) for d in (np.float64, np.float32))
    return [Case(f"sdpa-{label}[{b}]", lambda b=b: pk.ops.sdpa(q, k, v, mask, causal, backend=b),
                 reference=lambda e=expected: e) for b in kernel_backends("sdpa")]


SDPA = [
    error("sdpa-heads-not-divisible", lambda: pk.ops.sdpa(f(1, 3, 2, 4), f(1, 2, 2, 4), f(1, 2, 2, 4)), ValueError,
          "key/value heads (2, k (1, 2, 2, 4)) must divide query heads (3, q (1, 3, 2, 4))"),
    error("sdpa-kv-heads-0", lambda: pk.ops.sdpa(f(1, 3, 2, 4), f(1, 0, 2, 4), f(1, 0, 2, 4)), ValueError,
          "key/value heads (0"),
    error("sdpa-head-dims", lambda: pk.ops.sdpa(f(1, 2, 2, 4), f(1, 2, 2, 5), f(1, 2, 2, 4)), ValueError,
          "head dims differ: q (1, 2, 2, 4) has D=4, k (1, 2, 2, 5) has D=5"),
    error("sdpa-k-v-disagree", lambda: pk.ops.sdpa(f(1, 2, 2, 4), f(1, 2, 2, 4), f(1, 2, 3, 4)), ValueError,
          "k and v must agree on (B, Hkv, Nk)"),
    error("sdpa-batch", lambda: pk.ops.sdpa(f(2, 2, 2, 4), f(1, 2, 2, 4), f(1, 2, 2, 4)), ValueError,
          "batch sizes differ"),
    error("sdpa-mask-shape", lambda: pk.ops.sdpa(f(1, 2, 2, 4), f(1, 2, 3, 4), f(1, 2, 3, 4), f(2, 2)), ValueError,
          "attn_mask of shape (2, 2) does not broadcast to (1, 2, 2, 3)"),
    error("sdpa-mask-5d", lambda: pk.ops.sdpa(f(1, 2, 2, 4), f(1, 2, 3, 4), f(1, 2, 3, 4), np.ones((1, 1, 1, 2, 3), bool)),
          ValueError, "does not broadcast to (1, 2, 2, 3)"),
    error("sdpa-mask-int32", lambda: pk.ops.sdpa(f(1, 2, 2, 4), f(1, 2, 3, 4), f(1, 2, 3, 4), np.ones((2, 3), np.int32)),
          TypeError, "attn_mask must be bool (True = attend) or float (additive), got int32"),
    error("sdpa-is_causal-int", lambda: pk.ops.sdpa(f(1, 2, 2, 4), f(1, 2, 3, 4), f(1, 2, 3, 4), is_causal=1),
          TypeError, "is_causal must be a bool, got int"),
    error("sdpa-scale-nan", lambda: pk.ops.sdpa(f(1, 2, 2, 4), f(1, 2, 3, 4), f(1, 2, 3, 4), scale=float("nan")),
          ValueError, "scale must be a finite number, got nan"),
    error("LSTM-num_layers-2**70", lambda: pk.layers.LSTM(4, num_layers=2**70), OverflowError,
          "num_layers = 1180591620717411303424 does not fit in 64 bits"),
    error("LSTM-weights-unaddressable", lambda: pk.layers.LSTM(4, num_layers=2**62)(f(1, 2, 3)), OverflowError,
          "more than the addressable maximum"),
    error("sdpa-scale-str", lambda: pk.ops.sdpa(f(1, 2, 2, 4), f(1, 2, 3, 4), f(1, 2, 3, 4), scale="0.5"),
          TypeError, "scale must be a number, got str"),
    error("sdpa-q-3d", lambda: pk.ops.sdpa(f(2, 2, 4), f(1, 2, 3, 4), f(1, 2, 3, 4)), ValueError,
          "q must be 4-D, got 3-D"),
    error("layer_norm-gamma-length", lambda: pk.ops.layer_norm(f(2, 4), f(3)), ValueError,
          "gamma has shape (3,), expected (4,) for x of shape (2, 4)"),
    error("layer_norm-eps-negative", lambda: pk.ops.layer_norm(f(2, 4), eps=-1.0), ValueError,
          "eps must be >= 0, got -1.0"),
    error("layer_norm-eps-nan", lambda: pk.ops.layer_norm(f(2, 4), eps=float("nan")), ValueError,
          "eps must be a finite number, got nan"),
    error("layer_norm-eps-str", lambda: pk.ops.layer_norm(f(2, 4), eps="1e-5"), TypeError,
          "eps must be a number, got str"),
    *ok("eps-0-constant-rows", BY_NAME["layer_norm"], [f(2, 4), f(4), f(4)], eps=0.0),  # 0 / 0: NaN, no exception
    *_bool_mask_rows("bool-key-padding-mask-gqa", (2, 1, 1, 6)),
    *_bool_mask_rows("bool-full-mask-mha", (2, 4, 5, 6), kv_heads=4),
    *_bool_mask_rows("bool-mask-causal-mqa", (5, 6), kv_heads=1, causal=True),
    *_bool_mask_rows("bool-mask-all-false-rows", (1, 6), q_heads=2, kv_heads=2),
]


# --- the families' layers: junk input types and ranks, and batch 0 on every backend ---
FAMILY_LAYERS = {  # name: (make(backend), a valid input, its output shape)
    "Conv2D": (lambda b: pk.layers.Conv2D(4, 3, padding="same", backend=b), f(2, 6, 6, 3), (2, 6, 6, 4)),
    "DepthwiseConv2D": (lambda b: pk.layers.DepthwiseConv2D(3, padding="same", backend=b), f(2, 6, 6, 3),
                        (2, 6, 6, 3)),
    "MaxPooling2D": (lambda b: pk.layers.MaxPooling2D(2, backend=b), f(2, 6, 6, 3), (2, 3, 3, 3)),
    "AveragePooling2D": (lambda b: pk.layers.AveragePooling2D(2, backend=b), f(2, 6, 6, 3), (2, 3, 3, 3)),
    "GlobalAveragePooling2D": (lambda b: pk.layers.GlobalAveragePooling2D(backend=b), f(2, 6, 6, 3), (2, 3)),
    "SparseConv2D": (lambda b: pk.layers.SparseConv2D(4, dispatch="sparse", backend=b), f(2, 6, 6, 3), (2, 6, 6, 4)),
    "LSTM": (lambda b: pk.layers.LSTM(3, return_sequences=True, backend=b), f(2, 3, 6), (2, 3, 3)),
    "MultiHeadAttention": (lambda b: pk.layers.MultiHeadAttention(2, 4, backend=b), f(2, 3, 6), (2, 3, 6)),
    "TransformerEncoderLayer": (lambda b: pk.layers.TransformerEncoderLayer(8, 2, 16, backend=b), f(2, 3, 8),
                                (2, 3, 8)),
    "SinusoidalPositionEmbedding": (lambda b: pk.layers.SinusoidalPositionEmbedding(backend=b), f(2, 3, 6),
                                    (2, 3, 6)),
    "LayerNormalization": (lambda b: pk.layers.LayerNormalization(backend=b), f(2, 6), (2, 6)),
    "SparseDense": (lambda b: pk.layers.SparseDense(5, dispatch="sparse", backend=b), f(2, 6), (2, 5)),
    "QuantizedDense": (lambda b: pk.layers.QuantizedDense(Int8Weights.from_float(np.linspace(-1, 1, 30, dtype=np.float32)
                                                                                 .reshape(5, 6)), backend=b),
                       f(2, 6), (2, 5)),
    "Embedding": (lambda b: pk.layers.Embedding(10, 4, backend=b), np.array([[1, 2, 3]]), (1, 3, 4)),
}
LAYERS_OF_FAMILIES = []
for name, (make, x, shape) in FAMILY_LAYERS.items():
    message = "ids must be integers" if name == "Embedding" else "expected a real numeric input"
    LAYERS_OF_FAMILIES.append(error(f"{name}-input-complex", lambda make=make, x=x: make("auto")(x.astype(np.complex64)),
                                    TypeError, message))
    LAYERS_OF_FAMILIES.append(error(f"{name}-input-object", lambda make=make, x=x: make("auto")(x.astype(object)),
                                    TypeError, "got dtype object"))
    if x.ndim > 2:  # layers that need a fixed rank
        LAYERS_OF_FAMILIES.append(error(f"{name}-input-flat", lambda make=make, x=x: make("auto")(x.reshape(-1)),
                                        ValueError, f"({x.size},)"))
    empty = np.zeros((0,) + shape[1:], np.float32)
    for backend in kernel_backends("gemm"):
        LAYERS_OF_FAMILIES.append(Case(f"{name}-batch0[{backend}]", lambda make=make, x=x, b=backend: make(b)(x[:0]),
                                       reference=lambda e=empty: (e, e), exact=True))

CASES: list[Case] = [row for spec in OPS for row in generated_rows(spec)]
CASES += MATMUL + LINEAR + ACTIVATION + SOFTMAX + THREADS + NATIVE
CASES += DENSE + ACTIVATION_LAYER + FLATTEN + SEQUENTIAL
CASES += SPARSE_METADATA + QUANTIZATION + INT32_OVERFLOW + CALIBRATION + CONV_GEOMETRY + LSTM_ARGUMENTS + SDPA
CASES += LAYERS_OF_FAMILIES
