"""Recurrent layers: the multi-layer sequence modules RNN, LSTM and GRU and their single-step cells
RNNCell, LSTMCell and GRUCell, with PyTorch's parameters, initialisation, shapes and checks.

The recurrences are composed from differentiable tensor ops (see ``_functional/recurrent_steps.py``),
so autograd needs no RNN-specific backward. A layer runs on the rows of a packed sequence (see
``nn/utils/rnn.py``); a padded batch (L, N, H_in) is the packed case where all N sequences have length L.
Each layer's input projection is one matrix product over all steps, split into the steps (as ATen's
recurrent layers do): one node for all of them, whose backward is linear in the sequence length.
"""
import math
import numbers
import warnings

from ... import _creation
from ..._functions import cat, stack
from ..._tensor import Tensor
from .. import init
from .._functional.dropout import dropout as _dropout
from .._functional.linear import linear
from .._functional.recurrent_steps import gru_step, lstm_step, rnn_relu_step, rnn_tanh_step
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from ._owned import owns
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_NONLINEARITY_MODES = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
_NATIVE_NAMES = {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu", "LSTM": "lstm", "GRU": "gru"}


def native_overloads(name):
    """The schemas of ATen's multi-layer recurrence ``name`` (lstm, gru, rnn_tanh, rnn_relu) as PyTorch's parser
    lists them: the packed form (data, batch_sizes) first, then the input form (batch_first last). ``params`` is
    the flat weight list the modules keep: w_ih, w_hh[, b_ih, b_hh][, w_hr] per layer and direction."""
    hx = "TensorList hx" if name == "lstm" else "Tensor hx"  # (LSTM's is the pair (h, c))
    flags = "TensorList params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional"
    return f"Tensor data, Tensor batch_sizes, {hx}, {flags}", f"Tensor input, {hx}, {flags}, bool batch_first"


def _uniform_init(module):
    """Every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), drawn in registration order."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def _reject_projection(kwargs):
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


def _batch_permuted(state, permutation):
    """``state`` (num_layers * D, N, ·) with its sequences reordered by ``permutation`` (None: unchanged)."""
    return state if permutation is None else state.index_select(1, permutation)


def _forward_in_time(step, steps, batch_sizes, state):
    """Runs ``step`` over ``steps`` 0..L-1. The batch can only shrink (sequences come in decreasing order of
    length): the sequences that ended keep the state of their last step as their final state."""
    outputs, ended = [], []
    for input_gates, batch in zip(steps, batch_sizes):
        if batch < state[0].shape[0]:
            ended.append(tuple(s[batch:] for s in state))
            state = tuple(s[:batch] for s in state)
        state = step(input_gates, state)
        outputs.append(state[0])
    # the longest sequences first: those still running, then those that ended, the latest first
    pieces = [state, *reversed(ended)]
    final = state if len(pieces) == 1 else tuple(cat([piece[k] for piece in pieces]) for k in range(len(state)))
    return outputs, final


def _backward_in_time(step, steps, batch_sizes, initial):
    """Runs ``step`` over ``steps`` L-1..0. The batch can only grow: a sequence joins, from its initial
    state, at its own last step. Returns the outputs in time order and the state after step 0."""
    outputs = []
    state = _first_rows(initial, batch_sizes[-1])
    for input_gates, batch in zip(reversed(steps), reversed(batch_sizes)):
        running = state[0].shape[0]
        if batch > running:
            state = tuple(cat([s, s0[running:batch]]) for s, s0 in zip(state, initial))
        state = step(input_gates, state)
        outputs.append(state[0])
    outputs.reverse()
    return outputs, state


def _first_rows(state, count):
    """The first ``count`` sequences of each tensor of ``state`` (no slicing node when that is all of them)."""
    return state if state[0].shape[0] == count else tuple(s[:count] for s in state)


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameter registration, argument checks and the
    layer-by-layer, direction-by-direction unrolling over time.

    Parameters of layer k are ``weight_ih_lk`` (G*H, H_in or D*H_out), ``weight_hh_lk`` (G*H, H_out),
    ``bias_ih_lk`` (G*H), ``bias_hh_lk`` (G*H) and, for a projected LSTM, ``weight_hr_lk`` (proj_size, H),
    with the suffix ``_reverse`` for the backward direction; G is the number of gates, H_out is
    proj_size if set, else H.
    """
    __constants__ = ["mode", "input_size", "hidden_size", "num_layers",
                     "bias", "batch_first", "dropout", "bidirectional", "proj_size"]
    # (PyTorch's RNN and GRU kernels transpose a batch_first output in place, its LSTM kernel does not: the output's
    # node is TransposeBackward1 or TransposeBackward0)
    _transposes_output_in_place = True

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        as_float = float(dropout)  # (PyTorch stores float(dropout) first: a str or None fails here, as float's)
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=2)
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, as_float
        self.bidirectional, self.proj_size = bidirectional, proj_size
        # PyTorch's gate size of a plain RNN is hidden_size itself (a bool one then fails as a size, as there)
        gate_size = hidden_size if _GATES[mode] == 1 else _GATES[mode] * hidden_size
        self._register_weights(gate_size, {"device": device, "dtype": dtype})
        self.reset_parameters()

    def __setstate__(self, state):
        super().__setstate__(state)
        # as PyTorch: pickled with _all_weights under its old name, or before proj_size (PyTorch 1.8)
        if "all_weights" in state:
            self._all_weights = state["all_weights"]
        self.__dict__.setdefault("proj_size", 0)
        # PyTorch's pickles hold the list of weights that is a property here (it would go stale in the instance)
        self.__dict__.pop("_flat_weights", None)

    @property
    def _num_directions(self):
        return 2 if self.bidirectional else 1

    @property
    def _output_hidden_size(self):
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def _register_weights(self, gate_size, factory_kwargs):
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(self.num_layers):
            layer_input_size = self.input_size if layer == 0 else self._output_hidden_size * self._num_directions
            for direction in range(self._num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (gate_size, layer_input_size),
                          "weight_hh": (gate_size, self._output_hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if self.proj_size > 0:
                    shapes["weight_hr"] = (self.proj_size, self.hidden_size)
                names = [kind + suffix for kind in shapes]
                for name, shape in zip(names, shapes.values()):
                    setattr(self, name, Parameter(_creation.empty(shape, **factory_kwargs)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)

    def reset_parameters(self):
        _uniform_init(self)

    @property
    def all_weights(self):
        """The parameters as a list per layer and direction, in registration order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self):
        """The parameters in one list, in the order torchless.lstm & co. take them (PyTorch's attribute)."""
        return [getattr(self, name) for name in self._flat_weights_names]

    def _layer_weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        weight = lambda kind: getattr(self, kind + suffix, None)  # noqa: E731
        return weight("weight_ih"), weight("weight_hh"), weight("bias_ih"), weight("bias_hh"), weight("weight_hr")

    # --- argument checks (PyTorch's texts) ---

    def _input_rank_error(self, input):
        unit = "D tensor" if self.mode.startswith("RNN") else "D"
        return ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}{unit} instead")

    # (PyTorch's public methods, which its forward calls and subclasses override: ``batch_sizes`` is a packed
    # sequence's, None for a padded (L, N, H_in) or (N, L, H_in) input)

    def check_input(self, input, batch_sizes):
        weight = getattr(self, self._flat_weights_names[0])
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). Convert "
                             f"input: input.to({weight.dtype}), or convert model: model.to({input.dtype})")
        rank = 2 if batch_sizes is not None else 3
        if input.dim() != rank:
            raise RuntimeError(f"input must have {rank} dimensions, got {input.dim()}")
        if input.size(-1) != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def _expected_state_size(self, input, batch_sizes, size):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        return (self.num_layers * self._num_directions, mini_batch, size)

    def get_expected_hidden_size(self, input, batch_sizes):
        return self._expected_state_size(input, batch_sizes, self._output_hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        return _batch_permuted(hx, permutation)

    def _check_packed_args(self, rows, hidden, batch_sizes):
        self.check_forward_args(rows, hidden, batch_sizes)
        self._check_native_arguments(rows, batch_sizes, hidden)

    def _check_native_arguments(self, *leading):
        """PyTorch's forward passes its attributes on to the native recurrence, whose parser checks their types:
        ``bidirectional=1``, ``num_layers=True`` or ``training = 1`` fail there, with the parser's message for
        the call (``leading``: the input and hx, or a packed batch's data, batch_sizes and hx). The usual call
        costs three type checks."""
        if type(self.bidirectional) is bool and type(self.num_layers) is int and type(self.training) is bool:
            return
        from ... import _parser_errors

        name = _NATIVE_NAMES[self.mode]
        flags = (self._flat_weights, self.bias, self.num_layers, self.dropout, self.training, self.bidirectional)
        batch_first = () if len(leading) == 3 else (self.batch_first,)
        _parser_errors.parse(name, native_overloads(name), leading + flags + batch_first)

    def flatten_parameters(self):
        """Nothing to do: PyTorch compacts the weights into one buffer for cuDNN, which torchless does not use."""

    # --- the hidden state in the module's form (h, or LSTM's (h, c)) and as the tuple of states unrolled ---

    def _zero_hidden(self, input, batch_sizes):
        return _creation.zeros(self.get_expected_hidden_size(input, batch_sizes), dtype=input.dtype)

    @staticmethod
    def _states(hidden):
        return (hidden,)

    @staticmethod
    def _hidden(states):
        return states[0]

    # --- unrolling, on the rows of a packed sequence ---

    def _unroll(self, steps, batch_sizes, initial_states, packed):
        """Runs every layer over ``steps``: a padded batch (L, N, H_in), time-major, or the rows (T, H_in) of a
        packed one (``packed``), step t being the first ``batch_sizes[t]`` sequences (sorted by decreasing
        length). Initial states each (num_layers * D, N, ·). Returns the output, (L, N, D * H_out) or rows
        (T, D * H_out), and the final states, each stacked to (num_layers * D, N, ·)."""
        layer_input, finals = steps, []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                layer_input = _dropout(layer_input, self.dropout, self.training)
            direction_outputs = []
            for direction in range(self._num_directions):
                index = layer * self._num_directions + direction
                state = tuple(states[index] for states in initial_states)
                output, state = self._run_direction(layer_input, batch_sizes, state, packed,
                                                    self._layer_weights(layer, direction), reverse=direction == 1)
                direction_outputs.append(output)
                finals.append(state)
            layer_input = cat(direction_outputs, -1) if len(direction_outputs) > 1 else direction_outputs[0]
        return layer_input, tuple(stack([state[k] for state in finals]) for k in range(len(initial_states)))

    def _run_direction(self, layer_input, batch_sizes, initial, packed, weights, reverse):
        """Runs one layer in one direction over ``layer_input`` (as :meth:`_unroll` takes it); returns its output,
        (L, N, H_out) or rows (T, H_out), and the final state of every sequence (a tuple: (h,) or (h, c), each
        (N, ·))."""
        weight_ih, weight_hh, bias_ih, bias_hh, weight_hr = weights
        projected = linear(layer_input, weight_ih, bias_ih)  # one product projects every step's input
        steps = projected.split(batch_sizes) if packed else projected.unbind(0)

        def step(input_gates, state):
            return self._step(input_gates, state, weight_hh, bias_hh, weight_hr)

        run = _backward_in_time if reverse else _forward_in_time
        outputs, final = run(step, steps, batch_sizes, initial)
        # (the steps' outputs joined as PyTorch's kernels join them: their graphs end in the same node)
        return cat(outputs) if packed else stack(outputs), final

    def _unroll_padded(self, input, initial_states):
        """``input`` (L, N, H_in), time-major: returns output (L, N, D * H_out) and the final states."""
        length, batch = input.shape[0], input.shape[1]
        if length == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        return self._unroll(input, [batch] * length, initial_states, packed=False)

    def _forward_packed(self, packed, hx):
        """The forward of a PackedSequence: ``hx`` the initial hidden state in the batch's original order, or
        None. Returns the output PackedSequence and the final hidden state, in the original order."""
        rows, batch_sizes, sorted_indices, unsorted_indices = packed
        hx = self._zero_hidden(rows, batch_sizes) if hx is None else self.permute_hidden(hx, sorted_indices)
        self._check_packed_args(rows, hx, batch_sizes)
        output, finals = self._unroll(rows, [int(n) for n in batch_sizes.tolist()], self._states(hx), packed=True)
        output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        return output, self.permute_hidden(self._hidden(finals), unsorted_indices)

    def _batched_input(self, input):
        """Returns the input as (L, N, H_in) and whether it was batched. Its dtype and size are checked by the
        caller after the rank of hx, in PyTorch's order."""
        if input.dim() not in (2, 3):
            raise self._input_rank_error(input)
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        return input, batched

    def _time_major(self, input):
        return input.transpose(0, 1) if self.batch_first else input

    def _batch_major_output(self, output, batched):
        if self.batch_first:
            output = output.transpose_(0, 1) if self._transposes_output_in_place else output.transpose(0, 1)
        return output if batched else output.squeeze(0 if self.batch_first else 1)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class _SingleStateRNN(RNNBase):
    """Forward shared by RNN and GRU, whose state is one tensor h."""

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        input, batched = self._batched_input(input)
        if hx is not None:
            if batched and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            if not batched:
                if hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        if hx is None:
            hx = self._zero_hidden(input, None)
        self.check_forward_args(input, hx, None)
        self._check_native_arguments(input, hx)
        output, (h_n,) = self._unroll_padded(self._time_major(input), (hx,))
        return self._batch_major_output(output, batched), h_n if batched else h_n.squeeze(1)


@owns("forward")
class RNN(_SingleStateRNN):
    """Multi-layer Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    Args:
        input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
        dropout=0.0 (applied to each layer's output but the last, in training), bidirectional=False

    Shape:
        - input: (L, N, H_in), (N, L, H_in) if batch_first, or unbatched (L, H_in); or a
          :class:`~torchless.nn.utils.rnn.PackedSequence` of N sequences of their own lengths
        - h_0: (D * num_layers, N, H) or unbatched (D * num_layers, H); zeros if omitted
        - output: (L, N, D * H) (batch_first: (N, L, D * H)); h_n: like h_0. For a packed input, output is
          packed like it and h_n holds each sequence's state after its own last step (the reverse direction's:
          after step 0), in the batch's original order.

    Examples::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, h_n = rnn(torch.randn(5, 3, 10))
        >>> output.shape, h_n.shape
        (torchless.Size([5, 3, 20]), torchless.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        # (RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
        # dropout=0.0, bidirectional=False, device=None, dtype=None): the rest goes to RNNBase, as in PyTorch,
        # whose messages name it)
        _reject_projection(kwargs)
        if len(args) > 3:
            nonlinearity, args = args[3], args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in _NONLINEARITY_MODES:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(_NONLINEARITY_MODES[nonlinearity], *args, **kwargs)
        self.nonlinearity = nonlinearity

    def _step(self, input_gates, state, weight_hh, bias_hh, weight_hr):
        step = rnn_tanh_step if self.mode == "RNN_TANH" else rnn_relu_step
        return (step(input_gates, state[0], weight_hh, bias_hh),)


@owns("forward")
class GRU(_SingleStateRNN):
    r"""Multi-layer gated recurrent unit, gates r, z, n:

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.

    Args and shapes: as :class:`RNN` without ``nonlinearity``.
    """

    def __init__(self, *args, **kwargs):
        # (GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        # bidirectional=False, device=None, dtype=None), read by RNNBase as in PyTorch)
        _reject_projection(kwargs)
        super().__init__("GRU", *args, **kwargs)

    def _step(self, input_gates, state, weight_hh, bias_hh, weight_hr):
        return (gru_step(input_gates, state[0], weight_hh, bias_hh),)


class LSTM(RNNBase):
    """Multi-layer long short-term memory, gates i, f, g, o:

    c' = f * c + i * g, h' = o * tanh(c') (then h' W_hr^T if proj_size > 0).

    Args:
        input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False,
        proj_size=0 (if > 0, h is projected to this size)

    Shape:
        - input: (L, N, H_in), (N, L, H_in) if batch_first, or unbatched (L, H_in); or a
          :class:`~torchless.nn.utils.rnn.PackedSequence` of N sequences of their own lengths
        - h_0: (D * num_layers, N, H_out) and c_0: (D * num_layers, N, H), H_out = proj_size or H;
          unbatched without N; zeros if omitted
        - output: (L, N, D * H_out) (batch_first: (N, L, D * H_out)); (h_n, c_n): like (h_0, c_0). For a
          packed input, output is packed like it and (h_n, c_n) are as for :class:`RNN`.

    Examples::

        >>> lstm = nn.LSTM(10, 20, 2, batch_first=True)
        >>> output, (h_n, c_n) = lstm(torch.randn(3, 5, 10))
        >>> output.shape, h_n.shape, c_n.shape
        (torchless.Size([3, 5, 20]), torchless.Size([2, 3, 20]), torchless.Size([2, 3, 20]))
    """

    _transposes_output_in_place = False

    def __init__(self, *args, **kwargs):
        # (LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        # bidirectional=False, proj_size=0, device=None, dtype=None), read by RNNBase as in PyTorch)
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        return self._expected_state_size(input, batch_sizes, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def _check_packed_args(self, rows, hidden, batch_sizes):
        # PyTorch's LSTM leaves a packed batch's checks to its kernel (a subclass's check_forward_args is not
        # called). Its first errors are these, in its order: the pair, the projection it infers from the states'
        # sizes (then the number of weights it expects), the number of states per layer and direction. Past
        # them, its errors are its ops' (a broadcast, a product) where LSTM's own checks say what is wrong.
        self._check_native_arguments(rows, batch_sizes, hidden)
        _check_two_states(hidden)
        h, c = hidden
        if (h.size(2) != c.size(2)) != (self.proj_size > 0):
            raise RuntimeError("got an incorrect number of RNN parameters")
        if self.bidirectional and h.size(0) % 2:
            raise RuntimeError("Odd number of params or hiddens given to a bidirectional RNN")
        if h.size(0) != self.num_layers * self._num_directions:
            raise RuntimeError("Expected more hidden states in stacked_rnn")
        LSTM.check_forward_args(self, rows, hidden, batch_sizes)

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _batch_permuted(hx[0], permutation), _batch_permuted(hx[1], permutation)

    def _zero_hidden(self, input, batch_sizes):
        return (super()._zero_hidden(input, batch_sizes),
                _creation.zeros(self.get_expected_cell_size(input, batch_sizes), dtype=input.dtype))

    @staticmethod
    def _states(hidden):
        _check_two_states(hidden)  # (the kernel's check, on the pair it is given as is)
        return hidden[0], hidden[1]

    @staticmethod
    def _hidden(states):
        return states

    def _step(self, input_gates, state, weight_hh, bias_hh, weight_hr):
        return lstm_step(input_gates, state[0], state[1], weight_hh, bias_hh, weight_hr)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        input, batched = self._batched_input(input)
        if hx is None:
            hx = self._zero_hidden(input, None)
        else:
            rank = 3 if batched else 2
            if hx[0].dim() != rank or hx[1].dim() != rank:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx and cx should also be {rank}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            if not batched:  # (rebuilt as a pair: a third state is dropped)
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx, None)
        self._check_native_arguments(input, hx)
        output, (h_n, c_n) = self._unroll_padded(self._time_major(input), self._states(hx))
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._batch_major_output(output, batched), (h_n, c_n)


def _check_cell_states(hx):
    """The kernel's checks on the (h_0, c_0) a batched LSTMCell passes on as given: its parser wants a sequence
    (not one tensor), then exactly two states."""
    if isinstance(hx, Tensor):
        raise TypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, not Tensor")
    if len(hx) != 2:
        raise RuntimeError("lstm_cell expects two hidden states")


def _check_two_states(hx):
    """PyTorch's kernel check on the (h_0, c_0) it is given as is: a third state is refused, not ignored."""
    if len(hx) != 2:
        raise RuntimeError("lstm expects two hidden states")


# The docstring entries the RNN cells share, as they stand in them (stripped: filled in at their indentation)
_CELL_DOCS = {
    "cell_args": """
        input_size (int): the number of features H_in of the input x
        hidden_size (int): the number of features H of the hidden state h
        bias (bool, optional): learn the biases b_ih and b_hh. Default: ``True``
    """.strip(),
    "single_state_shape": """
        - Input: (N, H_in) or (H_in)
        - Hidden: (N, H) or (H), the initial hidden state; zeros if omitted
        - Output: h', of the hidden state's shape
    """.strip(),
}


class RNNCellBase(Module):
    """Shared parameters and checks of the cells: ``weight_ih`` (G*H, H_in), ``weight_hh`` (G*H, H),
    ``bias_ih`` and ``bias_hh`` (G*H), all ~ U(-1/sqrt(H), 1/sqrt(H))."""
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        factory_kwargs = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(_creation.empty((num_chunks * hidden_size, input_size), **factory_kwargs))
        self.weight_hh = Parameter(_creation.empty((num_chunks * hidden_size, hidden_size), **factory_kwargs))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, **factory_kwargs))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, **factory_kwargs))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _uniform_init(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _check_rank(self, tensor, label):
        if tensor.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected {label} to be 1D or 2D, got {tensor.dim()}D instead")

    def _check_input(self, input):
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}")

    def _check_hidden(self, input, hx, index):
        if input.size(0) != hx.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{index} batch size "
                               f"{hx.size(0)}")
        if hx.size(1) != self.hidden_size:
            raise RuntimeError(f"hidden{index} has inconsistent hidden_size: got {hx.size(1)}, expected "
                               f"{self.hidden_size}")

    def _zeros_state(self, input):
        return _creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype)


