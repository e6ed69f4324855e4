"""Regression tests of autograd22, each against PyTorch: torch.autograd.graph.saved_tensors_hooks (which tensors
each node packs, in which order, when unpack_hook runs and what backward does with its tensor, the errors),
disable_saved_tensors_hooks, save_on_cpu, and saved tensors of custom Functions under hooks."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _tensor(lib, shape, seed, requires_grad=True):
    values = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return lib.tensor(values, requires_grad=requires_grad)


def _described(tensor):
    """What a test compares of a tensor a hook got: its shape, dtype, whether it requires grad, its node's name."""
    grad_fn = tensor.grad_fn
    return (tuple(tensor.shape), str(tensor.dtype).split(".")[-1], tensor.requires_grad,
            None if grad_fn is None else grad_fn.name())


def _hooked_run(lib, build):
    """The events of ``build(lib)`` recorded under logging saved_tensors_hooks, then of the backward of its
    output's sum: packs (described), unpacks (shape), and the gradients of the leaves ``build`` made."""
    events = []

    def pack(tensor):
        events.append(("pack", _described(tensor)))
        return tensor

    def unpack(tensor):
        events.append(("unpack", tuple(tensor.shape)))
        return tensor

    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        output, leaves = build(lib)
        events.append("forward done")
    output.sum().backward()
    return events, [None if leaf.grad is None else leaf.grad.detach().numpy() for leaf in leaves]


def _cnn(lib):
    F = lib.nn.functional
    x, w, b = _tensor(lib, (2, 3, 8, 8), 0), _tensor(lib, (4, 3, 3, 3), 1), _tensor(lib, (4,), 2)
    lw, lb = _tensor(lib, (10, 36), 3), _tensor(lib, (10,), 4)
    y = F.max_pool2d(F.relu(F.conv2d(x, w, b)), 2).flatten(1)
    return F.cross_entropy(F.linear(y, lw, lb), lib.tensor([1, 7])), (x, w, b, lw, lb)


def _binary(expression):
    def build(lib):
        a, b = _tensor(lib, (3, 4), 5), _tensor(lib, (3, 4), 6)
        return eval(expression, {"a": a, "b": b, "m": _tensor(lib, (4, 5), 7), "lib": lib,  # noqa: S307
                                 "F": lib.nn.functional}), (a, b)
    return build


_OPS = ["a * b", "a / b", "a / 2", "a * 2", "a ** 2", "a.abs() ** b", "2 ** a", "a.exp()", "a.tanh()", "a.sigmoid()",
        "a @ m", "lib.bmm(a[None], m[None])", "a.amax(1) + b.sum()", "a.softmax(1)", "a.log_softmax(1)", "F.gelu(a)",
        "a.norm()", "a.var(1)", "a.prod(1)", "a.cumsum(1)", "lib.where(a > 0, a, b)", "a.clamp(-0.5, 0.5)",
        "a[lib.tensor([0, 2])]", "a.gather(1, lib.tensor([[0], [1], [2]]))", "F.mse_loss(a, b)",
        "F.binary_cross_entropy_with_logits(a, b)", "F.layer_norm(a, (4,), b[0], b[1])", "F.silu(a) * b",
        "lib.cat([a, b]).sort(0)[0]", "F.normalize(a)", "a.logsumexp(1)", "F.linear(a, b)", "a * b[0].exp()",
        "a[0].exp() * b"]


@pytest.mark.parametrize("build", [_cnn] + [_binary(op) for op in _OPS], ids=["cnn"] + _OPS)
def test_saved_tensors_hooks_see_what_pytorch_saves(build):
    """Each node packs the tensors PyTorch's saves, in its order (a divisor before the dividend, a product's second
    factor first, log_softmax's result before nll_loss's), never a Python number given as an operand; backward
    unpacks each once, node by node."""
    events, grads = _hooked_run(torchless, build)
    expected_events, expected_grads = _hooked_run(torch, build)
    assert events == expected_events
    for grad, expected in zip(grads, expected_grads):
        assert (grad is None) == (expected is None)
        if grad is not None:
            np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)


