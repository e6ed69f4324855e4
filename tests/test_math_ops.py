"""Math ops beyond the basics: erf and kin, inverse trigonometric and hyperbolic functions, atan2 and the other
binary functions, fused multiply-adds, scans, nan-reductions, quantiles, index_add/copy/fill, masked_scatter,
take_along_dim. Values against independent references (the math module, NumPy in float64), gradients against
central differences, and everything (values, dtypes, grad_fn names, gradients, errors) against PyTorch."""
import math

import numpy as np
import pytest

import torchless
from helpers import assert_matches_torch, assert_same_error, finite_difference_check, tensor

F32 = dict(rtol=2e-6, atol=1e-6)
F64 = dict(rtol=1e-12, atol=1e-13)


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------- unary: references
MATH_UNARY = {
    "erf": (math.erf, np.linspace(-7, 7, 141)),
    "erfc": (math.erfc, np.linspace(-7, 27, 171)),
    "tan": (math.tan, np.linspace(-1.5, 1.5, 61)),
    "asin": (math.asin, np.linspace(-1, 1, 41)),
    "acos": (math.acos, np.linspace(-1, 1, 41)),
    "atan": (math.atan, np.linspace(-50, 50, 41)),
    "sinh": (math.sinh, np.linspace(-20, 20, 41)),
    "cosh": (math.cosh, np.linspace(-20, 20, 41)),
    "asinh": (math.asinh, np.linspace(-50, 50, 41)),
    "acosh": (math.acosh, np.linspace(1, 50, 41)),
    "atanh": (math.atanh, np.linspace(-0.99, 0.99, 41)),
    "deg2rad": (math.radians, np.linspace(-720, 720, 41)),
    "rad2deg": (math.degrees, np.linspace(-7, 7, 41)),
    "sinc": (lambda v: 1.0 if v == 0 else math.sin(math.pi * v) / (math.pi * v), np.linspace(-3, 3, 61)),
    "logit": (lambda v: math.log(v / (1 - v)), np.linspace(0.01, 0.99, 41)),
}


@pytest.mark.parametrize("name", sorted(MATH_UNARY))
def test_unary_values_match_the_math_module_in_float64(name):
    fn, x = MATH_UNARY[name]
    out = getattr(tensor(x), name)()
    assert out.dtype == torchless.float64
    np.testing.assert_allclose(out.numpy(), [fn(v) for v in x], rtol=1e-13, atol=1e-300)


def test_erfc_keeps_relative_accuracy_far_in_the_tail():
    x = np.array([5.0, 10.0, 20.0, 26.5])
    np.testing.assert_allclose(torchless.erfc(tensor(x)).numpy(), [math.erfc(v) for v in x], rtol=1e-13)


def test_erfinv_inverts_erf_including_the_tails():
    p = np.concatenate([np.linspace(-0.999, 0.999, 81), 1 - np.logspace(-15, -2, 14), -1 + np.logspace(-15, -2, 14)])
    y = torchless.erfinv(tensor(p)).numpy()
    np.testing.assert_allclose([math.erf(v) for v in y], p, rtol=1e-15, atol=1e-16)
    tail = np.abs(p) > 0.5  # there erfc(|y|) = 1 - |p| is exact: the relative accuracy shows
    np.testing.assert_allclose([math.erfc(abs(v)) for v in y[tail]], 1 - np.abs(p[tail]), rtol=1e-12)


def test_erf_family_edge_values():
    x = tensor([0.0, -0.0, np.inf, -np.inf, np.nan])
    assert torchless.erf(x).numpy()[:4].tolist() == [0.0, -0.0, 1.0, -1.0]
    assert np.signbit(torchless.erf(x).numpy()[1])
    assert np.isnan(torchless.erf(x).numpy()[4])
    assert torchless.erfc(x).numpy()[:4].tolist() == [1.0, 1.0, 0.0, 2.0]
    inv = torchless.erfinv(tensor([1.0, -1.0, 0.0, -0.0, 1.5, np.nan])).numpy()
    assert inv[:4].tolist() == [np.inf, -np.inf, 0.0, 0.0] and np.signbit(inv[3])
    assert np.isnan(inv[4:]).all()


def test_sgn_records_torchs_node_with_a_zero_gradient():
    x = tensor([-2.0, 0.0, 3.0], requires_grad=True)
    out = x.sgn()
    assert out.grad_fn.name() == "SgnBackward0" and out.tolist() == [-1.0, 0.0, 1.0]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_sinc_logit_and_signbit_details():
    assert torchless.sinc(tensor([0.0])).item() == 1.0
    assert torchless.logit(tensor([0.0, 1.0, 0.5])).numpy().tolist() == [-np.inf, np.inf, 0.0]
    np.testing.assert_allclose(torchless.logit(tensor([0.0, 0.95]), eps=0.1).numpy(),
                               [math.log(0.1 / 0.9), math.log(0.9 / 0.1)], rtol=1e-14)
    assert torchless.signbit(tensor([-0.0, 0.0, -2.0, np.inf])).tolist() == [True, False, True, False]
    assert torchless.signbit(tensor([-1, 0, 3])).tolist() == [True, False, False]


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh",
                                  "acosh", "atanh", "deg2rad", "rad2deg", "sinc", "logit"])
