"""Regression tests of grad20, each against PyTorch: gradients computed under create_graph recorded with PyTorch's
nodes (pow's and squeeze's formulas), and the gradients, layouts and graphs of nn functional ops."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _graph(fn, depth=0, max_depth=8):
    """A node's name and its next_functions' graphs, to ``max_depth`` levels."""
    if fn is None:
        return None
    if depth > max_depth:
        return "..."
    return fn.name(), tuple(_graph(f, depth + 1, max_depth) for f, _ in fn.next_functions)


def _assert_same(ours, theirs, rtol=1e-5, atol=1e-6):
    """Lists of arrays (compared in value) and anything else (compared as is)."""
    assert len(ours) == len(theirs)
    for mine, expected in zip(ours, theirs):
        if isinstance(expected, np.ndarray):
            np.testing.assert_allclose(mine, expected, rtol=rtol, atol=atol, equal_nan=True)
        else:
            assert mine == expected


# ---------------------------------------------------------------------------------------------------------------
# pow under create_graph: PyTorch's formulas keep a number operand a number (MulBackward1 over PowBackward0,
# SubBackward1) and always wrap a tensor operand's gradient in where(); complex gradients are conjugated there

_BASE = np.array([[0.0, 1.5, -2.0, 0.5], [3.0, 0.0, 1.0, -0.5]])
_POWERS = {
    "number_exponent": lambda lib, x, e: (x ** e, (x,)),
    "number_base": lambda lib, x, e: (abs(e) ** x, (x,)),
    "zero_base": lambda lib, x, e: (0 ** (x * 0 + e), (x,)),
    "tensor_exponent": lambda lib, x, e: (x ** (x.detach() * 0 + e), (x,)),
    "both_tensors": lambda lib, x, e: (x ** (lib.ones_like(x) * e).requires_grad_(), (x,)),
}


@pytest.mark.parametrize("kind", sorted(_POWERS))
@pytest.mark.parametrize("exponent", [1, 2, 0.5, -0.5, 0.75, -1, 2.5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pow_gradient_under_create_graph_recorded_as_pytorch(kind, exponent, dtype):
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(_BASE, dtype=getattr(lib, dtype)).requires_grad_()
        y, inputs = _POWERS[kind](lib, x, exponent)
        grads = lib.autograd.grad(y, inputs, lib.ones_like(y), create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), inputs)
        results.append([(_graph(g.grad_fn), g.stride()) for g in grads] + [g.detach().numpy() for g in grads] +
                       [g.numpy() for g in second])
    _assert_same(results[1], results[0])


@pytest.mark.parametrize("kind", ["number_exponent", "complex_exponent", "number_base", "both_tensors"])
def test_complex_pow_gradient_under_create_graph_conjugated_as_pytorch(kind):
    # (the first-order gradients came out unconjugated: a create_graph gradient differed from the plain one)
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(np.array([1 + 2j, -0.5 + 1j, 2 - 1j], np.complex64)).requires_grad_()
        e = lib.tensor(np.array([0.5 + 1j, 2, 3], np.complex64)).requires_grad_()
        y, inputs = {"number_exponent": lambda: (x ** 2, (x,)), "complex_exponent": lambda: (x ** (1 + 1j), (x,)),
                     "number_base": lambda: (2 ** x, (x,)), "both_tensors": lambda: (x ** e, (x, e))}[kind]()
        grads = lib.autograd.grad(y.abs().sum(), inputs, create_graph=True)
        second = lib.autograd.grad(sum(g.abs().sum() for g in grads), inputs)
        results.append([_graph(g.grad_fn, max_depth=3) for g in grads] + [g.detach().numpy() for g in grads] +
                       [g.numpy() for g in second])
    _assert_same(results[1], results[0], rtol=1e-4, atol=1e-5)
