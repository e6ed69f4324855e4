"""Regression tests of autograd23, each against PyTorch: saved_tensors_hooks and disable_saved_tensors_hooks are
per thread; the graphs (node names, next_functions, saved values) and second-order gradients of matmul with a
batch, bmm, baddbmm, addbmm, addmm, addmv and addr."""
import threading

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _error(fn):
    try:
        fn()
    except Exception as error:  # (the tests compare the type and message with PyTorch's)
        return type(error).__name__, str(error)
    return None


def _in_thread(fn):
    """What ``fn()`` returns (or the error it raises) when run in a new thread."""
    outcome = {}

    def run():
        outcome["value"] = _error(fn) or fn.__name__

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return outcome["value"]


def _hooks_entered_in_another_thread(lib):
    """The threads whose recording pack_hook saw: hooks entered in one thread leave the other's alone."""
    x = lib.ones(3, requires_grad=True)
    seen = []

    def pack(tensor):
        seen.append(threading.current_thread() is threading.main_thread())
        return tensor

    def record_elsewhere():
        (x * x).exp()

    with lib.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        _in_thread(record_elsewhere)
        x * x
    return seen


def _hooks_entered_by_a_worker(lib):
    x = lib.ones(3, requires_grad=True)
    seen = []

    def record_in_worker():
        with lib.autograd.graph.saved_tensors_hooks(lambda t: seen.append("packed") or t, lambda t: t):
            y = x * x
        (x * x).sum().backward()
        y.sum().backward()

    _in_thread(record_in_worker)
    x * x  # (the main thread has no hooks)
    return seen, x.grad.tolist()


def _disabled_in_another_thread(lib):
    def enter_hooks():
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass

    with lib.autograd.graph.disable_saved_tensors_hooks("off in the main thread"):
        return _in_thread(enter_hooks), _error(enter_hooks)


@pytest.mark.parametrize("case", [_hooks_entered_in_another_thread, _hooks_entered_by_a_worker,
                                  _disabled_in_another_thread])
def test_saved_tensors_hooks_are_per_thread(case):
    assert case(torchless) == case(torch)


def _disable_not_a_string(lib, message):
    def enter():
        with lib.autograd.graph.disable_saved_tensors_hooks(message):
            pass

    def hooks_after():
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass

    def hooks_inside():
        with lib.autograd.graph.disable_saved_tensors_hooks(message):
            hooks_after()

    return _error(enter), _error(hooks_after), _error(hooks_inside)


@pytest.mark.parametrize("message", [3, None, b"bytes", np.str_("numpy text")])
def test_disable_saved_tensors_hooks_wants_a_string(message):
    assert _disable_not_a_string(torchless, message) == _disable_not_a_string(torch, message)


def _disable_as_decorator(lib):
    @lib.autograd.graph.disable_saved_tensors_hooks("decorated")
    def enter_hooks():
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass

    return _error(enter_hooks), _error(lambda: lib.autograd.graph.saved_tensors_hooks(id, id).__enter__())


def _disable_restored_after_error(lib):
    def raising():
        with lib.autograd.graph.disable_saved_tensors_hooks("first"):
            raise ValueError("inside")

    raised = _error(raising)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        entered = _error(lambda: lib.autograd.graph.disable_saved_tensors_hooks("inside hooks").__enter__())
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):  # (the failed disable left no trace)
        pass
    return raised, entered


@pytest.mark.parametrize("case", [_disable_as_decorator, _disable_restored_after_error])
def test_disable_saved_tensors_hooks_as_pytorch(case):
    try:
        assert case(torchless) == case(torch)
    finally:
        for lib in (torchless, torch):  # (a hooks context entered by hand above, left on the stack)
            while _error(lambda: lib.autograd.graph.saved_tensors_hooks(id, id).__exit__(None, None, None)) is None:
                pass


def test_disable_saved_tensors_hooks_is_a_function_as_pytorch():
    ours = torchless.autograd.graph.disable_saved_tensors_hooks
    theirs = torch.autograd.graph.disable_saved_tensors_hooks
    assert type(ours).__name__ == type(theirs).__name__
    assert type(ours("m")).__name__ == type(theirs("m")).__name__


# --- batched products under create_graph=True: PyTorch's graph (at::matmul's decomposition, the derivative
# formulas of bmm, baddbmm, addbmm, addmm, addmv, addr), node by node, and the second-order gradients

def _structure(node, depth=0):
    """A node's name and, recursively, those of its next_functions (None where no gradient flows)."""
    if node is None:
        return None
    if depth > 10:
        return node.name()
    return node.name(), tuple(_structure(child, depth + 1) for child, _ in node.next_functions)


