"""LSTM ops on the registry's "lstm_layer" kernels: ``lstm`` (nn.LSTM's forward) and
``lstm_cell`` (one step), plus converters of Keras and ONNX weights to PyTorch's layout.

Gate order is PyTorch's (i, f, g, o) with two biases. Kernel contract for op
"lstm_layer" (every backend implements exactly this)::

    lstm_layer(x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, reverse, y, h_n, c_n)

runs one layer and direction: ``x`` (T, B, I) float32 with unit stride along features
and rows time-major or batch-major (``x`` or ``x.swapaxes(0, 1)`` C-contiguous);
``w_ih`` (4H, I), ``w_hh`` (4H, R), ``bias`` (4H,) = b_ih + b_hh, ``w_hr`` (R, H) or
None (R = H), ``h0`` (B, R) / ``c0`` (B, H) or None for zeros, all C-contiguous;
``lengths`` int64 (B,) in [1, T] or None; ``reverse`` runs t = T-1 .. 0. It writes
``y`` (T, B, R) (a view with unit stride along features; zero where t >= lengths[b])
and the final states ``h_n`` (B, R) and ``c_n`` (B, H) (C-contiguous).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from pykernels import validation
from pykernels.registry import resolve
from pykernels.cuda.arrays import is_device_array

_KERAS_TO_TORCH = (0, 1, 2, 3)  # Keras (i, f, c, o) is PyTorch's (i, f, g, o)
_ONNX_TO_TORCH = (0, 2, 3, 1)   # ONNX (i, o, f, c): take i, f, c, o


def _gate_rows(w: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """Reorder the four gate blocks along axis 0 (4H rows) into PyTorch's order."""
    blocks = np.split(np.asarray(w), 4, axis=0)
    return np.ascontiguousarray(np.concatenate([blocks[g] for g in order], axis=0), dtype=np.float32)


def lstm_weights_from_keras(kernel, recurrent_kernel, bias=None) -> tuple[np.ndarray, ...]:
    """Keras LSTM weights -> PyTorch's ``(w_ih, w_hh, b_ih, b_hh)``.

    Keras keeps ``kernel`` (I, 4H) and ``recurrent_kernel`` (H, 4H) with gates (i, f, c, o)
    along the last axis and one ``bias`` (4H,); PyTorch's order (i, f, g, o) is the same
    gates, so the weights are transposed and the bias goes to ``b_ih`` with ``b_hh = 0``.
    """
    w_ih = _gate_rows(np.asarray(kernel).T, _KERAS_TO_TORCH)
    w_hh = _gate_rows(np.asarray(recurrent_kernel).T, _KERAS_TO_TORCH)
    hidden4 = w_hh.shape[0]
    b_ih = np.zeros(hidden4, np.float32) if bias is None else _gate_rows(bias, _KERAS_TO_TORCH)
    return w_ih, w_hh, b_ih, np.zeros(hidden4, np.float32)


def lstm_weights_from_onnx(W, R, B=None) -> list[tuple[np.ndarray, ...]]:
    """ONNX LSTM inputs -> PyTorch's ``[(w_ih, w_hh, b_ih, b_hh)]``, one tuple per direction.

    ONNX stacks directions first: ``W`` (D, 4H, I), ``R`` (D, 4H, H), ``B`` (D, 8H) = [Wb, Rb],
    with gates in the order (i, o, f, c). Peepholes (input P) have no PyTorch equivalent.
    """
    W, R = np.asarray(W), np.asarray(R)
    result = []
    for d in range(W.shape[0]):
        hidden4 = R.shape[1]
        b_ih, b_hh = (np.zeros(hidden4), np.zeros(hidden4)) if B is None else np.split(np.asarray(B)[d], 2)
        result.append((_gate_rows(W[d], _ONNX_TO_TORCH), _gate_rows(R[d], _ONNX_TO_TORCH),
                       _gate_rows(b_ih, _ONNX_TO_TORCH), _gate_rows(b_hh, _ONNX_TO_TORCH)))
    return result


