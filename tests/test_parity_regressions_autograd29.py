"""Autograd differences from PyTorch found in the twenty-ninth session, each compared with torch.

* nodes no gradient reaches (every edge into them carries None, as from a custom Function's backward returning
  None) run all the same, as PyTorch's engine runs them: tensor, node and AccumulateGrad hooks see None (and may
  not replace it), post-accumulate-grad hooks run, a custom Function's backward runs on materialised zeros (or
  None), and a freed or modified saved tensor on such a path raises PyTorch's error.
* torch.autograd.graph.GradientEdge and get_gradient_edge: edges of leaves, intermediates and outputs of nodes of
  several, as grad's and backward's inputs and outputs, with PyTorch's errors.
* a node grad() does not need leaves what it saved unchecked, even when a gradient reaches it (PyTorch's engine
  skips it before unpacking): an in-place change there is no error.
* autograd.functional: jacobian in forward mode gives lists for a tuple of inputs and names neither the outputs
  nor itself in its TypeError; jvp with create_graph records PyTorch's double-backward trick. A gradient summed to
  a 0-d shape under create_graph is one SumBackward0, as PyTorch's sum_to.
* gradcheck checks that outputs without a graph do not depend on the inputs only when no output has one.
* einsum records PyTorch's graph (the diagonals, permutes, unsqueezes, sums, products, bmm and views it decomposes
  into), with its layouts, gradients and double backward.
"""

import numpy as np
import pytest

