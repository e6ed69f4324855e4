"""Recurrent layers (RNN, LSTM, GRU and their cells): against PyTorch (values, gradients, parameters,
repr, errors) and, without it, against NumPy loops written here and central differences."""
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
from helpers import assert_same_error, finite_difference_check, state_dict_from_torch, tensor

LAYERS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}), ("LSTM", {"proj_size": 3})]
# (num_layers, bidirectional, batch_first, bias, batched, with_initial_state)
CONFIGS = [
    (1, False, False, True, True, False),
    (1, False, False, True, True, True),
    (2, False, False, True, True, True),
    (1, True, False, True, True, True),
    (2, True, True, True, True, True),
    (2, True, False, False, True, False),
    (1, False, False, True, False, True),
    (2, True, True, True, False, True),
    (2, False, False, False, False, False),
]
TOLERANCES = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def _twins(torch, name, *args, dtype="float32", **kwargs):
    """The same layer in both libraries, torch's parameters copied into torchless's."""
    torch.manual_seed(0)
    expected = getattr(torch.nn, name)(*args, dtype=getattr(torch, dtype), **kwargs)
    actual = getattr(nn, name)(*args, dtype=getattr(torchless, dtype), **kwargs)
    actual.load_state_dict(state_dict_from_torch(expected))
    return actual, expected


def _initial_state_shapes(name, kwargs, num_layers, bidirectional, batch, hidden_size):
    leading = (num_layers * (2 if bidirectional else 1),) + batch
    h_size = kwargs.get("proj_size", 0) or hidden_size
    return [leading + (h_size,), leading + (hidden_size,)] if name == "LSTM" else [leading + (h_size,)]


def _flatten_result(name, result):
    output, state = result
    return [output, *state] if name == "LSTM" else [output, state]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("name, kwargs", LAYERS)
def test_layer_matches_torch_forward_and_backward(name, kwargs, config, dtype):
    torch = pytest.importorskip("torch")
    num_layers, bidirectional, batch_first, bias, batched, with_state = config
    input_size, hidden_size, length, batch_size = 4, 5, 6, 3
    actual_layer, expected_layer = _twins(torch, name, input_size, hidden_size, num_layers, bias=bias,
                                          batch_first=batch_first, bidirectional=bidirectional, dtype=dtype, **kwargs)
    rng = np.random.default_rng(1)
    batch = (batch_size,) if batched else ()
    x_shape = (batch + (length,) if batch_first else (length,) + batch) + (input_size,)
    arrays = [rng.standard_normal(x_shape).astype(dtype)]
    if with_state:
        arrays += [rng.standard_normal(shape).astype(dtype) for shape in
                   _initial_state_shapes(name, kwargs, num_layers, bidirectional, batch, hidden_size)]
    actual_inputs = [tensor(a, requires_grad=True) for a in arrays]
    expected_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def call(layer, inputs):
        if not with_state:
            return layer(inputs[0])
        return layer(inputs[0], tuple(inputs[1:]) if name == "LSTM" else inputs[1])

    actual = _flatten_result(name, call(actual_layer, actual_inputs))
    expected = _flatten_result(name, call(expected_layer, expected_inputs))
    tol = TOLERANCES[dtype]
    for a, e in zip(actual, expected):
        assert tuple(a.shape) == tuple(e.shape) and str(a.dtype) == str(e.dtype).replace("torch.", "torchless.")
        np.testing.assert_allclose(a.detach().numpy(), e.detach().numpy(), **tol)

    weights = [rng.standard_normal(tuple(e.shape)).astype(dtype) for e in expected]
    sum((a * tensor(w)).sum() for a, w in zip(actual, weights)).backward()
    sum((e * torch.tensor(w)).sum() for e, w in zip(expected, weights)).backward()
    for a, e in zip(actual_inputs, expected_inputs):
        np.testing.assert_allclose(a.grad.numpy(), e.grad.numpy(), **tol)
    expected_parameters = dict(expected_layer.named_parameters())
    actual_parameters = dict(actual_layer.named_parameters())
    assert list(actual_parameters) == list(expected_parameters)
    for key, parameter in actual_parameters.items():
        np.testing.assert_allclose(parameter.grad.numpy(), expected_parameters[key].grad.numpy(), **tol, err_msg=key)


CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}), ("GRUCell", {})]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched, with_state", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("name, kwargs", CELLS)
def test_cell_matches_torch_forward_and_backward(name, kwargs, batched, with_state, bias):
    torch = pytest.importorskip("torch")
    actual_cell, expected_cell = _twins(torch, name, 4, 5, bias=bias, dtype="float64", **kwargs)
    rng = np.random.default_rng(2)
    batch = (3,) if batched else ()
    arrays = [rng.standard_normal(batch + (4,))]
    if with_state:
        arrays += [rng.standard_normal(batch + (5,)) for _ in range(2 if name == "LSTMCell" else 1)]
    actual_inputs = [tensor(a, requires_grad=True) for a in arrays]
    expected_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def call(cell, inputs):
        if not with_state:
            result = cell(inputs[0])
        else:
            result = cell(inputs[0], tuple(inputs[1:]) if name == "LSTMCell" else inputs[1])
        return list(result) if name == "LSTMCell" else [result]

    actual, expected = call(actual_cell, actual_inputs), call(expected_cell, expected_inputs)
    for a, e in zip(actual, expected):
        assert tuple(a.shape) == tuple(e.shape)
        np.testing.assert_allclose(a.detach().numpy(), e.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = [rng.standard_normal(tuple(e.shape)) for e in expected]
    sum((a * tensor(w)).sum() for a, w in zip(actual, weights)).backward()
    sum((e * torch.tensor(w)).sum() for e, w in zip(expected, weights)).backward()
    for a, e in zip(actual_inputs, expected_inputs):
        np.testing.assert_allclose(a.grad.numpy(), e.grad.numpy(), rtol=1e-10, atol=1e-12)
    expected_parameters = dict(expected_cell.named_parameters())
    for key, parameter in actual_cell.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), expected_parameters[key].grad.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=key)


REPR_CASES = [
    ("RNN", (10, 20), {}), ("RNN", (10, 20, 2), {"nonlinearity": "relu", "bias": False}),
    ("LSTM", (10, 20, 2), {"dropout": 0.5, "bidirectional": True, "batch_first": True, "bias": False,
                           "proj_size": 5}),
    ("GRU", (3, 4, 3), {"bidirectional": True}), ("LSTM", (3, 4), {"proj_size": 2, "bias": False}),
    ("RNNCell", (10, 20), {"nonlinearity": "relu"}), ("LSTMCell", (10, 20), {"bias": False}),
    ("GRUCell", (10, 20), {}),
]


@pytest.mark.parametrize("name, args, kwargs", REPR_CASES)
def test_repr_parameter_names_and_shapes_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    expected = getattr(torch.nn, name)(*args, **kwargs)
    actual = getattr(nn, name)(*args, **kwargs)
    assert repr(actual) == repr(expected)
    assert [(k, tuple(v.shape)) for k, v in actual.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in expected.state_dict().items()]


@pytest.mark.parametrize("name, args, kwargs", REPR_CASES)
def test_initialisation_is_uniform_within_one_over_sqrt_hidden(name, args, kwargs):
    torchless.manual_seed(0)
    layer = getattr(nn, name)(*args, **kwargs)
    bound = 1 / np.sqrt(args[1])
    values = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    # a uniform draw fills the interval: both ends are approached and the mean is near zero
    assert values.min() < -0.9 * bound and values.max() > 0.9 * bound and abs(values.mean()) < 0.1 * bound


