"""Device arrays for the GPU backends ("cuda", "numba-cuda"): the one place that reads
``__cuda_array_interface__`` (CAI, v3) and DLPack, picks the stream, and allocates results.

- ``view(x, op, name)`` describes a device array (address, shape, element strides,
  dtype, device, producer stream) without copying it. CuPy arrays, PyTorch CUDA tensors
  and Numba device arrays export CAI; bfloat16 tensors only DLPack, read here too.
- Host arrays (NumPy, CPU tensors) are rejected with a TypeError that names the fix:
  move the data to the GPU, or use a CPU backend. Nothing is ever copied between host
  and device behind the caller's back.
- Streams: a kernel runs on the stream of the library that made its first operand (the
  current PyTorch or CuPy stream; for other producers the stream their CAI declares,
  else the legacy default stream). An operand whose CAI declares another stream is
  ordered before it with an event (CAI v3); DLPack producers are told our stream.
"""
from __future__ import annotations

import ctypes
import sys
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

# Element types and their codes in csrc/cuda/common/device_matrix.h (DType).
CODES = {"float32": 0, "float16": 1, "bfloat16": 2, "int8": 3, "int32": 4, "int64": 5}
ITEMSIZE = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "int32": 4, "int64": 8, "bool": 1}
_TYPESTR = {"<f4": "float32", "<f2": "float16", "|i1": "int8", "<i1": "int8", "<i4": "int32", "<i8": "int64",
            "|b1": "bool"}
_DLPACK_TYPES = {(2, 32): "float32", (2, 16): "float16", (4, 16): "bfloat16", (0, 8): "int8", (0, 32): "int32",
                 (0, 64): "int64", (6, 8): "bool"}
_DL_CUDA, _DL_CUDA_MANAGED = 2, 13
LEGACY_DEFAULT_STREAM = 1  # CAI / DLPack handle of the legacy default stream

HOST_FIX = ("move it to the GPU first (cupy.asarray(x), torch.from_numpy(x).cuda(), numba.cuda.to_device(x)) "
            "or use a CPU backend (backend='cpu')")


@dataclass(frozen=True)
class DeviceArray:
    """A device array's description; ``owner`` keeps its memory alive while in use."""
    ptr: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]  # in elements, may be negative
    dtype: str
    device: int
    stream: int | None  # the producer's stream (CAI), None when it declares none
    owner: Any

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def itemsize(self) -> int:
        return ITEMSIZE[self.dtype]

    @property
    def c_contiguous(self) -> bool:
        expected = 1
        for dim, stride in zip(reversed(self.shape), reversed(self.strides)):
            if dim != 1 and stride != expected:
                return False
            expected *= dim
        return True


def is_simulated(x) -> bool:
    """True for the device arrays of Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1)."""
    return type(x).__module__.startswith("numba.cuda.simulator")


def is_device_array(x) -> bool:
    """True for arrays that live in GPU memory (by CAI or DLPack device), simulated ones too."""
    if isinstance(x, np.ndarray):  # the host fast path of every op
        return False
    if hasattr(type(x), "__cuda_array_interface__") and _cai(x) is not None:
        return True
    if is_simulated(x):
        return True
    dev = getattr(x, "__dlpack_device__", None)
    if dev is None:
        return False
    try:
        return dev()[0] in (_DL_CUDA, _DL_CUDA_MANAGED)
    except Exception:  # noqa: BLE001 - a producer that cannot say is not a device array
        return False


def _cai(x):
    try:
        return x.__cuda_array_interface__
    except (AttributeError, TypeError, RuntimeError):  # e.g. bfloat16 tensors, CPU tensors
        return None


def _host_error(x, op: str, name: str) -> TypeError:
    return TypeError(f"{op}: {name} is a host array ({type(x).__module__}.{type(x).__name__}); "
                     f"GPU backends compute on device arrays: {HOST_FIX}")


