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
