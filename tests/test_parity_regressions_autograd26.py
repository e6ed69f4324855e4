"""Autograd differences from PyTorch found in the twenty-sixth session, each compared with torch.

* the nodes whose backward is an error (PyTorch's Error, made by DelayedError, and NotImplemented): their names,
  their next_functions (NotImplemented lists only the inputs requiring grad), their messages, forward AD's error,
  and once_differentiable's one Error node for all the gradients of a backward, behind fake leaves.
"""
import numpy as np
import pytest

import torchless
from helpers import assert_same_error

torch = pytest.importorskip("torch")


def _both(fn):
    """fn(lib) for torch and torchless: (torch's result, torchless's)."""
    return fn(torch), fn(torchless)


def _listed(node):
    """next_functions as names: the node's class name (None for an edge without a node) and the output index."""
    return [(None if n is None else type(n).__name__, i) for n, i in node.next_functions]


def _node_view(tensor):
    node = tensor.grad_fn
    return type(node).__name__, node.name(), _listed(node)


def _backward_error(tensor):
    try:
        tensor.sum().backward()
    except Exception as error:  # noqa: BLE001 - compared with torch's
        return type(error).__name__, str(error)
    return None


# ---------------------------------------------------------------------------- nodes whose backward raises
_NOT_IMPLEMENTED_OPS = {
    "floordiv_number": lambda lib, x, y: x // 2,
    "rfloordiv_number": lambda lib, x, y: 2 // x,
    "floordiv_constant": lambda lib, x, y: x // lib.tensor(2.0),
    "rfloordiv_constant": lambda lib, x, y: lib.tensor(2.0) // x,
    "floordiv_both": lambda lib, x, y: x // y,
    "floor_divide": lambda lib, x, y: lib.floor_divide(x, 3),
    "rmod_number": lambda lib, x, y: 2 % x,
    "remainder_number": lambda lib, x, y: lib.remainder(2, x),
    "heaviside": lambda lib, x, y: lib.heaviside(x, y),
    "heaviside_constant_values": lambda lib, x, y: lib.heaviside(x, lib.tensor(0.5)),
    "heaviside_constant_input": lambda lib, x, y: lib.heaviside(lib.tensor([0.0, 1.0, -1.0]), y),
    "detach_copy": lambda lib, x, y: lib.detach_copy(x),
    "native_channel_shuffle": lambda lib, x, y: lib.native_channel_shuffle(x.reshape(1, 3, 1), 3),
    "native_channel_shuffle_leaf": lambda lib, x, y: lib.native_channel_shuffle(
        lib.ones(2, 4, 2, requires_grad=True), 2),
    "scatter_number": lambda lib, x, y: x.scatter(0, lib.tensor([0]), 2.0, reduce="multiply"),
}


@pytest.mark.parametrize("op", _NOT_IMPLEMENTED_OPS)
def test_not_implemented_node_name_edges_and_error(op):
    def run(lib):
        x = lib.tensor([1.5, -2.0, 3.0], requires_grad=True)
        y = lib.tensor([0.5, 2.0, -1.0], requires_grad=True)
        out = _NOT_IMPLEMENTED_OPS[op](lib, x, y)
        return _node_view(out), out.requires_grad, _backward_error(out)

    expected, actual = _both(run)
    assert actual == expected


@pytest.mark.parametrize("op", ["detach_copy", "native_channel_shuffle", "floordiv_number", "heaviside"])
def test_not_implemented_forward_ad_error(op):
    def run(lib):
        x = lib.tensor([1.5, -2.0, 3.0])
        with lib.autograd.forward_ad.dual_level():
            dual = lib.autograd.forward_ad.make_dual(x, lib.ones_like(x))
            return _NOT_IMPLEMENTED_OPS[op](lib, dual, dual)

    assert_same_error(lambda: run(torch), lambda: run(torchless))


def test_set_node_lists_its_source_even_without_grad():
    # set_ has a derivatives.yaml entry (not_implemented): its node lists every input, as the others' do not
    def run(lib):
        z = lib.zeros(3, requires_grad=True).clone()
        z.set_(lib.ones(3))
        return _node_view(z), _backward_error(z)

    expected, actual = _both(run)
    assert actual == expected