def _errors(lib):
    """Calls that PyTorch rejects, each built against the library ``lib``."""
    layers = lib.nn
    return {
        "input size": lambda: layers.RNN(10, 20)(lib.zeros(5, 3, 9)),
        "rank 4": lambda: layers.RNN(10, 20)(lib.zeros(5, 3, 1, 10)),
        "rank 1": lambda: layers.RNN(10, 20)(lib.zeros(10)),
        "lstm rank 1": lambda: layers.LSTM(10, 20)(lib.zeros(10)),
        "gru rank 1": lambda: layers.GRU(10, 20)(lib.zeros(10)),
        "h0 shape": lambda: layers.RNN(10, 20)(lib.zeros(5, 3, 10), lib.zeros(2, 3, 20)),
        "gru h0 batch": lambda: layers.GRU(10, 20, batch_first=True)(lib.zeros(3, 5, 10), lib.zeros(1, 5, 20)),
        "unbatched h0 rank": lambda: layers.RNN(10, 20)(lib.zeros(5, 10), lib.zeros(1, 3, 20)),
        "batched h0 rank": lambda: layers.RNN(10, 20)(lib.zeros(5, 3, 10), lib.zeros(3, 20)),
        "lstm c0 shape": lambda: layers.LSTM(10, 20)(lib.zeros(5, 3, 10), (lib.zeros(1, 3, 20), lib.zeros(1, 2, 20))),
        "lstm h0 shape": lambda: layers.LSTM(10, 20)(lib.zeros(5, 3, 10), (lib.zeros(2, 3, 20), lib.zeros(1, 3, 20))),
        "lstm proj h0": lambda: layers.LSTM(10, 20, proj_size=4)(lib.zeros(5, 3, 10),
                                                                 (lib.zeros(1, 3, 20), lib.zeros(1, 3, 20))),
        "lstm batched rank": lambda: layers.LSTM(10, 20)(lib.zeros(5, 3, 10), (lib.zeros(1, 3, 20), lib.zeros(3, 20))),
        "lstm unbatched rank": lambda: layers.LSTM(10, 20)(lib.zeros(5, 10), (lib.zeros(1, 20), lib.zeros(1, 1, 20))),
        "hidden 0": lambda: layers.RNN(10, 0),
        "hidden negative": lambda: layers.GRU(10, -1),
        "hidden float": lambda: layers.LSTM(10, 2.5),
        "layers 0": lambda: layers.RNN(10, 20, 0),
        "dropout high": lambda: layers.RNN(10, 20, dropout=1.5),
        "dropout negative": lambda: layers.LSTM(10, 20, dropout=-0.1),
        "dropout bool": lambda: layers.GRU(10, 20, dropout=True),
        "nonlinearity": lambda: layers.RNN(10, 20, nonlinearity="sigmoid"),
        "proj too big": lambda: layers.LSTM(10, 20, proj_size=20),
        "proj negative": lambda: layers.LSTM(10, 20, proj_size=-1),
        "proj on gru": lambda: layers.GRU(10, 20, proj_size=2),
        "cell input size": lambda: layers.RNNCell(10, 20)(lib.zeros(3, 9)),
        "cell rank": lambda: layers.GRUCell(10, 20)(lib.zeros(5, 3, 10)),
        "cell hidden rank": lambda: layers.GRUCell(10, 20)(lib.zeros(3, 10), lib.zeros(3, 3, 20)),
        "cell batch": lambda: layers.RNNCell(10, 20)(lib.zeros(3, 10), lib.zeros(2, 20)),
        "cell hidden size": lambda: layers.GRUCell(10, 20)(lib.zeros(3, 10), lib.zeros(3, 7)),
        "lstm cell c batch": lambda: layers.LSTMCell(10, 20)(lib.zeros(3, 10), (lib.zeros(3, 20), lib.zeros(2, 20))),
        "lstm cell hx rank": lambda: layers.LSTMCell(10, 20)(lib.zeros(3, 10), (lib.zeros(3, 3, 20), lib.zeros(3, 20))),
        "lstm cell rank": lambda: layers.LSTMCell(10, 20)(lib.zeros(3, 3, 10)),
        "cell nonlinearity": lambda: layers.RNNCell(10, 20, nonlinearity="gelu")(lib.zeros(3, 10)),
    }


@pytest.mark.parametrize("case", list(_errors(torchless)))
def test_errors_match_torch(case):
    torch = pytest.importorskip("torch")
    assert_same_error(_errors(torch)[case], _errors(torchless)[case])


def test_dropout_with_one_layer_warns_like_torch():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as expected:
        warnings.simplefilter("always")
        torch.nn.LSTM(10, 20, dropout=0.25)
    with warnings.catch_warnings(record=True) as actual:
        warnings.simplefilter("always")
        nn.LSTM(10, 20, dropout=0.25)
    assert [str(w.message) for w in actual] == [str(w.message) for w in expected] != []


# ---------------------------------------------------------------------------- without PyTorch
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _numpy_lstm(x, h, c, w_ih, w_hh, b_ih, b_hh):
    outputs = []
    for x_t in x:
        i, f, g, o = np.split(x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs), h, c


