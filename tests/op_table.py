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
from pykernels.reference import activations as ref_act, gemm as ref_gemm

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
    out: bool = True  # accepts out=
    nondeterministic: str = ""  # why results may differ bit-wise across runs or thread counts ("" if they may not)

    def arrays(self, sizes: dict[str, int], seed: int = 0) -> list[np.ndarray]:
        """Random float32 inputs of the shapes ``sizes`` give."""
        rng = np.random.default_rng(seed)
        return [rng.uniform(-self.scale, self.scale, shape).astype(np.float32)
                for shape in self.shapes(**sizes)]

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

BY_NAME = {spec.name: spec for spec in OPS}
