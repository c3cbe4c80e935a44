"""Dynamic int8 LSTM: int8 weights, activations quantized on their own range.

Per layer and direction, the input projection of every step is one int8 GEMM
(``linear_int8`` on the (batch * steps, features) input, quantized once on its range);
then each step adds the recurrent product ``linear_int8(h_{t-1}, W_hh)`` (h quantized on
its own range every step) and runs the gate math in float32 (PyTorch's gate order i, f,
g, o; ``ops.sigmoid`` / ``ops.activation`` kernels). The semantics are those of
``ops.lstm`` on the dequantized weights, up to the activations' quantization error.
"""
from __future__ import annotations

import numpy as np

from pykernels import validation
from pykernels.formats.int8_weights import Int8Weights
from pykernels.ops.activations import activation as _activation
from pykernels.ops.int8 import linear_int8


def _reverse(x: np.ndarray, lengths) -> np.ndarray:
    """Each sequence of x (batch, steps, F) reversed within its length (padding stays at the end)."""
    if lengths is None:
        return x[:, ::-1]
    index = np.arange(x.shape[1])[None, :]
    source = np.where(index < lengths[:, None], lengths[:, None] - 1 - index, index)
    return np.take_along_axis(x, source[:, :, None], axis=1)


def _direction(x, w_ih: Int8Weights, w_hh: Int8Weights, bias, lengths, backend):
    """One direction over batch-first x: (output (B, T, H), h_n, c_n)."""
    batch, steps, features = x.shape
    hidden = w_hh.in_features
    gates_x = linear_int8(np.ascontiguousarray(x).reshape(batch * steps, features), w_ih, bias,
                          backend=backend).reshape(batch, steps, 4 * hidden)
    h = np.zeros((batch, hidden), np.float32)
    c = np.zeros((batch, hidden), np.float32)
    out = np.zeros((batch, steps, hidden), np.float32)
    for t in range(steps):
        gates = gates_x[:, t] if t == 0 else gates_x[:, t] + linear_int8(h, w_hh, backend=backend)
        ifo = _activation(np.concatenate([gates[:, :2 * hidden], gates[:, 3 * hidden:]], axis=1), "sigmoid",
                          backend=backend)
        g = _activation(np.ascontiguousarray(gates[:, 2 * hidden:3 * hidden]), "tanh", backend=backend)
        c_new = ifo[:, hidden:2 * hidden] * c + ifo[:, :hidden] * g
        h_new = ifo[:, 2 * hidden:] * _activation(c_new, "tanh", backend=backend)
        if lengths is None:
            h, c = h_new, c_new
            out[:, t] = h
        else:
            active = (t < lengths)[:, None]
            h, c = np.where(active, h_new, h), np.where(active, c_new, c)
            out[:, t] = np.where(active, h_new, 0.0)
    return out, h, c


def lstm_int8(x: np.ndarray, weights, bidirectional: bool = False, lengths=None, *, backend: str = "auto"):
    """``ops.lstm`` (batch first, zero initial states) on int8 weights: ``(output, (h_n, c_n))``.

    ``weights``: ``(w_ih, w_hh, bias)`` per layer and direction, w_ih / w_hh Int8Weights
    (4H, I) / (4H, H) and bias (4H,) float32 (b_ih + b_hh). ``lengths`` (B,): row b runs its
    first lengths[b] steps (output past them zero, states from its last step).
    """
    op = "lstm_int8"
    x = validation.float32_array(x, op, "x", ndim=3)
    directions = 2 if bidirectional else 1
    if not weights or len(weights) % directions:
        raise ValueError(f"{op}: expected (w_ih, w_hh, bias) per layer and direction ({directions} per layer), "
                         f"got {len(weights)}")
    batch, steps = x.shape[:2]
    if lengths is not None:
        lengths = np.asarray(lengths, np.int64)
        if lengths.shape != (batch,) or (lengths < 0).any() or (lengths > steps).any():
            raise ValueError(f"{op}: lengths must be ({batch},) in [0, {steps}], got {lengths.tolist()}")
    h_n, c_n, inputs = [], [], x
    for layer in range(len(weights) // directions):
        outputs = []
        for d in range(directions):
            w_ih, w_hh, bias = weights[layer * directions + d]
            if not (isinstance(w_ih, Int8Weights) and isinstance(w_hh, Int8Weights)):
                raise TypeError(f"{op}: w_ih and w_hh must be Int8Weights")
            if w_ih.in_features != inputs.shape[2] or w_hh.out_features != 4 * w_hh.in_features:
                raise ValueError(f"{op}: layer {layer} expects w_ih (4H, {inputs.shape[2]}) and w_hh (4H, H), got "
                                 f"{w_ih.shape} and {w_hh.shape}")
            source = _reverse(inputs, lengths) if d == 1 else inputs
            out, h, c = _direction(source, w_ih, w_hh, bias, lengths, backend)
            outputs.append(_reverse(out, lengths) if d == 1 else out)
            h_n.append(h)
            c_n.append(c)
        inputs = np.concatenate(outputs, axis=2) if directions == 2 else outputs[0]
    return inputs, (np.stack(h_n), np.stack(c_n))