def test_unary_gradients_match_central_differences(name):
    x = rng().uniform(0.1, 0.9, (3, 4))
    if name == "acosh":
        x = x + 1.2
    if name == "sinc":
        x[0, 0] = 0.0  # the removable singularity: gradient 0
    finite_difference_check(lambda t: getattr(t, name)(), [x], rtol=1e-6, atol=1e-7)


def test_logit_eps_gradient_is_zero_outside_the_clamp():
    x = tensor([0.05, 0.5, 0.97], requires_grad=True)
    x.logit(eps=0.1).sum().backward()
    assert x.grad.numpy()[[0, 2]].tolist() == [0.0, 0.0]
    assert x.grad.numpy()[1] == pytest.approx(4.0)


# ---------------------------------------------------------------------------- unary: against torch
UNARY_NAMES = ["erf", "erfc", "erfinv", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
               "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg", "sinc", "logit",
               "sgn"]


@pytest.mark.parametrize("name", [n for n in UNARY_NAMES if n != "sgn"])  # sgn: torch's gradient is a ZeroTensor
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_matches_torch_values_grad_fn_and_gradients(name, dtype):
    torch = pytest.importorskip("torch")
    r = rng(1)
    x = r.uniform(-0.95, 0.95, (4, 5)).astype(dtype)
    if name in ("acosh", "arccosh"):
        x = np.abs(x) + 1.05
    if name == "logit":
        x = np.abs(x)
    x.flat[0] = 0.0
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tol = F32 if dtype == "float32" else F64
    assert_matches_torch(getattr(ours, name)(), getattr(theirs, name)(), [ours], [theirs], tol, r)


EDGES = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.0, np.inf, -np.inf, np.nan, 1e-30, 40.0], np.float32)


@pytest.mark.parametrize("name", UNARY_NAMES + ["signbit"])
def test_unary_edge_values_match_torch(name):
    torch = pytest.importorskip("torch")
    with np.errstate(all="ignore"):
        ours = getattr(torchless, name)(tensor(EDGES)).numpy()
    theirs = getattr(torch, name)(torch.tensor(EDGES)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=0)
    assert ours.dtype == theirs.dtype


@pytest.mark.parametrize("name", ["erf", "erfinv", "tan", "asinh", "deg2rad", "sinc", "logit", "sgn", "signbit"])
@pytest.mark.parametrize("values", [[1, 0, -2], [True, False], 3, []])
def test_unary_dtypes_0d_and_empty_match_torch(name, values):
    torch = pytest.importorskip("torch")
    dtype_arg = {} if values != [] else {"dtype": torch.int64}
    expected = getattr(torch, name)(torch.tensor(values, **dtype_arg))
    actual = getattr(torchless, name)(torchless.tensor(values, **({} if values != [] else {"dtype": torchless.int64})))
    assert actual.dtype.name == str(expected.dtype).replace("torch.", "")
    assert actual.shape == tuple(expected.shape)
    np.testing.assert_allclose(actual.numpy().astype(float), expected.numpy().astype(float), rtol=1e-6)


@pytest.mark.parametrize("name", ["erf", "tan", "logit", "deg2rad", "sinc", "arcsin", "sgn"])
def test_inplace_unary_matches_torch(name):
    torch = pytest.importorskip("torch")
    x = np.array([0.1, 0.4, 0.7], np.float32)
    ours, theirs = tensor(x), torch.tensor(x)
    assert getattr(ours, name + "_")() is ours
    getattr(theirs, name + "_")()
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **F32)
    assert_same_error(lambda: getattr(torch.tensor([1, 2]), name + "_")(),
                      lambda: getattr(torchless.tensor([1, 2]), name + "_")()) if name != "sgn" else None


# ---------------------------------------------------------------------------- binary
MATH_BINARY = {
    "atan2": math.atan2, "hypot": math.hypot, "copysign": math.copysign,
    "logaddexp": lambda a, b: max(a, b) + math.log1p(math.exp(-abs(a - b))),
    "logaddexp2": lambda a, b: max(a, b) + math.log2(1 + 2 ** -abs(a - b)),
    "xlogy": lambda a, b: 0.0 if a == 0 else a * math.log(b),
    "fmax": max, "fmin": min,
}


@pytest.mark.parametrize("name", sorted(MATH_BINARY))
def test_binary_values_match_the_math_module(name):
    r = rng(2)
    a, b = r.uniform(-5, 5, 30), r.uniform(-5, 5, 30)
    if name == "xlogy":
        b, a[:3] = np.abs(b) + 0.1, 0.0
    out = getattr(torchless, name)(tensor(a), tensor(b)).numpy()
    np.testing.assert_allclose(out, [MATH_BINARY[name](x, y) for x, y in zip(a, b)], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(MATH_BINARY))