class _SingleStateCell(RNNCellBase):
    """Forward shared by RNNCell and GRUCell: input (N, H_in) or (H_in), hx (N, H) or (H) -> h' like hx."""

    def forward(self, input, hx=None):
        self._check_rank(input, "input")
        if hx is not None:
            self._check_rank(hx, "hidden")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        hx = self._zeros_state(input) if hx is None else (hx if batched else hx.unsqueeze(0))
        self._check_input(input)
        self._check_hidden(input, hx, 0)
        h_next = self._step(linear(input, self.weight_ih, self.bias_ih), hx)
        return h_next if batched else h_next.squeeze(0)


@owns("forward")
class RNNCell(_SingleStateCell):
    __doc__ = """An Elman RNN cell: one step of :class:`RNN`.

    h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), or with ReLU in place of tanh.

    Args:
        {cell_args}
        nonlinearity (str, optional): ``'tanh'`` or ``'relu'``. Default: ``'tanh'``
        device, dtype (optional): where and of which floating dtype the parameters are created. Default: ``None``

    Shape:
        {single_state_shape}

    Attributes:
        weight_ih (Tensor): the learnable input-hidden weights, of shape (hidden_size, input_size)
        weight_hh (Tensor): the learnable hidden-hidden weights, of shape (hidden_size, hidden_size)
        bias_ih, bias_hh (Tensor): the learnable biases, of shape (hidden_size)

        All are initialised from U(-sqrt(k), sqrt(k)), k = 1 / hidden_size.

    Examples::

        >>> cell = nn.RNNCell(10, 20)
        >>> cell(torch.randn(3, 10)).shape
        torchless.Size([3, 20])
    """.format(**_CELL_DOCS)
    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _step(self, input_gates, hx):
        if self.nonlinearity == "tanh":
            return rnn_tanh_step(input_gates, hx, self.weight_hh, self.bias_hh)
        if self.nonlinearity == "relu":
            return rnn_relu_step(input_gates, hx, self.weight_hh, self.bias_hh)
        raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")


