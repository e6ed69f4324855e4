"""Small differences from PyTorch found in the thirty-sixth session, each compared with torch at run time and, where
the expected value or words follow from first principles (or are PyTorch's documented words), also without it.

* F.embedding / F.embedding_bag with max_norm renormalise an expanded weight through its shared memory, as PyTorch's
  embedding_renorm_ does row after row (NumPy's "output array is read-only" before); a row that itself repeats an
  element is refused in PyTorch's words;
* F.linear takes ``out=`` (keyword-only), its dtype checked as PyTorch's addmm's;
* the Tensor binary methods (remainder, fmod, atan2, maximum, ..., their in-place forms) and the comparisons
  (eq, ne, lt, ..., eq_, ...) read NumPy's ``x2=`` for ``other`` as PyTorch's parser does;
* nonzero, stride, pin_memory, is_pinned, map_, to and numpy refuse extra or wrong arguments in PyTorch's parser's
  words (pin_memory / is_pinned read their deprecated device with
  its DeprecationWarning); type() takes memory_format;
* F.soft_margin_loss computes complex inputs (their gradient refused in PyTorch's words);
* F.ctc_loss refuses a target label outside [0, C) with a RuntimeError naming it (PyTorch's kernel reads out of
  bounds there: undefined; NumPy's bare IndexError before);
* ConstantPad / ZeroPad layers set ``value`` before ``padding``, PyTorch's attribute order.
"""
import importlib.util

import numpy as np
import pytest

import torchless
from helpers import run_python


def _outcome(lib, source):
    """(exception type name, message with the library's name as torch's) of ``source`` run with ``lib`` (``F`` its
    nn.functional, ``nn`` its nn); else ("OK", the value of ``r`` and of ``w``, where set, as lists)."""
    names = {"lib": lib, "F": lib.nn.functional, "nn": lib.nn, "np": np}
    try:
        exec(source, names)
    except Exception as error:  # (compared as the user sees it)
        return type(error).__name__, str(error).replace("torchless", "torch")
    return "OK", _plain([names[key] for key in ("r", "w") if key in names])