def test_binary_gradients_match_central_differences(name):
    r = rng(3)
    a, b = r.uniform(0.2, 2, (3, 1)), r.uniform(-2, -0.2, (4,))  # broadcast; no ties or zeros
    if name == "xlogy":
        b = -b
    finite_difference_check(lambda x, y: getattr(x, name)(y), [a, b], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(MATH_BINARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_matches_torch(name, dtype):
    torch = pytest.importorskip("torch")
    r = rng(4)
    a, b = r.uniform(-3, 3, (3, 1)).astype(dtype), r.uniform(-3, 3, (4,)).astype(dtype)
    a[0, 0], b[1] = 0.0, 0.0
    if name in ("fmax", "fmin"):
        a[1, 0], b[2] = np.nan, a[2, 0]  # NaN ignored; a tie
    if name == "xlogy":
        b = np.abs(b)
    ours = [tensor(a, requires_grad=True), tensor(b, requires_grad=True)]
    theirs = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    tol = F32 if dtype == "float32" else F64
    with np.errstate(all="ignore"):
        assert_matches_torch(getattr(torchless, name)(*ours), getattr(torch, name)(*theirs), ours, theirs, tol, r)


@pytest.mark.parametrize("call", [
    lambda L: L.copysign(L.tensor([1.0, -2.0], requires_grad=True), -1.0),
    lambda L: L.xlogy(L.tensor([1.0, 0.0], requires_grad=True), 3.0),
    lambda L: L.xlogy(2.0, L.tensor([1.0, 4.0], requires_grad=True)),
    lambda L: L.tensor([1.0, -2.0], requires_grad=True).copysign(L.tensor(-0.0)),
])
def test_binary_scalar_overloads_match_torch_grad_fn(call):
    torch = pytest.importorskip("torch")
    ours, theirs = call(torchless), call(torch)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(MATH_BINARY))
@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("bool", "bool"), ("int64", "float64"), ("float32", "int32"),
                                    ("float64", "float32")])
def test_binary_promotion_and_kernel_errors_match_torch(name, dtypes):
    torch = pytest.importorskip("torch")
    a, b = np.array([1, 0, 2]).astype(dtypes[0]), np.array([3, 1, 1]).astype(dtypes[1])

    def run(L):
        return getattr(L, name)(L.tensor(a), L.tensor(b))

    try:
        expected = run(torch)
    except Exception:  # noqa: BLE001
        assert_same_error(lambda: run(torch), lambda: run(torchless))
        return
    actual = run(torchless)
    assert actual.dtype.name == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(actual.numpy().astype(float), expected.numpy().astype(float), rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda L: L.atan2(L.ones(2), 2.0),
    lambda L: L.ones(2).atan2(2.0),
    lambda L: L.hypot(L.ones(2), 1),
    lambda L: L.fmax(L.ones(2), 1.0),
    lambda L: L.logaddexp(L.ones(2, 3), L.ones(4)),
    lambda L: L.xlogy(2.0, 3.0),
    lambda L: L.ones(3).atan2_(L.ones(2)),
    lambda L: L.ones(3, dtype=L.int64).atan2_(L.ones(3)),
])
def test_binary_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_binary_inplace_forms_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("atan2_", "arctan2_", "hypot_", "copysign_", "xlogy_"):
        a, b = np.array([0.5, -2.0, 3.0]), np.array([1.5, 2.0, -0.5])
        ours, theirs = tensor(a), torch.tensor(a)
        getattr(ours, name)(tensor(np.abs(b))), getattr(theirs, name)(torch.tensor(np.abs(b)))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-14)


# ---------------------------------------------------------------------------- fused multiply-adds
def fused_reference(name, inp, x, y, beta, alpha):
    product = {"addmm": lambda: x @ y, "addmv": lambda: x @ y, "addr": lambda: np.outer(x, y),
               "baddbmm": lambda: np.einsum("bij,bjk->bik", x, y), "addbmm": lambda: np.einsum("bij,bjk->ik", x, y),
               "addcmul": lambda: x * y, "addcdiv": lambda: x / y}[name]()
    if name in ("addcmul", "addcdiv"):
        return inp + alpha * product
    return beta * inp + alpha * product


FUSED_SHAPES = {"addmm": ((2, 3), (2, 4), (4, 3)), "addmv": ((2,), (2, 4), (4,)), "addr": ((2, 3), (2,), (3,)),
                "baddbmm": ((5, 2, 3), (5, 2, 4), (5, 4, 3)), "addbmm": ((2, 3), (5, 2, 4), (5, 4, 3)),
                "addcmul": ((3,), (2, 1), (4, 1, 1)), "addcdiv": ((3,), (2, 1), (4, 1, 1))}


def fused_call(L, name, args, beta, alpha):
    if name in ("addcmul", "addcdiv"):
        return getattr(L, name)(*args, value=alpha)
    return getattr(L, name)(*args, beta=beta, alpha=alpha)


@pytest.mark.parametrize("name", sorted(FUSED_SHAPES))
@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, -2.0), (0, 3)])
def test_fused_values_match_numpy(name, beta, alpha):
    r = rng(5)
    arrays = [r.uniform(0.5, 2, s) for s in FUSED_SHAPES[name]]
    out = fused_call(torchless, name, [tensor(a) for a in arrays], beta, alpha)
    np.testing.assert_allclose(out.numpy(), fused_reference(name, *arrays, beta, alpha), rtol=1e-13)


