"""Parity with PyTorch of the Tensor methods of _ops/inplace.py: in-place shape changes (t_, unsqueeze_, squeeze_,
transpose_, swapaxes_, swapdims_), as_strided, the random fills beyond uniform/normal, index_put, put,
scatter_reduce, comparisons and logical ops in place; and the parser messages of cat/stack/squeeze's dim."""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_error, assert_same_outcome, finite_difference_check, outcome, Raised

torch = pytest.importorskip("torch")


def _leaf(lib, array):
    return lib.tensor(np.asarray(array, np.float64), requires_grad=True)


def _same_gradients(fn, *arrays, seed=0):
    """``fn(lib, *leaves)`` in both libraries: the same values, grad_fn name, and gradients of a weighted sum."""
    results = {}
    for lib in (torch, torchless):
        leaves = [_leaf(lib, a) for a in arrays]
        out = fn(lib, *leaves)
        weights = np.random.default_rng(seed).standard_normal(tuple(out.shape))
        (out * lib.tensor(weights)).sum().backward()
        results[lib] = (out, [None if t.grad is None else t.grad.numpy() for t in leaves])
    (theirs, their_grads), (ours, our_grads) = results[torch], results[torchless]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert _grad_fn_name(ours) == _grad_fn_name(theirs)
    for mine, expected in zip(our_grads, their_grads, strict=True):
        assert (mine is None) == (expected is None)
        if expected is not None:
            np.testing.assert_allclose(mine, expected, rtol=1e-12, atol=1e-12)


def _grad_fn_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


# ---------------------------------------------------------------------------- in-place shape changes
RESTRIDE_CALLS = [
    lambda t: t.t_(), lambda t: t.unsqueeze_(0), lambda t: t.unsqueeze_(-1), lambda t: t.squeeze_(),
    lambda t: t.squeeze_(1), lambda t: t.squeeze_((1,)), lambda t: t.squeeze_(dim=[0, 1]), lambda t: t.squeeze_(0, 1),
    lambda t: t.transpose_(0, 1), lambda t: t.swapaxes_(0, -1), lambda t: t.swapdims_(1, 0),
]


@pytest.mark.parametrize("call", RESTRIDE_CALLS)
@pytest.mark.parametrize("shape", [(2, 1), (1, 3), (3,)])
def test_restride_inplace_shape_stride_version(call, shape):
    def run(lib):
        t = lib.arange(float(np.prod(shape))).reshape(shape)
        result = call(t)
        return result is t, tuple(t.shape), t.stride(), t._version, t.tolist()

    expected, actual = outcome(lambda: run(torch)), outcome(lambda: run(torchless))
    if isinstance(expected, Raised):
        expected = Raised(expected.type, expected.message.replace("torch.", "torchless."))
    assert actual == expected


@pytest.mark.parametrize("call", RESTRIDE_CALLS)
def test_restride_inplace_graph(call):
    def fn(lib, leaf):
        return call(leaf.reshape(2, 1) * 2)

    _same_gradients(fn, [1.0, 2.0])


