"""Autograd parity leftovers (grad36): the graphs PyTorch records for gradients under create_graph=True (its C++
arithmetic with numbers, the order it makes nodes in, the inputs its backward ops list), gradient layouts, and
circular padding as PyTorch's copies of slices.

Each graph is compared with torch's at run time (node names, next_functions down a few levels, leaves by identity);
the values are checked against torch and, independently of it, against float64 finite differences
(torchless.autograd.gradcheck / gradgradcheck) or formulas computed here in NumPy.
"""
import numpy as np
import pytest

import torchless
from helpers import graph_tree


def F(lib):
    return lib.nn.functional


def _leaves(lib, arrays, dtype="float64"):
    return [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in arrays]


def _double_backward(lib, fn, arrays, dtype="float64", depth=3):
    """fn's gradients under create_graph=True (their graphs, values, strides) and the gradients of their weighted
    sum (the second derivatives)."""
    leaves = _leaves(lib, arrays, dtype)
    out = fn(lib, *leaves)
    rng = np.random.default_rng(5)
    grad_out = lib.tensor(rng.standard_normal(tuple(out.shape)), dtype=out.dtype)
    grads = lib.autograd.grad(out, leaves, grad_out, create_graph=True, allow_unused=True)
    trees = [None if g is None else graph_tree(g.grad_fn, leaves, depth) for g in grads]
    used = [(g, lib.tensor(rng.standard_normal(tuple(g.shape)), dtype=g.dtype)) for g in grads
            if g is not None and g.requires_grad]
    second = None
    if used:
        total = sum((g * w).sum() for g, w in used)
        second = lib.autograd.grad(total, leaves, allow_unused=True)
    trees.append(graph_tree(out.grad_fn, leaves, depth))  # (the forward's graph last)
    return dict(out=out.detach().numpy(), trees=trees,
                grads=[None if g is None else (g.detach().numpy(), g.stride()) for g in grads],
                second=None if second is None else [None if s is None else s.numpy() for s in second])


def _assert_matches_torch(fn, arrays, dtype="float64", depth=3):
    torch = pytest.importorskip("torch")
    theirs = _double_backward(torch, fn, arrays, dtype, depth)
    ours = _double_backward(torchless, fn, arrays, dtype, depth)
    tol = 1e-10 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(ours["out"], theirs["out"], rtol=tol, atol=tol)
    assert ours["trees"] == theirs["trees"]
    for mine, their in zip(ours["grads"], theirs["grads"]):
        assert (mine is None) == (their is None)
        if mine is not None:
            np.testing.assert_allclose(mine[0], their[0], rtol=tol, atol=tol)
            assert mine[1] == their[1]
    assert (ours["second"] is None) == (theirs["second"] is None)
    for mine, their in zip(ours["second"] or (), theirs["second"] or ()):
        assert (mine is None) == (their is None)
        if mine is not None:
            np.testing.assert_allclose(mine, their, rtol=tol * 10, atol=tol * 10)


def _assert_gradgradcheck(fn, arrays):
    """First and second derivatives of torchless's fn against finite differences of its float64 values."""
    leaves = _leaves(torchless, arrays)
    assert torchless.autograd.gradcheck(lambda *xs: fn(torchless, *xs), tuple(leaves), eps=1e-6, atol=1e-5)
    assert torchless.autograd.gradgradcheck(lambda *xs: fn(torchless, *xs), tuple(leaves), eps=1e-6, atol=1e-5)


_RNG = np.random.default_rng(36)
_X = _RNG.uniform(-0.8, 0.8, (3, 4))
_P = _RNG.uniform(0.2, 0.9, (3, 4))
_B = _RNG.uniform(1.2, 2.0, (3, 4))
_Y = _RNG.standard_normal((3, 4))


