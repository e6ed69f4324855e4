"""Recorded in-place ops on views against PyTorch: the base's values change through the view, the base's node becomes
CopySlices (the in-place op's gradient inside the view, the base's own gradient outside it), the view's node
AsStridedBackward0 over the base; the leaf's gradients match whether the base, the view or both are used after.

Each case is a function of the library (torch or torchless) returning what it computed; both must give the same.
"""
import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_error, outcome

torch = pytest.importorskip("torch")

X = np.array([[-1.0, 0.25, 0.8], [1.5, -0.3, 0.6]])

VIEWS = {
    "row": lambda y: y[0],
    "slice": lambda y: y[:, 1:3],
    "strided": lambda y: y[:, ::2],
    "flat_slice": lambda y: y.view(6)[1:5],
    "view": lambda y: y.view(3, 2),
    "reshape": lambda y: y.reshape(6),
    "transpose": lambda y: y.t(),
    "sliced_transpose": lambda y: y[:, :2].t(),
    "view_of_view": lambda y: y[1][0:2],
}

OPS = {
    "mul_": lambda v, w: v.mul_(2.5),
    "mul_tensor": lambda v, w: v.mul_(w.expand(v.shape) if w.dim() == 0 else w),
    "add_": lambda v, w: v.add_(1.0),
    "relu_": lambda v, w: v.relu_(),
    "zero_": lambda v, w: v.zero_(),
    "clamp_": lambda v, w: v.clamp_(-0.5, 0.5),
    "copy_": lambda v, w: v.copy_(w * 3),
    "chain": lambda v, w: v.mul_(2.0).add_(w),
    "setitem": lambda v, w: v.__setitem__(0, w * 2),
}

USES = {
    "base_squared": lambda y, v: (y * y).sum(),
    "base_sum": lambda y, v: y.sum(),
    "both": lambda y, v: (y * y).sum() + (v * v * 3).sum(),
    "view": lambda y, v: (v.exp() * 2).sum(),
}


def _names(*tensors):
    """The nodes' names (CopySlices spelled with its C++ namespace, as torch's name() gives it)."""
    return [None if t.grad_fn is None else t.grad_fn.name() for t in tensors]


def _run(lib, view, op, use):
    x = lib.tensor(X, requires_grad=True)
    w = lib.tensor(0.7, requires_grad=True)
    y = x * 1.5
    v = VIEWS[view](y)
    OPS[op](v, w)
    values = (y.detach().numpy().copy(), v.detach().numpy().copy())
    names = _names(y, v)
    USES[use](y, v).backward()
    return values, names, x.grad.numpy(), w.grad.numpy() if w.grad is not None else None


