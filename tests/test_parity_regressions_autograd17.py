"""Regression tests of autograd17, each against PyTorch: graphs stay readable after backward, gradients and results
keep PyTorch's layouts, sums of mixed infinities stay silent, div's node names."""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

_RNG = np.random.default_rng(17)


def _pair(*shape):
    """The same float32 values as a torchless and a torch tensor."""
    values = _RNG.standard_normal(shape).astype(np.float32)
    return torchless.tensor(values), torch.tensor(values)


# ---- 1. next_functions, names and non-tensor saved values stay readable after backward


def _saved_values(node):
    """{_saved_<name>: value} of a node: a tensor as its shape, a freed one as its error."""
    values = {}
    for attr in sorted(a for a in dir(node) if a.startswith("_saved_")):
        try:
            value = getattr(node, attr)
        except RuntimeError as error:
            value = ("RuntimeError", str(error).replace("torchless", "torch"))
        if hasattr(value, "shape"):
            value = ("tensor", tuple(value.shape))
        elif isinstance(value, tuple):
            value = tuple(("tensor", tuple(v.shape)) if hasattr(v, "shape") else v for v in value)
        values[attr] = value
    return values


def _graph(node, seen=None):
    """The graph under ``node`` as nested (name, saved values, inputs' graphs), in next_functions' order."""
    if node is None:
        return None
    name = node.name()
    if name == "torch::autograd::AccumulateGrad":
        return name
    return name, _saved_values(node), [_graph(fn) for fn, _ in node.next_functions]


def _cnn_graph(lib, tensors):
    """A small CNN's loss, with matmul, bmm and broadcasting products on the way: the ops people train with."""
    F = lib.nn.functional
    x, conv_w, conv_b, fc_w, fc_b, m3, m2, b1, b2, row, col = tensors
    y = F.max_pool2d(F.relu(F.conv2d(x, conv_w, conv_b, padding=1)), 2)
    y = F.avg_pool2d(y, 2).view(2, -1)  # (2, 16)
    y = y * row + col  # broadcasting mul and add
    y = F.linear(y, fc_w, fc_b)  # (2, 5)
    folded = (m3 @ m2).sum(1)  # (2, 3, 4) @ (4, 5): PyTorch folds the batch into the rows of one mm
    batched = lib.bmm(b1, b2).sum(1)  # (2, 3, 5)
    logits = y + folded + batched
    return F.cross_entropy(logits, lib.tensor([1, 3]))


_CNN_SHAPES = [(2, 3, 8, 8), (4, 3, 3, 3), (4,), (5, 16), (5,), (2, 3, 4), (4, 5), (2, 3, 4), (2, 4, 5), (16,), (2, 1)]


def _cnn_pairs():
    pairs = [_pair(*shape) for shape in _CNN_SHAPES]
    for ours, theirs in pairs:
        ours.requires_grad_()
        theirs.requires_grad_()
    return [p[0] for p in pairs], [p[1] for p in pairs]


def test_cnn_graph_walks_as_torch_s_after_backward():
    ours, theirs = _cnn_pairs()
    loss, expected_loss = _cnn_graph(torchless, ours), _cnn_graph(torch, theirs)
    expected_before = _graph(expected_loss.grad_fn)
    assert _graph(loss.grad_fn) == expected_before
    expected_loss.backward()
    loss.backward()
    expected_after = _graph(expected_loss.grad_fn)
    assert expected_after != expected_before  # (torch frees the saved tensors: the walk sees it)
    assert _graph(loss.grad_fn) == expected_after


