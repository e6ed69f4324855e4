"""Packed sequences (``torchless.nn.utils.rnn``) and the recurrent layers run on them: against PyTorch
(values, gradients, errors), against the same layer run on each sequence alone, against central
differences; and the cost of the recurrent layers' backward, which must grow linearly with the length."""
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
from helpers import assert_same_error, finite_difference_check, state_dict_from_torch, tensor
from torchless.autograd.graph import Node
from torchless.nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence,
                                    pad_sequence, unpack_sequence, unpad_sequence)

LAYERS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}), ("LSTM", {"proj_size": 3})]
# (num_layers, bidirectional, batch_first, enforce_sorted, with_initial_state, dtype)
CONFIGS = [
    (1, False, False, True, False, "float64"),
    (1, False, True, False, True, "float64"),
    (2, True, False, False, True, "float64"),
    (2, True, True, True, False, "float64"),
    (1, True, False, False, True, "float32"),
]
TOLERANCES = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-10, atol=1e-12)}
INPUT_SIZE, HIDDEN_SIZE = 4, 5


def _twins(torch, name, *args, dtype="float64", **kwargs):
    """The same layer in both libraries, torch's parameters copied into torchless's."""
    torch.manual_seed(0)
    expected = getattr(torch.nn, name)(*args, dtype=getattr(torch, dtype), **kwargs)
    actual = getattr(nn, name)(*args, dtype=getattr(torchless, dtype), **kwargs)
    actual.load_state_dict(state_dict_from_torch(expected))
    return actual, expected


def _states(result):
    """A layer's final states as a list: [h_n] or [h_n, c_n]."""
    state = result[1]
    return list(state) if isinstance(state, tuple) else [state]


def _initial_state_shapes(name, kwargs, num_layers, bidirectional, batch_size):
    leading = (num_layers * (2 if bidirectional else 1), batch_size)
    h_size = kwargs.get("proj_size", 0) or HIDDEN_SIZE
    return [leading + (h_size,), leading + (HIDDEN_SIZE,)] if name == "LSTM" else [leading + (h_size,)]


# ---------------------------------------------------------------------------- layers on packed input
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("name, kwargs", LAYERS)
def test_layer_on_packed_input_matches_torch(name, kwargs, config):
    torch = pytest.importorskip("torch")
    num_layers, bidirectional, batch_first, enforce_sorted, with_state, dtype = config
    actual_layer, expected_layer = _twins(torch, name, INPUT_SIZE, HIDDEN_SIZE, num_layers, dtype=dtype,
                                          batch_first=batch_first, bidirectional=bidirectional, **kwargs)
    lengths = [6, 4, 4, 1] if enforce_sorted else [3, 6, 1, 4]
    rng = np.random.default_rng(1)
    x_shape = (len(lengths), 6, INPUT_SIZE) if batch_first else (6, len(lengths), INPUT_SIZE)
    arrays = [rng.standard_normal(x_shape).astype(dtype)]
    if with_state:
        arrays += [rng.standard_normal(shape).astype(dtype) for shape in
                   _initial_state_shapes(name, kwargs, num_layers, bidirectional, len(lengths))]

    def run(lib, layer, inputs):
        packed = lib.nn.utils.rnn.pack_padded_sequence(inputs[0], lengths, batch_first=batch_first,
                                                       enforce_sorted=enforce_sorted)
        if not with_state:
            result = layer(packed)
        else:
            result = layer(packed, tuple(inputs[1:]) if name == "LSTM" else inputs[1])
        assert isinstance(result[0], lib.nn.utils.rnn.PackedSequence)
        padded, out_lengths = lib.nn.utils.rnn.pad_packed_sequence(result[0], batch_first=batch_first)
        assert out_lengths.tolist() == lengths
        return [result[0].data, padded, *_states(result)], result[0]

    actual_inputs = [tensor(a, requires_grad=True) for a in arrays]
    expected_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    actual, actual_packed = run(torchless, actual_layer, actual_inputs)
    expected, expected_packed = run(torch, expected_layer, expected_inputs)
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        ours, theirs = getattr(actual_packed, field), getattr(expected_packed, field)
        assert (ours is None and theirs is None) or ours.tolist() == theirs.tolist(), field
    tol = TOLERANCES[dtype]
    for a, e in zip(actual, expected):
        assert tuple(a.shape) == tuple(e.shape) and a.dtype.name == str(e.dtype).replace("torch.", "")
        np.testing.assert_allclose(a.detach().numpy(), e.detach().numpy(), **tol)

    # the padded output and the final states carry the gradient (the data is the same values, once)
    weights = [rng.standard_normal(tuple(e.shape)).astype(dtype) for e in expected[1:]]
    sum((a * tensor(w)).sum() for a, w in zip(actual[1:], weights)).backward()
    sum((e * torch.tensor(w)).sum() for e, w in zip(expected[1:], weights)).backward()
    for a, e in zip(actual_inputs, expected_inputs):
        np.testing.assert_allclose(a.grad.numpy(), e.grad.numpy(), **tol)
    expected_parameters = dict(expected_layer.named_parameters())
    for key, parameter in actual_layer.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), expected_parameters[key].grad.numpy(), **tol, err_msg=key)