@pytest.mark.parametrize("name", sorted(FUSED_SHAPES))
def test_fused_gradients_match_central_differences(name):
    r = rng(6)
    arrays = [r.uniform(0.5, 2, s) for s in FUSED_SHAPES[name]]
    finite_difference_check(lambda *t: fused_call(torchless, name, t, 0.7, -1.3), arrays, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(FUSED_SHAPES))
@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, -2.0), (0, 3)])
def test_fused_matches_torch(name, beta, alpha):
    torch = pytest.importorskip("torch")
    r = rng(7)
    arrays = [r.uniform(0.5, 2, s).astype(np.float32) for s in FUSED_SHAPES[name]]
    if beta == 0:
        arrays[0][...] = np.nan  # not read at all
    ours = [tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    assert_matches_torch(fused_call(torchless, name, ours, beta, alpha), fused_call(torch, name, theirs, beta, alpha),
                         ours, theirs, dict(rtol=1e-5, atol=1e-5), r)


@pytest.mark.parametrize("call", [
    lambda L: L.addmm(L.ones(4), L.ones(2, 4), L.ones(4, 3)),
    lambda L: L.addmm(L.ones(2, 3), L.ones(2, 4), L.ones(2, 4)),
    lambda L: L.addmm(L.ones(2, 3), L.ones(4), L.ones(4, 3)),
    lambda L: L.addmm(L.ones(2, 3), L.ones(2, 4, dtype=L.float64), L.ones(4, 3)),
    lambda L: L.addmm(L.ones(2, 3, dtype=L.float64), L.ones(2, 4), L.ones(4, 3)),
    lambda L: L.addmm(L.ones(2, 3, dtype=L.bool), L.ones(2, 4, dtype=L.bool), L.ones(4, 3, dtype=L.bool)),
    lambda L: L.addmv(L.ones(2), L.ones(2, 4), L.ones(3)),
    lambda L: L.addmv(L.ones(3), L.ones(2, 4), L.ones(4)),
    lambda L: L.addmv(L.ones(2), L.ones(4), L.ones(4)),
    lambda L: L.addmv(L.ones(2), L.ones(2, 4, dtype=L.float64), L.ones(4)),
    lambda L: L.addr(L.ones(2, 3), L.ones(2), L.ones(4)),
    lambda L: L.addr(L.ones(2, 3), L.ones(2, 4), L.ones(4)),
    lambda L: L.baddbmm(L.ones(5, 2, 3), L.ones(5, 2, 4), L.ones(5, 2, 4)),
    lambda L: L.baddbmm(L.ones(5, 2, 3), L.ones(5, 2, 4), L.ones(4, 4, 3)),
    lambda L: L.baddbmm(L.ones(5, 2, 3), L.ones(5, 2, 4, dtype=L.float64), L.ones(5, 4, 3)),
    lambda L: L.addbmm(L.ones(2, 3), L.ones(5, 2, 4), L.ones(4, 4, 3)),
    lambda L: L.addbmm(L.ones(2, 3), L.ones(5, 2, 4), L.ones(5, 3, 3)),
    lambda L: L.addbmm(L.ones(3, 3), L.ones(5, 2, 4), L.ones(5, 4, 3)),
    lambda L: L.addcmul(L.ones(3), 2.0, L.ones(3)),
    lambda L: L.ones(3).addcmul(L.ones(3), 2.0),
    lambda L: L.addcmul(L.ones(3), L.ones(2), L.ones(3)),
    lambda L: L.addcmul(L.ones(3, dtype=L.bool), L.ones(3, dtype=L.bool), L.ones(3, dtype=L.bool)),
    lambda L: L.addcdiv(L.ones(3), L.ones(3, dtype=L.int64), L.ones(3, dtype=L.int64)),
])
def test_fused_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


@pytest.mark.parametrize("call", [
    lambda L: L.addmm(L.ones(2, 3, dtype=L.int64), L.ones(2, 4, dtype=L.int64), L.ones(4, 3, dtype=L.int64), alpha=2),
    lambda L: L.addcmul(L.ones(3, dtype=L.int64), L.ones(3, dtype=L.int64), L.ones(3, dtype=L.int64), value=0.5),
    lambda L: L.addcmul(L.ones(3), L.ones(3, dtype=L.float64), L.ones(3, dtype=L.int64)),
    lambda L: L.addcdiv(L.ones(3, dtype=L.int64), L.ones(3), L.full((3,), 4.0)),
    lambda L: L.addr(L.ones(2, 3), L.ones(2, dtype=L.float64), L.ones(3)),
    lambda L: L.addmv(L.ones(2, dtype=L.int64), L.ones(2, 4, dtype=L.int64), L.ones(4, dtype=L.int64)),
    lambda L: L.ones(2, 3).addmm_(L.ones(2, 4), L.ones(4, 3), beta=2),
    lambda L: L.ones(3).addcmul_(L.ones(3), L.full((3,), 2.0), value=3),
    lambda L: L.ones(3).addcdiv_(L.ones(3), L.full((3,), 2.0), value=3),
])
def test_fused_dtypes_and_inplace_match_torch(call):
    torch = pytest.importorskip("torch")
    ours, theirs = call(torchless), call(torch)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------------------- scans and reductions
def test_cumprod_values_and_gradients_with_zeros():
    x = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [1.5, -2.0, 0.5, 3.0, 2.0]])
    np.testing.assert_allclose(torchless.cumprod(tensor(x), 1).numpy(), np.cumprod(x, 1), rtol=1e-15)
    finite_difference_check(lambda t: t.cumprod(1), [x], rtol=1e-6, atol=1e-7)
    finite_difference_check(lambda t: t.cumprod(0), [x], rtol=1e-6, atol=1e-7)
    finite_difference_check(lambda t: t.cumprod(-1), [np.array([0.0, 2.0, 3.0])], rtol=1e-6, atol=1e-7)