def test_restride_chain_gradient_and_view_of_non_leaf():
    _same_gradients(lambda lib, x: (x * 2).t_().unsqueeze_(0).squeeze_(0).transpose_(0, 1), np.ones((2, 3)))
    _same_gradients(lambda lib, x: (x * 2)[0].unsqueeze_(0), np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("call", [lambda t: t.t_(), lambda t: t.unsqueeze_(0), lambda t: t.squeeze_(),
                                  lambda t: t.transpose_(0, 1), lambda t: t.swapaxes_(0, 1)])
@pytest.mark.parametrize("view", [False, True])
def test_restride_inplace_refuses_leaf_and_its_views(call, view):
    def run(lib):
        leaf = lib.ones(2, 3, requires_grad=True)
        return call(leaf[0:1] if view else leaf)

    assert_same_error(lambda: run(torch), lambda: run(torchless))


def test_restride_inplace_allowed_without_grad_and_keeps_memory():
    for lib in (torch, torchless):
        with lib.no_grad():
            leaf = lib.ones(2, 3, requires_grad=True)
            assert leaf.t_().shape == (3, 2)
        base = lib.zeros(2, 3)
        view = base[0:1]
        view.t_()
        view.fill_(5.0)  # still the base's memory
        assert base.tolist() == [[5.0] * 3, [0.0] * 3]


@pytest.mark.parametrize("call", [
    lambda t: t.t_(1), lambda t: t.transpose_(0), lambda t: t.transpose_(0, "a"), lambda t: t.swapaxes_(0, "a"),
    lambda t: t.swapdims_(0, "a"), lambda t: t.unsqueeze_("a"), lambda t: t.unsqueeze_(5), lambda t: t.squeeze_(None),
    lambda t: t.squeeze_(1.0), lambda t: t.squeeze_(5), lambda t: t.transpose_(0, 5), lambda t: t.squeeze_(0, "a"),
    lambda t: t.unsqueeze_(1).unsqueeze_(0).t_(),
])
def test_restride_inplace_errors(call):
    assert_same_error(lambda: call(torch.ones(2, 1)), lambda: call(torchless.ones(2, 1)))


# ---------------------------------------------------------------------------- as_strided
AS_STRIDED_CALLS = [
    lambda t: t.as_strided((2, 2), (1, 2)), lambda t: t.as_strided((2, 2), (1, 2), 1),
    lambda t: t[2:].as_strided((2,), (1,)), lambda t: t[2:].as_strided((2,), (1,), 0),
    lambda t: t.as_strided([3], [2], storage_offset=1), lambda t: t.as_strided((3,), (0,)),
    lambda t: t.as_strided((3, 2), (1, 1)), lambda t: t.as_strided((0, 4), (1, 1), 6),
    lambda t: t.view(2, 3).t().as_strided((3,), (2,)), lambda t: t.view(2, 3)[:, 1:].as_strided((2,), (3,)),
    lambda t: t.as_strided((2, 2), (1, 2), 3), lambda t: t.as_strided((2, 2), (-1, 2)),
    lambda t: t.as_strided((2,), (1,), -1), lambda t: t.as_strided((2, 2), (1,)),
    lambda t: t.as_strided((-2, 2), (1, 1)), lambda t: t.as_strided(3, 1), lambda t: t.as_strided((2, 1.5), (1, 1)),
    lambda t: t.as_strided((2,), (1,), 4.0),
]


@pytest.mark.parametrize("call", AS_STRIDED_CALLS)
def test_as_strided_values_and_errors(call):
    assert_same_outcome(lambda lib: call(lib.arange(6.0)))


def test_as_strided_function_form_and_view():
    assert_same_outcome(lambda lib: lib.as_strided(lib.arange(6.0), (3,), (2,), 1))
    for lib in (torch, torchless):
        base = lib.arange(6.0)
        view = base.as_strided((2, 2), (1, 2), 1)
        view[0, 0] = 10.0
        assert base.tolist() == [0.0, 10.0, 2.0, 3.0, 4.0, 5.0]
        assert view._version == base._version == 1


@pytest.mark.parametrize("call", AS_STRIDED_CALLS[:10])
def test_as_strided_gradient(call):
    _same_gradients(lambda lib, x: call(x * 1), np.arange(6.0) + 1)


def test_as_strided_gradient_finite_differences():
    finite_difference_check(lambda x: (x * 1).as_strided((3, 2), (1, 1), 1) ** 2, [np.arange(6.0) / 3])
    _same_gradients(lambda lib, x: x.expand(2, 3).as_strided((3,), (1,)), [1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------- random fills
DTYPES = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]
RANDOM_CALLS = {
    "random_()": lambda t: t.random_(), "random_(5)": lambda t: t.random_(5),
    "random_(2, 5)": lambda t: t.random_(2, 5),
    "random_(to=3)": lambda t: t.random_(to=3), "random_(-3, -1)": lambda t: t.random_(-3, -1),
    "random_(1, None)": lambda t: t.random_(1, None), "exponential_()": lambda t: t.exponential_(),
    "exponential_(lambd=2)": lambda t: t.exponential_(lambd=2), "geometric_(0.3)": lambda t: t.geometric_(0.3),
    "cauchy_()": lambda t: t.cauchy_(), "cauchy_(median=1, sigma=2)": lambda t: t.cauchy_(median=1, sigma=2),
    "log_normal_()": lambda t: t.log_normal_(), "log_normal_(0, 0.5)": lambda t: t.log_normal_(0, 0.5),
}


def _random_summary(lib, dtype, call):
    t = lib.empty(400, dtype=getattr(lib, dtype))
    result = call(t)
    values = t.double().numpy()
    return result is t, t.dtype.is_floating_point, tuple(t.shape), t._version, bool(np.isfinite(values).all()), \
        bool((values == np.round(values)).all())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(RANDOM_CALLS))
def test_random_fill_dtypes_and_errors(dtype, name):
    call = RANDOM_CALLS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = outcome(lambda: _random_summary(torch, dtype, call))
        actual = outcome(lambda: _random_summary(torchless, dtype, call))
    if isinstance(expected, Raised):
        expected = Raised(expected.type, expected.message.replace("torch.", "torchless."))
    if name.startswith("cauchy_") and not isinstance(expected, Raised):
        expected = expected[:4] + actual[4:]  # infinite Cauchy draws in float16 are a matter of luck
    assert actual == expected


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("args", [(), (5,), (2, 5), (-3, -1), (0, None)])
def test_random_range(dtype, args):
    """The values drawn stay in the range torch's do (the default: [0, the dtype's largest exact integer])."""
    t = torchless.empty(3000, dtype=getattr(torchless, dtype))
    ours = outcome(lambda: t.random_(*args))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = outcome(lambda: torch.empty(3000, dtype=getattr(torch, dtype)).random_(*args))
    assert isinstance(ours, Raised) == isinstance(expected, Raised)
    if isinstance(expected, Raised):
        return
    info = np.finfo(dtype) if dtype.startswith("float") else None
    top = 2.0 ** (info.nmant + 1) if info else 1 if dtype == "bool" else np.iinfo(dtype).max
    low, high = (0, top) if not args else (0, args[0] - 1) if len(args) == 1 else \
        (args[0], top if args[1] is None else args[1] - 1)
    values = t.double().numpy()
    assert values.min() >= low and values.max() <= high
    if high - low < 10:
        assert set(np.unique(values)) == set(range(low, int(high) + 1)) & set(np.unique(expected.double().numpy()))


@pytest.mark.parametrize("call", [
    lambda t: t.random_(5, 2), lambda t: t.random_(5, 5), lambda t: t.random_(1.5), lambda t: t.random_("a"),
    lambda t: t.random_(0, 2**63), lambda t: t.random_(-2**70), lambda t: t.random_(1, 5, 3),
    lambda t: t.random_(from_=1), lambda t: t.random_(generator=3), lambda t: t.exponential_(-1),
    lambda t: t.exponential_(0), lambda t: t.exponential_("a"), lambda t: t.geometric_(), lambda t: t.geometric_(0),
    lambda t: t.geometric_(1), lambda t: t.geometric_(1.5), lambda t: t.cauchy_(0, -1), lambda t: t.cauchy_(0, 0),
    lambda t: t.log_normal_(0, 0), lambda t: t.log_normal_(0, -1), lambda t: t.log_normal_(mean="a"),
    lambda t: t.expand(2, 3).random_(), lambda t: t.expand(2, 3).exponential_(),
])
def test_random_parameter_errors(call):
    assert_same_error(lambda: call(torch.ones(3)), lambda: call(torchless.ones(3)))


@pytest.mark.parametrize("dtype,args", [("uint8", (300,)), ("uint8", (-1, 5)), ("int8", (0, 200)), ("bool", (0, 3)),
                                        ("float16", (0, 70000)), ("int16", (0, 2**60)), ("int32", (-2**40, 0))])
def test_random_dtype_bounds(dtype, args):
    assert_same_error(lambda: torch.ones(3, dtype=getattr(torch, dtype)).random_(*args),
                      lambda: torchless.ones(3, dtype=getattr(torchless, dtype)).random_(*args))


@pytest.mark.parametrize("dtype,args", [("float32", (0, 2**25)), ("float32", (-2**25, 5)), ("float16", (0, 3000)),
                                        ("float64", (0, 2**54))])
def test_random_float_precision_warning(dtype, args):
    messages = {}
    for lib in (torch, torchless):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.ones(3, dtype=getattr(lib, dtype)).random_(*args)
        messages[lib] = [str(w.message).split(" (Triggered internally")[0] for w in caught]
    assert messages[torchless] == messages[torch] and len(messages[torch]) == 1


@pytest.mark.parametrize("name", list(RANDOM_CALLS))
def test_random_fill_is_deterministic_under_manual_seed(name):
    call = RANDOM_CALLS[name]
    torchless.manual_seed(7)
    first = call(torchless.empty(50)).tolist()
    torchless.manual_seed(7)
    assert call(torchless.empty(50)).tolist() == first
    generator = torchless.Generator().manual_seed(3)
    again = torchless.Generator().manual_seed(3)
    fill = name.split("(")[0]
    kwargs = {"random_": {}, "exponential_": {}, "geometric_": {"p": 0.3}, "cauchy_": {}, "log_normal_": {}}[fill]
    assert getattr(torchless.empty(20), fill)(generator=generator, **kwargs).tolist() == \
        getattr(torchless.empty(20), fill)(generator=again, **kwargs).tolist()


@pytest.mark.parametrize("name", list(RANDOM_CALLS))
def test_random_fill_graph(name):
    call = RANDOM_CALLS[name]
    names = []
    for lib in (torch, torchless):
        leaf = lib.ones(4, requires_grad=True)
        out = call(leaf * 2)
        out.sum().backward()
        assert leaf.grad.tolist() == [0.0] * 4
        names.append(out.grad_fn.name())
    assert names[0] == names[1]
    assert_same_error(lambda: call(torch.ones(2, requires_grad=True)), lambda: call(torchless.ones(2,
                                                                                                  requires_grad=True)))


# ---------------------------------------------------------------------------- index_put, put
def _index_put_cases():
    i = ("tensor", [0, 1, 0])
    return [
        ((i,), ("ones", (3, 2)), {"accumulate": True}), ((i,), ("ones", (3, 2)), {}), ([i], ("ones", (3, 2)), {}),
        ((i, ("tensor", [0, 1, 1])), ("scalar", 1.0), {"accumulate": True}),
        ((i, ("tensor", [0, 1, 1])), ("scalar", 1.0), {}), ((("tensor", [True, False, True]),), ("scalar", 2.0), {}),
        ((("tensor", [True, False, True]),), ("ones", (2, 2)), {"accumulate": True}),
        ((("tensor", [5]),), ("scalar", 2.0), {}), ((("tensor", [5]),), ("scalar", 2.0), {"accumulate": True}),
        ((("tensor", [0.0]),), ("scalar", 2.0), {}), ((i,), ("ones", (2, 2)), {}), ((i,), ("ones", (2, 2)),
                                                                                   {"accumulate": True}),
        ((i,), ("double", (3, 2)), {}), ((i,), ("double", (3, 2)), {"accumulate": True}),
        (i, ("ones", (3, 2)), {}), ((i, None), ("ones", (3, 2)), {}), ((i,), ("float", 1.0), {}),
        ((i,), ("ones", (2,)), {"accumulate": 1}), ((i,), ("ones", (2,)), {"accumulate": None}),
    ]


def _build(lib, spec):
    if spec is None:
        return None
    if isinstance(spec, list):
        return [_build(lib, s) for s in spec]
    if isinstance(spec, tuple) and spec and isinstance(spec[0], tuple | list | type(None)):
        return tuple(_build(lib, s) for s in spec)
    kind, value = spec
    return {"tensor": lambda: lib.tensor(value), "ones": lambda: lib.ones(value) * 3,
            "scalar": lambda: lib.tensor(value), "double": lambda: lib.ones(value, dtype=lib.float64),
            "float": lambda: value}[kind]()


@pytest.mark.parametrize("case", _index_put_cases())
@pytest.mark.parametrize("inplace", [False, True])
def test_index_put_values_and_errors(case, inplace):
    indices, values, kwargs = case

    def run(lib):
        x = lib.arange(6.0).reshape(3, 2)
        method = x.index_put_ if inplace else x.index_put
        result = method(_build(lib, indices), _build(lib, values), **kwargs)
        assert (result is x) == inplace
        return result, x

    assert_same_outcome(run)


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_gradients(accumulate):
    index = [1, 1, 0]
    for inplace in (False, True):
        def fn(lib, x, v):
            target = x * 1
            method = target.index_put_ if inplace else target.index_put
            return method((lib.tensor(index),), v, accumulate=accumulate)

        _same_gradients(fn, np.arange(6.0).reshape(3, 2), np.arange(2.0) + 5)
    distinct = torchless.tensor([2, 0])  # (a repeated index keeps one value of several, unless accumulating)
    finite_difference_check(lambda x, v: (x * 1).index_put_((distinct,), v * v, accumulate=accumulate),
                            [np.arange(6.0).reshape(3, 2), np.arange(4.0).reshape(2, 2) + 1])
    assert_same_error(lambda: torch.zeros(3).index_put((torch.tensor([0]),), torch.ones(1), True, True),
                      lambda: torchless.zeros(3).index_put((torchless.tensor([0]),), torchless.ones(1), True, True))
    assert_same_error(lambda: torch.zeros(3).index_put((torch.tensor([0]),), torch.ones(1), 1),
                      lambda: torchless.zeros(3).index_put((torchless.tensor([0]),), torchless.ones(1), 1))


def test_index_put_leaf_and_function_forms():
    assert_same_error(lambda: torch.ones(3, requires_grad=True).index_put_((torch.tensor([0]),), torch.ones(1)),
                      lambda: torchless.ones(3, requires_grad=True).index_put_((torchless.tensor([0]),),
                                                                                 torchless.ones(1)))
    assert_same_outcome(lambda lib: lib.index_put(lib.zeros(3), (lib.tensor([0, 0]),), lib.ones(2), True))
    assert_same_outcome(lambda lib: lib.index_put_(lib.zeros(3), (lib.tensor([2]),), lib.tensor(4.0)))


@pytest.mark.parametrize("call", [
    lambda lib, t: t.put_(lib.tensor([0, 0, 5]), lib.tensor([9.0, 8.0, 7.0])),
    lambda lib, t: t.put_(lib.tensor([0, 0, 5]), lib.tensor([9.0, 8.0, 7.0]), accumulate=True),
    lambda lib, t: t.view(2, 3).put(lib.tensor([[-1]]), lib.tensor([9.0])),
    lambda lib, t: t.put_(lib.tensor([[1, 2]]), lib.tensor([[[9.0, 8.0]]])),
    lambda lib, t: t.view(2, 3).t().put_(lib.tensor([1]), lib.tensor([9.0])),
    lambda lib, t: t.put_(lib.tensor([6]), lib.tensor([9.0])),
    lambda lib, t: t.put_(lib.tensor([-7]), lib.tensor([9.0])),
    lambda lib, t: t.put_(lib.tensor([1, 2]), lib.tensor([9.0])), lambda lib, t: t.put_(lib.tensor([1.0]),
                                                                                           lib.tensor([9.0])),
    lambda lib, t: t.put_(lib.tensor([1]), lib.tensor([9])), lambda lib, t: t.put_(lib.tensor([1]), 9.0),
    lambda lib, t: t.put([1], lib.tensor([9.0])), lambda lib, t: lib.put(t, lib.tensor([1]), lib.tensor([9.0])),
])
def test_put_values_and_errors(call):
    assert_same_outcome(lambda lib: (call(lib, lib.arange(6.0)),))


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("inplace", [False, True])
def test_put_gradients(accumulate, inplace):
    def fn(lib, x, v):
        target = x.reshape(2, 3) * 1
        return (target.put_ if inplace else target.put)(lib.tensor([4, 4, 0]), v, accumulate=accumulate)

    _same_gradients(fn, np.arange(6.0), [1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------- scatter_reduce
REDUCES = ["sum", "prod", "mean", "amax", "amin"]


@pytest.mark.parametrize("reduce", REDUCES + ["max", "min"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_scatter_reduce_values(reduce, include_self, dtype):
    def run(lib):
        x = lib.tensor([[1, -2, 3, 4], [5, 6, -7, 8]], dtype=getattr(lib, dtype))
        index = lib.tensor([[0, 1, 0, 1, 3], [2, 2, 2, 0, 0]])
        src = lib.tensor([[5, 6, -7, 8, 9], [1, 2, 4, 3, 3]], dtype=getattr(lib, dtype))
        out = x.scatter_reduce(1, index[:, :4], src, reduce, include_self=include_self)
        inplace = x.clone().scatter_reduce_(1, index[:, :4], src, reduce, include_self=include_self)
        dim0 = x.scatter_reduce(0, lib.tensor([[1, 0, 1, 1]]), src[:1, :4], reduce, include_self=include_self)
        function = lib.scatter_reduce(x, 1, index[:, :4], src, reduce=reduce, include_self=include_self)
        return out, inplace, dim0, function

    assert_same_outcome(run)


@pytest.mark.parametrize("call", [
    lambda lib, x, i, s: x.scatter_reduce(0, i, s, "foo"),
    lambda lib, x, i, s: x.scatter_reduce(0, i, s.double(), "sum"),
    lambda lib, x, i, s: x.scatter_reduce(0, i.float(), s, "sum"), lambda lib, x, i, s: x.scatter_reduce(0, i.int(), s,
                                                                                                        "sum"),
    lambda lib, x, i, s: x.scatter_reduce(0, lib.tensor([9]), s, "sum"),
    lambda lib, x, i, s: x.scatter_reduce(0, i, s[:2], "sum"), lambda lib, x, i, s: x.scatter_reduce(0, i, 1.0, "sum"),
    lambda lib, x, i, s: x.scatter_reduce(0, i, s, reduce="sum", include_self=1),
    lambda lib, x, i, s: x.scatter_reduce(0, i, s, 3), lambda lib, x, i, s: x.scatter_reduce(3, i, s, "sum"),
    lambda lib, x, i, s: x.scatter_reduce(0, i, s), lambda lib, x, i, s: x.clone().scatter_reduce_(0, i, s, "bad"),
    lambda lib, x, i, s: lib.tensor(1.0).scatter_reduce(0, lib.tensor(0), lib.tensor(5.0), "sum"),
])
def test_scatter_reduce_errors_and_edges(call):
    assert_same_outcome(lambda lib: call(lib, lib.tensor([1.0, 2.0, 3.0, 4.0]), lib.tensor([0, 1, 0, 1, 3]),
                                         lib.tensor([5.0, 6.0, 7.0, 8.0, 9.0])))


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("values", ["distinct", "ties_and_zeros"])
def test_scatter_reduce_gradients(reduce, include_self, values):
    if values == "distinct":
        x, src = [[1.5, -2.0, 3.0, 4.0], [5.0, 6.0, -7.0, 8.0]], [[5.0, 6.0, -7.0, 8.5, 9.0], [1.0, 2.0, 4.0, 3.0, 3.5]]
    else:  # ties for amax/amin, one and two zeros per position for prod
        x, src = [[0.0, 2.0, 3.0, 4.0], [5.0, 0.0, 7.0, 8.0]], [[3.0, 0.0, 2.0, 0.0, 9.0], [0.0, 5.0, 5.0, 0.0, 1.0]]
    index = [[0, 1, 0, 1, 3], [2, 2, 2, 1, 1]]

    def fn(lib, a, s):
        return (a * 1).scatter_reduce(1, lib.tensor(index), s * 1, reduce, include_self=include_self)

    _same_gradients(fn, x, src)


def test_scatter_reduce_finite_differences():
    index = torchless.tensor([[0, 1, 0, 2], [2, 2, 1, 0]])
    for reduce in ("sum", "prod", "mean"):
        finite_difference_check(lambda a, s, r=reduce: a.scatter_reduce(1, index, s, r, include_self=False),
                                [np.arange(6.0).reshape(2, 3) + 1, np.arange(8.0).reshape(2, 4) / 3 + 0.5])


# ---------------------------------------------------------------------------- comparisons and logical ops in place
COMPARE_CALLS = [
    lambda lib, t: t.eq_(2.0), lambda lib, t: t.ne_(lib.tensor([1.0, 2.0, 0.0])), lambda lib, t: t.lt_(lib.tensor(2)),
    lambda lib, t: t.le_(2), lambda lib, t: t.gt_(True), lambda lib, t: t.ge_(other=2.0),
    lambda lib, t: t.long().eq_(1.5), lambda lib, t: t.long().lt_(lib.tensor([1.5, 1.5, 9.0])),
    lambda lib, t: t.bool().lt_(2), lambda lib, t: t.int().eq_(lib.tensor([1, 0, 3])),
    lambda lib, t: t.eq_("a"), lambda lib, t: t.lt_(None), lambda lib, t: t.eq_(2, 3),
    lambda lib, t: t.gt_(lib.ones(2, 3)), lambda lib, t: t.expand(2, 3).eq_(1),
    lambda lib, t: t.logical_not_(), lambda lib, t: t.byte().logical_not_(), lambda lib, t: t.bool().logical_not_(),
    lambda lib, t: t.logical_and_(lib.tensor([1.0, 0.0, 1.0])),
    lambda lib, t: t.long().logical_or_(lib.tensor([0, 0, 0])),
    lambda lib, t: t.bool().logical_xor_(lib.tensor([1.5, 0.0, 0.0])), lambda lib, t: t.logical_and_(other=t),
    lambda lib, t: t.logical_or_(1), lambda lib, t: t.logical_and_(True), lambda lib, t: t.logical_xor_("a"),
    lambda lib, t: t.logical_and_(lib.ones(2, 3)), lambda lib, t: t.expand(2, 3).logical_not_(),
]


@pytest.mark.parametrize("call", COMPARE_CALLS)
def test_comparison_and_logical_inplace_values(call):
    def run(lib):
        t = lib.tensor([1.0, 2.0, 3.0])
        result = call(lib, t)
        return result, result.clone().fill_(result._version)

    assert_same_outcome(run)


@pytest.mark.parametrize("call", COMPARE_CALLS[:6] + [COMPARE_CALLS[i] for i in (15, 18, 21)])
def test_comparison_and_logical_inplace_graph(call):
    """Comparisons are recorded, passing a zero gradient (through the base too, for a view); the logical ops are not
    recorded at all: the gradient passes as if they had not run."""
    _same_gradients(lambda lib, x: call(lib, x * 2), [1.0, 1.0, 3.0])

    def on_view(lib, x):
        base = x.reshape(2, 3) * 2
        call(lib, base[1])
        return base

    _same_gradients(on_view, np.arange(6.0))


@pytest.mark.parametrize("method", ["eq_", "lt_", "logical_not_", "logical_and_"])
def test_comparison_and_logical_inplace_on_leaf(method):
    for lib in (torch, torchless):
        args = () if method == "logical_not_" else (lib.ones(3),)
        leaf = lib.ones(3, requires_grad=True)
        result = outcome(lambda: getattr(leaf, method)(*args))
        if method.startswith("logical"):  # PyTorch records none: even a leaf that requires grad is changed
            assert result is leaf and leaf.requires_grad and leaf.grad_fn is None
        else:
            assert result == ("RuntimeError", "a leaf Variable that requires grad is being used in an in-place "
                                              "operation.")
        other = lib.ones(3, requires_grad=True)
        compared = lib.ones(3).eq_(other)
        assert compared.requires_grad and compared.grad_fn.name() == "EqBackward1"
        compared.sum().backward()
        assert other.grad.tolist() == [0.0] * 3
        assert lib.ones(3).logical_and_(other).grad_fn is None


# ---------------------------------------------------------------------------- parser messages of cat/stack/squeeze
@pytest.mark.parametrize("call", [
    lambda lib, ts: lib.cat(ts, dim=1.0), lambda lib, ts: lib.cat(ts, dim=None), lambda lib, ts: lib.cat(ts, 1.0),
    lambda lib, ts: lib.cat(ts, True), lambda lib, ts: lib.cat(ts, "a"), lambda lib, ts: lib.cat(ts, 0, 1),
    lambda lib, ts: lib.concat(ts, 1.0), lambda lib, ts: lib.concatenate(ts, dim=1.0),
    lambda lib, ts: lib.stack(ts, 0.5), lambda lib, ts: lib.stack(ts, dim=None), lambda lib, ts: lib.stack(ts, dim=0.5),
    lambda lib, ts: lib.stack(ts, 0, 1), lambda lib, ts: lib.squeeze(ts[0], None),
    lambda lib, ts: lib.squeeze(ts[0], dim=None), lambda lib, ts: lib.squeeze(ts[0], 1.5),
    lambda lib, ts: ts[0].squeeze(None), lambda lib, ts: lib.cat(ts, lib.tensor(1)), lambda lib, ts: lib.cat(ts, -1),
    lambda lib, ts: lib.stack(ts, dim=2), lambda lib, ts: lib.squeeze(ts[0], (0, 1)),
])
def test_dim_parser_messages(call):
    assert_same_outcome(lambda lib: call(lib, [lib.ones(2, 1), lib.ones(2, 1)]))


# ---------------------------------------------------------------------------- which error comes first
def _grad_leaf(lib):
    return lib.ones(2, 3, requires_grad=True)


@pytest.mark.parametrize("call", [
    lambda lib, t: t.transpose_(0, 5), lambda lib, t: t.unsqueeze_(9), lambda lib, t: t.squeeze_(9),
    lambda lib, t: t.view(2, 3, 1).t_(),
    lambda lib, t: t.exponential_(-1), lambda lib, t: t.random_(5, 2), lambda lib, t: t.geometric_(2),
    lambda lib, t: t.index_put_((lib.tensor([9]),), lib.ones(3)), lambda lib, t: t.put_(lib.tensor([9]), lib.ones(1)),
    lambda lib, t: t.scatter_reduce_(0, lib.tensor([[9]]), lib.ones(1, 1), "sum"),
    lambda lib, t: t.eq_(lib.ones(5)), lambda lib, t: t.eq_("a"), lambda lib, t: t.put_(lib.tensor([0]), 1.0),
])
def test_leaf_error_comes_after_parsing_before_checks(call):
    assert_same_error(lambda: call(torch, _grad_leaf(torch)), lambda: call(torchless, _grad_leaf(torchless)))


@pytest.mark.parametrize("dtype,call", [
    ("int64", lambda t: t.exponential_(-1)), ("int64", lambda t: t.cauchy_(0, -1)),
    ("int64", lambda t: t.log_normal_(0, -1)), ("bool", lambda t: t.geometric_(2)),
    ("int64", lambda t: t.exponential_()),
    ("int64", lambda t: t.cauchy_()), ("int64", lambda t: t.log_normal_()), ("bool", lambda t: t.geometric_(0.5)),
])
def test_random_parameters_checked_before_dtype(dtype, call):
    assert_same_error(lambda: call(torch.ones(3, dtype=getattr(torch, dtype))),
                      lambda: call(torchless.ones(3, dtype=getattr(torchless, dtype))))


@pytest.mark.parametrize("call", [
    lambda lib: lib.put(lib.ones(3), lib.tensor([1]), 2.0), lambda lib: lib.index_put(lib.ones(3), lib.tensor([1]),
                                                                                       lib.ones(1)),
    lambda lib: lib.scatter_reduce(lib.ones(3), 0, lib.tensor([1]), 2.0, "sum"), lambda lib: lib.as_strided(lib.ones(3),
                                                                                                            2, 1),
    lambda lib: lib.scatter_reduce(lib.ones(3), 0, lib.tensor([1]), lib.ones(1), "sum", include_self=1),
    lambda lib: lib.tensor([True, False]).scatter_reduce(0, lib.tensor([0, 1]), lib.tensor([False, True]), "mean"),
])
def test_function_forms_and_dtype_errors(call):
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_restrided_base_keeps_its_node_name_in_version_errors():
    def run(lib):
        y = _grad_leaf(lib) * 2
        squared = y * y
        y.t_()
        squared.sum().backward()

    assert_same_error(lambda: run(torch), lambda: run(torchless))
    for lib in (torch, torchless):
        y = _grad_leaf(lib) * 1
        view = y[0:1]
        view.t_()
        assert view._version == y._version == 1


@pytest.mark.parametrize("fn", [
    lambda lib, x, v: (x * x).as_strided((2, 2), (1, 2), 1),
    lambda lib, x, v: (x * x).as_strided((3, 2), (1, 1)),
    lambda lib, x, v: (x * x).put(lib.tensor([4, 0]), v * v),
    lambda lib, x, v: (x * x).put(lib.tensor([4, 4]), v * v, accumulate=True),
    lambda lib, x, v: (x * x).eq_(v.sum() * v.sum()) + x * v.sum(),
])
def test_double_backward(fn):
    """Gradients of gradients (create_graph=True) as PyTorch's."""
    results = []
    for lib in (torch, torchless):
        x, v = _leaf(lib, np.arange(6.0) / 4 + 0.5), _leaf(lib, [1.5, -0.5])
        out = fn(lib, x, v)
        weights = lib.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)))
        gx, gv = lib.autograd.grad((out * weights).sum(), (x, v), create_graph=True, allow_unused=True)
        total = sum((g * g).sum() for g in (gx, gv) if g is not None and g.requires_grad)
        if not isinstance(total, int):
            total.backward()
        results.append([None if t.grad is None else t.grad.numpy() for t in (x, v)] +
                       [None if g is None else g.detach().numpy() for g in (gx, gv)])
    for theirs, ours in zip(*results, strict=True):
        assert (theirs is None) == (ours is None)
        if theirs is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
