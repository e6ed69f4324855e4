"""Tensor factories, dtypes and conversions, compared with PyTorch and checked on their own."""
import warnings

import numpy as np
import pytest

import torchless


def outcome(fn, lib):
    """What ``fn(lib)`` gives, in a library-neutral form: values, dtype name and shape, or the exception."""
    try:
        result = fn(lib)
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        return ("raised", type(error).__name__, str(error).replace("torch.", "torchless."))
    if type(result).__name__ in ("Tensor", "Parameter"):
        return ("tensor", str(result.dtype).split(".")[-1], tuple(result.shape),
                np.asarray(result.detach()).tolist(), result.requires_grad)
    return ("value", repr(result).replace("torch.", "torchless."))


def assert_same_as_torch(fn):
    torch = pytest.importorskip("torch")
    expected, got = outcome(fn, torch), outcome(fn, torchless)
    assert got == expected


# ---------------------------------------------------------------- deterministic factories vs torch
FACTORY_CALLS = """
L.tensor(3)
L.tensor(3.5)
L.tensor(True)
L.tensor([1, 2])
L.tensor([1, 2.5])
L.tensor([True, 2])
L.tensor([True, False])
L.tensor((1, 2.5))
L.tensor([])
L.tensor([[]])
L.tensor([[1, 2], [3, 4]])
L.tensor(np.float64(2.5))
L.tensor(np.float32(2.5))
L.tensor(np.array([1, 2], np.int32))
L.tensor(np.array([1, 2], np.float64))
L.tensor(np.array([[1.5]], np.float32))
L.tensor([L.tensor(1.5), L.tensor(2.)])
L.tensor([L.tensor(1), 2.5])
L.tensor([np.float64(1.5), 2])
L.tensor([np.float32(1.5), 2.0])
L.tensor([np.int32(2), 2.5])
L.tensor([1, 2], dtype=L.float64)
L.tensor([1.7, -2.7], dtype=L.int64)
L.tensor(2.5, dtype=L.bool)
L.tensor([1., 2], requires_grad=True)
L.tensor([1., 2], dtype=L.float64, requires_grad=True)
L.tensor([-255, -1], dtype=L.uint8)
L.tensor([-0.5, 127.5], dtype=L.int8)
L.tensor(np.int64(-3), dtype=L.uint8)
L.tensor(np.array([300, -1]), dtype=L.uint8)
L.tensor([2 ** 63], dtype=L.float32)
L.tensor([2 ** 64], dtype=L.float64)
L.tensor([-2 ** 63 - 1], dtype=L.float64)
L.tensor([2 ** 64], dtype=L.bool)
L.tensor([1.5, 2 ** 64])
L.tensor([2 ** 63, 1.5])
L.tensor(np.arange(0.)[::-1])
L.tensor(np.arange(4.).reshape(2, 2)[::-1][::-1])
L.Tensor()
L.as_tensor([1, 2])
L.as_tensor(np.array([1., 2]))
L.as_tensor([1., 2], dtype=L.float64)
L.from_numpy(np.array([1., 2]))
L.from_numpy(np.array([1, 2], np.int32))
L.from_numpy(np.array([True]))
L.zeros(2, 3)
L.zeros((2, 3))
L.zeros([2, 3], dtype=L.int64)
L.zeros(2, 3, dtype=L.bool)
L.zeros(())
L.zeros(0, 3)
L.zeros(L.Size([2, 3]))
L.zeros(2, requires_grad=True)
L.ones(2, 3, dtype=L.float64)
L.ones(0)
L.full((2, 3), 1.5)
L.full((2, 3), 2)
L.full((2, 3), True)
L.full((2,), 2, dtype=L.float32)
L.full([], 2.)
L.full((2,), 2.5, dtype=L.int64)
L.empty(2, 3).shape
L.empty(2, 3, dtype=L.int64).dtype
L.empty((2, 3), dtype=L.float64).dtype
L.arange(5)
L.arange(5.)
L.arange(1, 4)
L.arange(1, 4, 0.5)
L.arange(0, 1, 0.1)
L.arange(0, -3, -1)
L.arange(5, dtype=L.float64)
L.arange(0.5, 3, dtype=L.int64)
L.arange(L.tensor(3))
L.arange(0, 3, 1.5, dtype=L.int64)
L.arange(0, 3.5, 1, dtype=L.int64)
L.arange(-2.5, 3, 1.5, dtype=L.int64)
L.arange(0.5, 3, 0.5, dtype=L.int32)
L.arange(-2.5, 3, 1.5, dtype=L.uint8)
L.arange(1.9, 5.2, 1.1, dtype=L.int16)
L.arange(0, 1, 0.1, dtype=L.int8)
L.arange(2 ** 40, 2 ** 40 + 3, dtype=L.float16)
L.linspace(0, 1, 1, dtype=L.bool)
L.linspace(0, 1, 0, dtype=L.bool)
L.linspace(-1, 1, 5, dtype=L.uint8)
L.linspace(3, -2, 6, dtype=L.int8)
L.linspace(1.5, 7.9, 5, dtype=L.int32)
L.linspace(0, 1, 1, dtype=L.int64)
L.linspace(-1, -200, 5, dtype=L.uint8)
L.zeros_like(L.ones(2, 3, dtype=L.int64))
L.ones_like(L.ones(2, 3), dtype=L.float64)
L.full_like(L.ones(2, 3, dtype=L.int64), 2.7)
L.full_like(L.ones(2, 3), 2.7)
L.empty_like(L.ones(2, 3, dtype=L.bool)).shape
L.zeros_like(L.ones(2), requires_grad=True)
L.rand(2, 3).shape
L.rand(2, 3).dtype
L.rand(2, 3, dtype=L.float64).dtype
L.randn((2, 3)).shape
L.randn(2, requires_grad=True).requires_grad
L.randint(5, (3,)).dtype
L.randint(2, 5, (3,)).shape
L.randint(10, size=(2, 2)).shape
L.randint(high=10, size=(2, 2)).dtype
L.randint(5, (3,), dtype=L.float32).dtype
L.rand_like(L.ones(2, 3)).shape
L.randn_like(L.ones(2, 3, dtype=L.float64)).dtype
L.randint_like(L.ones(2, 3), 5).dtype
L.randint_like(L.ones(2, 3), 1, 5).shape
L.randperm(5).dtype
L.randperm(0)
L.linspace(0, 1, 5)
L.eye(3)
L.eye(2, 3, dtype=L.int64)
L.get_default_dtype()
"""