@pytest.mark.parametrize("name, kwargs", LAYERS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_batch_equals_each_sequence_run_alone(name, kwargs, bidirectional):
    """A sequence's outputs and final state do not depend on the other sequences packed with it, nor on its
    place in the batch: the same layer on that sequence alone (a batch of one) gives the same values."""
    torchless.manual_seed(3)
    layer = getattr(nn, name)(INPUT_SIZE, HIDDEN_SIZE, num_layers=2, bidirectional=bidirectional,
                              dtype=torchless.float64, **kwargs)
    rng = np.random.default_rng(3)
    sequences = [rng.standard_normal((n, INPUT_SIZE)) for n in (2, 5, 1, 5, 3)]
    output, state = layer(pack_sequence([tensor(s) for s in sequences], enforce_sorted=False))
    states = list(state) if isinstance(state, tuple) else [state]
    for index, (sequence, unpacked) in enumerate(zip(sequences, unpack_sequence(output))):
        alone_output, alone_state = layer(tensor(sequence[:, None]))
        alone_states = list(alone_state) if isinstance(alone_state, tuple) else [alone_state]
        np.testing.assert_allclose(unpacked.detach().numpy(), alone_output.detach().numpy()[:, 0], rtol=1e-12,
                                   atol=1e-14)
        for batched, single in zip(states, alone_states):
            np.testing.assert_allclose(batched.detach().numpy()[:, index], single.detach().numpy()[:, 0],
                                       rtol=1e-12, atol=1e-14)


def test_packed_lstm_gradients_finite_differences():
    torchless.manual_seed(8)
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2, dtype=torchless.float64)
    names = [name for name, _ in layer.named_parameters()]
    lengths = [2, 4, 1]
    rng = np.random.default_rng(8)
    arrays = [rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 3))]
    arrays += [p.detach().numpy() for p in layer.parameters()]

    def run(x, h0, c0, *parameters):
        layer_copy = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2, dtype=torchless.float64)
        for name, parameter in zip(names, parameters):
            # plain tensors in place of the Parameters, so gradients flow to the checked inputs
            del layer_copy._parameters[name]
            setattr(layer_copy, name, parameter)
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        output, (h_n, c_n) = layer_copy(packed, (h0, c0))
        padded, _ = pad_packed_sequence(output, padding_value=0.5)
        return torchless.cat([padded.reshape(-1), h_n.reshape(-1), c_n.reshape(-1)])

    finite_difference_check(run, arrays)


# ---------------------------------------------------------------------------- backward cost
def _graph_nodes(root):
    nodes, pending = {}, [root]
    while pending:
        node = pending.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            pending.extend(edge for edge in node.edges if isinstance(edge, Node))
    return list(nodes.values())