def test_scatter_reduce_double_backward_is_an_error_node():
    def run(lib):
        a = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=lib.float64, requires_grad=True)
        src = lib.tensor([0.0, 0.0, 1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        out = a.scatter_reduce(0, lib.tensor([0, 0, 1, 1, 2]), src, "prod", include_self=False)
        grad, = lib.autograd.grad(out.sum(), src, create_graph=True)
        return _node_view(grad), grad.detach().tolist(), _backward_error(grad)

    expected, actual = _both(run)
    assert actual == expected


def _once_differentiable_functions(lib):
    class OneGradient(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad):
            return grad * 3, None

    class TwoGradients(OneGradient):
        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad):
            return grad * 3, grad * 4

    class Single(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad):
            return grad * 3

    return {"one": OneGradient, "two": TwoGradients, "single": Single}


@pytest.mark.parametrize("kind", ["one", "two", "single"])
def test_once_differentiable_gradients_share_one_error_node(kind):
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        fn = _once_differentiable_functions(lib)[kind]
        inputs = (x,) if kind == "single" else (x, y)
        out = fn.apply(*inputs)
        grads = lib.autograd.grad((out ** 2).sum(), inputs, create_graph=True, allow_unused=True)
        gx = grads[0]
        leaves = [n.variable for n, _ in gx.grad_fn.next_functions if n is not None]
        shared = [g is None or g.grad_fn is gx.grad_fn for g in grads]
        values = [None if g is None else g.detach().tolist() for g in grads]
        return (_node_view(gx), shared, [g is None or g.requires_grad for g in grads], values,
                [leaf is x or leaf is y for leaf in leaves], [leaf.is_leaf for leaf in leaves], _backward_error(gx))

    expected, actual = _both(run)
    assert actual == expected


def test_once_differentiable_without_create_graph_records_nothing():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        out = _once_differentiable_functions(lib)["single"].apply(x)
        grad, = lib.autograd.grad((out ** 2).sum(), x)
        return grad.requires_grad, grad.grad_fn is None, grad.tolist()

    expected, actual = _both(run)
    assert actual == expected


def test_delayed_error_value_is_unchanged():
    # an independent check of the values passed through: d/dx sum((3x)^2)... via once_differentiable's 3 * grad
    x = torchless.tensor([1.0, -2.0], dtype=torchless.float64, requires_grad=True)
    out = _once_differentiable_functions(torchless)["single"].apply(x)
    grad, = torchless.autograd.grad((out ** 2).sum(), x, create_graph=True)
    np.testing.assert_allclose(grad.detach().numpy(), 3 * 2 * (2 * np.array([1.0, -2.0])))


# ---------------------------------------------------------------------------- grad_fn of a view autograd refuses
def _stale_no_grad_view(lib):
    base = lib.randn(3, 2, requires_grad=True).clone()
    with lib.no_grad():
        view = base[:2]
    base.mul_(2)
    return view


def _stale_no_grad_view_changed_in_no_grad(lib):
    base = lib.randn(3, 2, requires_grad=True).clone()
    with lib.no_grad():
        view = base[:2]
        base.mul_(2)
    return view


def _stale_no_grad_view_of_leaf(lib):
    leaf = lib.randn(3, 2, requires_grad=True)
    with lib.no_grad():
        view = leaf[:2]
        leaf.mul_(2)
    return view


def _stale_no_grad_view_by_sibling(lib):
    base = lib.randn(3, 2, requires_grad=True).clone()
    with lib.no_grad():
        view = base[:2]
    base[1:].mul_(2)
    return view


def _stale_view_of_no_grad_view(lib):
    base = lib.randn(3, 2, requires_grad=True).clone()
    with lib.no_grad():
        view = base[:2]
    inner = view[0]
    base.mul_(2)
    return inner


def _stale_unbind_piece(lib):
    base = lib.randn(3, 2, requires_grad=True).clone()
    pieces = base.unbind(0)
    base.mul_(2)
    return pieces[0]


def _stale_split_piece(lib):
    base = lib.randn(3, 2, requires_grad=True).clone()
    pieces = base.split(1)
    with lib.no_grad():
        base.add_(1)
    return pieces[1]


def _stale_custom_function_view(lib):
    class Identity(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.view_as(x)

        @staticmethod
        def backward(ctx, grad):
            return grad

    base = lib.randn(3, 2, requires_grad=True).clone()
    view = Identity.apply(base)
    base.mul_(2)
    return view


def _stale_view_of_base_without_grad(lib):
    base = lib.randn(3, 2)
    with lib.no_grad():
        view = base[:2]
    base.mul_(2)
    return view


def _unchanged_no_grad_view(lib):
    base = lib.randn(3, 2, requires_grad=True).clone()
    with lib.no_grad():
        view = base[:2]
    return view


_VIEWS = [_stale_no_grad_view, _stale_no_grad_view_changed_in_no_grad, _stale_no_grad_view_of_leaf,
          _stale_no_grad_view_by_sibling, _stale_view_of_no_grad_view, _stale_unbind_piece, _stale_split_piece,
          _stale_custom_function_view, _stale_view_of_base_without_grad, _unchanged_no_grad_view]


def _described(fn):
    try:
        value = fn()
    except Exception as error:  # noqa: BLE001 - compared with torch's
        return type(error).__name__, str(error).replace("torchless.", "torch.")
    return "ok", None if value is None else type(value).__name__


@pytest.mark.parametrize("make", _VIEWS, ids=lambda f: f.__name__.lstrip("_"))
def test_grad_fn_read_on_view_autograd_refuses(make):
    def run(lib):
        view = make(lib)
        return [_described(lambda: view.grad_fn), _described(lambda: view.grad_fn),
                _described(lambda: view.is_leaf), _described(lambda: view.requires_grad),
                _described(lambda: view.detach())]

    expected, actual = _both(run)
    assert actual == expected


def test_grad_fn_is_read_only():
    def run(lib):
        out = lib.ones(2, requires_grad=True) * 2
        results = []
        for action in (lambda: setattr(out, "grad_fn", None), lambda: delattr(out, "grad_fn")):
            results.append(_described(action))
        return results, type(out.grad_fn).__name__

    expected, actual = _both(run)
    assert actual == expected


# ---------------------------------------------------------------------------- hooks on outputs backward does not reach
_SEVERAL_OUTPUTS = {
    "unbind_first": (lambda lib, x: x.unbind(0), lambda outs: outs[0].sum()),
    "unbind_ends": (lambda lib, x: x.unbind(0), lambda outs: (outs[0] * outs[2]).sum()),
    "split_last": (lambda lib, x: x.split(2, 1), lambda outs: outs[1].sum()),
    "chunk_last": (lambda lib, x: x.chunk(3, 0), lambda outs: outs[2].sum()),
    "svd_values": (lambda lib, x: lib.linalg.svd(x, full_matrices=False), lambda outs: outs[1].sum()),
    "qr_r": (lambda lib, x: lib.linalg.qr(x.T), lambda outs: outs[1].sum()),
    "custom_function": (lambda lib, x: _two_outputs(lib).apply(x), lambda outs: outs[0].sum()),
    "unbind_and_input": (lambda lib, x: x.unbind(0), lambda outs: outs[1].sum() + outs[1].sum()),
}


def _two_outputs(lib):
    class TwoOutputs(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2, a * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + (0 if g2 is None else g2 * 3)

    return TwoOutputs


def _hook_calls(lib, case, order, create_graph=False):
    make, use = _SEVERAL_OUTPUTS[case]
    x = lib.tensor(np.sin(np.arange(12.0) ** 2).reshape(3, 4), dtype=lib.float64, requires_grad=True)  # (full rank)
    outs = make(lib, x)
    calls = []
    for index in order(len(outs)):
        outs[index].register_hook(lambda g, i=index: calls.append((i, None if g is None else g.detach().tolist())))
    grad, = lib.autograd.grad(use(outs), x, create_graph=create_graph)
    return calls, grad.detach().tolist()


@pytest.mark.parametrize("case", _SEVERAL_OUTPUTS)
@pytest.mark.parametrize("order", [lambda n: range(n), lambda n: reversed(range(n))], ids=["ascending", "descending"])
def test_hooks_on_unreached_outputs_get_none_in_registration_order(case, order):
    expected, actual = _both(lambda lib: _hook_calls(lib, case, order))
    assert actual[0] == expected[0]
    np.testing.assert_allclose(actual[1], expected[1], rtol=1e-10)


def test_hooks_on_unreached_outputs_under_create_graph():
    expected, actual = _both(lambda lib: _hook_calls(lib, "unbind_first", lambda n: range(n), create_graph=True))
    assert actual == expected


def test_hook_replacing_a_none_gradient_is_an_error_and_runs_in_order():
    def run(lib):
        x = lib.ones(3, 4, requires_grad=True)
        a, b, c = x.unbind(0)
        calls = []
        c.register_hook(lambda g: calls.append(("c", g)))
        b.register_hook(lambda g: lib.ones(4))
        a.register_hook(lambda g: calls.append(("a", g)))
        return _described(lambda: a.sum().backward()), calls

    expected, actual = _both(run)
    assert actual == expected


def test_hooked_output_keeps_retained_gradient_after_its_hook():
    def run(lib):
        x = lib.ones(3, 4, requires_grad=True)
        a, b, c = x.unbind(0)
        b.retain_grad()
        b.register_hook(lambda g: g * 10)
        a.register_hook(lambda g: None)
        calls = []
        c.register_hook(lambda g: calls.append(g))
        (a.sum() + 2 * b.sum()).backward()
        return b.grad.tolist(), x.grad.tolist(), calls

    expected, actual = _both(run)
    assert actual == expected


# ---------------------------------------------------------------------------- eigh: one node for both outputs
_SYMMETRIC = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]])


