"""Suite "int8": the int8 GEMM and the dynamic quantized Linear, against float32 and int8 baselines.

Shapes come from ``benchmarks/shapes/int8.json``. Group op "matmul_int8" times
``ops.matmul_int8(a, packed_b, backend=name)`` (B prepacked once, as weights are) against
our float32 ``ops.matmul`` ("f32-gemm") and NumPy on the same values in float32, and the
int8 GEMMs of ``torch._int_mm`` and ONNX Runtime's ``MatMulInteger`` (MLAS) when
installed. A holds uint8 codes in [0, 127], so s8 x s8 baselines see the same numbers.
Group op "linear_int8" times the whole dynamic quantized Linear, ``ops.linear_int8(x, w,
bias)`` (per-call activation quantization + int8 GEMM + dequantization and bias), against
our float32 ``ops.linear``, NumPy, and PyTorch's FBGEMM dynamic quantized Linear with
the same per-channel int8 weights; group "linear-per-token" does the same with one
activation scale per row (``x_granularity="row"``). Work is counted as 2*M*N*K operations.
Group "conv2d_int8" (the ResNet-50 layers of ``benchmarks/shapes/conv.json``) times the
static quantized conv on uint8 NHWC codes with a requantized uint8 output (zero point 128),
``ops.conv2d_int8`` (int8 in, int8 out, as a quantized network runs), against our float32
``ops.conv2d`` on the same image and PyTorch's FBGEMM quantized conv
(``torch.ops.quantized.conv2d``, channels_last quint8, per-channel int8 weights); work
is 2 * pixels * taps * filters.
"""
from __future__ import annotations

import numpy as np

from pykernels import ops
from pykernels.bench import baselines, suites
from pykernels.bench.case import Case, Contender, Prepared, Target, groups, shapes
from pykernels.formats import Int8ConvWeights, Int8Weights
from pykernels.reference import gemm as reference
from pykernels.reference import int8 as int8_reference

NAME = "int8"
OP = "gemm_int8"  # the registry op of our contenders
SHAPE = "MxKxN"
OURS_F32 = "f32-gemm"
BASELINE_NAMES = {
    "matmul_int8": (OURS_F32, "numpy", "torch._int_mm", "onnxruntime"),
    "linear_int8": (OURS_F32, "numpy", "torch-fbgemm"),
    "conv2d_int8": ("f32-conv", "torch-fbgemm"),
}
CONV_GROUP = "resnet50-b1"
MAX_LINEAR_RELATIVE_ERROR = 0.02  # quantized vs float linear on random data (~0.5% typical)

TARGETS = [  # the int8 issue's acceptance lines, single thread
    Target("int8 GEMM vs our f32 GEMM", OURS_F32, 1.7, shapes("1024x1024x1024", "2048x2048x2048")),
    Target("quantized Linear vs FBGEMM dynamic Linear, M=128 and 512", "torch-fbgemm", 1.0,
           lambda c: c.group == "linear" and c.params["m"] in (128, 512)),
    Target("quantized Linear vs our f32 Linear, M=1", OURS_F32, 1.5,
           lambda c: c.group == "linear" and c.params["m"] == 1),
    Target("int8 GEMM vs torch._int_mm", "torch._int_mm", 100.0, groups("gemm")),
    Target("int8 GEMM vs ONNX Runtime MatMulInteger, M=N=K=512-2048", "onnxruntime", 1.0,
           lambda c: c.group == "gemm" and c.params["m"] == c.params["k"] == c.params["n"]),
]