def _unpacked_doubled(lib):
    x = _tensor(lib, (5,), 8)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 2):
        y = x.sin()
        z = (x * x.exp()).sum()
    saved = y.grad_fn._saved_self
    y.sum().backward()
    z.backward()
    return x, saved


def test_unpacked_tensor_replaces_the_saved_values():
    """Backward computes with what unpack_hook returned (sin's gradient cos(2x)), and ``_saved_self`` reads it, in
    the saved tensor's place in the graph (a leaf's: no grad_fn)."""
    x, saved = _unpacked_doubled(torchless)
    expected_x, expected_saved = _unpacked_doubled(torch)
    np.testing.assert_allclose(x.grad.numpy(), expected_x.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(saved.detach().numpy(), expected_saved.detach().numpy(), rtol=1e-6)
    assert (saved.requires_grad, saved.grad_fn) == (expected_saved.requires_grad, expected_saved.grad_fn) == \
        (True, None)


def _saved_result_reads(lib):
    x = _tensor(lib, (3,), 9)
    unpacks = []
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: unpacks.append(1) or t):
        y = x.exp()
    first, _ = y.grad_fn._saved_result, y.grad_fn._saved_result
    return len(unpacks), first.grad_fn.name(), first.grad_fn is y.grad_fn


def test_each_read_of_a_saved_tensor_unpacks():
    assert _saved_result_reads(torchless) == _saved_result_reads(torch) == (2, "ExpBackward0", True)


def _nested(lib):
    x, used = _tensor(lib, (3,), 10), []
    with lib.autograd.graph.saved_tensors_hooks(lambda t: used.append("outer") or t, lambda t: t):
        with lib.autograd.graph.saved_tensors_hooks(lambda t: used.append("inner") or t, lambda t: t):
            x.exp()
        x.sin()
    return used


def test_only_the_innermost_hooks_apply():
    assert _nested(torchless) == _nested(torch) == ["inner", "outer"]


def _error(action):
    try:
        action()
    except Exception as error:  # noqa: BLE001 - the error is what is compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    return None


def _unpack_not_a_tensor(lib):
    x = _tensor(lib, (3,), 11)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: 1, lambda packed: packed):
        y = x.exp()
    return _error(lambda: y.sum().backward())


def _pack_in_place(lib):
    x = _tensor(lib, (3,), 12)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t.add_(0), lambda t: t):
        return _error(lambda: (x * 1).exp())


def _disabled_entering(lib):
    with lib.autograd.graph.disable_saved_tensors_hooks("hooks are off here"):
        def enter():
            with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
        return _error(enter)


def _disabled_inside_hooks(lib):
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        return _error(lambda: lib.autograd.graph.disable_saved_tensors_hooks("not under hooks").__enter__())


def _disabled_then_restored(lib):
    x = _tensor(lib, (3,), 14)
    with lib.autograd.graph.disable_saved_tensors_hooks("outer"):
        with lib.autograd.graph.disable_saved_tensors_hooks("inner"):
            pass
        inner_left = _error(lambda: lib.autograd.graph.saved_tensors_hooks(abs, abs).__enter__())
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.exp()
    return inner_left, y.grad_fn._saved_result.shape == (3,)


def _not_callable(lib):
    return _error(lambda: lib.autograd.graph.saved_tensors_hooks(1, 2).__enter__())


@pytest.mark.parametrize("case", [_unpack_not_a_tensor, _pack_in_place, _disabled_entering, _disabled_inside_hooks,
                                  _disabled_then_restored, _not_callable])
def test_saved_tensors_hooks_errors_as_pytorch(case):
    assert case(torchless) == case(torch)


def test_save_on_cpu_is_saved_tensors_hooks():
    def run(lib):
        x = _tensor(lib, (4,), 15)
        hooks = lib.autograd.graph.save_on_cpu(pin_memory=False)
        with hooks as entered:
            y = (x.exp() * x).sum()
        y.backward()
        return isinstance(hooks, lib.autograd.graph.saved_tensors_hooks) and entered is None, x.grad.numpy()

    (is_hooks, grad), (expected_is_hooks, expected_grad) = run(torchless), run(torch)
    assert is_hooks == expected_is_hooks is True
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6)


