# sgemm in Numba: out = act(a @ b [+ out] [+ bias]), float32 operands with any strides
# (negative, transposed views such as w.T), C-contiguous out. Two kernel families:
#
# 1. dot (general). Tile dot_4x3: 4x3 outputs, each a dot product along K. Its K loop
#    holds 12 scalar accumulators that LLVM's loop vectorizer widens (fastmath
#    "reassoc") into 12 ymm accumulators: 12 FMAs per 7 unit-stride loads, 12
#    independent chains (> FMA latency x 2 pipes), 16 ymm registers, no spills; measured
#    ~88 GFLOP/s on one Zen 3 core with data in L1. A BLIS outer-product register tile
#    would stay scalar: Numba turns off LLVM's SLP vectorizer, so only loops vectorize,
#    and a reduction along K is a loop. The 1-3 rows left below the last 4-row panel
#    use dot_1x8 (one row against 8 columns) instead of repeating rows.
#    Layout: A (M x K) and B^T (N x K) are read as rows with unit stride along K: in
#    place when C-contiguous (a; b = w.T as in linear), else packed block by block into
#    per-thread buffers. Blocking (BLIS's loops, A and B swapped to suit the tile):
#      for jc in N by NC:      B block (NC x KC, 256 KiB) stays in L2
#        for pc in K by KC:
#          for ic in M by MC:  A block
#            for ir, jr:       A micro-panel (4 x KC, 16 KiB) stays in L1, B panels stream from L2
#    Edge tiles repeat their last column (clamped index) and the store drops it. Bias
#    and activation are applied to each tile after its last K block.
# 2. axpy_rows (M <= AXPY_MAX_M and b row-major, e.g. a batch times a weight matrix).
#    For few rows, transposing B into K-contiguous panels costs more than the product;
#    this kernel adds four scaled rows of b to each output row per pass, vectorized
#    along N: one load and store of the sum per four FMAs, B read once.
#
# Only the fastmath flags "contract" and "reassoc" are used, never "nnan"/"ninf": NaN and
# inf propagate as in the reference. Threads: the output is cut into one block per
# thread (a grid for dot, column slabs for axpy_rows) and each thread runs the serial
# kernel on its block with its own buffers: one prange launch per call, no barriers.
import threading

import numpy as np
from numba import njit, prange

from pykernels.numba.activations import CODES, activate, activation, set_threads

MR, NR = 4, 3  # dot_4x3 register tile: rows of A x columns of B
KC, MC, NC = 1024, 128, 64  # dot_4x3 cache blocks along K, M, N
AXPY_MAX_M = 32  # axpy_rows beats packing B up to about this many rows
AXPY_NB = 1024  # axpy_rows column block: four 4 KiB rows of b in L1
AXPY_KC = 256  # rows of b summed into one partial before it joins the total
MIN_FLOPS_PER_THREAD = 5e5  # below this a second thread costs more than it saves
BIAS_NONE, BIAS_ROW, BIAS_COL = 0, 1, 2
_EMPTY = np.empty((0, 0), np.float32)  # "not C-contiguous: pack it"


@njit(cache=True)
def _epilogue(v, i, j, bias, bias_mode, code):
    """act(v + bias) for output (i, j)."""
    if bias_mode == BIAS_ROW:
        v += bias[i]
    elif bias_mode == BIAS_COL:
        v += bias[j]
    return activate(v, code)


@njit(cache=True, fastmath={"contract", "reassoc"})
def _dot_4x3(a, ra, pa, b, rb, pb, kb):
    """The 4x3 tile sum_p a[ra[i], pa + p] * b[rb[j], pb + p] over p < kb.

    a and b are C-contiguous; pa, pb and kb are unsigned so that Numba emits no
    negative-index wraparound, which would stop LLVM from vectorizing the loop.
    """
    r0, r1, r2, r3 = ra
    c0, c1, c2 = rb
    s00 = s01 = s02 = s10 = s11 = s12 = s20 = s21 = s22 = s30 = s31 = s32 = np.float32(0.0)
    for p in range(kb):
        x0, x1, x2, x3 = a[r0, pa + p], a[r1, pa + p], a[r2, pa + p], a[r3, pa + p]
        y0, y1, y2 = b[c0, pb + p], b[c1, pb + p], b[c2, pb + p]
        s00 += x0 * y0
        s01 += x0 * y1
        s02 += x0 * y2
        s10 += x1 * y0
        s11 += x1 * y1
        s12 += x1 * y2
        s20 += x2 * y0
        s21 += x2 * y1
        s22 += x2 * y2
        s30 += x3 * y0
        s31 += x3 * y1
        s32 += x3 * y2
    return (s00, s01, s02, s10, s11, s12, s20, s21, s22, s30, s31, s32)


