"""Differences from PyTorch in autograd and views found by a differential fuzz audit, each compared with torch.

* Tensor.unfold is a view (writes through, shared version counter); a view reading a base element more than once
  (expand, unfold, as_strided) re-reads its base after an in-place change of the base;
* double backward (create_graph=True) of prod and cumprod with zeros, einsum with a repeated subscript,
  conv_transpose with output_padding >= stride, glu, logit, logsumexp, cumsum, cumprod and scatter_reduce;
* grad modes: set_grad_enabled as a decorator, grad-mode decorators on generator functions;
* retain_grad (refused without requires_grad, kept across in-place ops, filled by autograd.grad),
  register_post_accumulate_grad_hook, the requires_grad setter's messages;
* next_functions (AccumulateGrad of leaves, CopySlices), autograd.grad/backward argument checks and their order;
* in-place errors: an op reading its own operand (y.mul_(y)), outputs of split/chunk/unbind, views made in no_grad;
* the layout and in-place accumulation of a leaf's .grad.
"""
import re
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------------- comparing outcomes
def _outcome(fn, lib):
    """What ``fn(lib)`` gives: ("value", result) or ("raise", type name, message with torch read as torchless)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ("value", fn(lib))
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        message = re.sub(r"\btorch\.", "torchless.", str(error))
        return ("raise", type(error).__name__, message)


def _assert_equal(ours, theirs, rtol, atol):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, torchless.Tensor), (ours, theirs)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.detach().numpy().astype(np.float64),
                                   theirs.detach().numpy().astype(np.float64), rtol=rtol, atol=atol)
    elif isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            _assert_equal(a, b, rtol, atol)
    else:
        assert ours == theirs, (ours, theirs)


def _same(fn, rtol=1e-5, atol=1e-6):
    """``fn(lib)`` returns the same values (tensors, numbers, strings, nested tuples) or raises the same error."""
    theirs, ours = _outcome(fn, torch), _outcome(fn, torchless)
    assert ours[0] == theirs[0], (ours, theirs)
    if theirs[0] == "raise":
        assert ours == theirs
    else:
        _assert_equal(ours[1], theirs[1], rtol, atol)


def _names(fn):
    """The names of a node's next functions (None where PyTorch lists none)."""
    return tuple(None if node is None else node.name() for node, _ in fn.next_functions)


# ---------------------------------------------------------------------------- unfold is a view
def test_unfold_writes_through_and_shares_the_version_counter():
    def run(lib):
        x = lib.arange(6.)
        u = x.unfold(0, 2, 2)
        u[0] = 10
        first = (x.clone(), x._version, u._version)
        u.mul_(2)
        x.add_(1)
        return first, x.clone(), u.clone(), u._version, u.stride(), u.is_contiguous()
    _same(run)


def test_unfold_with_overlapping_windows_writes_through_outside_autograd():
    def run(lib):
        x, s = lib.arange(6.), lib.tensor(3.)
        x.unfold(0, 3, 1).fill_(0)
        s.unfold(0, 1, 1)[0] = 5
        y = lib.arange(12.).view(3, 4)
        y.unfold(1, 2, 2)[:, :, 0] = -1
        return x, s, y
    _same(run)


def test_unfold_in_place_on_the_view_reaches_the_graph():
    def run(lib):
        a = lib.tensor([0.5, -1.0, 2.0, 1.5, 0.3, -0.7, 1.1], requires_grad=True)
        b = a * 1
        u = b.unfold(0, 2, 2)
        u.mul_(3)
        (b * lib.arange(7.)).sum().backward()
        return a.grad, u.grad_fn.name(), b.grad_fn.name()
    _same(run)


@pytest.mark.parametrize("make", ["unfold", "expand", "as_strided"])
def test_an_overlapping_view_rereads_its_base_after_an_in_place_change(make):
    def run(lib):
        a = lib.arange(6., requires_grad=True)
        b = a.clone()
        v = {"unfold": lambda: b.unfold(0, 3, 1), "expand": lambda: b.expand(2, 6),
             "as_strided": lambda: b.as_strided((3, 2), (1, 1))}[make]()
        b.mul_(2)
        (v * 3).sum().backward()
        return a.grad, v.grad_fn.name()
    _same(run)


@pytest.mark.parametrize("args", [(0, 7, 1), (0, 2, 0), (0, -1, 1), (1, 2, 1), (0, 6, 1), (0, 0, 1)])
def test_unfold_errors_and_edge_sizes(args):
    _same(lambda lib: lib.arange(6.).unfold(*args))