import torchless
from helpers import assert_same_graph_outcome

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------------- nodes reached by no gradient
def _first_ignored(lib):
    """A Function whose backward gives its first input no gradient (None)."""
    class FirstIgnored(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * 2 + y

        @staticmethod
        def backward(ctx, grad):
            return None, grad
    return FirstIgnored


def _copied(lib, materialize=True):
    """A Function copying its input whose backward logs what it gets and adds 1 to it."""
    class Copied(lib.autograd.Function):
        log = []

        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            Copied.log.append(None if grad is None else grad.tolist())
            return None if grad is None else grad + 1
    return Copied


def _leaves(lib):
    return lib.tensor([1., 2.], requires_grad=True), lib.tensor([3., 4.], requires_grad=True)


def _hooked_intermediate(lib):
    a, b = _leaves(lib)
    x = a * 3
    log = []
    x.register_hook(lambda g: log.append(("x", g)))
    x.retain_grad()
    _first_ignored(lib).apply(x, b).sum().backward()
    return log, x.grad, a.grad, b.grad


def _node_hooks(lib):
    a, b = _leaves(lib)
    x = a * 3
    log = []
    x.grad_fn.register_prehook(lambda outputs: log.append(("pre", outputs)))
    x.grad_fn.register_hook(lambda inputs, outputs: log.append(("post", inputs, outputs)))
    _first_ignored(lib).apply(x, b).sum().backward()
    return log, a.grad


def _leaf_hooks(lib):
    a, b = _leaves(lib)
    a.grad = lib.tensor([5., 5.])
    log = []
    a.register_hook(lambda g: log.append(("hook", g)))
    a.register_post_accumulate_grad_hook(lambda t: log.append(("post_accumulate", t.grad)))
    _first_ignored(lib).apply(a, b).sum().backward()
    return log, a.grad


def _accumulator_hooks(lib):
    a, b = _leaves(lib)
    x = a * 3
    log = []
    accumulator = x.grad_fn.next_functions[0][0]
    accumulator.register_prehook(lambda outputs: log.append(("pre", outputs)))
    accumulator.register_hook(lambda inputs, outputs: log.append(("post", inputs, outputs)))
    _first_ignored(lib).apply(x, b).sum().backward()
    return log, a.grad


def _function_behind(lib, materialize):
    a, b = _leaves(lib)
    copied = _copied(lib, materialize)
    _first_ignored(lib).apply(copied.apply(a), b).sum().backward()
    return copied.log, a.grad


def _function_behind_graph(lib):
    a, b = _leaves(lib)
    copied = _copied(lib)
    _first_ignored(lib).apply(copied.apply(a), b).sum().backward(create_graph=True)
    return copied.log, a.grad


def _outputs_of_split(lib):
    a, b = _leaves(lib)
    whole = lib.cat([a, b]) * 2
    first, second = whole.split(2)
    log = []
    first.register_hook(lambda g: log.append(("first", g)))
    second.register_hook(lambda g: log.append(("second", g)))
    first.grad_fn.register_prehook(lambda outputs: log.append(("pre", outputs)))
    first.grad_fn.register_hook(lambda inputs, outputs: log.append(("post", inputs, outputs)))
    _first_ignored(lib).apply(first, b).sum().backward()
    return log, a.grad, b.grad


def _replaced_by_tensor_hook(lib, leaf):
    a, b = _leaves(lib)
    x = a if leaf else a * 3
    x.register_hook(lambda g: lib.ones(2))
    _first_ignored(lib).apply(x, b).sum().backward()
    return a.grad


def _replaced_by_prehook(lib):
    a, b = _leaves(lib)
    x = a * 3
    x.grad_fn.register_prehook(lambda outputs: (lib.ones(2),))
    _first_ignored(lib).apply(x, b).sum().backward()
    return a.grad


def _grad_through_none(lib, wrt_leaf, **kwargs):
    a, b = _leaves(lib)
    log = []
    x = a * 3
    (a if wrt_leaf else x).register_hook(lambda g: log.append(g))
    out = _first_ignored(lib).apply(x, b).sum()
    return log, lib.autograd.grad(out, [a if wrt_leaf else x, b], **kwargs)


def _freed_on_none_path(lib):
    a, b = _leaves(lib)
    x = a.exp()
    out = _first_ignored(lib).apply(x, b).sum()
    out.backward(retain_graph=True)
    (x * 2).sum().backward()  # frees exp's node
    out.backward()


def _unneeded_node_modified(lib):
    a, b = _leaves(lib)
    z = a * 1
    w = z.sin() * b  # sin's node leads to a alone
    z.add_(1)
    return lib.autograd.grad(w.sum(), b)


def _modified_on_none_path(lib):
    a, b = _leaves(lib)
    z = a * 1
    w = z.sin()
    z.add_(1)
    _first_ignored(lib).apply(w, b).sum().backward()


NONE_EDGES = {
    "hooked_intermediate": _hooked_intermediate,
    "node_hooks": _node_hooks,
    "leaf_hooks": _leaf_hooks,
    "accumulator_hooks": _accumulator_hooks,
    "function_behind_materialized": lambda lib: _function_behind(lib, True),
    "function_behind_unmaterialized": lambda lib: _function_behind(lib, False),
    "function_behind_graph": _function_behind_graph,
    "outputs_of_split": _outputs_of_split,
    "replaced_by_leaf_hook": lambda lib: _replaced_by_tensor_hook(lib, True),
    "replaced_by_tensor_hook": lambda lib: _replaced_by_tensor_hook(lib, False),
    "replaced_by_prehook": _replaced_by_prehook,
    "grad_leaf_allow_unused": lambda lib: _grad_through_none(lib, True, allow_unused=True),
    "grad_leaf_unused": lambda lib: _grad_through_none(lib, True),
    "grad_leaf_materialized": lambda lib: _grad_through_none(lib, True, materialize_grads=True),
    "grad_intermediate": lambda lib: _grad_through_none(lib, False, allow_unused=True),
    "grad_intermediate_create_graph": lambda lib: _grad_through_none(lib, False, allow_unused=True,
                                                                     create_graph=True),
    "freed_on_none_path": _freed_on_none_path,
    "modified_on_none_path": _modified_on_none_path,
    "unneeded_node_modified": _unneeded_node_modified,
}


@pytest.mark.parametrize("case", NONE_EDGES)
def test_nodes_reached_by_no_gradient_run_as_pytorch(case):
    assert_same_graph_outcome(NONE_EDGES[case])


# ---------------------------------------------------------------------------- GradientEdge
def _edge_of_intermediate(lib, **kwargs):
    a = lib.tensor([1., 2.], requires_grad=True)
    x = a * 3
    edge = lib.autograd.graph.get_gradient_edge(x)
    return type(edge).__name__, edge.node.name(), edge.output_nr, lib.autograd.grad((x * x).sum(), edge, **kwargs)


def _edge_of_leaf(lib):
    a = lib.tensor([1., 2.], requires_grad=True, dtype=lib.float64)
    edge = lib.autograd.graph.get_gradient_edge(a)
    return edge.node.name(), edge.output_nr, lib.autograd.grad((a * a).sum(), [edge, a])


def _edge_as_output(lib, gradient):
    a = lib.tensor([1., 2.], requires_grad=True)
    y = (a * a).sum() if gradient is None else a * a
    edge = lib.autograd.graph.get_gradient_edge(y)
    return lib.autograd.grad(edge, a, grad_outputs=gradient)


def _edge_of_second_output(lib):
    a = lib.tensor([1., 2., 3., 4.], requires_grad=True)
    first, second = (a * 2).split(2)
    edge = lib.autograd.graph.get_gradient_edge(second)
    return edge.output_nr, edge.node.name(), lib.autograd.grad((first * second).sum(), [edge, a])


def _unused_edge(lib, **kwargs):
    a = lib.tensor([1., 2.], requires_grad=True)
    edge = lib.autograd.graph.get_gradient_edge(a * 3)
    return lib.autograd.grad((a * 5).sum(), edge, **kwargs)


def _backward_to_edge(lib):
    a = lib.tensor([1., 2.], requires_grad=True)
    x = a * 3
    (x * x).sum().backward(inputs=[lib.autograd.graph.get_gradient_edge(x)])
    return a.grad


def _edge_made_by_hand(lib):
    a = lib.tensor([1., 2.], requires_grad=True, dtype=lib.float64)
    x = a * 3
    edges = lib.autograd.graph.GradientEdge(x.grad_fn, 0), lib.autograd.graph.GradientEdge(
        x.grad_fn.next_functions[0][0], 0)
    return lib.autograd.grad((x * x).sum(), edges)


def _edge_repr(lib):
    a = lib.tensor([1., 2.], requires_grad=True)
    x = a * 3
    edge = lib.autograd.graph.get_gradient_edge(x)
    return (repr(edge).split(" object at ")[0], edge == lib.autograd.graph.get_gradient_edge(x), tuple(edge)[1:],
            edge.ownership_token)


GRADIENT_EDGES = {
    "intermediate": _edge_of_intermediate,
    "intermediate_create_graph": lambda lib: _edge_of_intermediate(lib, create_graph=True),
    "leaf": _edge_of_leaf,
    "as_scalar_output": lambda lib: _edge_as_output(lib, None),
    "as_output_with_gradient": lambda lib: _edge_as_output(lib, lib.tensor([1., -2.])),
    "as_output_mismatched_gradient": lambda lib: _edge_as_output(lib, lib.ones(3)),
    "as_output_implicit_non_scalar": lambda lib: (lambda a: lib.autograd.grad(
        lib.autograd.graph.get_gradient_edge(a * 2), a))(lib.ones(2, requires_grad=True)),
    "second_output": _edge_of_second_output,
    "unused": lambda lib: _unused_edge(lib),
    "unused_allowed": lambda lib: _unused_edge(lib, allow_unused=True),
    "unused_materialized": lambda lib: _unused_edge(lib, materialize_grads=True),
    "backward_inputs": _backward_to_edge,
    "made_by_hand": _edge_made_by_hand,
    "repr": _edge_repr,
    "not_requiring_grad": lambda lib: lib.autograd.graph.get_gradient_edge(lib.ones(2)),
    "view": lambda lib: (lambda a: lib.autograd.grad(a.view(2).sum(), lib.autograd.graph.get_gradient_edge(
        a.view(2))))(lib.ones(2, requires_grad=True)),
}


@pytest.mark.parametrize("case", GRADIENT_EDGES)
def test_gradient_edges_as_pytorch(case):
    assert_same_graph_outcome(GRADIENT_EDGES[case])


# ---------------------------------------------------------------------------- autograd.functional and gradcheck
def _inputs(lib, *shapes):
    rng = np.random.default_rng(1)
    return tuple(lib.tensor(rng.standard_normal(shape), dtype=lib.float64) for shape in shapes)


_FUNCTIONS = {
    "squares": (lambda x: (x ** 2).sum(), [(3,)]),
    "elementwise": (lambda x: x.exp() * 2, [(2, 2)]),
    "two_inputs": (lambda x, y: x * y.sum() + x.sin(), [(3,), (2,)]),
    "tuple_output": (lambda x, y: (x * y, (x + y).sum()), [(3,), (3,)]),
    "one_of_a_tuple": (lambda x: x * 3, [(3,)]),
}


def _forward_mode_jacobian(lib, name, tupled):
    func, shapes = _FUNCTIONS[name]
    inputs = _inputs(lib, *shapes)
    if len(inputs) == 1 and not tupled:
        inputs = inputs[0]
    return lib.autograd.functional.jacobian(func, inputs, vectorize=True, strategy="forward-mode")


@pytest.mark.parametrize("tupled", [False, True])
@pytest.mark.parametrize("name", _FUNCTIONS)
def test_forward_mode_jacobian_gives_lists_for_tuples_of_inputs_as_pytorch(name, tupled):
    assert_same_graph_outcome(lambda lib: _forward_mode_jacobian(lib, name, tupled))


@pytest.mark.parametrize("output", [lambda x: [x], lambda x: (x, 3), lambda x: 3.0])
@pytest.mark.parametrize("strategy", ["forward-mode", "reverse-mode"])
def test_jacobian_non_tensor_outputs_refused_as_pytorch(output, strategy):
    assert_same_graph_outcome(lambda lib: lib.autograd.functional.jacobian(output, lib.ones(2), vectorize=True,
                                                              strategy=strategy))


@pytest.mark.parametrize("name", _FUNCTIONS)
def test_jvp_create_graph_recorded_as_pytorch_double_backward_trick(name):
    func, shapes = _FUNCTIONS[name]

    def products_and_their_gradients(lib):
        inputs = tuple(t.requires_grad_() for t in _inputs(lib, *shapes))
        vectors = tuple(lib.ones_like(t) for t in inputs)
        outputs, products = lib.autograd.functional.jvp(func, inputs, vectors, create_graph=True)
        products = products if isinstance(products, tuple) else (products,)
        total = sum((p * p).sum() for p in products)
        return outputs, products, lib.autograd.grad(total, inputs, allow_unused=True)
    assert_same_graph_outcome(products_and_their_gradients)


@pytest.mark.parametrize("shapes", [((), (3,)), ((), (2, 3)), ((1,), (3,)), ((3, 1), (2, 3, 4))])
def test_gradient_summed_to_a_scalar_recorded_as_one_sum(shapes):
    def gradient(lib):
        x = lib.ones(shapes[0], dtype=lib.float64, requires_grad=True)
        v = lib.ones(shapes[1], dtype=lib.float64, requires_grad=True)
        return lib.autograd.grad(x.expand(shapes[1]), x, v, create_graph=True)
    assert_same_graph_outcome(gradient)


@pytest.mark.parametrize("raise_exception", [True, False])
def test_gradcheck_ignores_outputs_without_graph_beside_others(raise_exception):
    def check(lib, func):
        x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
        return lib.autograd.gradcheck(func, (x,), raise_exception=raise_exception)
    assert_same_graph_outcome(lambda lib: check(lib, lambda t: (t * 2, t.detach() * 2)))
    assert_same_graph_outcome(lambda lib: check(lib, lambda t: t.detach() * 2))
    assert_same_graph_outcome(lambda lib: check(lib, lambda t: t.detach().round() * 0))


_TWO_INPUT_FUNCTIONS = {
    "independent_of_second": lambda lib: lambda x, y: (x * 2).sum(),
    "linear": lambda lib: lambda x, y: (x * 2 + y).sum(),
    "detached": lambda lib: lambda x, y: (x.detach() * y.detach()).sum(),
    "constant": lambda lib: lambda x, y: lib.ones((), dtype=lib.float64),
    "quadratic": lambda lib: lambda x, y: (x * x * y).sum(),
}


_OPTIONS = {"plain": {}, "strict": {"strict": True}, "create_graph": {"create_graph": True},
            "strict_create_graph": {"strict": True, "create_graph": True}}


@pytest.mark.parametrize("options", _OPTIONS.values(), ids=_OPTIONS)
@pytest.mark.parametrize("function", _TWO_INPUT_FUNCTIONS)
@pytest.mark.parametrize("api", ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"])
def test_functional_apis_strict_and_create_graph_as_pytorch(api, function, options):
    def call(lib):
        inputs = tuple(lib.arange(1., 4., dtype=lib.float64) for _ in range(2))
        arguments = [_TWO_INPUT_FUNCTIONS[function](lib), inputs]
        if api == "vjp":
            arguments.append(lib.ones((), dtype=lib.float64))
        elif api in ("jvp", "hvp", "vhp"):
            arguments.append(tuple(t * 0.5 for t in inputs))
        return getattr(lib.autograd.functional, api)(*arguments, **options)
    assert_same_graph_outcome(call)


# ---------------------------------------------------------------------------- einsum's graph
def _node_names(tensor):
    """The grad_fn chain under ``tensor``, depth first in next_functions' order, as (depth, name)."""
    names = []

    def walk(node, depth):
        if node is not None:
            names.append((depth, node.name()))
            for child, _ in node.next_functions:
                walk(child, depth + 1)
    walk(tensor.grad_fn, 0)
    return names


_EQUATIONS = [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ii->", [(3, 3)]), ("i,j->ij", [(3,), (4,)]),
    ("...ij->...ji", [(2, 3, 4)]), ("ij,jk->ik", [(3, 4), (4, 5)]), ("i,i->", [(3,), (3,)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ij->j", [(3, 4)]), ("iij->j", [(2, 2, 3)]), ("ii,ij->j", [(3, 3), (3, 4)]), ("ij,kj->ik", [(0, 3), (4, 3)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("i,->i", [(3,), ()]), ("ij,jk->ki", [(2, 3), (3, 4)]), ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ij,jk", [(3, 1), (1, 5)]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("equation, shapes", _EQUATIONS, ids=[e for e, _ in _EQUATIONS])
def test_einsum_records_pytorch_s_graph(equation, shapes, dtype):
    def recorded(lib):
        rng = np.random.default_rng(0)
        operands = [lib.tensor(rng.standard_normal(shape), dtype=getattr(lib, dtype), requires_grad=True)
                    for shape in shapes]
        result = lib.einsum(equation, *operands)
        gradient = lib.tensor(rng.standard_normal(tuple(result.shape)), dtype=result.dtype)
        grads = lib.autograd.grad(result, operands, gradient, create_graph=True)
        total = sum((g * g).sum() for g in grads)  # (no graph where the einsum is linear in each operand)
        second = lib.autograd.grad(total, operands, allow_unused=True) if total.requires_grad else ()
        return (_node_names(result), result.stride(), [_node_names(g) for g in grads], [g.stride() for g in grads],
                [result.detach().numpy()] + [g.detach().numpy() for g in grads + second if g is not None])
    (names, *layout, values), (expected_names, *expected_layout, expected) = recorded(torchless), recorded(torch)
    assert names == expected_names and layout == expected_layout
    for got, wanted in zip(values, expected):
        np.testing.assert_allclose(got, wanted, rtol=1e-4 if dtype == "float32" else 1e-10, atol=1e-5)


def test_einsum_operand_changed_in_place_refused_as_pytorch():
    def changed(lib):
        a, b = lib.ones(2, 3, requires_grad=True), lib.ones(3, 4, requires_grad=True) * 1
        result = lib.einsum("ij,jk->ik", a, b)
        b.add_(1)
        result.sum().backward()
    assert_same_graph_outcome(changed)
