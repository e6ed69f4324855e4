"""Parity regressions of session 28's elementwise-math fuzz (ldexp, erfinv, logit, round, out= dtype checks)."""
import numpy as np
import pytest

import torchless
from helpers import assert_raises_as_torch

torch = pytest.importorskip("torch")


def _to_torchless(t):
    return torchless.tensor(t.detach().numpy(), requires_grad=t.requires_grad)


@pytest.mark.parametrize("input_dtype, exponent_dtype", [
    ("float32", "float16"), ("float64", "float32"), ("float64", "float16"), ("float16", "int16"),
    ("int32", "float16"), ("float32", "float64"), ("int64", "bool"), ("int16", "int8")])
def test_ldexp_rounds_the_power_of_two_in_the_exponents_dtype(input_dtype, exponent_dtype):
    # PyTorch multiplies by pow(2.0, other): a float exponent's power is rounded in its own dtype first
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(64, generator=gen, dtype=torch.float64) * 3).to(getattr(torch, input_dtype))
    e = (torch.randn(64, generator=gen, dtype=torch.float64) * 3).to(getattr(torch, exponent_dtype))
    expected = torch.ldexp(x, e)
    got = torchless.ldexp(_to_torchless(x), _to_torchless(e))
    assert str(got.dtype) == str(expected.dtype).replace("torch", "torchless")
    # (exact but for the last bit of pow in float32 or float64, which is SLEEF's or libm's)
    rtol = float(torch.finfo(e.dtype).eps) if e.dtype in (torch.float32, torch.float64) else 0
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=rtol)


def test_ldexp_gradients_match_torch():
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    e = torch.randn(6, dtype=torch.float32, requires_grad=True)
    torch.ldexp(x, e).sum().backward()
    tx, te = _to_torchless(x), _to_torchless(e)
    torchless.ldexp(tx, te).sum().backward()
    np.testing.assert_allclose(tx.grad.numpy(), x.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(te.grad.numpy(), e.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("value", [1.0, -1.0, 0.3, -0.9999999, 2.0])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_erfinv_of_a_zero_dim_tensor(value, dtype):
    x = torch.tensor(value).to(getattr(torch, dtype))
    expected = torch.erfinv(x)
    got = torchless.erfinv(_to_torchless(x))
    assert got.shape == () and str(got.dtype) == str(expected.dtype).replace("torch", "torchless")
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, equal_nan=True)


_LOGIT_POINTS = [float("nan"), float("inf"), -float("inf"), -0.0, 0.0, 1.0, 0.3, 0.45, 0.55, 0.7, 2.0, -1.0, 1.05]


@pytest.mark.parametrize("eps", [None, -0.1, 0.0, 0.2, 0.5, 0.6, 1.5])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_logit_clamp_and_gradient_for_every_eps(eps, dtype):
    # an eps above 1/2 sends x to one end or the other (PyTorch's ternary clamp), a negative one is no eps, and
    # the gradient at 0 and 1 is grad * inf
    x = torch.tensor(_LOGIT_POINTS, dtype=getattr(torch, dtype), requires_grad=True)
    grad = torch.linspace(-1, 1, len(_LOGIT_POINTS), dtype=x.dtype)
    expected = torch.logit(x, eps)
    expected.backward(grad)
    tx = _to_torchless(x)
    got = torchless.logit(tx, eps)
    got.backward(_to_torchless(grad))
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-3, equal_nan=True)
    np.testing.assert_allclose(tx.grad.numpy(), x.grad.numpy(), rtol=1e-3, equal_nan=True)


@pytest.mark.parametrize("decimals", [-2, -1, 1, 2, 3, 5])
def test_round_decimals_of_half_scales_in_float32(decimals):
    gen = torch.Generator().manual_seed(1)
    x = (torch.randn(4096, generator=gen) * torch.rand(4096, generator=gen) * 1000).half()
    expected = torch.round(x, decimals=decimals)
    got = torchless.round(_to_torchless(x), decimals=decimals)
    assert got.dtype == torchless.float16
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_round_decimals_of_half_against_a_float32_reference():
    x = np.array([-6.09375, 1.005, 2.675, 0.125], np.float16)
    reference = (np.rint(x.astype(np.float32) * np.float32(100)) / np.float32(100)).astype(np.float16)
    np.testing.assert_array_equal(torchless.round(torchless.tensor(x), decimals=2).numpy(), reference)


