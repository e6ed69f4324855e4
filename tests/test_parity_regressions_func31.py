"""Session 31, torch.func and forward-mode AD, compared with PyTorch 2.13.0:

- forward AD through in-place ops on views: the base of a view written in place gets the view's tangent over the
  view's elements (zeros elsewhere if it had none), and the other views of that base re-read theirs from it, as
  PyTorch's tangent of a view is a view of its base's. make_dual's result owns its tangent: a view made from it
  writes into that tangent, not into the primal's (which stays without one). CopySlices' tangent was its base's
  alone, and the other views kept stale tangents.
"""
import pytest

import torchless

torch = pytest.importorskip("torch")


def _error(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type and message are what is compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    raise AssertionError("no error raised")


def _same_error(program):
    assert _error(lambda: program(torchless)) == _error(lambda: program(torch))


def _assert_same(actual, expected, rtol=1e-4):
    """``actual`` (torchless) is ``expected`` (torch): nested tuples, lists and dicts of tensors, None or plain
    values; tensors of the same shape and dtype, values within ``rtol``."""
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            _assert_same(actual[key], expected[key], rtol)
    elif isinstance(expected, (tuple, list)):
        assert type(actual).__name__ == type(expected).__name__ and len(actual) == len(expected)
        for got, want in zip(actual, expected):
            _assert_same(got, want, rtol)
    elif isinstance(expected, torch.Tensor):
        assert isinstance(actual, torchless.Tensor)
        assert str(actual.dtype) == str(expected.dtype).replace("torch", "torchless")
        torch.testing.assert_close(torch.from_numpy(actual.detach().numpy().copy()), expected.detach(), rtol=rtol,
                                   atol=rtol * 1e-1)
    else:
        assert actual == expected


# ------------------------------------------------------------------ forward AD: tangents of views written in place

def _tangents(lib, program):
    """The tangents ``program(lib, fwAD)`` returns (tensors or None), read inside its dual level."""
    fwAD = lib.autograd.forward_ad
    with fwAD.dual_level():
        return [None if t is None else fwAD.unpack_dual(t).tangent for t in program(lib, fwAD)]


def _view_of_plain_written(lib, fwAD):
    base = lib.zeros(4, dtype=lib.float64)
    view = base[1:]
    view.add_(fwAD.make_dual(lib.arange(3.), lib.arange(10., 40., 10.)))
    return [base, view]


def _view_of_view_written(lib, fwAD):
    base = lib.zeros(5, dtype=lib.float64)
    outer = base[1:]
    inner = outer[1:3]
    inner.copy_(fwAD.make_dual(lib.ones(2, dtype=lib.float64), lib.tensor([3., 4.], dtype=lib.float64)))
    return [base, outer, inner]


def _transposed_view_written(lib, fwAD):
    base = lib.zeros(2, 3, dtype=lib.float64)
    other = base[1]
    base.t()[0].mul_(0).add_(fwAD.make_dual(lib.ones(2, dtype=lib.float64), lib.tensor([5., 6.], dtype=lib.float64)))
    return [base, other]


def _view_of_dual_written(lib, fwAD):
    primal = lib.zeros(4, dtype=lib.float64)
    dual = fwAD.make_dual(primal, lib.arange(1., 5., dtype=lib.float64))
    view = dual[1:3]
    view.mul_(2)
    return [dual, view, primal]


def _dual_written(lib, fwAD):
    primal = lib.zeros(4, dtype=lib.float64)
    dual = fwAD.make_dual(primal, lib.ones(4, dtype=lib.float64))
    view = dual[::2]
    dual.mul_(3)
    return [dual, view, primal]


def _primal_written_under_dual(lib, fwAD):
    primal = lib.zeros(4, dtype=lib.float64)
    dual = fwAD.make_dual(primal, lib.ones(4, dtype=lib.float64))
    primal.add_(fwAD.make_dual(lib.zeros(4, dtype=lib.float64), lib.full((4,), 5., dtype=lib.float64)))
    return [dual, primal]


def _overlapping_views(lib, fwAD):
    base = lib.zeros(4, dtype=lib.float64)
    first, second = base[:2], base[1:3]
    first.copy_(fwAD.make_dual(lib.zeros(2, dtype=lib.float64), lib.full((2,), 5., dtype=lib.float64)))
    return [base, first, second]


def _setitem_on_clone_of_dual(lib, fwAD):
    x = fwAD.make_dual(lib.arange(6., dtype=lib.float64).reshape(2, 3),
                       lib.arange(6., dtype=lib.float64).reshape(2, 3) + 1)
    y = x.clone()
    row = y[0]
    y[:, 1] = y[:, 1] * x[1, :2].sum()
    return [y, row]


def _inplace_relu_on_view(lib, fwAD):
    x = fwAD.make_dual(lib.tensor([[-1., 2.], [3., -4.]], dtype=lib.float64), lib.ones(2, 2, dtype=lib.float64))
    y = x * 1
    column = y[:, 1]
    lib.nn.functional.relu(y[1], inplace=True)
    return [y, column]


@pytest.mark.parametrize("program", [_view_of_plain_written, _view_of_view_written, _transposed_view_written,
                                     _view_of_dual_written, _dual_written, _primal_written_under_dual,
                                     _overlapping_views, _setitem_on_clone_of_dual, _inplace_relu_on_view])
def test_forward_ad_tangents_of_views_written_in_place(program):
    _assert_same(_tangents(torchless, program), _tangents(torch, program), rtol=1e-10)
