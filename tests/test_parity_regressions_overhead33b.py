"""Session 33, per-call overhead, second round: the calls that took shorter paths, compared with PyTorch 2.13.0 and,
where one exists, with an independent float64 reference. Each short path must give what the general one gave:
values (to the bit where PyTorch's kernel is matched), dtypes, strides, gradients, and the general path's errors
for every call the short path leaves to it.

- max()/min()/amax by the ufuncs' reduce (NaN, signed zeros, ties sharing the gradient, empty inputs' errors).
- where() with operands of the condition's shape skips the broadcast checks (broadcasting and its error still run).
- sigmoid divides once (the numerator chosen by sign) instead of twice.
- layer_norm's common call skips the checks read one by one; group/instance/layer norm forwards skip a nested
  errstate; the row means by np.add.reduce.
- cat/stack of tensors of one dtype skip the list's checks; cat skips the per-dim comparison for equal shapes.
- full() with a plain float/int/bool; randint's range check and integer fills with the integer limits kept per dtype.
- cross_entropy's node under the function's errstate only; dropout's tied draws; batch_norm's cancelling channels.
- Nearest interpolation's taps kept per shape (read-only); preserve_format's strides of a C-ordered copy of a
  C-ordered array taken as they are; elementwise results' C-order test by a loop.

Seen and left (older than this session, not changed here): amax/amin of a tie of signed zeros keep the other zero
than PyTorch's; an empty leaf's gradient has all-zero strides (PyTorch's are C order's); PyTorch's float32 sigmoid
gives 0 where the correctly rounded result is the smallest subnormal.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_error, assert_same_tensor


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _same_error(call_mine, call_theirs):
    assert_same_error(call_theirs, call_mine)


def _both(torch, array, requires_grad=False):
    return (torchless.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


_SPECIAL = [0.0, -0.0, 1e-45, -1e-45, 88.7, -88.7, 103.9, -103.9, 1e30, -1e30, np.inf, -np.inf, 17.0, -17.0, 0.5]


# --------------------------------------------------------------------------- max / min / amax
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "uint8", "bool"])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_of_everything_against_torch_and_numpy(torch, dtype, name):
    rng = np.random.default_rng(1)
    for shape in [(), (1,), (7,), (4, 5), (2, 3, 4)]:
        array = (rng.standard_normal(shape) * 50).astype(dtype)
        mine, theirs = _both(torch, array)
        got = getattr(mine, name)()
        assert_same_tensor(got, getattr(theirs, name)(), nan_sign=False)
        assert got.item() == (array.max() if name == "max" else array.min())  # (NumPy's own, independently)
    transposed = (np.arange(12) % 5).astype(dtype).reshape(3, 4)
    assert_same_tensor(getattr(torchless.tensor(transposed).t(), name)(),
                       getattr(torch.tensor(transposed).t(), name)(), nan_sign=False)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_max_min_nan_signed_zero_and_empty(torch, name):
    def call(m, t):
        return getattr(t, name)() if name in ("max", "min") else getattr(t, name)(0)
    # (a tie of signed zeros: max()/min() answer as PyTorch's; amax/amin keep the other zero, see the report)
    signed_zeros = ([0.0, -0.0], [-0.0, 0.0]) if name in ("max", "min") else ()
    for values in ([1.0, np.nan, 3.0], [-np.inf, np.inf], [np.nan], [2.0, 2.0, -1.0], *signed_zeros):
        mine, theirs = _both(torch, np.array(values, np.float32))
        assert_same_tensor(call(torchless, mine), call(torch, theirs), nan_sign=False)
    for shape in [(0,), (0, 3)]:
        _same_error(lambda: call(torchless, torchless.zeros(shape)), lambda: call(torch, torch.zeros(shape)))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_gradient_shares_ties(torch, name):
    array = np.array([[3.0, -1.0, 3.0], [3.0, 0.5, -1.0]], np.float32)
    mine, theirs = _both(torch, array, requires_grad=True)
    getattr(mine, name)().backward()
    getattr(theirs, name)().backward()
    assert_same_tensor(mine.grad, theirs.grad, nan_sign=False)
    extreme = array.max() if name == "max" else array.min()
    expected = (array == extreme) / np.count_nonzero(array == extreme)  # (the evenly shared gradient, by hand)
    np.testing.assert_array_equal(mine.grad.numpy(), expected.astype(np.float32))


def test_amax_keepdim_dims_and_gradient(torch):
    array = np.random.default_rng(2).standard_normal((3, 4, 5)).astype(np.float32)
    for dims, keepdim in [((0,), False), ((1, 2), True), ((-1,), False), ((), False)]:
        mine, theirs = _both(torch, array, requires_grad=True)
        got, expected = mine.amax(dims, keepdim), theirs.amax(dims, keepdim)
        assert_same_tensor(got, expected, nan_sign=False)
        got.sum().backward()
        expected.sum().backward()
        assert_same_tensor(mine.grad, theirs.grad, nan_sign=False)


# --------------------------------------------------------------------------- where
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_where_equal_shapes_and_broadcasting(torch, dtype):
    rng = np.random.default_rng(3)
    a, b = (rng.standard_normal((4, 5)) * 10).astype(dtype), (rng.standard_normal((4, 5)) * 10).astype(dtype)
    condition = rng.standard_normal((4, 5)) > 0
    expected_values = np.where(condition, a, b)  # (NumPy's, independently)
    got = torchless.where(torchless.tensor(condition), torchless.tensor(a), torchless.tensor(b))
    np.testing.assert_array_equal(got.numpy(), expected_values)
    assert_same_tensor(got, torch.where(torch.tensor(condition), torch.tensor(a), torch.tensor(b)), nan_sign=False)
    for shape_a, shape_b in [((5,), (4, 5)), ((4, 1), (1, 5)), ((4, 5), ())]:
        mine = torchless.where(torchless.tensor(condition), torchless.ones(shape_a, dtype=getattr(torchless, dtype)),
                               torchless.zeros(shape_b, dtype=getattr(torchless, dtype)))
        theirs = torch.where(torch.tensor(condition), torch.ones(shape_a, dtype=getattr(torch, dtype)),
                             torch.zeros(shape_b, dtype=getattr(torch, dtype)))
        assert_same_tensor(mine, theirs, nan_sign=False)
    assert_same_tensor(torchless.where(torchless.tensor(condition), torchless.tensor(a), 2),
                       torch.where(torch.tensor(condition), torch.tensor(a), 2), nan_sign=False)


def test_where_errors_and_gradients(torch):
    condition = np.array([[True, False, True]])
    _same_error(lambda: torchless.where(torchless.tensor(condition), torchless.ones(2, 3), torchless.ones(4, 3)),
                lambda: torch.where(torch.tensor(condition), torch.ones(2, 3), torch.ones(4, 3)))
    _same_error(lambda: torchless.where(torchless.tensor(condition), torchless.ones(1, 3), torchless.ones(1, 2)),
                lambda: torch.where(torch.tensor(condition), torch.ones(1, 3), torch.ones(1, 2)))
    _same_error(lambda: torchless.where(torchless.ones(1, 3), torchless.ones(1, 3), torchless.ones(1, 3)),
                lambda: torch.where(torch.ones(1, 3), torch.ones(1, 3), torch.ones(1, 3)))
    a_mine, a_theirs = _both(torch, np.array([[1.0, 2.0, 3.0]], np.float32), requires_grad=True)
    b_mine, b_theirs = _both(torch, np.array([[4.0, 5.0, 6.0]], np.float32), requires_grad=True)
    (torchless.where(torchless.tensor(condition), a_mine, b_mine) * 2).sum().backward()
    (torch.where(torch.tensor(condition), a_theirs, b_theirs) * 2).sum().backward()
    assert_same_tensor(a_mine.grad, a_theirs.grad, nan_sign=False)
    assert_same_tensor(b_mine.grad, b_theirs.grad, nan_sign=False)
    np.testing.assert_array_equal(a_mine.grad.numpy(), 2.0 * condition)


# --------------------------------------------------------------------------- sigmoid
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_against_float64_and_torch(torch, dtype):
    rng = np.random.default_rng(4)
    array = np.concatenate([np.array(_SPECIAL), rng.standard_normal(200) * 20, [np.nan]]).astype(dtype)
    got = torchless.sigmoid(torchless.tensor(array)).numpy()
    with np.errstate(over="ignore"):
        exact = 1 / (1 + np.exp(-array.astype(np.longdouble)))  # (wider than the dtype: rounding only)
    # (PyTorch's float32 kernel, and so torchless's, gives 0 where the result is the smallest subnormal,
    # 1 / (1 + e^103.9): e^-x overflows float32 there; atol)
    np.testing.assert_allclose(got, exact.astype(dtype), rtol=4 * np.finfo(dtype).eps, atol=2e-45)
    assert got[-1] != got[-1]
    np.testing.assert_allclose(got, torch.sigmoid(torch.tensor(array)).numpy(), rtol=4 * np.finfo(dtype).eps,
                               atol=2e-45)
    assert not np.signbit(got[:-1]).any()
    # the two branches meet: both give 0.5 at +-0, exactly
    assert got[0] == got[1] == 0.5


def test_sigmoid_zero_dim_layouts_and_gradient(torch):
    for array in (np.float32(-3.5), np.arange(-6, 6, dtype=np.float32).reshape(3, 4)):
        mine, theirs = _both(torch, np.asarray(array), requires_grad=True)
        got, expected = mine.sigmoid(), theirs.sigmoid()
        assert_same_tensor(got, expected, exact=False, rtol=1e-6)
        got.sum().backward()
        expected.sum().backward()
        assert_same_tensor(mine.grad, theirs.grad, exact=False, rtol=1e-6)
    base = np.arange(12, dtype=np.float32).reshape(3, 4) - 6
    assert_same_tensor(torchless.tensor(base).t().sigmoid(), torch.tensor(base).t().sigmoid(), exact=False, rtol=2e-6)


# --------------------------------------------------------------------------- layer / group / instance norm
def _layer_norm_reference(x, dims, weight, bias, eps):
    x = x.astype(np.float64)
    axes = tuple(range(x.ndim - dims, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("normalized", [(16,), [16], (3, 16)])
@pytest.mark.parametrize("affine", ["none", "weight", "both"])
def test_layer_norm_common_call_against_torch_and_float64(torch, dtype, normalized, affine):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((4, 3, 16)) * 3 + 1).astype(dtype)
    shape = tuple(normalized)
    weight = rng.standard_normal(shape).astype(dtype) if affine != "none" else None
    bias = rng.standard_normal(shape).astype(dtype) if affine == "both" else None
    tensors = {}
    for m in (torchless, torch):
        xt = m.tensor(x, requires_grad=True)
        wt = None if weight is None else m.tensor(weight, requires_grad=True)
        bt = None if bias is None else m.tensor(bias, requires_grad=True)
        y = m.nn.functional.layer_norm(xt, normalized, wt, bt, 1e-5)
        (y * m.arange(y.numel(), dtype=y.dtype).reshape(y.shape)).sum().backward()
        tensors[m] = (y, xt.grad, None if wt is None else wt.grad, None if bt is None else bt.grad)
    tolerance = 2e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(tensors[torchless][0].detach().numpy(),
                               _layer_norm_reference(x, len(shape), weight, bias, 1e-5), rtol=tolerance, atol=tolerance)
    for mine, theirs in zip(tensors[torchless], tensors[torch]):
        if theirs is None:
            assert mine is None
        else:
            assert_same_tensor(mine, theirs, exact=False, rtol=20 * tolerance)
    assert type(tensors[torchless][0].grad_fn).__name__ == type(tensors[torch][0].grad_fn).__name__


def test_layer_norm_size_and_parameter_arguments(torch):
    x = np.random.default_rng(6).standard_normal((2, 5)).astype(np.float32)
    for normalized in (torchless.Size([5]),):
        assert_same_tensor(torchless.nn.functional.layer_norm(torchless.tensor(x), normalized),
                           torch.nn.functional.layer_norm(torch.tensor(x), torch.Size([5])), exact=False, rtol=2e-6)
    layer, reference = torchless.nn.LayerNorm(5), torch.nn.LayerNorm(5)
    assert_same_tensor(layer(torchless.tensor(x)), reference(torch.tensor(x)), exact=False, rtol=2e-6)
    # an int eps, a NumPy int in the shape, a float16 input: the general path, the same values
    for m_args, t_args in [(((5,), None, None, 0), ((5,), None, None, 0)),
                           (((np.int64(5),), None, None, 1e-5), ((np.int64(5),), None, None, 1e-5))]:
        assert_same_tensor(torchless.nn.functional.layer_norm(torchless.tensor(x), *m_args),
                     torch.nn.functional.layer_norm(torch.tensor(x), *t_args), exact=False, rtol=1e-5)
    half = x.astype(np.float16)
    assert_same_tensor(torchless.nn.functional.layer_norm(torchless.tensor(half), (5,)),
                 torch.nn.functional.layer_norm(torch.tensor(half), (5,)), exact=False, rtol=2e-3)


@pytest.mark.parametrize("case", [
    lambda m, x: m.nn.functional.layer_norm(x, (4,)),
    lambda m, x: m.nn.functional.layer_norm(x, ()),
    lambda m, x: m.nn.functional.layer_norm(x, (5,), m.ones(4)),
    lambda m, x: m.nn.functional.layer_norm(x, (5,), None, m.ones(5, dtype=m.float64)),
    lambda m, x: m.nn.functional.layer_norm(x, (5,), m.ones(5, dtype=m.float64)),
    lambda m, x: m.nn.functional.layer_norm(x, (5.0,)),
    lambda m, x: m.nn.functional.layer_norm(x, (True,)),
    lambda m, x: m.nn.functional.layer_norm(x, 5),
    lambda m, x: m.nn.functional.layer_norm(x, (2, 5, 5)),
    lambda m, x: m.nn.functional.layer_norm(x, (5,), eps="a"),
    lambda m, x: m.nn.functional.layer_norm(x.long(), (5,)),
    lambda m, x: m.nn.functional.layer_norm(x, (5,), [1.0] * 5),
    lambda m, x: m.nn.functional.layer_norm([1.0], (5,)),
])
def test_layer_norm_errors_left_to_the_general_path(torch, case):
    x = np.ones((2, 5), np.float32)
    _same_error(lambda: case(torchless, torchless.tensor(x)), lambda: case(torch, torch.tensor(x)))


@pytest.mark.parametrize("name", ["layer_norm", "group_norm", "instance_norm"])
def test_normalisations_of_infinities_stay_silent(torch, name):
    x = np.array([[[1.0, np.inf, 2.0, 3.0], [5.0, 5.0, 5.0, 5.0]], [[-np.inf, 1.0, 2.0, 0.0], [0.1, 0.2, 0.3, 0.4]]],
                 np.float32)

    def call(m):
        t = m.tensor(x)
        if name == "layer_norm":
            return m.nn.functional.layer_norm(t, (4,))
        if name == "group_norm":
            return m.nn.functional.group_norm(t, 1)
        return m.nn.functional.instance_norm(t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = call(torchless)
    expected = call(torch)
    np.testing.assert_array_equal(np.isnan(got.numpy()), np.isnan(expected.numpy()))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["group_norm", "instance_norm"])
def test_group_and_instance_norm_against_float64(torch, name):
    x = (np.random.default_rng(7).standard_normal((2, 4, 3, 3)) * 4 + 2).astype(np.float32)
    mine = (torchless.nn.functional.group_norm(torchless.tensor(x), 2) if name == "group_norm"
            else torchless.nn.functional.instance_norm(torchless.tensor(x)))
    groups = x.reshape(2, 2, -1) if name == "group_norm" else x.reshape(2, 4, -1)
    expected = _layer_norm_reference(groups, 1, None, None, 1e-5).reshape(x.shape)
    np.testing.assert_allclose(mine.numpy(), expected, rtol=2e-5, atol=2e-5)
    theirs = (torch.nn.functional.group_norm(torch.tensor(x), 2) if name == "group_norm"
              else torch.nn.functional.instance_norm(torch.tensor(x)))
    assert_same_tensor(mine, theirs, exact=False, rtol=1e-5)


# --------------------------------------------------------------------------- cat / stack
@pytest.mark.parametrize("name", ["cat", "stack", "concat"])
def test_cat_stack_of_one_dtype_and_promoted(torch, name):
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32)
    for dim in (0, 1, -1):
        mine = getattr(torchless, name)((torchless.tensor(a), torchless.tensor(b)), dim)
        theirs = getattr(torch, name)((torch.tensor(a), torch.tensor(b)), dim)
        assert_same_tensor(mine, theirs, nan_sign=False)
        expected = (np.concatenate if name != "stack" else np.stack)([a, b], axis=dim)  # (NumPy's, independently)
        np.testing.assert_array_equal(mine.numpy(), expected)
    for second in (b.astype(np.float64), b.astype(np.int64), b > 0):
        assert_same_tensor(getattr(torchless, name)([torchless.tensor(a), torchless.tensor(second)]),
                           getattr(torch, name)([torch.tensor(a), torch.tensor(second)]), nan_sign=False)
    # parameters, transposed inputs, gradients
    pa, pb = torchless.nn.Parameter(torchless.tensor(a)), torchless.nn.Parameter(torchless.tensor(b))
    qa, qb = torch.nn.Parameter(torch.tensor(a)), torch.nn.Parameter(torch.tensor(b))
    mine, theirs = getattr(torchless, name)([pa.t(), pb.t()], 1), getattr(torch, name)([qa.t(), qb.t()], 1)
    assert_same_tensor(mine, theirs, nan_sign=False)
    (mine * torchless.arange(mine.numel()).reshape(mine.shape)).sum().backward()
    (theirs * torch.arange(theirs.numel()).reshape(theirs.shape)).sum().backward()
    assert_same_tensor(pa.grad, qa.grad, nan_sign=False)
    assert_same_tensor(pb.grad, qb.grad, nan_sign=False)


def test_cat_skips_empty_1d_and_checks_shapes(torch):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert_same_tensor(torchless.cat([torchless.tensor(a), torchless.zeros(0), torchless.tensor(a)]),
                       torch.cat([torch.tensor(a), torch.zeros(0), torch.tensor(a)]), nan_sign=False)
    assert_same_tensor(torchless.cat([torchless.tensor(a), torchless.tensor(a[:1])]),
                       torch.cat([torch.tensor(a), torch.tensor(a[:1])]), nan_sign=False)
    assert_same_tensor(torchless.cat([torchless.zeros(0), torchless.zeros(0)]),
                       torch.cat([torch.zeros(0), torch.zeros(0)]), nan_sign=False)


@pytest.mark.parametrize("case", [
    lambda m: m.cat([m.ones(2, 3), m.ones(2, 4)]),
    lambda m: m.cat([m.ones(2, 3), m.ones(2, 3, 1)]),
    lambda m: m.cat([m.ones(2, 3), m.ones(2, 3)], 2),
    lambda m: m.cat([m.ones(2, 3), m.tensor(1.0)]),
    lambda m: m.cat([m.tensor(1.0), m.tensor(1.0)]),
    lambda m: m.cat([m.ones(2), 1.0]),
    lambda m: m.cat([]),
    lambda m: m.cat(m.ones(2, 3)),
    lambda m: m.cat([m.ones(2), m.ones(2)], 0.5),
    lambda m: m.cat([m.ones(2), m.ones(2)], True),
    lambda m: m.stack([m.ones(2, 3), m.ones(3, 2)]),
    lambda m: m.stack([m.ones(2), m.ones(2)], 2),
    lambda m: m.stack([m.ones(2), m.ones(2, dtype=m.float64), m.ones(3)]),
    lambda m: m.stack([]),
    lambda m: m.stack((m.ones(2), None)),
])
def test_cat_stack_errors(torch, case):
    _same_error(lambda: case(torchless), lambda: case(torch))


# --------------------------------------------------------------------------- full, randint, randperm
@pytest.mark.parametrize("value", [1.5, -0.0, 3, 0, -7, True, False, 2**40, np.float64(2.5), np.int32(4), 1 + 2j])
@pytest.mark.parametrize("dtype", [None, "float32", "int64", "uint8", "float16", "bool"])
def test_full_values_and_dtypes(torch, value, dtype):
    def call(m):
        return m.full((2, 3), value, dtype=None if dtype is None else getattr(m, dtype))
    try:
        expected = call(torch)
    except Exception:
        _same_error(lambda: call(torchless), lambda: call(torch))
        return
    got = call(torchless)
    assert_same_tensor(got, expected, nan_sign=False)


@pytest.mark.parametrize("case", [
    lambda m: m.full((2,), 300, dtype=m.uint8),
    lambda m: m.full((2,), -1, dtype=m.uint8),
    lambda m: m.full((2,), -300, dtype=m.uint8),
    lambda m: m.full((2,), 2**63),
    lambda m: m.full((2,), 128, dtype=m.int8),
    lambda m: m.full((2,), 1e40, dtype=m.float32),
    lambda m: m.full(2, 1.0),
    lambda m: m.full((2,), "a"),
    lambda m: m.full((-1,), 1.0),
    lambda m: m.full((2,), 1.0, requires_grad=True),
])
def test_full_fills_and_errors(torch, case):
    try:
        expected = case(torch)
    except Exception:
        _same_error(lambda: case(torchless), lambda: case(torch))
        return
    assert_same_tensor(case(torchless), expected, nan_sign=False)
    assert case(torchless).requires_grad == expected.requires_grad


def test_randint_randperm_streams_against_torch(torch):
    for seed in (0, 1, 123):
        for call in (lambda m: m.randint(0, 10, (5,)), lambda m: m.randint(10, (3, 3)),
                     lambda m: m.randint(-5, 5, (4,), dtype=m.int8), lambda m: m.randint(0, 200, (6,), dtype=m.uint8),
                     lambda m: m.randint(0, 7, (4,), dtype=m.float32), lambda m: m.randperm(10),
                     lambda m: m.randperm(5, dtype=m.int16), lambda m: m.randperm(7, dtype=m.float32)):
            torchless.manual_seed(seed)
            torch.manual_seed(seed)
            assert_same_tensor(call(torchless), call(torch), nan_sign=False)
    torchless.manual_seed(0)
    draws = torchless.randint(3, 9, (2000,)).numpy()
    assert draws.min() == 3 and draws.max() == 8  # (the range, independently of torch)
    assert sorted(torchless.randperm(50).tolist()) == list(range(50))


@pytest.mark.parametrize("case", [
    lambda m: m.randint(0, 300, (3,), dtype=m.uint8),
    lambda m: m.randint(-1, 3, (3,), dtype=m.uint8),
    lambda m: m.randint(-200, 3, (3,), dtype=m.int8),
    lambda m: m.randint(0, 2**31 + 1, (3,), dtype=m.int32),
    lambda m: m.randint(5, 5, (3,)),
    lambda m: m.randint(0, 3, (3,), dtype=m.complex64),
    lambda m: m.randint(0, 3, (3,), generator=1),
    lambda m: m.randperm(300, dtype=m.int8),
    lambda m: m.randperm(3, dtype=m.bool),
    lambda m: m.randperm(3, generator="g"),
    lambda m: m.randperm(-1),
])
def test_random_range_errors(torch, case):
    _same_error(lambda: case(torchless), lambda: case(torch))


def test_randint_bool_range(torch):
    for seed in (0, 1):
        torchless.manual_seed(seed)
        torch.manual_seed(seed)
        assert_same_tensor(torchless.randint(0, 2, (8,), dtype=torchless.bool),
                           torch.randint(0, 2, (8,), dtype=torch.bool), nan_sign=False)
    _same_error(lambda: torchless.randint(0, 3, (3,), dtype=torchless.bool),
                lambda: torch.randint(0, 3, (3,), dtype=torch.bool))


# --------------------------------------------------------------------------- cross_entropy, dropout
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_against_torch_and_float64(torch, reduction, smoothing, dtype):
    rng = np.random.default_rng(9)
    logits = (rng.standard_normal((6, 5)) * 4).astype(dtype)
    target = np.array([0, 4, 2, -100, 1, 3])
    results = {}
    for m in (torchless, torch):
        x = m.tensor(logits, requires_grad=True)
        loss = m.nn.functional.cross_entropy(x, m.tensor(target), reduction=reduction, label_smoothing=smoothing)
        (loss.sum() if reduction == "none" else loss).backward()
        results[m] = loss, x.grad
    tolerance = 2e-6 if dtype == "float32" else 1e-13
    for mine, theirs in zip(results[torchless], results[torch]):
        assert_same_tensor(mine, theirs, exact=False, rtol=tolerance)
    if not smoothing:  # -log_softmax at the targets, in float64
        wide = logits.astype(np.float64)
        log_softmax = wide - np.log(np.exp(wide - wide.max(1, keepdims=True)).sum(1, keepdims=True)) \
            - wide.max(1, keepdims=True)
        kept = target != -100
        losses = np.where(kept, -log_softmax[np.arange(6), np.where(kept, target, 0)], 0)
        expected = {"none": losses, "sum": losses.sum(), "mean": losses.sum() / kept.sum()}[reduction]
        np.testing.assert_allclose(results[torchless][0].detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_cross_entropy_extremes_are_silent_and_targets_checked(torch):
    logits = np.array([[np.inf, 1.0, 0.0], [-np.inf, 0.0, 1.0], [1e30, -1e30, 0.0], [np.nan, 0.0, 1.0]], np.float32)
    target = np.array([0, 1, 2, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = torchless.nn.functional.cross_entropy(torchless.tensor(logits), torchless.tensor(target),
                                                    reduction="none")
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(target), reduction="none")
    np.testing.assert_array_equal(np.isnan(got.numpy()), np.isnan(expected.numpy()))
    np.testing.assert_allclose(got.numpy(), expected.numpy())
    for bad in ([0, 3, 1, 1], [0, -1, 1, 1], [0, 1, 2, -101]):
        _same_error(lambda: torchless.nn.functional.cross_entropy(torchless.tensor(logits), torchless.tensor(bad)),
                    lambda: torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(bad)))
    ignored = torchless.nn.functional.cross_entropy(torchless.tensor(logits[:1]), torchless.tensor([-100]))
    assert np.isnan(ignored.item())  # (nothing to average over: nan, as torch's)
    assert np.isnan(torch.nn.functional.cross_entropy(torch.tensor(logits[:1]), torch.tensor([-100])).item())


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_masks_against_torch(torch, p):
    x = np.random.default_rng(10).standard_normal((4, 8, 3)).astype(np.float32) + 2
    for seed in (0, 5):
        torchless.manual_seed(seed)
        torch.manual_seed(seed)
        mine = torchless.nn.functional.dropout(torchless.tensor(x), p, True)
        theirs = torch.nn.functional.dropout(torch.tensor(x), p, True)
        assert_same_tensor(mine, theirs, exact=False, rtol=1e-6)
        kept = mine.numpy() != 0
        np.testing.assert_allclose(mine.numpy()[kept], (x / np.float32(1 - p))[kept], rtol=1e-6)
    mine, theirs = torchless.tensor(x), torch.tensor(x)
    assert (torchless.nn.functional.dropout(mine, p, False) is mine) == \
        (torch.nn.functional.dropout(theirs, p, False) is theirs)


# --------------------------------------------------------------------------- nearest interpolation
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8"])
def test_nearest_interpolation_to_the_bit_twice(torch, mode, dtype):
    x = (np.arange(2 * 3 * 5 * 4).reshape(2, 3, 5, 4) * 7 % 23).astype(dtype)
    for scale in (2, 1.5, 0.5, 1, 3):
        for channels_last in (False, True):
            for _ in range(2):  # (the second call reads the taps the first one kept)
                mine, theirs = torchless.tensor(x), torch.tensor(x)
                if channels_last:
                    mine = mine.contiguous(memory_format=torchless.channels_last)
                    theirs = theirs.contiguous(memory_format=torch.channels_last)
                got = torchless.nn.functional.interpolate(mine, scale_factor=scale, mode=mode)
                expected = torch.nn.functional.interpolate(theirs, scale_factor=scale, mode=mode)
                assert_same_tensor(got, expected, nan_sign=False)
        if mode == "nearest" and scale == 2:  # (each pixel repeated twice along both axes, by hand)
            np.testing.assert_array_equal(got.numpy(), x.repeat(2, axis=2).repeat(2, axis=3))


@pytest.mark.parametrize("size", [(3,), (7, 9), (2, 3, 4)])
def test_nearest_interpolation_gradients_and_ranks(torch, size):
    rank = len(size)
    x = np.random.default_rng(11).standard_normal((1, 2) + tuple(n + 1 for n in size)).astype(np.float32)
    for _ in range(2):
        mine, theirs = _both(torch, x, requires_grad=True)
        got = torchless.nn.functional.interpolate(mine, size=size, mode="nearest")
        expected = torch.nn.functional.interpolate(theirs, size=size, mode="nearest")
        assert_same_tensor(got, expected, nan_sign=False)
        weights = np.arange(got.numel(), dtype=np.float32).reshape(tuple(got.shape))
        (got * torchless.tensor(weights)).sum().backward()
        (expected * torch.tensor(weights)).sum().backward()
        assert_same_tensor(mine.grad, theirs.grad, nan_sign=False)
    assert rank == got.dim() - 2


@pytest.mark.parametrize("case", [
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4, dtype=m.int64), size=(2, 2)),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4), size=(0, 2)),
    lambda m: m.nn.functional.interpolate(m.ones(1, 0, 4, 4), size=(2, 2)),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4, dtype=m.uint8), size=(2, 2), mode="bilinear"),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, dtype=m.float16), size=(2,), mode="linear"),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4, dtype=m.float16), size=(2, 2), mode="bilinear",
                                          antialias=True),
])
def test_interpolation_dtype_and_size_errors(torch, case):
    try:
        expected = case(torch)
    except Exception:
        _same_error(lambda: case(torchless), lambda: case(torch))
        return
    assert_same_tensor(case(torchless), expected, exact=False, rtol=1e-3)


# --------------------------------------------------------------------------- preserve_format's strides
def _layouts(m):
    base = m.arange(2 * 3 * 4 * 5, dtype=m.float32).reshape(2, 3, 4, 5) * 0.37
    return [base, base.contiguous(memory_format=m.channels_last), base.transpose(1, 3), base[:, :1], base[:1, :, :1],
            base[..., ::2], base[:, :, :1].expand(2, 3, 4, 5), base[:, :, :0], base.reshape(6, 20).t(),
            base.reshape(-1), base.reshape(1, 120), m.ones(1, 1, 1, 1)]


@pytest.mark.parametrize("call", [
    lambda m, t: t.double(), lambda m, t: t.half(), lambda m, t: t.clone(), lambda m, t: m.zeros_like(t),
    lambda m, t: m.ones_like(t, dtype=m.float64), lambda m, t: t.sort(-1)[0], lambda m, t: t.sort(-1)[1],
    lambda m, t: t.sort(0)[1], lambda m, t: t.argsort(-1), lambda m, t: m.empty_like(t).zero_(),
    lambda m, t: m.as_tensor(t, dtype=m.float64),
])
def test_results_keep_pytorchs_preserved_strides(torch, call):
    for mine, theirs in zip(_layouts(torchless), _layouts(torch)):
        assert_same_tensor(call(torchless, mine), call(torch, theirs), nan_sign=False)


def test_preserved_strides_gradients_and_tensor_from_lists(torch):
    for mine, theirs in zip(_layouts(torchless), _layouts(torch)):
        if not mine.numel():  # (an empty leaf's gradient has all-zero strides, PyTorch's C order's: see the report)
            continue
        mine, theirs = mine.detach().clone().requires_grad_(), theirs.detach().clone().requires_grad_()
        (mine.double().sort(-1)[0] * 2).sum().backward()
        (theirs.double().sort(-1)[0] * 2).sum().backward()
        assert_same_tensor(mine.grad, theirs.grad, nan_sign=False)
    for data in ([1.0, 2.0, 3.0], [[1, 2], [3, 4]], [True, False], [[1.5], [2.5]], [], [[]], 3.5, [1, 2.5]):
        got = torchless.tensor(data)
        assert_same_tensor(got, torch.tensor(data), nan_sign=False)
        np.testing.assert_array_equal(got.numpy(), np.array(data, dtype=got.numpy().dtype))  # (NumPy's reading)


# --------------------------------------------------------------------------- elementwise results' layout
@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a.sigmoid() - b,
                                lambda a, b: a > b])
def test_elementwise_layouts_of_every_pair(torch, op):
    mine_layouts, their_layouts = _layouts(torchless), _layouts(torch)
    for i, (a_mine, a_theirs) in enumerate(zip(mine_layouts, their_layouts)):
        for b_mine, b_theirs in zip(mine_layouts[i:], their_layouts[i:]):
            try:
                expected = op(a_theirs, b_theirs)
            except RuntimeError:  # (shapes that do not broadcast: the same error)
                _same_error(lambda: op(a_mine, b_mine), lambda: op(a_theirs, b_theirs))
                continue
            assert_same_tensor(op(a_mine, b_mine), expected, exact=False, rtol=1e-6)


# --------------------------------------------------------------------------- batch_norm's cancelling channels
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("shift", [0.0, 1e4])
def test_batch_norm_channels_far_from_their_mean(torch, training, shift):
    rng = np.random.default_rng(12)
    x = (rng.standard_normal((4, 3, 5, 5)) * 1e-2 + shift).astype(np.float32)
    x[:, 1] = shift  # (a constant channel)
    weight, bias = np.array([0.5, 1.0, 2.0], np.float32), np.array([-1.0, 0.0, 1.0], np.float32)
    statistics = {}
    outputs = {}
    for m in (torchless, torch):
        mean, var = m.full((3,), shift), m.full((3,), 1e-4)
        outputs[m] = m.nn.functional.batch_norm(m.tensor(x), mean, var, m.tensor(weight), m.tensor(bias), training)
        statistics[m] = mean, var
    assert_same_tensor(outputs[torchless], outputs[torch], exact=False, rtol=1e-6)
    for mine, theirs in zip(statistics[torchless], statistics[torch]):
        assert_same_tensor(mine, theirs, exact=False, rtol=1e-6)
    # (at 1e4 PyTorch's x * alpha + beta keeps their rounding, 2e-2 here, which the comparison above checks)
    if not training and not shift:  # (x - mean) / sqrt(var + eps) * weight + bias, in float64
        expected = (x.astype(np.float64) - shift) / np.sqrt(1e-4 + 1e-5) * weight[:, None, None] + bias[:, None, None]
        np.testing.assert_allclose(outputs[torchless].numpy(), expected, rtol=1e-3, atol=2e-2)