def view(x, op: str, name: str, *, dtypes: Sequence[str] | None = None, ndim: int | None = None,
         stream: int | None = None) -> DeviceArray:
    """Describe device array ``x`` (no copy). ``stream`` is the consumer's stream, given to
    DLPack producers so that they order their pending work before it."""
    cai = _cai(x) if hasattr(type(x), "__cuda_array_interface__") else None
    if is_simulated(x):
        arr = DeviceArray(0, tuple(x.shape), tuple(s // x.dtype.itemsize for s in x.strides), str(x.dtype), 0, None, x)
    elif cai is not None:
        arr = _from_cai(x, cai, op, name)
    elif getattr(x, "__dlpack_device__", None) is not None and is_device_array(x):
        arr = _from_dlpack(x, op, name, stream)
    else:
        raise _host_error(x, op, name) if hasattr(x, "__array__") or hasattr(x, "__dlpack__") else TypeError(
            f"{op}: {name} must be a device array (CuPy, PyTorch CUDA, Numba device array), got {type(x).__name__}")
    if dtypes is not None and arr.dtype not in dtypes:
        raise TypeError(f"{op}: {name} must have dtype {' or '.join(dtypes)}, got {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D, got {arr.ndim}-D array of shape {arr.shape}")
    return arr


def _from_cai(x, cai: dict, op: str, name: str) -> DeviceArray:
    dtype = _TYPESTR.get(cai["typestr"])
    if dtype is None:
        raise TypeError(f"{op}: {name} has unsupported dtype {cai['typestr']!r}; expected one of {sorted(CODES)}")
    shape = tuple(int(d) for d in cai["shape"])
    size = ITEMSIZE[dtype]
    if cai.get("strides") is None:
        strides, step = [], 1
        for dim in reversed(shape):
            strides.append(step)
            step *= dim
        strides = tuple(reversed(strides))
    else:
        if any(s % size for s in cai["strides"]):
            raise ValueError(f"{op}: {name} has byte strides {cai['strides']} that are not multiples of {size}")
        strides = tuple(int(s) // size for s in cai["strides"])
    ptr = int(cai["data"][0] or 0)
    if "mask" in cai and cai["mask"] is not None:
        raise ValueError(f"{op}: {name} is a masked device array; masks are not supported")
    return DeviceArray(ptr, shape, strides, dtype, _device_of(x, ptr), cai.get("stream"), x)


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _from_dlpack(x, op: str, name: str, stream: int | None) -> DeviceArray:
    # The capsule is read, not consumed: it keeps its own reference to the tensor until
    # it is collected, and x stays referenced by the DeviceArray.
    capsule = x.__dlpack__(stream=LEGACY_DEFAULT_STREAM if not stream else stream)
    tensor = _DLTensor.from_address(_capsule_pointer(capsule, b"dltensor"))  # DLManagedTensor starts with it
    key = (tensor.dtype.code, tensor.dtype.bits)
    if key not in _DLPACK_TYPES or tensor.dtype.lanes != 1:
        raise TypeError(f"{op}: {name} has unsupported DLPack dtype (code {key[0]}, {key[1]} bits)")
    dtype = _DLPACK_TYPES[key]
    nd = tensor.ndim
    shape = tuple(int(tensor.shape[i]) for i in range(nd))
    if tensor.strides:
        strides = tuple(int(tensor.strides[i]) for i in range(nd))
    else:
        strides, step = [], 1
        for dim in reversed(shape):
            strides.append(step)
            step *= dim
        strides = tuple(reversed(strides))
    ptr = int(tensor.data or 0) + int(tensor.byte_offset)
    return DeviceArray(ptr, shape, strides, dtype, int(tensor.device.device_id), None, (x, capsule))


def _device_of(x, ptr: int) -> int:
    """The device index of x (from the producer when it says, else 0)."""
    device = getattr(x, "device", None)
    index = getattr(device, "index", None)  # torch.device
    if isinstance(index, int):
        return index
    device_id = getattr(device, "id", None)  # cupy.cuda.Device
    if isinstance(device_id, int):
        return device_id
    dev = getattr(x, "__dlpack_device__", None)
    if dev is not None:
        try:
            return int(dev()[1])
        except Exception:  # noqa: BLE001
            pass
    return 0


def library_stream(x) -> int | None:
    """The current stream of the library that made ``x`` (PyTorch, CuPy), else None."""
    library = type(x).__module__.split(".")[0]
    if library == "torch":
        return int(sys.modules["torch"].cuda.current_stream(x.device).cuda_stream) or LEGACY_DEFAULT_STREAM
    if library == "cupy":
        return int(sys.modules["cupy"].cuda.get_current_stream().ptr) or LEGACY_DEFAULT_STREAM
    return None


def order_after_producers(native, views: Sequence[DeviceArray], stream: int) -> None:
    """Make ``stream`` wait for the streams that operands declare (CAI v3)."""
    for producer in {v.stream for v in views if v.stream is not None and v.stream != stream}:
        native.stream_wait(views[0].device, stream, producer)


def operands(op: str, specs: Sequence[tuple]) -> tuple[list[DeviceArray | None], int, int]:
    """Views of the operands ``specs`` = [(x, name, dtypes, ndim), ...] (x None: absent),
    the stream to run on, ordered after every producer's, and the device.

    The stream is the first operand's library stream (see execution_stream)."""
    first = next(x for x, *_ in specs if x is not None)
    stream = library_stream(first)
    views = [None if x is None else view(x, op, name, dtypes=dtypes, ndim=ndim, stream=stream)
             for x, name, dtypes, ndim in specs]
    present = [v for v in views if v is not None]
    if stream is None:
        stream = next((v.stream for v in present if v.stream is not None), LEGACY_DEFAULT_STREAM)
    device = check_same_device(op, present)
    return views, stream, device


def check_same_device(op: str, views: Sequence[DeviceArray]) -> int:
    devices = {v.device for v in views}
    if len(devices) > 1:
        raise ValueError(f"{op}: operands live on different devices {sorted(devices)}; move them to one GPU")
    return views[0].device


def empty_like(template, shape: tuple[int, ...], dtype: str):
    """A new device array of ``shape`` and ``dtype`` from the library that made ``template``."""
    library = type(template).__module__.split(".")[0]
    if library == "torch":
        torch = sys.modules["torch"]
        return torch.empty(shape, dtype=getattr(torch, dtype), device=template.device)
    if library == "cupy":
        cupy = sys.modules["cupy"]
        with template.device:
            return cupy.empty(shape, dtype=dtype)
    if library == "numba" or is_simulated(template):
        from numba import cuda
        return cuda.device_array(shape, dtype=np.dtype(dtype))
    raise TypeError(f"cannot allocate a result like a {type(template).__name__}: pass out= (a device array)")


def from_host(template, x: np.ndarray):
    """A device copy of host array ``x``, made by the library of ``template`` on its device:
    for parameters the caller asked to move (sparse structures, weights), never operands."""
    library = type(template).__module__.split(".")[0]
    x = np.ascontiguousarray(x)
    if library == "torch":
        return sys.modules["torch"].from_numpy(x).to(template.device)
    if library == "cupy":
        cupy = sys.modules["cupy"]
        with template.device:
            return cupy.asarray(x)
    if library == "numba" or is_simulated(template):
        from numba import cuda
        return cuda.to_device(x)
    raise TypeError(f"cannot copy to the device of a {type(template).__name__}")
