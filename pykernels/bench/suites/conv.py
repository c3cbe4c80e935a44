"""Suite "conv": conv2d on real layers, ours against PyTorch (oneDNN) and NumPy im2col + BLAS.

Shapes come from ``benchmarks/shapes/conv.json``: the classic CNN's first layer, every
distinct ResNet-50 convolution (batch 1 and 8) and the MobileNetV2 depthwise layers.
Ours runs ``ops.conv2d`` on a channels_last image with the weights as a Conv2D layer
stores them (HWIO, read in place through ``ops.oihw_from_hwio``), bias and the group's
activation fused. Baselines, on the same values:

- ``torch``: ``F.conv2d`` on the usual NCHW tensor (then ``F.relu`` where the group has it);
- ``torch-nhwc``: the same on a channels_last tensor (PyTorch's NHWC path), when installed;
- ``numpy``: im2col (a sliding-window copy) times the weight matrix on NumPy's BLAS; for
  depthwise layers, a sum over the taps of strided slices times the tap's weights.

Every registered "conv2d" backend except the reference is timed; results are checked
against ``pykernels.reference``.
"""
from __future__ import annotations

import numpy as np

from pykernels import geometry, ops
from pykernels.bench import baselines, suites
from pykernels.bench.case import ONE_THREAD, PEAK, Case, Prepared, Target, groups
from pykernels.reference import conv as reference
from pykernels.testing import assert_close

NAME = "conv"
OP = "conv2d"  # the registry op of our contenders
SHAPE = "NxHxWxC-KxKxO/sS[dw]"
BASELINES = ("numpy", "torch")

TARGETS = [  # the conv issue's acceptance lines
    Target("conv2d vs PyTorch, ResNet-50 batch 1", "torch", 1.0, groups("resnet50-b1"), combine="geomean"),
    Target("conv2d vs PyTorch, ResNet-50 batch 8", "torch", 1.0, groups("resnet50-b8"), combine="geomean"),
    Target("conv2d vs PyTorch, MobileNetV2 depthwise", "torch", 1.0, groups("mobilenetv2-dw"), combine="geomean"),
    Target("share of the FMA peak on 3x3 layers with >= 64 channels, worst case", PEAK, 70.0,
           lambda c: c.params["k"] == 3 and c.params["groups"] == 1 and c.params["c"] >= 64, combine="min"),
    Target("2 threads vs 1, ResNet-50", ONE_THREAD, 1.7, groups("resnet50-b1", "resnet50-b8"), threads=2,
           combine="geomean"),
    Target("Numba within 4x of C++, worst case", "numba", 0.25, combine="min"),
]


def cases(quick: bool = False) -> list[Case]:
    found = []
    for group, s in suites.entries("conv.json", quick):
        n, h, w, c, o, k, stride, pad = (s[key] for key in ("batch", "h", "w", "c", "o", "k", "stride", "padding"))
        groups = s["groups"]
        oh, ow = geometry.conv_output(NAME, (h, w), (k, k), (stride, stride), (pad,) * 4)
        label = f"{n}x{h}x{w}x{c}-{k}x{k}x{o}/s{stride}" + ("dw" if groups == c > 1 else "")
        flops = 2.0 * n * oh * ow * o * (c // groups) * k * k
        found.append(Case(NAME, group["name"], label, flops, {**s, "activation": group["activation"]}))
    return found


def contenders(case: Case | None = None) -> list[tuple[str, bool]]:
    theirs = [name for name in baselines.available() if name in BASELINES]
    if "torch" in theirs:
        theirs.append("torch-nhwc")
    return suites.contender_names(OP, theirs)


def numpy_conv(x, hwio, bias, stride, pad, groups, activation):
    """The NumPy baseline on NHWC ``x`` and HWIO weights (groups 1, or depthwise)."""
    k = hwio.shape[0]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n, hp, wp, c = xp.shape
    oh, ow = (hp - k) // stride + 1, (wp - k) // stride + 1
    if groups == 1:
        windows = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))[:, ::stride, ::stride]
        cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, k * k * c)  # the im2col copy
        y = (cols @ hwio.reshape(k * k * c, -1)).reshape(n, oh, ow, -1)
    else:
        taps = hwio.reshape(k, k, c)
        y = np.zeros((n, oh, ow, c), np.float32)
        for kh in range(k):
            for kw in range(k):
                y += xp[:, kh:kh + (oh - 1) * stride + 1:stride, kw:kw + (ow - 1) * stride + 1:stride] * taps[kh, kw]
    y += bias
    return np.maximum(y, 0, out=y) if activation == "relu" else y


def prepare(case: Case) -> Prepared:
    p = case.params
    n, h, w, c, o, k, stride, pad, groups, act = (p[key] for key in ("batch", "h", "w", "c", "o", "k", "stride",
                                                                       "padding", "groups", "activation"))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, h, w, c), dtype=np.float32)
    hwio = rng.standard_normal((k, k, c // groups, o), dtype=np.float32) / np.float32(np.sqrt(k * k * c // groups))
    bias = rng.standard_normal(o, dtype=np.float32)
    oihw = ops.oihw_from_hwio(hwio)
    args = (bias, (stride, stride), (pad,) * 4, (1, 1), groups, act)
    ref64, ref32 = reference.conv2d(x, oihw, *args), reference.conv2d(x, oihw, *args, dtype=np.float32)
    ours = {name: (lambda name=name: ops.conv2d(x, oihw, bias, stride, pad, 1, groups, act,
                                                data_format="channels_last", backend=name))
            for name in suites.implementations(OP)}
    theirs = {"numpy": lambda: numpy_conv(x, hwio, bias, stride, pad, groups, act)}
    torch = baselines.module("torch")
    if torch is not None:
        functional = torch.nn.functional
        tw = torch.from_numpy(np.ascontiguousarray(oihw))
        tb = torch.from_numpy(bias)
        tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        tx_nhwc = torch.from_numpy(x).permute(0, 3, 1, 2)  # NCHW sizes, channels_last memory
        tw_nhwc = tw.contiguous(memory_format=torch.channels_last)

        def torch_conv(image, weights):  # the result viewed as NHWC (a free permute) for the check
            y = functional.conv2d(image, weights, tb, stride, pad, 1, groups)
            return (functional.relu(y, inplace=True) if act == "relu" else y).permute(0, 2, 3, 1)

        theirs["torch"] = lambda: torch_conv(tx, tw)
        theirs["torch-nhwc"] = lambda: torch_conv(tx_nhwc, tw_nhwc)

    def check(result, what: str) -> None:
        # PyTorch may choose Winograd for 3x3 layers, whose error is a few times that of a
        # direct float32 sum: baselines get a wider (sanity) bound, ours the policy's.
        factor = 16.0 if what.rsplit(" ", 1)[-1] in theirs else 4.0
        assert_close(np.asarray(result), ref64, ref32, factor=factor, what=what)

    return Prepared.of(case, ours, theirs, check)