@pytest.mark.parametrize("shapes, batched", [
    (((2, 3, 4), (4, 5)), False),  # folded: view, mm, unsafe view
    (((2, 3, 4), (4,)), False),  # folded: view, mv, unsafe view
    (((4,), (4, 5)), False),  # unsqueeze, mm, squeeze
    (((2, 3, 4), (2, 4, 5)), True),
    (((3, 4), (4, 5)), False),
    (((4,), (4,)), False),
])
def test_product_nodes_keep_their_listing_and_sizes_after_backward(shapes, batched):
    pairs = [_pair(*shape) for shape in shapes]
    graphs = []
    for lib, (a, b) in ((torch, [p[1] for p in pairs]), (torchless, [p[0] for p in pairs])):
        a.requires_grad_()
        b.requires_grad_()
        out = lib.bmm(a, b) if batched else a @ b
        out.sum().backward()
        graphs.append(_graph(out.grad_fn))
    assert graphs[1] == graphs[0]


def test_node_metadata_survives_backward():
    for lib in (torch, torchless):
        a = lib.ones(2, 3, 4, requires_grad=True)
        out = a @ lib.ones(4, 5, requires_grad=True)
        out.grad_fn.metadata["step"] = 1
        out.sum().backward()
        assert out.grad_fn.metadata == {"step": 1}


def _names(node):
    """The node names of the graph under ``node``, in next_functions' order."""
    return None if node is None else (node.name(), [_names(fn) for fn, _ in node.next_functions])


def test_einsum_graph_stays_readable_after_backward():
    kept = []
    for lib in (torch, torchless):
        a, b = lib.ones(2, 3, 4, requires_grad=True), lib.ones(2, 4, 5, requires_grad=True)
        out = lib.einsum("bij,bjk->bik", a, b)
        before = _names(out.grad_fn)
        out.sum().backward()
        kept.append(_names(out.grad_fn) == before)
    assert kept[1] == kept[0]


def test_einsum_graph_is_torch_s():
    graphs = []
    for lib in (torch, torchless):
        a, b = lib.ones(2, 3, 4, requires_grad=True), lib.ones(2, 4, 5, requires_grad=True)
        graphs.append(_graph(lib.einsum("bij,bjk->bik", a, b).grad_fn))
    assert graphs[1] == graphs[0]


@pytest.mark.parametrize("build", [
    lambda lib, x: x * lib.ones(3),  # self saved only for other's gradient: never saved
    lambda lib, x: lib.nn.functional.cross_entropy(x.view(1, 3), lib.tensor([2])),  # weight None
    lambda lib, x: x.pow(2),  # a number exponent, kept
    lambda lib, x: x / 2,
    lambda lib, x: lib.div(x, lib.tensor(2.0)),
    lambda lib, x: lib.nn.functional.avg_pool1d(x.view(1, 1, 3), 2),
])
def test_saved_values_after_backward_are_torch_s(build):
    values = []
    for lib in (torch, torchless):
        out = build(lib, lib.ones(3, requires_grad=True))
        out.sum().backward()
        values.append(_saved_values(out.grad_fn))
    assert values[1] == values[0]


# ---- 5. div's node: DivBackward2 whenever a rounding_mode is given, None included


_NOT_GIVEN = object()
_DIV_CALLS = {
    "div": lambda lib, a, b, mode: lib.div(a, b, **mode),
    "divide": lambda lib, a, b, mode: lib.divide(a, b, **mode),
    "Tensor.div": lambda lib, a, b, mode: a.div(b, **mode),
    "Tensor.divide": lambda lib, a, b, mode: a.divide(b, **mode),
    "div by a number": lambda lib, a, b, mode: lib.div(a, 2, **mode),
    "float16 by a float": lambda lib, a, b, mode: lib.div(a.half(), 3.0, **mode),
    "div_": lambda lib, a, b, mode: a.clone().div_(b, **mode),
    "divide_": lambda lib, a, b, mode: a.clone().divide_(b, **mode),
    "div_ by a number": lambda lib, a, b, mode: a.clone().div_(2.0, **mode),
}


def _node_summary(out):
    node = out.grad_fn
    return node.name(), {name: value for name, value in _saved_values(node).items() if not isinstance(value, tuple)}


