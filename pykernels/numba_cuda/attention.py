# Flash attention in numba.cuda: the "sdpa" contract on device arrays (float32 or float16
# in and out, float32 softmax and accumulation), out = softmax(scale q k^T + mask) v.
#
# The schedule of csrc/cuda/attention/sdpa_flash_64x64_mma.cuh on CUDA cores: a block owns
# 64 query rows of one (batch, head) (grid: query tiles x heads x batch; GQA reads key /
# value head h // (Hq / Hkv)) and walks the keys 32 at a time through shared memory (K and
# V tiles of 32 x 128 floats: 32 KiB, inside the 48 KiB of static shared memory); each
# thread keeps one query row's running max and sum (exp2 domain) and its O row in
# registers, rescaling O when the max grows. Causal blocks stop at the diagonal's last
# key tile; fully masked rows give zeros.
import math

import numpy as np
from numba import cuda, float32

from pykernels.cuda import arrays
from pykernels.cuda.checks import check_attention
from pykernels.numba_cuda import launch

BQ, BKV, D_MAX = 64, 32, 128
DTYPES = ("float32", "float16")
LOG2E = 1.4426950408889634
MASK_NONE, MASK_BOOL, MASK_ADD = 0, 1, 2


@cuda.jit
def _sdpa_kernel(q, k, v, out, mask, mask_kind, causal, scale):
    ks = cuda.shared.array((BKV, D_MAX), float32)
    vs = cuda.shared.array((BKV, D_MAX), float32)
    qrow = cuda.local.array(D_MAX, float32)
    o = cuda.local.array(D_MAX, float32)
    s = cuda.local.array(BKV, float32)
    b, h = cuda.blockIdx.z, cuda.blockIdx.y
    heads, nq, d = q.shape[1], q.shape[2], q.shape[3]
    hk = h // (heads // k.shape[1])
    nk, dv = k.shape[2], v.shape[3]
    q0 = cuda.blockIdx.x * BQ
    row = q0 + cuda.threadIdx.x
    live = row < nq
    for e in range(d):
        qrow[e] = float32(q[b, h, row, e]) if live else float32(0.0)
    for e in range(dv):
        o[e] = 0.0
    row_max = float32(-math.inf)
    row_sum = float32(0.0)
    kv_end = min(nk, q0 + BQ) if causal else nk
    for kv0 in range(0, kv_end, BKV):
        cuda.syncthreads()
        for e in range(cuda.threadIdx.x, BKV * D_MAX, BQ):
            r, col = e // D_MAX, e % D_MAX
            key = kv0 + r
            ks[r, col] = float32(k[b, hk, key, col]) if key < nk and col < d else float32(0.0)
            vs[r, col] = float32(v[b, hk, key, col]) if key < nk and col < dv else float32(0.0)
        cuda.syncthreads()
        tile_max = float32(-math.inf)
        for j in range(BKV):
            key = kv0 + j
            x = float32(0.0)
            for e in range(d):
                x += qrow[e] * ks[j, e]
            x *= scale
            if key >= nk or not live or (causal and key > row):
                x = float32(-math.inf)
            elif mask_kind == MASK_BOOL:
                if not mask[b % mask.shape[0], h % mask.shape[1], row % mask.shape[2], key % mask.shape[3]]:
                    x = float32(-math.inf)
            elif mask_kind == MASK_ADD:
                x += float32(mask[b % mask.shape[0], h % mask.shape[1], row % mask.shape[2],
                                  key % mask.shape[3]]) * float32(LOG2E)
            s[j] = x
            tile_max = max(tile_max, x)
        new_max = max(row_max, tile_max)
        base = float32(0.0) if new_max == -math.inf else new_max
        alpha = float32(2.0) ** (row_max - base)
        row_max = new_max
        row_sum *= alpha
        for e in range(dv):
            o[e] *= alpha
        for j in range(BKV):
            p = float32(2.0) ** (s[j] - base)
            row_sum += p
            for e in range(dv):
                o[e] += p * vs[j, e]
    if live:
        inv = float32(1.0) / row_sum if row_sum > 0 else float32(0.0)
        for e in range(dv):
            out[b, h, row, e] = o[e] * inv


def sdpa(q, k, v, out, mask, is_causal, scale):
    op = "numba-cuda sdpa"
    (qv, kv, vv, ov), stream, _ = arrays.operands(op, [
        (q, "q", DTYPES, 4), (k, "k", DTYPES, 4), (v, "v", DTYPES, 4), (out, "out", DTYPES, 4)])
    maskv = None if mask is None else arrays.view(mask, op, "attn_mask", dtypes=("bool", "float32", "float16"),
                                                  ndim=4, stream=stream)
    if not qv.dtype == kv.dtype == vv.dtype == ov.dtype:
        raise TypeError(f"{op}: q, k, v and out must share one dtype, got {qv.dtype}, {kv.dtype}, {vv.dtype}, {ov.dtype}")
    check_attention(op, qv, kv, vv, ov, maskv)
    if max(qv.shape[3], vv.shape[3]) > D_MAX:
        raise ValueError(f"{op}: head dims up to {D_MAX}, got D={qv.shape[3]}, Dv={vv.shape[3]}")
    (b, hq, nq, _) = qv.shape
    if b == 0 or hq == 0 or nq == 0 or vv.shape[3] == 0:
        return
    kind = MASK_NONE if maskv is None else (MASK_BOOL if maskv.dtype == "bool" else MASK_ADD)
    mask_arg = mask if mask is not None else cuda.device_array((1, 1, 1, 1), np.bool_)  # never read
    grid = ((nq + BQ - 1) // BQ, hq, b)
    _sdpa_kernel[grid, BQ, launch.stream(stream)](q, k, v, out, mask_arg, kind, bool(is_causal),
                                                  np.float32(scale * LOG2E))
