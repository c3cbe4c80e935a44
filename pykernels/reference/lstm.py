"""Reference LSTM (PyTorch's nn.LSTM semantics), written for clarity.

Gate order i, f, g, o (PyTorch). For one step::

    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h' = sigmoid(o) * tanh(c')            (then h' @ w_hr.T with a projection)
"""
import numpy as np

from pykernels.reference.activations import sigmoid


def lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr=None, dtype=np.float64):
    """One step: (h', c') from x (B, I), h (B, R), c (B, H)."""
    f = lambda a: np.asarray(a, dtype)  # noqa: E731
    gates = f(x) @ f(w_ih).T + f(b_ih) + f(h) @ f(w_hh).T + f(b_hh)
    i, fg, g, o = np.split(gates, 4, axis=-1)
    c = sigmoid(fg, dtype) * f(c) + sigmoid(i, dtype) * np.tanh(g)
    h = sigmoid(o, dtype) * np.tanh(c)
    if w_hr is not None:
        h = h @ f(w_hr).T
    return h, c


def lstm_layer(x, w_ih, w_hh, b_ih, b_hh, w_hr=None, h0=None, c0=None, lengths=None, reverse=False,
               dtype=np.float64):
    """One layer and direction over time-major x (T, B, I): (y (T, B, R), h_n (B, R), c_n (B, H)).

    Row b runs steps t < lengths[b] (backwards when reverse); y is zero past its end.
    """
    steps, batch = x.shape[:2]
    hidden = np.shape(w_hh)[0] // 4
    state = hidden if w_hr is None else np.shape(w_hr)[0]
    h = np.zeros((batch, state), dtype) if h0 is None else np.array(h0, dtype)
    c = np.zeros((batch, hidden), dtype) if c0 is None else np.array(c0, dtype)
    lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    y = np.zeros((steps, batch, state), dtype)
    for t in (reversed(range(steps)) if reverse else range(steps)):
        live = lengths > t
        h_new, c_new = lstm_cell(x[t], h, c, w_ih, w_hh, b_ih, b_hh, w_hr, dtype)
        h[live], c[live] = h_new[live], c_new[live]
        y[t, live] = h_new[live]
    return y, h, c


def lstm(x, weights, h0=None, c0=None, bidirectional=False, batch_first=False, lengths=None, dtype=np.float64):
    """nn.LSTM's forward: (output, (h_n, c_n)); weights as in ``pykernels.ops.lstm``."""
    x = np.asarray(x, dtype)
    if batch_first:
        x = x.swapaxes(0, 1)
    directions = 2 if bidirectional else 1
    layers = len(weights) // directions
    h_n, c_n = [], []
    for layer in range(layers):
        outputs = []
        for d in range(directions):
            k = layer * directions + d
            w_ih, w_hh, b_ih, b_hh, *w_hr = weights[k]
            y, h, c = lstm_layer(x, w_ih, w_hh, b_ih, b_hh, w_hr[0] if w_hr else None,
                                 None if h0 is None else h0[k], None if c0 is None else c0[k], lengths, d == 1, dtype)
            outputs.append(y)
            h_n.append(h)
            c_n.append(c)
        x = np.concatenate(outputs, axis=-1)
    output = x.swapaxes(0, 1) if batch_first else x
    return output, (np.stack(h_n), np.stack(c_n))

