"""Regression tests of autograd19, each against PyTorch: the layouts (strides) and values of gradients recorded
with create_graph=True and of their own gradients, for channels-last, permuted and transposed inputs."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

_LAYOUTS = {
    "channels_last": lambda lib, t: t.contiguous(memory_format=lib.channels_last),
    "permuted": lambda lib, t: t.transpose(1, 3).contiguous().transpose(1, 3),
    "transposed": lambda lib, t: t.transpose(2, 3).contiguous().transpose(2, 3),
}


def _functional(lib):
    return lib.nn.functional


_OPS = {
    "relu": lambda lib, x: lib.relu(x),
    "leaky_relu": lambda lib, x: _functional(lib).leaky_relu(x, 0.1),
    "hardtanh": lambda lib, x: _functional(lib).hardtanh(x) * x,
    "clamp": lambda lib, x: x.clamp(-0.5, 0.5) * x,
    "clamp_min": lambda lib, x: x.clamp(min=-0.5) * x,
    "clamp_max": lambda lib, x: x.clamp(max=0.5) * x,
    "elu": lambda lib, x: _functional(lib).elu(x),
    "softplus": lambda lib, x: _functional(lib).softplus(x),
    "gelu": lambda lib, x: _functional(lib).gelu(x),
    "sigmoid": lambda lib, x: x.sigmoid(),
    "exp": lambda lib, x: x.exp(),
    "floor": lambda lib, x: x.floor() * x,
    "sign": lambda lib, x: x.sign() * x,
    "softmax": lambda lib, x: lib.softmax(x, 1),
    "log_softmax": lambda lib, x: lib.log_softmax(x, -1),
    "mse_loss": lambda lib, x: _functional(lib).mse_loss(x, lib.ones_like(x), reduction="none"),
    "mse_loss_mean": lambda lib, x: _functional(lib).mse_loss(x, lib.ones_like(x)) * lib.ones_like(x),
    "smooth_l1_loss": lambda lib, x: _functional(lib).smooth_l1_loss(x, lib.zeros_like(x), reduction="none"),
    "huber_loss": lambda lib, x: _functional(lib).huber_loss(x, lib.zeros_like(x) + 0.3, reduction="none"),
    # gradients summed in the order PyTorch's engine runs the nodes, laid out as TensorIterator lays out the sums
    "mean": lambda lib, x: x.mean((2, 3), keepdim=True) * x,
    "centred_square": lambda lib, x: (x - x.mean()) ** 2,
    "sum": lambda lib, x: x.sum(1, keepdim=True) * x,
    "norm": lambda lib, x: x.norm(dim=1, keepdim=True) * x,
    "norm_p3": lambda lib, x: lib.linalg.vector_norm(x, 3, dim=(1, 2), keepdim=True) * x,
    "normalize": lambda lib, x: _functional(lib).normalize(x, dim=1),
    "broadcast_sub": lambda lib, x: (x - x[:, :1]) * x,
    "masked_fill": lambda lib, x: x.masked_fill(x > 0.5, 0) * x,
    "where": lambda lib, x: lib.where(x > 0, x * x, -x),
    # a real sgn's gradient, an efficient zero tensor in PyTorch, leaves a sum's layout to the other term
    "abs": lambda lib, x: x.abs() * x,
    "softsign": lambda lib, x: _functional(lib).softsign(x),
    "l1_loss": lambda lib, x: _functional(lib).l1_loss(x, lib.zeros_like(x) + 0.3, reduction="none"),
}


def _gradients(lib, op, layout, values, weights, through_hidden):
    """(first-order gradient without a graph, the one recorded with create_graph, the gradient of its squares' sum)
    of ``op`` at an input of ``layout``; the gradient given to the op's output in that layout too."""
    x = _LAYOUTS[layout](lib, lib.tensor(values, dtype=lib.float64)).requires_grad_()
    hidden = x * 1.0 if through_hidden else x
    y = _OPS[op](lib, hidden)
    w = _LAYOUTS[layout](lib, lib.tensor(weights, dtype=lib.float64))
    plain, = lib.autograd.grad(y, hidden, w, retain_graph=True)
    first, = lib.autograd.grad(y, hidden, w, create_graph=True)
    second, = lib.autograd.grad((first * first).sum(), x)
    return plain, first, second


def _assert_same_gradients(expected, actual):
    for theirs, ours in zip(expected, actual):
        assert ours.stride() == theirs.stride()
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(force=True), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("through_hidden", [False, True])
@pytest.mark.parametrize("layout", list(_LAYOUTS))
@pytest.mark.parametrize("op", list(_OPS))
def test_recorded_gradients_and_their_gradients_have_torch_s_layout(op, layout, through_hidden):
    rng = np.random.default_rng(len(op) * 7 + len(layout))
    values, weights = rng.standard_normal((2, 2, 3, 4, 5))
    expected = _gradients(torch, op, layout, values, weights, through_hidden)
    actual = _gradients(torchless, op, layout, values, weights, through_hidden)
    _assert_same_gradients(expected, actual)


@pytest.mark.parametrize("loss", ["smooth_l1_loss", "huber_loss", "mse_loss"])
def test_regression_losses_recorded_gradients_are_named_and_listed_as_torch_s(loss):
    seen = []
    for lib in (torch, torchless):
        x = lib.ones(2, 3, 4, 5, dtype=lib.float64).contiguous(memory_format=lib.channels_last).requires_grad_()
        t = lib.zeros(2, 3, 4, 5, dtype=lib.float64).requires_grad_()
        y = getattr(_functional(lib), loss)(x * 1, t * 1, reduction="none")
        gx, gt = lib.autograd.grad(y, (x, t), lib.ones_like(y), create_graph=True)
        node = gx.grad_fn.next_functions[0][0]
        seen.append((node.name(), [n and n.name() for n, _ in node.next_functions], gx.stride(), gt.stride()))
    assert seen[1] == seen[0]


class _Roots:
    """Stands for the root of a graph of several outputs (PyTorch's GraphRoot) in _nodes."""

    def __init__(self, outputs):
        self.next_functions = [(t.grad_fn, 0) for t in outputs]


def _nodes(root):
    """Every node of the graph under ``root``, each once."""
    nodes, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if not isinstance(node, _Roots):
            nodes.append(node)
        stack.extend(fn for fn, _ in node.next_functions)
    return nodes


def _branching_graph(lib, x, y):
    a = x * 2
    b, c = a.exp(), (y * a).sin()
    d = lib.relu(b) * c + a.mean() + y.sum(0)
    return (d * d + b).sum(), (c.tanh() * 3).sum()


@pytest.mark.parametrize("roots", [1, 2])
def test_engine_runs_nodes_in_torch_s_order(roots):
    """Of the nodes ready, PyTorch's engine runs the most recently made first: the order hooks see, and in which
    gradients reach a node (their sum's order)."""
    runs = []
    for lib in (torch, torchless):
        x = lib.linspace(-1, 1, 12, dtype=lib.float64).reshape(3, 4).requires_grad_()
        y = lib.linspace(0.5, 2, 12, dtype=lib.float64).reshape(3, 4).requires_grad_()
        outputs = _branching_graph(lib, x, y)[:roots]
        seen = []
        for node in _nodes(_Roots(outputs)):
            if "AccumulateGrad" not in node.name():
                node.register_prehook(lambda grads, node=node: seen.append(node.name()))
        lib.autograd.backward(outputs)
        runs.append((seen, x.grad.numpy(), y.grad.numpy()))
    assert runs[1][0] == runs[0][0]
    for ours, theirs in zip(runs[1][1:], runs[0][1:]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13)


def test_node_sequence_numbers_grow_in_recording_order():
    x = torchless.ones(2, requires_grad=True)
    a = x * 2
    b = a.exp()
    c = torchless.autograd.grad(b.sum(), a, create_graph=True)[0]
    assert a.grad_fn._sequence_nr() < b.grad_fn._sequence_nr() < c.grad_fn._sequence_nr()


def _outcome(call):
    """What ``call()`` returns, or its exception's type and message (torchless named as torch)."""
    try:
        return "ok", call()
    except Exception as error:  # noqa: BLE001 - the error is what is compared
        return type(error).__name__, str(error).replace("torchless", "torch")


def _same_outcome(build):
    expected, actual = _outcome(lambda: build(torch)), _outcome(lambda: build(torchless))
    assert actual[0] == expected[0]
    if expected[0] != "ok":
        assert actual[1] == expected[1]
    return expected[1], actual[1]


@pytest.mark.parametrize("shape", [(3,), (2, 4), (2, 3, 1), (2, 2, 3)])
def test_batched_grad_outputs_of_the_wrong_shape_raise_torch_s_error(shape):
    def build(lib):
        x = lib.ones(3, requires_grad=True)
        return lib.autograd.grad(x * 2, x, lib.ones(shape), is_grads_batched=True)[0].tolist()
    expected, actual = _same_outcome(build)
    assert actual == expected


@pytest.mark.parametrize("returned", ["int", "tensor"])
def test_post_accumulate_grad_hook_returning_a_value_raises_torch_s_error(returned):
    def build(lib):
        x = lib.ones(3, requires_grad=True)
        x.register_post_accumulate_grad_hook(lambda t: 1 if returned == "int" else t * 2)
        (x * 2).sum().backward()
    _same_outcome(build)


def _function(lib, saving, reading=True, vjp=False, backward=True):
    """A Function doubling its input, saving (input, result) or its result alone, whose backward reads them or
    not; its gradient method named backward, vjp or both."""
    def forward(ctx, x):
        y = x * 2
        ctx.save_for_backward(*((x, y) if saving == "both" else (y,)))
        return y

    def gradient(ctx, g):
        if reading:
            ctx.saved_tensors
        return g * 2

    methods = {"forward": staticmethod(forward)}
    if backward:
        methods["backward"] = staticmethod(gradient)
    if vjp:
        methods["vjp"] = staticmethod(gradient)
    return type("Doubled", (lib.autograd.Function,), methods)


@pytest.mark.parametrize("reading", [False, True])
@pytest.mark.parametrize("changed", ["output", "input"])
def test_function_saved_tensors_changed_in_place_fail_when_read_as_torch_s(changed, reading):
    def build(lib):
        x = lib.ones(2, 3, requires_grad=True)
        hidden = x * 1
        y = _function(lib, "both", reading).apply(hidden)
        (y if changed == "output" else hidden).mul_(2)
        y.sum().backward()
        return x.grad.tolist()
    expected, actual = _same_outcome(build)
    assert actual == expected


def test_function_saved_output_changed_in_place_is_named_after_the_function_on_access():
    def build(lib):
        x = lib.ones(2, 3, requires_grad=True)
        y = _function(lib, "output").apply(x)
        node = y.grad_fn
        y.add_(1)
        return len(node.saved_tensors)
    _same_outcome(build)


@pytest.mark.parametrize("methods", [{"vjp": True, "backward": False}, {"vjp": True, "backward": True}])
def test_function_gradient_given_as_vjp(methods):
    def build(lib):
        x = lib.ones(2, requires_grad=True)
        _function(lib, "output", **methods).apply(x).sum().backward()
        return x.grad.tolist()
    expected, actual = _same_outcome(build)
    assert actual == expected


def test_function_node_lists_a_leaf_s_accumulate_grad():
    names = []
    for lib in (torch, torchless):
        y = _function(lib, "output").apply(lib.ones(2, requires_grad=True))
        names.append([node and node.name() for node, _ in y.grad_fn.next_functions])
    assert names[1] == names[0]


@pytest.mark.parametrize("case", ["jvp", "jacobian", "hessian"])
def test_functional_of_a_zero_dim_input(case):
    def build(lib):
        x = lib.tensor(2.0)
        F = lib.autograd.functional
        result = {"jvp": lambda: F.jvp(lambda t: t ** 2, x), "jacobian": lambda: (F.jacobian(lambda t: t ** 2, x),),
                  "hessian": lambda: (F.hessian(lambda t: t ** 3, x),)}[case]()
        return [(t.dtype.__repr__().split(".")[-1], tuple(t.shape), t.tolist()) for t in result]
    expected, actual = _same_outcome(build)
    assert actual == expected


def _graph(node):
    """The graph under ``node`` as nested (name, inputs' graphs), in next_functions' order."""
    if node is None:
        return None
    if "AccumulateGrad" in node.name():
        return "AccumulateGrad"
    return node.name(), [_graph(fn) for fn, _ in node.next_functions]


def _leaf(lib, *shape, requires_grad=True):
    return lib.linspace(-1, 1, int(np.prod(shape))).reshape(shape).requires_grad_(requires_grad)


_GRAPHS = {
    "instance_norm": lambda lib: _functional(lib).instance_norm(_leaf(lib, 2, 3, 4, 4)),
    "instance_norm_affine": lambda lib: lib.nn.InstanceNorm2d(3, affine=True)(_leaf(lib, 2, 3, 4, 4)),
    "instance_norm_weight_only": lambda lib: _functional(lib).instance_norm(
        _leaf(lib, 2, 3, 4, requires_grad=False), weight=_leaf(lib, 3)),
    "instance_norm_eval": lambda lib: lib.nn.InstanceNorm1d(3, affine=True, track_running_stats=True).eval()(
        _leaf(lib, 2, 3, 4)),
    "number_minus_tensor": lambda lib: 2 - _leaf(lib, 3),
    "cross_entropy_with_probabilities": lambda lib: _functional(lib).cross_entropy(
        _leaf(lib, 4, 5), lib.softmax(_leaf(lib, 4, 5, requires_grad=False), 1)),
    "dist": lambda lib: lib.dist(_leaf(lib, 3), _leaf(lib, 3) * 2),
    "dist_of_one_leaf": lambda lib: lib.dist(_leaf(lib, 3), _leaf(lib, 3, requires_grad=False)),
    "reshape_of_a_transpose": lambda lib: _leaf(lib, 2, 3, 4).view(6, 4).t().reshape(-1).unsqueeze(0),
}


@pytest.mark.parametrize("case", list(_GRAPHS))
def test_graphs_list_torch_s_nodes(case):
    assert _graph(_GRAPHS[case](torchless).grad_fn) == _graph(_GRAPHS[case](torch).grad_fn)


def test_divisor_gradient_is_rounded_as_torch_s():
    """-grad * ((a / b) / b), PyTorch's formula: about half the float32 gradients of -(grad / b) * a / b differ."""
    rng = np.random.default_rng(19)
    a, b, g = rng.standard_normal((3, 1000)).astype(np.float32)
    gradients = []
    for lib in (torch, torchless):
        x, y = lib.tensor(a).requires_grad_(), lib.tensor(b).requires_grad_()
        (x / y).backward(lib.tensor(g))
        gradients.append((x.grad.numpy(), y.grad.numpy()))
    np.testing.assert_array_equal(gradients[1][0], gradients[0][0])
    np.testing.assert_array_equal(gradients[1][1], gradients[0][1])


def test_sgn_gradient_alone_is_c_contiguous_zeros():
    seen = []
    for lib in (torch, torchless):
        x = lib.ones(2, 3, 4, 5).contiguous(memory_format=lib.channels_last).requires_grad_()
        g, = lib.autograd.grad(x.sgn().sum(), x)
        x.sgn().sum().backward()
        seen.append((g.stride(), g.abs().sum().item(), x.grad.stride()))
    assert seen[1] == seen[0]