def _saved_of(node, depth=0, found=None):
    """[(name, {saved attribute: shape and grad_fn name of a tensor, else the value})] of the graph below node."""
    found = [] if found is None else found
    if node is None or depth > 8:
        return found
    saved = {}
    for attribute in dir(node):
        if attribute.startswith("_saved_"):
            value = getattr(node, attribute)
            if hasattr(value, "shape"):
                value = tuple(value.shape), None if value.grad_fn is None else value.grad_fn.name()
            saved[attribute] = value
    found.append((node.name(), saved))
    for child, _ in node.next_functions:
        _saved_of(child, depth + 1, found)
    return found


def _operand(lib, shape, seed, requires_grad, transposed):
    """A float64 operand of ``shape``, laid out transposed in its last two dims when ``transposed``."""
    values = np.random.default_rng(seed).standard_normal(shape)
    if transposed and len(shape) > 1:
        stored = lib.tensor(np.ascontiguousarray(np.swapaxes(values, -1, -2)), requires_grad=requires_grad)
        return stored, stored.transpose(-1, -2)
    stored = lib.tensor(values, requires_grad=requires_grad)
    return stored, stored


def _double_backward(lib, product, operands):
    """The graph of ``product(*operands)``, of its first-order gradients, and the second-order gradients."""
    leaves, used = zip(*operands)
    result = product(lib, *used)
    forward = _structure(result.grad_fn), _saved_of(result.grad_fn)  # (before backward frees the saved tensors)
    weights = lib.tensor(np.random.default_rng(9).standard_normal(tuple(result.shape)))
    wanted = [leaf for leaf in leaves if leaf.requires_grad]
    grads = lib.autograd.grad((result * result * weights).sum(), wanted, create_graph=True)
    second = lib.autograd.grad(sum((g.sin()).sum() for g in grads), wanted, allow_unused=True)
    return (*forward, [_structure(g.grad_fn) for g in grads],
            [None if g is None else g.detach().numpy() for g in second])


def _assert_same(ours, theirs):
    assert ours[:3] == theirs[:3]
    for mine, torch_grad in zip(ours[3], theirs[3]):
        np.testing.assert_allclose(mine, torch_grad, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shapes", [((2, 3, 4), (2, 4, 5)), ((2, 2, 3, 4), (2, 4, 5)), ((2, 3, 4), (3, 2, 4, 5)),
                                    ((2, 1, 3, 4), (1, 3, 4, 5)), ((1, 3, 4), (2, 1, 4, 5)), ((4,), (2, 4, 5)),
                                    ((3, 4), (2, 4, 5)), ((3, 4), (2, 3, 4, 5)), ((4,), (3, 2, 4, 5)),
                                    ((2, 3, 4), (4, 5)), ((2, 3, 4), (4,)), ((3, 4), (1, 4, 5)),
                                    ((1, 2, 3, 4), (4,))])
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("transposed", [(False, False), (True, False), (False, True)])
def test_matmul_create_graph_as_pytorch(shapes, needs, transposed):

    def run(lib):
        operands = [_operand(lib, shape, seed, need, flip)
                    for shape, seed, need, flip in zip(shapes, (1, 2), needs, transposed)]
        return _double_backward(lib, lambda lib, a, b: a @ b, operands)

    _assert_same(run(torchless), run(torch))


_ADD_PRODUCTS = {"addmm": ((3, 5), (3, 4), (4, 5)), "addmm_broadcast": ((5,), (3, 4), (4, 5)),
                 "addmv": ((3,), (3, 4), (4,)), "addr": ((3, 4), (3,), (4,)),
                 "baddbmm": ((2, 3, 5), (2, 3, 4), (2, 4, 5)), "baddbmm_broadcast": ((3, 5), (2, 3, 4), (2, 4, 5)),
                 "addbmm": ((3, 5), (2, 3, 4), (2, 4, 5)), "bmm": ((2, 3, 4), (2, 4, 5))}


@pytest.mark.parametrize("kind", sorted(_ADD_PRODUCTS))
@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, 2.0), (0, 1), (1, 0.5)])
def test_add_products_create_graph_as_pytorch(kind, beta, alpha):
    name = kind.split("_")[0]
    if name == "bmm" and (beta, alpha) != (1, 1):
        pytest.skip("bmm has no beta, alpha")

    def product(lib, *operands):
        if name == "bmm":
            return lib.bmm(*operands)
        return getattr(lib, name)(*operands, beta=beta, alpha=alpha)

    def run(lib):
        operands = [_operand(lib, shape, seed, True, False) for seed, shape in enumerate(_ADD_PRODUCTS[kind])]
        return _double_backward(lib, product, operands)

    _assert_same(run(torchless), run(torch))


# --- group_norm under create_graph=True: PyTorch's infinitely_differentiable_native_group_norm_backward, whose
# formula reads the node's mean and rstd outputs (graph tensors of the node)