def test_unfold_double_backward():
    def run(lib):
        x = lib.tensor([0.3, -1.2, 0.7, 2.0, -0.4], dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad((x.unfold(0, 3, 1) ** 3).sum(), x, create_graph=True)
        h, = lib.autograd.grad((g * lib.arange(5.)).sum(), x)
        return g, h
    _same(run, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- double backward
_RNG = np.random.default_rng(5)
_ZEROS = np.array([[1.5, 0.0, -2.0, 0.4], [0.3, 1.2, 0.0, 2.0], [0.0, -0.6, 0.9, 0.0]])
_SECOND_ORDER = {
    "prod_one_zero": (lambda lib, x: x.prod(), [np.array([[1.5, 0.0, -2.0], [0.7, 1.2, 3.0]])]),
    "prod_two_zeros": (lambda lib, x: x.prod(), [np.array([[1.5, 0.0, -2.0], [0.0, 1.2, 3.0]])]),
    "prod_dim_zeros": (lambda lib, x: x.prod(1), [_ZEROS]),
    "prod_dim_keepdim_zeros": (lambda lib, x: x.prod(0, keepdim=True), [_ZEROS]),
    "cumprod": (lambda lib, x: x.cumprod(1), [_RNG.standard_normal((3, 4))]),
    "cumprod_zeros": (lambda lib, x: x.cumprod(1), [_ZEROS]),
    "cumprod_zeros_dim0": (lambda lib, x: x.cumprod(0), [_ZEROS]),
    "einsum_diagonal": (lambda lib, x: lib.einsum("ii->i", x), [_RNG.standard_normal((3, 3))]),
    "einsum_trace": (lambda lib, x: lib.einsum("ii", x) ** 2, [_RNG.standard_normal((3, 3))]),
    "einsum_repeat_two_operands": (lambda lib, x, y: lib.einsum("iji,jk->ik", x, y) ** 2,
                                   [_RNG.standard_normal((2, 3, 2)), _RNG.standard_normal((3, 4))]),
    "einsum_repeat_broadcast": (lambda lib, x, y: lib.einsum("iij,kj->ik", x, y) ** 2,
                                [_RNG.standard_normal((2, 2, 1)), _RNG.standard_normal((3, 4))]),
    "glu": (lambda lib, x: lib.nn.functional.glu(x, 0) ** 2, [_RNG.standard_normal((4, 3))]),
    "logit": (lambda lib, x: x.logit(), [_RNG.uniform(0.05, 0.95, (3, 4))]),
    "logit_eps_outside": (lambda lib, x: lib.logit(x, 0.1), [np.array([0.5, 1.5, -0.2, 0.3, 0.05])]),
    "logit_outside": (lambda lib, x: x.logit(), [np.array([0.5, 1.5, -0.2, 0.3])]),
    "logsumexp": (lambda lib, x: x.logsumexp(1), [_RNG.standard_normal((3, 4))]),
    "logsumexp_keepdim": (lambda lib, x: lib.logsumexp(x, (0, 1), keepdim=True), [_RNG.standard_normal((3, 4))]),
    "cumsum": (lambda lib, x: x.cumsum(1) ** 2, [_RNG.standard_normal((3, 4))]),
    "cumsum_0d": (lambda lib, x: x.cumsum(0) ** 2, [np.array(1.5)]),
    "conv_transpose2d_output_padding": (
        lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w, stride=2, output_padding=2, dilation=3) ** 2,
        [_RNG.standard_normal((1, 2, 3, 3)), _RNG.standard_normal((2, 2, 2, 2))]),
    "conv_transpose2d_groups_bias": (
        lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, stride=(1, 2), padding=(1, 2),
                                                                output_padding=(1, 2), dilation=(2, 3), groups=2) ** 2,
        [_RNG.standard_normal((2, 4, 3, 3)), _RNG.standard_normal((4, 1, 2, 3)), _RNG.standard_normal(2)]),
    "conv_transpose1d_output_padding": (
        lambda lib, x, w: lib.nn.functional.conv_transpose1d(x, w, stride=2, output_padding=2, dilation=3) ** 2,
        [_RNG.standard_normal((1, 2, 3)), _RNG.standard_normal((2, 1, 2))]),
    "conv_transpose3d_output_padding": (
        lambda lib, x, w: lib.nn.functional.conv_transpose3d(x, w, padding=1, output_padding=1, dilation=2) ** 2,
        [_RNG.standard_normal((1, 2, 2, 3, 2)), _RNG.standard_normal((2, 1, 2, 2, 2))]),
}
for _reduce in ["sum", "mean", "prod", "amax", "amin"]:
    for _include in [True, False]:
        _SECOND_ORDER[f"scatter_reduce_{_reduce}_{_include}"] = (
            lambda lib, x, s, r=_reduce, inc=_include: x.scatter_reduce(
                1, lib.tensor([[0, 1, 0], [2, 2, 1]]), s, r, include_self=inc) ** 2,
            [_RNG.standard_normal((2, 4)), _RNG.standard_normal((2, 3))])
_SECOND_ORDER["scatter_reduce_prod_zeros"] = (
    lambda lib, x, s: x.scatter_reduce(0, lib.tensor([0, 0, 1, 2]), s, "prod"),
    [np.array([1.5, 0.0, 2.0]), np.array([0.0, 3.0, 0.5, 2.0])])
_SECOND_ORDER["scatter_reduce_prod_two_zeros_meet"] = (  # PyTorch's DelayedError when differentiated again
    lambda lib, x, s: x.scatter_reduce(0, lib.tensor([0, 0, 1, 2]), s, "prod"),
    [np.array([1.5, 0.0, 2.0]), np.array([0.0, 0.0, 0.5, 2.0])])