def cum_extremum_reference(x, largest):
    values, indices = [], []
    best, where = None, 0
    for j, v in enumerate(x):
        if best is None or math.isnan(v) or (not math.isnan(best) and (v >= best if largest else v <= best)):
            best, where = v, j
        values.append(best)
        indices.append(where)
    return values, indices


@pytest.mark.parametrize("largest", [True, False])
def test_cummax_cummin_follow_the_tie_and_nan_rules(largest):
    x = np.array([1.0, 3.0, 3.0, 2.0, np.nan, 5.0, np.nan, 0.0])
    out = (torchless.cummax if largest else torchless.cummin)(tensor(x), 0)
    values, indices = cum_extremum_reference(x, largest)
    np.testing.assert_array_equal(out.values.numpy(), values)
    assert out.indices.tolist() == indices and out.indices.dtype == torchless.int64


def test_logcumsumexp_is_stable_and_differentiable():
    x = np.array([1000.0, 1000.0, -5.0, 3.0])
    expected = [1000.0, 1000.0 + math.log(2), 1000.0 + math.log(2), 1000.0 + math.log(2)]
    np.testing.assert_allclose(torchless.logcumsumexp(tensor(x), 0).numpy(), expected, rtol=1e-15)
    finite_difference_check(lambda t: t.logcumsumexp(1), [rng(8).normal(size=(2, 5))], rtol=1e-6, atol=1e-7)


def test_nansum_nanmean_values_and_gradients():
    x = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan]])
    assert torchless.nansum(tensor(x)).item() == 3.0
    assert torchless.nansum(tensor(x), 1).tolist() == [3.0, 0.0]
    means = torchless.nanmean(tensor(x), 1).numpy()
    assert means[0] == 1.5 and np.isnan(means[1])
    t = tensor(x, requires_grad=True)
    t.nansum().backward()
    assert t.grad.numpy().tolist() == [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]


def test_var_mean_std_mean_values():
    x = rng(9).normal(size=(4, 3))
    var, mean = torchless.var_mean(tensor(x), 0)
    np.testing.assert_allclose(var.numpy(), x.var(0, ddof=1), rtol=1e-13)
    np.testing.assert_allclose(mean.numpy(), x.mean(0), rtol=1e-13)
    std, mean = torchless.std_mean(tensor(x), dim=1, correction=0, keepdim=True)
    np.testing.assert_allclose(std.numpy(), x.std(1, keepdims=True), rtol=1e-13)
    finite_difference_check(lambda t: torchless.std_mean(t, 1)[0] * 2 + torchless.std_mean(t, 1)[1], [x])


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_numpy(interpolation):
    x = rng(10).normal(size=(5, 7))
    q = np.array([0.0, 0.1, 0.5, 0.83, 1.0])
    out = torchless.quantile(tensor(x), tensor(q), dim=1, interpolation=interpolation)
    np.testing.assert_allclose(out.numpy(), np.quantile(x, q, axis=1, method=interpolation), rtol=1e-13)
    whole = torchless.quantile(tensor(x), 0.3, interpolation=interpolation)
    assert whole.shape == () and whole.item() == pytest.approx(np.quantile(x, 0.3, method=interpolation), rel=1e-13)
    finite_difference_check(lambda t: t.quantile(0.37, dim=0, interpolation=interpolation), [x])


def test_nanquantile_ignores_nan_and_quantile_does_not():
    x = np.array([[1.0, np.nan, 3.0, 4.0], [np.nan] * 4])
    ours = torchless.nanquantile(tensor(x), 0.5, dim=1).numpy()
    assert ours[0] == 3.0 and np.isnan(ours[1])
    assert np.isnan(torchless.quantile(tensor(x), 0.5, dim=1).numpy()).all()


def test_aminmax_values_and_gradient():
    x = np.array([[3.0, 1.0, 3.0], [0.0, 2.0, -1.0]])
    low, high = torchless.aminmax(tensor(x))
    assert (low.item(), high.item()) == (-1.0, 3.0)
    out = tensor(x).aminmax(dim=1, keepdim=True)
    assert out.min.tolist() == [[1.0], [-1.0]] and out.max.tolist() == [[3.0], [2.0]]
    t = tensor(x, requires_grad=True)
    t.aminmax()[1].backward()
    assert t.grad.tolist() == [[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]]