def cases(quick: bool = False) -> list[Case]:
    found = []
    for group, s in suites.entries("int8.json", quick):
        m, k, n = s["m"], s["k"], s["n"]
        found.append(Case(NAME, group["name"], f"{m}x{k}x{n}", 2.0 * m * k * n,
                          {"op": group["op"], "m": m, "k": k, "n": n,
                           "granularity": group.get("granularity", "tensor")}))
    for group, s in suites.entries("conv.json", quick):
        if group["name"] != CONV_GROUP:
            continue
        pixels = s["batch"] * (((s["h"] + 2 * s["padding"] - s["k"]) // s["stride"] + 1) ** 2)
        work = 2.0 * pixels * s["k"] * s["k"] * s["c"] * s["o"]
        found.append(Case(NAME, "conv-" + group["name"], f"{s['h']}x{s['c']}->{s['o']} k{s['k']}s{s['stride']}",
                          work, {"op": "conv2d_int8", **s}))
    return found


def _installed(name: str) -> bool:
    package = {"torch._int_mm": "torch", "torch-fbgemm": "torch"}.get(name, name)
    return name in (OURS_F32, "f32-conv") or package in baselines.available()


def contenders(case: Case | None = None) -> list[tuple[str, bool]]:
    wanted = [b for op, names in BASELINE_NAMES.items() if case is None or op == case.params["op"] for b in names]
    theirs = dict.fromkeys(b for b in wanted if _installed(b))
    return suites.contender_names(OP, theirs)


def _ort_session(m: int, k: int, n: int):
    """An ONNX Runtime session running MatMulInteger, on pykernels' current thread count (made per count)."""
    import onnxruntime as ort

    import pykernels
    from pykernels.bench.onnx_models import matmul_integer

    sessions = {}

    def session():
        threads = pykernels.get_num_threads()
        if threads not in sessions:
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            sessions[threads] = ort.InferenceSession(matmul_integer(m, k, n), options,
                                                     providers=["CPUExecutionProvider"])
        return sessions[threads]

    return session


def _prepare_matmul(p, rng, torch):
    m, k, n = p["m"], p["k"], p["n"]
    a = rng.integers(0, 128, (m, k), dtype=np.uint8)
    b = rng.integers(-127, 128, (k, n), dtype=np.int8)
    packed = ops.pack_int8(b)
    af, bf = a.astype(np.float32), b.astype(np.float32)
    expected = int8_reference.gemm_s64(a, 0, packed.data)
    ours = {name: (lambda name=name: ops.matmul_int8(a, packed, backend=name)) for name in suites.implementations(OP)}
    theirs = {OURS_F32: lambda: ops.matmul(af, bf), "numpy": lambda: af @ bf}
    if torch is not None:
        ta, tb = torch.from_numpy(a.view(np.int8)), torch.from_numpy(b)
        theirs["torch._int_mm"] = lambda: torch._int_mm(ta, tb)
    if baselines.module("onnxruntime") is not None:
        session = _ort_session(m, k, n)
        theirs["onnxruntime"] = lambda: session().run(None, {"A": a, "B": b})[0]

    def check(result, what: str) -> None:  # exact: float32 holds these sums exactly (|S| < 2^24)
        np.testing.assert_array_equal(np.asarray(result, np.float64), expected, err_msg=what)

    return ours, theirs, check


def _prepare_linear(p, rng, torch):
    m, k, n = p["m"], p["k"], p["n"]
    x = rng.standard_normal((m, k), dtype=np.float32)
    w = (rng.standard_normal((n, k), dtype=np.float32) / np.sqrt(k)).astype(np.float32)
    bias = rng.standard_normal(n, dtype=np.float32)
    weights = Int8Weights.from_float(w, per_channel=True)
    ref64 = reference.linear(x, w, bias)
    ours = {name: (lambda name=name: ops.linear_int8(x, weights, bias, x_granularity=p["granularity"], backend=name))
            for name in suites.implementations(OP)}
    theirs = {OURS_F32: lambda: ops.linear(x, w, bias), "numpy": lambda: x @ w.T + bias}
    if torch is not None:
        qw = torch.quantize_per_channel(torch.from_numpy(weights.data.astype(np.float32) * weights.scale[:, None]),
                                        torch.from_numpy(weights.scale.astype(np.float64)),
                                        torch.zeros(n, dtype=torch.long), 0, torch.qint8)
        torch.backends.quantized.engine = "fbgemm"
        packed = torch.ops.quantized.linear_prepack(qw, torch.from_numpy(bias))
        tx = torch.from_numpy(x)
        theirs["torch-fbgemm"] = lambda: torch.ops.quantized.linear_dynamic(tx, packed, True)

    def check(result, what: str) -> None:  # quantization error, not rounding: a relative bound
        result = np.asarray(result, np.float64)
        error = np.linalg.norm(result - ref64) / np.linalg.norm(ref64)
        assert np.isfinite(result).all() and error < MAX_LINEAR_RELATIVE_ERROR, \
            f"{what}: relative error {error:.3g} vs the float64 linear exceeds {MAX_LINEAR_RELATIVE_ERROR}"

    return ours, theirs, check


def _prepare_conv(p, rng, torch):
    n, h, c, o, k, stride, pad = p["batch"], p["h"], p["c"], p["o"], p["k"], p["stride"], p["padding"]
    x = rng.random((n, h, h, c), dtype=np.float32)
    kernel = (rng.standard_normal((k, k, c, o), dtype=np.float32) / np.sqrt(k * k * c)).astype(np.float32)
    bias = rng.standard_normal(o, dtype=np.float32) * 0.1
    weights = Int8ConvWeights.from_float(kernel)
    x_scale, x_zp = 1.0 / weights.safe_a_max, 0  # x in [0, 1) onto [0, safe_a_max]
    codes = np.minimum(np.rint(x / np.float32(x_scale)), weights.safe_a_max).astype(np.uint8)
    ref = ops.conv2d(x, ops.oihw_from_hwio(kernel), bias, stride, pad, data_format="channels_last")
    out_scale = float(np.abs(ref).max()) / 127
    q = dict(x_scale=x_scale, x_zero_point=x_zp, out_dtype=np.uint8, out_scale=out_scale, out_zero_point=128)
    ours = {name: (lambda name=name: ops.conv2d_int8(codes, weights, bias, stride, pad, backend=name, **q))
            for name in suites.implementations("conv2d_int8")}
    w_oihw = ops.oihw_from_hwio(kernel)
    theirs = {"f32-conv": lambda: ops.conv2d(x, w_oihw, bias, stride, pad, data_format="channels_last")}
    if torch is not None:
        torch.backends.quantized.engine = "fbgemm"
        w_deq = weights.dequantize().transpose(3, 2, 0, 1)
        qw = torch.quantize_per_channel(torch.from_numpy(np.ascontiguousarray(w_deq)),
                                        torch.from_numpy(weights.scale.astype(np.float64)),
                                        torch.zeros(o, dtype=torch.long), 0, torch.qint8)
        packed = torch.ops.quantized.conv2d_prepack(qw, torch.from_numpy(bias), [stride, stride], [pad, pad], [1, 1], 1)
        qx = torch.quantize_per_tensor(torch.from_numpy(x).permute(0, 3, 1, 2), x_scale, x_zp, torch.quint8)
        qx = qx.contiguous(memory_format=torch.channels_last)
        theirs["torch-fbgemm"] = lambda: torch.ops.quantized.conv2d(qx, packed, out_scale, 128)

    def check(result, what: str) -> None:  # quantization error, not rounding: a relative bound
        if hasattr(result, "int_repr"):  # FBGEMM's quint8 NCHW (channels_last in memory)
            result = result.int_repr().numpy().transpose(0, 2, 3, 1)
        if np.asarray(result).dtype == np.uint8:  # codes, zero point 128
            result = (np.asarray(result, np.float64) - 128) * out_scale
        result = np.asarray(result, np.float64)
        error = np.linalg.norm(result - ref) / np.linalg.norm(ref)
        assert error < MAX_LINEAR_RELATIVE_ERROR, f"{what}: relative error {error:.3g} vs the float conv"

    return ours, theirs, check


def prepare(case: Case) -> Prepared:
    p = case.params
    rng = np.random.default_rng(0)
    torch = baselines.module("torch")
    make = {"matmul_int8": _prepare_matmul, "linear_int8": _prepare_linear, "conv2d_int8": _prepare_conv}[p["op"]]
    ours, theirs, check = make(p, rng, torch)
    wanted = BASELINE_NAMES[p["op"]]
    contenders = [Contender(name, False, fn) for name, fn in ours.items()]
    contenders += [Contender(name, True, fn) for name, fn in theirs.items() if name in wanted]
    return Prepared(case, tuple(contenders), check)
