"""SpMM on the C++ kernels (csrc/cpu/spmm): X is packed into panels, any strides; and the
sparse-weight convolution (csrc/cpu/conv/conv2d_sparse_driver.cc) on implicit im2col panels."""
from pykernels import _C
from pykernels.cpu.codes import ACTIVATION

FORMAT_CODES = {"bsr": 0, "csr": 0, "nm": 1}


def spmm(w, x, out, bias=None, activation="none"):
    m, k = w.shape
    act = ACTIVATION[activation]
    if w.format == "nm":
        _C.spmm_nm_f32(m, k, w.n, w.m, w.positions, w.values, x, out, bias, act)
    else:
        r, c = w.blocksize if w.format == "bsr" else (1, 1)
        _C.spmm_bsr_f32(m, k, r, c, w.indptr, w.indices, w.data, x, out, bias, act)


def conv2d_sparse(x, out, w, kernel, bias, stride, padding, dilation, activation):
    r, c = w.blocksize if w.format == "bsr" else (1, 1)
    if w.format == "nm":
        _C.conv2d_sparse_f32_nhwc(x, out, kernel, 1, 0, 0, None, None, w.n, w.m, w.positions, w.values, bias, stride,
                                  padding, dilation, ACTIVATION[activation])
    else:
        _C.conv2d_sparse_f32_nhwc(x, out, kernel, 0, r, c, w.indptr, w.indices, 0, 0, None, w.data, bias, stride,
                                  padding, dilation, ACTIVATION[activation])


def kernel_name(w, n: int) -> str:
    """The microkernel spmm runs for ``w`` against ``n`` dense columns on this CPU."""
    r, c = w.blocksize if w.format == "bsr" else (1, 1)
    return _C.spmm_kernel_name(FORMAT_CODES[w.format], r, c, getattr(w, "n", 0) if w.format == "nm" else 0, n)
