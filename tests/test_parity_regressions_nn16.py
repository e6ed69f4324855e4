"""Regression tests of nn16: activations, losses, normalization, dropout, linear and embedding against PyTorch."""
import numpy as np
import pytest

import torchless
import torchless.nn.functional as F


def _error(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - the exception itself is compared
        return type(error), str(error).replace("torchless", "torch")
    return None


def _same_error(call):
    torch = pytest.importorskip("torch")
    expected, actual = _error(lambda: call(torch)), _error(lambda: call(torchless))
    assert expected is not None and actual == expected


@pytest.mark.parametrize("call", [
    lambda t: t.nn.functional.linear(t.ones(2, 3)),
    lambda t: t.nn.functional.linear(weight=t.ones(2, 3)),
    lambda t: t.nn.functional.linear(),
    lambda t: t.nn.functional.linear(1),
    lambda t: t.nn.functional.linear(t.ones(2, 3), t.ones(4, 3), None, 1),
    lambda t: t.nn.functional.bilinear(t.ones(2, 3), weight=t.ones(2, 3, 3)),
    lambda t: t.nn.functional.bilinear(1),
    lambda t: t.nn.functional.bilinear(),
])
def test_linear_and_bilinear_missing_arguments_have_the_parsers_message(call):
    _same_error(call)


def test_missing_argument_message_torch_free():
    with pytest.raises(TypeError) as info:
        F.linear(torchless.ones(2, 3))
    assert str(info.value) == 'linear() missing 1 required positional arguments: "weight"'
    with pytest.raises(TypeError) as info:
        F.threshold_(torchless.ones(2))
    assert str(info.value) == 'threshold_() missing 2 required positional argument: "threshold", "value"'


@pytest.mark.parametrize("call", [
    lambda t: t.nn.functional.elu_(),
    lambda t: t.nn.functional.rrelu_(lower=0.1),
    lambda t: t.nn.functional.softplus(),
    lambda t: t.nn.functional.gelu(approximate="tanh"),
    lambda t: t.nn.functional.logsigmoid(),
    lambda t: t.nn.functional.hardshrink(),
    lambda t: t.nn.functional.softshrink(),
    lambda t: t.nn.functional.leaky_relu_(),
    lambda t: t.nn.functional.hardtanh_(),
    lambda t: t.nn.functional.celu_(),
    lambda t: t.nn.functional.threshold_(t.ones(2), value=1),
    lambda t: t.nn.functional.threshold_(1, value=1),
    lambda t: t.nn.functional.threshold_(t.ones(2), "a"),
])
def test_native_activations_missing_arguments_have_the_parsers_message(call):
    _same_error(call)


@pytest.mark.parametrize("args, kwargs", [((2.0, 0.5, 3), {}), ((), {"scale": 2, "input_scale": 0.25}),
                                          ((-1.0, 2.0), {}), ((1, 1, 1, 1), {})])
def test_elu_in_place_takes_scale_and_input_scale(args, kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(0).randn(3, 4)

    def run(lib):
        a = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.elu_(a * 1, *args, **kwargs)
        y.sum().backward()
        return y.detach().numpy(), a.grad.numpy()

    expected, actual = _error(lambda: run(torch)), _error(lambda: run(torchless))
    assert expected == actual
    if expected is None:
        for e, a in zip(run(torch), run(torchless)):
            np.testing.assert_allclose(a, e, rtol=1e-10)


def test_elu_in_place_scale_torch_free():
    x = np.random.RandomState(1).randn(3, 4)
    out = F.elu_(torchless.tensor(x), 2.0, 0.5, 3).numpy()  # scale * x, or alpha * scale * (e^(input_scale x) - 1)
    np.testing.assert_allclose(out, np.where(x > 0, 0.5 * x, 2.0 * 0.5 * np.expm1(3 * x)), rtol=1e-12)


def test_rrelu_takes_its_generator():
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(0).randn(3, 4)

    def run(lib, fn, **kwargs):
        return fn(lib)(lib.tensor(x), 0.1, 0.3, True, lib.Generator().manual_seed(3), **kwargs).numpy()

    for fn in (lambda lib: lib.rrelu, lambda lib: lib.rrelu_, lambda lib: lib.nn.functional.rrelu_):
        np.testing.assert_allclose(run(torchless, fn), run(torch, fn), rtol=1e-6)
    # torch-free: the same generator seed gives the same slopes, the default generator's state is untouched
    torchless.manual_seed(0)
    first = torchless.rrelu(torchless.tensor(x), 0.1, 0.3, True, torchless.Generator().manual_seed(3))
    after = torchless.rand(2)
    torchless.manual_seed(0)
    second = torchless.rrelu(torchless.tensor(x), 0.1, 0.3, True, torchless.Generator().manual_seed(3))
    assert np.array_equal(first.numpy(), second.numpy()) and np.array_equal(torchless.rand(2).numpy(), after.numpy())
    _same_error(lambda t: t.nn.functional.rrelu_(t.ones(2), generator=3))


# ---------------------------------------------------------------------------- embedding_bag
def _bag_run(lib, idx, offsets, weight, **kwargs):
    w = lib.tensor(weight, requires_grad=True)
    y = lib.nn.functional.embedding_bag(lib.tensor(idx), w, None if offsets is None else lib.tensor(offsets), **kwargs)
    y.backward(lib.tensor(np.arange(1.0, y.numel() + 1).reshape(tuple(y.shape)), dtype=y.dtype))
    return y.detach().numpy(), w.grad.numpy()


_POWERS = (2.0 ** np.arange(6.0)).reshape(6, 1)  # (each bag's sum tells its entries)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode, padding_idx", [("sum", None), ("sum", 5), ("mean", None), ("mean", 0), ("max", None)])
def test_embedding_bag_entries_past_the_last_offset(dtype, mode, padding_idx):
    # with include_last_offset they are in the last bag, but the fast float32 kernel of a sum or mean (no
    # padding_idx) leaves them out of the sum while counting them in the mean
    torch = pytest.importorskip("torch")
    args = ([0, 1, 2, 3, 4, 5], [0, 2, 4], _POWERS.astype(dtype))
    kwargs = dict(mode=mode, include_last_offset=True, padding_idx=padding_idx)
    expected, actual = _bag_run(torch, *args, **kwargs), _bag_run(torchless, *args, **kwargs)
    np.testing.assert_allclose(actual[0], expected[0], rtol=1e-6)
    if not (mode == "sum" and padding_idx is None and dtype == np.float32):  # (PyTorch's gradient: garbage there)
        np.testing.assert_allclose(actual[1], expected[1], rtol=1e-6)


def test_embedding_bag_entries_past_the_last_offset_torch_free():
    out = F.embedding_bag(torchless.tensor([0, 1, 2, 3, 4, 5]), torchless.tensor(_POWERS), torchless.tensor([0, 2, 4]),
                          mode="max", include_last_offset=True)
    assert out.flatten().tolist() == [2.0, 32.0]


def test_embedding_bag_2d_input_ignores_include_last_offset():
    torch = pytest.importorskip("torch")
    args = ([[0, 1, 2], [3, 4, 5]], None, _POWERS)
    for mode in ("sum", "mean", "max"):
        expected = _bag_run(torch, *args, mode=mode, include_last_offset=True)
        actual = _bag_run(torchless, *args, mode=mode, include_last_offset=True)
        for e, a in zip(expected, actual):
            np.testing.assert_allclose(a, e, rtol=1e-6)
    assert F.embedding_bag(torchless.tensor([[0, 1], [2, 3]]), torchless.tensor(_POWERS), mode="sum",
                           include_last_offset=True).flatten().tolist() == [3.0, 12.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("offsets, last", [([0, 4, 2], False), ([0, 4, 2], True), ([0, 2, 1], False),
                                           ([0, 3, 1, 3], False)])
def test_embedding_bag_decreasing_offsets(dtype, mode, offsets, last):
    # PyTorch's fast float32 kernel of a sum or mean fails on them; its others read each entry's bag from the
    # offsets up to it, divide a mean by max(size, 1) of the offsets' difference (its gradient by the size itself),
    # and send the gradient of an empty bag of a nonzero size in max mode to row 0
    torch = pytest.importorskip("torch")
    args = ([3, 2, 1, 5, 4, 5], offsets, _POWERS.astype(dtype))
    expected, actual = (_error(lambda: _bag_run(lib, *args, mode=mode, include_last_offset=last))
                        for lib in (torch, torchless))
    assert actual == expected
    if expected is None:
        for e, a in zip(*(_bag_run(lib, *args, mode=mode, include_last_offset=last) for lib in (torch, torchless))):
            np.testing.assert_allclose(a, e, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode, padding_idx", [("sum", None), ("sum", 0), ("mean", None), ("max", None)])
@pytest.mark.parametrize("idx, offsets", [([1, 9, 2], [0, 1]), ([9], [0]), ([1, 2, 9], [0, 2]), ([1, 2, 9], [0, 2, 3]),
                                          ([9, 1, 1, 1], [0, 1]), ([1, 3, 7], [0, 1, 1]), ([1, -1, 2], [0, 2])])
def test_embedding_bag_index_out_of_range_messages(dtype, mode, padding_idx, idx, offsets):
    _same_error(lambda t: t.nn.functional.embedding_bag(t.tensor(idx), t.ones(5, 2, dtype=getattr(t, dtype.__name__)),
                                                        t.tensor(offsets), mode=mode, padding_idx=padding_idx))


def test_embedding_bag_rows_of_no_columns():
    # the fast kernel fails on any entry then: its check of a part past the first then fails as for a bad index
    for idx, offsets in (([1, 2], [0, 1]), ([1, 2, 3, 4], [0, 2, 2])):
        _same_error(lambda t: t.nn.functional.embedding_bag(t.tensor(idx), t.ones(5, 0), t.tensor(offsets), mode="sum"))
    assert F.embedding_bag(torchless.tensor([1, 2, 3]), torchless.ones(5, 0), torchless.tensor([0, 2, 3]),
                           mode="sum").shape == (3, 0)


@pytest.mark.parametrize("kwargs", [dict(padding_idx=4.0), dict(padding_idx=True), dict(padding_idx="a"),
                                    dict(scale_grad_by_freq=1), dict(include_last_offset=None), dict(sparse=0),
                                    dict(mode="max", sparse=True), dict(padding_idx=4.5, scale_grad_by_freq=1),
                                    dict(padding_idx=7.0, include_last_offset=[0])])
def test_embedding_bag_argument_checks(kwargs):
    _same_error(lambda t: t.nn.functional.embedding_bag(t.tensor([0, 1, 2]), t.ones(5, 2), t.tensor([0, 1]), **kwargs))


def test_embedding_bag_padding_idx_checked_before_the_indices_dtype():
    _same_error(lambda t: t.nn.functional.embedding_bag(t.tensor([0.0]), t.ones(3, 2), t.tensor([0]), padding_idx=3))


def test_embedding_bag_padding_idx_as_0d_tensor():
    torch = pytest.importorskip("torch")
    args = ([0, 1, 2, 3, 4, 1], [0, 3], _POWERS[:5])
    expected = _bag_run(torch, *args, padding_idx=torch.tensor(2))
    actual = _bag_run(torchless, *args, padding_idx=torchless.tensor(2))
    for e, a in zip(expected, actual):
        np.testing.assert_allclose(a, e, rtol=1e-6)


def test_embedding_bag_float16_adds_up_in_float32():
    torch = pytest.importorskip("torch")
    weight = np.random.RandomState(0).randn(5, 3).astype(np.float16)
    for kwargs in (dict(mode="sum", padding_idx=2), dict(mode="mean", padding_idx=2), dict(mode="sum")):
        expected, actual = (lib.nn.functional.embedding_bag(lib.tensor([0, 1, 2, 3, 4, 1]), lib.tensor(weight),
                                                            lib.tensor([0, 2, 2]), **kwargs).numpy()
                            for lib in (torch, torchless))
        np.testing.assert_array_equal(actual, expected)
    # torch-free: the float32 sum rounded once
    out = F.embedding_bag(torchless.tensor([0, 1, 2]), torchless.tensor(weight), torchless.tensor([0]), mode="sum")
    np.testing.assert_array_equal(out.numpy(), weight[:3].astype(np.float32).sum(0, keepdims=True).astype(np.float16))