def _backward_gradient_bytes(name, length, packed):
    """Bytes of the gradients every node of the graph hands on during one backward of a layer's output.

    Each of those gradients is an array the engine adds up or passes along, so their total is the work of the
    backward: linear in ``length`` when every step costs the same.
    """
    torchless.manual_seed(0)
    layer = getattr(nn, name)(3, 4, bidirectional=True)
    x = torchless.randn(length, 2, 3, requires_grad=True)
    if packed:
        output, _ = layer(pack_padded_sequence(x, [length, length // 2]))
        output = output.data
    else:
        output, _ = layer(x)
    loss = output.sum()
    handed_on = []
    for node in _graph_nodes(loss.grad_fn):
        def counted(grad, backward=node.backward):
            gradients = backward(grad)
            handed_on.extend(g.nbytes for g in gradients if g is not None)
            return gradients
        node.backward = counted
    loss.backward()
    return sum(handed_on)


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_backward_cost_grows_linearly_with_length(name, packed):
    short, long = _backward_gradient_bytes(name, 24, packed), _backward_gradient_bytes(name, 192, packed)
    # 8 times the steps, at most 8 times the bytes (a fixed part only lowers the ratio); a backward that gave
    # each step a gradient the size of the whole sequence would be near 64 times.
    assert short > 0 and long <= 8 * short


def test_split_pieces_backward_writes_each_piece_once():
    x = torchless.randn(6, 2, requires_grad=True)
    pieces = (x * 1).split([1, 2, 0, 3])  # as the recurrent layers cut their projected input into steps
    assert [tuple(p.shape) for p in pieces] == [(1, 2), (2, 2), (0, 2), (3, 2)]
    np.testing.assert_array_equal(torchless.cat(pieces).detach().numpy(), x.detach().numpy())
    weights = np.arange(12.0, dtype=np.float32).reshape(6, 2)
    (pieces[0] * tensor(weights[:1])).sum().backward(retain_graph=True)
    (pieces[3] * tensor(weights[3:])).sum().backward()  # a second backward through the same pieces
    expected = weights.copy()
    expected[1:3] = 0  # pieces 1 and 2 are unused
    np.testing.assert_array_equal(x.grad.numpy(), expected)


# ---------------------------------------------------------------------------- packing and padding
def _both(torch, arrays, requires_grad=False):
    return ([tensor(a, requires_grad=requires_grad) for a in arrays],
            [torch.tensor(a, requires_grad=requires_grad) for a in arrays])


def _assert_same_tensor(actual, expected, **tol):
    assert tuple(actual.shape) == tuple(expected.shape)
    assert actual.dtype.name == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), **tol)


def _assert_same_packed(actual, expected):
    assert isinstance(actual, PackedSequence)
    _assert_same_tensor(actual.data, expected.data)
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        ours, theirs = getattr(actual, field), getattr(expected, field)
        assert (ours is None) == (theirs is None), field
        if ours is not None:
            _assert_same_tensor(ours, theirs)


PACK_CASES = [  # (shape of the padded input, lengths, batch_first, enforce_sorted)
    ((5, 3, 2), [5, 3, 1], False, True),
    ((3, 5, 2), [5, 3, 1], True, True),
    ((5, 4), [2, 5, 1, 5], False, False),  # no trailing dims; ties in the lengths keep their order
    ((4, 5, 2, 3), [1, 4, 2, 3], True, False),
    ((5, 3, 2), [4, 2, 1], False, True),  # shorter than the input: padding steps left out
]


@pytest.mark.parametrize("shape, lengths, batch_first, enforce_sorted", PACK_CASES)
@pytest.mark.parametrize("lengths_as_tensor", [False, True])
def test_pack_and_pad_match_torch_with_gradients(shape, lengths, batch_first, enforce_sorted, lengths_as_tensor):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    (x,), (tx,) = _both(torch, [rng.standard_normal(shape)], requires_grad=True)
    ours_lengths = tensor(np.array(lengths)) if lengths_as_tensor else lengths
    theirs_lengths = torch.tensor(lengths) if lengths_as_tensor else lengths
    actual = pack_padded_sequence(x, ours_lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    expected = torch.nn.utils.rnn.pack_padded_sequence(tx, theirs_lengths, batch_first=batch_first,
                                                       enforce_sorted=enforce_sorted)
    _assert_same_packed(actual, expected)
    assert actual.data.grad_fn.name() == expected.data.grad_fn.name()
    for total_length in (None, 7):
        padded, out_lengths = pad_packed_sequence(actual, batch_first=batch_first, padding_value=-2.0,
                                                  total_length=total_length)
        expected_padded, expected_lengths = torch.nn.utils.rnn.pad_packed_sequence(
            expected, batch_first=batch_first, padding_value=-2.0, total_length=total_length)
        _assert_same_tensor(padded, expected_padded)
        _assert_same_tensor(out_lengths, expected_lengths)
    weights = rng.standard_normal(tuple(expected_padded.shape))
    (padded * tensor(weights)).sum().backward()
    (expected_padded * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_pad_after_pack_restores_the_valid_steps():
    """Without PyTorch: padding a packed batch gives back each sequence's steps, then padding_value."""
    rng = np.random.default_rng(5)
    x, lengths = rng.standard_normal((3, 6, 2)), [4, 6, 1]
    packed = pack_padded_sequence(tensor(x), lengths, batch_first=True, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 2, 2, 1, 1] and packed.data.shape == (sum(lengths), 2)
    padded, out_lengths = pad_packed_sequence(packed, batch_first=True, padding_value=9.0)
    assert out_lengths.tolist() == lengths
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(padded.numpy()[b, :n], x[b, :n])
        assert (padded.numpy()[b, n:] == 9.0).all()


PAD_SEQUENCE_CASES = [  # (shapes, dtypes, keyword arguments)
    ([(3, 2), (1, 2), (4, 2)], ["float32"] * 3, {}),
    ([(3, 2), (1, 2), (4, 2)], ["float32"] * 3, {"batch_first": True, "padding_value": 1.5}),
    ([(3,), (5,), (0,)], ["float64"] * 3, {"padding_side": "left"}),
    ([(2, 2, 3), (4, 2, 3)], ["float32"] * 2, {"batch_first": True, "padding_side": "left"}),
    ([(3, 2), (2, 1), (2,)], ["float32"] * 3, {}),  # later sequences broadcast to the first's trailing dims
    ([(3,), (2,)], ["int64", "float32"], {"padding_value": -1.7}),  # the first's dtype; the value truncated
    ([(3,), (2,)], ["float64", "int64"], {}),
]


@pytest.mark.parametrize("shapes, dtypes, kwargs", PAD_SEQUENCE_CASES)
def test_pad_sequence_matches_torch_with_gradients(shapes, dtypes, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    arrays = [(rng.standard_normal(s) * 10).astype(d) for s, d in zip(shapes, dtypes)]
    ours = [tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    actual, expected = pad_sequence(ours, **kwargs), torch.nn.utils.rnn.pad_sequence(theirs, **kwargs)
    _assert_same_tensor(actual, expected)
    if expected.requires_grad:
        weights = rng.standard_normal(tuple(expected.shape))
        (actual * tensor(weights).to(actual.dtype)).sum().backward()
        (expected * torch.tensor(weights).to(expected.dtype)).sum().backward()
        for a, e in zip(ours, theirs):
            if e.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), e.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_round_trip_like_torch(enforce_sorted):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    ours, theirs = _both(torch, [rng.standard_normal((n, 2)) for n in lengths], requires_grad=True)
    actual, expected = pack_sequence(ours, enforce_sorted), torch.nn.utils.rnn.pack_sequence(theirs, enforce_sorted)
    _assert_same_packed(actual, expected)
    unpacked, expected_unpacked = unpack_sequence(actual), torch.nn.utils.rnn.unpack_sequence(expected)
    assert len(unpacked) == len(expected_unpacked)
    for a, e, original in zip(unpacked, expected_unpacked, ours):
        _assert_same_tensor(a, e)
        np.testing.assert_array_equal(a.detach().numpy(), original.detach().numpy())
    weights = [rng.standard_normal(tuple(e.shape)) for e in expected_unpacked]
    sum((a * tensor(w)).sum() for a, w in zip(unpacked, weights)).backward()
    sum((e * torch.tensor(w)).sum() for e, w in zip(expected_unpacked, weights)).backward()
    for a, e in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), e.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_matches_torch(batch_first):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    padded = rng.standard_normal((3, 5, 2) if batch_first else (5, 3, 2))
    lengths = [5, 0, 2]
    (ours,), (theirs,) = _both(torch, [padded])
    actual = unpad_sequence(ours, tensor(np.array(lengths)), batch_first=batch_first)
    expected = torch.nn.utils.rnn.unpad_sequence(theirs, torch.tensor(lengths), batch_first=batch_first)
    assert len(actual) == len(expected) == 3
    for a, e in zip(actual, expected):
        _assert_same_tensor(a, e)


def test_unpad_sequence_gradient_reaches_the_padded_batch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    (x,), (tx,) = _both(torch, [rng.standard_normal((3, 4, 2))], requires_grad=True)
    lengths = [4, 1, 3]
    actual = unpad_sequence(x * 2, tensor(np.array(lengths)), batch_first=True)
    expected = torch.nn.utils.rnn.unpad_sequence(tx * 2, torch.tensor(lengths), batch_first=True)
    weights = [rng.standard_normal(tuple(e.shape)) for e in expected]
    sum((a * tensor(w)).sum() for a, w in zip(actual, weights)).backward()
    sum((e * torch.tensor(w)).sum() for e, w in zip(expected, weights)).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------- PackedSequence
def test_packed_sequence_is_a_named_tuple_with_torchs_methods():
    torch = pytest.importorskip("torch")
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    ours = pack_padded_sequence(tensor(x), [4, 1, 2], enforce_sorted=False)
    theirs = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), [4, 1, 2], enforce_sorted=False)
    assert ours._fields == theirs._fields and len(ours) == len(theirs) == 4
    data, batch_sizes, sorted_indices, unsorted_indices = ours  # unpacks like a tuple
    assert data is ours.data and batch_sizes is ours.batch_sizes
    assert sorted_indices.tolist() == theirs.sorted_indices.tolist()
    assert unsorted_indices.tolist() == theirs.unsorted_indices.tolist()
    assert [type(v).__name__ for v in ours] == [type(v).__name__ for v in theirs]
    assert repr(ours).replace("torchless.", "") == repr(theirs).replace("torch.", "")
    assert ours.is_cuda is theirs.is_cuda is False and ours.is_pinned() is theirs.is_pinned() is False
    assert ours.to(torchless.float32) is ours and theirs.to(torch.float32) is theirs
    assert ours.to("cpu") is ours and ours.cpu() is ours and ours.float() is ours
    for method in ("double", "half", "long", "int", "short", "char", "byte"):
        converted, expected = getattr(ours, method)(), getattr(theirs, method)()
        assert type(converted) is PackedSequence, method
        _assert_same_packed(converted, expected)
    assert type(ours._replace(data=ours.data * 2)) is PackedSequence
    assert_same_error(lambda: theirs.cuda(), lambda: ours.cuda())
    assert_same_error(lambda: theirs.pin_memory(), lambda: ours.pin_memory())


def test_packed_sequence_constructors_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, torchless):
        rnn = lib.nn.utils.rnn
        by_fields = rnn.PackedSequence(lib.ones(3), lib.tensor([2, 1]), lib.tensor([1, 0]))
        assert by_fields.unsorted_indices.tolist() == [1, 0]  # the inverse of sorted_indices, when not given
        from_pair = rnn.PackedSequence((lib.ones(3), lib.tensor([2, 1])))
        assert from_pair.batch_sizes.tolist() == [2, 1] and from_pair.sorted_indices is None
        assert rnn.invert_permutation(lib.tensor([2, 0, 3, 1])).tolist() == [1, 3, 0, 2]
        assert rnn.invert_permutation(None) is None
    assert_same_error(lambda: torch.nn.utils.rnn.PackedSequence(torch.ones(3)),
                      lambda: PackedSequence(torchless.ones(3)))


