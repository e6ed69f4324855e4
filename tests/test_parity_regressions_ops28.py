"""Parity regressions of session 28's elementwise-math fuzz (ldexp, erfinv, logit, round, out= dtype checks)."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _to_torchless(t):
    return torchless.tensor(t.detach().numpy(), requires_grad=t.requires_grad)


def _raises_as_torch(torch_call, torchless_call):
    with pytest.raises(Exception) as expected:
        torch_call()
    with pytest.raises(type(expected.value)) as got:
        torchless_call()
    assert str(got.value).replace("torchless", "torch") == str(expected.value)


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
    _raises_as_torch(lambda: getattr(torch, op)(x, out=torch.empty(0)),
                     lambda: getattr(torchless, op)(_to_torchless(x), out=torchless.empty(0)))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16", "float64", "complex64"])
def test_nan_to_num_out_of_another_dtype(dtype):
    x = torch.tensor([1.0, 0.0, 2.0]).to(getattr(torch, dtype))
    _raises_as_torch(lambda: torch.nan_to_num(x, out=torch.empty(0)),
                     lambda: torchless.nan_to_num(_to_torchless(x), out=torchless.empty(0)))


@pytest.mark.parametrize("op, dtype", [
    ("abs", "bool"), ("floor", "bool"), ("ceil", "bool"), ("trunc", "bool"), ("fix", "bool"), ("round", "bool"),
    ("round", "complex64"), ("frac", "int64"), ("frac", "uint8"), ("frac", "bool"), ("frac", "complex64"),
    ("frac", "float64"), ("bitwise_not", "float16"), ("bitwise_not", "float64"), ("bitwise_not", "complex64"),
    ("abs", "int64"), ("floor", "complex64"), ("trunc", "complex64"), ("neg", "bool")])
def test_same_dtype_unary_ops_check_out_before_their_kernel(op, dtype):
    x = torch.tensor([1.0, 0.0, 2.0]).to(getattr(torch, dtype))
    _raises_as_torch(lambda: getattr(torch, op)(x, out=torch.empty(0)),
                     lambda: getattr(torchless, op)(_to_torchless(x), out=torchless.empty(0)))


def test_abs_of_complex_into_a_float_out():
    x = torch.tensor([3 + 4j, -1j], dtype=torch.complex64)
    out = torchless.empty(0)
    torchless.abs(_to_torchless(x), out=out)
    np.testing.assert_allclose(out.numpy(), torch.abs(x).numpy())