REDUCTIONS = {
    "cumprod": lambda L, t: L.cumprod(t, 1),
    "cumprod_dtype": lambda L, t: t.cumprod(0, dtype=L.float64),
    "cummax": lambda L, t: L.cummax(t, 1)[0],
    "cummin": lambda L, t: t.cummin(0).values,
    "logcumsumexp": lambda L, t: L.logcumsumexp(t, -1),
    "nansum": lambda L, t: L.nansum(t),
    "nansum_dim": lambda L, t: t.nansum(1, keepdim=True),
    "nanmean": lambda L, t: L.nanmean(t, 0),
    "var_mean": lambda L, t: L.var_mean(t, 1)[0] + L.var_mean(t, 1)[1],
    "var_mean_grad_fn": lambda L, t: L.var_mean(t, 1, keepdim=True)[1],
    "std_mean": lambda L, t: L.std_mean(t, correction=0)[0],
    "std_mean_unbiased": lambda L, t: L.std_mean(t, 0, False)[1],
    "quantile": lambda L, t: L.quantile(t, 0.3),
    "quantile_dim": lambda L, t: t.quantile(L.tensor([0.25, 0.6], dtype=t.dtype), dim=1, keepdim=True),
    "nanquantile": lambda L, t: t.nanquantile(0.8, 0, interpolation="midpoint"),
    "aminmax_min": lambda L, t: L.aminmax(t)[0],
    "aminmax_max": lambda L, t: t.aminmax(dim=0).max,
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reductions_match_torch(name, dtype):
    torch = pytest.importorskip("torch")
    r = rng(11)
    x = r.normal(size=(3, 4)).astype(dtype)
    x[0, 1] = 0.0
    if name.startswith("nan"):
        x[1, 2] = np.nan
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else F64
    assert_matches_torch(REDUCTIONS[name](torchless, ours), REDUCTIONS[name](torch, theirs), [ours], [theirs], tol, r)


@pytest.mark.parametrize("values", [[1, 2, 0, 3], [True, False, True], [[2, 5], [1, 1]], 4])
@pytest.mark.parametrize("name", ["cumprod", "cummax", "cummin", "nansum", "aminmax"])
def test_integer_scans_and_reductions_match_torch(name, values):
    torch = pytest.importorskip("torch")

    def run(L):
        t = L.tensor(values)
        out = getattr(t, name)(0) if name.startswith("cum") else getattr(t, name)()
        return list(out) if isinstance(out, tuple) else [out]

    for ours, theirs in zip(run(torchless), run(torch)):
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
        assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("call", [
    lambda L: L.tensor([1, 2]).logcumsumexp(0),
    lambda L: L.tensor([1, 2]).nanmean(),
    lambda L: L.var_mean(L.tensor([1, 2])),
    lambda L: L.std_mean(L.tensor([1, 2])),
    lambda L: L.ones(2, 3).cumprod(2),
    lambda L: L.tensor([1, 2]).quantile(0.5),
    lambda L: L.ones(3).quantile(1.5),
    lambda L: L.ones(3).quantile(L.tensor([[0.5]])),
    lambda L: L.ones(3).quantile(L.tensor([0.5], dtype=L.float64)),
    lambda L: L.ones(3).quantile(L.tensor([-0.5, 0.5])),
    lambda L: L.empty(0).quantile(0.5),
    lambda L: L.ones(3).nanquantile(0.5, interpolation="cubic"),
    lambda L: L.empty(0).aminmax(),
    lambda L: L.empty(0, 3).aminmax(dim=0),
])
def test_reduction_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


# ---------------------------------------------------------------------------- indexing
def test_index_add_copy_fill_match_numpy():
    x = rng(12).normal(size=(3, 4))
    src = rng(13).normal(size=(3, 3))
    idx = np.array([2, 0, 2])
    expected = x.copy()
    for k, i in enumerate(idx):
        expected[:, i] += 2.5 * src[:, k]
    np.testing.assert_allclose(tensor(x).index_add(1, tensor(idx), tensor(src), alpha=2.5).numpy(), expected)
    copy_idx = np.array([3, 0, 1])
    expected = x.copy()
    expected[:, copy_idx] = src
    np.testing.assert_array_equal(torchless.index_copy(tensor(x), 1, tensor(copy_idx), tensor(src)).numpy(), expected)
    expected = x.copy()
    expected[[0, 2]] = -7.0
    np.testing.assert_array_equal(tensor(x).index_fill(0, tensor([0, 2]), -7.0).numpy(), expected)


def test_masked_scatter_and_take_along_dim_match_numpy():
    x = np.zeros((2, 3))
    mask = np.array([[True, False, True], [False, True, True]])
    src = np.arange(10.0).reshape(2, 5)
    expected = x.copy()
    expected[mask] = src.reshape(-1)[:mask.sum()]
    np.testing.assert_array_equal(tensor(x).masked_scatter(tensor(mask), tensor(src)).numpy(), expected)
    y = rng(14).normal(size=(3, 4))
    order = np.argsort(y, axis=1)
    np.testing.assert_array_equal(torchless.take_along_dim(tensor(y), tensor(order), 1).numpy(),
                                  np.take_along_axis(y, order, 1))
    np.testing.assert_array_equal(tensor(y).take_along_dim(tensor(np.array([5, 0]))).numpy(), y.reshape(-1)[[5, 0]])


INDEX_OPS = {
    "index_add": lambda L, t, s: t.index_add(1, L.tensor([2, 0, 2]), s, alpha=-1.5),
    "index_add_fn": lambda L, t, s: L.index_add(t, 0, L.tensor([1]), L.cat([s[:1], s[:1, :1]], 1)),
    "index_copy": lambda L, t, s: t.index_copy(1, L.tensor([3, 0, 1]), s),
    "index_fill": lambda L, t, s: t.index_fill(1, L.tensor([1, 3, 1]), 2.5),
    "index_fill_tensor": lambda L, t, s: t.index_fill(0, L.tensor([0, 2, 0]), s[1, 1]),
    "masked_scatter": lambda L, t, s: t.masked_scatter(L.tensor([True, False, True, True]), s),
    "take_along_dim": lambda L, t, s: L.take_along_dim(t, L.tensor([[0, 3, 3]]), 1),
    "take_along_dim_flat": lambda L, t, s: t.take_along_dim(L.tensor([0, 5, 5])),
}


SOURCELESS = ("index_fill", "take_along_dim", "take_along_dim_flat")  # ops that do not read s


@pytest.mark.parametrize("name", sorted(INDEX_OPS))
def test_index_ops_match_torch(name):
    torch = pytest.importorskip("torch")
    r = rng(15)
    x, s = r.normal(size=(3, 4)), r.normal(size=(3, 3))
    grads = name not in SOURCELESS
    ours = [tensor(x, requires_grad=True), tensor(s, requires_grad=grads)]
    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(s, requires_grad=grads)]
    assert_matches_torch(INDEX_OPS[name](torchless, *ours), INDEX_OPS[name](torch, *theirs), ours, theirs, F64, r)


