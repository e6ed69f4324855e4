"""The user-facing autograd API: custom ``autograd.Function``s, ``autograd.grad`` / ``autograd.backward``,
``Tensor.backward(inputs=...)``, ``autograd.functional`` and ``gradcheck``.

Each behaviour is compared with PyTorch where it is installed; the gradients of custom Functions and the
Jacobians are also checked against central differences in float64, which need no PyTorch.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_error, finite_difference_check, numerical_gradients, outcome


def _torch():
    return pytest.importorskip("torch")


def _same(ours, theirs, rtol=1e-6, atol=1e-7):
    """Tensors, None, or nested tuples of them, alike in structure, shape, dtype and values."""
    if theirs is None or isinstance(theirs, (int, float)):
        assert ours == theirs
        return
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b, rtol, atol)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def _both(fn):
    """fn(torch) and fn(torchless), exceptions as Raised, warnings silenced."""
    torch = _torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return outcome(lambda: fn(torch)), outcome(lambda: fn(torchless))


def _assert_same(fn, rtol=1e-6, atol=1e-7):
    theirs, ours = _both(fn)
    if isinstance(theirs, Raised):
        assert ours == (theirs.type, theirs.message.replace("torch.", "torchless.")), ours
    else:
        assert not isinstance(ours, Raised), ours
        _same(ours, theirs, rtol, atol)


# ---------------------------------------------------------------------------- custom Functions
def _functions(lib):
    """The same custom Functions written against ``lib``."""
    Function = lib.autograd.Function

    class ScaledReLU(Function):
        @staticmethod
        def forward(ctx, x, scale=2.0):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x.clamp(min=0) * scale

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (x > 0) * ctx.scale, None

    class SumAndProduct(Function):  # two outputs
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a + b, a * b

        @staticmethod
        def backward(ctx, grad_sum, grad_product):
            a, b = ctx.saved_tensors
            return grad_sum + grad_product * b, grad_sum + grad_product * a

    class Exp(Function):  # saves its output
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    class Mul(Function):  # forward without ctx, and setup_context
        @staticmethod
        def forward(a, b):
            return a * b

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return grad * b, grad * a

    class MaxWithIndex(Function):  # a non-differentiable output
        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            ctx.save_for_backward(x, index)
            return x.max(), index

        @staticmethod
        def backward(ctx, grad, grad_index):
            x, index = ctx.saved_tensors
            result = lib.zeros_like(x)
            result[index] = grad
            return result

    class Broadcasting(Function):  # a gradient larger than the input, which PyTorch sums down
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, grad):
            return grad.expand(4, *grad.shape) * 3 / 4

    class Identity(Function):  # returns its input as it is
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 5

    return {f.__name__: f for f in (ScaledReLU, SumAndProduct, Exp, Mul, MaxWithIndex, Broadcasting, Identity)}


def _values(lib, shape=(2, 3), seed=0, dtype="float64"):
    data = np.random.default_rng(seed).standard_normal(shape)
    return lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, call", [
    ("ScaledReLU", lambda f, a, b: f.apply(a, 3.0)),
    ("ScaledReLU", lambda f, a, b: f.apply(a)),
    ("SumAndProduct", lambda f, a, b: f.apply(a, b)[0] * 2 + f.apply(a, b)[1]),
    ("SumAndProduct", lambda f, a, b: f.apply(a, b)[1]),  # the other output gets zeros
    ("Exp", lambda f, a, b: f.apply(a)),
    ("Mul", lambda f, a, b: f.apply(a, b.detach())),
    ("MaxWithIndex", lambda f, a, b: f.apply(a.reshape(-1))[0]),
    ("Broadcasting", lambda f, a, b: f.apply(a)),
    ("Identity", lambda f, a, b: f.apply(a) * 1),
])
def test_custom_function_values_and_gradients_match_torch(name, call, dtype):
    def run(lib):
        a, b = _values(lib, dtype=dtype), _values(lib, seed=1, dtype=dtype)
        out = call(_functions(lib)[name], a, b)
        (out * out).sum().backward()
        return out, a.grad, b.grad, out.grad_fn.name()

    theirs, ours = _both(run)
    assert not isinstance(ours, Raised), ours
    _same(ours[:3], theirs[:3], rtol=1e-5, atol=1e-6)
    assert ours[3] == theirs[3]


@pytest.mark.parametrize("name, call", [
    ("ScaledReLU", lambda f, a, b: f.apply(a, 3.0) * b),
    ("SumAndProduct", lambda f, a, b: f.apply(a, b)[0] * f.apply(a, b)[1]),
    ("Exp", lambda f, a, b: f.apply(a) + f.apply(b)),
    ("Mul", lambda f, a, b: f.apply(a, b)),
    ("Broadcasting", lambda f, a, b: f.apply(a) * b),
])
def test_custom_function_gradients_match_finite_differences(name, call):
    function = _functions(torchless)[name]
    rng = np.random.default_rng(3)
    # away from ReLU's kink, where a central difference straddles it
    a, b = rng.uniform(0.2, 1.0, (2, 3)) * rng.choice([-1, 1], (2, 3)), rng.standard_normal((2, 3))
    finite_difference_check(lambda x, y: call(function, x, y), [a, b])


def test_custom_function_graph_node_and_context():
    f = _functions(torchless)["ScaledReLU"]
    x = _values(torchless)
    y = f.apply(x, 3.0)
    assert y.requires_grad and y.grad_fn.name() == "ScaledReLUBackward"
    assert y.grad_fn.needs_input_grad == (True, False)
    assert y.grad_fn.saved_tensors[0] is x and y.grad_fn.scale == 3.0
    assert len(y.grad_fn.next_functions) == 1  # one per tensor argument
    with torchless.no_grad():
        assert not f.apply(x).requires_grad
    assert not f.apply(x.detach()).requires_grad
    identity = _functions(torchless)["Identity"]
    out = identity.apply(x)
    assert out is not x and x.grad_fn is None  # the leaf keeps no grad_fn


def test_custom_function_runs_forward_and_backward_without_recording():
    seen = []

    class Probe(torchless.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(("forward", torchless.is_grad_enabled(), x.requires_grad))
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            seen.append(("backward", torchless.is_grad_enabled()))
            return grad * 2

    Probe.apply(_values(torchless)).sum().backward()
    assert seen == [("forward", False, True), ("backward", False)]


def _bad_functions(lib):
    Function = lib.autograd.Function

    def function(name, backward, forward=lambda ctx, a, *rest: a * 2):
        return type(name, (Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward)})

    return {
        "too_many": function("TooMany", lambda ctx, g: (g, g)),
        "extra_nones": function("ExtraNones", lambda ctx, g: (g, None, None)),
        "wrong_shape": function("WrongShape", lambda ctx, g: g.sum() * lib.ones(5)),
        "scalar_for_vector": function("ScalarGrad", lambda ctx, g: g.sum()),
        "grad_for_number": function("GradForNumber", lambda ctx, g: (g, g), lambda ctx, a, n: a * n),
        "not_a_tensor": function("NotATensor", lambda ctx, g: "x"),
        "double_for_float": function("DoubleGrad", lambda ctx, g: g.double()),
        "no_backward": type("NoBackward", (Function,), {"forward": staticmethod(lambda ctx, a: a * 2)}),
    }


@pytest.mark.parametrize("case", ["too_many", "extra_nones", "wrong_shape", "scalar_for_vector", "grad_for_number",
                                  "not_a_tensor", "double_for_float", "no_backward"])
def test_custom_function_backward_results_are_checked_as_torch_checks_them(case):
    def run(lib):
        a = lib.ones(2, requires_grad=True)
        f = _bad_functions(lib)[case]
        out = f.apply(a, 3) if case == "grad_for_number" else f.apply(a)
        out.sum().backward()
        return a.grad

    _assert_same(run)


def test_custom_function_misuse_matches_torch():
    def save_number(lib):
        class SaveNumber(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a, 3)
                return a * 2

        return SaveNumber.apply(lib.ones(2, requires_grad=True))

    def legacy_call(lib):
        return _functions(lib)["Exp"]()(lib.ones(2))

    def no_forward(lib):
        return lib.autograd.Function.apply(lib.ones(2))

    def twice(lib):
        y = _functions(lib)["Exp"].apply(lib.ones(2, requires_grad=True)).sum()
        y.backward()
        y.backward()

    def saved_after_backward(lib):
        y = _functions(lib)["Exp"].apply(lib.ones(2, requires_grad=True))
        y.sum().backward()
        return y.grad_fn.saved_tensors

    for fn in (save_number, legacy_call, no_forward, twice, saved_after_backward):
        theirs, ours = _both(fn)
        assert isinstance(theirs, Raised), fn.__name__
        # torch's own names read as torchless's, but for the address of its documentation
        assert ours.type == theirs.type and ours.message in (theirs.message,
                                                              theirs.message.replace("torch.", "torchless.")), ours


def test_custom_function_saved_tensor_changed_in_place_is_an_error():
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        h = x * 2
        y = _functions(lib)["ScaledReLU"].apply(h)
        h.add_(1)
        y.sum().backward()

    _assert_same(run)


def test_custom_function_materialize_grads_off_passes_none():
    received = []

    class Two(torchless.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(False)
            return a * 1, a * 2

        @staticmethod
        def backward(ctx, g1, g2):
            received.append((g1 is None, g2 is None))
            return g1

    first, _ = Two.apply(torchless.ones(2, requires_grad=True))
    first.sum().backward()
    assert received == [(False, True)]


def test_once_differentiable_and_function_ctx_are_exported():
    from torchless.autograd.function import FunctionCtx, once_differentiable

    class Square(torchless.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = torchless.tensor([1.0, -2.0], requires_grad=True)
    Square.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0])
    assert issubclass(torchless.autograd.Function, FunctionCtx)


# ---------------------------------------------------------------------------- autograd.grad / backward
def _graph(lib):
    x = _values(lib, (3,), seed=4)
    w = _values(lib, (3,), seed=5)
    h = x * w
    return x, w, h, (h ** 2).sum()


@pytest.mark.parametrize("case", [
    lambda lib, x, w, h, y: lib.autograd.grad(y, [h, x]),
    lambda lib, x, w, h, y: lib.autograd.grad(y, x) + (w.grad, x.grad),  # no .grad is touched
    lambda lib, x, w, h, y: lib.autograd.grad([y, h.sum()], [x]),
    lambda lib, x, w, h, y: lib.autograd.grad(h, w, grad_outputs=lib.ones(3, dtype=lib.float64) * 2),
    lambda lib, x, w, h, y: lib.autograd.grad([y, h.sum()], x, grad_outputs=[None, lib.tensor(2.0, dtype=lib.float64)]),
    lambda lib, x, w, h, y: lib.autograd.grad(y, [x, x]),
    lambda lib, x, w, h, y: lib.autograd.grad(y, lib.ones(2, requires_grad=True), allow_unused=True),
    lambda lib, x, w, h, y: lib.autograd.grad(y, lib.ones(2, requires_grad=True), materialize_grads=True),
    lambda lib, x, w, h, y: lib.autograd.grad(y, lib.ones(2, requires_grad=True)),
    lambda lib, x, w, h, y: lib.autograd.grad(y, lib.ones(2, requires_grad=True), allow_unused=False,
                                              materialize_grads=True),
    lambda lib, x, w, h, y: lib.autograd.grad(y, lib.ones(2)),
    lambda lib, x, w, h, y: lib.autograd.grad(y, []),
    lambda lib, x, w, h, y: lib.autograd.grad(h, x),
    lambda lib, x, w, h, y: lib.autograd.grad(y, x, grad_outputs=lib.ones(2)),
    lambda lib, x, w, h, y: lib.autograd.grad([y, y], x, grad_outputs=[lib.tensor(1.0)]),
    lambda lib, x, w, h, y: lib.autograd.grad(lib.ones(2).sum(), x),
    lambda lib, x, w, h, y: lib.autograd.grad(h, x, grad_outputs=lib.ones(4, 3), is_grads_batched=True),
    lambda lib, x, w, h, y: (lib.autograd.grad(y, x), lib.autograd.grad(y, x)),  # the graph was freed
    lambda lib, x, w, h, y: (lib.autograd.grad(y, x, retain_graph=True), lib.autograd.grad(y, w)),
])
def test_grad_matches_torch(case):
    _assert_same(lambda lib: case(lib, *_graph(lib)))


@pytest.mark.parametrize("case", [
    lambda lib, x, w, h, y: (y.backward(inputs=[x]), x.grad, w.grad)[1:],
    lambda lib, x, w, h, y: (y.backward(inputs=[h, w]), h.grad, x.grad, w.grad, h.retains_grad)[1:],
    lambda lib, x, w, h, y: (y.backward(inputs=x), x.grad, w.grad)[1:],
    lambda lib, x, w, h, y: y.backward(inputs=[]),
    lambda lib, x, w, h, y: y.backward(inputs=[lib.ones(2)]),
    lambda lib, x, w, h, y: (lib.autograd.backward([y, h.sum()], inputs=[w]), w.grad, x.grad)[1:],
    lambda lib, x, w, h, y: (lib.autograd.backward(h, grad_tensors=lib.ones(3, dtype=lib.float64)), x.grad)[1:],
    lambda lib, x, w, h, y: lib.autograd.backward([y, h], grad_tensors=[None]),
])
def test_backward_with_inputs_matches_torch(case):
    _assert_same(lambda lib: case(lib, *_graph(lib)))


def test_grad_runs_only_the_part_of_the_graph_leading_to_the_inputs():
    calls = []

    class Counted(torchless.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            calls.append(1)
            return grad * 2

    x, w = _values(torchless, (3,)), _values(torchless, (3,), seed=1)
    y = (Counted.apply(x) * w).sum()
    (gw,) = torchless.autograd.grad(y, w)
    assert calls == [] and x.grad is None and w.grad is None
    np.testing.assert_allclose(gw.numpy(), 2 * x.detach().numpy())


def test_create_graph_records_the_backward_pass():
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        y = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (y ** 3).sum().backward(create_graph=True)
        first = y.grad
        (first * first).sum().backward()  # the graph was retained, the second backward adds to y.grad
        return g.detach(), g.requires_grad, gg, first.requires_grad, first.grad_fn is not None, y.grad.detach()

    _assert_same(run)


# ---------------------------------------------------------------------------- autograd.functional
@pytest.mark.parametrize("case", [
    lambda lib, AF, x, v: AF.vjp(lambda t: t ** 2, x, v),
    lambda lib, AF, x, v: AF.vjp(lambda t: (t ** 2).sum(), x),
    lambda lib, AF, x, v: AF.vjp(lambda t: t ** 2, x),
    lambda lib, AF, x, v: AF.vjp(lambda t: t * 2, x, v[:2]),
    lambda lib, AF, x, v: AF.jacobian(lambda t: (t ** 2).sum(), x),
    lambda lib, AF, x, v: AF.jacobian(lambda t: t.reshape(3, 1) * t.sin(), x),
    lambda lib, AF, x, v: AF.jacobian(lambda a, b: (a * b, a + b), (x, v)),
    lambda lib, AF, x, v: AF.jacobian(lambda t: lib.ones(2, dtype=lib.float64), x),
    lambda lib, AF, x, v: AF.jacobian(lambda t: lib.ones(2), x, strict=True),
    lambda lib, AF, x, v: AF.jacobian(lambda t: 3, x),
    lambda lib, AF, x, v: AF.jvp(lambda t: t ** 2, x, v),
    lambda lib, AF, x, v: AF.jvp(lambda a, b: (a * b).sum(), (x, x), (v, x)),
    lambda lib, AF, x, v: AF.jvp(lambda t: t ** 2, x),
])
def test_autograd_functional_matches_torch(case):
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64)
        v = lib.tensor([1.0, 2.0, -1.0], dtype=lib.float64)
        return case(lib, lib.autograd.functional, x, v)

    _assert_same(run)


def test_jacobian_matches_finite_differences():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal(3)
    f = lambda x, y: (x * y).tanh().sum(dim=0) + y.exp()  # noqa: E731
    ja, jb = torchless.autograd.functional.jacobian(f, (torchless.tensor(a), torchless.tensor(b)))
    for element in range(3):
        def loss(arrays, element=element):
            with torchless.no_grad():
                return float(f(*[torchless.tensor(v) for v in arrays])[element])

        na, nb = numerical_gradients(loss, [a, b])
        np.testing.assert_allclose(ja.numpy()[element], na, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(jb.numpy()[element], nb, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn", ["hessian", "hvp", "vhp"])
def test_second_derivatives_match_torch(fn):
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64)
        args = () if fn == "hessian" else (lib.tensor([1.0, 2.0, -1.0], dtype=lib.float64),)
        return getattr(lib.autograd.functional, fn)(lambda t: (t ** 3 * t.sin()).sum(), x, *args)

    _assert_same(run)


# ---------------------------------------------------------------------------- gradcheck
def test_gradcheck_passes_correct_gradients_of_layers():
    rng = np.random.default_rng(0)
    x = torchless.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = torchless.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    F = torchless.nn.functional
    assert torchless.autograd.gradcheck(lambda a, b: F.conv2d(a, b, stride=2, padding=1), (x, w))
    assert torchless.autograd.gradcheck(lambda a: F.avg_pool2d(a, 2), (x,))


def _wrong_gradient(lib):
    """A Function whose backward is wrong: the derivative of 2a given as 3."""

    class WrongGrad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 3

    return WrongGrad


def test_gradcheck_catches_a_wrong_backward():
    WrongGrad = _wrong_gradient(torchless)
    x = torchless.tensor([0.5, 1.5, -2.0], dtype=torchless.float64, requires_grad=True)
    with pytest.raises(torchless.autograd.GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        torchless.autograd.gradcheck(WrongGrad.apply, (x,))
    assert torchless.autograd.gradcheck(WrongGrad.apply, (x,), raise_exception=False) is False


def test_gradcheck_messages_match_torch():
    def wrong(lib):
        x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        return lib.autograd.gradcheck(_wrong_gradient(lib).apply, (x,))

    def nothing_requires_grad(lib):
        return lib.autograd.gradcheck(lambda t: t * 2, (lib.ones(2, dtype=lib.float64),))

    def detached_output(lib):
        return lib.autograd.gradcheck(lambda t: t.detach() * 2, (lib.ones(2, dtype=lib.float64, requires_grad=True),))

    for fn in (wrong, nothing_requires_grad, detached_output):
        assert_same_error(lambda: fn(_torch()), lambda: fn(torchless))
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision"):
        torchless.autograd.gradcheck(lambda t: (t * 2).sum(), (torchless.ones(2, requires_grad=True),),
                                     raise_exception=False)


@pytest.mark.parametrize("how", ["backward", "grad", "grad_graph"])
def test_leaf_hooks_run_once_on_the_summed_gradient(how):
    def run(lib):
        calls = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: calls.append(g.tolist()))
        y = (x * x + x).sum()  # x reaches the loss three times
        if how == "backward":
            y.backward()
            result = x.grad
        else:
            (result,) = lib.autograd.grad(y, x, create_graph=how == "grad_graph")
        return calls, result.tolist()

    assert run(torchless) == run(_torch())
