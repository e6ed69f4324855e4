"""Regression tests of autograd21, each against PyTorch: autograd.grad returns the gradients the engine computed
(their strides, their aliasing of the given gradients), flip's backward."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _address(lib, tensor):
    return tensor.data_ptr() if lib is torch else tensor._data.__array_interface__["data"][0]


# ---------------------------------------------------------------------------------------------------------------
# autograd.grad: PyTorch returns the gradient tensors themselves, no copies: an identity-like graph hands back the
# given grad_output (the same object, or a view of its memory), a sum's gradient is expanded (zero strides)

_GRAPHS = {
    "clone": lambda lib, x: x.clone(),
    "add_number": lambda lib, x: x + 1,
    "positive": lambda lib, x: +x,
    "add_detached": lambda lib, x: x + x.detach(),
    "transpose": lambda lib, x: x.transpose(0, 1),
    "permute": lambda lib, x: x.permute(1, 0, 2),
    "flatten": lambda lib, x: x.flatten(),
    "unsqueeze": lambda lib, x: x.unsqueeze(1),
    "mT": lambda lib, x: x.mT,
    "contiguous_of_transpose": lambda lib, x: x.transpose(0, 2).contiguous(),
    "sum": lambda lib, x: x.sum(),
    "sum_dim": lambda lib, x: x.sum(1),
    "sum_keepdim": lambda lib, x: x.sum(1, keepdim=True),
    "flip": lambda lib, x: x.flip(0),
    "flip_twice_used": lambda lib, x: x.flip(0) + x.flip(2),
    "mul": lambda lib, x: x * 2,
    "relu": lambda lib, x: x.relu(),
}


def _grad_result(lib, graph, transposed_input, transposed_gradient):
    values = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5
    if transposed_input:
        x = lib.tensor(np.ascontiguousarray(values.swapaxes(0, 1))).transpose(0, 1).requires_grad_()
    else:
        x = lib.tensor(values).requires_grad_()
    y = _GRAPHS[graph](lib, x)
    seed = np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(tuple(y.shape))
    if transposed_gradient and y.dim() >= 2:
        given = lib.tensor(np.ascontiguousarray(seed.swapaxes(0, 1))).transpose(0, 1)
    else:
        given = lib.tensor(seed)
    (result,) = lib.autograd.grad(y, x, given)
    return (result.detach().numpy().copy(), tuple(result.stride()), _address(lib, result) == _address(lib, given),
            result is given)


@pytest.mark.parametrize("transposed_gradient", [False, True])
@pytest.mark.parametrize("transposed_input", [False, True])
@pytest.mark.parametrize("graph", sorted(_GRAPHS))
def test_grad_returns_the_gradient_itself_as_torch(graph, transposed_input, transposed_gradient):
    ours = _grad_result(torchless, graph, transposed_input, transposed_gradient)
    theirs = _grad_result(torch, graph, transposed_input, transposed_gradient)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]


def test_grad_of_a_tensor_by_itself_is_the_given_gradient_as_torch():
    for lib in (torchless, torch):
        x = lib.ones(3, requires_grad=True)
        a = x * 2
        given = lib.full((3,), 5.0)
        first, second = lib.autograd.grad(a, [a, a], given)
        assert first is given and second is given, lib.__name__
        (leaf,) = lib.autograd.grad(x, x, given)
        assert leaf is given, lib.__name__


def test_grad_result_aliases_the_given_gradient_in_memory_as_torch():
    results = {}
    for lib in (torchless, torch):
        x = lib.zeros(2, 3, requires_grad=True)
        given = lib.ones(3, 2)
        (result,) = lib.autograd.grad(x.t(), x, given)
        given.mul_(4)  # PyTorch's result is a view of the given gradient: it sees the change
        results[lib] = result.numpy().copy()
    np.testing.assert_array_equal(results[torchless], results[torch])


def test_grad_of_sum_is_expanded_and_refuses_in_place_addition_as_torch():
    errors = {}
    for lib in (torchless, torch):
        x = lib.ones(2, 3, requires_grad=True)
        (result,) = lib.autograd.grad(x.sum(), x)
        assert tuple(result.stride()) == (0, 0)
        with pytest.raises(RuntimeError) as error:
            result.add_(1)
        errors[lib] = str(error.value)
    assert errors[torchless] == errors[torch]
