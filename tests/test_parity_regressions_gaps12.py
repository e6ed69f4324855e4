"""Parity regressions (gaps12): the layout of reductions', scans', sort's and roll's results on permuted,
transposed and channels-last inputs."""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

_DATA = np.random.RandomState(0).randn(2, 3, 4, 5).astype(np.float32)


def _input(module, case):
    """The same strided input in ``module``: permuted, transposed, channels-last, sliced with a step."""
    x = module.tensor(_DATA)
    return {"permuted": lambda: x.permute(0, 2, 3, 1), "permuted2": lambda: x.permute(3, 1, 0, 2),
            "transposed": lambda: module.tensor(_DATA[0, 0]).t(),
            "channels_last": lambda: x.contiguous(memory_format=module.channels_last),
            "stepped": lambda: x[:, :, ::2]}[case]()


def _layout(result):
    """What to compare of a result (or tuple of results): shape, strides, contiguity."""
    if isinstance(result, tuple):
        return [_layout(r) for r in result]
    return tuple(result.shape), result.stride(), result.is_contiguous()


def _same(theirs, ours):
    """Results (or tuples of them) of the same layout and close values."""
    assert _layout(ours) == _layout(theirs)
    for a, b in zip(theirs if isinstance(theirs, tuple) else (theirs,), ours if isinstance(ours, tuple) else (ours,)):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-6)


def _both(call, case):
    return [eval(call, {"torch": module, "x": _input(module, case)}) for module in (torch, torchless)]


_REDUCTIONS = ["x.sum({dim}, keepdim={k})", "x.mean({dim}, keepdim={k})", "x.amax({dim}, keepdim={k})",
               "x.amin({dim}, keepdim={k})", "x.std({dim}, keepdim={k})", "x.var({dim}, keepdim={k})",
               "x.norm(dim={dim}, keepdim={k})", "x.logsumexp({dim}, keepdim={k})", "x.nansum({dim}, keepdim={k})",
               "x.nanmean({dim}, keepdim={k})", "(x > 0).all({dim}, keepdim={k})", "(x > 0).any({dim}, keepdim={k})",
               "torch.std_mean(x, {dim}, keepdim={k})", "torch.var_mean(x, {dim}, keepdim={k})",
               "x.count_nonzero({dim})", "x.prod({one}, keepdim={k})", "tuple(x.max({one}, keepdim={k}))",
               "x.argmax({one}, keepdim={k})", "tuple(torch.aminmax(x, dim={one}, keepdim={k}))"]


@pytest.mark.parametrize("case", ["permuted", "permuted2", "channels_last", "transposed"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, -1, (1, 2)])
@pytest.mark.parametrize("call", _REDUCTIONS)
def test_reduction_result_is_contiguous_as_in_torch(call, dim, keepdim, case):
    if case == "transposed" and dim == (1, 2):
        dim = (0, 1)
    one = dim if isinstance(dim, int) else dim[0]
    _same(*_both(call.format(dim=dim, k=keepdim, one=one), case))


@pytest.mark.parametrize("case", ["permuted", "channels_last"])
def test_reduction_result_views_as_in_torch(case):
    _same(*[_input(module, case).sum(-1).view(-1) for module in (torch, torchless)])


