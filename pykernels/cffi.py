"""The C ABI of pykernels (``pykernels.h``) through cffi, for C-level callers such as Numba.

cffi's in-line ABI mode: the declarations are read from the header itself (between its
``cdef-begin`` and ``cdef-end`` markers) and the library is the extension module
``pykernels._C``, which exports the ``pk_*`` functions. Every function and constant of
the header is an attribute of this module, next to ``ffi`` and ``lib``::

    import numba
    from pykernels.cffi import ffi, pk_sgemm, PK_BIAS_COL, PK_ACT_RELU

    @numba.njit
    def dense_relu(x, w, bias, out):        # out = relu(x @ w.T + bias), w of shape (n, k)
        m, k = x.shape
        n = w.shape[0]
        return pk_sgemm(m, n, k, ffi.from_buffer(x), k, 1, ffi.from_buffer(w), 1, k,  # w.T by strides
                        ffi.from_buffer(out), n, ffi.from_buffer(bias), PK_BIAS_COL, PK_ACT_RELU, 0)

Numba (checked with 0.68) compiles calls to cffi functions in nopython mode when they
are module-level names, as here; it cannot look them up on ``lib`` inside compiled code.
In nopython mode ``ffi.from_buffer(array)`` gives a typed pointer but accepts only
C-contiguous arrays (describe transposed operands with strides, as above), and there is
no ``ffi.NULL``: pass any float pointer as an unused bias with PK_BIAS_NONE. From plain
Python use ``ffi.from_buffer("float[]", array)`` and ``ffi.NULL``. Every function returns
``PK_OK`` or an error code; ``last_error()`` is the message of the last failure on the
calling thread.
"""
from __future__ import annotations

from pathlib import Path

import cffi

from pykernels import _C

_PACKAGE = Path(__file__).resolve().parent
# The header shipped inside the package, else the source tree's (editable installs).
HEADER_LOCATIONS = (_PACKAGE / "include" / "pykernels.h", _PACKAGE.parent / "csrc" / "include" / "pykernels.h")
CDEF_BEGIN, CDEF_END = "/* cdef-begin", "/* cdef-end */"


def _header_path() -> Path:
    for path in HEADER_LOCATIONS:
        if path.is_file():
            return path
    raise ImportError("pykernels.cffi: the C header pykernels.h was not found; looked in "
                      + ", ".join(str(p) for p in HEADER_LOCATIONS))


def _declarations(header: str) -> str:
    """The cffi ``cdef`` text of a pykernels header: its marked part without ``PK_API``."""
    begin, end = header.find(CDEF_BEGIN), header.find(CDEF_END)
    if begin < 0 or end < begin:
        raise ValueError(f"pykernels.cffi: the header has no {CDEF_BEGIN!r} ... {CDEF_END!r} section")
    body = header[header.index("\n", begin) + 1:end]
    return body.replace("PK_API ", "")


ffi = cffi.FFI()
ffi.cdef(_declarations(_header_path().read_text()))
lib = ffi.dlopen(_C.__file__)

_EXPORTS = {name: getattr(lib, name) for name in dir(lib)}
globals().update(_EXPORTS)


def last_error() -> str:
    """The message of the last failed ``pk_*`` call on this thread ("" if none)."""
    return ffi.string(lib.pk_last_error()).decode()


__all__ = ["ffi", "last_error", "lib", *_EXPORTS]