# further ops whose backward had no differentiable formulation (pads, shuffles, flips, elementwise pieces)
_SECOND_ORDER.update({
    "pixel_shuffle": (lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2) ** 2, [_RNG.standard_normal((1, 8, 2, 3))]),
    "pixel_unshuffle": (lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2) ** 2,
                        [_RNG.standard_normal((1, 2, 4, 6))]),
    "flip": (lambda lib, x: x.flip((0, 1)) ** 2 * lib.arange(12.).view(3, 4), [_RNG.standard_normal((3, 4))]),
    "roll": (lambda lib, x: x.roll(5) ** 2 * lib.arange(12.).view(3, 4), [_RNG.standard_normal((3, 4))]),
    "repeat": (lambda lib, x: x.repeat(2, 1, 3) ** 2, [_RNG.standard_normal((3, 4))]),
    "rot90": (lambda lib, x: x.rot90(1, (0, 1)) ** 2 * lib.arange(12.).view(4, 3), [_RNG.standard_normal((3, 4))]),
    "tril": (lambda lib, x: x.tril(1) ** 2, [_RNG.standard_normal((3, 4))]),
    "diagonal": (lambda lib, x: x.diagonal(1, 0, 2) ** 2, [_RNG.standard_normal((3, 2, 4))]),
    "trace": (lambda lib, x: x.trace() ** 2, [_RNG.standard_normal((3, 4))]),
    "pad_reflect": (lambda lib, x: lib.nn.functional.pad(x, (1, 2, 2, 1), mode="reflect") ** 2,
                    [_RNG.standard_normal((1, 2, 3, 4))]),
    "pad_replicate3d": (lambda lib, x: lib.nn.functional.pad(x, (1, 1, 1, 0, 0, 1), mode="replicate") ** 2,
                        [_RNG.standard_normal((1, 1, 2, 3, 2))]),
    "pad_circular": (lambda lib, x: lib.nn.functional.pad(x, (1, 2, 2, 1), mode="circular") ** 2,
                     [_RNG.standard_normal((1, 2, 3, 4))]),
    "minimum_ties": (lambda lib, x, y: lib.minimum(x, y) ** 2, [np.array([1., 2., 3.]), np.array([1., 0., 3.])]),
    "clamp_tensor": (lambda lib, x, y: x.clamp(min=y) ** 2, [_RNG.standard_normal((3, 4)), _RNG.standard_normal(4)]),
    "lerp_tensor": (lambda lib, x, y, w: lib.lerp(x, y, w) ** 2,
                    [_RNG.standard_normal((3, 4)), _RNG.standard_normal((3, 4)), _RNG.standard_normal(4)]),
    "fmod": (lambda lib, x, y: lib.fmod(x, y) ** 2, [_RNG.standard_normal((3, 4)), _RNG.standard_normal(4) + 3]),
    "sign": (lambda lib, x: x.sign() * x ** 2, [_RNG.standard_normal((3, 4))]),
    "lp_pool": (lambda lib, x: lib.nn.functional.lp_pool2d(x, 2, 2) ** 2, [_RNG.standard_normal((1, 2, 4, 4))]),
    "functional_unfold": (lambda lib, x: lib.nn.functional.unfold(x, (2, 3), dilation=(1, 2), padding=1,
                                                                  stride=(2, 1)) ** 2,
                          [_RNG.standard_normal((2, 2, 4, 5))]),
    "functional_fold": (lambda lib, x: lib.nn.functional.fold(x, (4, 5), (2, 3), dilation=(1, 2), padding=1,
                                                              stride=(2, 1)) ** 2,
                        [_RNG.standard_normal((2, 12, 9))]),
    "index_add": (lambda lib, x, s: x.index_add(1, lib.tensor([0, 2, 0]), s, alpha=2) ** 2,
                  [_RNG.standard_normal((3, 4)), _RNG.standard_normal((3, 3))]),
    "index_copy": (lambda lib, x, s: x.index_copy(0, lib.tensor([2, 0]), s) ** 2,
                   [_RNG.standard_normal((3, 4)), _RNG.standard_normal((2, 4))]),
    "cummax": (lambda lib, x: x.cummax(1)[0] ** 2, [_RNG.standard_normal((3, 4))]),
    "nansum": (lambda lib, x: x.nansum(1) ** 2, [np.array([[1.0, np.nan, 2.0], [0.5, 0.3, np.nan]])]),
    "sinc_at_zero": (lambda lib, x: x.sinc() ** 2, [np.array([0.0, 0.5, -1.2, 0.0])]),
    "erfinv": (lambda lib, x: x.erfinv() ** 2, [_RNG.uniform(-0.9, 0.9, (3, 4))]),
    "asin": (lambda lib, x: x.asin() ** 2, [_RNG.uniform(-0.9, 0.9, (3, 4))]),
    "frac": (lambda lib, x: x.frac() ** 2, [_RNG.uniform(-2, 2, (3, 4))]),
})


def _second_order(lib, f, arrays):
    xs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
    y = f(lib, *xs)
    weights = lib.tensor(np.linspace(-1, 1.3, y.numel()).reshape(tuple(y.shape)), dtype=lib.float64)
    first = lib.autograd.grad((y * weights).sum(), xs, create_graph=True)
    total = sum((g * g).sum() for g in first)
    second = lib.autograd.grad(total, xs, allow_unused=True, materialize_grads=True)
    return first, second


@pytest.mark.parametrize("name", sorted(_SECOND_ORDER))
def test_second_derivatives_match_torch(name):
    f, arrays = _SECOND_ORDER[name]
    _same(lambda lib: _second_order(lib, f, arrays), rtol=1e-8, atol=1e-10)


_HESSIANS = {
    "prod_zeros": (lambda lib, y: (y.prod(1) * lib.tensor([1., 2.], dtype=lib.float64)).sum(),
                   np.array([[1.5, 0.0, -2.0], [0.0, 1.2, 0.0]])),
    "cumprod_zeros": (lambda lib, y: (y.cumprod(1) ** 2).sum(), np.array([[1.5, 0.0, -2.0, 0.4], [0.3, 1.2, 0.0, 2.0]])),
    "einsum": (lambda lib, y: (lib.einsum("iji->j", y) ** 3).sum(), _RNG.standard_normal((2, 3, 2))),
    "glu": (lambda lib, y: (lib.nn.functional.glu(y, 0) ** 2).sum(), _RNG.standard_normal((4, 2))),
    "logit": (lambda lib, y: (y.logit(eps=0.01) ** 2).sum(), _RNG.uniform(0.1, 0.9, (5,))),
    "logsumexp": (lambda lib, y: (y.logsumexp(0) ** 2).sum(), _RNG.standard_normal((3, 2))),
    "cumsum": (lambda lib, y: (y.cumsum(1) ** 3).sum(), _RNG.standard_normal((2, 3))),
    "scatter_reduce_prod": (lambda lib, y: (y[:3].scatter_reduce(0, lib.tensor([0, 0, 2]), y[3:], "prod") ** 2).sum(),
                            np.array([1.2, 0.0, -0.7, 0.0, 2.0, 0.5])),
    "conv_transpose": (lambda lib, y: (lib.nn.functional.conv_transpose1d(
        y.view(1, 1, 3), y.view(1, 1, 3) * 2, output_padding=1, dilation=2) ** 2).sum(), _RNG.standard_normal(3)),
    "unfold": (lambda lib, y: (y.unfold(0, 3, 2) ** 2).prod(-1).sum(), _RNG.standard_normal(7)),
}