def _plain(value):
    """``value`` with its tensors as (nested) lists and its tuples as lists."""
    if hasattr(value, "detach"):
        return ["tensor", value.detach().tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value.replace("torchless", "torch") if isinstance(value, str) else value


def _assert_same(got, want):
    if isinstance(want, list) and want and want[0] == "tensor":
        assert isinstance(got, list) and got and got[0] == "tensor"
        np.testing.assert_allclose(np.asarray(got[1]), np.asarray(want[1]), rtol=2e-6, atol=1e-7)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for item, wanted in zip(got, want):
            _assert_same(item, wanted)
    else:
        assert got == want and type(got) is type(want)


def _assert_as_torch(source):
    """The same exception (type and words) as torch's, or the same values to float32 precision."""
    torch = pytest.importorskip("torch")
    actual, expected = _outcome(torchless, source), _outcome(torch, source)
    if actual[0] == expected[0] == "OK":
        _assert_same(actual[1], expected[1])
    else:
        assert actual == expected


# ----------------------------------------------------------------------------- embedding's max_norm
_EMBEDDING = [
    "w = (lib.arange(4.) + 1).reshape(1, 4).expand(5, 4).detach().requires_grad_(); "
    "r = F.embedding(lib.tensor([[0, 2]]), w, max_norm=1.0)",
    "w = (lib.arange(4.) + 1).reshape(1, 4).expand(5, 4); "
    "r = F.embedding(lib.tensor([[0, 2], [4, 4]]), w, max_norm=2.0, norm_type=1.0)",
    "w = (lib.arange(5.) + 1).reshape(5, 1).expand(5, 4); r = F.embedding(lib.tensor([[0, 2]]), w, max_norm=1.0)",
    "b = lib.arange(20.).reshape(5, 4); r = F.embedding(lib.tensor([[0, 2]]), b[1:], max_norm=1.0); w = b",
    "b = lib.arange(20.).reshape(4, 5); r = F.embedding(lib.tensor([[0, 2]]), b.t(), max_norm=1.0); w = b",
    "w = (lib.arange(4.) + 1).reshape(1, 4).expand(5, 4); r = F.embedding_bag(lib.tensor([[0, 2]]), w, max_norm=1.0)",
    "w = lib.ones(4).expand(3, 4); r = lib.embedding_renorm_(w, lib.tensor([0, 1]), 1.0, 2.0)",
]


@pytest.mark.parametrize("source", _EMBEDDING)
def test_embedding_max_norm_views_as_torch(source):
    _assert_as_torch(source)


def test_embedding_max_norm_expanded_weight_from_first_principles():
    """All rows share one: the first row looked up is scaled to max_norm / (norm + 1e-7), then the second, the same
    memory, has norm max_norm (within rounding) and is left alone."""
    row = np.arange(1.0, 5.0)
    weight = torchless.tensor(row.astype(np.float32)).reshape(1, 4).expand(5, 4).detach().requires_grad_()
    out = torchless.nn.functional.embedding(torchless.tensor([[0, 2]]), weight, max_norm=1.0)
    expected = row * (1.0 / (np.linalg.norm(row) + 1e-7))
    np.testing.assert_allclose(weight.detach().numpy(), np.tile(expected, (5, 1)), rtol=1e-6)
    np.testing.assert_allclose(out.detach().numpy()[0], np.tile(expected, (2, 1)), rtol=1e-6)
    assert out.grad_fn is not None and weight._version == 1
    repeated = torchless.arange(1.0, 6.0).reshape(5, 1).expand(5, 4)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        torchless.nn.functional.embedding(torchless.tensor([0]), repeated, max_norm=1.0)


# ----------------------------------------------------------------------------- F.linear(out=)
_LINEAR = [
    "x = lib.arange(8.).reshape(2, 4); t = lib.empty(2, 3); "
    "r = F.linear(x, lib.arange(12.).reshape(3, 4) / 7, out=t); r = [r is t, t]",
    "x = lib.arange(8.).reshape(2, 4); t = lib.empty(0); "
    "r = F.linear(x, lib.arange(12.).reshape(3, 4) / 7, lib.tensor([1., 2., 3.]), out=t); r = [r is t, t]",
    "t = lib.empty(2, 2, 3); r = F.linear(lib.ones(2, 2, 4), lib.ones(3, 4), lib.ones(3), out=t); r = [r is t, t]",
    "t = lib.empty(2); r = F.linear(lib.ones(2, 4), lib.ones(4), out=t); r = [r is t, t]",
    "t = lib.empty(2, 3, dtype=lib.float64); F.linear(lib.ones(2, 4), lib.ones(3, 4), out=t)",
    "t = lib.empty(2, 3, dtype=lib.long); F.linear(lib.ones(2, 4), lib.ones(3, 4), out=t)",
    "F.linear(lib.ones(2, 4), lib.ones(3, 4, requires_grad=True), out=lib.empty(2, 3))",
    "F.linear(lib.ones(2, 4), lib.ones(3, 4), out=3)",
    "r = F.linear(lib.ones(2, 4), lib.ones(3, 4), out=None)",
    "F.linear(lib.ones(2, 4), lib.ones(3, 4), None, lib.empty(2, 3))",
    "F.linear(lib.ones(2, 4), out=lib.empty(2, 3))",
    "F.linear(lib.ones(2, 4), lib.ones(3, 4), out=lib.empty(2, 3), bogus=1)",
    "t = lib.empty(2, 3); r = lib._C._nn.linear(lib.ones(2, 4), lib.ones(3, 4), out=t); r = [r is t, t]",
]


@pytest.mark.parametrize("source", _LINEAR)
def test_linear_out_as_torch(source):
    _assert_as_torch(source)


def test_linear_out_from_first_principles():
    x, w, b = np.arange(8.0).reshape(2, 4), np.arange(12.0).reshape(3, 4) / 7, np.array([1.0, 2.0, 3.0])
    out = torchless.empty(2, 3)
    result = torchless.nn.functional.linear(torchless.tensor(x, dtype=torchless.float32),
                                            torchless.tensor(w, dtype=torchless.float32),
                                            torchless.tensor(b, dtype=torchless.float32), out=out)
    assert result is out
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-6)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got double instead"):
        torchless.nn.functional.linear(torchless.ones(2, 4), torchless.ones(3, 4),
                                       out=torchless.empty(2, 3, dtype=torchless.float64))


# ----------------------------------------------------------------------------- NumPy's x2= for other
_X2_METHODS = ("eq ne lt le gt ge greater less greater_equal less_equal not_equal remainder fmod atan2 hypot copysign "
               "maximum minimum fmax fmin logaddexp logical_and xlogy nextafter true_divide").split()
_X2_IN_PLACE = ("eq_ lt_ ge_ greater_ not_equal_ remainder_ fmod_ atan2_ hypot_ copysign_ logical_and_ xlogy_ "
                "nextafter_ subtract_ divide_").split()
_X2_CALLS = [f"x = lib.tensor([1., 2.5, -3.]); r = [x.{name}(x2=lib.tensor([1., 2., 2.])), x]"
             for name in _X2_METHODS + _X2_IN_PLACE] + [
    "x = lib.tensor([1, 3]); r = [x.bitwise_and(x2=lib.tensor([1, 2])), x.bitwise_and_(x2=lib.tensor([3, 3]))]",
    "x = lib.tensor([1., 2.5]); r = [x.ldexp(x2=lib.tensor([1, 2])), x.eq(x2=1), x.lt_(x2=2)]",
    "lib.ones(2).eq(x2=lib.ones(2), bogus=1)", "lib.ones(2).eq_(x2=lib.ones(2), other=lib.ones(2))",
    "lib.ones(2).remainder(x2=lib.ones(2), bogus=1)", "lib.ones(2).eq(bogus=1)", "lib.ones(2).lt_()",
    "lib.ones(2).remainder_(lib.ones(2), x2=lib.ones(2))",
]