@njit(cache=True, fastmath={"contract", "reassoc"})
def _dot_1x8(a, r, pa, b, rb, pb, kb):
    """The 1x8 tile sum_p a[r, pa + p] * b[rb[j], pb + p] for the 1-3 rows a 4x3 tile cannot fill."""
    c0, c1, c2, c3, c4, c5, c6, c7 = rb
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = np.float32(0.0)
    for p in range(kb):
        x = a[r, pa + p]
        s0 += x * b[c0, pb + p]
        s1 += x * b[c1, pb + p]
        s2 += x * b[c2, pb + p]
        s3 += x * b[c3, pb + p]
        s4 += x * b[c4, pb + p]
        s5 += x * b[c5, pb + p]
        s6 += x * b[c6, pb + p]
        s7 += x * b[c7, pb + p]
    return (s0, s1, s2, s3, s4, s5, s6, s7)


@njit(cache=True)
def _pack(src, r0, rows, p0, kb, dst):
    """dst[:rows, :kb] <- src[r0:r0+rows, p0:p0+kb] for any strides of src.

    Rows along K are copied as they are; a transposed source (K contiguous across rows)
    goes 16 columns at a time, so every destination cache line is written whole while
    the 16 source rows it reads stay in L1.
    """
    if abs(src.strides[1]) <= abs(src.strides[0]):
        for r in range(rows):
            dst[r, :kb] = src[r0 + r, p0:p0 + kb]
    else:
        for q in range(0, kb, 16):
            block, target = src[r0:r0 + rows, p0 + q:p0 + min(q + 16, kb)], dst[:rows, q:q + 16]
            for r in range(block.shape[0]):
                for p in range(block.shape[1]):
                    target[r, p] = block[r, p]


@njit(cache=True)
def _store_tile(out, i, j, rows, cols, tile, width, overwrite, last, bias, bias_mode, code):
    """out[i:i+rows, j:j+cols] (+)= tile (row-major, width wide), then the epilogue after the last K block."""
    for r in range(rows):
        for s in range(cols):
            v = tile[r * width + s]
            if not overwrite:
                v += out[i + r, j + s]
            if last:
                v = _epilogue(v, i + r, j + s, bias, bias_mode, code)
            out[i + r, j + s] = v


@njit(cache=True)
def _dot_block(asrc, ai, pa, mb, bsrc, bj, pb, nb, kb, out, i, j, overwrite, last, bias, bias_mode, code):
    """out[i:i+mb, j:j+nb] (+)= asrc[ai:ai+mb] . bsrc[bj:bj+nb]^T along K (from pa / pb, kb long).

    4x3 tiles over whole 4-row panels, 1x8 tiles for the rows left; edge tiles repeat
    their last column of B (clamped index) and the store drops it.
    """
    last_col = bj + nb - 1
    full = mb - mb % MR
    for ir in range(0, full, MR):
        ra = (ai + ir, ai + ir + 1, ai + ir + 2, ai + ir + 3)
        for jr in range(0, nb, NR):
            c = bj + jr
            rb = (c, min(c + 1, last_col), min(c + 2, last_col))
            tile = _dot_4x3(asrc, ra, pa, bsrc, rb, pb, kb)
            _store_tile(out, i + ir, j + jr, MR, min(NR, nb - jr), tile, NR, overwrite, last, bias, bias_mode, code)
    for ir in range(full, mb):
        for jr in range(0, nb, 8):
            c = bj + jr
            rb = (c, min(c + 1, last_col), min(c + 2, last_col), min(c + 3, last_col),
                  min(c + 4, last_col), min(c + 5, last_col), min(c + 6, last_col), min(c + 7, last_col))
            tile = _dot_1x8(asrc, ai + ir, pa, bsrc, rb, pb, kb)
            _store_tile(out, i + ir, j + jr, 1, min(8, nb - jr), tile, 8, overwrite, last, bias, bias_mode, code)