@pytest.mark.parametrize("mode", [_NOT_GIVEN, None, "trunc", "floor"])
@pytest.mark.parametrize("call", list(_DIV_CALLS))
def test_div_node_names_and_saved_mode_are_torch_s(call, mode):
    kwargs = {} if mode is _NOT_GIVEN else {"rounding_mode": mode}
    results = []
    for lib in (torch, torchless):
        a = lib.tensor([1.5, -2.5, 3.0], requires_grad=True)
        b = lib.tensor([2.0, 2.0, -1.0], requires_grad=True)
        out = _DIV_CALLS[call](lib, a, b, kwargs)
        out.sum().backward()
        grads = [None if t.grad is None else t.grad.tolist() for t in (a, b)]
        results.append((_node_summary(out), out.tolist(), grads))
    assert results[1] == results[0]


def test_true_divide_aliases_name_div_backward0():
    names = []
    for lib in (torch, torchless):
        a, b = lib.ones(2, requires_grad=True), lib.ones(2)
        names.append([lib.true_divide(a, b).grad_fn.name(), a.true_divide(b).grad_fn.name(), (a / b).grad_fn.name()])
    assert names[1] == names[0]


# ---- 4. sums of rows mixing +inf and -inf (or overflowing) are nan (inf) without NumPy's RuntimeWarning


def _mixed_infinities(lib, rows, dtype="float32"):
    values = np.zeros((rows, 3), np.float32)
    values[0], values[1] = np.inf, -np.inf
    values[2, 2] = 3e38
    values[3, 2] = 3e38
    return lib.tensor(values).to(getattr(lib, dtype))


def _bias_gradient(lib, rows):
    bias = lib.zeros(3, requires_grad=True)
    out = lib.nn.functional.linear(lib.zeros(rows, 2), lib.zeros(3, 2), bias)
    out.backward(_mixed_infinities(lib, rows))
    return bias.grad


def _broadcast_gradient(lib, rows):
    row = lib.zeros(3, requires_grad=True)
    (lib.zeros(rows, 3) + row).backward(_mixed_infinities(lib, rows))
    return row.grad


