"""LSTM layer on the C++ kernels (csrc/cpu/lstm)."""
from pykernels import _C


def lstm_layer(x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, reverse, y, h_n, c_n):
    _C.lstm_layer(x, w_ih, w_hh, bias, w_hr, h0, c0, lengths, reverse, y, h_n, c_n)