def _custom_function_run(lib):
    events = []

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            y = x * x
            ctx.save_for_backward(x, None, y)
            events.append("saved")
            return y

        @staticmethod
        def backward(ctx, grad):
            x, none, y = ctx.saved_tensors
            events.append(("backward", none, x.grad_fn is None, x.requires_grad, y.grad_fn is ctx))
            ctx.saved_tensors
            return 2 * grad * x, None

    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: events.append(("pack", tuple(t.shape))) or t,
                                                lambda t: events.append("unpack") or t * 2):
        y = Square.apply(x, 3)
    y.sum().backward()
    return events, x.grad.tolist()


def test_custom_function_saved_tensors_are_packed_and_unpacked():
    """save_for_backward's tensors are packed once forward returns and unpacked at every ``ctx.saved_tensors``,
    which gives unpack_hook's values in the saved tensors' places (the output's node is the Function's)."""
    assert _custom_function_run(torchless) == _custom_function_run(torch)


def _raw_saved_hooks_run(lib):
    events = []
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.sin()
    raw = y.grad_fn._raw_saved_self
    raw.register_hooks(lambda t: events.append(("pack", tuple(t.shape))) or t,
                       lambda t: events.append("unpack") or t * 2)
    events.append("registered")
    events.append(y.grad_fn._saved_self.tolist())
    events.append(_error(lambda: raw.register_hooks(lambda t: t, lambda t: t)))
    y.sum().backward()
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        w = x.cos()
    events.append(_error(lambda: w.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)))
    z = x.exp()
    z.grad_fn._raw_saved_result.register_hooks(lambda t: 5, lambda packed: packed)
    events.append(_error(lambda: z.sum().backward()))
    return events, x.grad.tolist()


def test_saved_tensor_register_hooks_as_pytorch():
    """``grad_fn._raw_saved_<name>.register_hooks`` packs that tensor at once and unpacks it where it is used
    (backward computes with the unpacked values); a second pair, or one on a tensor saved_tensors_hooks packed,
    is refused."""
    events, grad = _raw_saved_hooks_run(torchless)
    expected_events, expected_grad = _raw_saved_hooks_run(torch)
    assert events == expected_events
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# linalg.svd's backward through U and Vh (only S was differentiable): PyTorch's svd_backward, a full U's (Vh's)
# columns (rows) past min(m, n) getting no gradient. The losses depend on the factors only through products that
# do not change with the singular vectors' signs, which LAPACK builds may choose differently.

def _sign_free_terms(lib, U, S, Vh, weights):
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]
    w = lib.tensor(weights)
    return [(S * w).sum(), (U @ (w.unsqueeze(-1) * Vh)).sum(), ((U * U) @ w.unsqueeze(-1)).sum(),
            (w.unsqueeze(-1) * Vh * Vh).sum()]