@owns("forward")
class GRUCell(_SingleStateCell):
    __doc__ = """A gated recurrent unit cell: one step of :class:`GRU`.

    With gates r (reset), z (update) and the candidate n:
    r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr), z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz),
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)), h' = (1 - z) * n + z * h.

    Args:
        {cell_args}
        device, dtype (optional): where and of which floating dtype the parameters are created. Default: ``None``

    Shape:
        {single_state_shape}

    Attributes:
        weight_ih (Tensor): the learnable input-hidden weights, of shape (3 * hidden_size, input_size)
        weight_hh (Tensor): the learnable hidden-hidden weights, of shape (3 * hidden_size, hidden_size)
        bias_ih, bias_hh (Tensor): the learnable biases, of shape (3 * hidden_size)

        All are initialised from U(-sqrt(k), sqrt(k)), k = 1 / hidden_size. The gates' blocks are stacked in the
        order r, z, n.

    Examples::

        >>> cell = nn.GRUCell(10, 20)
        >>> cell(torch.randn(3, 10), torch.zeros(3, 20)).shape
        torchless.Size([3, 20])
    """.format(**_CELL_DOCS)

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def _step(self, input_gates, hx):
        return gru_step(input_gates, hx, self.weight_hh, self.bias_hh)


class LSTMCell(RNNCellBase):
    __doc__ = """A long short-term memory cell: one step of :class:`LSTM`.

    With input, forget, cell and output gates i, f, g, o:
    i = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi), f = sigmoid(x W_if^T + b_if + h W_hf^T + b_hf),
    g = tanh(x W_ig^T + b_ig + h W_hg^T + b_hg), o = sigmoid(x W_io^T + b_io + h W_ho^T + b_ho),
    c' = f * c + i * g, h' = o * tanh(c').

    Args:
        {cell_args}
        device, dtype (optional): where and of which floating dtype the parameters are created. Default: ``None``

    Shape:
        - Input: (N, H_in) or (H_in)
        - hx: a pair (h, c), each (N, H) or (H); zeros if omitted
        - Output: the pair (h', c'), each of the shape of h

    Attributes:
        weight_ih (Tensor): the learnable input-hidden weights, of shape (4 * hidden_size, input_size)
        weight_hh (Tensor): the learnable hidden-hidden weights, of shape (4 * hidden_size, hidden_size)
        bias_ih, bias_hh (Tensor): the learnable biases, of shape (4 * hidden_size)

        All are initialised from U(-sqrt(k), sqrt(k)), k = 1 / hidden_size. The gates' blocks are stacked in the
        order i, f, g, o.

    Examples::

        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(torch.randn(3, 10))
        >>> h.shape, c.shape
        (torchless.Size([3, 20]), torchless.Size([3, 20]))
    """.format(**_CELL_DOCS)

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        self._check_rank(input, "input")
        if hx is not None:
            for index, value in enumerate(hx):
                self._check_rank(value, f"hx[{index}]")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = (self._zeros_state(input), self._zeros_state(input))
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        else:
            _check_cell_states(hx)
        self._check_input(input)
        self._check_hidden(input, hx[0], 0)
        self._check_hidden(input, hx[1], 1)
        h_next, c_next = lstm_step(linear(input, self.weight_ih, self.bias_ih), hx[0], hx[1], self.weight_hh,
                                   self.bias_hh)
        return (h_next, c_next) if batched else (h_next.squeeze(0), c_next.squeeze(0))