@njit(cache=True)
def _dot_gemm(a, a_c, bt, bt_c, out, i0, i1, j0, j1, kc, mc, nc, bias, bias_mode, code, accumulate, work):
    """out[i0:i1, j0:j1] with the dot tiles and the blocked loops above, on one thread.

    a_c / bt_c are a / bt (= b.T) themselves when C-contiguous, read in place; else
    empty, and a / bt are packed into work ((mc + nc) * kc floats).
    """
    k = a.shape[1]
    apack, bpack = work[:mc * kc].reshape((mc, kc)), work[mc * kc:(mc + nc) * kc].reshape((nc, kc))
    for jc in range(j0, j1, nc):
        nb = min(nc, j1 - jc)
        for pc in range(0, k, kc):
            kb = min(kc, k - pc)
            overwrite, last = pc == 0 and not accumulate, pc + kb == k
            if bt_c.size:
                bsrc, bj, pb = bt_c, jc, np.uint64(pc)
            else:
                _pack(bt, jc, nb, pc, kb, bpack)
                bsrc, bj, pb = bpack, 0, np.uint64(0)
            for ic in range(i0, i1, mc):
                mb = min(mc, i1 - ic)
                if a_c.size:
                    asrc, ai, pa = a_c, ic, np.uint64(pc)
                else:
                    _pack(a, ic, mb, pc, kb, apack)
                    asrc, ai, pa = apack, 0, np.uint64(0)
                _dot_block(asrc, ai, pa, mb, bsrc, bj, pb, nb, np.uint64(kb), out, ic, jc, overwrite, last,
                           bias, bias_mode, code)


@njit(cache=True, parallel=True)
def _dot_gemm_parallel(a, a_c, bt, bt_c, out, row_cuts, col_cuts, kc, mc, nc, bias, bias_mode, code,
                       accumulate, work):
    """One _dot_gemm per cell of the grid row_cuts x col_cuts, each on its own thread."""
    tn = col_cuts.size - 1
    for t in prange((row_cuts.size - 1) * tn):
        ti, tj = t // tn, t % tn
        _dot_gemm(a, a_c, bt, bt_c, out, row_cuts[ti], row_cuts[ti + 1], col_cuts[tj], col_cuts[tj + 1],
                  kc, mc, nc, bias, bias_mode, code, accumulate, work[t])


@njit(cache=True, fastmath={"contract"})
def _axpy_rows(a, b, p0, p1, j0, nb, acc):
    """acc[:, :nb] = a[:, p0:p1] @ b[p0:p1, j0:j0+nb] for C-contiguous b, vectorized along N.

    p0, p1, j0 and nb are unsigned (no wraparound, see _dot_4x3); K runs four rows of b at a time.
    """
    m = a.shape[0]
    acc[:, :nb] = 0.0
    p4 = p1 - (p1 - p0) % 4
    for p in range(p0, p4, 4):
        for i in range(m):
            x0, x1, x2, x3 = a[i, p], a[i, p + 1], a[i, p + 2], a[i, p + 3]
            for j in range(nb):
                acc[i, j] += x0 * b[p, j0 + j] + x1 * b[p + 1, j0 + j] + x2 * b[p + 2, j0 + j] + x3 * b[p + 3, j0 + j]
    for p in range(p4, p1):
        for i in range(m):
            x0 = a[i, p]
            for j in range(nb):
                acc[i, j] += x0 * b[p, j0 + j]


@njit(cache=True)
def _axpy_gemm(a, b, out, j0, j1, bias, bias_mode, code, accumulate, work):
    """out[:, j0:j1] with axpy_rows, AXPY_NB columns at a time.

    Sums go to this thread's own buffers (work, 2 x M x AXPY_NB) and reach out once, with
    the epilogue: out rows hit K/4 times by two threads would ping-pong shared lines.
    Each AXPY_KC rows of b sum into a partial that is then added to the total, so a
    long K adds up in two shallow chains (the float32 error of blocked BLAS sums, not
    that of one K-long chain).
    """
    m, k = a.shape
    acc = work[:m * AXPY_NB].reshape((m, AXPY_NB))
    part = work[m * AXPY_NB:2 * m * AXPY_NB].reshape((m, AXPY_NB))
    for jc in range(j0, j1, AXPY_NB):
        nb = min(AXPY_NB, j1 - jc)
        for pc in range(0, k, AXPY_KC):
            _axpy_rows(a, b, np.uint64(pc), np.uint64(min(k, pc + AXPY_KC)), np.uint64(jc), np.uint64(nb),
                       acc if pc == 0 else part)
            if pc:
                acc[:, :nb] += part[:, :nb]
        for i in range(out.shape[0]):
            for j in range(nb):
                v = acc[i, j] + out[i, jc + j] if accumulate else acc[i, j]
                out[i, jc + j] = _epilogue(v, i, jc + j, bias, bias_mode, code)