def _svd_gradients(lib, a, full_matrices, terms, create_graph, deprecated):
    A = lib.tensor(a, requires_grad=True)
    if deprecated:
        U, S, V = lib.svd(A, some=not full_matrices)
        Vh = V.mT
    else:
        U, S, Vh = lib.linalg.svd(A, full_matrices=full_matrices)
    weights = np.linspace(0.5, 1.5, S.shape[-1]).astype(a.dtype)
    loss = sum(term for i, term in enumerate(_sign_free_terms(lib, U, S, Vh, weights)) if i in terms)
    names = [type(t.grad_fn).__name__ for t in (U, S, Vh)]
    if not create_graph:
        loss.backward()
        return names, [A.grad.numpy()]
    (grad,) = lib.autograd.grad(loss, A, create_graph=True)
    (grad * grad).sum().backward()
    return names, [grad.detach().numpy(), A.grad.numpy()]


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3), (1, 4, 1)])
@pytest.mark.parametrize("full_matrices", [False, True])
@pytest.mark.parametrize("terms", [(0,), (1,), (2,), (3,), (0, 1, 2, 3)], ids=["S", "USVh", "U", "Vh", "all"])
@pytest.mark.parametrize("create_graph", [False, True], ids=["grad", "grad_of_grad"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_svd_backward_through_all_factors(shape, full_matrices, terms, create_graph, dtype):
    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    names, grads = _svd_gradients(torchless, a, full_matrices, terms, create_graph, deprecated=False)
    expected_names, expected_grads = _svd_gradients(torch, a, full_matrices, terms, create_graph, deprecated=False)
    assert names == expected_names
    tolerance = 2e-4 if dtype == np.float32 else 1e-9
    for grad, expected in zip(grads, expected_grads):
        assert grad.dtype == expected.dtype
        np.testing.assert_allclose(grad, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("some", [True, False])
def test_deprecated_svd_backward(some):
    a = np.random.default_rng(3).standard_normal((5, 3))
    names, grads = _svd_gradients(torchless, a, not some, (0, 1, 2, 3), False, deprecated=True)
    expected_names, expected_grads = _svd_gradients(torch, a, not some, (0, 1, 2, 3), False, deprecated=True)
    assert names == expected_names
    np.testing.assert_allclose(grads[0], expected_grads[0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
def test_svd_gradients_by_finite_differences(shape):
    def factors(A):
        U, S, Vh = torchless.linalg.svd(A, full_matrices=False)
        return (U * S.unsqueeze(-2)) @ Vh, U @ U.mT, Vh.mT @ Vh, S

    A = torchless.tensor(np.random.default_rng(7).standard_normal(shape), requires_grad=True)
    assert torchless.autograd.gradcheck(factors, (A,))
    assert torchless.autograd.gradgradcheck(factors, (A,))


# ---------------------------------------------------------------------------------------------------------------
# linalg.qr's backward (it was not differentiable): PyTorch's for tall, square and wide matrices, its errors for
# mode='r' and for mode='complete' of tall matrices

def _qr_gradients(lib, a, mode, through, create_graph):
    A = lib.tensor(a, requires_grad=True)
    Q, R = lib.linalg.qr(A, mode=mode)
    weights = [lib.tensor(np.cos(np.arange(t.numel())).reshape(tuple(t.shape)).astype(a.dtype)) for t in (Q, R)]
    loss = sum((t * w).sum() for i, (t, w) in enumerate(zip((Q, R), weights)) if i in through)
    names = [type(t.grad_fn).__name__ for t in (Q, R)]
    try:
        if not create_graph:
            loss.backward()
            return names, [A.grad.numpy()]
        (grad,) = lib.autograd.grad(loss, A, create_graph=True)
        (grad * grad).sum().backward()
        return names, [grad.detach().numpy(), A.grad.numpy()]
    except RuntimeError as error:
        return names, str(error)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4), (2, 3, 5)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("through", [(0,), (1,), (0, 1)], ids=["Q", "R", "QR"])
@pytest.mark.parametrize("create_graph", [False, True], ids=["grad", "grad_of_grad"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_qr_backward(shape, mode, through, create_graph, dtype):
    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    names, grads = _qr_gradients(torchless, a, mode, through, create_graph)
    expected_names, expected_grads = _qr_gradients(torch, a, mode, through, create_graph)
    assert names == expected_names
    if isinstance(expected_grads, str):
        assert grads == expected_grads
        return
    tolerance = 1e-3 if dtype == np.float32 else 1e-9
    for grad, expected in zip(grads, expected_grads):
        np.testing.assert_allclose(grad, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5)])
def test_qr_gradients_by_finite_differences(shape):
    def factors(A):
        return tuple(torchless.linalg.qr(A))

    A = torchless.tensor(np.random.default_rng(5).standard_normal(shape), requires_grad=True)
    assert torchless.autograd.gradcheck(factors, (A,))
    assert torchless.autograd.gradgradcheck(factors, (A,))


# ---------------------------------------------------------------------------------------------------------------
# create_graph through matmul (and F.linear with a 1-D weight, which is matmul(x, w.t())): the gradients recorded
# as PyTorch's dot / mv / mm derivative formulas record them (their nodes, and the layouts of the second-order
# gradients); an mm factor laid out column-major gets its gradient computed transposed, as PyTorch's mm does.

def _graph_names(grad_fn, depth=3):
    if grad_fn is None or depth < 0:
        return None
    return type(grad_fn).__name__, tuple(_graph_names(fn, depth - 1) for fn, _ in grad_fn.next_functions)


def _double_backward(lib, shapes, product):
    rng = np.random.default_rng(len(shapes[0]) * 10 + len(shapes[1]))
    a, b = (lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True) for shape in shapes)
    y = product(lib, a, b)
    gy = lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)).astype(np.float32), requires_grad=True)
    ga, gb = lib.autograd.grad(y, (a, b), gy, create_graph=True)
    second = lib.autograd.grad((ga * ga).sum() + (gb * gb).sum(), (a, b, gy))
    return ([_graph_names(g.grad_fn) for g in (ga, gb)], [tuple(g.stride()) for g in (ga, gb) + second],
            [g.detach().numpy() for g in second])


