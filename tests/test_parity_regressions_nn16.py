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


# ---------------------------------------------------------------------------- activations
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_softmax_of_a_0d_tensor_is_one_node(name, dim):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor(2.0, requires_grad=True)
        with __import__("warnings").catch_warnings():
            __import__("warnings").simplefilter("ignore")
            y = getattr(lib.nn.functional, name)(x * 1, dim)
        y.backward(lib.tensor(0.5))
        return y.item(), y.grad_fn.name(), x.grad.item()

    assert run(torchless) == run(torch)
    assert run(torchless)[1] in ("SoftmaxBackward0", "LogSoftmaxBackward0")  # (torch-free: not a view)


def test_elu_of_zero_takes_the_positive_side():
    torch = pytest.importorskip("torch")
    x = [0.0, -0.0, -1.0, 1.0]
    for alpha in (float("nan"), float("inf"), 2.0):
        expected = torch.nn.functional.elu(torch.tensor(x, dtype=torch.float64), alpha).numpy()
        actual = F.elu(torchless.tensor(x, dtype=torchless.float64), alpha).numpy()
        np.testing.assert_array_equal(np.signbit(actual), np.signbit(expected))
        np.testing.assert_array_equal(actual, expected)
    assert F.elu(torchless.tensor([0.0]), float("nan")).tolist() == [0.0]  # torch-free


@pytest.mark.parametrize("call", [
    lambda t, x: t.nn.functional.leaky_relu_(x, float("nan")),
    lambda t, x: t.nn.functional.elu_(x, float("nan")),
    lambda t, x: t.nn.functional.elu_(x, 1.0, -1.0),
    lambda t, x: t.nn.functional.elu_(x, -0.0),
    lambda t, x: t.nn.functional.leaky_relu_(x, -0.0),
    lambda t, x: t.nn.functional.celu_(x, -1.0),
])
def test_in_place_backward_slope_checks(call):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([-1.0, 0.5, 2.0], requires_grad=True)
        call(lib, x * 1).sum().backward()
        return x.grad.tolist()

    expected, actual = _error(lambda: run(torch)), _error(lambda: run(torchless))
    assert actual == expected
    if expected is None:
        np.testing.assert_allclose(run(torchless), run(torch))


@pytest.mark.parametrize("lower, upper", [(float("nan"), float("nan")), (float("inf"), float("inf")),
                                          (float("nan"), 0.5), (0.5, 0.1), (0.1, float("inf")), (-1e308, 1e308)])
@pytest.mark.parametrize("form", ["F.rrelu", "F.rrelu_", "inplace", "torch.rrelu"])
@pytest.mark.parametrize("training", [False, True])
def test_rrelu_bounds_checks(lower, upper, form, training):
    def call(t):
        x = t.tensor([-1.0, 0.5, -2.0])
        if form == "F.rrelu":
            return t.nn.functional.rrelu(x, lower, upper, training)
        if form == "F.rrelu_":
            return t.nn.functional.rrelu_(x, lower, upper, training)
        if form == "inplace":
            return t.nn.functional.rrelu(x, lower, upper, training, inplace=True)
        return t.rrelu(x, lower, upper, training)

    torch = pytest.importorskip("torch")
    expected, actual = _error(lambda: call(torch)), _error(lambda: call(torchless))
    assert actual == expected
    if expected is None and not training:
        np.testing.assert_array_equal(call(torchless).numpy(), call(torch).numpy())


@pytest.mark.parametrize("call", [
    lambda t: t.nn.functional.softplus(t.ones(0), 1, 1e40),
    lambda t: t.nn.functional.softplus(t.ones(2), 1e40),
    lambda t: t.nn.functional.softplus(t.ones(2, dtype=t.float16), 1, 1e6),
    lambda t: t.nn.functional.leaky_relu(t.ones(2), 1e40),
    lambda t: t.nn.functional.leaky_relu_(t.ones(2), 1e40),
    lambda t: t.nn.functional.leaky_relu(t.ones(2, dtype=t.float64), 1e40),
    lambda t: t.nn.functional.celu(t.ones(2, dtype=t.float64), 1e40),
    lambda t: t.nn.functional.celu(t.ones(2, dtype=t.float64), 1e-39),
])
def test_scalar_arguments_beyond_the_kernels_type(call):
    torch = pytest.importorskip("torch")
    expected, actual = _error(lambda: call(torch)), _error(lambda: call(torchless))
    assert actual == expected
    if expected is None:
        np.testing.assert_allclose(call(torchless).numpy(), call(torch).numpy())


def test_softplus_gradient_where_the_exponential_overflows():
    torch = pytest.importorskip("torch")
    x = [-1.0, 0.5, 3.0, 800.0]

    def run(lib, beta, threshold):
        a = lib.tensor(x, dtype=lib.float64, requires_grad=True)
        lib.nn.functional.softplus(a, beta, threshold).sum().backward()
        return a.grad.numpy()

    for beta, threshold in ((float("inf"), float("nan")), (1.0, 1e6), (1e40, float("inf")), (2.0, 20)):
        np.testing.assert_array_equal(run(torchless, beta, threshold), run(torch, beta, threshold))
    assert np.isnan(run(torchless, 1.0, 1e6)[3])  # torch-free: z / (z + 1), z = e^800 = inf


