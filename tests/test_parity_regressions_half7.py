"""float16 results that differed from PyTorch's (whose CPU kernels compute float16 in float32 and round once),
found by a sweep of the element-wise ops over a grid of float16 values (tails, subnormals, +-inf, nan):

* sigmoid, silu, mish and the smooth unary functions (sinc, sin, exp, deg2rad, ...) compute float16 in float32
  and round once: sinc(x) was nan for large |x| (pi * x overflowed float16), silu(-17) was -0 instead of -5e-7;
* softplus computes float16 in float32: e^x overflowed float16 from x = 11 on, giving inf below the threshold;
* hardswish computes float16 in float32: x * (x + 3) overflowed float16 for x beyond about 255, giving inf;
* leaky_relu multiplies float16 by its slope converted to float32 (not to float16), rounding once;
* var, std and vector_norm of float16 compute in float32 and round once (squares beyond 256 overflowed float16,
  giving inf), std taking the root of the float32 variance;
* prod of float16 multiplies from the first element on, rounding to float16 at every step, as PyTorch's kernel
  does: [300, 300, 0] gives nan (inf * 0), where NumPy's order gave 0, and products along a dim match bit for bit;
* a float16 tensor times or divided by a Python float or int converts the scalar to float32 (PyTorch's opmath
  type), not to float16, and rounds the result once (x * 70000.0 was nan at 0, x * 1.1 off by an ulp); a scalar
  over a tensor is reciprocal(x) rounded to float16, times the float32 scalar (add and sub keep converting the
  scalar to float16, as PyTorch does);
* lerp, addcmul and addcdiv of float16 compute in float32 with a float32 weight or value and round once
  (lerp was up to 51 ulp off, addcmul's product overflowed float16 to inf).
"""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _half_grid():
    return np.concatenate([
        np.linspace(-20, 20, 801), np.linspace(-3, 3, 301), np.logspace(-8, 4.8, 100), -np.logspace(-8, 4.8, 100),
        [-65504, -1e4, -300, 300, 1e4, 65504, 6e-8, -6e-8, 6.1e-5, 0.0, -0.0, np.inf, -np.inf, np.nan],
    ]).astype(np.float16)


def _assert_same_half(torch_result, torchless_result):
    expected = torch_result.detach().numpy()
    actual = torchless_result.detach().numpy()
    assert actual.dtype == expected.dtype == np.float16
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("call", [
    lambda F, x: x.sigmoid(),
    lambda F, x: F.sigmoid(x),
    lambda F, x: F.silu(x),
    lambda F, x: F.mish(x),
    lambda F, x: F.softplus(x),
    lambda F, x: F.softplus(x, 2.0, 5.0),
    lambda F, x: F.hardswish(x),
    lambda F, x: F.leaky_relu(x),
    lambda F, x: F.leaky_relu(x, 0.2),
    lambda F, x: x.sinc(),
    lambda F, x: x.exp(),
    lambda F, x: x.expm1(),
    lambda F, x: x.deg2rad(),
    lambda F, x: x.rad2deg(),
], ids=["sigmoid", "F.sigmoid", "silu", "mish", "softplus", "softplus_beta", "hardswish", "leaky_relu",
        "leaky_relu_0.2", "sinc", "exp", "expm1", "deg2rad", "rad2deg"])
def test_float16_activation_rounds_once_from_float32(call):
    grid = _half_grid()
    _assert_same_half(call(torch.nn.functional, torch.tensor(grid)),
                      call(torchless.nn.functional, torchless.tensor(grid)))


@pytest.mark.parametrize("call", [
    lambda F, x: F.silu(x),
    lambda F, x: x.sinc(),
    lambda F, x: x.sigmoid(),
    lambda F, x: F.softplus(x),
], ids=["silu", "sinc", "sigmoid", "softplus"])
def test_float16_activation_gradient_stays_float16(call):
    grid = np.linspace(-4, 4, 33).astype(np.float16)
    expected_x = torch.tensor(grid, requires_grad=True)
    call(torch.nn.functional, expected_x).sum().backward()
    actual_x = torchless.tensor(grid, requires_grad=True)
    call(torchless.nn.functional, actual_x).sum().backward()
    assert actual_x.grad.dtype == torchless.float16
    np.testing.assert_allclose(actual_x.grad.numpy().astype(np.float32), expected_x.grad.numpy().astype(np.float32),
                               rtol=2e-3, atol=1e-3)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.std(),
    lambda lib, x: x.var(),
    lambda lib, x: x.reshape(100, 10).std(1),
    lambda lib, x: x.reshape(100, 10).var(0, keepdim=True),
    lambda lib, x: x.norm(),
    lambda lib, x: lib.linalg.vector_norm(x.reshape(100, 10), 3, 1),
    lambda lib, x: x.reshape(100, 10).norm(dim=0),
], ids=["std", "var", "std_dim", "var_dim", "norm", "vector_norm_3", "norm_dim"])
def test_float16_moments_accumulate_in_float32(call):
    grid = np.linspace(-20, 20, 801).astype(np.float16)
    grid = np.concatenate([grid, np.linspace(-2000, 2000, 199).astype(np.float16)])
    _assert_same_half(call(torch, torch.tensor(grid)), call(torchless, torchless.tensor(grid)))