FACTORY_ERRORS = """
L.tensor([[1, 2], [3]])
L.tensor([[[1], [2]], [[3], [4, 5]]])
L.tensor([[1, 2], 3])
L.tensor([1, [2, 3]])
L.tensor("abc")
L.tensor([1, None])
L.tensor([L.ones(2), L.ones(2)])
L.tensor([1, 2], requires_grad=True)
L.tensor([1, 2], dtype=L.int64, requires_grad=True)
L.ones(2, dtype=L.int64, requires_grad=True)
L.from_numpy([1, 2])
L.zeros()
L.zeros(-1)
L.zeros(2, -3)
L.ones(-1)
L.ones(2, -3)
L.empty(-1)
L.rand(-1)
L.randn(2, -1)
L.full((-1,), 2)
L.zeros(2.5)
L.ones((2, 2.5))
L.rand(2, 2.5)
L.randn("a")
L.full(2, 2)
L.arange(5, 1)
L.arange(1, 5, 0)
L.rand(2, 3, dtype=L.int64)
L.randn(2, 3, dtype=L.int64)
L.rand_like(L.ones(2, 3, dtype=L.int64))
L.randint(5, 2, (3,))
L.randint(3, (-1,))
L.eye(-1)
L.eye(2, -1)
L.linspace(0, 1, -1)
L.arange(0, 1, 0.1, dtype=L.int64)
L.arange(0.5, 3, 0.5, dtype=L.int64)
L.arange(3, dtype=L.bool)
L.arange(0, 1, 0, dtype=L.bool)
L.arange(5, 1, dtype=L.bool)
L.linspace(0, 1, 3, dtype=L.bool)
L.tensor([2 ** 63])
L.tensor(2 ** 63)
L.tensor([1, 2 ** 63])
L.tensor([[1], [2 ** 63]])
L.tensor([True, 2 ** 63])
L.tensor([L.tensor(2 ** 62), 2 ** 63])
L.tensor([2 ** 63], dtype=L.int32)
L.tensor([2 ** 63], dtype=L.uint8)
L.tensor(2 ** 64, dtype=L.int64)
L.tensor([-2 ** 63 - 1])
L.tensor([10 ** 400])
L.tensor([1.5, 10 ** 400])
L.tensor(10 ** 400, dtype=L.float32)
L.tensor([300], dtype=L.uint8)
L.tensor([-256], dtype=L.uint8)
L.tensor([-0.5], dtype=L.uint8)
L.tensor([255.5], dtype=L.uint8)
L.tensor([1, 2 ** 40], dtype=L.int32)
L.tensor([True, 300], dtype=L.uint8)
L.tensor([1e40], dtype=L.int64)
L.tensor([float('nan')], dtype=L.int32)
L.tensor(300, dtype=L.uint8)
L.tensor(np.int64(300), dtype=L.uint8)
L.tensor([np.int64(300)], dtype=L.uint8)
L.tensor([L.tensor(300)], dtype=L.uint8)
L.as_tensor([2 ** 40], dtype=L.int32)
L.ones(2).new_tensor([300], dtype=L.uint8)
L.from_numpy(np.arange(4.)[::-1])
L.from_numpy(np.ones((1, 2))[::-1])
L.tensor(np.arange(4.)[::-2])
L.tensor(np.ones((2, 1))[:, ::-1], dtype=L.float32)
L.as_tensor(np.arange(4.)[::-1])
"""