def test_activations_with_infinite_parameters_do_not_warn():
    import warnings

    x = torchless.tensor([0.0, -1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.leaky_relu(x, float("inf")).backward(torchless.ones(3))
        F.elu(x, float("inf"))
        F.softplus(x, float("inf"))
        F.rrelu_(x.detach().clone(), 0.3, float("inf"))  # (0 * an infinite slope)
        F.celu(torchless.tensor([-100.0], dtype=torchless.float16), -0.5)


def test_softmax_gradient_in_pytorchs_form():
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(5).randn(2, 3) * 3
    g = np.random.RandomState(1).randn(2, 3)

    def run(lib):
        a = lib.tensor(x, dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.softmax(a * 1, -1, dtype=lib.float32)
        (y * lib.tensor(g, dtype=lib.float64)).sum().backward()
        return a.grad.numpy()

    np.testing.assert_allclose(run(torchless), run(torch), rtol=5e-7)
    # torch-free: the float64 gradient y (g - sum(g y))
    y = np.exp(x - x.max(-1, keepdims=True))
    y /= y.sum(-1, keepdims=True)
    np.testing.assert_allclose(run(torchless), y * (g - (g * y).sum(-1, keepdims=True)), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name, args", [("elu", (1.0,)), ("elu", (0.7,)), ("celu", (1.5,)), ("selu", ())])
def test_elu_family_in_place_gradient_from_the_result(name, args):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((3, 4)) * 4

    def run(lib):
        a = lib.tensor(x, requires_grad=True)
        getattr(lib.nn.functional, name)(a * 1.0, *args, inplace=True).sum().backward()
        return a.grad.numpy()

    np.testing.assert_array_equal(run(torchless), run(torch))


def test_celu_alpha_beyond_float_fails_in_the_backward():
    def run(lib):
        a = lib.tensor([-1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.celu(a, 1e40)
        return y.detach().numpy(), _error(lambda: y.sum().backward())

    torch = pytest.importorskip("torch")
    (expected, expected_error), (actual, actual_error) = run(torch), run(torchless)
    np.testing.assert_array_equal(actual, expected)
    assert actual_error == expected_error == (RuntimeError, "value cannot be converted to type float without overflow")


# ---------------------------------------------------------------------------- nn.init
@pytest.mark.parametrize("dtype", ["int64", "bool", "uint8", "float16", "float32"])
@pytest.mark.parametrize("shape", [(3, 4), (0, 3)])
@pytest.mark.parametrize("bounds", [dict(a=0.5, b=0.4), {}, dict(a=-0.5, b=0.5, std=3.0)])
def test_trunc_normal_checks_as_its_first_draw(dtype, shape, bounds):
    # PyTorch's first draw is normal_ (most of the mass inside [a, b]: its bounds converted to the tensor's dtype
    # first) or uniform_ (its dtype refused even for no element, then an inverted range)
    def call(t):
        t.manual_seed(3)
        return t.nn.init.trunc_normal_(t.zeros(shape, dtype=getattr(t, dtype)), **bounds)

    torch = pytest.importorskip("torch")
    expected, actual = _error(lambda: call(torch)), _error(lambda: call(torchless))
    assert actual == expected
    if expected is None:
        np.testing.assert_allclose(call(torchless).numpy().astype(float), call(torch).numpy().astype(float))


# ---------------------------------------------------------------------------- linear, bilinear
@pytest.mark.parametrize("input_shape, bias_shape", [((3,), None), ((3,), ()), ((2, 3), None), ((4, 2, 3), None),
                                                     ((4, 2, 3), ()), ((0,), None)])
def test_linear_with_a_1d_weight_records_pytorchs_matmul(input_shape, bias_shape):
    def run(lib):
        x = lib.ones(input_shape, requires_grad=True)
        w = lib.arange(float(input_shape[-1])).requires_grad_()
        b = None if bias_shape is None else lib.ones(bias_shape, requires_grad=True)
        y = lib.nn.functional.linear(x * 2, w, b)
        listed = [n[0].name() if n[0] else None for n in y.grad_fn.next_functions]
        y.sum().backward()
        return tuple(y.shape), y.grad_fn.name(), listed, x.grad.tolist(), w.grad.tolist()

    torch = pytest.importorskip("torch")
    assert run(torchless) == run(torch)
    assert run(torchless)[1] in ("DotBackward0", "MvBackward0", "UnsafeViewBackward0", "AddBackward0")


@pytest.mark.parametrize("lead, in1, in2", [((2,), 0, 3), ((2,), 3, 0), ((), 0, 3), ((0,), 0, 2), ((2, 3), 0, 0)])
def test_bilinear_with_no_input_features(lead, in1, in2):
    _same_error(lambda t: t.nn.functional.bilinear(t.ones(lead + (in1,)), t.ones(lead + (in2,)), t.ones(4, in1, in2)))
