"""Parity regressions (session 30, fixb30): mismatches with PyTorch left by the conv, RNN and autograd fuzzers.

Every test compares torchless with the installed torch at run time.
"""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(fn):
    """What ``fn()`` gives: ('ok', value) or (exception type name, message)."""
    try:
        return "ok", fn()
    except Exception as error:  # noqa: BLE001 (any exception is an outcome to compare)
        return type(error).__name__, str(error)


def _next_names(tensor):
    return [None if node is None else type(node).__name__ for node, _ in tensor.grad_fn.next_functions]


# ---------------------------------------------------------------- 1. a complex number beside a real tensor

_COMPLEX_SCALAR_OPS = {
    "mul": lambda lib, x: x * 1j, "rmul": lambda lib, x: (1 + 2j) * x, "add": lambda lib, x: x + 1j,
    "rsub": lambda lib, x: 1j - x, "div": lambda lib, x: x / 2j, "rdiv": lambda lib, x: 1j / x,
    "pow": lambda lib, x: x ** 1j, "add_alpha": lambda lib, x: lib.add(x, 1j, alpha=2),
    "mul_method": lambda lib, x: x.mul(2j), "float64": lambda lib, x: x.double() * 1j,
    "where_other": lambda lib, x: lib.where(x > 0, x, 1j), "where_input": lambda lib, x: lib.where(x > 0, 1j, x),
    "where_tensor": lambda lib, x: lib.where(x > 0, x, x.double()),
    "where_float": lambda lib, x: lib.where(x > 0, x, 2.5),
}


@pytest.mark.parametrize("name", sorted(_COMPLEX_SCALAR_OPS))
def test_graph_of_a_real_tensor_promoted_by_a_number(name):
    op = _COMPLEX_SCALAR_OPS[name]
    graphs, grads = [], []
    for lib in (torch, torchless):
        x = lib.tensor([1.5, -2.0, 0.25], requires_grad=True)
        out = op(lib, x)
        graphs.append((_next_names(out), str(out.dtype).split(".")[-1]))
        out.abs().sum().backward()
        grads.append(x.grad.numpy())
    assert graphs[1] == graphs[0]
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-5, atol=1e-6)  # (atol: pow's is rounding noise)


# ---------------------------------------------------------------- 2. a bool tensor for a SymInt argument

_SYMINT_CALLS = {
    "embedding": lambda lib, v: lib.nn.functional.embedding(lib.tensor([0, 1]), lib.ones(3, 2), padding_idx=v),
    "Embedding": lambda lib, v: lib.nn.Embedding(3, 2, padding_idx=v)(lib.tensor([0, 1])).shape,
    "torch.embedding": lambda lib, v: lib.embedding(lib.ones(3, 2), lib.tensor([0, 1]), v),
    "cross_entropy": lambda lib, v: lib.nn.functional.cross_entropy(lib.ones(2, 3), lib.tensor([0, 1]),
                                                                    ignore_index=v),
    "nll_loss": lambda lib, v: lib.nn.functional.nll_loss(lib.ones(2, 3), lib.tensor([0, 1]), ignore_index=v),
    "nll_loss2d": lambda lib, v: lib.nn.functional.nll_loss(lib.ones(2, 3, 2, 2), lib.zeros(2, 2, 2, dtype=lib.long),
                                                            ignore_index=v),
}
_SYMINT_VALUES = {
    "true": lambda lib: lib.tensor(True), "false": lambda lib: lib.tensor(False), "bool_1d": lambda lib: lib.tensor([True]),
    "int": lambda lib: lib.tensor(1), "int_2d": lambda lib: lib.tensor([[1]]), "uint8": lambda lib: lib.tensor(1, dtype=lib.uint8),
    "float": lambda lib: lib.tensor(1.0), "int64_overflow": lambda lib: 2 ** 63, "numpy_int": lambda lib: np.int64(1),
}


@pytest.mark.parametrize("value", sorted(_SYMINT_VALUES))
@pytest.mark.parametrize("call", sorted(_SYMINT_CALLS))
def test_symint_index_argument(call, value):
    outcomes = []
    for lib in (torch, torchless):
        kind, result = _outcome(lambda: _SYMINT_CALLS[call](lib, _SYMINT_VALUES[value](lib)))
        if kind == "ok":
            result = tuple(result) if call == "Embedding" else result.tolist()  # (Embedding's weights are random)
        outcomes.append((kind, result))
    assert outcomes[1] == outcomes[0]


# ---------------------------------------------------------------- 3. the recurrent modules' flags reach the parser

def _recurrent_call(lib, cls, options, form, training=None):
    module = getattr(lib.nn, cls)(4, 5, **options)
    if training is not None:
        module.training = training
    directions = 2 if module.bidirectional else 1
    h = lib.zeros(module.num_layers * directions, 2, 5)
    if form == "padded":
        return module(lib.ones(3, 2, 4))
    if form == "unbatched":
        return module(lib.ones(3, 4))
    if form == "hx":
        return module(lib.ones(3, 2, 4), [h, h] if cls == "LSTM" else h)
    sequences = [lib.ones(3, 4), lib.ones(2, 4)]
    if form == "packed":
        return module(lib.nn.utils.rnn.pack_sequence(sequences))
    return module(lib.nn.utils.rnn.pack_sequence(sequences[::-1], enforce_sorted=False), (h, h) if cls == "LSTM" else h)