# ---------------------------------------------------------------------------- C++ arithmetic with numbers
# PyTorch's formulas multiply, add, subtract and divide by numbers with the Scalar overloads (MulBackward1,
# AddBackward1, SubBackward1, DivBackward1) and write 1 - t as a filled tensor minus t (SubBackward0 listing None)
_UNARY = {
    "log2": (lambda lib, x: x.log2(), _P), "log10": (lambda lib, x: x.log10(), _P),
    "log1p": (lambda lib, x: x.log1p(), _X), "expm1": (lambda lib, x: x.expm1(), _X),
    "reciprocal": (lambda lib, x: x.reciprocal(), _P), "tan": (lambda lib, x: x.tan(), _X),
    "atan": (lambda lib, x: x.atan(), _X), "erf": (lambda lib, x: x.erf(), _X),
    "erfc": (lambda lib, x: x.erfc(), _X), "erfinv": (lambda lib, x: x.erfinv(), _X),
    "asin": (lambda lib, x: x.asin(), _X), "acos": (lambda lib, x: x.acos(), _X),
    "asinh": (lambda lib, x: x.asinh(), _X), "acosh": (lambda lib, x: x.acosh(), _B),
    "atanh": (lambda lib, x: x.atanh(), _X), "sqrt": (lambda lib, x: x.sqrt(), _P),
    "deg2rad": (lambda lib, x: x.deg2rad(), _X),
    "erfcx": (lambda lib, x: lib.special.erfcx(x), _X), "ndtri": (lambda lib, x: lib.special.ndtri(x), _P),
    "entr": (lambda lib, x: lib.special.entr(x), _P), "logit_eps": (lambda lib, x: x.logit(eps=0.3), _P),
    "silu": (lambda lib, x: F(lib).silu(x), _Y), "mish": (lambda lib, x: F(lib).mish(x), _Y),
}


@pytest.mark.parametrize("op", sorted(_UNARY))
def test_double_backward_graph_of_unary_ops(op):
    fn, x = _UNARY[op]
    _assert_matches_torch(fn, [x])


@pytest.mark.parametrize("op", ["tan", "erfinv", "acosh", "atanh", "ndtri", "entr", "silu", "mish", "logit_eps"])
def test_second_derivatives_of_unary_ops_by_finite_differences(op):
    fn, x = _UNARY[op]
    _assert_gradgradcheck(fn, [x[:2, :3]])


def test_silu_second_derivative_by_hand():
    x = _Y
    s = 1 / (1 + np.exp(-x))
    d1 = s * (1 + x * (1 - s))
    d2 = s * (1 - s) * (2 + x * (1 - 2 * s))  # d/dx of silu'(x)
    xt = torchless.tensor(x, requires_grad=True)
    (g,) = torchless.autograd.grad(F(torchless).silu(xt).sum(), xt, create_graph=True)
    (h,) = torchless.autograd.grad(g.sum(), xt)
    np.testing.assert_allclose(g.detach().numpy(), d1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), d2, rtol=1e-12, atol=1e-12)


def test_lerp_tensor_weight_double_backward_graph():
    _assert_matches_torch(lambda lib, a, b, w: lib.lerp(a, b, w), [_X, _Y, _P])
    _assert_gradgradcheck(lambda lib, a, b, w: lib.lerp(a, b, w), [_X[:2], _Y[:2], _P[:2]])


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_sinc_gradient_is_pytorchs_formula(dtype):
    # (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 where that denominator is; in float16 with each op rounded as
    # PyTorch's are
    torch = pytest.importorskip("torch")
    x = np.concatenate([np.random.default_rng(8).standard_normal(300), [0.0, 1e-8, 2.0, -3.0, np.nan]])
    grads = []
    for lib in (torch, torchless):
        t = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
        (g,) = lib.autograd.grad(t.sinc().sum(), t)
        grads.append(g.numpy().astype(np.float64))
    # (float64: to an ulp, NumPy's sin and cos against SLEEF's; float16: bit for bit)
    np.testing.assert_allclose(grads[1], grads[0], rtol=4e-16 if dtype == "float64" else 0, atol=0)
    if dtype == "float64":
        with np.errstate(all="ignore"):
            expected = (np.pi * x * np.cos(np.pi * x) - np.sin(np.pi * x)) / (np.pi * x * x)
        expected[x == 0] = 0
        np.testing.assert_allclose(grads[1][np.abs(x) > 1e-3], expected[np.abs(x) > 1e-3], rtol=1e-9, atol=1e-12)