@pytest.mark.parametrize("source", _X2_CALLS)
def test_x2_operand_as_torch(source):
    _assert_as_torch(source)


def test_x2_operand_from_first_principles():
    x, o = torchless.tensor([1.0, 2.5, -3.0]), torchless.tensor([1.0, 2.0, 2.0])
    assert x.eq(x2=o).tolist() == [True, False, False]
    assert x.remainder(x2=o).tolist() == [0.0, 0.5, 1.0]  # (the divisor's sign: -3 mod 2 is 1)
    y = x.clone()
    assert y.fmod_(x2=o) is y and y.tolist() == [0.0, 0.5, -1.0]  # (the dividend's sign)
    with pytest.raises(TypeError, match="eq_"):
        x.eq_(x2=o, bogus=1)


# ----------------------------------------------------------------------------- the methods' parser errors
_METHOD_CALLS = [f"x = lib.arange(6.).reshape(2, 3); r = x.{call}" for call in [
    "nonzero(bogus=1)", "nonzero(None)", "nonzero(1, bogus=2)", "nonzero(True)", "nonzero(0, 1)",
    "nonzero(out=None)", "nonzero(as_tuple=True, bogus=1)", "nonzero(as_tuple=1)", "nonzero(as_tuple=True)",
    "stride(bogus=1)", "stride(0, 1)", "stride(dim=0, bogus=1)", "stride('a')", "stride(None)", "stride(dim=-1)",
    "bernoulli(None)", "pin_memory('a')", "pin_memory(1.5)", "pin_memory(device=1.5)", "pin_memory(x)",
    "pin_memory(True)", "pin_memory(1)", "pin_memory(-1)", "pin_memory()", "pin_memory('cpu', 1)",
    "pin_memory(bogus=1)", "is_pinned()", "is_pinned(1.5)", "is_pinned('a')", "is_pinned(0, 1)", "is_pinned(1)",
    "map_(None)", "map_('a')", "map_(1, bogus=2)", "map_(x)", "map_()", "map_(other=1)", "map_(x, lambda a, b: a, 3)",
    "to('cpu', lib.long, True, True, 5)", "to(lib.long, True, True, 5)", "to(bogus=1)", "to('cpu', 'cpu')",
    "type(lib.long, True, True)", "type(memory_format=lib.contiguous_format)",
    "type(lib.float64, memory_format=lib.channels_last).stride()", "type(lib.float64, memory_format=1)",
    "numpy(*range(9))", "numpy(0, 1)", "numpy(bogus=1)", "numpy(True)", "contiguous(1)", "cpu(1, 2)",
]]


@pytest.mark.parametrize("source", _METHOD_CALLS)
def test_method_arguments_as_torch(source):
    _assert_as_torch(source)


@pytest.mark.parametrize("call, words", [
    ("nonzero(None)", "nonzero() takes from 1 to 0 positional arguments but 1 were given"),  # (sic)
    ("stride(bogus=1)", "stride() got an unexpected keyword argument 'bogus'"),
    ("pin_memory(1.5)", "pin_memory(): argument 'device' (position 1) must be torch.device, not float"),
    ("map_(None)", "map_(): argument 'other' (position 1) must be Tensor, not NoneType"),
    ("to('cpu', torch.long, True, True, 5)", "to() takes from 0 to 4 positional arguments but 5 were given"),
    ("numpy(*range(9))", "numpy() takes 0 positional arguments but 9 were given"),
])
def test_method_argument_words_without_torch(call, words):
    x = torchless.arange(6.0).reshape(2, 3)
    with pytest.raises(TypeError) as caught:
        eval(f"x.{call}", {"x": x, "torch": torchless})
    assert str(caught.value).replace("torchless", "torch") == words


_PIN_SCRIPT = """
import sys, warnings
warnings.simplefilter("always")
import {lib} as torch
x = torch.ones(2)
for call in ("x.pin_memory('cpu')", "x.pin_memory(device='meta')", "x.is_pinned('cpu')", "x.is_pinned('cuda')"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            print(call, eval(call))
        except RuntimeError as error:
            print(call, "RuntimeError", str(error)[:60])
    print([(w.category.__name__, str(w.message)) for w in caught])
"""