def _finite_difference_hessian(f, x, eps=1e-5):
    """Central differences of torchless's own gradient: an independent check of the second derivatives."""
    def gradient(values):
        t = torchless.tensor(values, dtype=torchless.float64, requires_grad=True)
        g, = torchless.autograd.grad(f(torchless, t), t)
        return g.numpy().ravel()
    columns = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = eps
        columns.append((gradient(x + step.reshape(x.shape)) - gradient(x - step.reshape(x.shape))) / (2 * eps))
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("name", sorted(_HESSIANS))
def test_hessians_match_torch_and_finite_differences(name):
    f, x = _HESSIANS[name]
    ours = torchless.autograd.functional.hessian(lambda y: f(torchless, y), torchless.tensor(x)).numpy()
    theirs = torch.autograd.functional.hessian(lambda y: f(torch, y), torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.reshape(x.size, x.size), _finite_difference_hessian(f, x), rtol=1e-5, atol=1e-5)


def test_glu_saves_its_input_for_backward():
    def run(lib):
        x = lib.ones(2, 4, requires_grad=True)
        y = x * 1
        z = lib.nn.functional.glu(y)
        y.mul_(2)
        z.sum().backward()
    _same(run)


# ---------------------------------------------------------------------------- grad modes
def test_set_grad_enabled_as_a_decorator_restores_the_mode():
    def run(lib):
        x = lib.ones(2, requires_grad=True)

        @lib.set_grad_enabled(False)
        def f(a):
            return a * 2
        after_definition = lib.is_grad_enabled()
        return after_definition, f(x).requires_grad, lib.is_grad_enabled()
    _same(run)


def test_grad_mode_decorators_apply_to_a_generator_body():
    def run(lib):
        seen = []

        @lib.no_grad()
        def gen(n):
            for i in range(n):
                got = yield i, lib.is_grad_enabled()
                seen.append((got, lib.is_grad_enabled()))
            return "done"

        @lib.enable_grad()
        def gen2():
            try:
                yield lib.is_grad_enabled()
            except KeyError:
                seen.append(("caught", lib.is_grad_enabled()))
                yield "after"
        g = gen(3)
        first = next(g), lib.is_grad_enabled()
        second = g.send(5), lib.is_grad_enabled()
        with lib.no_grad():
            h = gen2()
            third = next(h), h.throw(KeyError("k")), lib.is_grad_enabled()
        return first, second, third, seen, lib.is_grad_enabled(), list(gen(2))
    _same(run)


# ---------------------------------------------------------------------------- retain_grad, hooks, requires_grad
def test_retain_grad_refuses_a_tensor_without_requires_grad():
    _same(lambda lib: lib.ones(2).retain_grad())


@pytest.mark.parametrize("case", ["in_place", "view_in_place", "autograd_grad", "backward_inputs", "grad_input"])
def test_retain_grad_follows_pytorch(case):
    def run(lib):
        x = lib.tensor([1., 2.], requires_grad=True)
        y = x * 2
        y.retain_grad()
        if case == "in_place":
            y.mul_(3)
            (y * 1).sum().backward()
        elif case == "view_in_place":
            y.view(2).mul_(3)
            (y * 1).sum().backward()
        elif case == "autograd_grad":
            lib.autograd.grad((y * y).sum(), x)
        elif case == "backward_inputs":
            (y * y).sum().backward(inputs=[x])
        else:
            w = y * 3
            w.retain_grad()
            lib.autograd.grad((w * y).sum(), y)
            return y.grad, w.grad, y.retains_grad
        return y.grad, x.grad, y.retains_grad
    _same(run)


def test_post_accumulate_grad_hooks():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        seen = []

        def hook(tensor):
            seen.append((tensor is x, tensor.grad.clone()))
            tensor.grad.mul_(0.5)
        handle = x.register_post_accumulate_grad_hook(hook)
        (x * 2).sum().backward()
        lib.autograd.grad((x * 2).sum(), x)  # no accumulation: no call
        (x * 2).sum().backward(inputs=[x])
        handle.remove()
        (x * 2).sum().backward()
        return seen, x.grad
    _same(run)


@pytest.mark.parametrize("case", ["returns_value", "no_requires_grad", "non_leaf"])
def test_post_accumulate_grad_hook_errors(case):
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        if case == "returns_value":
            x.register_post_accumulate_grad_hook(lambda t: t.grad * 2)
            (x * 2).sum().backward()
        elif case == "no_requires_grad":
            lib.ones(2).register_post_accumulate_grad_hook(print)
        else:
            (x * 2).register_post_accumulate_grad_hook(print)
    _same(run)


@pytest.mark.parametrize("case", ["setter_int", "setter_non_leaf_true", "factory_int", "parameter_int",
                                  "new_ones_int", "new_full_int", "requires_grad__int", "non_leaf_requires_grad_"])