@pytest.mark.parametrize("op", ["signbit", "isposinf", "isneginf"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_boolean_predicates_refuse_a_non_boolean_out(op, dtype):
    x = torch.tensor([1.0, -2.0, float("inf")]).to(getattr(torch, dtype))
    assert_raises_as_torch(lambda: getattr(torch, op)(x, out=torch.empty(0)),
                     lambda: getattr(torchless, op)(_to_torchless(x), out=torchless.empty(0)))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16", "float64", "complex64"])
def test_nan_to_num_out_of_another_dtype(dtype):
    x = torch.tensor([1.0, 0.0, 2.0]).to(getattr(torch, dtype))
    assert_raises_as_torch(lambda: torch.nan_to_num(x, out=torch.empty(0)),
                     lambda: torchless.nan_to_num(_to_torchless(x), out=torchless.empty(0)))


@pytest.mark.parametrize("op, dtype", [
    ("abs", "bool"), ("floor", "bool"), ("ceil", "bool"), ("trunc", "bool"), ("fix", "bool"), ("round", "bool"),
    ("round", "complex64"), ("frac", "int64"), ("frac", "uint8"), ("frac", "bool"), ("frac", "complex64"),
    ("frac", "float64"), ("bitwise_not", "float16"), ("bitwise_not", "float64"), ("bitwise_not", "complex64"),
    ("abs", "int64"), ("floor", "complex64"), ("trunc", "complex64"), ("neg", "bool")])
def test_same_dtype_unary_ops_check_out_before_their_kernel(op, dtype):
    x = torch.tensor([1.0, 0.0, 2.0]).to(getattr(torch, dtype))
    assert_raises_as_torch(lambda: getattr(torch, op)(x, out=torch.empty(0)),
                     lambda: getattr(torchless, op)(_to_torchless(x), out=torchless.empty(0)))


def test_abs_of_complex_into_a_float_out():
    x = torch.tensor([3 + 4j, -1j], dtype=torch.complex64)
    out = torchless.empty(0)
    torchless.abs(_to_torchless(x), out=out)
    np.testing.assert_allclose(out.numpy(), torch.abs(x).numpy())


@pytest.mark.parametrize("input_dtype, exponent_dtype", [
    ("float32", "int64"), ("float16", "int32"), ("float64", "int16"), ("float64", "int64")])
def test_ldexp_of_an_integer_exponent_is_exact(input_dtype, exponent_dtype):
    # std::ldexp: x * 2^n rounded once, even where 2^n alone would overflow or underflow the input's dtype
    x = torch.tensor([0.5, 3.0, 0.0, -1.25, 1e-3, 7.0, 1.5, -2.5]).to(getattr(torch, input_dtype))
    n = torch.tensor([128, -149, 5000, 300, -30, -1080, 1100, 15]).to(getattr(torch, exponent_dtype))
    expected = torch.ldexp(x, n)
    got = torchless.ldexp(_to_torchless(x), _to_torchless(n))
    assert str(got.dtype) == str(expected.dtype).replace("torch", "torchless")
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    with np.errstate(over="ignore"):
        reference = np.ldexp(x.numpy(), np.clip(n.numpy(), -3000, 3000).astype(np.int32))
    np.testing.assert_array_equal(got.numpy(), reference)


def test_ldexp_beside_a_zero_dim_exponent_powers_in_the_promoted_dtype():
    # a float64 or half input's 2 is a 0-d tensor of its dtype: beside a 0-d exponent, pow promotes the two
    x = torch.tensor([1.5, -0.3, 7.0], dtype=torch.float64)
    for exponent in (torch.tensor(0.75, dtype=torch.float16), torch.tensor(-1.3)):
        expected = torch.ldexp(x, exponent)
        got = torchless.ldexp(_to_torchless(x), _to_torchless(exponent))
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-15)
        np.testing.assert_allclose(got.numpy(), x.numpy() * 2.0 ** float(exponent), rtol=1e-15)


def test_ldexp_into_an_integer_out():
    assert_raises_as_torch(lambda: torch.ldexp(torch.ones(3), torch.tensor([1, 2, 3]), out=torch.empty(0, dtype=torch.long)),
                     lambda: torchless.ldexp(torchless.ones(3), torchless.tensor([1, 2, 3]),
                                             out=torchless.empty(0, dtype=torchless.long)))


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_atan2_is_rounded_once_from_float64(dtype):
    gen = torch.Generator().manual_seed(2)
    y = (torch.randn(2000, generator=gen) * 10).to(getattr(torch, dtype))
    x = torch.randn(2000, generator=gen).to(getattr(torch, dtype))
    got = torchless.atan2(_to_torchless(y), _to_torchless(x)).numpy()
    reference = np.arctan2(y.numpy().astype(np.float64), x.numpy().astype(np.float64)).astype(got.dtype)
    if dtype == "float32":  # PyTorch's bit for bit: SLEEF's atan2f in its vectors, libm's in its scalar tail
        np.testing.assert_array_equal(got, torch.atan2(y, x).numpy())
    else:
        np.testing.assert_array_equal(got, reference)
    # PyTorch's own kernel is within an ulp of that, and equal to it almost everywhere
    np.testing.assert_allclose(got, torch.atan2(y, x).numpy(), rtol=2e-3 if dtype == "float16" else 2e-7)
    assert np.mean(got != torch.atan2(y, x).numpy()) < 0.05
    one = torchless.tensor([1.0], dtype=getattr(torchless, dtype))
    assert torchless.atan2(one, one).numpy()[0] == torch.atan2(torch.ones(1), torch.ones(1)).to(y.dtype).item()


@pytest.mark.parametrize("shape, dim", [((2, 0), 0), ((0, 3), 1)])
def test_mode_of_an_empty_complex_result(shape, dim):
    x = torch.zeros(shape, dtype=torch.complex64)
    values, indices = torch.mode(x, dim)
    got = torchless.mode(_to_torchless(x), dim)
    assert got.values.shape == values.shape and got.indices.shape == indices.shape
    assert got.values.dtype == torchless.complex64 and got.indices.dtype == torchless.int64


def test_mode_of_a_nonempty_complex_tensor_is_still_refused():
    x = torch.ones(2, 3, dtype=torch.complex64)
    assert_raises_as_torch(lambda: torch.mode(x, 1), lambda: torchless.mode(_to_torchless(x), 1))


_PROMOTED_CAST_CASES = [
    ("remainder", "int64", "int64", "bool", True), ("floor_divide", "int64", "int64", "bool", True),
    ("floor_divide", "int32", "int64", "float32", True), ("fmod", "int64", "int64", "bool", True),
    ("remainder", "complex64", "float32", "float32", False), ("fmod", "complex64", "float32", "int64", False),
    ("floor_divide", "complex64", "float32", "float64", False), ("bitwise_or", "float32", "float32", "bool", False),
    ("bitwise_and", "float64", "int64", "int64", False), ("bitwise_xor", "float16", "int64", "bool", False),
    ("bitwise_left_shift", "float32", "int64", "int64", False), ("atan2", "complex64", "float32", "float32", False),
    ("atan2", "int64", "int64", "bool", False), ("atan2", "int64", "int64", "int64", False),
    ("bitwise_or", "float32", "float32", "float32", False), ("add", "float32", "float32", "int64", False)]


@pytest.mark.parametrize("op, a_dtype, b_dtype, out_dtype, zero_divisor", _PROMOTED_CAST_CASES)
def test_binary_out_checks_the_promoted_cast_before_the_kernel(op, a_dtype, b_dtype, out_dtype, zero_divisor):
    a = torch.tensor([1, 2, 3]).to(getattr(torch, a_dtype))
    b = (torch.zeros(3) if zero_divisor else torch.tensor([3, 1, 2])).to(getattr(torch, b_dtype))
    assert_raises_as_torch(lambda: getattr(torch, op)(a, b, out=torch.empty(0, dtype=getattr(torch, out_dtype))),
                     lambda: getattr(torchless, op)(_to_torchless(a), _to_torchless(b),
                                                    out=torchless.empty(0, dtype=getattr(torchless, out_dtype))))


@pytest.mark.parametrize("rounding_mode", ["floor", "trunc"])
def test_div_rounding_out_checks_the_cast_before_the_zero_divisor(rounding_mode):
    a = torch.tensor([1, 2, 3])
    assert_raises_as_torch(lambda: torch.div(a, 0, rounding_mode=rounding_mode, out=torch.empty(0, dtype=torch.bool)),
                     lambda: torchless.div(_to_torchless(a), 0, rounding_mode=rounding_mode,
                                           out=torchless.empty(0, dtype=torchless.bool)))


def test_binary_out_broadcasting_error_comes_before_the_cast():
    assert_raises_as_torch(lambda: torch.remainder(torch.ones(2), torch.ones(3), out=torch.empty(0, dtype=torch.long)),
                     lambda: torchless.remainder(torchless.ones(2), torchless.ones(3),
                                                 out=torchless.empty(0, dtype=torchless.long)))


_HALF_SCALAR_OPS = {
    "mul": lambda L, x, s: x * s, "div": lambda L, x, s: x / s, "torch.mul": lambda L, x, s: L.mul(x, s),
    "mul_": lambda L, x, s: x.clone().mul_(s), "div_": lambda L, x, s: x.clone().div_(s),
    "floor": lambda L, x, s: L.div(x, s, rounding_mode="floor"), "trunc": lambda L, x, s: L.div(x, s, rounding_mode="trunc"),
    "floor_divide": lambda L, x, s: L.floor_divide(x, s), "//": lambda L, x, s: x // s,
    "scalar first": lambda L, x, s: s * x}


@pytest.mark.parametrize("op", list(_HALF_SCALAR_OPS))
@pytest.mark.parametrize("scalar", [0.1, 1.2311444133449163, -3.7,
                                    ("float64", 0.1), ("float32", 1.2311444133449163), ("float16", 0.1),
                                    ("int64", 7), ("float64", -2.5)])
def test_float16_times_a_scalar_computes_in_float32(op, scalar):
    # PyTorch's float16 mul/div kernels read a CPU scalar (a Python number, or a 0-d tensor as second operand) at
    # its own value, in float32, and round the result once
    gen = torch.Generator().manual_seed(3)
    x = (torch.randn(4000, generator=gen) * 3).half()
    x[:3] = torch.tensor([0.0, -0.0, float("inf")])
    if isinstance(scalar, tuple):
        theirs = torch.tensor(scalar[1], dtype=getattr(torch, scalar[0]))
        ours = _to_torchless(theirs)
    else:
        theirs = ours = scalar
    fn = _HALF_SCALAR_OPS[op]
    expected = fn(torch, x, theirs)
    got = fn(torchless, _to_torchless(x), ours)
    assert str(got.dtype) == str(expected.dtype).replace("torch", "torchless")
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_float16_times_a_zero_dim_double_against_a_float32_reference():
    x = np.array([3.0, 0.5, 6.09375, -1.5], np.float16)
    expected = (x.astype(np.float32) * np.float32(1.2311444133449163)).astype(np.float16)
    got = torchless.tensor(x) * torchless.tensor(1.2311444133449163, dtype=torchless.float64)
    np.testing.assert_array_equal(got.numpy(), expected)


def test_float16_times_a_zero_dim_double_keeps_the_gradient():
    x = torch.tensor([3.0, 0.5, -1.5], dtype=torch.float16, requires_grad=True)
    s = torch.tensor(0.1, dtype=torch.float64)
    (x * s).sum().backward()
    tx = _to_torchless(x)
    (tx * _to_torchless(s)).sum().backward()
    np.testing.assert_array_equal(tx.grad.numpy(), x.grad.numpy())


@pytest.mark.parametrize("op", ["digamma", "erf", "erfc", "erfinv", "i0", "lgamma", "logit"])
def test_real_only_unary_ops_check_a_complex_cast_before_their_kernel(op):
    x = torch.tensor([0.5 + 0.5j, 0.2 - 0.1j], dtype=torch.complex64)
    assert_raises_as_torch(lambda: getattr(torch, op)(x, out=torch.empty(0)),
                     lambda: getattr(torchless, op)(_to_torchless(x), out=torchless.empty(0)))
    assert_raises_as_torch(lambda: getattr(torch, op)(x, out=torch.empty(0, dtype=torch.complex64)),
                     lambda: getattr(torchless, op)(_to_torchless(x), out=torchless.empty(0, dtype=torchless.complex64)))


@pytest.mark.parametrize("norm", [
    lambda L, t: t.norm(p=1, dim=1), lambda L, t: L.linalg.vector_norm(t, 1),
    lambda L, t: L.linalg.vector_norm(t, float("inf"), dim=1), lambda L, t: L.linalg.vector_norm(t, -float("inf"))])
def test_vector_norm_gradient_at_nan_is_sgn_of_nan(norm):
    # PyTorch's norm_backward multiplies by sgn(x), 0 at NaN (NumPy's sign is NaN there)
    x = torch.tensor([[1.0, -3.0, 3.0], [float("nan"), 1.0, -5.0]], dtype=torch.float64, requires_grad=True)
    norm(torch, x).sum().backward()
    tx = _to_torchless(x)
    norm(torchless, tx).sum().backward()
    np.testing.assert_array_equal(tx.grad.numpy(), x.grad.numpy())
    assert not np.isnan(tx.grad.numpy()[1, 0])
