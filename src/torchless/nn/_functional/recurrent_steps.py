"""One time step of the Elman RNN, LSTM and GRU recurrences, built from differentiable tensor ops.

Each step takes ``input_gates``, the input's contribution ``x W_ih^T + b_ih`` already computed (so a
layer can project the whole sequence with one matrix product), and the previous state; the hidden
state's contribution is computed here. Gate order is PyTorch's: LSTM i, f, g, o and GRU r, z, n.

Shapes: input_gates (N, G * H) with G gates, hidden states (N, H) (or (N, proj_size) for a projected
LSTM's h); N may be any leading batch shape.
"""
from .linear import linear

__all__ = ["rnn_tanh_step", "rnn_relu_step", "lstm_step", "gru_step"]


def rnn_tanh_step(input_gates, h, weight_hh, bias_hh):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return (input_gates + linear(h, weight_hh, bias_hh)).tanh()


def rnn_relu_step(input_gates, h, weight_hh, bias_hh):
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return (input_gates + linear(h, weight_hh, bias_hh)).relu()


def lstm_step(input_gates, h, c, weight_hh, bias_hh, weight_hr=None):
    """Returns (h', c') with c' = f * c + i * g and h' = o * tanh(c'), then h' W_hr^T when projected."""
    gates = input_gates + linear(h, weight_hh, bias_hh)
    i, f, g, o = gates.chunk(4, -1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h_next = o.sigmoid() * c_next.tanh()
    if weight_hr is not None:
        h_next = linear(h_next, weight_hr)
    return h_next, c_next


def gru_step(input_gates, h, weight_hh, bias_hh):
    """h' = (1 - z) * n + z * h with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).

    r scales the hidden part of n *after* its bias is added (PyTorch's and cuDNN's form), which is why
    the hidden projection cannot simply be added to the input gates as for the other cells.
    """
    input_r, input_z, input_n = input_gates.chunk(3, -1)
    hidden_r, hidden_z, hidden_n = linear(h, weight_hh, bias_hh).chunk(3, -1)
    r = (input_r + hidden_r).sigmoid()
    z = (input_z + hidden_z).sigmoid()
    n = (input_n + r * hidden_n).tanh()
    return n + z * (h - n)