def test_requires_grad_messages(case):
    def run(lib):
        y = lib.ones(2, requires_grad=True) * 2
        long = lib.ones(2, dtype=lib.long)
        if case == "setter_int":
            long.requires_grad = True
        elif case == "setter_non_leaf_true":
            y.requires_grad = True
        elif case == "factory_int":
            lib.ones(2, dtype=lib.long, requires_grad=True)
        elif case == "parameter_int":
            lib.nn.Parameter(long)
        elif case == "new_ones_int":
            lib.ones(2).new_ones(2, dtype=lib.long, requires_grad=True)
        elif case == "new_full_int":
            lib.ones(2).new_full((2,), 1, dtype=lib.long, requires_grad=True)
        elif case == "requires_grad__int":
            long.requires_grad_()
        else:
            return y.requires_grad_().requires_grad
    _same(run)


# ---------------------------------------------------------------------------- next_functions
def test_next_functions_list_leaves_as_accumulate_grad():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        w = lib.ones(2)
        node = (x * w).grad_fn.next_functions[0][0]
        other = (x * 3).grad_fn.next_functions[0][0]
        return (_names((x * w).grad_fn), _names((w * x).grad_fn), node.name(), node.variable is x, node is other,
                node.next_functions, _names(x.exp().sum().grad_fn.next_functions[0][0]))
    _same(run)


@pytest.mark.parametrize("case", ["mul_tensor", "add_computed", "exp", "copy_into_constant", "mul_into_constant"])
def test_copy_slices_lists_the_base_and_the_ops_other_inputs(case):
    def run(lib):
        a = lib.ones(2, 3, requires_grad=True)
        w = lib.ones(3, requires_grad=True)
        x = a * 1
        if case == "mul_tensor":
            x[0].mul_(w)
        elif case == "add_computed":
            x[0].add_(w * 2)
        elif case == "exp":
            x[0].exp_()
        else:
            x = lib.ones(2, 3)
            x[0].copy_(w) if case == "copy_into_constant" else x[:, 0].mul_(w[:2])
        return _names(x.grad_fn)
    _same(run)


# ---------------------------------------------------------------------------- autograd.grad / backward arguments
_GRAD_ARGUMENT_CASES = {
    "output_checked_before_input": lambda lib, x: lib.autograd.grad(x.detach().sum(), x.detach()),
    "shape_before_requires_grad": lambda lib, x: lib.autograd.grad(lib.ones(3), x, lib.ones(2)),
    "every_shape_first": lambda lib, x: lib.autograd.grad([lib.ones(3), x * 2], x, [lib.ones(3), lib.ones(2)]),
    # PyTorch names the positions in its shape error through list.index, whose tensor comparisons may fail first
    "later_shape_compares_with_first": lambda lib, x: lib.autograd.grad([x * 3, x * 2], x, [lib.ones(3), lib.ones(2)]),
    "later_shape_ambiguous": lambda lib, x: lib.autograd.grad([x * 3, x * 2], x, [lib.ones(1), lib.ones(2)]),
    "later_shape_found_equal": lambda lib, x: lib.autograd.backward([x.sum(), x * 2], [lib.ones(()), lib.ones(1)]),
    "later_shape_after_none": lambda lib, x: lib.autograd.grad([x * 3, x * 2], x, [None, lib.ones(2)]),
    "extra_gradients_ignored": lambda lib, x: lib.autograd.grad([x * 2], x, [lib.ones(3), 3]),
    "too_few_gradients": lambda lib, x: lib.autograd.grad([x * 2, x * 3], x, [lib.ones(3)]),
    "gradient_not_a_tensor": lambda lib, x: lib.autograd.grad([x * 2], x, [3.]),
    "gradient_type_then_shape": lambda lib, x: lib.autograd.grad([x.sum(), x], x, [3., lib.ones(2)]),
    "gradient_shape_then_type": lambda lib, x: lib.autograd.grad([x.sum(), x], x, [lib.ones(2), 3.]),
    "backward_list_gradient": lambda lib, x: (x * 2).sum().backward([3.]),
    "backward_string_gradient": lambda lib, x: lib.autograd.backward(x.sum(), "a"),
    "input_not_a_tensor": lambda lib, x: lib.autograd.grad(x.sum(), [x, 3]),
    "inputs_in_order": lambda lib, x: lib.autograd.grad(x.sum(), [x.detach(), 3]),
    "backward_input_not_a_tensor": lambda lib, x: lib.autograd.backward(x.sum(), inputs=[3]),
    "backward_outputs_before_inputs": lambda lib, x: lib.autograd.backward(
        [x * 2, lib.ones(3)], [lib.ones(3), lib.ones(3)], inputs=[x.detach()]),
    "output_not_a_tensor": lambda lib, x: lib.autograd.grad([x.sum(), 3], x),
    "both_gradient_arguments": lambda lib, x: lib.autograd.backward(x.sum(), lib.ones(()),
                                                                    grad_variables=lib.ones(())),
}


@pytest.mark.parametrize("case", sorted(_GRAD_ARGUMENT_CASES))
def test_grad_and_backward_check_their_arguments_as_pytorch(case):
    _same(lambda lib: _GRAD_ARGUMENT_CASES[case](lib, lib.ones(3, requires_grad=True)))


def test_grad_variables_is_deprecated():
    for lib in (torch, torchless):
        x = lib.ones(3, requires_grad=True)
        with pytest.warns(FutureWarning, match="`grad_variables` is deprecated. Use `grad_tensors` instead."):
            lib.autograd.backward((x * 2).sum(), grad_variables=lib.tensor(2.))
        assert x.grad.tolist() == [4.0, 4.0, 4.0]


# ---------------------------------------------------------------------------- in-place errors
@pytest.mark.parametrize("op", ["mul_", "div_", "pow_", "atan2_", "addcmul_"])
def test_an_in_place_op_reading_its_own_operand_is_the_version_error(op):
    def run(lib):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = a * 2
        getattr(y, op)(y, y) if op == "addcmul_" else getattr(y, op)(y)
        y.sum().backward()
        return a.grad
    _same(run)


