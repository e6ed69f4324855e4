"""Autograd differences from PyTorch found in the twenty-sixth session, each compared with torch.

* the nodes whose backward is an error (PyTorch's Error, made by DelayedError, and NotImplemented): their names,
  their next_functions (NotImplemented lists only the inputs requiring grad), their messages, forward AD's error,
  and once_differentiable's one Error node for all the gradients of a backward, behind fake leaves.
"""
import numpy as np
import pytest

import torchless
from helpers import assert_same_error

torch = pytest.importorskip("torch")


def _both(fn):
    """fn(lib) for torch and torchless: (torch's result, torchless's)."""
    return fn(torch), fn(torchless)


def _listed(node):
    """next_functions as names: the node's class name (None for an edge without a node) and the output index."""
    return [(None if n is None else type(n).__name__, i) for n, i in node.next_functions]


def _node_view(tensor):
    node = tensor.grad_fn
    return type(node).__name__, node.name(), _listed(node)


def _backward_error(tensor):
    try:
        tensor.sum().backward()
    except Exception as error:  # noqa: BLE001 - compared with torch's
        return type(error).__name__, str(error)
    return None


# ---------------------------------------------------------------------------- nodes whose backward raises
_NOT_IMPLEMENTED_OPS = {
    "floordiv_number": lambda lib, x, y: x // 2,
    "rfloordiv_number": lambda lib, x, y: 2 // x,
    "floordiv_constant": lambda lib, x, y: x // lib.tensor(2.0),
    "rfloordiv_constant": lambda lib, x, y: lib.tensor(2.0) // x,
    "floordiv_both": lambda lib, x, y: x // y,
    "floor_divide": lambda lib, x, y: lib.floor_divide(x, 3),
    "rmod_number": lambda lib, x, y: 2 % x,
    "remainder_number": lambda lib, x, y: lib.remainder(2, x),
    "heaviside": lambda lib, x, y: lib.heaviside(x, y),
    "heaviside_constant_values": lambda lib, x, y: lib.heaviside(x, lib.tensor(0.5)),
    "heaviside_constant_input": lambda lib, x, y: lib.heaviside(lib.tensor([0.0, 1.0, -1.0]), y),
    "detach_copy": lambda lib, x, y: lib.detach_copy(x),
    "native_channel_shuffle": lambda lib, x, y: lib.native_channel_shuffle(x.reshape(1, 3, 1), 3),
    "native_channel_shuffle_leaf": lambda lib, x, y: lib.native_channel_shuffle(
        lib.ones(2, 4, 2, requires_grad=True), 2),
    "scatter_number": lambda lib, x, y: x.scatter(0, lib.tensor([0]), 2.0, reduce="multiply"),
}


@pytest.mark.parametrize("op", _NOT_IMPLEMENTED_OPS)
def test_not_implemented_node_name_edges_and_error(op):
    def run(lib):
        x = lib.tensor([1.5, -2.0, 3.0], requires_grad=True)
        y = lib.tensor([0.5, 2.0, -1.0], requires_grad=True)
        out = _NOT_IMPLEMENTED_OPS[op](lib, x, y)
        return _node_view(out), out.requires_grad, _backward_error(out)

    expected, actual = _both(run)
    assert actual == expected


@pytest.mark.parametrize("op", ["detach_copy", "native_channel_shuffle", "floordiv_number", "heaviside"])
def test_not_implemented_forward_ad_error(op):
    def run(lib):
        x = lib.tensor([1.5, -2.0, 3.0])
        with lib.autograd.forward_ad.dual_level():
            dual = lib.autograd.forward_ad.make_dual(x, lib.ones_like(x))
            return _NOT_IMPLEMENTED_OPS[op](lib, dual, dual)

    assert_same_error(lambda: run(torch), lambda: run(torchless))


def test_set_node_lists_its_source_even_without_grad():
    # set_ has a derivatives.yaml entry (not_implemented): its node lists every input, as the others' do not
    def run(lib):
        z = lib.zeros(3, requires_grad=True).clone()
        z.set_(lib.ones(3))
        return _node_view(z), _backward_error(z)

    expected, actual = _both(run)
    assert actual == expected


def test_scatter_reduce_double_backward_is_an_error_node():
    def run(lib):
        a = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=lib.float64, requires_grad=True)
        src = lib.tensor([0.0, 0.0, 1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        out = a.scatter_reduce(0, lib.tensor([0, 0, 1, 1, 2]), src, "prod", include_self=False)
        grad, = lib.autograd.grad(out.sum(), src, create_graph=True)
        return _node_view(grad), grad.detach().tolist(), _backward_error(grad)

    expected, actual = _both(run)
    assert actual == expected


def _once_differentiable_functions(lib):
    class OneGradient(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad):
            return grad * 3, None

    class TwoGradients(OneGradient):
        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad):
            return grad * 3, grad * 4

    class Single(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad):
            return grad * 3

    return {"one": OneGradient, "two": TwoGradients, "single": Single}


@pytest.mark.parametrize("kind", ["one", "two", "single"])
def test_once_differentiable_gradients_share_one_error_node(kind):
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        fn = _once_differentiable_functions(lib)[kind]
        inputs = (x,) if kind == "single" else (x, y)
        out = fn.apply(*inputs)
        grads = lib.autograd.grad((out ** 2).sum(), inputs, create_graph=True, allow_unused=True)
        gx = grads[0]
        leaves = [n.variable for n, _ in gx.grad_fn.next_functions if n is not None]
        shared = [g is None or g.grad_fn is gx.grad_fn for g in grads]
        values = [None if g is None else g.detach().tolist() for g in grads]
        return (_node_view(gx), shared, [g is None or g.requires_grad for g in grads], values,
                [leaf is x or leaf is y for leaf in leaves], [leaf.is_leaf for leaf in leaves], _backward_error(gx))

    expected, actual = _both(run)
    assert actual == expected


def test_once_differentiable_without_create_graph_records_nothing():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        out = _once_differentiable_functions(lib)["single"].apply(x)
        grad, = lib.autograd.grad((out ** 2).sum(), x)
        return grad.requires_grad, grad.grad_fn is None, grad.tolist()

    expected, actual = _both(run)
    assert actual == expected


def test_delayed_error_value_is_unchanged():
    # an independent check of the values passed through: d/dx sum((3x)^2)... via once_differentiable's 3 * grad
    x = torchless.tensor([1.0, -2.0], dtype=torchless.float64, requires_grad=True)
    out = _once_differentiable_functions(torchless)["single"].apply(x)
    grad, = torchless.autograd.grad((out ** 2).sum(), x, create_graph=True)
    np.testing.assert_allclose(grad.detach().numpy(), 3 * 2 * (2 * np.array([1.0, -2.0])))
