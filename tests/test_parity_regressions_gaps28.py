"""Parity regressions of session 28 (gaps28): index_add on an empty tensor, integer results of index_fill and
masked_fill refused to autograd, and PyTorch's functional optimizer API (torch.optim.sgd.sgd, adam.adam, ...)."""
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(call):
    try:
        result = call()
    except Exception as error:  # noqa: BLE001 - the type and message are compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    return result


# ---------------------------------------------------------------------------- index_add into an empty tensor
@pytest.mark.parametrize("shape, dim, source_shape, alpha, index", [
    ((0, 3), 0, (2, 3), 1, [0, 1]), ((0, 3), 0, (2, 3), 2, [0, 7]), ((3, 0), 1, (3, 2), 1, [0, 1]),
    ((2, 0, 3), 1, (2, 2, 3), 2, [0, 7]), ((0, 2, 3), 1, (0, 2, 3), 1, [0, 9]), ((0,), 0, (2,), 1, [0, 1]),
    ((0, 3), 0, (3, 3), 1, [0, 1]), ((0, 3), 0, (2, 4), 1, [0, 1]), ((2, 0), 0, (2, 0), 1, [0, 5]),
])
@pytest.mark.parametrize("in_place", [False, True])
def test_index_add_into_an_empty_tensor(shape, dim, source_shape, alpha, index, in_place):
    def run(lib):
        def call():
            out = lib.zeros(*shape)
            method = out.index_add_ if in_place else out.index_add
            return tuple(method(dim, lib.tensor(index), lib.ones(*source_shape), alpha=alpha).shape)
        return _outcome(call)
    assert run(torchless) == run(torch)


@pytest.mark.parametrize("shape, dim, source_shape, index", [
    ((0, 3), 0, (2, 3), [0, 1]), ((3, 0), 1, (3, 2), [0, 1]), ((2, 0), 0, (2, 0), [0, 5]), ((2, 0), 0, (2, 0), [0, 1]),
    ((0, 3), 1, (0, 2), [0, 2]),
])
@pytest.mark.parametrize("source_requires_grad", [False, True])
def test_index_add_into_an_empty_tensor_backward(shape, dim, source_shape, index, source_requires_grad):
    def run(lib):
        def call():
            x = lib.zeros(*shape, requires_grad=True)
            source = lib.ones(*source_shape, requires_grad=source_requires_grad)
            x.index_add(dim, lib.tensor(index), source, alpha=2).sum().backward()
            return tuple(x.grad.shape), None if source.grad is None else source.grad.tolist()
        return _outcome(call)
    assert run(torchless) == run(torch)


# ---------------------------------------------------------------------------- integer fills recording a gradient
_FILLED_DTYPES = ["int64", "int32", "uint8", "bool", "float32", "float64", "complex64"]


def _fill(lib, op, dtype, value_requires_grad):
    x = lib.zeros(3, dtype=getattr(lib, dtype))
    value = lib.tensor(1.5, requires_grad=value_requires_grad)
    mask = lib.tensor([True, False, True])
    calls = {"index_fill": lambda: x.index_fill(0, lib.tensor([1]), value),
             "index_fill_": lambda: x.index_fill_(0, lib.tensor([1]), value),
             "torch.index_fill": lambda: lib.index_fill(x, 0, lib.tensor([1]), value),
             "masked_fill": lambda: x.masked_fill(mask, value),
             "masked_fill_": lambda: x.masked_fill_(mask, value),
             "torch.masked_fill": lambda: lib.masked_fill(x, mask, value)}
    result = calls[op]()
    return str(result.dtype).split(".")[-1], result.tolist(), result.requires_grad, type(result.grad_fn).__name__


@pytest.mark.parametrize("op", ["index_fill", "index_fill_", "torch.index_fill", "masked_fill", "masked_fill_",
                                "torch.masked_fill"])
@pytest.mark.parametrize("dtype", _FILLED_DTYPES)
@pytest.mark.parametrize("value_requires_grad", [False, True])
def test_fill_of_an_integer_tensor_with_a_value_requiring_grad(op, dtype, value_requires_grad):
    expected = _outcome(lambda: _fill(torch, op, dtype, value_requires_grad))
    assert _outcome(lambda: _fill(torchless, op, dtype, value_requires_grad)) == expected


def test_fill_of_an_integer_tensor_without_grad_mode_is_not_refused():
    for lib in (torch, torchless):
        with lib.no_grad():
            out = lib.zeros(2, dtype=lib.long).index_fill(0, lib.tensor([1]), lib.tensor(1.5, requires_grad=True))
        assert out.tolist() == [0, 1] and not out.requires_grad