def _layer_weights(weights, op: str, input_size: int, directions: int) -> list[tuple]:
    """Checked (w_ih, w_hh, bias, w_hr) per layer and direction, and (H, R)."""
    if not isinstance(weights, (list, tuple)) or not weights:
        raise TypeError(f"{op}: weights must be a non-empty list of (w_ih, w_hh, b_ih, b_hh[, w_hr]) tuples")
    if len(weights) % directions:
        raise ValueError(f"{op}: {len(weights)} weight tuples cannot be split into layers of {directions} directions")
    checked, hidden, state = [], None, None
    for k, entry in enumerate(weights):
        if not isinstance(entry, (list, tuple)) or len(entry) not in (4, 5):
            raise ValueError(f"{op}: weights[{k}] must be (w_ih, w_hh, b_ih, b_hh) or with w_hr, "
                             f"got {type(entry).__name__} of length {len(entry) if hasattr(entry, '__len__') else '?'}")
        w_ih = validation.contiguous_float32(entry[0], op, f"weights[{k}] w_ih", ndim=2)
        w_hh = validation.contiguous_float32(entry[1], op, f"weights[{k}] w_hh", ndim=2)
        w_hr = validation.contiguous_float32(entry[4], op, f"weights[{k}] w_hr", ndim=2) if len(entry) == 5 else None
        if hidden is None:
            if w_hh.shape[0] % 4 or w_hh.shape[0] == 0:
                raise ValueError(f"{op}: weights[{k}] w_hh has {w_hh.shape[0]} rows, expected 4 * hidden_size > 0")
            hidden = w_hh.shape[0] // 4
            state = hidden if w_hr is None else w_hr.shape[0]
        expected_in = input_size if k < directions else directions * state
        needs_hr = w_hr is not None or state != hidden
        for name, got, shape in (("w_ih", w_ih, (4 * hidden, expected_in)), ("w_hh", w_hh, (4 * hidden, state)),
                                 ("w_hr", w_hr, (state, hidden) if needs_hr else None)):
            if shape is not None and (got is None or got.shape != shape):
                what = "missing" if got is None else f"shape {got.shape}"
                hint = f" (x has {input_size} features)" if name == "w_ih" and k < directions else ""
                raise ValueError(f"{op}: weights[{k}] {name} has {what}, expected {shape} for layer {k // directions}"
                                 f"{hint}")
        biases = []
        for name, b in (("b_ih", entry[2]), ("b_hh", entry[3])):
            if b is None:
                continue
            b = validation.float32_array(b, op, f"weights[{k}] {name}", ndim=1)
            if b.shape != (4 * hidden,):
                raise ValueError(f"{op}: weights[{k}] {name} has shape {b.shape}, expected ({4 * hidden},)")
            biases.append(b)
        bias = (biases[0] + biases[1] if len(biases) == 2 else
                np.array(biases[0], np.float32) if biases else np.zeros(4 * hidden, np.float32))
        checked.append((w_ih, w_hh, bias, w_hr))
    return checked, hidden, state


def _state(value, op: str, name: str, shape: tuple,
           meaning: str = "(num_layers * num_directions, batch, size)") -> np.ndarray | None:
    if value is None:
        return None
    value = validation.contiguous_float32(value, op, name)
    if value.shape != shape:
        raise ValueError(f"{op}: {name} has shape {value.shape}, expected {shape} {meaning}")
    return value


def _lengths(lengths, op: str, batch: int, steps: int) -> np.ndarray | None:
    if lengths is None:
        return None
    lengths = np.asarray(lengths)
    if lengths.dtype.kind not in "iu":
        raise TypeError(f"{op}: lengths must be integers, got dtype {lengths.dtype}")
    if lengths.shape != (batch,):
        raise ValueError(f"{op}: lengths has shape {lengths.shape}, expected ({batch},) (one per batch row)")
    bad = np.flatnonzero((lengths < 1) | (lengths > steps))
    if bad.size:
        raise ValueError(f"{op}: lengths[{bad[0]}] = {lengths[bad[0]]} is outside [1, {steps}] (T = {steps})")
    return np.ascontiguousarray(lengths, np.int64)


def _readable_rows(x: np.ndarray) -> np.ndarray:
    """A time-major (T, B, F) view whose rows the kernels read in place (copied otherwise)."""
    s_t, s_b, s_f = x.strides
    unit = x.shape[2] <= 1 or s_f == x.itemsize
    if unit and (s_t == x.shape[1] * s_b or s_b == x.shape[0] * s_t):
        return x
    return np.ascontiguousarray(x)