@pytest.mark.parametrize("rows", [4, 100])  # (more than 16 float32 rows are summed in float64)
@pytest.mark.parametrize("reduce", [
    lambda lib, rows: _mixed_infinities(lib, rows).sum(0),
    lambda lib, rows: _mixed_infinities(lib, rows).sum(),
    lambda lib, rows: _mixed_infinities(lib, rows).mean(0),
    lambda lib, rows: _mixed_infinities(lib, rows).sum(0, keepdim=True),
    lambda lib, rows: _mixed_infinities(lib, rows).t().sum(1),
    lambda lib, rows: _mixed_infinities(lib, rows, "float64").sum(0),
    lambda lib, rows: lib.nansum(_mixed_infinities(lib, rows), 0),
    _bias_gradient,
    _broadcast_gradient,
])
def test_sums_of_mixed_infinities_are_silent_as_torch_s(reduce, rows):
    expected = reduce(torch, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (overrides torchless's own filter of its modules' warnings)
        actual = reduce(torchless, rows)
    np.testing.assert_array_equal(actual.detach().numpy(), expected.detach().numpy())


# ---- 2. pointwise backwards lay their gradient out as PyTorch's kernels do (the input first for relu's, clamp's ...)


_POINTWISE = {
    "relu": lambda lib, x: lib.relu(x),
    "relu_": lambda lib, x: lib.relu_(x * 1),
    "leaky_relu": lambda lib, x: lib.nn.functional.leaky_relu(x, 0.1),
    "threshold": lambda lib, x: lib.nn.functional.threshold(x, 0.1, 2.0),
    "prelu": lambda lib, x: lib.nn.functional.prelu(x, lib.tensor([0.25, 0.1, 0.3])),
    "rrelu": lambda lib, x: lib.nn.functional.rrelu(x, training=False),
    "clamp": lambda lib, x: x.clamp(-0.5, 0.5),
    "clamp_min": lambda lib, x: x.clamp(min=0),
    "hardtanh": lambda lib, x: lib.nn.functional.hardtanh(x),
    "relu6": lambda lib, x: lib.nn.functional.relu6(x),
    "gelu": lambda lib, x: lib.nn.functional.gelu(x),
    "silu": lambda lib, x: lib.nn.functional.silu(x),
    "sigmoid": lambda lib, x: lib.sigmoid(x),
    "tanh": lambda lib, x: lib.tanh(x),
    "elu": lambda lib, x: lib.nn.functional.elu(x),
    "softplus": lambda lib, x: lib.nn.functional.softplus(x),
    "hardswish": lambda lib, x: lib.nn.functional.hardswish(x),
    "mish": lambda lib, x: lib.nn.functional.mish(x),
    "erf": lambda lib, x: lib.erf(x),
    "erfc": lambda lib, x: lib.erfc(x),
    "sinc": lambda lib, x: lib.sinc(x),
    "sin": lambda lib, x: lib.sin(x),
    "abs": lambda lib, x: lib.abs(x),
    "exp": lambda lib, x: lib.exp(x),
    "square": lambda lib, x: x ** 2,
    "sqrt": lambda lib, x: (x * x + 1).sqrt(),
    "hardsigmoid": lambda lib, x: lib.nn.functional.hardsigmoid(x),
    "hardshrink": lambda lib, x: lib.nn.functional.hardshrink(x),
    "selu": lambda lib, x: lib.nn.functional.selu(x),
}
_LAYOUTS = {
    "channels_last": lambda lib, t: t.contiguous(memory_format=lib.channels_last),
    "permuted": lambda lib, t: t.transpose(1, 3).contiguous().transpose(1, 3),
    "contiguous": lambda lib, t: t.clone(),
}


@pytest.mark.parametrize("layout", list(_LAYOUTS))
@pytest.mark.parametrize("op", list(_POINTWISE))
def test_pointwise_gradients_have_torch_s_strides(op, layout):
    ours, theirs = _pair(2, 3, 4, 5)
    seen = []
    for lib, values in ((torch, theirs), (torchless, ours)):
        x = _LAYOUTS[layout](lib, values).requires_grad_()
        hidden = x * 1.0  # a non-leaf: autograd.grad returns the gradient as the backward computed it
        y = _POINTWISE[op](lib, hidden)
        like_output, = lib.autograd.grad(y, hidden, lib.ones_like(y), retain_graph=True)
        contiguous_grad = lib.ones(y.shape)
        contiguous, = lib.autograd.grad(y, hidden, contiguous_grad, retain_graph=True)
        # (the gradients of a sum, a view of one number; of a mean, a new contiguous array; of a product)
        reduced = [lib.autograd.grad(reduce(y), hidden, retain_graph=True)[0]
                   for reduce in (lambda t: t.sum(), lambda t: t.mean(), lambda t: (t * 2).sum())]
        y.backward(contiguous_grad)
        strides = [g.stride() for g in (like_output, contiguous, x.grad, *reduced)]
        seen.append((strides, contiguous.detach().numpy()))
    assert seen[1][0] == seen[0][0]
    # (strides are the point here; sinc's gradient, (pi x cos(pi x) - sin(pi x)) / (pi x^2) in float32, cancels near
    # 0 in both libraries: each is up to ~1e-3 from the float64 value there)
    np.testing.assert_allclose(seen[1][1], seen[0][1], rtol=1e-4, atol=2e-3 if op == "sinc" else 1e-4)
    assert not layout == "channels_last" or seen[1][0][0] == seen[1][0][2]  # (x.grad in channels_last too)


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_relu_gradient_of_other_dtypes_keeps_the_layout(dtype):
    strides = []
    for lib in (torch, torchless):
        x = lib.ones(2, 3, 4, 5, dtype=getattr(lib, dtype)).contiguous(memory_format=lib.channels_last)
        x.requires_grad_()
        hidden = x * 1
        y = lib.relu(hidden)
        gradient, = lib.autograd.grad(y, hidden, lib.ones(y.shape, dtype=y.dtype))
        strides.append(gradient.stride())
    assert strides[1] == strides[0]


# ---- 3. pointwise results laid out as PyTorch's TensorIterator lays them out


_INPUT_LAYOUTS = {
    "channels_last": lambda lib, t: t.contiguous(memory_format=lib.channels_last),
    "transposed": lambda lib, t: t.transpose(1, 3),
    "expanded": lambda lib, t: t[:, :1].expand(2, 3, 4, 5),
    "size-1 dim of a channels_last": lambda lib, t: t.contiguous(memory_format=lib.channels_last)[:, :1],
    "dense channels_last with size-1 dims": lambda lib, t: t[:1, :, :1].contiguous(memory_format=lib.channels_last),
    "sliced": lambda lib, t: t[:, ::2],
    "size-1 dims": lambda lib, t: t[:, :1, :1],
    "transposed row": lambda lib, t: t[0, 0, :1].t(),
    "transposed matrix": lambda lib, t: t[0, 0].t(),
}
_UNARY = {
    "abs": lambda lib, x: lib.abs(x),
    "pow 2": lambda lib, x: x ** 2,
    "pow 3.5": lambda lib, x: x.pow(3.5),
    "pow tensor": lambda lib, x: lib.pow(x, x),
    "number ** x": lambda lib, x: 2 ** x,
    "int ** 2": lambda lib, x: x.int() ** 2,
    "2 ** int": lambda lib, x: 2 ** x.int(),
    "neg": lambda lib, x: -x,
    "exp": lambda lib, x: x.exp(),
    "sqrt": lambda lib, x: x.sqrt(),
    "sigmoid": lambda lib, x: x.sigmoid(),
    "relu": lambda lib, x: x.relu(),
    "clamp": lambda lib, x: x.clamp(0, 1),
    "gelu": lambda lib, x: lib.nn.functional.gelu(x),
    "floor": lambda lib, x: x.floor(),
    "sign": lambda lib, x: x.sign(),
    "isnan": lambda lib, x: x.isnan(),
    "signbit": lambda lib, x: x.signbit(),
    "logical_not": lambda lib, x: x.logical_not(),
    "bitwise_not": lambda lib, x: ~x.int(),
    "erf": lambda lib, x: x.erf(),
    "sin": lambda lib, x: x.sin(),
    "deg2rad": lambda lib, x: x.deg2rad(),
    "exp2": lambda lib, x: x.exp2(),
    "i0": lambda lib, x: x.i0(),
    "heaviside": lambda lib, x: lib.heaviside(x, lib.tensor(0.5)),
}


@pytest.mark.parametrize("layout", list(_INPUT_LAYOUTS))
@pytest.mark.parametrize("op", list(_UNARY))
def test_pointwise_results_have_torch_s_strides(op, layout):
    ours, theirs = _pair(2, 3, 4, 5)
    expected = _UNARY[op](torch, _INPUT_LAYOUTS[layout](torch, theirs))
    actual = _UNARY[op](torchless, _INPUT_LAYOUTS[layout](torchless, ours))
    assert actual.stride() == expected.stride()
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)


def test_pointwise_results_with_grad_have_torch_s_strides():
    strides = []
    for lib in (torch, torchless):
        x = lib.ones(2, 3, 4, 5).contiguous(memory_format=lib.channels_last)[:, :1].requires_grad_()
        strides.append([f(x).stride() for f in (lib.abs, lib.exp, lambda t: t ** 2, lib.floor, lib.neg)])
    assert strides[1] == strides[0]