def _numpy_gru(x, h, w_ih, w_hh, b_ih, b_hh):
    outputs = []
    for x_t in x:
        x_r, x_z, x_n = np.split(x_t @ w_ih.T + b_ih, 3, axis=-1)
        h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
        r, z = _sigmoid(x_r + h_r), _sigmoid(x_z + h_z)
        n = np.tanh(x_n + r * h_n)
        h = (1 - z) * n + z * h
        outputs.append(h)
    return np.stack(outputs), h


def _parameters(layer):
    return [layer.state_dict()[k].numpy() for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]


def test_lstm_matches_numpy_loop():
    torchless.manual_seed(4)
    layer = nn.LSTM(3, 4, dtype=torchless.float64)
    rng = np.random.default_rng(4)
    x, h0, c0 = rng.standard_normal((5, 2, 3)), rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 2, 4))
    output, (h_n, c_n) = layer(tensor(x), (tensor(h0), tensor(c0)))
    expected_output, expected_h, expected_c = _numpy_lstm(x, h0[0], c0[0], *_parameters(layer))
    np.testing.assert_allclose(output.detach().numpy(), expected_output, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.detach().numpy(), expected_h[None], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_n.detach().numpy(), expected_c[None], rtol=1e-12, atol=1e-14)


def test_gru_matches_numpy_loop_batch_first():
    torchless.manual_seed(5)
    layer = nn.GRU(3, 4, batch_first=True, dtype=torchless.float64)
    rng = np.random.default_rng(5)
    x, h0 = rng.standard_normal((2, 5, 3)), rng.standard_normal((1, 2, 4))
    output, h_n = layer(tensor(x), tensor(h0))
    expected_output, expected_h = _numpy_gru(x.transpose(1, 0, 2), h0[0], *_parameters(layer))
    np.testing.assert_allclose(output.detach().numpy(), expected_output.transpose(1, 0, 2), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.detach().numpy(), expected_h[None], rtol=1e-12, atol=1e-14)


def test_bidirectional_gru_reverse_half_runs_backwards_in_time():
    torchless.manual_seed(6)
    layer = nn.GRU(3, 4, bidirectional=True, dtype=torchless.float64)
    x = np.random.default_rng(6).standard_normal((5, 2, 3))
    output, h_n = layer(tensor(x))
    parameters = [layer.state_dict()[k].numpy() for k in
                  ("weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse")]
    expected_output, expected_h = _numpy_gru(x[::-1], np.zeros((2, 4)), *parameters)
    np.testing.assert_allclose(output.detach().numpy()[..., 4:], expected_output[::-1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.detach().numpy()[1], expected_h, rtol=1e-12, atol=1e-14)


def test_interlayer_dropout_only_in_training():
    torchless.manual_seed(7)
    layer = nn.LSTM(3, 4, num_layers=2, dropout=0.9, dtype=torchless.float64)
    x = tensor(np.random.default_rng(7).standard_normal((5, 2, 3)))
    layer.eval()
    first, second = layer(x)[0].detach().numpy(), layer(x)[0].detach().numpy()
    np.testing.assert_array_equal(first, second)
    layer.train()
    trained = [layer(x)[0].detach().numpy() for _ in range(2)]
    assert not np.allclose(trained[0], trained[1]) and not np.allclose(trained[0], first)


def test_lstm_gradients_finite_differences():
    torchless.manual_seed(8)
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=torchless.float64)
    names = [name for name, _ in layer.named_parameters()]
    rng = np.random.default_rng(8)
    arrays = [rng.standard_normal((3, 2, 2)), rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 2, 3))]
    arrays += [p.detach().numpy() for p in layer.parameters()]

    def run(x, h0, c0, *parameters):
        layer_copy = nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=torchless.float64)
        for name, parameter in zip(names, parameters):
            # plain tensors in place of the Parameters, so gradients flow to the checked inputs
            del layer_copy._parameters[name]
            setattr(layer_copy, name, parameter)
        output, (h_n, c_n) = layer_copy(x, (h0, c0))
        return torchless.cat([output.reshape(-1), h_n.reshape(-1), c_n.reshape(-1)])

    finite_difference_check(run, arrays)