@pytest.mark.parametrize("name", sorted(INDEX_OPS))
def test_index_ops_gradients_match_central_differences(name):
    r = rng(16)
    x, s = r.normal(size=(3, 4)), r.normal(size=(3, 3))
    if name in SOURCELESS:
        finite_difference_check(lambda t: INDEX_OPS[name](torchless, t, tensor(s)), [x])
    else:
        finite_difference_check(lambda t, u: INDEX_OPS[name](torchless, t, u), [x, s])


def test_index_inplace_forms_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = torchless.zeros(3, 4), torch.zeros(3, 4)
    ours.index_add_(0, torchless.tensor([1, 1]), torchless.ones(2, 4))
    theirs.index_add_(0, torch.tensor([1, 1]), torch.ones(2, 4))
    ours.index_fill_(1, torchless.tensor([0]), 5)
    theirs.index_fill_(1, torch.tensor([0]), 5)
    ours.index_copy_(0, torchless.tensor([2]), torchless.full((1, 4), 3.0))
    theirs.index_copy_(0, torch.tensor([2]), torch.full((1, 4), 3.0))
    ours.masked_scatter_(ours > 2, torchless.arange(12.0))
    theirs.masked_scatter_(theirs > 2, torch.arange(12.0))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("call", [
    lambda L: L.zeros(3, 4).index_add(1, L.tensor([0, 5]), L.ones(3, 2)),
    lambda L: L.zeros(3, 4).index_add(1, L.tensor([0.0, 1.0]), L.ones(3, 2)),
    lambda L: L.zeros(3, 4).index_add(1, L.tensor([[0, 1]]), L.ones(3, 2)),
    lambda L: L.zeros(3, 4).index_add(1, L.tensor([0, 2]), L.ones(3, 3)),
    lambda L: L.zeros(3, 4).index_add(1, L.tensor([0, 2]), L.ones(2, 2)),
    lambda L: L.zeros(3, 4).index_add(1, L.tensor([0, 2]), L.ones(3, 2, dtype=L.float64)),
    lambda L: L.zeros(3, 4).index_add(2, L.tensor([0, 2]), L.ones(3, 2)),
    lambda L: L.zeros(3, 4).index_copy(1, L.tensor([0, 5]), L.ones(3, 2)),
    lambda L: L.zeros(3, 4).index_copy(1, L.tensor([0, 2]), L.ones(3, 2, dtype=L.float64)),
    lambda L: L.zeros(3, 4).index_copy(1, L.tensor([0, 2]), L.ones(3, 3)),
    lambda L: L.zeros(3, 4).index_copy(1, L.tensor([0, 2], dtype=L.int32), L.ones(3, 2)),
    lambda L: L.zeros(3, 4).index_fill(1, L.tensor([0, 5]), 1.0),
    lambda L: L.zeros(3, 4).index_fill(1, L.tensor([0, 2], dtype=L.int32), 1.0),
    lambda L: L.zeros(3, 4).index_fill(1, L.tensor([0, 2]), L.tensor([1.0])),
    lambda L: L.zeros(3, 4).masked_scatter(L.ones(3, 4, dtype=L.bool), L.ones(5)),
    lambda L: L.zeros(3, 4).masked_scatter(L.ones(3, 4), L.ones(12)),
    lambda L: L.zeros(3, 4).masked_scatter(L.ones(3, 4, dtype=L.bool), L.ones(12, dtype=L.float64)),
    lambda L: L.zeros(3, 4).take_along_dim(L.tensor([1]), 0),
    lambda L: L.zeros(3, 4).take_along_dim(L.tensor([[0]], dtype=L.int32), 1),
    lambda L: L.zeros(3, 4).take_along_dim(L.tensor([[0, 1]] * 2), 1),
])
def test_index_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