def test_sinc_double_backward_graph():
    _assert_matches_torch(lambda lib, x: x.sinc(), [_Y])
    _assert_gradgradcheck(lambda lib, x: x.sinc(), [_Y[:2]])


def test_addcdiv_double_backward_graph():
    # (value / tensor2 in C++: a tensor filled with the value, divided in place by tensor2: DivBackward0)
    _assert_matches_torch(lambda lib, a, b, c: lib.addcdiv(a, b, c.abs() + 1, value=0.5), [_X, _Y, _P])
    _assert_gradgradcheck(lambda lib, a, b, c: lib.addcdiv(a, b, c.abs() + 1, value=0.5), [_X[:2], _Y[:2], _P[:2]])


def test_atan2_double_backward_graph_masks_the_reciprocal():
    _assert_matches_torch(lambda lib, a, b: lib.atan2(a, b), [_X, _Y])
    _assert_matches_torch(lambda lib, a, b: lib.atan2(a, b), [np.array([0.0, 1e-30, 0.5]), np.array([0.0, 1e-30, 0.3])],
                          dtype="float32")
    _assert_gradgradcheck(lambda lib, a, b: lib.atan2(a, b), [_X[:2], _Y[:2]])


def test_logit_with_eps_under_create_graph_is_zero_outside_the_range_a_nan_too():
    # PyTorch's infinitely_differentiable_logit_backward: where(lo <= x <= hi, ...): NaN is outside, so 0
    torch = pytest.importorskip("torch")
    values = [0.1, 0.5, float("nan"), 0.95]
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(x.logit(eps=0.2).sum(), x, create_graph=True)
        results.append(g.detach().numpy())
    np.testing.assert_array_equal(results[1], results[0])
    np.testing.assert_allclose(results[1], [0, 1 / 0.25, 0, 0])


# ---------------------------------------------------------------------------- variance and standard deviation
# var_backward centres by self.mean() (MeanBackward0) when called without dim, and unsqueezes the gradient over the
# named dims (a 0-d one too, when they are all the dims)
_MOMENTS = {
    "var": lambda lib, x: x.var(), "std": lambda lib, x: x.std(), "var_correction0": lambda lib, x: x.var(correction=0),
    "std_all_dims_named": lambda lib, x: x.std((0, 1)), "var_all_dims_named": lambda lib, x: x.var((1, 0)),
    "std_mean": lambda lib, x: lib.std_mean(x)[0], "var_keepdim": lambda lib, x: x.var(1, keepdim=True),
    # (logsumexp_backward unsqueezes the gradient and the result: UnsqueezeBackward0)
    "logsumexp": lambda lib, x: x.logsumexp(1), "logsumexp_dims": lambda lib, x: x.logsumexp((-1, 0)),
}


@pytest.mark.parametrize("op", sorted(_MOMENTS))
def test_double_backward_graph_of_variance(op):
    _assert_matches_torch(_MOMENTS[op], [_Y])


def test_variance_second_derivative_by_hand():
    # var(x) = sum((x - m)^2) / (n - 1): gradient 2 (x - m) / (n - 1), Hessian 2 (I - 1/n) / (n - 1)
    x = torchless.tensor(_Y, requires_grad=True)
    (g,) = torchless.autograd.grad(x.var(), x, create_graph=True)
    n = _Y.size
    np.testing.assert_allclose(g.detach().numpy(), 2 * (_Y - _Y.mean()) / (n - 1), rtol=1e-12)
    w = _RNG.standard_normal(_Y.shape)
    (h,) = torchless.autograd.grad((g * torchless.tensor(w)).sum(), x)
    np.testing.assert_allclose(h.numpy(), 2 * (w - w.mean()) / (n - 1), rtol=1e-10, atol=1e-12)
    _assert_gradgradcheck(_MOMENTS["std_all_dims_named"], [_Y[:2, :3]])


