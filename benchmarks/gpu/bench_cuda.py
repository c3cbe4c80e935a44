"""CUDA kernels against PyTorch's (cuBLAS / cuBLASLt / cuSPARSE / SDPA / cuDNN) on the same inputs, in one process.

Each case times ours and the baseline alternately with CUDA events (warm-up first), and
reports the median of the per-repetition ratios baseline_time / our_time (> 1: we are
faster), with TFLOP/s (TOP/s for int8) of both. Writes JSON and prints a table.
Needs a GPU, PyTorch with CUDA and pykernels built with PYKERNELS_CUDA=on.

    python benchmarks/gpu/bench_cuda.py --json results.json [--quick]
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics

import torch

import pykernels
from pykernels.cuda.gemm import gemm, gemm_int8


def timed(fn, inner: int) -> float:
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(inner):
        fn()
    stop.record()
    stop.synchronize()
    return start.elapsed_time(stop) / inner * 1e-3


def compare(ours, baseline, flops: float, reps: int = 15, inner: int = 5) -> dict:
    for fn in (ours, baseline):  # warm-up, also the one-time costs (attribute setting, autotuning)
        fn()
    torch.cuda.synchronize()
    ratios, t_ours, t_base = [], [], []
    for _ in range(reps):
        a, b = timed(ours, inner), timed(baseline, inner)
        t_ours.append(a)
        t_base.append(b)
        ratios.append(b / a)
    mo, mb = statistics.median(t_ours), statistics.median(t_base)
    return {"ours_ms": mo * 1e3, "baseline_ms": mb * 1e3, "ours_tflops": flops / mo / 1e12,
            "baseline_tflops": flops / mb / 1e12, "speedup": statistics.median(ratios)}


def gemm_cases(quick: bool):
    sizes = [(4096, 4096, 4096)] if quick else [(4096, 4096, 4096), (8192, 8192, 8192), (16, 4096, 4096),
                                               (2048, 11008, 4096)]
    for m, n, k in sizes:
        flops = 2.0 * m * n * k
        for dtype in ("float16", "bfloat16"):
            t = getattr(torch, dtype)
            a, w = torch.randn(m, k, device="cuda", dtype=t), torch.randn(n, k, device="cuda", dtype=t)
            out = torch.empty(m, n, device="cuda", dtype=t)
            yield (f"gemm {dtype} x @ w.T", (m, n, k), "cuBLAS torch.matmul",
                   compare(lambda: gemm(a, w.T, out), lambda: torch.matmul(a, w.T, out=out), flops))
        a, w = torch.randn(m, k, device="cuda"), torch.randn(n, k, device="cuda")
        out = torch.empty(m, n, device="cuda")
        torch.backends.cuda.matmul.allow_tf32 = False
        yield (f"gemm float32 (exact)", (m, n, k), "cuBLAS fp32",
               compare(lambda: gemm(a, w.T, out), lambda: torch.matmul(a, w.T, out=out), flops))
        torch.backends.cuda.matmul.allow_tf32 = True
        yield (f"gemm tf32", (m, n, k), "cuBLAS tf32",
               compare(lambda: gemm(a, w.T, out, tf32=True), lambda: torch.matmul(a, w.T, out=out), flops))
        torch.backends.cuda.matmul.allow_tf32 = False
        a8 = torch.randint(-128, 128, (m, k), device="cuda", dtype=torch.int8)
        w8 = torch.randint(-128, 128, (n, k), device="cuda", dtype=torch.int8)
        o32 = torch.empty(m, n, device="cuda", dtype=torch.int32)
        if m >= 32:  # torch._int_mm needs m > 16
            yield (f"gemm int8 -> int32", (m, n, k), "cuBLASLt torch._int_mm",
                   compare(lambda: gemm_int8(a8, w8.T, o32), lambda: torch._int_mm(a8, w8.T), flops))


def spmm_cases(quick: bool):
    """CSR SpMM at 90% sparsity against cuBLAS dense fp32 (the issue's bar: 2x) and cuSPARSE."""
    from pykernels.cuda.sparse import spmm_csr
    for m, k, n in [(4096, 4096, 4096)] if quick else [(4096, 4096, 4096), (4096, 4096, 512), (11008, 4096, 128)]:
        dense = torch.randn(m, k, device="cuda") * (torch.rand(m, k, device="cuda") < 0.1)
        csr = dense.to_sparse_csr()
        indptr, indices = csr.crow_indices().int(), csr.col_indices().int()
        b, out = torch.randn(k, n, device="cuda"), torch.empty(m, n, device="cuda")
        flops = 2.0 * csr.values().numel() * n
        torch.backends.cuda.matmul.allow_tf32 = False
        yield ("spmm csr f32 90% vs dense", (m, n, k), "cuBLAS fp32 dense",
               compare(lambda: spmm_csr(indptr, indices, csr.values(), b, out), lambda: torch.mm(dense, b), flops))
        yield ("spmm csr f32 90%", (m, n, k), "cuSPARSE torch.sparse.mm",
               compare(lambda: spmm_csr(indptr, indices, csr.values(), b, out), lambda: torch.sparse.mm(csr, b), flops))


def attention_cases(quick: bool):
    """Flash SDPA against PyTorch's SDPA (FlashAttention-2 backend for f16 / bf16): the bar is 0.7x."""
    shapes = [(4, 16, 4096, 64)] if quick else [(4, 16, 4096, 64), (4, 16, 4096, 128), (16, 16, 1024, 64),
                                               (1, 32, 8192, 128)]
    for b, h, n, d in shapes:
        for dtype in (("float16",) if quick else ("float16", "bfloat16")):
            t = getattr(torch, dtype)
            q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=t) for _ in range(3))
            for causal in (False, True):
                flops = 4.0 * b * h * n * n * d / (2 if causal else 1)
                yield (f"sdpa {dtype}{' causal' if causal else ''}", (b, h, n, d), "torch SDPA",
                       compare(lambda: pykernels.ops.sdpa(q, k, v, is_causal=causal),
                               lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal),
                               flops))