def _assert_same(ours, theirs):
    (values, names, x_grad, w_grad), (t_values, t_names, t_x_grad, t_w_grad) = ours, theirs
    for a, b in zip(values, t_values):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert names == t_names
    np.testing.assert_allclose(x_grad, t_x_grad, rtol=1e-6, atol=1e-7)
    assert (w_grad is None) == (t_w_grad is None)
    if w_grad is not None:
        np.testing.assert_allclose(w_grad, t_w_grad, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("op", OPS)
def test_inplace_on_view_writes_through_like_torch(view, op):
    for use in USES:
        expected = outcome(lambda: _run(torch, view, op, use))
        if isinstance(expected, Raised):
            assert_same_error(lambda: _run(torch, view, op, use), lambda: _run(torchless, view, op, use))
        else:
            _assert_same(_run(torchless, view, op, use), expected)


def test_the_reported_case():
    x = torchless.ones(4, requires_grad=True)
    y = x * 1
    v = y[0:2]
    v.mul_(2)
    assert y.tolist() == [2.0, 2.0, 1.0, 1.0] and v.tolist() == [2.0, 2.0]
    assert y.grad_fn.name() == "torch::autograd::CopySlices" and v.grad_fn.name() == "AsStridedBackward0"
    assert repr(y.grad_fn).startswith("<CopySlices object at ")
    (y * y).sum().backward()
    assert x.grad.tolist() == [8.0, 8.0, 2.0, 2.0]


def _siblings(lib):
    """A view changed in place: another view of the same base, made before, sees the new values and gradients."""
    x = lib.tensor(X, requires_grad=True)
    y = x * 1.5
    a, b = y[0], y[:, 1]
    a.mul_(3.0)
    names = _names(y, a, b)
    (b * b).sum().backward()
    return b.detach().numpy().copy(), names, x.grad.numpy()


def _base_changed_with_live_view(lib):
    """The base changed in place: its view, made before, sees the new values, its gradient goes through the op."""
    x = lib.tensor(X, requires_grad=True)
    y = x * 1.5
    v = y[:, 1:]
    y.mul_(3.0)
    names = _names(y, v)
    (v * v).sum().backward()
    return v.detach().numpy().copy(), names, x.grad.numpy()


def _base_without_grad(lib):
    """A view of a base outside the graph, changed in place by an operand requiring grad: the base joins it."""
    w = lib.tensor([0.5, -2.0, 4.0], requires_grad=True)
    y = lib.zeros(2, 3)
    y[1].add_(w)
    names = _names(y)
    (y * lib.tensor(X)).sum().backward()
    return y.detach().numpy().copy(), names, w.grad.numpy()


def _two_ops_on_two_views(lib):
    x = lib.tensor(X, requires_grad=True)
    y = x * 1.5
    y[:, 0].mul_(-2.0)
    y.t()[1:].clamp_(-0.2, 0.2)
    names = _names(y)
    (y * y * y).sum().backward()
    return y.detach().numpy().copy(), names, x.grad.numpy()


def _base_changed_after_many_views_died(lib):
    """A live view among many that died (the base prunes its record of them) still sees the base's change."""
    x = lib.tensor(X, requires_grad=True)
    y = x * 1.5
    v = y[:, 1:]
    for i in range(100):
        (y[i % 2] + 1).sum()
    y.mul_(3.0)
    names = _names(y, v)
    (v * v).sum().backward()
    return v.detach().numpy().copy(), names, x.grad.numpy()


def _deep_copied_base_and_view(lib):
    """A deepcopy of a base with its view: the copied view shares the copied base's memory, so a recorded in-place
    op on that base shows through it (and, not being an autograd view in PyTorch, it takes no node)."""
    import copy

    y = lib.tensor(X)
    y2, v2 = copy.deepcopy([y, y[:, 1:]])
    w = lib.tensor(X, requires_grad=True)
    y2.add_(w)
    names = _names(y2, v2)
    (y2 * y2).sum().backward()
    return v2.numpy().copy(), names, w.grad.numpy()


@pytest.mark.parametrize("case", [_siblings, _base_changed_with_live_view, _base_without_grad, _two_ops_on_two_views,
                                  _base_changed_after_many_views_died, _deep_copied_base_and_view])
def test_other_tensors_sharing_the_memory_match_torch(case):
    ours, theirs = case(torchless), case(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-7)
    assert ours[1] == theirs[1]
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6, atol=1e-7)


def _saved_then_changed(lib):
    """relu_ saves its result; a later in-place op on the base bumps the shared version: backward refuses."""
    x = lib.tensor(X, requires_grad=True)
    y = x * 1.5
    v = y[0]
    v.relu_()
    y.mul_(2.0)
    y.sum().backward()


def _saved_then_changed_view_gone(lib):
    """The same with the view gone: PyTorch names the op's own node."""
    x = lib.tensor(X, requires_grad=True)
    y = x * 1.5
    y[0].relu_()
    y.mul_(2.0)
    y.sum().backward()


def _saved_base_then_view_changed(lib):
    x = lib.tensor(X, requires_grad=True)
    y = x * 1.5
    z = y * y
    y[1:].mul_(2.0)
    z.sum().backward()


