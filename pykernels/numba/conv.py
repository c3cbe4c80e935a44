# conv2d and 2-D pooling in Numba, on NHWC float32 images (kernel contracts: ops/conv.py).
#
# conv2d, general case: im2col in row chunks + the Numba GEMM (numba/gemm.py), per group.
# A chunk of CHUNK_FLOATS floats of the im2col matrix (rows = output pixels, columns =
# taps (kh, kw, c)) is filled in parallel, then multiplied by the weights viewed as
# (taps x filters) with the bias and activation in the GEMM epilogue. Chunking bounds the
# extra memory and keeps the chunk in L2/L3 while the GEMM reads it; the weights are
# transposed once per call to (filters, taps) rows, the layout the dot kernel reads.
#
# Depthwise (groups = channels): direct, one output row per parallel task; each output
# pixel starts from the bias and each in-bounds tap adds x * w over the contiguous
# channels (LLVM vectorizes that loop); padding taps are skipped, never multiplied.
#
# Pooling: one output row per parallel task; each output pixel reduces its window,
# clipped to the image, into its channels in place. Max keeps NaN like the C++ kernels.
import numba
import numpy as np
from numba import njit, prange

from pykernels.numba.activations import CODES, activate, set_threads
from pykernels.numba.gemm import gemm

CHUNK_FLOATS = 1 << 20  # im2col floats per chunk (4 MiB)
ROW_GRAIN = 1 << 15  # multiply-adds (or reads) per thread at least


def _use_threads(work: int) -> None:
    """Run the next parallel kernel on enough threads for ``work`` (one when small)."""
    numba.set_num_threads(set_threads(work, ROW_GRAIN))


@njit(cache=True, parallel=True)
def _im2col(x, row0, rows, c0, cg, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, cols):
    """cols[r, (a * kw + b) * cg + c] = x[n, y * sh - pt + a * dh, z * sw - pl + b * dw, c0 + c] (0 outside)
    for output pixel row0 + r = (n, y, z)."""
    h, w = x.shape[1], x.shape[2]
    for r in prange(rows):
        i = row0 + r
        n, rem = i // (oh * ow), i % (oh * ow)
        y, z = rem // ow, rem % ow
        for a in range(kh):
            ih = y * sh - pt + a * dh
            for b in range(kw):
                iw = z * sw - pl + b * dw
                base = (a * kw + b) * cg
                if 0 <= ih < h and 0 <= iw < w:
                    for c in range(cg):
                        cols[r, base + c] = x[n, ih, iw, c0 + c]
                else:
                    for c in range(cg):
                        cols[r, base + c] = 0.0


