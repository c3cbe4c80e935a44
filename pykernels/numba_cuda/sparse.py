# SpMM in numba.cuda: the device "spmm" contract for a DeviceSparse CSR or BSR matrix,
# out = act(W @ x + bias[:, None]), float32.
#
# The tiling of csrc/cuda/sparse/spmm_f32_{csr,bsr}_8x128_cuda.cu: 8 warps per block, a
# warp per group of R rows of one block row (R = the largest of 8, 4, 2, 1 dividing r;
# CSR is r = c = 1), lane l owning columns j0 + l + 32 q (q < 4); block indices are
# staged 32 at a time, one per lane, and passed round by warp shuffles, so the simulator
# exercises the same index staging and row-group mapping as the C++ kernels.
from numba import cuda, float32

from pykernels.cuda import arrays
from pykernels.numba.activations import CODES
from pykernels.numba_cuda import launch
from pykernels.numba_cuda.gemm import _activate

WARPS, COLS, PER_LANE, R_MAX = 8, 128, 4, 8


@cuda.jit
def _spmm_kernel(indptr, indices, data, r, c, rows_per_warp, x, out, bias, code):
    lane = cuda.threadIdx.x % 32
    m, n = out.shape
    groups_per_block_row = r // rows_per_warp
    group = cuda.blockIdx.x * WARPS + cuda.threadIdx.x // 32
    block_row = group // groups_per_block_row
    row_in_block = (group % groups_per_block_row) * rows_per_warp
    row0 = block_row * r + row_in_block
    j0 = cuda.blockIdx.y * COLS + lane
    if row0 >= m:
        return
    acc = cuda.local.array((R_MAX, PER_LANE), float32)
    bv = cuda.local.array(PER_LANE, float32)
    for rr in range(R_MAX):
        for q in range(PER_LANE):
            acc[rr, q] = 0.0
    begin, end = indptr[block_row], indptr[block_row + 1]
    for blk in range(begin, end):
        col0 = indices[blk] * c
        for cc in range(c):
            for q in range(PER_LANE):
                j = j0 + 32 * q
                bv[q] = x[col0 + cc, j] if j < n else float32(0.0)
            for rr in range(rows_per_warp):
                v = data[blk, row_in_block + rr, cc]
                for q in range(PER_LANE):
                    acc[rr, q] += v * bv[q]
    for rr in range(rows_per_warp):
        row = row0 + rr
        for q in range(PER_LANE):
            j = j0 + 32 * q
            if j < n:
                v = acc[rr, q]
                if bias.shape[0]:
                    v += bias[row]
                out[row, j] = _activate(v, code)


def spmm(w, x, out, bias=None, activation="none"):
    from pykernels.cuda.checks import check_dense, check_structure
    from pykernels.cuda.weights import DeviceSparse
    op = "numba-cuda spmm"
    if not isinstance(w, DeviceSparse):
        raise TypeError(f"{op}: w must be a DeviceSparse (pykernels.cuda.weights.to_device(w, like=x)), "
                        f"got {type(w).__name__}")
    (pv, iv, dv, xv, ov, biasv), stream, _ = arrays.operands(op, [
        (w.indptr, "indptr", ("int32",), 1), (w.indices, "indices", ("int32",), 1), (w.data, "data", ("float32",), None),
        (x, "x", ("float32",), 2), (out, "out", ("float32",), 2), (bias, "bias", ("float32",), 1)])
    m, k = w.shape
    if xv.shape[0] != k:
        raise ValueError(f"{op}: x has shape {xv.shape}, expected ({k}, N) for w of shape {w.shape}")
    check_structure(op, w, pv, iv, dv)
    check_dense(op, m, xv.shape[1], xv, ov, biasv, m)
    n = xv.shape[1]
    if m == 0 or n == 0:
        return
    r, c = w.blocksize
    rows_per_warp = next(g for g in (8, 4, 2, 1) if r % g == 0)
    data = w.data.reshape(-1, r, c) if dv.ndim != 3 else w.data
    grid = ((m // rows_per_warp + WARPS - 1) // WARPS, (n + COLS - 1) // COLS)
    _spmm_kernel[grid, WARPS * 32, launch.stream(stream)](w.indptr, w.indices, data, r, c, rows_per_warp, x, out,
                                                          launch.operand(bias), CODES[activation])