@njit(cache=True, parallel=True)
def _axpy_gemm_parallel(a, b, out, col_cuts, bias, bias_mode, code, accumulate, work):
    """One _axpy_gemm per column slab, each on its own thread."""
    for t in prange(col_cuts.size - 1):
        _axpy_gemm(a, b, out, col_cuts[t], col_cuts[t + 1], bias, bias_mode, code, accumulate, work[t])


def _ceil_div(a, b):
    return -(-a // b)


def _even_block(total, limit, unit):
    """Split total into equal blocks of at most limit, rounded up to unit: K=4001 -> 4 x 1008 (last 977)."""
    return _ceil_div(_ceil_div(total, _ceil_div(total, limit)), unit) * unit


def _cuts(total, parts, unit):
    """parts + 1 boundaries splitting range(total) evenly, on multiples of unit."""
    units = _ceil_div(total, unit)
    return np.minimum(np.arange(parts + 1) * units // parts * unit, total).astype(np.int64)


def _grid(m, n, threads):
    """(rows, cols) of a thread grid with rows * cols == threads and the least packing traffic."""
    shapes = [(t, threads // t) for t in range(1, threads + 1) if threads % t == 0]
    fits = [(r, c) for r, c in shapes if r <= _ceil_div(m, MR) and c <= _ceil_div(n, NR)] or [(1, 1)]
    return min(fits, key=lambda rc: m / rc[0] * rc[1] + n / rc[1] * rc[0])


_local = threading.local()


def _workspace(rows, size):
    """A (rows, size) float32 scratch array, kept per Python thread and grown on demand."""
    work = getattr(_local, "work", None)
    if work is None or work.shape[0] < rows or work.shape[1] < size:
        rows = max(rows, 0 if work is None else work.shape[0])
        size = max(size, 0 if work is None else work.shape[1])
        work = _local.work = np.empty((rows, size), np.float32)
    return work


def _empty_k(out, bias, bias_axis, name, accumulate):
    """K = 0: out = act([out] + bias)."""
    if not accumulate:
        out.fill(0.0)
    if bias is not None:
        out += bias[:, None] if bias_axis == 0 else bias
    activation(out, name)


def _dot(a, b, out, threads, args):
    m, k = a.shape
    n = b.shape[1]
    tm, tn = _grid(m, n, threads)
    kc = _even_block(k, KC, 8)
    mc = _even_block(_ceil_div(m, tm), MC, MR)
    nc = _even_block(_ceil_div(n, tn), NC, NR)
    work = _workspace(tm * tn, (mc + nc) * kc)
    bt = b.T
    a_c = a if a.flags.c_contiguous else _EMPTY
    bt_c = bt if bt.flags.c_contiguous else _EMPTY
    args = (kc, mc, nc) + args
    if tm * tn == 1:
        _dot_gemm(a, a_c, bt, bt_c, out, 0, m, 0, n, *args, work[0])
    else:
        _dot_gemm_parallel(a, a_c, bt, bt_c, out, _cuts(m, tm, MR), _cuts(n, tn, NR), *args, work)


def _axpy(a, b, out, threads, args):
    m, n = a.shape[0], b.shape[1]
    work = _workspace(threads, 2 * m * AXPY_NB + 16)  # + one cache line between threads
    if threads == 1:
        _axpy_gemm(a, b, out, 0, n, *args, work[0])
    else:
        _axpy_gemm_parallel(a, b, out, _cuts(n, threads, 8), *args, work)


def gemm(a, b, out, bias=None, bias_axis=None, activation="none", accumulate=False):
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        _empty_k(out, bias, bias_axis, activation, accumulate)
        return
    bias_mode = BIAS_NONE if bias is None else (BIAS_ROW if bias_axis == 0 else BIAS_COL)
    args = (np.empty(0, np.float32) if bias is None else bias, bias_mode, CODES[activation], accumulate)
    threads = set_threads(int(2.0 * m * n * k / MIN_FLOPS_PER_THREAD), 1)
    if m <= AXPY_MAX_M and b.flags.c_contiguous and not b.flags.f_contiguous:
        _axpy(a, b, out, min(threads, _ceil_div(n, 8)), args)
    else:
        _dot(a, b, out, threads, args)