# ---------------------------------------------------------------------------- the API surface
def test_every_added_op_has_torchs_function_method_and_inplace_forms():
    torch = pytest.importorskip("torch")
    names = ("erf erfc erfinv tan asin acos atan sinh cosh asinh acosh atanh arcsin arccos arctan arcsinh arccosh "
             "arctanh deg2rad rad2deg sinc logit xlogy sgn signbit atan2 arctan2 hypot logaddexp logaddexp2 copysign "
             "fmax fmin addmm addmv addr addbmm baddbmm addcmul addcdiv cumprod cummax cummin logcumsumexp std_mean "
             "var_mean quantile nanquantile nanmean nansum aminmax index_add index_fill index_copy masked_scatter "
             "take_along_dim").split()
    for name in names:
        for form in (name, name + "_"):
            assert hasattr(torchless, form) == hasattr(torch, form), form
            assert hasattr(torchless.Tensor, form) == hasattr(torch.Tensor, form), form


def neutral(result):
    if isinstance(result, tuple):
        return [neutral(r) for r in result]
    return (str(result.dtype).split(".")[-1], tuple(result.shape), np.asarray(result.detach()).tolist(),
            result.grad_fn.name() if result.grad_fn is not None else None)


@pytest.mark.parametrize("call", [
    lambda L: L.tensor(2.0, requires_grad=True).cumprod(0),
    lambda L: L.tensor(2.0).cummax(0),
    lambda L: L.tensor(2.0, requires_grad=True).logcumsumexp(-1),
    lambda L: L.empty(0, 3).cumprod(0),
    lambda L: L.empty(0, 3).cummin(0),
    lambda L: L.empty(2, 0).cummax(1),
    lambda L: L.empty(0, 3).logcumsumexp(1),
    lambda L: L.tensor(3.0).quantile(0.5),
    lambda L: L.tensor(3.0, requires_grad=True).quantile(0.5, dim=0),
    lambda L: L.ones(2, 3).quantile(0.5, keepdim=True),
    lambda L: L.tensor(2.0).nansum(),
    lambda L: L.empty(0).nansum(),
    lambda L: L.tensor(2.0, requires_grad=True).aminmax(),
    lambda L: L.tensor(1.0, requires_grad=True).index_add(0, L.tensor([0]), L.tensor(2.0)),
    lambda L: L.tensor(1.0).index_fill(0, L.tensor([0]), 3),
    lambda L: L.tensor(1.0).index_copy(0, L.tensor([0]), L.tensor(2.0)),
    lambda L: L.erf(L.tensor(0.5, requires_grad=True)),
    lambda L: L.empty(0).erfinv(),
    lambda L: L.tensor([1.0, 2.0]).xlogy(L.tensor(3)),
    lambda L: L.tensor([1, 2]).xlogy(2),
    lambda L: L.tensor([1, 2]).copysign(-1),
    lambda L: L.tensor([True]).copysign(L.tensor([-1])),
    lambda L: L.tensor([1, 2], dtype=L.int32).fmin(L.tensor([3])),
    lambda L: L.var_mean(L.ones(2, 3), [0, 1]),
    lambda L: L.tensor([-0.0, -2.0, 3.0]).sgn(),
    lambda L: L.ones(2, 3).baddbmm(L.ones(1, 2, 4), L.ones(1, 4, 3)),
    lambda L: L.ones(3).addmm(L.ones(2, 4), L.ones(4, 3), beta=0.5),
    lambda L: L.cumprod(L.tensor([1, 2, 3], dtype=L.int32), 0),
    lambda L: L.tensor([1.0, 2.0]).cumprod(0, dtype=L.float64),
    lambda L: L.tensor([[1.0, 5.0], [3.0, 2.0]]).cummin(1),
    lambda L: L.tensor([1.0, 2.0]).logaddexp(L.tensor([float("-inf"), float("inf")])),
    lambda L: L.ones(3).masked_scatter(L.tensor(True), L.arange(5.0)),
])
def test_zero_dim_empty_and_mixed_inputs_match_torch(call):
    torch = pytest.importorskip("torch")
    assert neutral(call(torchless)) == neutral(call(torch))
