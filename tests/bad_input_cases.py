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
from pykernels.reference import activations as ref_act, gemm as ref_gemm
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
    error("linear-backend-unknown", lambda: pk.ops.linear(f32, w32, backend="tpu"), ValueError,
          "unknown backend 'tpu'"),
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

CASES: list[Case] = [row for spec in OPS for row in generated_rows(spec)]
CASES += MATMUL + LINEAR + ACTIVATION + SOFTMAX + THREADS + NATIVE
CASES += DENSE + ACTIVATION_LAYER + FLATTEN + SEQUENTIAL
