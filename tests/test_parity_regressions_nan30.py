"""Parity regressions found by fuzzing inf, NaN, overflow, underflow and signed zeros through elementwise ops,
activations, losses and matrix products against PyTorch (session 30, nan30): no NumPy floating-point warning
escapes under a user's 'error' filter, and PyTorch's signed zeros, NaNs and roundings where they differed."""
import textwrap

import numpy as np
import pytest

import torchless
from helpers import run_python

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")
# Values that overflow, cancel to NaN, divide by zero or sign a zero in one op or another, beside ordinary ones
SPECIALS = [INF, -INF, NAN, 0.0, -0.0, 1e38, -1e38, 1e-45, 1.0, -1.0, 2.5, -3.7, 100.0, 0.5]


def _both(fn, *arrays, requires_grad=False):
    """``fn(lib, *tensors)`` for PyTorch and torchless, on tensors of ``arrays``."""
    results = []
    for lib in (torch, torchless):
        tensors = [lib.tensor(a.copy(), requires_grad=requires_grad) for a in arrays]
        results.append((fn(lib, *tensors), tensors))
    return results


def _assert_identical(ours, theirs):
    """Bit-for-bit equality, NaNs in the same places and zeros of the same sign."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    nan = np.isnan(theirs)
    assert np.array_equal(np.isnan(ours), nan)
    assert np.array_equal(ours[~nan], theirs[~nan])
    assert np.array_equal(np.signbit(ours[~nan]), np.signbit(theirs[~nan]))


def _pairs(dtype):
    values = np.array(SPECIALS, dtype)
    return np.repeat(values, len(values)), np.tile(values, len(values))


# ---------------------------------------------------------------- NumPy's warnings under a user's 'error' filter

_SILENT_SCRIPT = """
import warnings
import numpy as np
import torch, torchless

INF, NAN = float("inf"), float("nan")
values = [INF, -INF, NAN, 0.0, -0.0, 1e38, -1e38, 1e-45, 1.0, -1.0, 2.5, 100.0]
cases = {
    "add": lambda T, a, b: a + b, "sub": lambda T, a, b: a - b, "mul": lambda T, a, b: a * b,
    "rsub": lambda T, a, b: 1e38 - a, "rmul": lambda T, a, b: 1e38 * a, "scalar mul": lambda T, a, b: a * 0.0,
    "iadd": lambda T, a, b: a.clone().add_(b), "imul": lambda T, a, b: a.clone().mul_(b),
    "pow": lambda T, a, b: a ** b, "exp2": lambda T, a, b: T.exp2(a), "expm1": lambda T, a, b: T.expm1(a),
    "logsumexp": lambda T, a, b: T.logsumexp(a.reshape(-1, 12), 1), "cumsum": lambda T, a, b: a.cumsum(0),
    "sum": lambda T, a, b: (a * b).sum(), "prod": lambda T, a, b: a.prod(), "norm": lambda T, a, b: a.norm(),
    "std": lambda T, a, b: a.reshape(-1, 12).std(1), "softmax": lambda T, a, b: a.reshape(-1, 12).softmax(1),
    "matmul": lambda T, a, b: a.reshape(-1, 12) @ b.reshape(12, -1), "dot": lambda T, a, b: T.dot(a, b),
    "outer": lambda T, a, b: T.outer(a[:12], b[:12]),
    "linear": lambda T, a, b: T.nn.functional.linear(a.reshape(-1, 12), b.reshape(-1, 12)),
    "conv2d": lambda T, a, b: T.nn.functional.conv2d(a.reshape(1, 1, 12, -1), b[:9].reshape(1, 1, 3, 3)),
    "avg_pool2d": lambda T, a, b: T.nn.functional.avg_pool2d(a.reshape(1, 1, 12, -1), 2),
    "hardswish": lambda T, a, b: T.nn.functional.hardswish(a),
    "normalize": lambda T, a, b: T.nn.functional.normalize(a.reshape(-1, 12)),
    "pairwise_distance": lambda T, a, b: T.nn.functional.pairwise_distance(a.reshape(-1, 12), b.reshape(-1, 12)),
    "isclose": lambda T, a, b: T.isclose(a, b), "allclose": lambda T, a, b: T.tensor(a.allclose(b)),
    "round decimals": lambda T, a, b: a.round(decimals=3),
    "batch_norm": lambda T, a, b: T.nn.functional.batch_norm(a.reshape(12, -1), None, None, training=True),
}
for dtype in ("float32", "float64"):
    a = np.repeat(np.array(values, dtype), len(values))
    b = np.tile(np.array(values, dtype), len(values))
    for name, case in cases.items():
        expected = case(torch, torch.tensor(a), torch.tensor(b)).numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                x, y = torchless.tensor(a, requires_grad=True), torchless.tensor(b, requires_grad=True)
                out = case(torchless, x, y)
                if out.requires_grad:
                    out.sum().backward()
                out = out.detach().numpy()
            except RuntimeWarning as warning:
                print(name, dtype, "raised", warning)
                continue
        if not (np.array_equal(np.isnan(out), np.isnan(expected))
                and np.allclose(out, expected, rtol=1e-5, atol=0, equal_nan=True)):
            print(name, dtype, "differs")