def test_both_import_paths_work():
    import torchless.nn.utils.rnn as module

    assert torchless.nn.utils.rnn is module and nn.utils.rnn.pack_padded_sequence is pack_padded_sequence
    assert set(module.__all__) >= {"PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
                                   "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"}


# ---------------------------------------------------------------------------- errors
def _errors(lib):
    """Calls that PyTorch rejects, each built against the library ``lib`` (fresh tensors each time:
    PyTorch's unpad_sequence transposes its argument in place)."""
    rnn = lib.nn.utils.rnn
    x = lambda *shape: lib.ones(*shape) if shape else lib.ones(4, 3, 2)  # noqa: E731
    packed = lambda: rnn.pack_padded_sequence(x(), [3, 2, 1])  # noqa: E731
    return {
        "unsorted lengths": lambda: rnn.pack_padded_sequence(x(), [2, 3, 1]),
        "unsorted lengths tensor": lambda: rnn.pack_padded_sequence(x(), lib.tensor([2, 3, 1])),
        "zero length": lambda: rnn.pack_padded_sequence(x(), [3, 2, 0]),
        "zero length unsorted": lambda: rnn.pack_padded_sequence(x(), [0, 2, 3], enforce_sorted=False),
        "zero length in the middle": lambda: rnn.pack_padded_sequence(x(), [3, 0, 2]),
        "negative length": lambda: rnn.pack_padded_sequence(x(), lib.tensor([3, 2, -1])),
        "lengths count": lambda: rnn.pack_padded_sequence(x(), [3, 2]),
        "lengths count batch_first": lambda: rnn.pack_padded_sequence(x(), [3, 2, 1], batch_first=True),
        "lengths 2-D": lambda: rnn.pack_padded_sequence(x(), lib.tensor([[3, 2, 1]])),
        "lengths int": lambda: rnn.pack_padded_sequence(x(), 3),
        "input 1-D": lambda: rnn.pack_padded_sequence(x(4), [3]),
        "input 0-d": lambda: rnn.pack_padded_sequence(lib.tensor(1.0), [1]),
        "input 0-d batch_first": lambda: rnn.pack_padded_sequence(lib.tensor(1.0), [1], batch_first=True),
        "empty input": lambda: rnn.pack_padded_sequence(x(4, 0, 2), []),
        "total_length too small": lambda: rnn.pad_packed_sequence(packed(), total_length=2),
        "total_length float": lambda: rnn.pad_packed_sequence(packed(), total_length=6.0),
        "pad a tensor": lambda: rnn.pad_packed_sequence(x()),
        "pad_sequence empty": lambda: rnn.pad_sequence([]),
        "pad_sequence not iterable": lambda: rnn.pad_sequence(3),
        "pad_sequence trailing dims": lambda: rnn.pad_sequence([x(3, 2), x(2, 3)]),
        "pad_sequence rank": lambda: rnn.pad_sequence([x(3, 2, 2), x(2, 3)]),
        "pad_sequence broadcast shape": lambda: rnn.pad_sequence([x(3, 1), x(2, 2)]),
        "pad_sequence padding_side": lambda: rnn.pad_sequence([x(3, 2)], padding_side="middle"),
        "pad_sequence 0-d": lambda: rnn.pad_sequence([lib.tensor(1.0), lib.tensor(2.0)]),
        "pad_sequence 0-d second": lambda: rnn.pad_sequence([x(3), lib.tensor(2.0)]),
        "pad_sequence list items": lambda: rnn.pad_sequence([[1, 2], [3]]),
        "pad_sequence padding_value None": lambda: rnn.pad_sequence([x(2), x(1)], padding_value=None),
        "pad_sequence padding_side int": lambda: rnn.pad_sequence([x(2), x(1)], padding_side=1),
        "pad_sequence batch_first int": lambda: rnn.pad_sequence([x(2), x(1)], batch_first=1),
        "pack_sequence empty": lambda: rnn.pack_sequence([]),
        "pack_sequence unsorted": lambda: rnn.pack_sequence([x(2), x(3)]),
        "unpad lengths list": lambda: rnn.unpad_sequence(x(), [3, 2, 1]),
        "unpad lengths count": lambda: rnn.unpad_sequence(x(), lib.tensor([3, 2])),
        "unpad leaf requiring grad": lambda: rnn.unpad_sequence(lib.ones(4, 3, 2, requires_grad=True),
                                                                lib.tensor([3, 2, 1])),
        "packed data rank": lambda: lib.nn.RNN(2, 3)(rnn.pack_padded_sequence(x(4, 3, 2, 2), [3, 2, 1])),
        "packed input size": lambda: lib.nn.GRU(3, 3)(packed()),
        "packed hidden batch": lambda: lib.nn.RNN(2, 3)(packed(), lib.zeros(1, 2, 3)),
        "packed hidden rank": lambda: lib.nn.GRU(2, 3)(packed(), lib.zeros(3, 3)),
        "packed dtype": lambda: lib.nn.GRU(2, 3)(packed().double()),
        "input dtype": lambda: lib.nn.LSTM(2, 3)(x().double()),
        "integer input": lambda: lib.nn.RNN(2, 3)(x().long()),
        "empty sequence": lambda: lib.nn.LSTM(2, 3)(x(0, 3, 2)),
        "empty sequence batch_first": lambda: lib.nn.GRU(2, 3, batch_first=True)(x(3, 0, 2)),
    }


@pytest.mark.parametrize("case", list(_errors(torchless)))
def test_errors_match_torch(case):
    torch = pytest.importorskip("torch")
    assert_same_error(_errors(torch)[case], _errors(torchless)[case])


def test_empty_batch_runs_like_torch():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.nn.LSTM(2, 3, bidirectional=True)(torch.zeros(4, 0, 2))
    actual = nn.LSTM(2, 3, bidirectional=True)(torchless.zeros(4, 0, 2))
    for a, e in zip([actual[0], *actual[1]], [expected[0], *expected[1]]):
        assert tuple(a.shape) == tuple(e.shape)