@pytest.mark.parametrize("call", FACTORY_CALLS.strip().splitlines())
def test_factory_matches_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


@pytest.mark.parametrize("call", FACTORY_ERRORS.strip().splitlines())
def test_factory_error_matches_torch(call):
    torch = pytest.importorskip("torch")
    fn = eval(f"lambda L: {call}")
    expected = outcome(fn, torch)
    assert expected[0] == "raised"
    assert outcome(fn, torchless) == expected


def test_unsupported_numpy_dtype_is_a_type_error_naming_it():
    for array in (np.array(["a"]), np.zeros(2, np.longdouble)):
        with pytest.raises(TypeError, match=rf"^can't convert np.ndarray of type numpy.{array.dtype.type.__name__}\. "):
            torchless.from_numpy(array)


@pytest.mark.parametrize("call", [
    "L.tensor([1e40])", "L.tensor([1e40], dtype=L.float32)", "L.tensor([1e300], dtype=L.float16)",
    "L.tensor(np.float64(1e40), dtype=L.float32)", "L.tensor([np.float64(1e40)], dtype=L.float32)",
    "L.tensor(np.array([1e40]), dtype=L.float32)", "L.tensor(np.array([1e300]), dtype=L.float16)",
    "L.tensor(np.array([np.nan, 1e40]), dtype=L.int64)",
])
def test_values_beyond_a_dtype_convert_silently_as_in_torch(call):
    # inf (or an arbitrary int for an array's nan), without NumPy's cast warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same_as_torch(eval(f"lambda L: {call}"))


def test_object_array_is_refused_with_a_dtype_too():
    with pytest.raises(TypeError, match=r"^can't convert np.ndarray of type numpy.object_\. "):
        torchless.tensor(np.array([1, 2], dtype=object), dtype=torchless.uint8)


@pytest.mark.parametrize("call", ["L.randint(5)", "L.randint(0, 5, 3)"])
def test_randint_without_a_size_tuple_is_a_type_error(call):
    with pytest.raises(TypeError, match=r"^randint\(\) received an invalid combination of arguments"):
        eval(call, {"L": torchless})


