"""Tensor operations (forward): values, dtypes, shapes and errors, against PyTorch and against NumPy."""
import operator
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import torchless
from helpers import examples

DTYPES = ["float32", "float64", "int64", "bool"]


def outcome(fn, lib):
    """What ``fn(lib)`` gives, in a library-neutral form (nested), or the exception type and message."""
    try:
        return neutral(fn(lib))
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        return ("raised", type(error).__name__, str(error).replace("torch.", "torchless."))


def neutral(result):
    if type(result).__name__ in ("Tensor", "Parameter"):
        return ("tensor", str(result.dtype).split(".")[-1], tuple(result.shape), np.asarray(result.detach()).tolist(),
                result.requires_grad)
    if type(result).__name__ == "Size":
        return ("size", tuple(result), repr(result).replace("torch.", "torchless."))
    if isinstance(result, np.ndarray):
        return ("array", result.dtype.name, result.tolist())
    if isinstance(result, tuple) and hasattr(result, "indices"):
        return ("values_indices", neutral(result.values), neutral(result.indices), neutral(result[0]))
    if isinstance(result, (list, tuple)):
        return [neutral(r) for r in result]
    if isinstance(result, str):
        return ("value", "str", result.replace("torch.", "torchless."))
    return ("value", type(result).__name__, result)


def close(a, b):
    """Equal, except floats, which agree to float32 precision (nan equal to nan)."""
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=2e-6, atol=1e-6, equal_nan=True))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def assert_same_as_torch(fn):
    torch = pytest.importorskip("torch")
    expected, got = outcome(fn, torch), outcome(fn, torchless)
    assert close(got, expected), f"\ntorch:     {expected}\ntorchless: {got}"


def make(lib, dtype, shape, fill=1):
    return lib.full(shape, fill, dtype=getattr(lib, dtype))


# ---------------------------------------------------------------- type promotion
PROMOTION_OPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "pow": operator.pow, "floordiv": operator.floordiv, "mod": operator.mod, "eq": operator.eq, "lt": operator.lt,
    "and": operator.and_, "where": None, "maximum": None, "cat": None,
}


def promote_case(lib, op, a, b):
    if op == "where":
        return lib.where(lib.ones(2, dtype=lib.bool), a, b)
    if op == "maximum":
        return lib.maximum(a, b)
    if op == "cat":
        return lib.cat([a.reshape(-1), b.reshape(-1)])
    return PROMOTION_OPS[op](a, b)


def dtype_outcome(lib, op, left, right):
    """(result dtype, shape) of ``left op right``; a spec is (dtype, 0-d?) for tensors or a Python scalar."""
    def build(spec):
        return make(lib, spec[0], () if spec[1] else (2,), fill=2) if isinstance(spec, tuple) else spec
    try:
        r = promote_case(lib, op, build(left), build(right))
    except Exception as error:  # noqa: BLE001
        return type(error).__name__, str(error)
    return str(r.dtype).split(".")[-1], tuple(r.shape)


TENSOR_SPECS = [(d, zero_d) for d in DTYPES for zero_d in (False, True)]
SCALARS = [True, 2, 2.5]


@pytest.mark.parametrize("op", sorted(PROMOTION_OPS))
def test_type_promotion_matches_torch_for_every_combination(op):
    torch = pytest.importorskip("torch")
    mismatches = []
    for left in TENSOR_SPECS:
        others = TENSOR_SPECS if op in ("maximum", "cat") else TENSOR_SPECS + SCALARS
        for right in others:
            for pair in ((left, right), (right, left)):
                if not isinstance(pair[0], tuple) and op in ("cat",):
                    continue
                expected = dtype_outcome(torch, op, *pair)
                got = dtype_outcome(torchless, op, *pair)
                if got != expected:
                    mismatches.append((pair, expected, got))
    assert not mismatches


@pytest.mark.parametrize("left, right, expected", [
    (("int64", False), 2.5, "float32"),
    (("int64", False), ("float64", True), "float64"),
    (("float32", False), ("float64", True), "float32"),
    (("float32", True), ("float64", True), "float64"),
    (("int64", False), ("bool", False), "int64"),
    (("bool", False), True, "bool"),
    (("bool", False), 2, "int64"),
    (("float32", False), ("int64", False), "float32"),
    (("float64", False), 2.5, "float64"),
])
def test_type_promotion_hand_checked(left, right, expected):
    assert dtype_outcome(torchless, "add", left, right)[0] == expected


def test_true_division_of_integers_gives_default_float():
    assert (torchless.tensor([3]) / 2).tolist() == [1.5]
    assert (torchless.tensor([3]) / 2).dtype is torchless.float32
    assert (torchless.tensor([7, -7]) // 2).tolist() == [3, -4]
    assert (torchless.tensor([7, -7]) % 3).tolist() == [1, 2]


# ---------------------------------------------------------------- elementwise and broadcasting (hypothesis)
finite = st.floats(-100, 100, allow_nan=False, width=32)


@st.composite
def broadcast_pair(draw, dtype=np.float32, elements=finite):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
    a = draw(hnp.arrays(dtype, shapes.input_shapes[0], elements=elements))
    b = draw(hnp.arrays(dtype, shapes.input_shapes[1], elements=elements))
    return a, b


BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
          "maximum": lambda a, b: a.maximum(b), "minimum": lambda a, b: a.minimum(b),
          "gt": operator.gt, "le": operator.le, "eq": operator.eq, "ne": operator.ne}
NUMPY_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "maximum": np.maximum,
                "minimum": np.minimum, "gt": np.greater, "le": np.less_equal, "eq": np.equal, "ne": np.not_equal}


@examples(40)
@given(broadcast_pair(), st.sampled_from(sorted(BINARY)))
def test_binary_ops_broadcast_like_numpy(pair, name):
    a, b = pair
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        expected = NUMPY_BINARY[name](a, b)
    got = BINARY[name](torchless.tensor(a), torchless.tensor(b))
    assert got.shape == expected.shape
    assert got.dtype.numpy == expected.dtype
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


@examples(40)
@given(broadcast_pair(), st.sampled_from(sorted(BINARY)))
def test_binary_ops_match_torch(pair, name):
    a, b = pair
    assert_same_as_torch(lambda L: BINARY[name](L.tensor(a), L.tensor(b)))


@examples(30)
@given(broadcast_pair(elements=st.floats(0.125, 3, width=32)))
def test_pow_matches_torch(pair):
    a, b = pair
    assert_same_as_torch(lambda L: L.tensor(a) ** L.tensor(b))
    assert_same_as_torch(lambda L: L.tensor(a) ** 2)
    assert_same_as_torch(lambda L: 2.0 ** L.tensor(b))


def test_integer_and_bool_powers():
    assert_same_as_torch(lambda L: L.tensor([2, 1, -1, -1, 3]) ** L.tensor([-1, -3, -3, -2, 2]))
    assert_same_as_torch(lambda L: L.tensor([2, 3]) ** 2)
    assert_same_as_torch(lambda L: L.tensor([2]) ** -1)
    assert_same_as_torch(lambda L: L.tensor([True, False]) ** True)
    assert_same_as_torch(lambda L: L.tensor([True, False]) ** L.tensor([True, False]))


UNARY = ["exp", "log", "sqrt", "abs", "neg", "relu", "sigmoid", "tanh"]
NUMPY_UNARY = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "neg": np.negative,
               "relu": lambda x: np.maximum(x, 0), "sigmoid": lambda x: 1 / (1 + np.exp(-x.astype(np.float64))),
               "tanh": np.tanh}


@examples(40)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                  elements=st.floats(-20, 20, width=32)), st.sampled_from(UNARY))
def test_unary_ops_match_numpy_and_torch(array, name):
    fn = (lambda t: -t) if name == "neg" else operator.methodcaller(name)
    got = fn(torchless.tensor(array))
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = NUMPY_UNARY[name](array)
    assert got.dtype.numpy == array.dtype and got.shape == array.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=2e-6, atol=1e-30)
    assert_same_as_torch(lambda L: fn(L.tensor(array)))


@pytest.mark.parametrize("call", [
    "L.tensor([-3., 0.5, 5.]).clamp(-2, 3)", "L.tensor([-3., 0.5, 5.]).clamp(min=0)",
    "L.tensor([-3., 0.5]).clamp(max=0)",
    "L.tensor([-3, 0, 5]).clamp(-2.5, 3)", "L.tensor([-3, 0, 5]).clamp(-2, 3)", "L.tensor([1., 2.]).clamp(3, 1)",
    "L.tensor([1., 2.]).clamp()", "L.tensor([-3, 0, 5]).exp()", "L.tensor([4, 9]).sqrt()", "L.tensor([-3, 0]).abs()",
    "L.tensor([1., 5.]).clamp(min=L.tensor([2., 2.]))", "L.tensor([1., -1.]).log()", "L.tensor([0., 1.]).log()",
    "L.tensor([-1., 4.]).sqrt()", "L.tensor([1., 0.]) / 0", "L.tensor([100., 1000.]).exp()", "-L.tensor([True])",
    # no bool kernels for abs, floor, ceil, round, scalar clamps; sign of a bool is itself
    "L.tensor([True, False]).abs()", "L.abs(L.tensor(True))", "L.tensor([True, False]).abs_()",
    "L.tensor([True, False]).sign()", "L.tensor([True, False]).floor()", "L.tensor([True, False]).ceil()",
    "L.tensor([True, False]).round()", "L.tensor([True, False]).round(decimals=1)",
    "L.tensor([1, 2]).round(decimals=1)",
    "L.tensor([1, 2]).round()", "L.tensor([1, 2], dtype=L.uint8).sign()", "L.tensor([True, False]).clamp_min(True)",
    "L.tensor([True, False]).clamp_max(False)", "L.tensor([True, False]).clamp(True, True)",
    "L.tensor([True, False]).clamp_(False)", "L.tensor([True, False]).clamp(0, 1)",
    "L.tensor([True, False]).clamp(0.5)",
    "L.tensor([True]).clamp(max=L.tensor(False))",
    # bounds checked against the result's dtype; clamp_ names C++ types when refusing a float result
    "L.tensor([1., 2.]).clamp(-1e40, 1e40)", "L.tensor([1., 2.]).clamp_min(-1e40)", "L.tensor([1, 2]).clamp(max=1e40)",
    "L.tensor([1., 2.]).half().clamp(max=1e10)", "L.tensor([1., 2.]).double().clamp(max=1e40)",
    "L.tensor([1., 2.]).clamp(max=float('inf'))", "L.tensor([1, 5]).clamp_(0.5, 3.5)",
    "L.tensor([1, 5], dtype=L.uint8).clamp_(max=0.5)", "L.tensor([1, 5], dtype=L.int8).clamp_(min=0.5)",
    "L.tensor([1, 5], dtype=L.int16).clamp_(0.5)", "L.tensor([1, 5]).int().clamp_(0.5)", "L.tensor([True]).clamp_(0.5)",
    "L.tensor([1, 5]).clamp_(L.tensor(0.5))", "L.ones(2).clamp_min(None)", "L.ones(2).clamp_max('a')",
    # bounds are two tensors or two numbers (None fits both); a 0-d tensor without grad passes as a number
    "L.tensor(8, dtype=L.uint8).clamp(True, L.tensor(-1).int())", "L.tensor([True, False]).clamp(L.tensor(2).int(), 1)",
    "L.tensor([0, 3, 5], dtype=L.uint8).clamp_(L.tensor(1.5), None)", "L.tensor([1., 2.]).clip(L.tensor(1.5), 3)",
    "L.tensor([1., 2.]).clamp(L.tensor([2.]), 1)", "L.tensor([1, 2]).clip_(1.5, L.tensor([2.]))",
    "L.tensor([1., 2.]).clamp(L.tensor(2., requires_grad=True), 1)",
    # alpha: a bool only for a bool result, no float for an integer or bool result (1.0 and True included)
    "L.ones(2).add(L.ones(2), alpha=True)", "L.ones(2).long().sub(L.ones(2).long(), alpha=True)",
    "L.tensor([1, 2]).add(L.tensor([1, 2]), alpha=1.0)", "L.tensor([1, 2]).add(L.tensor([1, 2]), alpha=np.float64(1))",
    "L.tensor([True, False]).add(L.tensor([True, True]), alpha=0.5)", "L.tensor([True, False]).add(True, alpha=2)",
    "L.tensor([True, False]).add(L.tensor([True, True]), alpha=0)", "L.tensor([True, False]).add(2, alpha=True)",
    "L.ones(2).add(L.ones(2), alpha=np.True_)", "L.ones(2).add(L.ones(2), alpha=1.0)",
    "L.tensor([1, 2]).add_(L.tensor([1, 2]), alpha=True)", "L.tensor([1, 2]).add(L.tensor([1., 2.]), alpha=0.5)",
])
def test_elementwise_edge_cases_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