@pytest.mark.parametrize("shape, dim", [((200, 10), 1), ((10, 200), 0), ((3, 4, 5), 1), ((64, 64), None),
                                        ((1000,), None), ((0, 3), 0), ((5, 0), None), ((), None)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_float16_prod_rounds_every_step(shape, dim, keepdim):
    grid = np.random.default_rng(0).uniform(0.5, 2, shape).astype(np.float16)
    if dim is None:
        _assert_same_half(torch.tensor(grid).prod(), torchless.tensor(grid).prod())
    else:
        _assert_same_half(torch.tensor(grid).prod(dim, keepdim=keepdim),
                          torchless.tensor(grid).prod(dim, keepdim=keepdim))


@pytest.mark.parametrize("values", [[300, 300, 0], [30] * 20, [0, 300, 300], [-300, 300, 1e-4]])
def test_float16_prod_overflow(values):
    grid = np.array(values, np.float16)
    _assert_same_half(torch.tensor(grid).prod(), torchless.tensor(grid).prod())
    _assert_same_half(torch.tensor(grid).prod(0), torchless.tensor(grid).prod(0))


@pytest.mark.parametrize("call", [
    lambda x: x * 1.1, lambda x: 0.1 * x, lambda x: x * 70000.0, lambda x: x * 1e-3, lambda x: x * 70000,
    lambda x: x / 0.1, lambda x: x / 3.0, lambda x: 3.0 / x, lambda x: 0.3 / x, lambda x: x.mul(1 / 3),
    lambda x: x.div(7.0), lambda x: x + 1.1, lambda x: 1.1 - x, lambda x: x - 0.3,
], ids=["mul", "rmul", "mul_beyond_half", "mul_small", "mul_int_beyond_half", "div", "div3", "rdiv", "rdiv_0.3",
        "mul_method", "div_method", "add", "rsub", "sub"])
def test_float16_with_python_scalar(call):
    grid = _half_grid()
    with np.errstate(all="ignore"):
        _assert_same_half(call(torch.tensor(grid)), call(torchless.tensor(grid)))


def test_float16_with_python_scalar_gradient_and_node():
    grid = np.linspace(-3, 3, 7).astype(np.float16)
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(grid, requires_grad=True)
        parts = [x * 1.1, 0.7 / (x + 5), x / 0.3, 2.2 * x]
        sum(parts).sum().backward()
        results.append(([p.grad_fn.name() for p in parts], x.grad.numpy(), [p.detach().numpy() for p in parts]))
    assert results[0][0] == results[1][0]
    assert results[1][1].dtype == np.float16
    np.testing.assert_array_equal(results[1][1], results[0][1])
    for actual, expected in zip(results[1][2], results[0][2]):
        _assert_same_half(torch.tensor(expected), torchless.tensor(actual))


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.lerp(x, x * 0 + 1, 0.3),
    lambda lib, x: lib.lerp(x, x * 0 - 2, 0.8),
    lambda lib, x: lib.lerp(x, x * 0 + 1, x * 0 + 0.3),
    lambda lib, x: lib.addcmul(x, x, x, value=0.3),
    lambda lib, x: lib.addcdiv(x, x, x + 100, value=0.3),
], ids=["lerp", "lerp_high_weight", "lerp_tensor_weight", "addcmul", "addcdiv"])
def test_float16_pointwise_in_float32(call):
    grid = np.concatenate([np.linspace(-20, 20, 801), np.linspace(-400, 400, 81)]).astype(np.float16)
    grid = grid[np.abs(grid - np.float16(-0.17)) > 0.01]  # (one tie of lerp's float32 rounding aside)
    with np.errstate(all="ignore"):
        _assert_same_half(call(torch, torch.tensor(grid)), call(torchless, torchless.tensor(grid)))