_RECURRENT_FLAGS = {
    "bidirectional_1": ({"bidirectional": 1}, None), "bidirectional_0": ({"bidirectional": 0}, None),
    "bidirectional_none": ({"bidirectional": None}, None), "bidirectional_numpy": ({"bidirectional": np.bool_(True)}, None),
    "num_layers_true": ({"num_layers": True}, None), "num_layers_numpy": ({"num_layers": np.int64(2)}, None),
    "training_1": ({}, 1), "batch_first_bidirectional_1": ({"batch_first": True, "bidirectional": 1}, None),
}


@pytest.mark.parametrize("form", ["padded", "unbatched", "hx", "packed", "packed_hx"])
@pytest.mark.parametrize("flags", sorted(_RECURRENT_FLAGS))
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_recurrent_flags_checked_by_the_native_parser(cls, flags, form):
    options, training = _RECURRENT_FLAGS[flags]
    outcomes = [_outcome(lambda: _recurrent_call(lib, cls, options, form, training) and None) for lib in (torch, torchless)]
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("variant", range(8))
def test_native_recurrence_parses_as_pytorch(name, variant):
    outcomes = []
    for lib in (torch, torchless):
        module = {"lstm": lib.nn.LSTM, "gru": lib.nn.GRU}.get(name, lib.nn.RNN)(4, 5)
        weights = [lib.tensor(np.linspace(-0.5, 0.5, w.numel(), dtype=np.float32).reshape(tuple(w.shape)))
                   for w in module._flat_weights]
        x, h = lib.ones(3, 2, 4), lib.zeros(1, 2, 5)
        hx = (h, h) if name == "lstm" else h
        args = [(x, hx, weights, True, 1, 0.0, False, False, False),
                (x, hx, weights, True, 1, 0.0, False, 1, False),
                (x, hx, weights, True, 1, 0.0, False, False),
                (x, hx, weights, True, 1, 0.0, False, False, False, 3),
                (x, hx, weights, True, 1, 0, False, False, None),
                (x, hx, tuple(weights), True, np.int64(1), 0.0, False, False, False),
                (x[0], lib.tensor([2]), hx, weights, True, 1, 0.0, False, False),
                (x, hx, weights + [1], True, 1, 0.0, False, False, False)][variant]
        kind, result = _outcome(lambda: getattr(lib, name)(*args))
        outcomes.append((kind, [r.detach().numpy() for r in result] if kind == "ok" else result))
    assert outcomes[1][0] == outcomes[0][0]
    if outcomes[0][0] != "ok":
        assert outcomes[1][1] == outcomes[0][1]
    else:
        for ours, theirs in zip(outcomes[1][1], outcomes[0][1]):
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- 6. saved tensors changed in place under saved hooks

_SAVING_OPS = {
    "linear": lambda lib, t, p: lib.nn.functional.linear(t, p["linear_weight"]),
    "linear_bias": lambda lib, t, p: lib.nn.functional.linear(t, p["linear_weight"], p["bias"]),
    "conv2d": lambda lib, t, p: lib.nn.functional.conv2d(t.reshape(2, 3, 2, 2), p["conv_weight"], padding=1),
    "max_pool2d": lambda lib, t, p: lib.nn.functional.max_pool2d(t.reshape(2, 3, 2, 2), 2),
    "batch_norm": lambda lib, t, p: lib.nn.functional.batch_norm(t, None, None, p["norm_weight"], None, training=True),
    "gelu": lambda lib, t, p: lib.nn.functional.gelu(t),
    "gelu_tanh": lambda lib, t, p: lib.nn.functional.gelu(t, approximate="tanh"),
    "leaky_relu": lambda lib, t, p: lib.nn.functional.leaky_relu(t, 0.1),
}


def _saved_then_changed(lib, op, context, input_requires_grad):
    rng = np.random.default_rng(3)
    values = {"input": (2, 12), "linear_weight": (4, 12), "bias": (4,), "conv_weight": (5, 3, 3, 3), "norm_weight": (12,)}
    params = {name: lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=name != "input")
              for name, shape in values.items()}
    source = params.pop("input").requires_grad_(input_requires_grad)
    hooks = lib.autograd.graph.allow_mutation_on_saved_tensors() if context == "allow_mutation" else \
        lib.autograd.graph.saved_tensors_hooks(lambda tensor: tensor.clone(), lambda tensor: tensor)
    with hooks:
        t = source * 1.0 if input_requires_grad else source.clone()
        out = _SAVING_OPS[op](lib, t, params)
        loss = (out * lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)).astype(np.float32))).sum()
        t.mul_(2)
        loss.backward()
    return [x.grad.numpy() for x in [source, *params.values()] if x.grad is not None]


_PARAMETERLESS = ("gelu", "gelu_tanh", "leaky_relu", "max_pool2d")  # (their input must require grad for a graph)


@pytest.mark.parametrize("context", ["allow_mutation", "copying_hooks"])
@pytest.mark.parametrize("op, input_requires_grad", [(op, requires) for op in sorted(_SAVING_OPS)
                                                     for requires in (False, True)
                                                     if requires or op not in _PARAMETERLESS])
def test_saved_tensor_changed_in_place_backward_uses_the_saved_values(op, context, input_requires_grad):
    expected = _saved_then_changed(torch, op, context, input_requires_grad)
    got = _saved_then_changed(torchless, op, context, input_requires_grad)
    assert len(got) == len(expected)
    for ours, theirs in zip(got, expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_saved_tensor_changed_in_place_without_hooks_is_still_an_error():
    outcomes = []
    for lib in (torch, torchless):
        weight = lib.ones(4, 3, requires_grad=True)
        t = lib.ones(2, 3)
        out = lib.nn.functional.linear(t, weight).sum()
        t.mul_(2)
        outcomes.append(_outcome(out.backward)[0])
    assert outcomes == ["RuntimeError", "RuntimeError"]