def _eigh_outputs(lib, uplo="L"):
    x = lib.tensor(_SYMMETRIC + np.tril(np.ones((3, 3)), -1) * 0.25, dtype=lib.float64, requires_grad=True)
    return x, lib.linalg.eigh(x * 1.5, UPLO=uplo)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_outputs_share_one_node(uplo):
    def run(lib):
        _, (values, vectors) = _eigh_outputs(lib, uplo)
        node = values.grad_fn
        return (node is vectors.grad_fn, type(node).__name__, _listed(node), values.output_nr, vectors.output_nr)

    expected, actual = _both(run)
    assert actual == expected


@pytest.mark.parametrize("use", ["values", "vectors", "both"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_eigh_gradients_from_either_output(use, create_graph):
    def run(lib):
        x, (values, vectors) = _eigh_outputs(lib)
        calls = []
        values.register_hook(lambda g: calls.append(("values", g is None)))
        vectors.register_hook(lambda g: calls.append(("vectors", g is None)))
        weights = lib.tensor(np.arange(9.0).reshape(3, 3) / 9, dtype=lib.float64)
        # (vectors enter through a sign-invariant function: the eigenvectors' signs are LAPACK's choice)
        loss = {"values": lambda: (values ** 2).sum(), "vectors": lambda: ((vectors * vectors) * weights).sum(),
                "both": lambda: (values ** 2).sum() + ((vectors * vectors) * weights).sum()}[use]()
        grad, = lib.autograd.grad(loss, x, create_graph=create_graph)
        second = None
        if create_graph:
            second = lib.autograd.grad((grad ** 2).sum(), x)[0].tolist()
        return calls, grad.tolist(), second

    expected, actual = _both(run)
    assert actual[0] == expected[0]
    np.testing.assert_allclose(actual[1], expected[1], rtol=1e-8, atol=1e-10)
    if create_graph:
        np.testing.assert_allclose(actual[2], expected[2], rtol=1e-7, atol=1e-9)


def test_eigh_forward_ad_and_vmap():
    def run(lib):
        fw = lib.autograd.forward_ad
        tangent = lib.tensor([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0], [0.5, 0.0, 0.0]], dtype=lib.float64)
        with fw.dual_level():
            values, vectors = lib.linalg.eigh(fw.make_dual(lib.tensor(_SYMMETRIC), tangent))
            value_tangent = fw.unpack_dual(values).tangent.tolist()
            vector_tangent = (fw.unpack_dual(vectors).tangent * vectors.detach()).sum(0).tolist()  # (sign-free)
        batched = lib.func.vmap(lib.linalg.eigh)(lib.tensor(np.stack([_SYMMETRIC, 2 * _SYMMETRIC])))
        return value_tangent, vector_tangent, batched[0].tolist()

    expected, actual = _both(run)
    for theirs, ours in zip(expected, actual):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- frexp's mantissa is differentiable
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_frexp_mantissa_gradient(dtype):
    values = np.array([[0.5, 3.0, 0.0], [-7.0, 1e-3, 1.0e4]])

    def run(lib):
        x = lib.tensor(values, dtype=getattr(lib, dtype)).t().requires_grad_()
        mantissa, exponent = lib.frexp(x)
        node = mantissa.grad_fn
        shown = (type(node).__name__, _listed(node), node._saved_exponent.tolist(), exponent.requires_grad,
                 mantissa.stride())
        weights = lib.arange(6.0).reshape(3, 2).to(x.dtype)
        grad, = lib.autograd.grad((mantissa * weights).sum(), x)
        return shown, grad.dtype == x.dtype, grad.tolist()

    expected, actual = _both(run)
    assert actual == expected
    # an independent check: d mantissa / dx = 2 ** -exponent
    _, exponents = np.frexp(values.T)
    np.testing.assert_allclose(actual[-1], np.arange(6.0).reshape(3, 2) / 2.0 ** exponents)


def test_frexp_mantissa_forward_ad_and_no_grad():
    def run(lib):
        fw = lib.autograd.forward_ad
        x = lib.tensor([0.75, -6.0, 1e-2], dtype=lib.float64)
        with fw.dual_level():
            tangent = fw.unpack_dual(lib.frexp(fw.make_dual(x, lib.ones_like(x)))[0]).tangent.tolist()
        with lib.no_grad():
            recorded = lib.frexp(x.clone().requires_grad_())[0].requires_grad
        return tangent, recorded

    expected, actual = _both(run)
    assert actual == expected


# ---------------------------------------------------------------------------- autograd.Function's apply
def _function_classes(lib):
    class Scaled(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b=None, scale=2.0):
            return a * scale + (0 if b is None else b)

        @staticmethod
        def backward(ctx, grad):
            return grad * 2, grad, None

    class KeywordOnly(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, *, scale=2.0):
            return a * scale

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    class WithSetupContext(lib.autograd.Function):
        @staticmethod
        def forward(a, b=None, scale=2.0):
            return a * scale + (0 if b is None else b)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.count = len(inputs)

        @staticmethod
        def backward(ctx, grad):
            return grad * 2, grad, None

    return Scaled, KeywordOnly, WithSetupContext


_KEYWORD_CALLS = {
    "after_positional": lambda S, K, W, x, c: S.apply(x, c, scale=3.0),
    "gap": lambda S, K, W, x, c: S.apply(x, scale=3.0),
    "first_by_name": lambda S, K, W, x, c: S.apply(a=x),
    "all_by_name": lambda S, K, W, x, c: S.apply(b=c, a=x),
    "unknown": lambda S, K, W, x, c: S.apply(x, zz=1),
    "twice": lambda S, K, W, x, c: S.apply(x, a=x),
    "keyword_only": lambda S, K, W, x, c: K.apply(x, scale=3.0),
    "setup_context_defaults": lambda S, K, W, x, c: W.apply(x, scale=3.0),
    "setup_context_by_name": lambda S, K, W, x, c: W.apply(a=x, b=c),
}


@pytest.mark.parametrize("call", _KEYWORD_CALLS)
def test_function_apply_keyword_arguments_are_inputs(call):
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 4.0], requires_grad=True)
        out = _described(lambda: _KEYWORD_CALLS[call](*_function_classes(lib), x, c))
        if out[0] != "ok":
            return out
        out = _KEYWORD_CALLS[call](*_function_classes(lib), x, c)
        node = out.grad_fn
        return (out.tolist(), node.needs_input_grad, len(node.next_functions), getattr(node, "count", None),
                _described(lambda: out.sum().backward()), None if x.grad is None else x.grad.tolist())

    expected, actual = _both(run)
    assert actual == expected