@pytest.mark.parametrize("case", ["permuted", "permuted2", "channels_last", "transposed", "stepped"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("call", ["tuple(x.sort({dim}))", "tuple(x.sort({dim}, descending=True))",
                                  "x.argsort({dim})", "torch.msort(x)", "x.cumsum({dim})", "x.cumprod({dim})",
                                  "tuple(x.cummax({dim}))", "tuple(x.cummin({dim}))", "x.logcumsumexp({dim})",
                                  "x.roll(1, {dim})", "x.roll(1)", "x.unique_consecutive(dim={dim})",
                                  "tuple(x.topk(2, {dim}))"])
def test_scan_and_sort_result_layout(call, dim, case):
    _same(*_both(call.format(dim=dim), case))


@pytest.mark.parametrize("call", ["x.sort(1)[0]", "x.cumsum(1)", "x.sum(1)", "x.roll(1, 2)"])
def test_results_layout_with_grad(call):
    results = []
    for module in (torch, torchless):
        x = _input(module, "permuted").clone().requires_grad_()  # (clone keeps the permuted layout)
        results.append(eval(call, {"x": x}))
    _same(*results)


def _shown_tensor(tensor):
    """A saved tensor as compared: values (floats to 5 decimals), dtype, shape."""
    array = tensor.detach().numpy()
    return (array.round(5) if array.dtype.kind == "f" else array).tolist(), str(tensor.dtype).split(".")[-1], \
        tuple(tensor.shape)


def _saved(grad_fn, skip=()):
    """{name: value} of a node's ``_saved_*`` attributes (tensors as (values, dtype, shape)), and its raw names;
    ``skip``: names whose values are not compared (PyTorch's uninitialised memory)."""
    names = sorted(a for a in dir(grad_fn) if a.startswith("_saved") or a.startswith("_raw_saved"))
    shown = {}
    for name in names:
        if name.startswith("_raw") or name in skip:
            continue
        value = getattr(grad_fn, name)
        if isinstance(value, tuple) and value and hasattr(value[0], "detach"):
            value = tuple(_shown_tensor(v) for v in value)
        elif hasattr(value, "detach"):
            value = _shown_tensor(value)
        shown[name] = (value, type(value).__name__)
    return names, shown


_X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
_SAVED_CALLS = [
    "x.take(torch.tensor([0, 5, 11]))", "torch.take(x, torch.tensor([[1, -2], [3, 4]]))",
    "x.scatter(1, torch.tensor([[0, 1], [2, 3], [1, 0]]), y[:, :2])",
    "x.scatter(-1, torch.tensor([[0, 1], [2, 3], [1, 0]]).int(), 2.5)",
    "x.scatter_add(-1, torch.tensor([[0, 1], [2, 3], [1, 0]]), y[:, :2])",
    "x.scatter_reduce(1, torch.tensor([[0, 1], [2, 3], [1, 0]]), y[:, :2], 'sum')",
    "x.scatter_reduce(0, torch.tensor([[0, 1], [2, 2]]), y[:2, :2], 'amax', include_self=False)",
    "x.index_add(0, torch.tensor([0, 2]), y[:2])", "x.index_add(-1, torch.tensor([0, 2]).int(), y[:, :2], alpha=2.5)",
    "x.index_copy(-1, torch.tensor([0, 2]), y[:, :2])", "x[0].index_copy(0, torch.tensor([2]), y[0, 0])",
    "x.index_fill(1, torch.tensor([0, 2]), 1.5)", "x.index_fill(-1, torch.tensor([0, 2]), torch.tensor(1.5))",
    "x.masked_select(x > 0)", "torch.masked_select(x, torch.tensor([True, False, True, True]))",
    "x[0].masked_select(x > 0)", "x.masked_scatter(x > 0, y)", "x.masked_scatter(torch.tensor([True, False, True, True]), y)",
    "x.diag()", "x.diag(-1)", "x[0].diag()", "x[0].diag(2)", "torch.diag_embed(x, 1, 0, 2)", "x.diagonal(1, -1, -2)",
    "torch.diagflat(x[0])", "F.logsigmoid(x)", "F.rrelu(x, training=True)", "F.rrelu(x, 1, 3, training=True)",
    "F.rrelu(x * 1, training=True, inplace=True)",
    "x.renorm(2, 0, 1.0)", "x.renorm(1, -1, 0.5)", "torch.renorm(x, 3, 0, 5)", "x.renorm(float('inf'), 0, 1.0)",
    "(x * 1).renorm_(2, 0, 1)",
    "x.put(torch.tensor([[0], [3]]), y[0, :2])", "(x * 1).put_(torch.tensor([0, 3]), y[0, :2], accumulate=True)",
    "x.index_put((torch.tensor([0, 2]),), y[:2])", "x.index_put((x[:, 0] > 0,), y[0])",
    "x.index_put((torch.tensor([0, 2]), torch.tensor([1, 1])), y[0, :2], accumulate=True)",
    "x.unfold(-1, 2, 2)", "x.rot90(-1, (0, -1))", "x.rot90(2, [1, 0])", "x.logcumsumexp(-1)", "x.median()",
    "x.logit()", "x.logit(1)", "torch.linalg.cross(x[:, :3], y[:, :3])", "torch.cross(x[:, :3], y[:, :3], dim=1)",
    "x.norm()", "x.norm(p=1)", "x.norm(dim=1)", "x.norm(3, -1, True)", "torch.linalg.vector_norm(x, 2.5, (0, 1))",
    "torch.linalg.norm(x)", "torch.linalg.matrix_norm(x)", "x.norm(0)", "torch.linalg.vector_norm(x, 0, -1, True)",
    "x.nanmedian()", "x.nanmedian(1)[0]", "x.nanmedian(-1, True)[0]", "x.mode(1)[0]", "x.mode(0, True)[0]",
]


@pytest.mark.parametrize("call", _SAVED_CALLS)
def test_grad_fn_saved_values(call):
    results = []
    for module, functional in ((torch, torch.nn.functional), (torchless, torchless.nn.functional)):
        module.manual_seed(0)
        env = {"torch": module, "F": functional, "x": module.tensor(_X, requires_grad=True),
               "y": module.tensor(_X[::-1] * 2, requires_grad=True)}
        out = eval(call, env)
        results.append((type(out.grad_fn).__name__, _saved(out.grad_fn)))
    assert results[1] == results[0]


def test_rrelu_in_eval_saves_what_torch_does():
    # PyTorch's noise is then an empty tensor its kernel never writes: its names, dtype and shape only
    results = []
    for module in (torch, torchless):
        out = module.nn.functional.rrelu(module.tensor(_X, requires_grad=True), 0.1, 0.2)
        names, shown = _saved(out.grad_fn, skip=("_saved_noise",))
        noise = out.grad_fn._saved_noise
        results.append((type(out.grad_fn).__name__, names, shown, str(noise.dtype)[-7:], tuple(noise.shape)))
    assert results[1] == results[0]


def _chain(fn, levels=6):
    """A node's name and, recursively, its next functions' (PyTorch's graph as torchviz walks it), ``levels``
    deep."""
    if fn is None or not levels:
        return None
    return type(fn).__name__, tuple(_chain(f, levels - 1) for f, _ in fn.next_functions)


@pytest.mark.parametrize("call", ["x.take(torch.tensor([0, 5, -1]))", "x[0].masked_select(x > 0)",
                                  "x[:1].masked_select(x > 0)", "x.renorm(2, 0, 1.0)", "(x * 1).renorm_(2, 1, 0.5)",
                                  "x[0].diag()", "x.diag(1)"])
def test_graph_structure(call):
    chains = [_chain(eval(call, {"torch": module, "x": module.tensor(_X, requires_grad=True)}).grad_fn)
              for module in (torch, torchless)]
    assert chains[1] == chains[0]


@pytest.mark.parametrize("p, dim, maxnorm", [(2, 0, 1.0), (1, 1, 0.5), (3, 0, 5.0), (float("inf"), 0, 1.0),
                                             (2, -1, 0.7), (0.5, 1, 0.3), (2, 0, 100.0)])
def test_renorm_values_and_gradients(p, dim, maxnorm):
    data = np.random.default_rng(1).standard_normal((3, 4, 2)).astype(np.float32)
    weights = np.cos(np.arange(24)).reshape(3, 4, 2).astype(np.float32)
    results = []
    for module in (torch, torchless):
        x = module.tensor(data, requires_grad=True)
        y = x.renorm(p, dim, maxnorm)
        (g,) = module.autograd.grad(y, x, module.tensor(weights), create_graph=True)
        (gg,) = module.autograd.grad((g * g).sum(), x)
        results.append((y.detach().numpy(), g.detach().numpy(), gg.numpy()))
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


_GRAPH_CALLS = [
    "(x * 1).clamp_(0, 1)", "x.clone().clamp_(min=0)", "x.clone().relu_()", "x.clone().add_(y)", "(x * 1)[0].clamp_(0, 1)",
    "(x * 1).t().add_(1)", "torch.nn.functional.hardtanh(x * 1, inplace=True)",
    "x.masked_fill(x > 0, 1.)", "(x * 1).masked_fill_(x > 0, torch.tensor(1.))",
    "x.masked_fill(x > 0, torch.tensor(1., requires_grad=True))", "x.pow(2)", "x ** 2.5", "2 ** x",
    "x.pow(torch.tensor(2.))", "(x * 1).pow_(2)", "(x * 1).pow_(torch.tensor(2.))", "torch.tensor(2.).pow(x)",
    "x.lerp(y, 0.5)", "(x * 1).lerp_(y, torch.tensor(0.5))", "(x * 1).index_fill_(1, torch.tensor([0]), 1.)",
    "x.index_fill(1, torch.tensor([0]), torch.tensor(2.))", "(x * 1).scatter_(1, torch.tensor([[0], [1], [2]]), 1.)",
    "(x * 1).fmod_(2.)", "x.remainder(2.)", "x.remainder(torch.tensor(2.))",
    "torch.nn.functional.mse_loss(x, y[:1])", "torch.nn.functional.mse_loss(x[:1], y)",
    "torch.nn.functional.l1_loss(x, y[:1])", "torch.nn.functional.huber_loss(x, y[:1])",
    "(x * 1).squeeze_(0) if False else (x * 1)[None].squeeze_(0)", "(x * 1)[None].squeeze_((0,))",
    "(x * 1)[None].squeeze_()", "(x * 1).unsqueeze_(-1)",
]


@pytest.mark.parametrize("call", _GRAPH_CALLS)
def test_in_place_and_scalar_overload_graphs(call):
    chains = []
    for module in (torch, torchless):
        env = {"torch": module, "x": module.tensor(_X, requires_grad=True),
               "y": module.tensor(_X[::-1] * 2, requires_grad=True)}
        chains.append(_chain(eval(call, env).grad_fn))
    assert chains[1] == chains[0]


@pytest.mark.parametrize("call", ["(x * 1)[None].squeeze_(0)", "(x * 1)[None].squeeze_()", "(x * 1)[None].squeeze_((0,))",
                                  "(x * 1).unsqueeze_(-1)", "(x * 1).transpose_(0, -1)", "(x * 1)[None].swapaxes_(0, 2)",
                                  "x.transpose(-1, 0)", "x[None].transpose(2, 0)", "x.transpose(1, 1)", "x.mT",
                                  "x.permute(-1, 0)", "x.pow(torch.tensor(2.))", "(x * 1).pow_(2)"])
def test_view_and_in_place_saved_values(call):
    results = []
    for module in (torch, torchless):
        out = eval(call, {"torch": module, "x": module.tensor(_X, requires_grad=True)})
        results.append((type(out.grad_fn).__name__, _saved(out.grad_fn)))
    assert results[1] == results[0]


_IMAGES = np.random.default_rng(2).standard_normal((2, 3, 6, 6)).astype(np.float32)
_KERNEL = np.random.default_rng(3).standard_normal((4, 3, 2, 2)).astype(np.float32)
_BIAS = np.random.default_rng(4).standard_normal(4).astype(np.float32)
_DOUBLE_BACKWARD_CALLS = [
    "F.conv2d(x, w, b)", "F.conv2d(x, w, b, padding='same')", "F.conv2d(x, w[..., :1], b, padding='same')",
    "F.conv1d(x[:, :, 0], w[..., 0], b, padding='same')", "F.conv_transpose2d(x, w[:3].transpose(0, 1), b[:3])",
    "F.layer_norm(x, (6,))", "F.layer_norm(x, (6,), b[:1].expand(6) * 1, b[1:2].expand(6) * 1)",
    "F.prelu(x, b[:3] * 1)", "F.prelu(x, b[:1])", "F.batch_norm(x, None, None, b[:3] * 1, b[1:4] * 1, training=True)",
    "F.softmax(x, 1)", "F.log_softmax(x, 1)", "x.sigmoid()", "x.tanh()", "F.hardswish(x)", "F.avg_pool2d(x, 2)",
    "F.leaky_relu(x)", "F.elu(x)", "F.gelu(x)", "F.pad(x, (1, 2, 0, 1))", "F.pad(x, (1, -2))",
    "x[:, 1:] * 1", "x[0] * 1", "x.narrow(1, 0, 3) * 1", "x.select(1, 0) * 1", "x[0, None, 1:, None] * 1",
    "x[None] * 1", "x[...] * 1", "F.prelu(x[0, 0, 0], b[:1])", "F.relu(x) * 1", "F.max_pool2d(x, 2) * 1",
    "F.logsigmoid(x)", "F.threshold(x, 0.1, 2.)", "F.softshrink(x)", "F.hardshrink(x)", "F.celu(x)",
    "F.mse_loss(x, x.detach() * 2)", "x.transpose(0, 1) * 1", "x[0, 0].t() * 1", "x * b[:1]",
    "x[[0, 1]] * 1", "x[x > 0] * 1", "x.gather(1, torch.zeros(2, 3, 6, 6, dtype=torch.long)) * 1",
    "x.index_select(1, torch.tensor([0, 2])) * 1", "x.take(torch.tensor([0, 5])) * 1", "x.masked_select(x > 0) * 1",
    "x.sort(1)[0] * 1", "x.topk(2)[0] * 1", "x.kthvalue(2, 1)[0] * 1", "x.max(1)[0] * 1",
    "F.elu(x * 1, inplace=True)", "F.celu(x * 1, inplace=True)", "F.leaky_relu(x * 1, inplace=True)",
]


@pytest.mark.parametrize("call", _DOUBLE_BACKWARD_CALLS)
def test_create_graph_gradient_graphs(call):
    # the graph of each gradient taken with create_graph=True, as torchviz would draw it (node names, 3 levels)
    results = []
    for module in (torch, torchless):
        env = {"torch": module, "F": module.nn.functional, "x": module.tensor(_IMAGES, requires_grad=True),
               "w": module.tensor(_KERNEL, requires_grad=True), "b": module.tensor(_BIAS, requires_grad=True)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (padding='same' with an even kernel warns once)
            out = eval(call, env)
        inputs = [env[name] for name in ("x", "w", "b")]
        grads = module.autograd.grad((out * out).sum(), inputs, create_graph=True, allow_unused=True)
        results.append([None if g is None else _chain(g.grad_fn, 3) for g in grads])
    assert results[1] == results[0]


@pytest.mark.parametrize("weight", [(4, 3, 2, 2), (4, 3, 3, 2), (4, 3, 2, 3)])
def test_same_padding_pads_the_input_first(weight):
    results = []
    for module in (torch, torchless):
        x = module.tensor(_IMAGES, requires_grad=True)
        w = module.tensor(np.ones(weight, np.float32), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = module.nn.functional.conv2d(x, w, padding="same")
        pad = y.grad_fn.next_functions[0][0]
        results.append(((type(pad).__name__, pad._saved_pad, y.grad_fn._saved_padding, tuple(y.shape)),
                        y.detach().numpy()))
    assert results[1][0] == results[0][0]
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call", ["x.median(0)[0]", "x.mode()[0]", "x.sort()[0]", "x.topk(1)[0]", "x.kthvalue(1)[0]",
                                  "x.nanmedian(0)[0]"])
def test_selection_of_a_0d_tensor_is_a_new_tensor(call):
    # the value of a 0-d tensor's sort/median/mode ... is written by the kernel, not a view of the input
    results = []
    for module in (torch, torchless):
        x = module.tensor(3.0, requires_grad=True)
        y = x * 1
        values = eval(call, {"x": y})
        values.add_(1)
        values.backward()
        results.append((y.item(), x.grad.item(), type(values.grad_fn).__name__,
                        type(eval(call, {"x": y}).grad_fn).__name__))
    assert results[1] == results[0]