# ---------------------------------------------------------------- dtypes and conversions (independent)
def test_default_dtypes():
    assert torchless.tensor([1.0]).dtype is torchless.float32
    assert torchless.tensor([1]).dtype is torchless.int64
    assert torchless.tensor([True]).dtype is torchless.bool
    assert torchless.zeros(2).dtype is torchless.float32
    assert torchless.arange(3).dtype is torchless.int64
    assert torchless.full((1,), 1.0).dtype is torchless.float32
    assert torchless.float is torchless.float32 and torchless.double is torchless.float64
    assert torchless.long is torchless.int64


def test_conversions_change_dtype_and_values():
    t = torchless.tensor([1.75, -2.5, 0.0])
    assert t.double().dtype is torchless.float64 and t.double().tolist() == [1.75, -2.5, 0.0]
    assert t.long().tolist() == [1, -2, 0] and t.long().dtype is torchless.int64
    assert t.bool().tolist() == [True, True, False]
    assert t.to(torchless.float64).dtype is torchless.float64
    assert t.long().float().dtype is torchless.float32
    assert t.to("cpu") is t and t.to(torchless.float32) is t
    assert t.to("cpu", torchless.float64).dtype is torchless.float64
    assert t.to(dtype=torchless.int64).tolist() == [1, -2, 0]
    assert t.to(torchless.zeros(1, dtype=torchless.float64)).dtype is torchless.float64
    assert t.numpy().dtype == np.float32 and t.double().numpy().dtype == np.float64


def test_conversion_to_integer_leaves_the_graph():
    x = torchless.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad
    assert x.double().requires_grad and x.double().grad_fn.name() == "ToCopyBackward0"


def test_set_default_dtype_changes_float_factories():
    torchless.set_default_dtype(torchless.float64)
    try:
        assert torchless.tensor([1.5]).dtype is torchless.float64
        assert torchless.zeros(2).dtype is torchless.float64
        assert torchless.rand(2).dtype is torchless.float64
        assert torchless.tensor([1]).dtype is torchless.int64
        assert repr(torchless.tensor([1.5])) == "tensor([1.5000])"
    finally:
        torchless.set_default_dtype(torchless.float32)
    assert torchless.zeros(2).dtype is torchless.float32


def test_from_numpy_and_as_tensor_share_memory_tensor_copies():
    array = np.zeros(3, np.float32)
    shared, also_shared, copied = torchless.from_numpy(array), torchless.as_tensor(array), torchless.tensor(array)
    array[0] = 5
    assert shared[0].item() == 5 and also_shared[0].item() == 5 and copied[0].item() == 0
    shared.add_(1)
    assert array.tolist() == [6, 1, 1]
    assert np.asarray(shared) is array or np.shares_memory(np.asarray(shared), array)


def test_like_factories_keep_shape_and_dtype():
    src = torchless.zeros(2, 3, dtype=torchless.float64)
    for fn in (torchless.zeros_like, torchless.ones_like, torchless.empty_like, torchless.rand_like,
               torchless.randn_like):
        out = fn(src)
        assert out.shape == (2, 3) and out.dtype is torchless.float64
    assert torchless.full_like(src, 7).tolist() == [[7.0] * 3] * 2
    assert torchless.ones_like(src).tolist() == [[1.0] * 3] * 2
    ints = torchless.randint_like(src, 3, 5)
    assert ints.dtype is torchless.float64 and set(ints.flatten().tolist()) <= {3.0, 4.0}


# ---------------------------------------------------------------- random factories
RANDOM_DRAWS = {
    "rand": lambda: torchless.rand(4, 5),
    "randn": lambda: torchless.randn(4, 5),
    "randint": lambda: torchless.randint(0, 1000, (4, 5)),
    "randperm": lambda: torchless.randperm(50),
    "rand_like": lambda: torchless.rand_like(torchless.zeros(3, 3)),
    "randn_like": lambda: torchless.randn_like(torchless.zeros(3, 3, dtype=torchless.float64)),
    "randint_like": lambda: torchless.randint_like(torchless.zeros(3, 3), 1000),
    "uniform_": lambda: torchless.empty(4, 5).uniform_(-2, 3),
    "normal_": lambda: torchless.empty(4, 5).normal_(1, 2),
    "bernoulli_": lambda: torchless.empty(30).bernoulli_(0.5),
    "rand_float64": lambda: torchless.rand(6, dtype=torchless.float64),
}