def test_an_in_place_op_on_an_unfold_view_reading_it_is_the_version_error():
    def run(lib):
        y = lib.arange(12., requires_grad=True).view(3, 4) * 2
        u = y.unfold(1, 2, 2)
        u.mul_(u)
        y.sum().backward()
    _same(run)


_MULTI_OUTPUT_CASES = {
    "split": lambda lib, a: (a * 1).split(2)[1].mul_(2),
    "split_sizes": lambda lib, a: (a * 1).split([1, 3])[1].mul_(2),
    "chunk": lambda lib, a: lib.chunk(a * 1, 2)[0].add_(1),
    "unbind": lambda lib, a: (a * 1).unbind(1)[2].zero_(),
    "leaf_split": lambda lib, a: a.split(2)[0].mul_(2),
    "select_of_split": lambda lib, a: (a * 1).split(2)[0][0].mul_(2),
    "view_of_split": lambda lib, a: (a * 1).split(2)[0].view(6).mul_(2),
    "setitem_on_split": lambda lib, a: (a * 1).split(2)[0].__setitem__(0, 5.),
    "value_requires_grad": lambda lib, a: lib.ones(4).split(2)[0].mul_(lib.ones(2, requires_grad=True)),
    "iteration": lambda lib, a: [row.mul_(2) for row in a * 1],
    "relu_inplace": lambda lib, a: lib.nn.functional.relu((a * 1).unbind(0)[0], inplace=True),
    "tensor_split_allowed": lambda lib, a: (a * 1).tensor_split(2)[0].mul_(2).sum(),
    "detached_allowed": lambda lib, a: (a * 1).split(2)[0].detach().mul_(2).sum(),
    "names": lambda lib, a: ((a * 1).split([1, 3])[0].grad_fn.name(), a.chunk(2)[1].grad_fn.name(),
                             next(iter(a * 1)).grad_fn.name()),
}


@pytest.mark.parametrize("case", sorted(_MULTI_OUTPUT_CASES))
def test_outputs_of_multiple_view_functions_refuse_in_place_ops(case):
    _same(lambda lib: _MULTI_OUTPUT_CASES[case](lib, lib.ones(4, 3, requires_grad=True)))


@pytest.mark.parametrize("case", ["leaf_view_scalar", "view_value_requires_grad", "plain_base", "view_of_view",
                                  "inside_no_grad", "requires_grad_and_gradient"])
def test_views_made_in_no_grad_mode(case):
    def run(lib):
        a = lib.ones(3, requires_grad=True)
        w = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            v = a[0:2]
            plain = lib.ones(3)[0:2]
            vv = (a * 1)[0:2][0:1]
        if case == "leaf_view_scalar":
            v.mul_(2)
        elif case == "view_value_requires_grad":
            (a * 1)[0:2].mul_(w)  # made with grad mode on: allowed
            with lib.no_grad():
                u = (a * 1)[0:2]
            u.mul_(w)
        elif case == "plain_base":
            plain.mul_(w)
        elif case == "view_of_view":
            vv.mul_(w[:1])
        elif case == "inside_no_grad":
            with lib.no_grad():
                v.mul_(2)
            return a, v.requires_grad
        else:
            z = v * 2
            z.sum().backward()
            return v.requires_grad, v.is_leaf, z.requires_grad, a.grad, v.grad
    _same(run)


def test_t_of_a_vector_is_a_view():
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        s = lib.tensor(2.0, requires_grad=True)
        return x.t() is x, x.t().grad_fn.name(), s.t().grad_fn.name()
    _same(run)


# ---------------------------------------------------------------------------- a leaf's .grad
@pytest.mark.parametrize("case", ["transposed", "permuted", "sliced", "expanded", "twice", "grad_transposed"])
def test_leaf_grad_layout_follows_the_gradient_layout_contract(case):
    def run(lib):
        if case == "transposed" or case == "twice":
            x = lib.arange(12.).view(3, 4).t().requires_grad_()
        elif case == "permuted":
            x = lib.arange(24.).view(2, 3, 4).permute(2, 0, 1).requires_grad_()
        elif case == "sliced":
            x = lib.arange(12.).view(3, 4)[:, ::2].requires_grad_()
        elif case == "expanded":
            x = lib.ones(1, 3).expand(2, 3).requires_grad_()
        else:
            x = lib.ones(2, 3, requires_grad=True)
            (x * 2).backward(lib.ones(3, 2).t())
            return x.grad.stride(), x.grad
        (x * 2).sum().backward()
        if case == "twice":
            (x * 3).sum().backward()
        return x.grad.stride(), x.grad
    _same(run)


def test_leaf_grad_accumulates_in_place():
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        (x * 2).sum().backward()
        g = x.grad
        view = g[0:2]
        version = g._version
        (x * 2).sum().backward()
        y = x * 1
        y.grad = lib.ones(3)
        return x.grad is g, view, g._version - version, y.grad
    _same(run)


@pytest.mark.parametrize("case", ["view_output", "input_as_is", "several_outputs", "not_recorded_no_grad",
                                  "not_recorded_value_requires_grad", "not_recorded_allowed"])