# ---------------------------------------------------------------------------- losses
_LOSSES = {
    "mse_target": (lambda lib, x, y: F(lib).mse_loss(x, y, reduction="sum"), [_X, _Y]),
    "mse_broadcast_target": (lambda lib, x, y: F(lib).mse_loss(x, y.expand_as(x), reduction="sum"), [_X, _Y[:1]]),
    "huber": (lambda lib, x, y: F(lib).huber_loss(x, y, delta=0.7, reduction="none"), [_X, _Y]),
    "smooth_l1": (lambda lib, x, y: F(lib).smooth_l1_loss(x, y, beta=0.7), [_X, _Y]),
    "kl_div": (lambda lib, x, y: F(lib).kl_div(x.log_softmax(-1), y.softmax(-1), reduction="batchmean"), [_X, _Y]),
    "kl_div_none": (lambda lib, x, y: F(lib).kl_div(x, y.softmax(-1), reduction="none"), [_X, _Y]),
    "kl_div_log_target": (lambda lib, x, y: F(lib).kl_div(x.log_softmax(-1), y.log_softmax(-1), reduction="sum",
                                                          log_target=True), [_X, _Y]),
    "bce_mean": (lambda lib, x, y: F(lib).binary_cross_entropy(x.sigmoid(), y.sigmoid()), [_X, _Y]),
    "poisson_full": (lambda lib, x, y: F(lib).poisson_nll_loss(x.abs() + 0.1, y.abs() * 3, log_input=False,
                                                               full=True), [_X, _Y]),
    "cross_entropy_probabilities": (lambda lib, x, y: F(lib).cross_entropy(
        x, y.softmax(-1), weight=lib.arange(1.0, 5.0, dtype=x.dtype), label_smoothing=0.1), [_X, _Y]),
    "soft_margin": (lambda lib, x: F(lib).soft_margin_loss(x, lib.tensor([1.0, -1, 1, -1], dtype=x.dtype)), [_X]),
}


@pytest.mark.parametrize("loss", sorted(_LOSSES))
def test_double_backward_graph_of_losses(loss):
    fn, arrays = _LOSSES[loss]
    _assert_matches_torch(fn, arrays)


@pytest.mark.parametrize("loss", ["mse_broadcast_target", "kl_div", "kl_div_log_target", "poisson_full", "huber"])
def test_second_derivatives_of_losses_by_finite_differences(loss):
    fn, arrays = _LOSSES[loss]
    _assert_gradgradcheck(fn, [a[:2, :3] for a in arrays])


def test_mse_target_gradient_node_lists_target_then_input():
    x, y = _leaves(torchless, [_X, _Y])
    (_, gy) = torchless.autograd.grad(F(torchless).mse_loss(x, y), (x, y), create_graph=True)
    assert graph_tree(gy.grad_fn, [x, y], 1) == ("MseLossBackwardBackward0", (None, "leaf1", "leaf0"))
    np.testing.assert_allclose(gy.detach().numpy(), -2 * (_X - _Y) / _X.size, rtol=1e-12)


