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


def _assert_identical(ours, theirs, rtol=0.0):
    """Equality (bit for bit unless ``rtol``), NaNs in the same places and zeros of the same sign."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    nan = np.isnan(theirs)
    assert np.array_equal(np.isnan(ours), nan)
    assert np.array_equal(np.signbit(ours[~nan]), np.signbit(theirs[~nan]))
    if rtol:
        np.testing.assert_allclose(ours[~nan], theirs[~nan], rtol=rtol, atol=0)
    else:
        assert np.array_equal(ours[~nan], theirs[~nan])


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
        np.seterr(all="raise")
        x = torchless.tensor([1e38, 1e-45, 0.0, float("inf")], requires_grad=True)
        (x * torchless.tensor([10.0, 1e-10, float("inf"), 0.0]) + x.logit()).sum().backward()
        x.detach() // 1e38
        torchless.optim.Adam([x]).step()
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


# ---------------------------------------------------------------- losses and activations at their edges


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [{}, {"weight": [1.0, 2.0, 0.0, 1.0]}, {"ignore_index": 0}])
def test_cross_entropy_none_gives_minus_zero_where_the_target_is_certain(dtype, options):
    """PyTorch's per-element loss is -log_softmax(x)[target]: -0.0 where the target's log-probability is 0."""
    logits = np.array([[-0.0, 1e38, -1e38, 1e-45], [0.0, 5.0, 1.0, 2.0], [3.0, 3.0, 3.0, 3.0],
                       [0.0, 200.0, 0.0, 0.0], [INF, 1.0, 2.0, 0.0]], dtype)
    targets = np.array([1, 0, 0, 1, 2])
    results = []
    for lib in (torch, torchless):
        kwargs = {k: lib.tensor(np.array(v, dtype)) if k == "weight" else v for k, v in options.items()}
        out = lib.nn.functional.cross_entropy(lib.tensor(logits), lib.tensor(targets), reduction="none", **kwargs)
        results.append(out.numpy())
    _assert_identical(results[1], results[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_acosh_gradient_is_pytorchs_rsqrt_of_x_squared_minus_one(dtype):
    """(x^2 - 1).rsqrt(): +inf at x = -1 (the factored (x - 1)(x + 1) is -0.0 there) and PyTorch's roundings."""
    x = np.concatenate([1 + np.abs(np.random.default_rng(2).standard_normal(300)), [-1.0, 1.0, -3.0, 1e38, INF, NAN]])
    x = x.astype(dtype)
    results = []
    for lib in (torch, torchless):
        t = lib.tensor(x, requires_grad=True)
        (first,) = lib.autograd.grad(lib.acosh(t).sum(), t, create_graph=True)
        (second,) = lib.autograd.grad(first.sum(), t)
        results.append((first.detach().numpy(), second.numpy()))
    _assert_identical(results[1][0], results[0][0])
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("length", [1, 8, 16, 17, 31, 32, 33, 100])
def test_logit_gradient_at_minus_zero_follows_the_kernel_loop(dtype, length):
    """At -0.0 PyTorch's vector loop divides by x (1 - x) = -0.0 (-inf for a positive grad) and its scalar code
    answers grad * inf (+inf): which elements each takes depends on the length and the CPU's vector width."""
    x = np.full(length, 0.5, dtype)
    x[[0, -1]] = -0.0
    x[length // 2] = 0.0
    grad = np.ones(length, dtype)
    grad[length // 3] = -1.0
    results = []
    for lib in (torch, torchless):
        t = lib.tensor(x, requires_grad=True)
        lib.logit(t).backward(lib.tensor(grad))
        results.append(t.grad.numpy())
    _assert_identical(results[1], results[0])


# ---------------------------------------------------------------- special functions at poles and extremes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_trigamma_at_poles_is_the_reflection_in_the_input_dtype(dtype):
    """PyTorch's trigamma at x = -1, -2, ... is pi^2 / sin(pi x)^2, finite in floating point and computed in the
    input's dtype (float32: 1.29e15 at -1, float64: 6.58e32); NaN at -inf and where pi x overflows. The same
    values are digamma's gradient."""
    x = np.array([-1.0, -2.0, -100.0, -3000.0, -1e38, -3e38, -INF, -0.0, 0.0, 3.0], dtype)
    if dtype == np.float64:
        x = np.concatenate([x, np.array([-1e308])])
    results = []
    for lib in (torch, torchless):
        t = lib.tensor(x, requires_grad=True)
        lib.digamma(t).sum().backward()
        results.append((lib.polygamma(1, t.detach()).numpy(), t.grad.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        poles = x <= 0
        _assert_identical(ours[poles], theirs[poles])
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_lgamma_of_subnormals_is_minus_log_x():
    x = np.array([5e-324, -5e-324, 1e-310, -1e-310, 1e-21, -1e-21, 1e-19, 0.0])
    with np.errstate(divide="ignore"):
        expected = -np.log(np.abs(x))  # (the Euler term, gamma x, is below float64's precision for |x| < 1e-17)
    np.testing.assert_allclose(torchless.lgamma(torchless.tensor(x)).numpy(), expected, rtol=1e-15)
    np.testing.assert_array_equal(torchless.lgamma(torchless.tensor(x)).numpy(), torch.lgamma(torch.tensor(x)))


def test_bessel_i_of_huge_float64_arguments_overflows_to_inf():
    """i0e(1e308) is 1/sqrt(2 pi 1e308) = 3.99e-155 (2 pi x overflowed), so i0(1e308) is inf, not 0 * inf."""
    x = np.array([1e308, -1e308, 3e307, 1e200, 800.0, -800.0, 700.0])
    for name in ("i0", "special.i0e", "special.i1", "special.i1e"):
        results = []
        for lib in (torch, torchless):
            fn = lib
            for part in name.split("."):
                fn = getattr(fn, part)
            results.append(fn(lib.tensor(x)).numpy())
        assert np.array_equal(np.isnan(results[1]), np.isnan(results[0])), name
        np.testing.assert_allclose(results[1], results[0], rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_odd_bessel_functions_sign_of_zero(dtype):
    """i1(-0.0) and i1e(-0.0) are +0.0 (Cephes negates only for x < 0); bessel_j1(-0.0) is -0.0 (its x * ...)."""
    x = np.array([-0.0, 0.0, -1.0, 1.0, -1e-30], dtype)
    for name in ("i1", "i1e", "bessel_j1"):
        expected = getattr(torch.special, name)(torch.tensor(x)).numpy()
        _assert_identical(getattr(torchless.special, name)(torchless.tensor(x)).numpy(), expected, rtol=1e-6)


def test_zeta_with_nan_exponent_at_the_poles_of_q():
    """Cephes's zeta tests s == 1 and s < 1 first, which a NaN s passes: q = 0, -1, ..., -inf then give inf."""
    s = np.repeat([NAN, 2.0, 1.0, 0.5], 6)
    q = np.tile([0.0, -0.0, -1.0, -INF, NAN, 2.0], 4)
    expected = torch.special.zeta(torch.tensor(s), torch.tensor(q)).numpy()
    _assert_identical(torchless.special.zeta(torchless.tensor(s), torchless.tensor(q)).numpy(), expected, rtol=1e-12)


# ---------------------------------------------------------------- reductions and scans


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_var_mean_mean_is_nan_where_an_infinity_is_followed(name, dtype):
    """PyTorch's Welford mean (mean += (x - mean) / n) is NaN once an infinity is followed by another element, and
    infinite only where the slice's one infinity comes last (the mean alone is infinite either way)."""
    rng = np.random.default_rng(3)
    for trial in range(40):
        x = rng.standard_normal((3, 4, 5)).astype(dtype)
        for _ in range(rng.integers(1, 3)):
            x[tuple(rng.integers(0, n) for n in x.shape)] = rng.choice([INF, -INF])
        for dim, keepdim in [(None, False), (0, False), (2, True), ((0, 2), False), ((1, 2), True)]:
            results = []
            for lib in (torch, torchless):
                t = lib.tensor(x)
                results.append((getattr(lib, name)(t) if dim is None else
                                getattr(lib, name)(t, dim, keepdim=keepdim))[1].numpy())
            _assert_identical(results[1], results[0], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_running_sums_start_from_zero(dtype):
    """cumsum's and logcumsumexp's accumulators start at 0.0 (-inf): a leading run of -0.0 gives 0.0; the gradient
    of cumsum (a reversed running sum) too."""
    x = np.array([[-0.0, -0.0, 1.0, -1.0, -0.0], [-0.0, 2.0, -0.0, -0.0, NAN]], dtype)
    results = []
    for lib in (torch, torchless):
        t = lib.tensor(x, requires_grad=True)
        out = t.cumsum(1)
        out.backward(lib.full_like(out, -0.0))
        scans = [out.detach().numpy(), t.cumsum(0).detach().numpy(), t.grad.numpy()]
        if dtype != np.float16:
            scans.append(lib.logcumsumexp(t.detach(), 1).numpy())
        results.append(scans)
    for ours, theirs in zip(results[1], results[0]):
        _assert_identical(ours, theirs, rtol=1e-6)


# ---------------------------------------------------------------- float16 activations at NaN and -0.0


@pytest.mark.parametrize("length", [1, 16, 40, 64, 100])
@pytest.mark.parametrize("name", ["elu", "selu", "celu", "relu6", "hardtanh", "hardswish", "hardshrink", "softshrink",
                                  "leaky_relu", "threshold"])
def test_float16_activation_gradients_at_nan_follow_the_kernel_loop(name, length):
    """A NaN's gradient is the vector loop's mask in PyTorch's float16 kernels as in its float32 ones (0 or NaN)
    and the scalar code's branch (the incoming gradient) in the tail the vectors leave (32 halves a vector on
    AVX512)."""
    results = []
    for lib in (torch, torchless):
        x = lib.full((length,), NAN, dtype=lib.float16, requires_grad=True)
        fn = getattr(lib.nn.functional, name)
        (fn(x, 0.5, 2.0) if name == "threshold" else fn(x)).sum().backward()
        results.append(x.grad.numpy())
    _assert_identical(results[1], results[0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("length", [1, 16, 33, 64, 100])
def test_softshrink_sign_of_zero_between_the_thresholds(dtype, length):
    """+0.0 in PyTorch's vector loop, x * 0 (-0.0 for a negative x) in its scalar code, float16 included."""
    x = np.full(length, -0.0, dtype)
    x[length // 2] = -0.1
    x[-1] = NAN
    expected = torch.nn.functional.softshrink(torch.tensor(x)).numpy()
    _assert_identical(torchless.nn.functional.softshrink(torchless.tensor(x)).numpy(), expected)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("length", [1, 8, 16, 17, 32, 33, 100])
def test_maximum_minimum_of_zeros_of_both_signs_follow_the_kernel_loop(dtype, length):
    """maximum(0.0, -0.0): the second operand in PyTorch's vector loop (its max instruction), the first in its
    scalar code (std::max); a 0-d operand and a broadcast one too."""
    zeros, negative_zeros = np.zeros(length, dtype), np.full(length, -0.0, dtype)
    cases = [lambda T, a, b: T.maximum(a, b), lambda T, a, b: T.maximum(b, a), lambda T, a, b: T.minimum(a, b),
             lambda T, a, b: T.minimum(b, a), lambda T, a, b: T.maximum(a, b[0]),
             lambda T, a, b: T.minimum(b[:1, None], a[None, :].expand(3, length))]
    for case in cases:
        (expected, _), (out, _) = _both(case, zeros, negative_zeros)
        _assert_identical(out.numpy(), expected.numpy())