# ---------------------------------------------------------------- reductions
@st.composite
def array_and_dim(draw, dtype=np.float32):
    array = draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
                            elements=st.integers(-9, 9).map(float) if dtype != np.int64 else st.integers(-9, 9)))
    dim = draw(st.integers(-array.ndim, array.ndim - 1))
    return array, dim, draw(st.booleans())


REDUCTIONS = ["sum", "mean", "amax", "amin", "argmax", "argmin", "max", "min", "var", "std"]


@examples(60)
@given(array_and_dim(), st.sampled_from(REDUCTIONS))
def test_reductions_along_a_dim_match_torch(case, name):
    array, dim, keepdim = case
    assert_same_as_torch(lambda L: getattr(L.tensor(array), name)(dim, keepdim=keepdim))
    assert_same_as_torch(lambda L: getattr(L, name)(L.tensor(array), dim, keepdim))


@examples(30)
@given(array_and_dim(), st.sampled_from(["sum", "mean", "max", "min", "argmax", "argmin"]))
def test_full_reductions_match_torch(case, name):
    array = case[0]
    assert_same_as_torch(lambda L: getattr(L.tensor(array), name)())


@examples(30)
@given(array_and_dim())
def test_reductions_match_numpy(case):
    array, dim, keepdim = case
    t = torchless.tensor(array)
    np.testing.assert_allclose(t.sum(dim, keepdim=keepdim).numpy(), array.sum(dim, keepdims=keepdim), rtol=1e-6)
    np.testing.assert_allclose(t.mean(dim, keepdim=keepdim).numpy(), array.mean(dim, keepdims=keepdim), rtol=1e-6)
    values, indices = t.max(dim, keepdim=keepdim)
    np.testing.assert_array_equal(values.numpy(), array.max(dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.numpy(), array.argmax(dim, keepdims=keepdim))
    assert indices.dtype is torchless.int64
    assert t.argmin().item() == array.argmin()


def test_max_with_dim_returns_a_named_pair():
    t = torchless.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    result = t.max(1)
    values, indices = result
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert result.values is values and result.indices is indices
    assert torchless.max(t, 0).indices.tolist() == [1, 0, 1]
    assert repr(result).startswith("torchless.return_types.max(\nvalues=tensor([5., 7.]")
    assert_same_as_torch(lambda L: repr(L.tensor([[1.0, 5.0], [7.0, 0.0]]).min(1)))


@pytest.mark.parametrize("call", [
    "L.tensor([1, 2, 3]).sum()", "L.tensor([True, True]).sum()", "L.tensor([1, 2]).mean()",
    "L.tensor([1, 2]).mean(dtype=L.float64)", "L.zeros(0, 3).sum()", "L.zeros(0, 3).mean(0)", "L.zeros(0, 3).max()",
    "L.zeros(0, 3).max(1)", "L.zeros(0, 3).amax()", "L.tensor(2.).max(0)", "L.tensor(2.).argmax(0)",
    "L.tensor(2.).sum(0)", "L.tensor(2.).sum(1)", "L.tensor(2.).mean(0)", "L.zeros(2, 3).sum((0, 1))",
    "L.zeros(2, 3).sum((0, 0))", "L.zeros(2, 3).sum(2)", "L.zeros(2, 3).max(dim=-3)", "L.zeros(2, 3).argmax(2)",
    "L.tensor([[1, 5], [7, 0]]).max(1)", "L.tensor([3., 1., 3.]).argmax()", "L.tensor([[1., 2.], [3., 4.]]).var(1)",
    "L.tensor([[1., 2.], [3., 4.]]).std(0, keepdim=True)", "L.tensor([1., 2., 4.]).var(unbiased=False)",
    "L.max(L.tensor([1., 5.]), L.tensor([3., 2.]))", "L.tensor([1., 2.]).max(L.tensor([3., 0.]))",
    "L.tensor([5, 3, 2], dtype=L.uint8).prod()", "L.tensor([True, False]).prod()",
    "L.tensor([[1, 2], [3, 4]]).int().prod(1)",
    "L.tensor([True, True]).prod(dtype=L.float64)", "L.tensor([200, 200], dtype=L.uint8).prod(dtype=L.uint8)",
])
def test_reduction_edge_cases_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


@pytest.mark.parametrize("call", [
    # float-only reductions refuse integers and bools, before looking at the dims
    "L.tensor([1, 2]).std()", "L.tensor([True, False]).var(0)", "L.tensor([1, 2]).std(5)", "L.std(L.tensor([1, 2]), 0)",
    "L.zeros(0, dtype=L.int64).var()", "L.tensor([1, 2]).norm()", "L.tensor([1, 2], dtype=L.uint8).norm(p=1)",
    "L.tensor([True]).norm(p=float('inf'))", "L.tensor([1, 2]).norm(p=0)", "L.tensor([1, 2]).norm(dim=5)",
    "L.tensor([True, False]).argmax()", "L.tensor([[True, False]]).argmin(1)", "L.zeros(0, dtype=L.bool).argmax()",
    "L.tensor(True).argmax()", "L.tensor([True, False]).max(0)",
    # no integer dtype for sum/prod while recording a gradient; mean names the dtype it was given
    "L.tensor([1., 2.], requires_grad=True).sum(dtype=L.int64)", "L.ones(2, requires_grad=True).sum(0, dtype=L.bool)",
    "L.tensor([1., 2.], requires_grad=True).prod(dtype=L.int32)", "L.ones(2, requires_grad=True).sum(dtype=L.float64)",
    "L.tensor([1., 2.]).sum(dtype=L.int64)", "L.tensor([1, 2]).mean(dtype=L.int64)",
    "L.tensor([1., 2.]).mean(dtype=L.bool)",
    "L.tensor([1, 2]).mean()",
    # amax/amin name an empty dim as written (max and argmax normalise it), before refusing repeated dims
    "L.zeros(2, 0).amax(-1)", "L.zeros(2, 0).amin((0, -1))", "L.zeros(2, 0).amax(dim=None)", "L.zeros(2, 0).max(-1)",
    "L.zeros(5, 0).amin(dim=(-1, 1))",
])
def test_reduction_dtype_checks_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


def test_integer_sum_dtype_is_allowed_without_recording():
    x = torchless.tensor([1.5, 2.0], requires_grad=True)
    with torchless.no_grad():
        assert x.sum(dtype=torchless.int64).tolist() == 3


# ---------------------------------------------------------------- shape operations
A = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7.5


@pytest.mark.parametrize("call", [
    "T.view(4, 6)", "T.view(-1, 8)", "T.view((3, 8))", "T.view(24)", "T.reshape(6, -1)", "T.reshape(-1)",
    "T.flatten()", "T.flatten(1)", "T.flatten(0, 1)", "T.flatten(-2, -1)", "T.permute(2, 0, 1)", "T.permute((1, 2, 0))",
    "T.transpose(0, 2)", "T.transpose(-1, 1)", "T.unsqueeze(0)", "T.unsqueeze(3)", "T.unsqueeze(-1)",
    "T.unsqueeze(1).squeeze(1)", "T.unsqueeze(1).unsqueeze(0).squeeze()", "T.squeeze(0)", "T[:1].squeeze(0)",
    "T.transpose(0, 1).contiguous().view(-1)", "T.transpose(0, 1).reshape(-1)", "T.expand(3, 2, 3, 4)",
    "T[:, :1].expand(2, 5, 4)", "T[:, :1].expand(-1, 3, -1)", "T.t()" , "T[0].t()", "T[0].T", "T.flip(0)",
    "T.size()", "T.size(1)", "T.size(-1)", "T.shape", "(T.dim(), T.ndim, T.numel())", "L.tensor(2.).flatten()",
    "L.tensor(2.).unsqueeze(0)", "L.tensor(2.).view(1)", "L.tensor(2.).view(-1)", "L.tensor(2.).squeeze(0)",
    "T.view(0, -1)", "T.view(-1, -1)", "T.view(5, 5)", "T.view(-2, 12)", "T.reshape(5, -1)", "L.zeros(0).view(0, -1)",
    "T.transpose(0, 1).view(-1)", "T.flatten(2, 1)", "T.flatten(0, 3)", "T.permute(2, 0)", "T.permute(2, 0, 0)",
    "T.permute(0, 1, 3)", "T.unsqueeze(4)", "T.unsqueeze(-5)", "T.squeeze(5)", "T.transpose(0, 3)", "T.size(3)",
    "L.tensor(2.).size(0)", "L.tensor(2.).unsqueeze(1)", "L.tensor(2.).permute(0)", "T.expand(2, 3)",
    "T.expand(2, 2, 4)", "T.t()", "T.view(2.5)", "T.reshape(1.5)", "T.view(2, 12.0)",
    "L.tensor(2.).flatten(1, 0)", "L.tensor(2.).flatten(-2)", "L.tensor(2.).flatten(0, 1)", "L.tensor(2.).flatten(-1, 0)",
    "L.nn.Flatten()(L.tensor(2.))", "L.nn.Flatten(0)(L.tensor(2.))",
    # flip copies: no negative strides, and its array is one from_numpy takes
    "(T.flip(0).stride(), T.flip((0, 2)).is_contiguous())", "L.from_numpy(T.flip(2).numpy())",
    # the dims None inserts: unsqueeze's strides (NumPy would give them 0)
    "T[None].stride()", "T[:, None].stride()", "T[..., None].stride()", "T[None, 1:, None, ..., None].stride()",
    "T[0, None].stride()", "T[:, ::2, None].stride()", "T.transpose(0, 2)[None, :, None].stride()",
    "L.zeros(0, 3)[None].stride()", "L.tensor(2.)[None].stride()",
])
def test_shape_operations_match_torch(call):
    assert_same_as_torch(lambda L: eval(call, {"L": L, "T": L.tensor(A)}))


@pytest.mark.parametrize("call", [
    "L.tensor([1, 2]).repeat(0)", "L.tensor([1., 2.]).repeat(2, 0)", "L.tensor(2.).repeat(0)",
    "L.ones(2, 2, requires_grad=True).repeat(0, 1)", "L.ones(1, 2).repeat(2)", "L.ones(1, 2).repeat(-1, 1)",
    "L.ones(1, 2).repeat()", "L.ones(1, 2).repeat(2, 1, 3)",
    "L.chunk(L.ones(2, 2), 0)", "L.chunk(L.ones(2, 2), -1)", "L.tensor(1.).chunk(2)", "L.zeros(0, 2).chunk(3)",
    "L.ones(5, 2).chunk(3)", "L.ones(5, 2).chunk(7)",
    "L.ones(2, 2).split(0)", "L.zeros(0, 2).split(0)", "L.zeros(0, 2).split(3)", "L.ones(2, 2).split(-1)",
    "L.ones(2, 2).split([1, 1, 0])", "L.ones(2, 2).split([0, 0])", "L.ones(2, 2).split([1, -1, 2])",
    "L.tensor(1.).split(1)", "L.ones(5).split(2)",
    "L.tensor(1.).unflatten(3, (1,))",
    # no sizes at all is a TypeError (an empty tuple is the 0-d shape); a 0-d tensor takes dims -1 and 0 only
    "L.ones(2, 3).expand()", "L.tensor(1.).expand()", "L.ones(2, 3).permute()", "L.tensor(1.).permute()",
    "L.ones(2, 3).reshape()", "L.tensor(1.).reshape()", "L.ones(2, 3).view()", "L.tensor(1.).view()",
    "L.tensor(1.).reshape(())", "L.tensor(1.).permute(())", "L.ones(2).new_zeros()", "L.ones(2).new_ones(())",
    "L.Tensor()", "L.tensor(1.).transpose(2, -1)", "L.tensor(1.).swapaxes(0, 1)", "L.tensor(1.).transpose(-1, 0)",
    # a size that is not an int: the first one is named at pos 0, the others when unpacked
    "L.ones(6).reshape([2.0, 3])", "L.ones(6).expand((2.5, 6))", "L.ones(6).permute((0.5,))",
    "L.ones(6).repeat((1.5,))", "L.zeros((2.5,))", "L.ones(6).view((2, 3.0))",
    "L.zeros(2, 6).unflatten(1, ())", "L.zeros(2, 6).unflatten(5, ())", "L.zeros(2, 6).unflatten(1, 3)",
    "L.zeros(2, 6).unflatten(1, (True, 6))", "L.zeros(2, 6).unflatten(1, (2, 3.0))",
    "L.zeros(2, 6).unflatten(1, (2.5,))",
    "L.zeros(2, 6).unflatten(1, (L.tensor(2), 3))", "L.zeros(2, 6).unflatten(-1, (-1, 3))",
    "L.zeros(2, 6).unflatten(1, (2, 2))", "L.zeros(2, 0).unflatten(1, (2, 2))",
    # shapes that do not broadcast: PyTorch's RuntimeError, not NumPy's ValueError
    "L.zeros(2, 3) ** L.zeros(4)", "L.zeros(2, 3).long() ** L.zeros(4).long()", "L.zeros(3, 2, 5).int() ** L.zeros(2)",
    "L.zeros(2, 3).clamp(L.zeros(4))", "L.zeros(2, 3).clamp(max=L.zeros(4))", "L.zeros(2, 3).clamp_(L.zeros(4))",
    "L.zeros(2, 3).clip(L.zeros(3), L.zeros(4))", "L.zeros(2, 3).clamp_min(L.zeros(4))",
    "L.zeros(3).clamp_(L.zeros(2, 3))", "L.div(L.ones(2, 3), L.ones(4), rounding_mode='floor')",
])
def test_shape_and_broadcast_errors_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


@pytest.mark.parametrize("dim", [0, -1])
def test_unflatten_of_a_0d_tensor_is_a_runtime_error(dim):
    # PyTorch's message goes on with a C++ stack trace: compare its start only.
    with pytest.raises(RuntimeError, match="^unflatten got an unexpected error:\nDimension specified as 0 but tensor "
                                           "has no dimensions"):
        torchless.tensor(1.).unflatten(dim, (1,))


@pytest.mark.parametrize("sizes, error", [
    ((-1, -1), "only one dimension can be inferred"),
    ((-2, -3), r"invalid shape dimension -2 at index 0 of shape \[-2, -3\]"),
    ((0, -1), r"cannot reshape tensor of 0 elements into shape \[0, -1\] because the unspecified dimension size -1 "
              "can be any value and is ambiguous"),
])
def test_unflatten_passes_other_size_errors_on_with_a_prefix(sizes, error):
    # As above: PyTorch's message goes on with a C++ stack trace.
    with pytest.raises(RuntimeError, match=f"^unflatten got an unexpected error:\n{error}"):
        torchless.zeros(2, 0 if 0 in sizes else 6).unflatten(1, sizes)


def test_view_shares_memory_and_reshape_of_transpose_copies():
    t = torchless.zeros(2, 3)
    v = t.view(6)
    v[0] = 5.0
    assert t[0, 0].item() == 5.0
    assert not t.t().is_contiguous() and t.t().contiguous().is_contiguous()
    r = t.t().reshape(6)
    r[1] = 9.0
    assert t.flatten().tolist().count(9.0) == 0


def test_a_base_keeps_no_record_of_views_that_died():
    data = torchless.rand(6, 2)
    kept = [data[i] for i in range(3)]
    for i in range(10_000):  # a Dataset's __getitem__ over one tensor: a view of it per sample
        data[i % 6]
    assert len(data._views) <= 16
    assert set(map(id, data._live_views())) == set(map(id, kept))


@pytest.mark.parametrize("call", [
    "L.ones(2, 3).t()", "L.ones(3, 4).t()[::2]", "L.ones(3, 4)[:, 1:3]", "L.ones(2, 3, 4).permute(2, 0, 1)[::2]",
    "L.ones(2, 3, 4).permute(1, 2, 0)", "L.ones(2, 3, 4)[:, :, ::2].transpose(0, 2)", "L.ones(1, 3).expand(4, 3)",
    "L.ones(3, 1).expand(3, 4)", "L.ones(2, 1, 3).expand(2, 4, 3).transpose(0, 2)", "L.ones(2, 3).t().flip(1)",
    "L.ones(3, 4, 2).permute(2, 0, 1).unsqueeze(1).expand(2, 5, 3, 4)", "L.ones(5)[::2]",
])
def test_clone_keeps_the_memory_layout_and_contiguous_does_not(call):
    # clone's preserve_format: a dense copy ordered in memory as the input (expanded dims where C order has them)
    assert_same_as_torch(lambda L: [(t.stride(), t.is_contiguous(), t) for t in (eval(call, {"L": L}).clone(),
                                                                                  eval(call, {"L": L}).contiguous())])


@pytest.mark.parametrize("call", [
    "L.cat([T, T], 1)", "L.cat([T, T[:, :2]], 1)", "L.cat((T, T), -1)", "L.cat([T, T.double()])", "L.cat([T])",
    "L.cat([L.zeros(0), T.flatten()])", "L.cat([T, T[:, :2]], 0)", "L.cat([T, T[0]])", "L.cat([])",
    "L.cat([L.tensor(1.), L.tensor(2.)])", "L.cat(T)", "L.cat([T, T], 3)", "L.stack([T, T])", "L.stack([T, T], 3)",
    "L.stack([T, T], -1)", "L.stack([T, T], 4)", "L.stack([T, T[0]])", "L.stack([T, T.long()])",
    "L.where(T > 0, T, 0.0)", "L.where(T > 0, 1.0, 0.0)", "L.where(T > 0, T, T.double())", "L.where(T, T, 0.0)",
    "L.where(T > 0, T, L.zeros(3, 1))", "L.where(T > 0, T, L.zeros(3, 3))", "L.where(T > 0)",
    # a Python number of the tensor's category is range-checked like a fill value, not wrapped
    "L.where(T > 0, T.byte(), 300)", "L.where(T > 0, 300, T.byte())", "L.where(T > 0, T.byte(), -1)",
    "L.where(T > 0, T.byte(), 2**63)", "L.where(T > 0, T.byte(), 2**64)", "L.where(T > 0, T.int(), 2**31)",
    "L.where(T > 0, T.long(), 2**63)", "L.where(T > 0, T, 1e39)", "L.where(T > 0, T.half(), 1e6)",
    "L.where(T > 0, T, 2**200)", "L.where(T > 0, T.byte(), 256.0)", "L.where(T > 0, T.byte(), True)",
    "L.where(T > 0, T.bool(), 2)", "L.where(T > 0, 300, 2)", "L.where(T > 0, T.long(), 1e40)",
    "L.where(T > 0, T.long(), 2.0**200)", "L.where(T > 0, T.bool(), 2**63)", "L.where(T > 0, T.bool(), 2**64)",
    "L.where(T > 0, T.long(), 2.5)", "L.where(T > 0, 2.5, T.byte())",
])
def test_joining_and_where_match_torch(call):
    assert_same_as_torch(lambda L: eval(call, {"L": L, "T": L.tensor(A)}))


# ---------------------------------------------------------------- indexing
INDEX_KEYS = [
    "[0]", "[1, 2]", "[-1]", "[0, 1, 2]", "[:, 1:, ::2]", "[..., 1]", "[None, 1]", "[:, None]", "[1:1]", "[5:]",
    "[:, 1:100]", "[0][1][2]", "[..., None]", "[L.tensor([1, 0, 1])]", "[L.tensor([[1, 0], [0, 0]])]",
    "[:, L.tensor([2, 0])]", "[:, [2, 0], [1, 3]]", "[T > 0]", "[T[0] > 0]", "[0, T[0] > 0]",
    "[L.tensor([True, False])]", "[L.tensor([1, 0]), :, L.tensor([1, 3])]", "[:, None, L.tensor([1, 0])]",
    "[L.tensor(1)]", "[L.tensor([1]).int()]", "[L.tensor([1]).to(L.uint8)]", "[(0, 1),]", "[True]",
    "[2]", "[1, 3]", "[0, 0, 4]", "[0, 0, 0, 0]", "[None, 0, 5]", "[..., 5]", "[..., -5]", "[L.tensor([5])]",
    "[:, L.tensor([3])]", "[:, :, L.tensor([7])]", "[:, L.tensor([0]), L.tensor([7])]", "[5, L.tensor([0])]",
    "[L.tensor([0]), 5]", "[L.tensor([-3])]", "[L.tensor([1.0])]", "[1.0]", "[::-1]", "[::0]",
    "[:, L.tensor([[True, False, True, True]])]", "[:, L.tensor([True, False])]", "[L.tensor([[True]])]",
    "[L.tensor([0, 1]), L.tensor([0, 1, 2])]", "[0, ..., 0, 0, 0]", "[None, 0, 0, 0, 0]",
]


@pytest.mark.parametrize("key", INDEX_KEYS)
def test_indexing_matches_torch(key):
    assert_same_as_torch(lambda L: eval("T" + key, {"L": L, "T": L.tensor(A)}))


@pytest.mark.parametrize("key", INDEX_KEYS)
def test_index_assignment_matches_torch(key):
    def assign(L):
        t = L.tensor(A)
        exec("t" + key + " = 0", {"L": L, "t": t, "T": L.tensor(A)})
        return t
    assert_same_as_torch(assign)


def test_index_assignment_broadcasts_and_casts():
    t = torchless.zeros(2, 3, dtype=torchless.int64)
    t[0] = torchless.tensor([1.7, 2.2, 3.9])
    t[:, 1] = 7
    assert t.tolist() == [[1, 7, 3], [0, 7, 0]]
    t[t > 5] = -1
    assert t.tolist() == [[1, -1, 3], [0, -1, 0]]


@pytest.mark.parametrize("call", [
    # the value's leading size-1 dims are dropped, then it must expand to the destination (or broadcast to an
    # advanced index's result); the errors name the value's type and its shape without those dims
    "assign(L.zeros(2).long(), 0, L.tensor([5]).int())", "assign(L.zeros(2, 3), 0, L.ones(1, 1, 3))",
    "assign(L.zeros(2, 3), (0, 0), L.ones(1, 1, 1))", "assign(L.zeros(2, 3), (slice(None), 0), L.ones(1, 1, 2))",
    "assign(L.zeros(2, 3), [0, 1], L.ones(1, 1, 2, 3))", "assign(L.zeros(2, 3), L.zeros(2, 3) == 0, L.ones(1, 6))",
    "assign(L.zeros(2, 3), 0, L.ones(2, 1, 3))", "assign(L.zeros(2, 3), 0, L.ones(1, 2, 3).long())",
    "assign(L.zeros(2, 3), (0, 0), L.ones(1, 2))", "assign(L.zeros(2, 3), 0, L.ones(3, 1))",
    "assign(L.zeros(2, 3), 0, L.ones(2))", "assign(L.zeros(0, 5), slice(1, -1), L.ones(2).int())",
    "assign(L.zeros(2, 3), [0, 1], L.ones(3, 1, 3))", "assign(L.zeros(2, 3), [0, 1], L.ones(1, 2, 2))",
    "assign(L.zeros(2, 3), L.zeros(2, 3) == 0, L.ones(2))", "assign(L.zeros(3).double(), -2, L.ones(3).long())",
    "assign(L.zeros(2, 3, requires_grad=True) * 1, 0, L.ones(1, 3, requires_grad=True))",
    "assign(L.zeros(2, 3, requires_grad=True) * 1, 0, L.ones(1, 2, 3))",
    "assign(L.zeros(2, 3, requires_grad=True) * 1, [0], L.ones(2, 3))",
    "L.ones(4, 5).expand(2, 3)", "L.ones(4, 5).long().expand(3)",
    # index_put wants the value's dtype, unless it fills one element through a single bool mask; shape errors first,
    # index errors after, and a leaf that requires grad before anything
    "assign(L.zeros(3).long(), L.tensor([0, 1]), L.tensor([1.5, 2.5]))",
    "assign(L.zeros(3), [0, 1], L.tensor(1).double())",
    "assign(L.zeros(3, 2), (slice(None), L.tensor([0])), L.ones(1).double())",
    "assign(L.zeros(3, 2), [True, False, True], L.ones(2).double())",
    "assign(L.zeros(3), L.tensor([True, False, True]), L.tensor([1, 2]))",
    "assign(L.zeros(3), L.tensor(True), L.tensor(1))",
    "assign(L.zeros(3), L.tensor([True, False, True]), L.tensor(1))",
    "assign(L.zeros(3), [True, False, True], L.tensor([1]))",
    "assign(L.zeros(3, 2), (L.tensor([True, False, True]), 0), L.tensor(1))",
    "assign(L.zeros(3), L.tensor(0), L.ones(1).double())",
    "assign(L.zeros(3), slice(0, 2), L.ones(2).long())", "assign(L.zeros(3), L.tensor([0, 1]), L.ones(3).double())",
    "assign(L.zeros(3), L.tensor([5]), L.ones(1).double())",
    "assign(L.zeros(3), L.tensor([0]), L.ones(1, requires_grad=True).double())",
    "assign(L.zeros(3, requires_grad=True), L.tensor([0]), L.ones(1).double())",
    # ...but the key's own errors (its length, an int out of range, a mask, index tensors that do not broadcast,
    # an index into a size-0 dim) before the dtypes
    "assign(L.tensor(3), L.tensor([-1, 0, 2]), L.ones(2).double())",
    "assign(L.zeros(4, 2, 2).byte(), (L.tensor([True, False, True, False]), 2, None), L.ones(2).long())",
    "assign(L.zeros(5, 5, 1, 5), (4, -2, -2, L.tensor([True, False, True, False, True]), L.tensor([-1])), "
    "L.ones(2).byte())",
    "assign(L.zeros(3, 4).long(), L.tensor([True, False]), L.ones(1))",
    "assign(L.zeros(3, 4).long(), (L.tensor([0, 1, 2]), L.tensor([0, 1])), L.ones(1))",
    "assign(L.zeros(0, 4).long(), (None, L.tensor([0, 0, 0])), L.ones(1))",
    "assign(L.zeros(4, 2, 4, 3).int(), (L.tensor([True] * 4), L.tensor([-1, 1, -1]), -1), L.ones(3).double())",
    # the mask is checked against the tensor after its ints, slices and Nones; masks broadcast as their indices
    "L.zeros(1, 5, 4, 1)[L.tensor([0, -1, 2]), 3, L.tensor([True, False, True, True, False]), L.tensor([-1, 0])]",
    "L.zeros(5, 6)[1:3, L.tensor([True] * 5)]", "L.zeros(5, 6)[None, ..., L.tensor([True] * 5)]",
    "L.zeros(5, 6, 2)[L.tensor(True), L.tensor([True] * 4)]", "L.zeros(5, 6, 2)[L.tensor([9]), L.tensor([True] * 4)]",
    "assign(L.zeros(3).bool(), (L.tensor([True, True, False, True]), None), 1)",
    "L.zeros(2, 4, 3)[None, L.tensor([-2, -1, 0]), L.tensor([0, 5])]", "L.zeros(0, 4, 3)[None, L.tensor([0, 0])]",
    "L.zeros(4, 2, 4, 3)[L.tensor([[True, False]] * 4), L.tensor([-1, 1, -1])]",
    # values are tensors or numbers
    "assign(L.zeros(3), L.tensor([0, 1]), [1, 2])", "assign(L.zeros(3), slice(0, 2), np.array([1., 2.]))",
    "assign(L.zeros(3).long(), 0, (1,))", "assign(L.zeros(3), 0, np.float64(2.5))",
    # a lone int or slice on a 0-d tensor
    "L.tensor(1.)[0]", "L.tensor(1.)[-1]", "L.tensor(1.)[5]", "L.tensor(1.)[0:]", "L.tensor(1.)[..., 0]",
    "L.tensor(1.)[L.tensor(0)]", "L.tensor(1.)[(0,)]", "assign(L.tensor(1.), 0, 2.)", "assign(L.tensor(1.), -2, 2.)",
    "assign(L.tensor(1.), slice(0, None), 2.)",
])
def test_index_assignment_shapes_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


@examples(40)
@given(st.data())
def test_advanced_indexing_matches_numpy(data):
    array = data.draw(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                                 elements=st.floats(-5, 5, width=32)))
    index = data.draw(hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4),
                                 elements=st.integers(-array.shape[0], array.shape[0] - 1)))
    got = torchless.tensor(array)[torchless.tensor(index)]
    np.testing.assert_array_equal(got.numpy(), array[index])
    mask = array > 0
    np.testing.assert_array_equal(torchless.tensor(array)[torchless.tensor(mask)].numpy(), array[mask])