def conv_cases(quick: bool):
    """Implicit-GEMM NHWC conv against cuDNN (channels_last) on ResNet-50 layers."""
    layers = [(32, 56, 64, 64, 3, 1)] if quick else [(32, 56, 64, 64, 3, 1), (32, 28, 128, 128, 3, 1),
                                                    (32, 14, 256, 256, 3, 1), (32, 56, 256, 64, 1, 1),
                                                    (32, 28, 256, 512, 1, 2)]
    for n, hw, c, o, ksize, stride in layers:
        pad = ksize // 2
        flops = 2.0 * n * (hw // stride) ** 2 * o * c * ksize * ksize
        for dtype in ("float16", "float32"):
            t = getattr(torch, dtype)
            x = torch.randn(n, hw, hw, c, device="cuda", dtype=t)
            w = torch.randn(o, ksize, ksize, c, device="cuda", dtype=t).permute(0, 3, 1, 2)  # OHWI storage
            x_cl = x.permute(0, 3, 1, 2)  # NCHW view of NHWC storage: cuDNN's channels_last
            torch.backends.cudnn.allow_tf32 = False
            yield (f"conv2d {dtype} {ksize}x{ksize}/{stride}", (n, hw, c, o), "cuDNN channels_last",
                   compare(lambda: pykernels.ops.conv2d(x, w, None, stride, pad, data_format="channels_last"),
                           lambda: torch.nn.functional.conv2d(x_cl, w, None, stride, pad), flops))


def lstm_cases(quick: bool):
    """The LSTM layer (projection GEMM + persistent recurrence) against cuDNN nn.LSTM, float32, batch 1-8."""
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    configs = [(100, 1, 256), (100, 8, 256)] if quick else [(100, 1, 256), (100, 4, 256), (100, 8, 256),
                                                           (100, 1, 512), (100, 8, 512), (100, 8, 1024)]
    for steps, batch, hidden in configs:
        net = torch.nn.LSTM(hidden, hidden).cuda()
        x = torch.randn(steps, batch, hidden, device="cuda")
        w_ih, w_hh, b_ih, b_hh = (p.detach() for p in net.parameters())
        weights = [(w_ih, w_hh, b_ih + b_hh, None)]
        flops = 2.0 * steps * batch * 8 * hidden * hidden

        def baseline():
            with torch.no_grad():
                net(x)
        yield (f"lstm f32 T={steps} B={batch}", (steps, batch, hidden), "cuDNN nn.LSTM",
               compare(lambda: pykernels.ops.lstm(x, weights), baseline, flops, reps=7, inner=3))


def bsr_cases(quick: bool):
    """BSR 4x4 SpMM at 90% block sparsity against cuBLAS dense fp32."""
    from pykernels.cuda.weights import to_device
    from pykernels.formats import BSRMatrix
    import numpy as np
    m = k = 4096
    for n in ([512] if quick else [512, 4096]):
        rng = np.random.default_rng(0)
        keep = rng.random((m // 4, k // 4)) < 0.1
        dense_host = (rng.standard_normal((m, k)) * np.kron(keep, np.ones((4, 4)))).astype(np.float32)
        b = torch.randn(k, n, device="cuda")
        w = to_device(BSRMatrix.from_dense(dense_host, (4, 4)), b)
        dense = torch.from_numpy(dense_host).cuda()
        flops = 2.0 * keep.sum() * 16 * n
        yield ("spmm bsr4x4 f32 90% vs dense", (m, n, k), "cuBLAS fp32 dense",
               compare(lambda: pykernels.ops.spmm(w, b), lambda: torch.mm(dense, b), flops))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", default="bench_cuda.json")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(0)
    props = torch.cuda.get_device_properties(0)
    header = {"gpu": props.name, "multiprocessors": props.multi_processor_count, "torch": torch.__version__,
              "backends": [(b.name, b.available, b.reason) for b in pykernels.backends()]}
    rows = []
    print(f"# {props.name}, torch {torch.__version__}")
    print(f"{'case':28} {'shape':22} {'baseline':24} {'ours ms':>9} {'base ms':>9} {'ours TF':>8} "
          f"{'base TF':>8} {'ratio':>6}")
    cases = itertools.chain(gemm_cases(args.quick), attention_cases(args.quick), conv_cases(args.quick),
                            lstm_cases(args.quick), spmm_cases(args.quick), bsr_cases(args.quick))
    for name, shape, baseline, r in cases:
        rows.append({"case": name, "shape": shape, "baseline": baseline, **r})
        print(f"{name:28} {str(shape):22} {baseline:24} {r['ours_ms']:9.3f} {r['baseline_ms']:9.3f} "
              f"{r['ours_tflops']:8.1f} {r['baseline_tflops']:8.1f} {r['speedup']:6.2f}", flush=True)
    with open(args.json, "w") as f:
        json.dump({"machine": header, "results": rows}, f, indent=1)


if __name__ == "__main__":
    main()