_PRODUCTS = {"matmul": lambda lib, a, b: a @ b, "linear": lambda lib, a, b: lib.nn.functional.linear(a, b)}


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((4, 3), (3,)), ((2, 4, 3), (3,)), ((4, 3), (3, 2)),
                                    ((3,), (3, 2)), ((2, 4, 3), (3, 2))], ids=str)
@pytest.mark.parametrize("product", list(_PRODUCTS))
def test_matmul_create_graph_as_pytorch(shapes, product):
    if product == "linear" and len(shapes[1]) == 2:
        pytest.skip("a matrix weight is Linear's own node, tested with the nn tests")
    names, layouts, values = _double_backward(torchless, shapes, _PRODUCTS[product])
    expected_names, expected_layouts, expected_values = _double_backward(torch, shapes, _PRODUCTS[product])
    assert names == expected_names
    assert layouts == expected_layouts
    for value, expected in zip(values, expected_values):
        np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-5)


def _column_major_factor_gradients(lib):
    rng = np.random.default_rng(4)
    leaf_a = lib.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    leaf_b = lib.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    a, b = leaf_a.t(), leaf_b.t()  # (4, 3) and (3, 2), column-major
    grads = lib.autograd.grad((a @ b * lib.tensor([1.0, -2.0])).sum(), (a, b))
    return [tuple(g.stride()) for g in grads], [g.numpy() for g in grads]


def test_mm_gradient_of_a_column_major_factor_is_column_major():
    layouts, values = _column_major_factor_gradients(torchless)
    expected_layouts, expected_values = _column_major_factor_gradients(torch)
    assert layouts == expected_layouts
    for value, expected in zip(values, expected_values):
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# maximum / minimum and addmm had no _saved_* attributes (so saved_tensors_hooks saw nothing of them)

def _saved_of(lib, make):
    rng = np.random.default_rng(9)

    def tensor(*shape, requires_grad=True):
        return lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=requires_grad)

    fn = make(lib, tensor).grad_fn
    shown = []
    for name in sorted(a for a in dir(fn) if a.startswith("_saved_")):
        value = getattr(fn, name)
        if isinstance(value, lib.Tensor):
            value = (tuple(value.shape), value.requires_grad, None if value.grad_fn is None else value.grad_fn.name())
        shown.append((name, value))
    packed = []
    with lib.autograd.graph.saved_tensors_hooks(lambda t: packed.append(tuple(t.shape)) or t, lambda t: t):
        make(lib, tensor)
    return fn.name(), shown, packed


@pytest.mark.parametrize("make", [
    lambda lib, t: lib.maximum(t(3, 4), t(3, 4)),
    lambda lib, t: lib.minimum(t(3, 4), t(3, 4, requires_grad=False)),
    lambda lib, t: lib.max(t(3, 4), t(4)),
    lambda lib, t: lib.addmm(t(3, 5), t(3, 4), t(4, 5)),
    lambda lib, t: lib.addmm(t(3, 5), t(3, 4, requires_grad=False), t(4, 5), beta=2, alpha=3),
    lambda lib, t: lib.addmm(t(5), t(4, 3).t(), t(4, 5, requires_grad=False), alpha=0.5),
], ids=["maximum", "minimum_constant_other", "max_broadcast", "addmm", "addmm_scaled", "addmm_column_major"])
def test_saved_values_of_extrema_and_addmm(make):
    assert _saved_of(torchless, make) == _saved_of(torch, make)