# ---------------------------------------------------------------- matmul
MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((5, 2, 3), (3,)),
    ((3,), (5, 3, 2)), ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (1, 3, 4)), ((2, 1, 2, 3), (4, 3, 2)),
    ((2, 3), (5, 3, 4)), ((0, 3), (3, 2)), ((2, 0), (0, 3)),
    ((4,), (3,)), ((2, 4), (3,)), ((4,), (3, 2)), ((2, 4), (3, 2)), ((5, 2, 4), (3, 2)), ((5, 2, 4), (3,)),
    ((4,), (5, 3, 2)), ((5, 2, 4), (5, 3, 2)), ((5, 2, 4), (4, 4, 2)), ((3, 5, 2, 4), (2, 5, 4, 2)),
    ((2, 3, 2, 4), (2, 2, 4, 2)), ((2, 4), (5, 3, 2)), ((3,), ()), ((), (3,)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_shapes_and_errors_match_torch(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    assert_same_as_torch(lambda L: L.tensor(a) @ L.tensor(b))
    assert_same_as_torch(lambda L: L.matmul(L.tensor(a), L.tensor(b)))


@pytest.mark.parametrize("call", [
    "L.zeros(2, 4) @ L.zeros(4, 2).double()", "L.zeros(2, 4).double() @ L.zeros(4, 2)",
    "L.zeros(4) @ L.zeros(4).double()",
    "L.zeros(2, 4) @ L.zeros(4).double()", "L.zeros(3, 2, 4) @ L.zeros(3, 4, 2).double()",
    "L.zeros(2, 4) @ L.zeros(4, 2).long()",
    "L.ones(2, 4).long() @ L.ones(4, 2).long()", "L.zeros(2, 4).bool() @ L.zeros(4, 2).bool()",
    "L.zeros(4).bool() @ L.zeros(4).bool()", "L.zeros(2, 2, 4).bool() @ L.zeros(2, 4, 2).bool()", "L.zeros(2, 4) @ 2",
    "L.zeros(2, 4).matmul(L.tensor(2.))", "L.zeros(2, 4).mm(L.zeros(3, 2))", "L.zeros(2, 4).mm(L.zeros(3))",
    "L.zeros(2).mm(L.zeros(2, 2))", "L.zeros(2, 2, 4).bmm(L.zeros(2, 3, 2))", "L.zeros(2, 2, 4).bmm(L.zeros(3, 4, 2))",
    "L.zeros(2, 4).bmm(L.zeros(3, 4, 2))", "L.zeros(2, 2, 2).bmm(L.zeros(2, 2))",
    "L.ones(2, 2, 3).bmm(L.ones(2, 3, 1))",
    "L.zeros(4).dot(L.zeros(3))", "L.zeros(4, 1).dot(L.zeros(4))", "L.ones(3).dot(L.ones(3))",
    "L.ones(2, 3).mm(L.ones(3, 2))",
])
def test_matmul_variants_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


@examples(30)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 3), st.integers(0, 2**31 - 1))
def test_batched_matmul_matches_einsum(n, k, m, batch, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((batch + 1, n, k))
    b = rng.standard_normal((k, m))
    got = (torchless.tensor(a) @ torchless.tensor(b)).numpy()
    np.testing.assert_allclose(got, np.einsum("bnk,km->bnm", a, b), rtol=1e-12)


# ---------------------------------------------------------------- broadcasting errors and other error messages
@pytest.mark.parametrize("call", [
    "L.zeros(2, 3) + L.zeros(4)", "L.zeros(5, 2, 3) - L.zeros(4, 1, 1)", "L.zeros(2, 3) / L.zeros(3, 3)",
    "L.zeros(2, 3) ** L.zeros(3, 3)", "L.zeros(2, 3) == L.zeros(3, 3, 1, 2)", "L.zeros(2, 3) * L.zeros(4, 1, 1)",
    "L.zeros(2, 3) // L.zeros(3)", "L.ones(3).item()", "L.ones(0).item()", "L.ones(1, 1).item()", "bool(L.ones(3))",
    "bool(L.ones(0))", "bool(L.zeros(1))", "float(L.ones(3))", "int(L.ones(2))", "float(L.ones(1, 1) * 2.5)",
    "len(L.ones(2, 3))", "len(L.tensor(2.))", "list(L.tensor(2.))", "L.ones(2) - True", "L.ones(2).bool() - True",
    "L.ones(2).bool() - L.ones(2).bool()", "L.ones(2, dtype=L.int64) - L.ones(2).bool()", "True - L.ones(2).bool()",
    "L.ones(2) & L.ones(2)", "L.ones(2).bool() & L.zeros(2).bool()", "L.ones(2).bool() % 2", "L.ones(2).bool() // True",
    "L.ones(2).long() | 4", "~L.ones(2).bool()", "~L.ones(2)", "L.ones(2).sub(L.ones(2), alpha=2)",
    "L.ones(2).add(L.ones(2), alpha=2)", "L.ones(2).div(L.tensor([2., -3.]), rounding_mode='floor')",
    "L.tensor([5, -5]).div(2, rounding_mode='trunc')", "L.ones(2).div(2, rounding_mode='round')",
])
def test_errors_and_scalar_conversions_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


@pytest.mark.parametrize("call", [
    # descending order: uint8 must not wrap when negated, bool must not be negated, NaN comes first
    "L.tensor([1, 0, 2, 0], dtype=L.uint8).sort(descending=True)", "L.tensor([1, 0, 2], dtype=L.uint8).topk(2)",
    "L.tensor([[1, 0, 2], [3, 3, 0]], dtype=L.uint8).argsort(0, descending=True)",
    "L.tensor([True, False, True]).sort(descending=True)", "L.tensor([True, False]).topk(1)",
    "L.tensor([1., float('nan'), 2., 2.]).sort(descending=True)", "L.tensor([1., float('nan'), 2.]).topk(2)",
    "L.tensor([[3, 1, 3], [0, 2, 2]]).sort(1, descending=True)", "L.tensor([[3., 1.], [3., 2.]]).topk(2, 0)",
    # 0-d tensors: the value itself
    "L.sort(L.tensor(3), dim=0)", "L.tensor(5).topk(0)", "L.tensor(5.).topk(1)", "L.tensor(5).topk(2)",
    "L.tensor(5.).argsort(descending=True)",
    # inf norms are max |x| and min |x|
    "L.tensor([[3., -4.]]).norm(p=float('inf'))", "L.tensor([[3., -4.], [1., 0.]]).norm(p=float('-inf'), dim=1)",
    "L.tensor([[3., -4.]]).norm(p=float('inf'), dim=0, keepdim=True)", "L.zeros(0, 3).norm(p=float('inf'))",
    # all/any keep uint8
    "L.tensor([1, 0, 2], dtype=L.uint8).all()", "L.tensor([[1, 0, 2]], dtype=L.uint8).any(1, keepdim=True)",
    "L.tensor([1, 0, 2]).all()",
    # integer division by zero raises; float division by zero does not; shapes are checked first
    "L.tensor([2, 3]) // L.tensor([0, 1])", "L.tensor([2, 3]) % 0", "5 // L.tensor([0, 1])", "5 % L.tensor([1, 0])",
    "L.div(L.tensor([2, 3]), 0, rounding_mode='trunc')",
    "L.div(L.tensor([2, 3]), L.tensor([0, 1]), rounding_mode='floor')",
    "L.tensor([], dtype=L.int64) // 0", "L.tensor([2., 3.]) // 0", "L.tensor([True, False]) // L.tensor([True] * 3)",
    "L.div(L.tensor([-7, 7, -6, 2**62 + 1]), L.tensor([2, -2, 3, 1]), rounding_mode='trunc')",
    "L.div(L.tensor([-128], dtype=L.int8), -1, rounding_mode='floor')",
    "L.div(L.tensor([True]), 2, rounding_mode='trunc')",
])
def test_orderings_norms_and_integer_division_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


# ---------------------------------------------------------------- Python ints beyond an integer dtype's range
U8 = "L.tensor([1, 255, 200], dtype=L.uint8)"
I32 = "L.tensor([1, -2, 2**31 - 1], dtype=L.int32)"


def assign(tensor, key, value):
    tensor[key] = value
    return tensor


@pytest.mark.parametrize("call", [
    # operands wrap like a C cast once read as int64 (uint64 from 2**63); beyond 64 bits OverflowError
    f"{U8} + (-1)", f"{U8} - (-3)", f"{U8} * 300", f"{U8} + (2**63)", f"{U8} + (2**64 - 1)", f"{U8} + 2**64",
    f"{U8} + (-2**63)", f"{U8} + (-2**63 - 1)", f"-1 - {U8}", f"300 * {U8}", f"{U8} == -1", f"{U8} != 511",
    f"{U8} < -2", f"{U8} >= -1", f"{U8}.eq(-1)", f"{I32} > 2**40", f"{I32} == 2**32 + 1", f"{I32} + 2**31",
    f"L.tensor([1, -2]) + 2**63", f"L.tensor([1, -2]) == 2**64", f"{U8} % -4", f"{U8} // -4", f"-2 // {U8}",
    f"{U8} & -1", f"{U8} ^ 256", f"{U8} // 256", f"{U8} % 256", f"(-300) ** {U8}", f"{U8}.sub(-1)",
    "L.tensor([True, False]) + 2**63", "L.tensor([True, False]) * (-2**63)", "L.tensor([True, False]) == 2**64",
    # true division divides by the int's own value
    f"{U8} / -2", f"L.div({U8}, 2**40)", f"L.div({U8}, 2**64)", f"2**40 / {U8}",
    f"L.div({U8}, -2, rounding_mode='trunc')", f"L.div({U8}, 256, rounding_mode='floor')",
    # exponents, alpha, clamp bounds, fill values and assigned values are range-checked instead
    f"{U8} ** 300", f"{U8} ** 2**63", f"{U8} ** -1", f"{U8} ** (-2**63 - 1)", f"{I32} ** 2**40",
    f"{U8}.add(1, alpha=-255)", f"{U8}.add(1, alpha=-256)", f"{U8}.sub(1, alpha=300)", f"{U8}.add(1, alpha=1.5)",
    f"{U8}.clamp(min=-1)", f"{U8}.clamp(max=300)", f"{U8}.clamp(min=2**64)", f"{U8}.clamp_(min=-3)",
    f"{U8}.masked_fill(L.tensor([True, False, False]), -1)",
    f"{I32}.masked_fill(L.tensor([True, False, False]), 2**40)",
    f"assign({U8}, 0, -1)", f"assign({U8}, ..., -255)", f"assign({U8}, 0, -256)", f"assign({U8}, 0, 300)",
    f"assign({U8}, L.tensor([0, 2]), -3)", f"assign({I32}, 0, 2**40)", f"assign({U8}, 0, 2**63)",
    f"assign({U8}, 0, -1.5)", f"assign(L.ones(2), 0, -2**63 - 1)", "assign(L.ones(2), 0, 1e40)",
    # in place: the same wrapping, and the same refusal of a float result
    f"{U8}.add_(-1)", f"{U8}.sub_(-2)", f"{U8}.mul_(300)", f"{U8}.div_(-2)", f"{I32}.add_(2**40)",
    f"{U8}.add_(2**64)", f"{U8}.sub_(-1, alpha=3)",
])
def test_out_of_range_int_scalars_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


@pytest.mark.parametrize("call", [
    "L.tensor([1, 2], dtype=L.uint8) + 1e40", "L.tensor([1, 2]) * -1e40", "1e40 - L.tensor([True])",
    "L.tensor([1, 2]) == 1e40", "L.tensor([1, 2]) < 1e40", "L.tensor([1, 2]) // 1e40", "L.tensor([1, 2]).add(1e40)",
    "L.tensor([1, 2]) ** 1e40", "1e40 / L.tensor([1, 2])",
])
def test_float_scalar_beyond_float32_meets_an_integer_tensor_silently(call):
    # promoted to float32 it is inf, without NumPy's "overflow encountered in cast" warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same_as_torch(eval(f"lambda L: {call}"))


@pytest.mark.parametrize("call", [
    "L.tensor([1., 2.]) + 1e40", "L.tensor([1., 2.]) * -1e40", "1e40 / L.tensor([1., 2.])",
    "L.tensor([1., 2.]) == 1e40",
    "L.tensor([1., 2.]) < 1e40", "L.tensor([1., 2.]).add_(1e40)", "L.tensor([1., 2.]) ** 1e40",
    "L.tensor([1., 2.]) // 1e40",
    "L.tensor([1., 2.]).half() + 1e10", "L.tensor([1., 2.]).maximum(L.tensor(1e40).double())",
    "L.tensor([1., 2.]).clamp(max=L.tensor(1e40).double())", "L.tensor([1e40], dtype=L.float64).float()",
    "L.tensor([1e300], dtype=L.float64).half()", "L.tensor([1., float('nan')]) + float('nan')",
])
def test_float_scalar_beyond_a_float_dtype_is_inf_silently(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same_as_torch(eval(f"lambda L: {call}"))


def test_out_of_range_int_operands_wrap_but_assigned_values_are_checked():
    u8 = torchless.tensor([1, 255], dtype=torchless.uint8)
    assert (u8 + (-1)).tolist() == [0, 254]
    assert (u8 == -1).tolist() == [False, True]  # -1 reads as 255
    assert (torchless.tensor([1, -1], dtype=torchless.int32) > 2**40).tolist() == [True, False]  # 2**40 reads as 0
    assert (u8 / -2).tolist() == [-0.5, -127.5]
    u8 -= -2
    assert u8.tolist() == [3, 1]
    u8[0] = -1
    assert u8.tolist() == [255, 1]
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        u8[0] = 300
    with pytest.raises(OverflowError, match="int too big to convert"):
        u8 + 2**64


# ---------------------------------------------------------------- tensor attributes and conversions
def test_attributes_of_a_leaf_and_a_result():
    x = torchless.ones(2, 3, requires_grad=True)
    assert x.shape == torchless.Size([2, 3]) == (2, 3) and x.size() == x.shape and x.size(0) == 2
    assert isinstance(x.shape, torchless.Size) and isinstance(x.shape, tuple)
    assert x.dim() == x.ndim == 2 and x.numel() == 6 and x.dtype is torchless.float32
    assert x.is_leaf and x.requires_grad and x.grad is None and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and np.shares_memory(d.numpy(), y.detach().numpy())
    data = x.data
    assert not data.requires_grad and np.shares_memory(data.numpy(), x.detach().numpy())
    c = x.clone()
    assert c.requires_grad and not c.is_leaf and not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    assert torchless.ones(2).requires_grad_() .requires_grad


def test_python_values():
    assert torchless.tensor([[1.5]]).item() == 1.5 and isinstance(torchless.tensor([[1.5]]).item(), float)
    assert torchless.tensor(3).item() == 3 and isinstance(torchless.tensor(3).item(), int)
    assert torchless.tensor(True).item() is True
    assert torchless.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert torchless.tensor(2.5).tolist() == 2.5
    assert bool(torchless.tensor([0.0])) is False and bool(torchless.tensor(2)) is True
    assert len(torchless.zeros(4, 2)) == 4
    assert [row.tolist() for row in torchless.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]
    assert int(torchless.tensor(2.9)) == 2 and float(torchless.tensor(2)) == 2.0
    assert np.asarray(torchless.tensor([1.0, 2.0])).tolist() == [1.0, 2.0]
    assert np.asarray(torchless.tensor([1.0, 2.0]), dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("call", [
    "L.ones(2, requires_grad=True).numpy()", "np.asarray(L.ones(2, requires_grad=True))",
    "L.ones(2, requires_grad=True).tolist()", "L.ones(2, requires_grad=True).detach().numpy()",
    "L.ones(1, requires_grad=True).item()", "L.ones(2).long().requires_grad_()",
    "L.ones(2, requires_grad=True).requires_grad_(False)", "(L.ones(2, requires_grad=True) * 2).requires_grad_(False)",
])
def test_grad_related_conversions_match_torch(call):
    assert_same_as_torch(lambda L: eval(call, {"L": L, "np": np}))


@pytest.mark.parametrize("call", [
    "T.type()", "T.long().type()", "T.bool().type()", "T.to(L.int8).type()", "T.half().type()",
    "T.type('torch.LongTensor')", "T.type('torch.DoubleTensor')", "T.type('torch.ByteTensor')",
    "T.type('torch.ShortTensor')", "T.type('torch.Tensor')", "T.type('torch.Foo')", "T.type('FloatTensor')",
    "T.type('float')", "T.type('')", "T.type(L.LongTensor)", "T.type(L.FloatTensor) is T", "T.type(L.Tensor)",
    "T.type(L.float64)", "T.type(int)", "T.type(L.nn.Parameter)", "T.type(3)",
    "T.requires_grad_().type('torch.DoubleTensor')", "T.requires_grad_().type('torch.LongTensor')",
    "isinstance(T, L.FloatTensor)", "isinstance(T, L.LongTensor)", "isinstance(T.double(), L.DoubleTensor)",
    "L.LongTensor([1, 2])", "L.FloatTensor(2, 3).shape", "L.BoolTensor([1, 0])", "repr(L.BoolTensor)",
])
def test_legacy_type_strings_and_classes_match_torch(call):
    assert_same_as_torch(lambda L: eval(call, {"L": L, "T": L.tensor([1.5, 2.0])}))


def test_legacy_type_strings_accept_the_torchless_prefix():
    t = torchless.tensor([1.5, -2.0])
    assert t.type("torchless.LongTensor").tolist() == [1, -2] and t.type("torchless.HalfTensor").type() == \
        "torchless.HalfTensor"
    with pytest.raises(RuntimeError, match="^Cannot initialize CUDA without ATen_cuda library"):  # PyTorch's words
        t.type("torch.cuda.FloatTensor")


# ---------------------------------------------------------------- in-place operations
INPLACE = ["add_(1)", "sub_(1)", "mul_(2)", "div_(2)", "zero_()", "fill_(1)", "copy_(L.ones(3))", "clamp_(0, 1)",
           "uniform_()", "normal_()", "__setitem__(0, 1.0)", "__setitem__(L.tensor([True, False]), 1.0)",
           "add_(L.ones(3), alpha=2)", "fill_(L.tensor(2.))", "clamp_(min=0.5)"]


@pytest.mark.parametrize("op", INPLACE)
def test_inplace_on_leaf_requiring_grad_is_refused_like_torch(op):
    assert_same_as_torch(lambda L: eval(f"L.ones(2, 3, requires_grad=True).{op}", {"L": L}))


@pytest.mark.parametrize("op", INPLACE)
def test_inplace_on_leaf_is_allowed_under_no_grad(op):
    def run(L):
        x = L.ones(2, 3, requires_grad=True)
        with L.no_grad():
            result = eval(f"x.{op}", {"L": L, "x": x})
        return result is x or result is None, x.requires_grad, x.is_leaf, x.shape
    assert_same_as_torch(run)


@pytest.mark.parametrize("op", INPLACE)
def test_inplace_on_a_view_of_a_leaf_is_refused_like_torch(op):
    assert_same_as_torch(lambda L: eval(f"L.ones(2, 3, requires_grad=True)[0].{op}", {"L": L}))


@pytest.mark.parametrize("op", [op for op in INPLACE if "uniform" not in op and "normal" not in op])
def test_inplace_values_match_torch(op):
    def run(L):
        x = L.tensor([[0.5, -1.0, 2.0], [3.0, 0.25, -0.75]])
        eval(f"x.{op}", {"L": L, "x": x})
        return x
    assert_same_as_torch(run)


@pytest.mark.parametrize("call", [
    "L.zeros(2, 3).copy_(L.zeros(2, 2, 3))", "L.zeros(2, 3).copy_(L.ones(3))", "L.zeros(2, 3).copy_(L.zeros(4))",
    "L.zeros(2, 3).copy_(L.ones(2, 3).long() * 2)", "L.zeros(2, 3).long().copy_(L.ones(2, 3) * 1.7)",
    "L.zeros(2, 3).fill_(L.zeros(2))", "L.zeros(2, 3).add_(L.zeros(2, 2, 3))", "L.zeros(2, 3).add_(L.zeros(3, 3))",
    "L.zeros(1, 3).add_(L.ones(2, 3))", "L.zeros(2, 3).long().add_(1.5)", "L.zeros(2, 3).long().div_(2)",
    "L.zeros(2, 3).bool().add_(1)", "L.zeros(2, 3).long().mul_(3)", "L.zeros(2, 3).add_(L.ones(3).double())",
    "L.zeros(2, 3).clamp_()", "L.ones(3).sub_(L.ones(3), alpha=3)",
    # any integer result goes into any integer tensor, wrapping; floats and non-bools are refused as before
    "L.tensor([3, 1], dtype=L.uint8).sub_(L.tensor([1, 2]))", "L.tensor([3, 1], dtype=L.uint8).mul_(L.tensor([-1, 2]))",
    "L.tensor([3, 1], dtype=L.uint8).add_(L.tensor([1, 300]).int())",
    "L.tensor([1, 2], dtype=L.int8).add_(L.tensor([200, 1]).byte())",
    "L.tensor([3, 1, 200], dtype=L.uint8).clamp_(min=L.tensor([5]).int(), max=L.tensor([1, 250, -5]).int())",
    "L.tensor([3, 1], dtype=L.uint8).add_(L.tensor([1., 2.]))", "L.tensor([True, False]).add_(L.tensor([1, 2]))",
    "L.tensor([True, False]).add_(L.tensor([True, True]))", "L.tensor([1, 2]).add_(L.tensor([True, True]))",
])
def test_inplace_errors_and_casts_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


def test_inplace_ops_write_through_views_outside_the_graph():
    base = torchless.zeros(2, 3)
    row = base[1]
    row.add_(2)
    row.mul_(torchless.tensor([1.0, 2.0, 3.0]))
    base.view(6)[0] = 7
    assert base.tolist() == [[7, 0, 0], [2, 4, 6]]
    x = torchless.ones(3)
    x += 1
    x *= 3
    x -= 1
    x /= 5
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_typename_names_objects_as_torch_does():
    import collections

    torch = pytest.importorskip("torch")
    for make in (lambda T: 1, lambda T: T.zeros(2), lambda T: T.zeros(2, dtype=T.int64), lambda T: collections.OrderedDict(),
                 lambda T: T.nn.ReLU(), lambda T: int, lambda T: T.nn.ReLU, lambda T: print):
        assert torchless.typename(make(torchless)) == torch.typename(make(torch)).replace("torch", "torchless")


def test_complex_scalar_makes_a_complex_tensor_of_the_same_precision():
    assert (torchless.zeros(2) * 1j).dtype == torchless.complex64
    assert (torchless.zeros(2, dtype=torchless.float64) * 1j).dtype == torchless.complex128
    assert (torchless.arange(2) * 1j).dtype == torchless.complex64


# ---------------------------------------------------------------- the wider torch.* / Tensor API
@pytest.mark.parametrize("call", [
    'L.tensor([1., 8., 0.5]).log2()', 'L.tensor([1, 100]).log10()', 'L.tensor([0.5, -0.5]).log1p()',
    'L.tensor([True, False]).expm1()', 'L.tensor([1, 0, -2]).reciprocal()', 'L.tensor([0.5, 2.]).sin()',
    'L.tensor([1, 2]).cos()', 'L.tensor([1.5, -2.5]).frac()', 'L.tensor([1, 2]).frac()', 'L.tensor([True]).frac()',
    'L.tensor([1.5, -2.5]).trunc()', 'L.tensor([1, 2]).trunc()', 'L.tensor([True]).trunc()',
    'L.tensor([1.5, -2.5]).fix()', 'L.tensor([5, -5]).fmod(3)', 'L.tensor([5., -5.]).fmod(L.tensor(3))',
    'L.tensor([1, 2]).fmod(0)', 'L.tensor([True]).fmod(True)',
    'L.tensor([5., -5.]).fmod(L.tensor([3., -3.], requires_grad=True))', 'L.tensor([5., -5.]).remainder(3)',
    'L.tensor([5, -5]).floor_divide(3)', 'L.tensor([1, 0, 2]).logical_and(L.tensor([1., 1., 0.]))',
    'L.tensor([1, 0, 2]).logical_or(L.tensor([0, 0, 0]))',
    'L.tensor([True, False]).logical_xor(L.tensor([True, True]))', 'L.logical_and(L.zeros(2), L.zeros(3))',
    'L.tensor([1., 2.]).lerp(L.tensor([1., 2.]).double(), 0.5)', 'L.tensor([1, 2]).lerp(L.tensor([1, 2]), 0.5)',
    'L.tensor([1., 2.]).lerp(L.tensor([3., 4.]), L.tensor(0.5).double())',
    'L.tensor([1., 2.]).lerp(L.tensor([3., 4.]), L.tensor([0.25, 0.75]))',
    'L.tensor([1., 2.]).lerp(L.tensor([3., 4.]), 0.7)', 'L.lerp(L.tensor([1., 2.]), L.tensor([3., 4.]), 1)',
    'L.tensor([1, 2]).nan_to_num()', "L.tensor([float('nan'), float('inf'), -float('inf'), 1.]).nan_to_num()",
    "L.tensor([float('nan'), float('inf'), -float('inf'), 1.]).nan_to_num(1.0, 2.0, -3.0)",
    "L.tensor([float('nan'), float('inf')]).double().nan_to_num(posinf=5)",
])
def test_more_elementwise_ops_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


@pytest.mark.parametrize("call", [
    'L.tensor([1, 2]).cumsum(0)', 'L.tensor([True, True]).cumsum(0)', 'L.tensor([1, 2]).int().cumsum(0)',
    'L.tensor(1.).cumsum(0)', 'L.tensor([[1., 2.], [3., 4.]]).cumsum(-1)', 'L.tensor([[1., 2.], [3., 4.]]).cumsum(2)',
    'L.tensor([1, 2]).cumsum(0, dtype=L.float64)', 'L.tensor([1, 2]).logsumexp(0)',
    'L.tensor([[1., 2.], [3., 4.]]).logsumexp(1, keepdim=True)', 'L.tensor([[1., 2.], [3., 4.]]).logsumexp((0, 1))',
    'L.zeros(0).logsumexp(0)', "L.tensor([1., float('nan'), 3.]).logsumexp(0)",
    "L.tensor([-float('inf'), -float('inf')]).logsumexp(0)", "L.tensor([float('inf'), 1.]).logsumexp(0)",
    'L.tensor(3.).logsumexp(0)', 'L.tensor([3., 1., 2., 2., 5.]).median()', 'L.tensor([3., 1., 2., 2.]).median()',
    'L.tensor([[3., 1., 2.], [0., 9., 4.]]).median(1)',
    'L.tensor([[3., 1., 2.], [0., 9., 4.]]).median(0, keepdim=True)',
    "L.tensor([1., float('nan'), 3., float('nan')]).median(0)", "L.tensor([1., float('nan'), 3.]).median()",
    'L.tensor([3, 1, 2]).median(0)', 'L.tensor([True, False]).median()', 'L.zeros(0).median()',
    'L.zeros(2, 0).median(1)', 'L.tensor(3.).median(0)', 'L.tensor(3.).median()', 'L.median(L.tensor([[3., 1.]]), 1)',
    'L.tensor([3., 1.]).kthvalue(3)', 'L.tensor([3., 1.]).kthvalue(0)', 'L.tensor(3.).kthvalue(1)',
    'L.tensor([[3., 1.]]).kthvalue(1, 0, True)', 'L.tensor([[3., 1., 2.], [0., 9., 4.]]).kthvalue(2)',
    "L.tensor([1., float('nan'), 3.]).kthvalue(3)", 'L.kthvalue(L.tensor([4, 2, 8]), 1)',
    'L.tensor([1, 0, 2]).count_nonzero()', 'L.tensor([[1, 0, 2]]).count_nonzero((0, 1))',
    'L.tensor([[1., 0., 2.]]).count_nonzero(1)', 'L.count_nonzero(L.tensor([[True, False]]), 0)',
    'L.tensor([1, 1, 3]).bincount()', 'L.tensor([1, 1, 3]).bincount(L.tensor([.5, .5, 1.]))',
    'L.tensor([1, 1, 3]).bincount(L.tensor([.5, .5, 1.]).double(), minlength=6)',
    'L.tensor([1, 1, 3]).bincount(L.tensor([1, 2, 3]))', 'L.tensor([-1]).bincount()', 'L.tensor([1.]).bincount()',
    'L.tensor([[1]]).bincount()', 'L.zeros(0, dtype=L.long).bincount()', 'L.tensor([1, 2], dtype=L.uint8).bincount()',
    'L.tensor([1., 2., 1., 4.]).histc(4)', 'L.tensor([1., 2., 1., 4.]).histc(4, 0, 3)', 'L.tensor([1, 2]).histc(4)',
    'L.tensor([1., 2.]).histc(4, 3, 1)', 'L.tensor([1., 2.]).histc(-1)', 'L.tensor([2., 2.]).histc(3)',
    'L.tensor([1., 2.]).double().histc(2)', 'L.histc(L.tensor([0.1, 0.2, 0.9]), bins=3, min=0, max=1)',
    'L.tensor([3, 1, 3]).unique()', 'L.tensor([3, 1, 3]).unique(return_inverse=True, return_counts=True)',
    'L.tensor([[3, 1], [3, 1]]).unique(dim=0)', 'L.tensor([[3, 1], [2, 1]]).unique(return_inverse=True)',
    'L.unique(L.tensor([3., 1., 3.]), sorted=False)',
    'L.unique(L.tensor([[3, 1], [3, 1]]), dim=1, return_counts=True)',
])
def test_statistics_match_torch(call):
    """cumsum, logsumexp, median, kthvalue, count_nonzero, bincount, histc, unique: values, dtypes, errors."""
    assert_same_as_torch(eval(f"lambda L: {call}"))


@pytest.mark.parametrize("call", [
    'L.zeros(2, 3).movedim(0, 0)', 'L.zeros(2, 3, 4).movedim((0, 1), (2, 0)).shape',
    'L.zeros(2, 3, 4).movedim(-1, 0).shape', 'L.zeros(2, 3).movedim((0, 1), (1,))',
    'L.zeros(2, 3).movedim((0, 0), (1, 0))', 'L.zeros(2, 3).movedim((0, 1), (1, 1))', 'L.zeros(2, 3).movedim(2, 0)',
    'L.movedim(L.zeros(2, 3, 4), 1, 2).shape', 'L.moveaxis(L.zeros(2, 3, 4), 1, 2).shape',
    'L.arange(6.).reshape(2, 3).narrow(1, 1, 2)', 'L.arange(6.).reshape(2, 3).narrow(0, -1, 1)',
    'L.zeros(2, 3).narrow(1, 2, 2)', 'L.zeros(2, 3).narrow(1, 4, 0)', 'L.zeros(2, 3).narrow(1, -4, 0)',
    'L.zeros(2, 3).narrow(1, 1, -1)', 'L.narrow(L.arange(5), 0, 3, 2)', 'L.zeros(3).fliplr()', 'L.zeros(()).flipud()',
    'L.arange(6).reshape(2, 3).fliplr()', 'L.arange(6).reshape(2, 3).flipud()', 'L.zeros(3).rot90()',
    'L.zeros(2, 3).rot90(1, [0, 0])', 'L.zeros(2, 3).rot90(1, [0])', 'L.zeros(2, 3).rot90(1, [0, 2])',
    'L.arange(6).reshape(2, 3).rot90()', 'L.arange(6).reshape(2, 3).rot90(2)', 'L.arange(6).reshape(2, 3).rot90(-1)',
    'L.arange(24).reshape(2, 3, 4).rot90(5, (2, 1))', 'L.arange(6).reshape(2, 3).rot90().stride()',
    'L.arange(6).reshape(2, 3).roll(1)', 'L.arange(6).reshape(2, 3).roll(1, 0)',
    'L.arange(6).reshape(2, 3).roll((1, -1), (0, 1))', 'L.arange(6).reshape(2, 3).roll(-4, 1)',
    'L.zeros(2, 3).roll(1, (0, 1))', 'L.zeros(2, 3).roll((1, 2), 0)', 'L.roll(L.arange(4), 1)',
    'L.tensor([[1, 2]]).tile(())', 'L.tensor([[1, 2]]).tile((2,))', 'L.tensor([[1, 2]]).tile((2, 1, 2))',
    'L.tile(L.tensor([1, 2]), (3,))', 'L.tensor([1, 2]).repeat_interleave(L.tensor([1, 2, 3]))',
    'L.tensor([1, 2]).repeat_interleave(-1)', 'L.repeat_interleave(L.tensor([1, 2]))',
    'L.tensor([[1, 2]]).repeat_interleave(L.tensor([2]), 1)', 'L.tensor([[1, 2], [3, 4]]).repeat_interleave(2)',
    'L.tensor([[1, 2], [3, 4]]).repeat_interleave(L.tensor([1, 2]), dim=0)',
    'L.repeat_interleave(L.tensor([[1, 2], [3, 4]]), 3, dim=1)', 'L.tensor(5).repeat_interleave(2)',
    'L.arange(7).tensor_split(3)', 'L.arange(7).tensor_split([1, 5])', 'L.arange(7).tensor_split([-2, 10, 3])',
    'L.arange(7).tensor_split(0)', 'L.arange(12).reshape(3, 4).tensor_split(3, dim=1)',
    'L.tensor_split(L.arange(5), 7)', 'L.tensor([1, 4, 9, 16]).diff()', 'L.tensor([1., 4., 9., 16.]).diff(2)',
    'L.tensor([[1, 4], [9, 16]]).diff(dim=0)', 'L.tensor([1, 4]).diff(n=3)', 'L.tensor([True, False, False]).diff()',
    'L.tensor([1, 4]).diff(prepend=L.tensor([0]), append=L.tensor([20, 30]))', 'L.tensor(1).diff()',
    'L.diff(L.tensor([1., 3.]))', 'L.arange(12.).reshape(3, 4).diagonal()', 'L.arange(12.).reshape(3, 4).diagonal(1)',
    'L.arange(12.).reshape(3, 4).diagonal(-2)', 'L.arange(12.).reshape(3, 4).diagonal(5)',
    'L.arange(24.).reshape(2, 3, 4).diagonal(0, 1, 2)', 'L.arange(24.).reshape(2, 3, 4).diagonal(1, -1, 0)',
    'L.arange(24.).reshape(2, 3, 4).diagonal(0, 1, 1)', 'L.arange(12.).reshape(3, 4).diag()',
    'L.arange(12.).reshape(3, 4).diag(-1)', 'L.tensor([1, 2]).diag()', 'L.tensor([1, 2]).diag(1)',
    'L.tensor([1, 2]).diag(-2)', 'L.zeros(2, 2, 2).diag()', 'L.zeros(()).diag()',
    'L.arange(12.).reshape(3, 4).trace()', 'L.arange(12).reshape(3, 4).trace()',
    'L.arange(12).reshape(3, 4).int().trace()', 'L.tensor([[True, True], [False, True]]).trace()',
    'L.zeros(3).trace()', 'L.arange(12.).reshape(3, 4).tril()', 'L.arange(12.).reshape(3, 4).tril(-1)',
    'L.arange(12).reshape(3, 4).triu(1)', 'L.arange(24).reshape(2, 3, 4).triu(-1)', 'L.zeros(3).tril()',
    'L.zeros(3).triu()', 'L.tril(L.ones(2, 2, dtype=L.bool))', 'L.tensor([1., 2.]).outer(L.tensor([1, 2, 3]))',
    'L.outer(L.tensor([1, 2]), L.tensor([True, False]))', 'L.zeros(2, 2).outer(L.zeros(2))',
    'L.zeros(2).outer(L.zeros(2, 2))', 'L.ones(2, 3).mv(L.ones(3))', 'L.ones(2, 3).mv(L.ones(2))',
    'L.ones(3).mv(L.ones(3))', 'L.mv(L.ones(2, 3), L.ones(3, 1))',
])
def test_more_shape_ops_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


@pytest.mark.parametrize("call", [
    'L.arange(12.).reshape(3, 4).index_select(1, L.tensor([0, 2, 2]))',
    'L.arange(12.).reshape(3, 4).index_select(0, L.tensor([1]).int())',
    'L.arange(12.).reshape(3, 4).index_select(0, L.tensor(1))',
    'L.arange(12.).reshape(3, 4).index_select(0, L.tensor([1.]))',
    'L.arange(12.).reshape(3, 4).index_select(0, L.tensor([[1]]))',
    'L.arange(12.).reshape(3, 4).index_select(0, L.tensor([3]))',
    'L.arange(12.).reshape(3, 4).index_select(0, L.tensor([-1]))',
    'L.arange(12.).reshape(3, 4).index_select(2, L.tensor([0]))',
    'L.index_select(L.tensor([5, 6, 7]), 0, L.tensor([2, 0]))',
    'L.arange(6).reshape(2, 3).masked_select(L.tensor([True, False, True]))',
    'L.arange(6).reshape(2, 3).masked_select(L.tensor([1, 0, 1]))',
    'L.arange(3).masked_select(L.tensor([[True], [False]]))', 'L.arange(3).masked_select(L.tensor([True, False]))',
    'L.masked_select(L.tensor([1., 2.]), L.tensor([False, True]))',
    'L.arange(6).reshape(2, 3).take(L.tensor([[0, 5], [-1, 2]]))', 'L.arange(6).reshape(2, 3).take(L.tensor([6]))',
    'L.take(L.tensor([1., 2.]), L.tensor(1))',
    'L.zeros(3, 4).scatter(1, L.tensor([[0], [1], [2]]), L.arange(12.).reshape(3, 4))',
    'L.zeros(3, 4).scatter(0, L.tensor([[0, 1, 2, 0]]), L.ones(2, 4))',
    'L.zeros(3, 4).scatter(1, L.tensor([[0], [1], [2]]), 5.0)',
    'L.zeros(3, 4).scatter(1, L.tensor([[0], [1], [2]]), value=7)',
    'L.zeros(3, 4).long().scatter(1, L.tensor([[0], [1], [2]]), 2.5)',
    'L.zeros(3, 4).scatter(1, L.tensor([[0], [1], [2]]).int(), 5.0)',
    'L.zeros(3, 4).scatter(1, L.tensor([0, 1, 2]), 5.0)',
    'L.zeros(3, 4).scatter(1, L.tensor([[0], [1], [2]]), L.ones(3, 4).double())',
    'L.zeros(3, 4).scatter_add(0, L.tensor([[0, 0, 2, 0], [0, 1, 1, 1]]), L.ones(2, 4))',
    'L.zeros(5).scatter_add(0, L.tensor([1, 1, 4]), L.tensor([1., 2., 3.]))',
    'L.zeros(5).scatter_(0, L.tensor([1, 3]), L.tensor([1., 2.]))',
    'L.zeros(5).scatter_add_(0, L.tensor([1, 1]), L.tensor([1., 2.]))',
    'L.scatter(L.zeros(2), 0, L.tensor([1]), L.tensor([4.]))',
    'L.scatter_add(L.zeros(2), 0, L.tensor([1, 1]), L.tensor([4., 1.]))', 'L.tensor([[0, 1], [2, 0]]).nonzero()',
    'L.tensor([[0, 1], [2, 0]]).nonzero(as_tuple=True)', 'L.nonzero(L.tensor([0., 3.]))',
    'L.nonzero(L.tensor([0., 3.]), as_tuple=True)', 'L.tensor([[0, 1], [2, 0]]).argwhere()',
    'L.argwhere(L.tensor(1))', 'L.tensor([1., 2., 3.]).where(L.tensor([True, False, True]), 0.)',
    'L.tensor([1., 2., 3.]).where(L.tensor([True, False, True]), L.tensor([9, 9, 9]))',
    'L.take(L.arange(4), L.tensor([3]))',
])
def test_selection_and_scatter_match_torch(call):
    assert_same_as_torch(eval(f"lambda L: {call}"))


@pytest.mark.parametrize("call", [
   
    '(L.ones(2, 3).itemsize, L.ones(2, 3).nbytes, L.ones(2, dtype=L.int16).nbytes, L.ones(2).is_complex(), L.ones(2).get_device())',
    'L.arange(6.).reshape(2, 3).H', 'L.arange(6.).H', 'L.arange(24.).reshape(2, 3, 4).H',
    'L.arange(24.).reshape(2, 3, 4).mH', 'L.broadcast_shapes((2, 1), (3,))', 'L.broadcast_shapes(2, (1, 2))',
    'L.broadcast_shapes((2,), (3,))', 'L.broadcast_tensors(L.ones(2, 1), L.zeros(3))',
    'L.broadcast_tensors(L.ones(2), L.zeros(3))', 'L.broadcast_to(L.tensor([1, 2]), (3, 2))',
    'L.atleast_1d(L.tensor(1.))', 'L.atleast_2d(L.tensor([1., 2.]))', 'L.atleast_2d(L.tensor(1.), L.ones(3))',
    'L.atleast_2d((L.tensor(1.), L.ones(3)))', 'L.atleast_2d(L.ones(2, 3, 4)).shape',
    'L.hstack([L.ones(2), L.zeros(3)])', 'L.hstack([L.ones(2, 1), L.zeros(2, 2)])',
    'L.hstack((L.tensor(1), L.tensor(2)))', 'L.vstack([L.ones(2), L.zeros(2)])',
    'L.vstack([L.ones(1, 2), L.zeros(2)])', 'L.row_stack([L.ones(2), L.zeros(2)])',
    'L.meshgrid(L.tensor([1, 2]), L.tensor([3, 4, 5]), indexing="ij")',
    'L.meshgrid(L.tensor([1, 2]), L.tensor([3, 4, 5]), indexing="xy")',
    'L.meshgrid([L.tensor([1, 2]), L.tensor([3, 4, 5]), L.tensor([6])], indexing="xy")',
    'L.meshgrid(L.tensor([1, 2]), indexing="xy")', 'L.meshgrid(L.tensor([1, 2]), L.tensor(3), indexing="ij")',
    'L.meshgrid(L.tensor([1, 2]), L.tensor([3]), indexing="ab")',
    'L.cartesian_prod(L.tensor([1, 2]), L.tensor([3, 4, 5]))', 'L.cartesian_prod(L.tensor([1, 2]))',
    'L.cartesian_prod(L.tensor([1, 2]), L.tensor([3]), L.tensor([4, 5]))', 'L.clamp_min(L.tensor([1., -1.]), 0)',
    'L.clamp_max(L.tensor([1., -1.]), 0)', 'L.absolute(L.tensor([-1, 2]))', 'L.negative(L.tensor([-1, 2]))',
    'L.swapdims(L.zeros(2, 3), 0, 1).shape', 'L.fmod(L.tensor([5., -5.]), 3)', 'L.remainder(L.tensor([5., -5.]), 3)',
    'L.floor_divide(L.tensor([5., -5.]), 3)', 'L.log1p(L.tensor([0.5]))',
    "L.nan_to_num(L.tensor([float('nan')]), nan=2.)", 'L.trace(L.eye(3))', 'L.tril(L.ones(3, 3), 1)',
    'L.diag(L.tensor([1., 2.]))', 'L.diagonal(L.ones(2, 3), 1)', 'L.logsumexp(L.tensor([1., 2.]), 0)',
    'L.cumsum(L.tensor([1., 2.]), dim=0)', 'L.unique(L.tensor([2, 1, 2]), return_counts=True)',
    'L.bincount(L.tensor([0, 2]))', 'L.rot90(L.arange(4).reshape(2, 2), 1, (0, 1))', 'L.roll(L.arange(4), 1, 0)',
    'L.outer(L.tensor([1., 2.]), L.tensor([3., 4.]))',
])
def test_function_forms_and_helpers_match_torch(call):
    """torch.* functions without a method (broadcast_*, atleast_*, hstack, meshgrid, ...), function forms of
    methods, and tensor properties."""
    assert_same_as_torch(eval(f"lambda L: {call}"))