@pytest.mark.parametrize("name", sorted(RANDOM_DRAWS))
def test_manual_seed_makes_random_factories_reproducible(name):
    draw = RANDOM_DRAWS[name]
    torchless.manual_seed(123)
    first = draw().tolist()
    second = draw().tolist()
    torchless.manual_seed(123)
    assert draw().tolist() == first
    assert draw().tolist() == second
    assert first != second  # the stream moves on
    torchless.manual_seed(124)
    assert draw().tolist() != first


def test_generator_argument_is_independent_of_the_default_stream():
    g = torchless.Generator().manual_seed(7)
    a = torchless.rand(5, generator=g).tolist()
    torchless.manual_seed(0)
    torchless.rand(100)  # moving the default stream must not matter
    g.manual_seed(7)
    assert torchless.rand(5, generator=g).tolist() == a


def test_rng_state_round_trip():
    torchless.manual_seed(3)
    state = torchless.get_rng_state()
    a = torchless.randn(4).tolist()
    torchless.set_rng_state(state)
    assert torchless.randn(4).tolist() == a


def test_random_values_have_the_right_ranges_and_moments():
    torchless.manual_seed(0)
    u = torchless.rand(20000).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    n = torchless.randn(20000).numpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03
    r = torchless.randint(3, 7, (20000,)).numpy()
    assert set(np.unique(r)) == {3, 4, 5, 6}
    p = torchless.randperm(100).numpy()
    assert sorted(p.tolist()) == list(range(100))
    v = torchless.empty(20000).uniform_(-2, 3).numpy()
    assert v.min() >= -2 and v.max() < 3 and abs(v.mean() - 0.5) < 0.05
    w = torchless.empty(20000, dtype=torchless.float64).normal_(1, 2).numpy()
    assert abs(w.mean() - 1) < 0.06 and abs(w.std() - 2) < 0.06 and w.dtype == np.float64


@pytest.mark.parametrize("call", [
    "L.zeros(2, 3, dtype=L.int64).uniform_()", "L.zeros(2, 3, dtype=L.int64).normal_()",
    "L.zeros(2, 3).uniform_(2, 1)", "L.zeros(2, 3).normal_(0, -1)",
])
def test_random_fill_errors_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


# ---------------------------------------------------------------- fill values that do not fit the dtype
FILL_CALLS = """
L.full_like(L.zeros(2, dtype=L.uint8), -100)
L.full_like(L.zeros(2, dtype=L.uint8), 300)
L.full_like(L.zeros(2, dtype=L.uint8), 2.7)
L.full_like(L.zeros(2, dtype=L.uint8), -2.7)
L.full_like(L.zeros(2, dtype=L.int8), 200)
L.full_like(L.zeros(2, dtype=L.int32), 2 ** 40)
L.full_like(L.zeros(2, dtype=L.int64), 2 ** 70)
L.full((2,), -100, dtype=L.uint8)
L.full((1,), 2 ** 63, dtype=L.int64)
L.full((1,), -2 ** 63, dtype=L.int64)
L.full((1,), -2 ** 63 - 1, dtype=L.int64)
L.full((1,), float('inf'), dtype=L.int64)
L.full((1,), 1e40, dtype=L.float32)
L.full((1,), 1e20, dtype=L.float16)
L.full((1,), 2 ** 70, dtype=L.float32)
L.zeros(2, dtype=L.uint8).fill_(-100)
L.zeros(2, dtype=L.uint8).fill_(-300)
L.zeros(2, dtype=L.int16).fill_(40000)
L.zeros(2, dtype=L.int16).fill_(-2.5)
L.zeros(2).fill_(-1e40)
L.zeros(2).fill_(float('-inf'))
"""


@pytest.mark.parametrize("call", FILL_CALLS.strip().splitlines())
def test_fill_values_convert_as_in_torch(call):
    """PyTorch's checked scalar conversion: integer dtypes refuse values out of range (an unsigned one
    wraps negative integers down to -max), float32 refuses finite values beyond its range."""
    assert_same_as_torch(eval(f"lambda L: {call}"))