"""


def test_no_numpy_floating_point_warning_escapes_under_an_error_filter():
    """inf, NaN and overflow pass silently through forward and backward under warnings.simplefilter('error'),
    with PyTorch's values (pytest resets torchless's own filters: a fresh interpreter)."""
    out, _ = run_python(["-c", textwrap.dedent(_SILENT_SCRIPT)])
    assert out == ""


def test_an_error_filter_still_raises_torchless_own_warnings():
    """Only NumPy's floating-point flags are caught: a warning of the op itself still reaches the user's filter."""
    out, _ = run_python(["-c", textwrap.dedent("""
        import warnings
        import torchless
        warnings.simplefilter("error")
        try:
            torchless.nn.functional.kl_div(torchless.zeros(2), torchless.ones(2))
        except UserWarning as warning:
            print("raised", str(warning)[:30])
        """)])
    assert out.startswith("raised reduction: 'mean' divides")


def test_the_user_numpy_state_is_left_alone():
    """torchless never sets NumPy's floating-point state: the user's own np.seterr stays in force for NumPy, and
    torchless's ops stay silent under it as PyTorch's."""
    out, _ = run_python(["-c", textwrap.dedent("""
        import numpy as np
        import torchless
        np.seterr(over="raise")
        torchless.tensor([1e38]) * torchless.tensor([10.0])
        try:
            np.float32(1e38) * np.float32(10)
        except FloatingPointError:
            print("raised")
        """)])
    assert out == "raised\n"


# ---------------------------------------------------------------- signed zeros and NaN as PyTorch's kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_give_the_first_operand_on_ties_and_skip_nan(name, dtype):
    """C's fmax(0.0, -0.0) is 0.0 and fmax(-0.0, 0.0) is -0.0, as PyTorch's kernel (NumPy's gives the second)."""
    a, b = _pairs(dtype)
    (expected, _), (out, _) = _both(lambda T, x, y: getattr(T, name)(x, y), a, b)
    _assert_identical(out.numpy(), expected.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("divisor", [None, 2.0, -2.0, 3.5, INF, -INF, 1e38, 0.0, -0.0])
def test_remainder_keeps_fmod_sign_of_a_zero_result(dtype, divisor):
    """PyTorch's remainder is fmod plus the divisor where the signs differ: -4.0 % 2 and -0.0 % 2 are -0.0, 4.0 % -2
    is 0.0 (NumPy's mod gives the divisor's sign). (Divisors below the normal range are left out: PyTorch's SLEEF
    fmod gives NaN for them where a quotient overflows.)"""
    a, b = _pairs(dtype)
    a = np.concatenate([a, np.array([-4.0, 4.0, -7.0, 7.0], dtype)])
    b = np.concatenate([b, np.array([2.0, -2.0, 3.5, -3.5], dtype)])
    normal = ~((b != 0) & (np.abs(b) < np.finfo(dtype).tiny))
    a, b = a[normal], b[normal]
    if divisor is None:
        (expected, _), (out, _) = _both(lambda T, x, y: x % y, a, b)
    else:
        (expected, _), (out, _) = _both(lambda T, x: T.remainder(x, divisor), a)
    _assert_identical(out.numpy(), expected.numpy())
    (expected, _), (out, _) = _both(lambda T, x: x.clone().remainder_(2.0), a)
    _assert_identical(out.numpy(), expected.numpy())


def test_remainder_of_integers_is_unchanged():
    a = np.array([-7, -4, 0, 4, 7], np.int64)
    for divisor in (3, -3):
        assert torchless.remainder(torchless.tensor(a), divisor).tolist() == (a % divisor).tolist()


def test_rmod_called_with_a_tensor_records_remainder():
    """t.__rmod__(other) with a tensor ``other`` is PyTorch's remainder(other, t), differentiable in both."""
    a, b = np.array([1.0, 2.0, -3.0]), np.array([3.0, -2.0, 7.5])
    (expected, theirs), (out, ours) = _both(lambda T, x, y: x.__rmod__(y), a, b, requires_grad=True)
    _assert_identical(out.detach().numpy(), expected.detach().numpy())
    assert out.grad_fn.name() == expected.grad_fn.name()
    expected.sum().backward()
    out.sum().backward()
    for t, u in zip(theirs, ours):
        _assert_identical(u.grad.numpy(), t.grad.numpy())


# ---------------------------------------------------------------- number / tensor: reciprocal(x) * number


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("number", [3.7, 2, -1.5, 0.0, INF])
def test_number_over_tensor_gradient_is_that_of_reciprocal_times_number(dtype, number):
    """PyTorch's number / x is reciprocal(x) * number: its gradient -(grad * number) * (r * r) rounds differently
    from the quotient's -grad * ((number / x) / x) (half the float32 values), and is NaN where r * r underflows
    beside an infinite grad * number."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(200), SPECIALS]).astype(dtype)
    grad = np.concatenate([rng.standard_normal(200), np.ones(len(SPECIALS))]).astype(dtype)
    results = []
    for lib in (torch, torchless):
        t = lib.tensor(x, requires_grad=True)
        (number / t).backward(lib.tensor(grad))
        results.append(t.grad.numpy())
    _assert_identical(results[1], results[0])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_number_over_tensor_double_backward(dtype):
    x = np.random.default_rng(1).standard_normal(100) + 0.1
    results = []
    for lib in (torch, torchless):
        t = lib.tensor(x, dtype=getattr(lib, str(dtype).split(".")[1]), requires_grad=True)
        (first,) = lib.autograd.grad((3.7 / t).sum(), t, create_graph=True)
        (second,) = lib.autograd.grad(first.sum(), t)
        results.append((first.detach().numpy(), second.numpy(), first.grad_fn.name()))
    _assert_identical(results[1][0], results[0][0])
    _assert_identical(results[1][1], results[0][1])
    assert results[1][2] == results[0][2]