def test_function_dirty_input_must_be_returned():
    def run(lib):
        class Doubled(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                a.mul_(2)
                ctx.mark_dirty(a)
                return a * 1

            @staticmethod
            def backward(ctx, grad):
                return grad * 2

        calls = (lambda: Doubled.apply(lib.ones(3)), lambda: Doubled.apply(lib.ones(3, requires_grad=True).clone()),
                 lambda: lib.no_grad()(lambda: Doubled.apply(lib.ones(3, requires_grad=True).clone()))())
        return [_described(call) for call in calls]

    expected, actual = _both(run)
    assert actual == expected


def test_function_returning_an_input_gives_its_view():
    def run(lib):
        class Identity(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a

            @staticmethod
            def backward(ctx, grad):
                return grad * 3

        x = lib.ones(3, requires_grad=True)
        seen = []
        for source in (x, lib.ones(3)):
            out = Identity.apply(source)
            seen.append((out is source, out._base is source, out._is_view(), out.requires_grad))
            seen.append(_described(lambda: out.mul_(2)))
            seen.append(source.tolist())
        with lib.no_grad():
            out = Identity.apply(x)
        seen.append((out is x, out._base is x, out._is_view()))
        out = Identity.apply(x)
        out.sum().backward()
        return seen, x.grad.tolist()

    expected, actual = _both(run)
    assert actual == expected


@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode"])
def test_grad_mode_clone(mode):
    def run(lib):
        switch = getattr(lib, mode)(False) if mode in ("set_grad_enabled", "inference_mode") else getattr(lib, mode)()
        lib.set_grad_enabled(True)
        copy = switch.clone()
        with copy:
            state = lib.is_grad_enabled(), lib.is_inference_mode_enabled()
        return type(copy).__name__, copy is not switch, state, lib.is_grad_enabled()

    expected, actual = _both(run)
    assert actual == expected


# ---------------------------------------------------------------------------- full backward hooks: one node
def test_full_backward_hook_outputs_share_one_node():
    def run(lib):
        class Three(lib.nn.Module):
            def forward(self, a, b):
                return a * 2, b * 3, a + b

        module = Three()
        calls = []
        module.register_full_backward_hook(
            lambda mod, gi, go: calls.append(("hook", [None if g is None else g.tolist() for g in gi],
                                              [None if g is None else g.tolist() for g in go])))
        a, b = lib.ones(2, requires_grad=True), lib.ones(3, 2, requires_grad=True)
        outs = module(a, b)
        node = outs[0].grad_fn
        shown = ([type(t.grad_fn).__name__ for t in outs], [t.grad_fn is node for t in outs],
                 [t.output_nr for t in outs], _listed(node), type(node).__module__.replace("torchless", "torch"))
        outs[1].register_hook(lambda g: calls.append(("out1", g is None)))
        outs[0].register_hook(lambda g: calls.append(("out0", g is None)))
        outs[0].sum().backward()
        in_place = [_described(lambda: module(a, b)[i].add_(1)) for i in range(3)]
        viewed = _described(lambda: module(a, b)[1][0].add_(1))
        single = lib.nn.Linear(2, 2)
        single.register_full_backward_hook(lambda mod, gi, go: None)
        single_viewed = _described(lambda: single(a)[0].add_(1))
        return shown, calls, a.grad.tolist(), in_place, viewed, single_viewed

    expected, actual = _both(run)
    assert actual == expected


def test_removed_hook_on_an_output_leaves_retain_grad_single():
    def run(lib):
        x = lib.ones(3, 4, requires_grad=True)
        a, b, c = x.unbind(0)
        b.register_hook(lambda g: g * 10).remove()
        b.retain_grad()
        calls = []
        a.register_hook(lambda g: calls.append(g is None))
        (a.sum() + 2 * b.sum()).backward()
        return b.grad.tolist(), x.grad.tolist(), calls

    expected, actual = _both(run)
    assert actual == expected