@pytest.mark.parametrize("shape, groups, affine, needs", [
    ((2, 6, 4, 4), 3, True, (True, True, True)), ((2, 6, 4, 4), 3, False, (True, False, False)),
    ((3, 4, 5), 2, True, (True, True, True)), ((2, 4), 4, True, (True, True, True)),
    ((2, 6, 4, 4), 3, True, (False, True, True)), ((2, 6, 4, 4), 1, True, (True, False, True)),
    ((2, 6, 3, 3), 6, True, (True, True, False))])
def test_group_norm_create_graph_as_pytorch(shape, groups, affine, needs):
    def run(lib):
        rng = np.random.default_rng(3)
        x = lib.tensor(rng.standard_normal(shape), requires_grad=needs[0])
        weight = lib.tensor(rng.standard_normal(shape[1]), requires_grad=needs[1]) if affine else None
        bias = lib.tensor(rng.standard_normal(shape[1]), requires_grad=needs[2]) if affine else None
        operands = [(t, t) for t in (x, weight, bias) if t is not None]
        return _double_backward(lib, lambda lib, x, *affine: lib.nn.functional.group_norm(x, groups, *affine),
                                operands)

    _assert_same(run(torchless), run(torch))


def test_group_norm_third_order_as_pytorch():
    def run(lib):
        rng = np.random.default_rng(4)
        x = lib.tensor(rng.standard_normal((2, 6, 3, 3)), requires_grad=True)
        weight, bias = (lib.tensor(rng.standard_normal(6), requires_grad=True) for _ in range(2))
        y = lib.nn.functional.group_norm(x, 3, weight, bias)
        first = lib.autograd.grad((y * y * lib.tensor(rng.standard_normal((2, 6, 3, 3)))).sum(), (x, weight, bias),
                                  create_graph=True)
        second = lib.autograd.grad(sum(g.sin().sum() for g in first), (x, weight), create_graph=True)
        third = lib.autograd.grad(sum((g * g).sum() for g in second), (x, weight, bias))
        return [g.detach().numpy() for g in third]

    for ours, theirs in zip(run(torchless), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)


# --- cross_entropy keeps log_softmax's result as PyTorch computes it: finite where the probability underflows

def _extreme_logits_run(lib, dtype, options, probability_targets):
    logits = np.array([[0.0, 1e4, -1e4], [5e3, -5e3, 0.0], [1.0, 2.0, 3.0]], dtype=dtype)
    x = lib.tensor(logits, requires_grad=True)
    if probability_targets:
        target = lib.tensor(np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]], dtype=dtype))
    else:
        target = lib.tensor([2, 1, 0])
    options = dict(options)
    if "weight" in options:
        options["weight"] = lib.tensor(np.array(options["weight"], dtype=dtype))
    loss = lib.nn.functional.cross_entropy(x, target, **options)
    saved = {}
    for node in [loss.grad_fn] + [child for child, _ in loss.grad_fn.next_functions if child is not None]:
        for attribute in dir(node):
            value = getattr(node, attribute) if attribute.startswith("_saved_") else None
            if hasattr(value, "shape"):
                saved[node.name() + attribute] = value.detach().numpy()
    first, = lib.autograd.grad(loss.sum(), x, create_graph=True)
    second, = lib.autograd.grad((first * first).sum(), x)
    return saved, first.detach().numpy(), second.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options, probability_targets", [
    ({}, False), ({"label_smoothing": 0.1}, False), ({"weight": [1.0, 2.0, 0.5]}, False), ({"ignore_index": 1}, False),
    ({"reduction": "sum"}, False), ({"reduction": "none"}, False), ({}, True), ({"label_smoothing": 0.2}, True)])
def test_cross_entropy_saved_log_probabilities_stay_finite(dtype, options, probability_targets):
    ours = _extreme_logits_run(torchless, dtype, options, probability_targets)
    theirs = _extreme_logits_run(torch, dtype, options, probability_targets)
    assert sorted(ours[0]) == sorted(theirs[0])
    for name, values in theirs[0].items():
        np.testing.assert_allclose(ours[0][name], values, rtol=1e-6, err_msg=name)
    for mine, torch_grad in zip(ours[1:], theirs[1:]):
        np.testing.assert_allclose(mine, torch_grad, rtol=1e-5, atol=1e-6)


# --- complex tensors: create_graph=True gradients follow PyTorch's convention (conj of the holomorphic
# derivative) through every node; linalg.svd and linalg.qr differentiate complex matrices

def _complex(shape, seed, dtype="complex128"):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


_COMPLEX_FUNCTIONS = {
    "matmul": lambda lib, a, b: a @ b, "mul": lambda lib, a, b: a * b, "exp": lambda lib, a, b: (a * 0.3).exp() + b,
    "div": lambda lib, a, b: a / b, "conj": lambda lib, a, b: a.conj() * b, "real": lambda lib, a, b: a.real * b,
    "imag": lambda lib, a, b: a.imag * b, "to_real": lambda lib, a, b: a.abs().to(a.dtype) * b,
}


