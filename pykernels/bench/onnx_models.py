"""Tiny ONNX models for baselines, written as protobuf bytes directly (so the ``onnx``
package is not needed, only ``onnxruntime``).

Only the fields ONNX Runtime needs are encoded: ModelProto{ir_version, opset_import,
graph{node, name, input, output}} with typed, fixed-shape tensors.
"""
from __future__ import annotations

UINT8, INT8, INT32 = 2, 3, 6  # TensorProto.DataType


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload) -> bytes:
    """A protobuf field: an int (varint) or bytes / str (length-delimited)."""
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _value_info(name: str, elem_type: int, shape: tuple[int, ...]) -> bytes:
    dims = b"".join(_field(1, _field(1, d)) for d in shape)  # TensorShapeProto.dim{dim_value}
    tensor_type = _field(1, elem_type) + _field(2, dims)
    return _field(1, name) + _field(2, _field(1, tensor_type))  # ValueInfoProto{name, type{tensor_type}}


def matmul_integer(m: int, k: int, n: int, a_type: int = UINT8, b_type: int = INT8) -> bytes:
    """Y(m, n) int32 = MatMulInteger(A(m, k), B(k, n)), opset 13."""
    node = _field(1, "A") + _field(1, "B") + _field(2, "Y") + _field(4, "MatMulInteger")
    graph = (_field(1, node) + _field(2, "matmul_integer")
             + _field(11, _value_info("A", a_type, (m, k))) + _field(11, _value_info("B", b_type, (k, n)))
             + _field(12, _value_info("Y", INT32, (m, n))))
    opset = _field(1, "") + _field(2, 13)
    return _field(1, 7) + _field(8, opset) + _field(7, graph)