def test_views_returned_by_a_custom_function_refuse_in_place_ops(case):
    def run(lib):
        class View(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x if case == "input_as_is" else x[0:2]

            @staticmethod
            def backward(ctx, g):
                return g if case == "input_as_is" else lib.cat([g, g[:1]])

        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.view(3, 1), x * 2

            @staticmethod
            def backward(ctx, g, h):
                return g.view(3) * 2 + h

        x = lib.ones(3, requires_grad=True)
        if case == "several_outputs":
            y, z = Two.apply(x)
            z.mul_(2)
            y[0].mul_(2)
        elif case == "not_recorded_no_grad":
            with lib.no_grad():
                y = View.apply(x)
            y.mul_(2)
        elif case == "not_recorded_value_requires_grad":
            View.apply(lib.ones(3)).mul_(lib.ones(2, requires_grad=True))
        elif case == "not_recorded_allowed":
            base = lib.ones(3)
            View.apply(base).mul_(2)
            return base
        else:
            View.apply(x).mul_(2)
    _same(run)


# ---------------------------------------------------------------------------- hooks on graph nodes
@pytest.mark.parametrize("case", ["log", "post_replaces", "pre_replaces", "post_wrong_count", "pre_wrong_count",
                                  "pre_not_tuple", "post_not_tuple", "post_wrong_size", "removed", "accumulate_grad",
                                  "create_graph", "several_outputs", "with_tensor_hooks"])
def test_node_hooks(case):
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        w = lib.full((3,), 2.0, requires_grad=True)
        y = x * w
        log = []
        node = y.grad_fn
        if case == "log":
            node.register_prehook(lambda go: log.append(("pre", go)))
            node.register_hook(lambda gi, go: log.append(("post", gi, go)))
        elif case == "post_replaces":
            node.register_hook(lambda gi, go: (gi[0] * 10, None))
        elif case == "pre_replaces":
            node.register_prehook(lambda go: (go[0] * 100,))
        elif case == "post_wrong_count":
            node.register_hook(lambda gi, go: (gi[0],))
        elif case == "pre_wrong_count":
            node.register_prehook(lambda go: (go[0], go[0]))
        elif case == "pre_not_tuple":
            node.register_prehook(lambda go: go[0])
        elif case == "post_not_tuple":
            node.register_hook(lambda gi, go: 3)
        elif case == "post_wrong_size":
            node.register_hook(lambda gi, go: (gi[0][:2], None))
        elif case == "removed":
            node.register_hook(lambda gi, go: log.append("called")).remove()
            node.metadata["key"] = 1
            log.append(dict(node.metadata))
        elif case == "accumulate_grad":
            y = x * 3
            accumulator = y.grad_fn.next_functions[0][0]
            accumulator.register_prehook(lambda go: (go[0] * 7,))
            accumulator.register_hook(lambda gi, go: log.append(("acc", gi, go)))
        elif case == "create_graph":
            y = x.exp()
            y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
            g, = lib.autograd.grad(y.sum(), x, create_graph=True)
            return g, g.requires_grad
        elif case == "several_outputs":
            class Two(lib.autograd.Function):
                @staticmethod
                def forward(ctx, a):
                    return a * 2, a * 3

                @staticmethod
                def backward(ctx, ga, gb):
                    return ga + gb
            a, b = Two.apply(x)
            a.grad_fn.register_prehook(lambda go: log.append(("pre", go)))
            a.grad_fn.register_hook(lambda gi, go: log.append(("post", gi, go)))
            y = a + b
        else:
            y.register_hook(lambda g: log.append(("tensor", g)) or g * 2)
            node.register_prehook(lambda go: log.append(("pre", go)))
            y.retain_grad()
        y.sum().backward()
        return log, x.grad, w.grad, y.grad if case == "with_tensor_hooks" else None
    _same(run)


# ---------------------------------------------------------------------------- autograd.functional
def _vec(lib):
    return lib.tensor([0.5, -1.2, 2.0], dtype=lib.float64)


_FUNCTIONAL_CASES = {
    "list_inputs": lambda lib, F: F.jacobian(lambda x: x * 2, [_vec(lib)]),
    "list_outputs": lambda lib, F: F.jacobian(lambda x: [x], _vec(lib)),
    "list_v": lambda lib, F: F.vjp(lambda x: x, _vec(lib), [lib.ones(3)]),
    "jacobian_independent": lambda lib, F: F.jacobian(lambda x, y: x * 2, (_vec(lib), _vec(lib)), strict=True),
    "jacobian_second_output": lambda lib, F: F.jacobian(lambda x, y: (x * y, y * 3), (_vec(lib), _vec(lib)),
                                                        strict=True),
    "jacobian_create_graph_linear": lambda lib, F: F.jacobian(lambda x: x * 2, _vec(lib), strict=True,
                                                              create_graph=True),
    "vjp_independent": lambda lib, F: F.vjp(lambda x, y: (x * 2).sum(), (_vec(lib), _vec(lib)), strict=True),
    "hessian_linear": lambda lib, F: F.hessian(lambda x: x.sum() * 2, _vec(lib), strict=True),
    "hessian_independent": lambda lib, F: F.hessian(lambda x, y: (x ** 3).sum(), (_vec(lib), _vec(lib)),
                                                    strict=True),
    "hessian_create_graph": lambda lib, F: F.hessian(lambda x: (x ** 2).sum(), _vec(lib), strict=True,
                                                     create_graph=True),
    "vhp_linear": lambda lib, F: F.vhp(lambda x: x.sum(), _vec(lib), lib.ones(3, dtype=lib.float64), strict=True),
    "vhp_create_graph": lambda lib, F: F.vhp(lambda x: (x ** 2).sum(), _vec(lib), lib.ones(3, dtype=lib.float64),
                                             strict=True, create_graph=True),
    "hvp_create_graph": lambda lib, F: F.hvp(lambda x: (x ** 2).sum(), _vec(lib), lib.ones(3, dtype=lib.float64),
                                             strict=True, create_graph=True),
    "hvp_independent": lambda lib, F: F.hvp(lambda x, y: (x ** 3).sum(), (_vec(lib), _vec(lib)),
                                            (lib.ones(3, dtype=lib.float64),) * 2, strict=True),
    "jvp_independent": lambda lib, F: F.jvp(lambda x, y: x * 2, (_vec(lib), _vec(lib)),
                                            (lib.ones(3, dtype=lib.float64),) * 2, strict=True),
    "jvp_linear": lambda lib, F: F.jvp(lambda x: x * 2, _vec(lib), lib.ones(3, dtype=lib.float64), strict=True),
}


@pytest.mark.parametrize("case", sorted(_FUNCTIONAL_CASES))
def test_autograd_functional_checks(case):
    _same(lambda lib: _FUNCTIONAL_CASES[case](lib, lib.autograd.functional), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- legacy Variable, graph utilities
@pytest.mark.parametrize("case", ["alias", "computed", "empty_and_volatile", "not_a_tensor", "integer"])
def test_variable_makes_a_leaf_sharing_the_data(case):
    def run(lib):
        variable = lib.autograd.Variable
        x = lib.ones(2)
        if case == "alias":
            v = variable(x, requires_grad=True)
            (v * 3).sum().backward()
            x.add_(1)
            return (v is x, v.requires_grad, x.requires_grad, isinstance(x, variable), v.is_leaf, v.grad, v,
                    v._version)
        if case == "computed":
            w = variable(lib.ones(2, requires_grad=True) * 2)
            return w.requires_grad, w.grad_fn is None, w.is_leaf
        if case == "empty_and_volatile":
            return variable(), variable(x, volatile=True)
        if case == "not_a_tensor":
            return variable([1.0, 2.0])
        return variable(lib.ones(2, dtype=lib.long), requires_grad=True)
    _same(run)


def test_increment_version_and_save_on_cpu():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        y = x * 1
        z = y * x
        lib.autograd.graph.increment_version(y)
        with lib.autograd.graph.save_on_cpu(pin_memory=True):
            q = (x * 2).exp()
        q.sum().backward()
        first = x.grad.clone()
        z.sum().backward()
        return first
    _same(run)


# ---------------------------------------------------------------------------- what nodes save
_SAVING_OPS = {
    "advanced_index": lambda lib, x: x[[0, 2]],
    "gather": lambda lib, x: x.gather(1, lib.tensor([[0], [1], [2]])),
    "masked_select": lambda lib, x: x.masked_select(x.detach() > 0),
    "sort": lambda lib, x: x.sort(1)[0],
    "topk": lambda lib, x: x.topk(2)[0],
    "index_select": lambda lib, x: x.index_select(0, lib.tensor([0, 2])),
    "cummax": lambda lib, x: x.cummax(1)[0],
    "reflection_pad": lambda lib, x: lib.nn.functional.pad(x.unsqueeze(0), (1, 1), mode="reflect"),
    "replication_pad": lambda lib, x: lib.nn.functional.pad(x.unsqueeze(0), (1, 1), mode="replicate"),
    "circular_pad": lambda lib, x: lib.nn.functional.pad(x.unsqueeze(0), (1, 1), mode="circular"),
    "avg_pool2d": lambda lib, x: lib.nn.functional.avg_pool2d(x.unsqueeze(0), 2),
    "max_pool2d": lambda lib, x: lib.nn.functional.max_pool2d(x.unsqueeze(0), 2),
    "adaptive_avg_pool2d": lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x.unsqueeze(0), 1),
    "leaky_relu": lambda lib, x: lib.nn.functional.leaky_relu(x),
    "hardtanh": lambda lib, x: lib.nn.functional.hardtanh(x),
    "maximum": lambda lib, x: lib.maximum(x, lib.zeros(4, dtype=lib.float64)),
    "var": lambda lib, x: x.var(1),
    "std": lambda lib, x: x.std(),
    "kron": lambda lib, x: lib.kron(x, lib.ones(2, 2, dtype=lib.float64, requires_grad=True)),
    "addcmul_constant_factor": lambda lib, x: lib.addcmul(lib.zeros(4, dtype=lib.float64), x, lib.ones(4)),
    "addcdiv_divisor": lambda lib, x: lib.addcdiv(lib.zeros(4, dtype=lib.float64), lib.ones(4), x),
    "sin": lambda lib, x: x.sin(),
    "reciprocal": lambda lib, x: x.reciprocal(),
    "deg2rad": lambda lib, x: x.deg2rad(),
    "batch_norm": lambda lib, x: lib.nn.functional.batch_norm(x, None, None, training=True),
    "layer_norm": lambda lib, x: lib.nn.functional.layer_norm(x, (4,)),
    "group_norm": lambda lib, x: lib.nn.functional.group_norm(x.unsqueeze(0), 3),
}


@pytest.mark.parametrize("mode", ["second_backward", "changed_input"])
@pytest.mark.parametrize("op", sorted(_SAVING_OPS))
def test_what_a_node_saves_for_backward(op, mode):
    def run(lib):
        x = lib.tensor([[0.5, -1.2, 2.0, 0.1], [1.5, 0.3, -0.7, 0.9], [0.2, 0.4, -0.3, 1.1]], dtype=lib.float64,
                       requires_grad=True)
        if mode == "second_backward":  # on the leaf itself: its node is the first to run
            total = _SAVING_OPS[op](lib, x).sum()
            total.backward()
            total.backward()
            return x.grad
        y = x * 1
        total = _SAVING_OPS[op](lib, y).sum()
        y.add_(1)
        total.backward()
        return x.grad
    _same(run)


@pytest.mark.parametrize("op", ["tan", "expm1", "reciprocal", "sin", "leaky_relu_", "elu_", "hardtanh_"])
def test_what_a_node_saves_of_its_result(op):
    def run(lib):
        x = lib.tensor([0.5, -0.3, 0.2], requires_grad=True)
        y = x * 1
        if op.endswith("_"):
            z = getattr(lib.nn.functional, op[:-1])(y, inplace=True)
        else:
            z = getattr(y, op)()
        z.add_(1)
        z.sum().backward()
        return x.grad
    _same(run)