def lstm(x: np.ndarray, weights, h0=None, c0=None, bidirectional: bool = False, batch_first: bool = False,
         lengths=None, *, backend: str = "auto"):
    """PyTorch ``nn.LSTM``'s forward: ``(output, (h_n, c_n))``.

    ``x`` is (T, B, I), or (B, T, I) with ``batch_first``. ``weights`` lists
    ``(w_ih, w_hh, b_ih, b_hh)`` (plus ``w_hr`` for proj_size) per layer and direction in
    PyTorch's order (``list(zip(*[iter(lstm.parameters())] * 4))`` for an nn.LSTM without
    projection); the number of layers follows from it. ``h0`` / ``c0``: (layers * D, B, R)
    / (layers * D, B, H), zeros when None. ``lengths`` (B,) like packed sequences: row b
    runs its first ``lengths[b]`` steps, output past them is zero and h_n / c_n are the
    states at its last step. The output is (T, B, D * R) ((B, T, D * R) with batch_first).
    float32 device arrays run on the GPU backends (pykernels.ops.device.lstm).
    """
    if is_device_array(x):
        from pykernels.ops import device
        return device.lstm(x, weights, h0, c0, bidirectional, batch_first, lengths, backend=backend)
    op = "lstm"
    x = validation.float32_array(x, op, "x", ndim=3)
    directions = 2 if bidirectional else 1
    layers, hidden, state = _layer_weights(weights, op, x.shape[2], directions)
    x_tm = x.swapaxes(0, 1) if batch_first else x
    steps, batch = x_tm.shape[:2]
    count = len(layers)
    h0 = _state(h0, op, "h0", (count, batch, state))
    c0 = _state(c0, op, "c0", (count, batch, hidden))
    lengths = _lengths(lengths, op, batch, steps)
    kernel = resolve("lstm_layer", backend)
    h_n = np.empty((count, batch, state), np.float32)
    c_n = np.empty((count, batch, hidden), np.float32)
    validation.check_nbytes((steps, batch, directions * state), op)
    inputs = _readable_rows(x_tm)
    for layer in range(count // directions):
        shape = (batch, steps) if batch_first else (steps, batch)
        output = np.empty(shape + (directions * state,), np.float32)
        out_tm = output.swapaxes(0, 1) if batch_first else output
        for d in range(directions):
            k = layer * directions + d
            w_ih, w_hh, bias, w_hr = layers[k]
            kernel(inputs, w_ih, w_hh, bias, w_hr, None if h0 is None else h0[k], None if c0 is None else c0[k],
                   lengths, d == 1, out_tm[:, :, d * state:(d + 1) * state], h_n[k], c_n[k])
        inputs = out_tm
    return output, (h_n, c_n)


def lstm_cell(x: np.ndarray, h, c, w_ih, w_hh, b_ih=None, b_hh=None, *, backend: str = "auto"):
    """One LSTM step (PyTorch ``nn.LSTMCell``): ``(h', c')`` from x (B, I), h and c (B, H).

    The input and recurrent products are one GEMM each and the gate nonlinearities and
    state update run fused in the same pass (the "lstm_layer" kernel with T = 1).
    ``h`` / ``c`` may be None (zeros); biases may be None.
    """
    op = "lstm_cell"
    x = validation.float32_array(x, op, "x", ndim=2)
    layers, hidden, _ = _layer_weights([(w_ih, w_hh, b_ih, b_hh)], op, x.shape[1], 1)
    w_ih, w_hh, bias, _ = layers[0]
    batch = x.shape[0]
    h = _state(h, op, "h", (batch, hidden), "(batch, hidden_size)")
    c = _state(c, op, "c", (batch, hidden), "(batch, hidden_size)")
    y = np.empty((1, batch, hidden), np.float32)
    c_out = np.empty((batch, hidden), np.float32)
    h_out = np.empty((batch, hidden), np.float32)
    resolve("lstm_layer", backend)(np.ascontiguousarray(x)[np.newaxis], w_ih, w_hh, bias, None, h, c, None, False,
                                   y, h_out, c_out)
    return h_out, c_out
