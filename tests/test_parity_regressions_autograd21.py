"""Regression tests of autograd21, each against PyTorch: autograd.grad returns the gradients the engine computed
(their strides, their aliasing of the given gradients), flip's backward."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _address(lib, tensor):
    return tensor.data_ptr() if lib is torch else tensor._data.__array_interface__["data"][0]


# ---------------------------------------------------------------------------------------------------------------
# autograd.grad: PyTorch returns the gradient tensors themselves, no copies: an identity-like graph hands back the
# given grad_output (the same object, or a view of its memory), a sum's gradient is expanded (zero strides)

_GRAPHS = {
    "clone": lambda lib, x: x.clone(),
    "add_number": lambda lib, x: x + 1,
    "positive": lambda lib, x: +x,
    "add_detached": lambda lib, x: x + x.detach(),
    "transpose": lambda lib, x: x.transpose(0, 1),
    "permute": lambda lib, x: x.permute(1, 0, 2),
    "flatten": lambda lib, x: x.flatten(),
    "unsqueeze": lambda lib, x: x.unsqueeze(1),
    "mT": lambda lib, x: x.mT,
    "contiguous_of_transpose": lambda lib, x: x.transpose(0, 2).contiguous(),
    "sum": lambda lib, x: x.sum(),
    "sum_dim": lambda lib, x: x.sum(1),
    "sum_keepdim": lambda lib, x: x.sum(1, keepdim=True),
    "flip": lambda lib, x: x.flip(0),
    "flip_twice_used": lambda lib, x: x.flip(0) + x.flip(2),
    "mul": lambda lib, x: x * 2,
    "relu": lambda lib, x: x.relu(),
}


def _grad_result(lib, graph, transposed_input, transposed_gradient):
    values = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5
    if transposed_input:
        x = lib.tensor(np.ascontiguousarray(values.swapaxes(0, 1))).transpose(0, 1).requires_grad_()
    else:
        x = lib.tensor(values).requires_grad_()
    y = _GRAPHS[graph](lib, x)
    seed = np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(tuple(y.shape))
    if transposed_gradient and y.dim() >= 2:
        given = lib.tensor(np.ascontiguousarray(seed.swapaxes(0, 1))).transpose(0, 1)
    else:
        given = lib.tensor(seed)
    (result,) = lib.autograd.grad(y, x, given)
    return (result.detach().numpy().copy(), tuple(result.stride()), _address(lib, result) == _address(lib, given),
            result is given)


@pytest.mark.parametrize("transposed_gradient", [False, True])
@pytest.mark.parametrize("transposed_input", [False, True])
@pytest.mark.parametrize("graph", sorted(_GRAPHS))
def test_grad_returns_the_gradient_itself_as_torch(graph, transposed_input, transposed_gradient):
    ours = _grad_result(torchless, graph, transposed_input, transposed_gradient)
    theirs = _grad_result(torch, graph, transposed_input, transposed_gradient)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]


def test_grad_of_a_tensor_by_itself_is_the_given_gradient_as_torch():
    for lib in (torchless, torch):
        x = lib.ones(3, requires_grad=True)
        a = x * 2
        given = lib.full((3,), 5.0)
        first, second = lib.autograd.grad(a, [a, a], given)
        assert first is given and second is given, lib.__name__
        (leaf,) = lib.autograd.grad(x, x, given)
        assert leaf is given, lib.__name__


def test_grad_result_aliases_the_given_gradient_in_memory_as_torch():
    results = {}
    for lib in (torchless, torch):
        x = lib.zeros(2, 3, requires_grad=True)
        given = lib.ones(3, 2)
        (result,) = lib.autograd.grad(x.t(), x, given)
        given.mul_(4)  # PyTorch's result is a view of the given gradient: it sees the change
        results[lib] = result.numpy().copy()
    np.testing.assert_array_equal(results[torchless], results[torch])


def test_grad_of_sum_is_expanded_and_refuses_in_place_addition_as_torch():
    errors = {}
    for lib in (torchless, torch):
        x = lib.ones(2, 3, requires_grad=True)
        (result,) = lib.autograd.grad(x.sum(), x)
        assert tuple(result.stride()) == (0, 0)
        with pytest.raises(RuntimeError) as error:
            result.add_(1)
        errors[lib] = str(error.value)
    assert errors[torchless] == errors[torch]


# ---------------------------------------------------------------------------------------------------------------
# create_graph graphs of nn functional losses: PyTorch's nodes and their next_functions, gradients and second
# derivatives

def _graph(fn, depth=0, max_depth=7):
    """A node's name and its next_functions' graphs, to ``max_depth`` levels."""
    if fn is None:
        return None
    if depth > max_depth:
        return "..."
    return fn.name(), tuple(_graph(f, depth + 1, max_depth) for f, _ in fn.next_functions)


def _double_backward(lib, loss, values):
    """The graph of the gradient of ``loss(lib, F, x)`` (create_graph) and the values of it and of the gradient of
    its product with a fixed tensor (a second derivative)."""
    x = lib.tensor(values).requires_grad_()
    (grad,) = lib.autograd.grad(loss(lib, lib.nn.functional, x), x, create_graph=True)
    probe = lib.tensor(np.ascontiguousarray(values[..., ::-1]))
    (second,) = lib.autograd.grad((grad * probe).sum(), x)
    return _graph(grad.grad_fn), grad.detach().numpy().copy(), second.numpy().copy()


def _assert_double_backward_as_torch(loss, values):
    ours, theirs = _double_backward(torchless, loss, values), _double_backward(torch, loss, values)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-4, atol=1e-5)


_CLASS_SHAPES = [(5,), (4, 3), (4, 3, 5), (2, 3, 2, 2), (2, 3, 2, 1, 2)]


@pytest.mark.parametrize("ignored", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", _CLASS_SHAPES, ids=str)
def test_label_smoothed_cross_entropy_create_graph_as_torch(shape, reduction, weighted, ignored):
    # PyTorch adds the smoothing term's gradient of the log-probabilities to nll_loss's backward op's
    # (NllLossBackwardBackward0, NllLoss2DBackwardBackward0 viewed back for 3-D and 5-D inputs)
    rng = np.random.default_rng(len(shape))
    values = rng.standard_normal(shape).astype(np.float32)
    classes = shape[0] if len(shape) == 1 else shape[1]
    target = rng.integers(0, classes, () if len(shape) == 1 else (shape[0],) + shape[2:])
    if ignored:
        target.flat[-1] = 1
    class_weight = np.linspace(0.5, 2.0, classes, dtype=np.float32)

    def loss(lib, F, x):
        options = dict(reduction=reduction, label_smoothing=0.2, ignore_index=1 if ignored else -100)
        if weighted:
            options["weight"] = lib.tensor(class_weight)
        out = F.cross_entropy(x, lib.tensor(target), **options)
        return out if reduction != "none" else (out * lib.tensor(np.linspace(0.5, 1.5, out.numel(),
                                                                             dtype=np.float32)).reshape(out.shape)).sum()

    _assert_double_backward_as_torch(loss, values)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_create_graph_as_torch(weighted, reduction):
    # the input's gradient is PyTorch's binary_cross_entropy_backward's (BinaryCrossEntropyBackwardBackward0)
    rng = np.random.default_rng(3)
    values = rng.standard_normal((4, 3)).astype(np.float32)
    target = rng.uniform(0.1, 0.9, (4, 3)).astype(np.float32)

    def loss(lib, F, x):
        weight = lib.tensor(target[0]) if weighted else None
        return F.binary_cross_entropy(x.sigmoid(), lib.tensor(target), weight=weight, reduction=reduction).sum()

    _assert_double_backward_as_torch(loss, values)


def _linear_gradients(lib, input_shape, weight_shape, bias, needs, column_major):
    """The graphs and values of F.linear's gradients under create_graph (of the input and, as ``needs`` says, of
    the weight and bias) and of their second derivatives; ``column_major``: the input and weight transposed
    in memory."""
    rng = np.random.default_rng(len(input_shape))
    values = [rng.standard_normal(shape).astype(np.float32)
              for shape in (input_shape, weight_shape, weight_shape[:1])]

    def tensor(array):
        if column_major and array.ndim == 2:
            return lib.tensor(array.T.copy()).t()
        return lib.tensor(array)

    x, w, b = (tensor(v) for v in values)
    inputs = [x.requires_grad_()] + [t.requires_grad_() for t, need in zip((w, b), needs) if need]
    loss = lib.nn.functional.linear(x, w, b if bias else None).pow(2).sum()
    grads = lib.autograd.grad(loss, inputs, create_graph=True)
    seconds = lib.autograd.grad(sum((g * g).sum() for g in grads), inputs, allow_unused=True, materialize_grads=True)
    return ([_graph(g.grad_fn) for g in grads], [g.detach().numpy().copy() for g in grads],
            [s.numpy().copy() for s in seconds])


@pytest.mark.parametrize("column_major", [False, True])
@pytest.mark.parametrize("needs", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("input_shape, weight_shape", [((4, 5), (6, 5)), ((2, 4, 5), (6, 5)), ((5,), (6, 5)),
                                                       ((1, 5), (1, 5)), ((5, 1), (6, 1))], ids=str)
def test_linear_create_graph_as_torch(input_shape, weight_shape, bias, needs, column_major):
    # PyTorch's addmm(b, x, w.t()) / mm(x, w.t()) nodes: mm_mat1_backward / mm_mat2_backward through the saved
    # w.t() (TBackward0 of TBackward0), transposed for a column-major factor; the bias's gradient by sum_to; an
    # input of another rank viewed as rows (a vector unsqueezed without a bias) and its gradient viewed back
    if needs[1] and not bias:
        pytest.skip("no bias")
    ours = _linear_gradients(torchless, input_shape, weight_shape, bias, needs, column_major)
    theirs = _linear_gradients(torch, input_shape, weight_shape, bias, needs, column_major)
    assert ours[0] == theirs[0]
    for mine, expected in zip(ours[1] + ours[2], theirs[1] + theirs[2]):
        np.testing.assert_allclose(mine, expected, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------------------------------------------
# Several gradients reaching one tensor: PyTorch's InputBuffer adds in place into the first when it can steal it
# (nothing else holds it or its storage: not a view, not a gradient sent elsewhere too; dense), so the sum keeps
# its layout, size-1 dims' strides too; else it sums out of place (TensorIterator's layout)

_USES = {
    "permuted": lambda lib, a: a.permute(1, 0, 2) * 2,
    "reversed": lambda lib, a: a.permute(2, 1, 0) * 2,
    "scaled": lambda lib, a: a * 2,
    "squeezed": lambda lib, a: a.squeeze(1) * 3,  # (a no-op squeeze for some shapes: its gradient passes as is)
    "transposed_copy": lambda lib, a: a.transpose(0, 2).contiguous() * 1.5,
    "expanded": lambda lib, a: a.expand(2, 3, 4) * 1.0,
    "channels_last": lambda lib, a: a.unsqueeze(0).contiguous(memory_format=lib.channels_last) * 1.0,
    "summed": lambda lib, a: a.sum(),
    "sliced": lambda lib, a: a[:, :, :1] * 2,
}


def _summed_gradient(lib, shape, uses, dtype="float32"):
    values = (np.arange(np.prod(shape)).reshape(shape) % 7 / 3 - 1).astype(dtype)
    x = lib.tensor(values).requires_grad_()
    a = x * 1
    seen = []
    a.register_hook(lambda g: seen.append((tuple(g.stride()), g.detach().numpy().copy())))
    outputs = []
    for name in uses:
        try:
            outputs.append(_USES[name](lib, a))
        except RuntimeError:
            return None  # (an expand the shape does not allow)
    sum((out.float() * (i + 1.25)).sum() for i, out in enumerate(outputs)).backward()
    (stride, value), = seen
    return stride, value


@pytest.mark.parametrize("uses", [("reversed", "scaled"), ("reversed", "expanded"), ("transposed_copy", "scaled"),
                                  ("transposed_copy", "expanded"), ("reversed", "squeezed"), ("expanded", "permuted"),
                                  ("channels_last", "reversed"), ("permuted", "channels_last"),
                                  ("summed", "sliced", "scaled"), ("sliced", "scaled", "reversed")], ids="-".join)
@pytest.mark.parametrize("shape", [(2, 1, 4), (2, 3, 1), (1, 3, 1)], ids=str)
def test_summed_gradient_layout_as_torch(shape, uses):
    ours, theirs = _summed_gradient(torchless, shape, uses), _summed_gradient(torch, shape, uses)
    if theirs is None:
        assert ours is None
        return
    assert ours[0] == theirs[0]
    np.testing.assert_array_equal(ours[1], theirs[1])


@pytest.mark.parametrize("uses", [("scaled", "permuted", "reversed", "scaled"), ("expanded", "scaled", "summed"),
                                  ("transposed_copy", "channels_last", "scaled", "sliced")], ids="-".join)
def test_summed_float16_gradients_as_torch(uses):
    # summed in the order they arrive, in float16, to the last bit
    ours, theirs = (_summed_gradient(lib, (2, 1, 4), uses, "float16") for lib in (torchless, torch))
    assert ours[0] == theirs[0]
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_gradient_kept_by_a_hook_is_not_added_into():
    # a gradient something else holds (a hook kept it) is not stolen: the sum is a new tensor
    kept = {}
    for lib in (torchless, torch):
        x = lib.ones(2, 3, requires_grad=True)
        first = x * 2
        later = first * 3
        copy = first.clone()  # (its gradient passes as is to first's node, before later's)
        copy.register_hook(lambda g, lib=lib: kept.setdefault(lib, g))
        (later.sum() + (copy * 1).sum()).backward()
        np.testing.assert_array_equal(kept[lib].numpy(), np.ones((2, 3)))
        np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 8.0))


# ---------------------------------------------------------------------------------------------------------------
# torch.autograd.functional.jacobian / hessian: PyTorch's errors for its strategies and options

_FUNCTIONS = {"linear": lambda a: a * 2, "detached": lambda a: a.detach() * 2, "square": lambda a: a ** 2}


def _functional_outcome(lib, which, function, create_graph, strict, vectorize, strategy):
    f = _FUNCTIONS[function]
    try:
        if which == "jacobian":
            result = lib.autograd.functional.jacobian(f, lib.ones(3), create_graph=create_graph, strict=strict,
                                                      vectorize=vectorize, strategy=strategy)
        else:
            result = lib.autograd.functional.hessian(lambda a: f(a).sum(), lib.ones(3), create_graph=create_graph,
                                                     strict=strict, vectorize=vectorize,
                                                     outer_jacobian_strategy=strategy)
    except Exception as error:  # noqa: BLE001 - the outcome compared, whatever it is
        return type(error).__name__, str(error).replace("torchless", "torch")
    return "result", result.detach().numpy().tolist()


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode", "sideways"])
@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("function", sorted(_FUNCTIONS))
@pytest.mark.parametrize("which", ["jacobian", "hessian"])
def test_functional_strategies_and_options_as_torch(which, function, create_graph, strict, vectorize, strategy):
    arguments = (which, function, create_graph, strict, vectorize, strategy)
    assert _functional_outcome(torchless, *arguments) == _functional_outcome(torch, *arguments)