def test_pin_memory_device_deprecated_in_a_fresh_process():
    """The device argument's DeprecationWarning (pin_memory's, then is_pinned's, which it asks), then PyTorch's
    refusal of a device that is no accelerator."""
    out, _ = run_python(["-c", _PIN_SCRIPT.format(lib="torchless")])
    lines = out.splitlines()
    assert lines[0] == "x.pin_memory('cpu') RuntimeError CPU device type not an accelerator."
    assert "DeprecationWarning" in lines[1] and "Tensor.pin_memory()" in lines[1] and "Tensor.is_pinned()" in lines[1]
    assert lines[2] == "x.pin_memory(device='meta') RuntimeError META device type not an accelerator."
    assert lines[4] == "x.is_pinned('cpu') False" and lines[6] == "x.is_pinned('cuda') False"
    if importlib.util.find_spec("torch") is None:
        return
    expected, _ = run_python(["-c", _PIN_SCRIPT.format(lib="torch")])
    assert out == expected


# ----------------------------------------------------------------------------- soft_margin_loss of complex inputs
_SOFT_MARGIN = [
    f"x = (lib.arange(4.) / 3 - 0.5 + 1j * lib.arange(4.) / 5).to({xd}); "
    f"t = lib.tensor([1., -1., 2., 0.5]){' + 1j * lib.tensor([0.3, 0., -0.2, 1.])' if complex_target else ''}; "
    f"r = F.soft_margin_loss(x, t, reduction='{reduction}')"
    for xd in ("lib.complex64", "lib.complex128") for complex_target in (False, True)
    for reduction in ("mean", "sum", "none")] + [
    "F.soft_margin_loss(lib.ones(3, dtype=lib.complex64, requires_grad=True), lib.ones(3))",
    "F.soft_margin_loss(lib.ones(3), lib.ones(3, dtype=lib.complex64))",
    "F.soft_margin_loss(lib.ones(3, dtype=lib.long), lib.ones(3))",
]


@pytest.mark.parametrize("source", _SOFT_MARGIN)
def test_soft_margin_loss_complex_as_torch(source):
    _assert_as_torch(source)


def test_soft_margin_loss_complex_from_first_principles():
    x = np.array([0.5 + 0.25j, -1.0 + 0.5j, 2.0 - 1.0j])
    y = np.array([1.0, -1.0, 0.5])
    loss = torchless.nn.functional.soft_margin_loss(torchless.tensor(x), torchless.tensor(y), reduction="none")
    np.testing.assert_allclose(loss.numpy(), np.log1p(np.exp(-y * x)), rtol=1e-12)
    with pytest.raises(RuntimeError, match="soft_margin_loss does not support automatic differentiation for outputs "
                                           "with complex dtype"):
        torchless.nn.functional.soft_margin_loss(torchless.tensor(x, requires_grad=True), torchless.tensor(y))


# ----------------------------------------------------------------------------- ctc_loss's labels
@pytest.mark.parametrize("targets, label, index", [([[1, 2], [3, 5]], 5, 1), ([[1, -1], [3, 4]], -1, 0),
                                                   ([1, 2, 7, 4], 7, 1)])
def test_ctc_loss_label_outside_the_classes(targets, label, index):
    """PyTorch reads out of bounds there (undefined): a RuntimeError naming the label and the class count."""
    log_probs = torchless.randn(6, 2, 5).log_softmax(2)
    with pytest.raises(RuntimeError) as caught:
        torchless.nn.functional.ctc_loss(log_probs, torchless.tensor(targets), torchless.tensor([6, 6]),
                                         torchless.tensor([2, 2]))
    assert f"target {index} has label {label}" in str(caught.value) and "5 classes" in str(caught.value)


def test_ctc_loss_padding_past_the_lengths_not_read():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).standard_normal((6, 2, 5)).astype(np.float32)
    losses = []
    for lib in (torchless, torch):
        log_probs = lib.tensor(values).log_softmax(2)
        losses.append(lib.nn.functional.ctc_loss(log_probs, lib.tensor([[1, 2, 9], [3, 4, -1]]), lib.tensor([6, 6]),
                                                 lib.tensor([2, 2])).item())
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)


# ----------------------------------------------------------------------------- padding layers' attributes
@pytest.mark.parametrize("layer", ["ConstantPad1d(1, 0.5)", "ConstantPad2d(1, 0.)", "ConstantPad3d((1,) * 6, 2.)",
                                   "ZeroPad1d(1)", "ZeroPad2d((1, 2, 3, 4))", "ZeroPad3d(1)", "ReflectionPad2d(1)"])
def test_padding_attribute_order(layer):
    ours = list(vars(eval(f"nn.{layer}", {"nn": torchless.nn})))
    if layer.startswith(("Constant", "Zero")):
        assert ours[-2:] == ["value", "padding"]
    torch = pytest.importorskip("torch")
    assert ours == list(vars(eval(f"nn.{layer}", {"nn": torch.nn})))