def test_kl_div_target_gradient_by_hand_nan_at_zero():
    x = torchless.tensor([[0.1, -0.3, 0.2]], dtype=torchless.float64, requires_grad=True)
    t = torchless.tensor([[0.0, 0.5, 0.5]], dtype=torchless.float64, requires_grad=True)
    out = F(torchless).kl_div(x, t, reduction="sum")
    xlogy = out.grad_fn.next_functions[0][0].next_functions[0][0]  # (sum, then xlogy(t, t) - t * x)
    assert xlogy.name() == "XlogyBackward0"
    assert [f.variable for f, _ in xlogy.next_functions] == [t, t]
    gx, gt = torchless.autograd.grad(out, (x, t))
    np.testing.assert_allclose(gx.numpy(), [[-0.0, -0.5, -0.5]])
    expected = np.log([1.0, 0.5, 0.5]) + 1 - np.array([0.1, -0.3, 0.2])
    expected[0] = np.nan  # (xlogy's derivative in its second argument, t / t, is 0 / 0 there)
    np.testing.assert_allclose(gt.numpy()[0], expected, rtol=1e-12)


def test_label_smoothed_weighted_cross_entropy_graph_readable_after_backward():
    torch = pytest.importorskip("torch")
    names = []
    for lib in (torch, torchless):
        x = lib.tensor(_Y, requires_grad=True)
        loss = F(lib).cross_entropy(x, lib.tensor([0, 2, 3]), weight=lib.arange(1.0, 5.0, dtype=x.dtype),
                                    label_smoothing=0.2)
        loss.backward()
        names.append(graph_tree(loss.grad_fn, [x], 4))
    assert names[1] == names[0]


def test_binary_cross_entropy_gradient_layouts_of_a_transposed_input():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(np.ascontiguousarray(_X.T)).mT.detach().requires_grad_()
        y = lib.tensor(np.ascontiguousarray(_Y.T)).mT.detach().requires_grad_()
        p, t = x.sigmoid(), y.sigmoid()
        first = lib.autograd.grad(F(lib).binary_cross_entropy(p, t, reduction="none"), (p, t), lib.ones(3, 4))
        second = lib.autograd.grad(F(lib).binary_cross_entropy(p, t, reduction="none"), (p, t), lib.ones(3, 4),
                                   create_graph=True)
        results.append([(g.stride(), g.detach().numpy()) for g in first + second])
    for mine, their in zip(*results[::-1]):
        assert mine[0] == their[0]
        np.testing.assert_allclose(mine[1], their[1], rtol=1e-6)
    p, t = 1 / (1 + np.exp(-_X)), 1 / (1 + np.exp(-_Y))
    np.testing.assert_allclose(results[1][0][1], (p - t) / ((1 - p) * p), rtol=1e-4)
    np.testing.assert_allclose(results[1][1][1], -np.log(p / (1 - p)), rtol=1e-4)


def test_group_norm_clones_strided_weight_and_bias():
    torch = pytest.importorskip("torch")
    trees = []
    for lib in (torch, torchless):
        x = lib.tensor(_RNG.standard_normal((2, 4, 3)), requires_grad=True)
        w = lib.ones(8, dtype=x.dtype)[::2].detach().requires_grad_()
        b = lib.zeros(8, dtype=x.dtype)[::2].detach().requires_grad_()
        trees.append(graph_tree(F(lib).group_norm(x, 2, w, b).grad_fn, [x, w, b], 2))
    assert trees[1] == trees[0]
    assert trees[1][1][1] == ("CloneBackward0", ("leaf1",))


# ---------------------------------------------------------------------------- in-place writes into views
def test_copy_slices_gradient_strided_as_the_base_under_create_graph():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(np.ascontiguousarray(_X.T)).mT.detach().requires_grad_()
        y = lib.tensor(_Y[0, :2], requires_grad=True)
        b = x.clone()
        b[1:3][:, 2] += y
        gx, gy = lib.autograd.grad(b, (x, y), lib.tensor(_Y), create_graph=True)
        results.append((gx.stride(), gx.detach().numpy(), gy.detach().numpy()))
    assert results[1][0] == results[0][0] == (1, 3)
    np.testing.assert_array_equal(results[1][1], _Y)
    np.testing.assert_array_equal(results[1][2], _Y[1:3, 2])