@njit(cache=True, parallel=True, fastmath={"contract"})
def _depthwise(x, wt, bias, has_bias, y, mult, kh, kw, sh, sw, dh, dw, pt, pl, code):
    """y[n, oh, ow, o] = act(bias[o] + sum over taps x[.., o // mult] * wt[tap, o])."""
    h, w = x.shape[1], x.shape[2]
    batch, out_h, out_w, oc = y.shape
    for r in prange(batch * out_h):
        n, oh = r // out_h, r % out_h
        for ow in range(out_w):
            out = y[n, oh, ow]
            for o in range(oc):
                out[o] = bias[o] if has_bias else np.float32(0.0)
            for a in range(kh):
                ih = oh * sh - pt + a * dh
                if ih < 0 or ih >= h:
                    continue
                for b in range(kw):
                    iw = ow * sw - pl + b * dw
                    if iw < 0 or iw >= w:
                        continue
                    px, wv = x[n, ih, iw], wt[a * kw + b]
                    if mult == 1:
                        for o in range(oc):
                            out[o] += px[o] * wv[o]
                    else:
                        for o in range(oc):
                            out[o] += px[o // mult] * wv[o]
            if code != 0:
                for o in range(oc):
                    out[o] = activate(out[o], code)


def conv2d(x, out, w, bias, stride, padding, dilation, groups, activation):
    batch, h, width, c = x.shape
    oc, cg, kh, kw = w.shape
    _, out_h, out_w, _ = out.shape
    if out.size == 0:
        return
    sh, sw = stride
    dh, dw = dilation
    pt, _, pl, _ = padding
    code = CODES[activation]
    rows = batch * out_h * out_w
    if groups == c and groups > 1:
        wt = np.ascontiguousarray(w.reshape(oc, kh * kw).T)  # (taps, filters)
        has_bias = bias is not None
        _use_threads(rows * oc * kh * kw)
        _depthwise(x, wt, bias if has_bias else np.empty(0, np.float32), has_bias, out, oc // c, kh, kw, sh, sw,
                   dh, dw, pt, pl, code)
        return
    og, taps = oc // groups, kh * kw * cg
    filters = np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(oc, taps)  # rows (kh, kw, c) per filter
    chunk = max(1, min(rows, CHUNK_FLOATS // max(taps, 1)))
    cols = np.empty((chunk, taps), np.float32)
    flat = out.reshape(rows, oc)
    part = None if groups == 1 else np.empty((chunk, og), np.float32)
    for g in range(groups):
        b = filters[g * og:(g + 1) * og].T
        bias_g = None if bias is None else bias[g * og:(g + 1) * og]
        for row0 in range(0, rows, chunk):
            m = min(chunk, rows - row0)
            _use_threads(m * taps)
            _im2col(x, row0, m, g * cg, cg, kh, kw, sh, sw, dh, dw, pt, pl, out_h, out_w, cols)
            target = flat[row0:row0 + m] if groups == 1 else part[:m]
            gemm(cols[:m], b, target, bias_g, None if bias_g is None else 1, activation)
            if groups > 1:
                flat[row0:row0 + m, g * og:(g + 1) * og] = target


@njit(cache=True)
def _window(oh, ow, kh, kw, sh, sw, pads, h, w, count_include_pad):
    """The window of output pixel (oh, ow) clipped to the image, and its divisor."""
    pt, pb, pl, pr = pads
    h0, w0 = oh * sh - pt, ow * sw - pl
    h1, w1 = min(h0 + kh, h + pb), min(w0 + kw, w + pr)
    ch0, ch1, cw0, cw1 = max(h0, 0), min(h1, h), max(w0, 0), min(w1, w)
    counted = (h1 - h0) * (w1 - w0) if count_include_pad else (ch1 - ch0) * (cw1 - cw0)
    return ch0, ch1, cw0, cw1, np.float32(counted)


@njit(cache=True, parallel=True)
def _pool(x, y, kh, kw, sh, sw, pads, is_max, count_include_pad):
    h, w, ch = x.shape[1], x.shape[2], x.shape[3]
    batch, out_h, out_w, _ = y.shape
    for r in prange(batch * out_h):
        n, oh = r // out_h, r % out_h
        for ow in range(out_w):
            h0, h1, w0, w1, divisor = _window(oh, ow, kh, kw, sh, sw, pads, h, w, count_include_pad)
            out = y[n, oh, ow]
            for c in range(ch):
                out[c] = -np.inf if is_max else 0.0
            for ih in range(h0, h1):
                for iw in range(w0, w1):
                    px = x[n, ih, iw]
                    if is_max:
                        for c in range(ch):
                            v = px[c]
                            if v > out[c] or v != v:
                                out[c] = v
                    else:
                        for c in range(ch):
                            out[c] += px[c]
            if not is_max:
                scale = np.float32(1.0) / divisor
                for c in range(ch):
                    out[c] *= scale


def _run_pool(x, out, kernel, stride, padding, is_max, count_include_pad):
    if out.size == 0:
        return
    _use_threads(out.size * kernel[0] * kernel[1])
    _pool(x, out, kernel[0], kernel[1], stride[0], stride[1], tuple(padding), is_max, count_include_pad)


def max_pool2d(x, out, kernel, stride, padding, ceil_mode):
    _run_pool(x, out, kernel, stride, padding, True, False)  # out's shape carries ceil_mode


def avg_pool2d(x, out, kernel, stride, padding, ceil_mode, count_include_pad):
    _run_pool(x, out, kernel, stride, padding, False, count_include_pad)


@njit(cache=True, parallel=True)
def _global_avg(x, out):
    # Sums in float64, divided once: a float32 running sum over the pixels errs by up to
    # pixels x eps (the op is bound by reading x either way).
    batch, pixels, ch = x.shape
    for n in prange(batch):
        acc = np.zeros(ch, np.float64)
        for i in range(pixels):
            for c in range(ch):
                acc[c] += x[n, i, c]
        for c in range(ch):
            out[n, c] = acc[c] / pixels


def global_avg_pool2d(x, out):
    batch, h, w, c = x.shape
    if out.size == 0:
        return
    _use_threads(x.size)
    _global_avg(x.reshape(batch, h * w, c), out)