@pytest.mark.parametrize("case", [_saved_then_changed, _saved_then_changed_view_gone, _saved_base_then_view_changed])
def test_version_errors_match_torch(case):
    assert_same_error(lambda: case(torch), lambda: case(torchless))


def _leaf_view(lib, op):
    x = lib.tensor(X, requires_grad=True)
    OPS[op](VIEWS["slice"](x), lib.tensor(0.7))


@pytest.mark.parametrize("op", ["mul_", "add_", "relu_", "zero_", "copy_"])
def test_inplace_on_a_view_of_a_leaf_still_raises(op):
    assert_same_error(lambda: _leaf_view(torch, op), lambda: _leaf_view(torchless, op))


def _under_no_grad(lib):
    x = lib.tensor(X, requires_grad=True)
    y = x * 1.5
    with lib.no_grad():
        y[:, 1:].mul_(2.0)
        y.t()[0].zero_()
    names = _names(y)
    (y * y).sum().backward()
    return y.detach().numpy().copy(), names, x.grad.numpy()


def test_no_grad_writes_stay_unrecorded():
    ours, theirs = _under_no_grad(torchless), _under_no_grad(torch)
    np.testing.assert_allclose(ours[0], theirs[0])
    assert ours[1] == theirs[1] == ["MulBackward0"]
    np.testing.assert_allclose(ours[2], theirs[2])


@pytest.mark.parametrize("case", [
    lambda lib: (lambda y: (y[0].add_(1), y)[1])(lib.zeros(3)),
    lambda lib: (lambda z: (z[0, 1].fill_(5), z)[1])(lib.zeros(2, 2)),
    lambda lib: (lambda a: (lambda s: (a.add_(1), s)[1])(a[2]))(lib.arange(4.0)),  # the element sees its base change
])
def test_an_element_picked_by_ints_is_a_view_as_in_torch(case):
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(case(torchless).numpy(), case(torch).numpy())


def test_in_place_on_an_element_of_a_non_leaf_reaches_the_leaf_gradient():
    torch = pytest.importorskip("torch")

    def run(lib):
        w = lib.zeros(3, requires_grad=True)
        v = w.clone()
        v[1].mul_(2).add_(1)
        (v * lib.arange(1.0, 4.0)).sum().backward()
        return v.detach().numpy(), w.grad.numpy()

    for ours, theirs in zip(run(torchless), run(torch)):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("case", [
    lambda lib: (lambda x: (x.diagonal().add_(100), x)[1])(lib.arange(12.0).reshape(3, 4)),
    lambda lib: (lambda x: (x.diagonal(1).zero_(), x)[1])(lib.arange(12.0).reshape(3, 4)),
    lambda lib: (lambda x: (lambda d: (x.add_(1), d)[1])(x.diagonal(0, 1, 0)))(lib.arange(12.0).reshape(3, 4)),
    lambda lib: (lambda x: (x.diag().add_(100), x)[1])(lib.arange(12.0).reshape(3, 4)),  # diag copies
    lambda lib: (lambda x: (x.real.add_(1), x)[1])(lib.arange(3.0)),
])
def test_diagonal_and_real_are_views_as_in_torch(case):
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(case(torchless).numpy(), case(torch).numpy())


def test_in_place_on_a_diagonal_of_a_non_leaf_reaches_the_leaf_gradient():
    torch = pytest.importorskip("torch")

    def run(lib):
        w = lib.zeros(3, 3, requires_grad=True)
        v = w * 1
        v.diagonal().mul_(3).add_(5)
        (v * lib.arange(9.0).reshape(3, 3)).sum().backward()
        return v.detach().numpy(), w.grad.numpy()

    for ours, theirs in zip(run(torchless), run(torch)):
        np.testing.assert_array_equal(ours, theirs)


def test_imag_of_a_real_tensor_is_torchs_error():
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.arange(3.0).imag, lambda: torchless.arange(3.0).imag)
    assert_same_error(lambda: torch.imag(torch.arange(3.0)), lambda: torchless.imag(torchless.arange(3.0)))