@pytest.mark.parametrize("op", ["copy_", "mul_"])
def test_copy_slices_refuses_a_second_backward(op):
    x = torchless.tensor(_X, requires_grad=True)
    b = x.clone()
    getattr(b[0], op)(x[1])
    total = b.sum()
    total.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        total.backward()


# ---------------------------------------------------------------------------- circular padding
def _circular_gradient(shape, pad, weights):
    """The gradient of sum(weights * pad(x, pad, 'circular')) with respect to x, from NumPy's wrap padding of the
    cells' indices (widths not negative)."""
    widths = [(0, 0)] * (len(shape) - len(pad) // 2) + [tuple(pad[i:i + 2]) for i in range(len(pad) - 2, -1, -2)]
    index = np.pad(np.arange(int(np.prod(shape))).reshape(shape), widths, mode="wrap")
    gradient = np.zeros(int(np.prod(shape)))
    np.add.at(gradient, index.ravel(), weights.ravel())
    return gradient.reshape(shape)


@pytest.mark.parametrize("shape, pad", [((2, 3, 5), (2, 3)), ((1, 2, 4, 5), (1, 2, 2, 1)),
                                        ((1, 2, 3, 4, 3), (1, 2, 1, 0, 2, 1)), ((2, 3, 5), (-1, 2))])
def test_circular_padding_graph_and_gradient(shape, pad):
    torch = pytest.importorskip("torch")
    x = _RNG.standard_normal(shape)
    results = []
    for lib in (torch, torchless):
        xt = lib.tensor(x, requires_grad=True)
        out = F(lib).pad(xt, pad, mode="circular")
        weights = np.linspace(-1, 2, out.numel()).reshape(tuple(out.shape))
        (g,) = lib.autograd.grad(out, xt, lib.tensor(weights))
        results.append((graph_tree(out.grad_fn, [xt], 4), out.detach().numpy(), g.numpy(), out.stride()))
    assert results[1][0] == results[0][0]
    np.testing.assert_array_equal(results[1][1], results[0][1])
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-12)
    assert results[1][3] == results[0][3]
    if min(pad) >= 0:
        np.testing.assert_allclose(results[1][2], _circular_gradient(shape, pad, weights), rtol=1e-12)


def test_circular_padding_values_and_gradients_by_hand_and_finite_differences():
    x = _RNG.standard_normal((1, 2, 3, 4))
    xt = torchless.tensor(x, requires_grad=True)
    out = F(torchless).pad(xt, (1, 2, 2, 1), mode="circular")
    np.testing.assert_array_equal(out.detach().numpy(), np.pad(x, [(0, 0), (0, 0), (2, 1), (1, 2)], mode="wrap"))
    assert torchless.autograd.gradcheck(lambda t: F(torchless).pad(t, (1, 2, 2, 1), mode="circular"), (xt,))
    small = torchless.tensor(x[:, :1, :2], requires_grad=True)
    w = torchless.tensor(_RNG.standard_normal((1, 1, 2, 2)), requires_grad=True)
    assert torchless.autograd.gradgradcheck(
        lambda t, k: F(torchless).conv2d(F(torchless).pad(t, (1, 1, 1, 0), mode="circular"), k), (small, w))


def test_circular_padding_refuses_a_second_backward():
    xt = torchless.tensor(_RNG.standard_normal((1, 2, 4)), requires_grad=True)
    total = F(torchless).pad(xt, (1, 1), mode="circular").sum()
    total.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        total.backward()
    np.testing.assert_array_equal(xt.grad.numpy(), np.full((1, 2, 4), 1.0) + np.array([1.0, 0, 0, 1]))


def test_circular_padding_without_a_graph_unchanged():
    x = _RNG.standard_normal((2, 3, 5)).astype(np.float32)
    with torchless.no_grad():
        out = F(torchless).pad(torchless.tensor(x, requires_grad=True), (2, 1), mode="circular")
    assert out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), np.pad(x, [(0, 0), (0, 0), (2, 1)], mode="wrap"))