@pytest.mark.parametrize("name", sorted(_COMPLEX_FUNCTIONS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_complex_gradients_under_create_graph_as_pytorch(name, create_graph):
    def run(lib):
        a = lib.tensor(_complex((3, 3), 0), requires_grad=True)
        b = lib.tensor(_complex((3, 3), 1))
        loss = (_COMPLEX_FUNCTIONS[name](lib, a, b).abs() ** 2).sum()
        grad, = lib.autograd.grad(loss, a, create_graph=create_graph)
        return grad.detach().resolve_conj().numpy()

    np.testing.assert_allclose(run(torchless), run(torch), rtol=1e-10, atol=1e-10)


def _svd_losses(lib):
    def reconstruction(a):
        u, s, vh = lib.linalg.svd(a, full_matrices=False)
        return ((u @ lib.diag_embed(s.to(a.dtype)) @ vh).abs() ** 2).sum() + (u.abs() ** 2).sum() + s.sum()

    def outer_products(a):
        u, _, vh = lib.linalg.svd(a, full_matrices=False)
        return (u[..., :, :1] * vh[..., :1, :]).abs().sum()

    return {"svdvals": lambda a: lib.linalg.svdvals(a).sum(), "reconstruction": reconstruction,
            "outer_products": outer_products}


def _qr_losses(lib):
    def reduced(a):
        q, r = lib.linalg.qr(a)
        return (q.abs() ** 2 * 1.5).sum() + (r.abs() ** 3).sum()

    def complete(a):
        q, r = lib.linalg.qr(a, mode="complete")
        return (r.abs() ** 2).sum() + (q.abs() ** 3).sum()

    return {"qr_reduced": reduced, "qr_complete": complete}


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 3)])
@pytest.mark.parametrize("loss_name", ["svdvals", "reconstruction", "outer_products", "qr_reduced", "qr_complete"])
def test_complex_svd_and_qr_gradients_as_pytorch(dtype, shape, loss_name):
    if loss_name == "qr_complete" and shape[-2] > shape[-1]:
        pytest.skip("not differentiable (tested with the errors)")

    def run(lib, create_graph):
        a = lib.tensor(_complex(shape, 2, dtype), requires_grad=True)
        loss = {**_svd_losses(lib), **_qr_losses(lib)}[loss_name](a)
        grad, = lib.autograd.grad(loss, a, create_graph=create_graph)
        return grad.detach().resolve_conj().numpy()

    tolerance = 1e-3 if dtype == "complex64" else 1e-9
    for create_graph in (False, True):
        np.testing.assert_allclose(run(torchless, create_graph), run(torch, False), rtol=tolerance, atol=tolerance)


def _phase_dependent_loss(lib):
    a = lib.tensor(_complex((3, 3), 3), requires_grad=True)
    u, _, _ = lib.linalg.svd(a)
    return _error(lambda: u.real.sum().backward())


def _qr_refusals(lib):
    a = lib.tensor(_complex((4, 2), 4), requires_grad=True)
    return (_error(lambda: lib.linalg.qr(a, mode="r").R.abs().sum().backward()),
            _error(lambda: lib.linalg.qr(a, mode="complete").R.abs().sum().backward()))


@pytest.mark.parametrize("case", [_phase_dependent_loss, _qr_refusals])
def test_complex_factorization_errors_as_pytorch(case):
    assert case(torchless) == case(torch)


# --- sum and mean over dims under create_graph=True: PyTorch's sum_backward unsqueezes each reduced dim
# (UnsqueezeBackward0, in increasing order) before the expand; mean_backward then divides by the count as a number
# (div.Scalar's DivBackward1)

@pytest.mark.parametrize("reduce", ["sum", "mean"])
@pytest.mark.parametrize("dims, keepdim", [((2, 3), False), ((-1, 0), False), (1, False), ((1, 2), True), (None, False)])
def test_sum_and_mean_gradients_under_create_graph_as_pytorch(reduce, dims, keepdim):
    def run(lib):
        x = lib.tensor(np.random.default_rng(5).standard_normal((2, 3, 4, 5)), requires_grad=True)
        reduced = getattr(x, reduce)() if dims is None else getattr(x, reduce)(dims, keepdim=keepdim)
        weight = lib.tensor(np.random.default_rng(6).standard_normal(tuple(reduced.shape)), requires_grad=True)
        grad, = lib.autograd.grad((reduced * weight).sum(), x, create_graph=True)
        second, = lib.autograd.grad((grad * grad).sum(), weight)
        return _structure(grad.grad_fn), second.numpy()

    ours, theirs = run(torchless), run(torch)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
