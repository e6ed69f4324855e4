"""Regression tests of grad20, each against PyTorch: gradients computed under create_graph recorded with PyTorch's
nodes (pow's and squeeze's formulas), and the gradients, layouts and graphs of nn functional ops."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _graph(fn, depth=0, max_depth=8):
    """A node's name and its next_functions' graphs, to ``max_depth`` levels."""
    if fn is None:
        return None
    if depth > max_depth:
        return "..."
    return fn.name(), tuple(_graph(f, depth + 1, max_depth) for f, _ in fn.next_functions)


def _assert_same(ours, theirs, rtol=1e-5, atol=1e-6):
    """Lists of arrays (compared in value) and anything else (compared as is)."""
    assert len(ours) == len(theirs)
    for mine, expected in zip(ours, theirs):
        if isinstance(expected, np.ndarray):
            np.testing.assert_allclose(mine, expected, rtol=rtol, atol=atol, equal_nan=True)
        else:
            assert mine == expected


# ---------------------------------------------------------------------------------------------------------------
# pow under create_graph: PyTorch's formulas keep a number operand a number (MulBackward1 over PowBackward0,
# SubBackward1) and always wrap a tensor operand's gradient in where(); complex gradients are conjugated there

_BASE = np.array([[0.0, 1.5, -2.0, 0.5], [3.0, 0.0, 1.0, -0.5]])
_POWERS = {
    "number_exponent": lambda lib, x, e: (x ** e, (x,)),
    "number_base": lambda lib, x, e: (abs(e) ** x, (x,)),
    "zero_base": lambda lib, x, e: (0 ** (x * 0 + e), (x,)),
    "tensor_exponent": lambda lib, x, e: (x ** (x.detach() * 0 + e), (x,)),
    "both_tensors": lambda lib, x, e: (x ** (lib.ones_like(x) * e).requires_grad_(), (x,)),
}


@pytest.mark.parametrize("kind", sorted(_POWERS))
@pytest.mark.parametrize("exponent", [1, 2, 0.5, -0.5, 0.75, -1, 2.5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pow_gradient_under_create_graph_recorded_as_pytorch(kind, exponent, dtype):
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(_BASE, dtype=getattr(lib, dtype)).requires_grad_()
        y, inputs = _POWERS[kind](lib, x, exponent)
        grads = lib.autograd.grad(y, inputs, lib.ones_like(y), create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), inputs)
        results.append([(_graph(g.grad_fn), g.stride()) for g in grads] + [g.detach().numpy() for g in grads] +
                       [g.numpy() for g in second])
    _assert_same(results[1], results[0])


@pytest.mark.parametrize("kind", ["number_exponent", "complex_exponent", "number_base", "both_tensors"])
def test_complex_pow_gradient_under_create_graph_conjugated_as_pytorch(kind):
    # (the first-order gradients came out unconjugated: a create_graph gradient differed from the plain one)
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(np.array([1 + 2j, -0.5 + 1j, 2 - 1j], np.complex64)).requires_grad_()
        e = lib.tensor(np.array([0.5 + 1j, 2, 3], np.complex64)).requires_grad_()
        y, inputs = {"number_exponent": lambda: (x ** 2, (x,)), "complex_exponent": lambda: (x ** (1 + 1j), (x,)),
                     "number_base": lambda: (2 ** x, (x,)), "both_tensors": lambda: (x ** e, (x, e))}[kind]()
        grads = lib.autograd.grad(y.abs().sum(), inputs, create_graph=True)
        second = lib.autograd.grad(sum(g.abs().sum() for g in grads), inputs)
        results.append([_graph(g.grad_fn, max_depth=3) for g in grads] + [g.detach().numpy() for g in grads] +
                       [g.numpy() for g in second])
    _assert_same(results[1], results[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("squeeze", [lambda x: x.squeeze(1), lambda x: x.squeeze(-1), lambda x: x.squeeze(),
                                     lambda x: x.squeeze((1, 3)), lambda x: x.squeeze(0),
                                     lambda x: x[0, :, 0].squeeze(0)],
                         ids=["dim", "negative_dim", "all", "dims", "dim_of_size_2", "zero_dim"])
@pytest.mark.parametrize("grad_layout", ["contiguous", "transposed"])
def test_squeeze_gradient_under_create_graph_unsqueezed_as_pytorch(squeeze, grad_layout):
    # unsqueeze_to(grad, ...): an UnsqueezeBackward0 per size-1 dim removed (was a ViewBackward0 reshape)
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(np.arange(8.0).reshape(2, 1, 4, 1)).requires_grad_()
        y = squeeze(x)
        values = np.linspace(-1, 1, y.numel())
        grad = lib.tensor(values.reshape(y.shape[::-1])).permute(*range(y.dim())[::-1]) \
            if grad_layout == "transposed" else lib.tensor(values.reshape(y.shape))
        gx, = lib.autograd.grad(y, x, grad.requires_grad_(), create_graph=True)
        results.append([_graph(gx.grad_fn), gx.stride(), gx.detach().numpy()])
    _assert_same(results[1], results[0])


_ODD_SIZE_ONE_STRIDES = {
    "contiguous": lambda lib: lib.arange(24.0).reshape(2, 3, 4),
    "reversed": lambda lib: lib.arange(24.0).reshape(4, 3, 2).permute(2, 1, 0),
    "row_of_a_column": lambda lib: lib.arange(6.0).reshape(6, 1).t(),  # (1, 6) with strides (1, 1)
    "size_one_ends": lambda lib: lib.arange(6.0).reshape(1, 6, 1),
    "transposed_size_one": lambda lib: lib.arange(6.0).reshape(1, 3, 2).transpose(0, 2),
}


@pytest.mark.parametrize("base", sorted(_ODD_SIZE_ONE_STRIDES))
@pytest.mark.parametrize("op", [lambda t: t.unsqueeze(0), lambda t: t.unsqueeze(1), lambda t: t.unsqueeze(-1),
                                lambda t: t.squeeze(), lambda t: t.squeeze(0), lambda t: t.squeeze(-1),
                                lambda t: t.unsqueeze(1).squeeze(1), lambda t: t.unsqueeze(0).unsqueeze(-1)],
                         ids=["unsqueeze0", "unsqueeze1", "unsqueeze_last", "squeeze", "squeeze0", "squeeze_last",
                              "unsqueeze_squeeze", "unsqueeze_twice"])
def test_squeeze_and_unsqueeze_keep_size_one_dims_strides_as_pytorch(base, op):
    # (NumPy's reshape picks its own strides for size-1 dims, which PyTorch's views keep)
    results = [op(_ODD_SIZE_ONE_STRIDES[base](lib)) for lib in (torch, torchless)]
    assert results[1].shape == results[0].shape
    assert results[1].stride() == results[0].stride()
    np.testing.assert_array_equal(results[1].numpy(), results[0].numpy())


def _laid_out(lib, array, layout):
    """``array`` as a tensor laid out as named, built by the library's own ops (PyTorch's tensor() keeps a NumPy
    array's own strides of size-1 dims, torchless's gives C order's)."""
    tensor = lib.tensor(np.array(array, order="C", copy=True))
    dims = tensor.dim()
    if layout == "reversed":
        return tensor.permute(*range(dims)[::-1]).contiguous().permute(*range(dims)[::-1])
    if layout == "first_two_swapped":
        return tensor.transpose(0, 1).contiguous().transpose(0, 1)
    if layout == "channels_last" and dims == 4:
        return tensor.contiguous(memory_format=lib.channels_last)
    if layout == "sliced":
        return lib.cat([tensor, tensor], -1)[..., ::2]
    return tensor


@pytest.mark.parametrize("layout", ["contiguous", "reversed", "first_two_swapped"])
def test_autograd_grad_keeps_a_dense_gradients_strides(layout):
    # PyTorch hands out the gradient itself: a size-1 dim's stride too (the copy had C order's)
    results = []
    for lib in (torch, torchless):
        x = lib.zeros(1, 5, 1, requires_grad=True)
        grad = _laid_out(lib, np.linspace(-1, 1, 5).reshape(1, 5, 1), layout).float()
        gx, = lib.autograd.grad(x * 2, x, grad)
        results.append([gx.stride(), gx.numpy()])
    _assert_same(results[1], results[0])


_RMS_SHAPES = [((2, 1, 4, 1), 1), ((2, 1, 4, 1), 4), ((1, 3, 1, 5), 2), ((1, 1, 1, 4), 3), ((2, 3, 1), 3),
               ((1, 5), 1), ((4, 1), 2), ((3, 1, 2, 2), 2), ((3, 1, 2, 2), 4), ((2, 2, 3, 1), 3)]


@pytest.mark.parametrize("shape,normalized_ndim", _RMS_SHAPES)
@pytest.mark.parametrize("input_layout", ["contiguous", "reversed", "first_two_swapped", "channels_last", "sliced"])
@pytest.mark.parametrize("grad_layout", ["contiguous", "reversed", "first_two_swapped", "sliced"])
@pytest.mark.parametrize("weighted", [False, True])
def test_rms_norm_layouts_with_size_one_dims_as_pytorch(shape, normalized_ndim, input_layout, grad_layout, weighted):
    # The result laid out as its composite's product x * rstd (* weight), the input's gradient as the product that
    # reaches it first (PyTorch's engine adds the other term in place), a weight of the input's shape's as
    # grad * xhat; under create_graph the weight's gradient is summed then viewed (sum_to), as PyTorch's engine does
    rng = np.random.default_rng(sum(shape) + normalized_ndim)
    x_values, grad_values = rng.standard_normal((2,) + shape).astype(np.float32)
    normalized = shape[len(shape) - normalized_ndim:]
    results = []
    for lib in (torch, torchless):
        x = _laid_out(lib, x_values, input_layout).requires_grad_()
        weight = lib.linspace(0.5, 1.5, int(np.prod(normalized))).reshape(normalized).requires_grad_()
        inputs = (x, weight) if weighted else (x,)
        y = lib.nn.functional.rms_norm(x, normalized, weight if weighted else None)
        grad = _laid_out(lib, grad_values, grad_layout)
        plain = lib.autograd.grad(y, inputs, grad, retain_graph=True)
        recorded = lib.autograd.grad(y, inputs, grad, create_graph=True)
        results.append([y.stride(), y.grad_fn.name()] + [(g.stride(), g.grad_fn.name()) for g in recorded] +
                       [g.stride() for g in plain] + [g.numpy() for g in plain])
    _assert_same(results[1], results[0], rtol=1e-4, atol=1e-5)


_LRN_LAYOUTS = {
    "contiguous": lambda lib, t: t,
    "channels_last": lambda lib, t: t.contiguous(memory_format=lib.channels_last) if t.dim() == 4 else t,
    "permuted": lambda lib, t: t.transpose(1, -1).contiguous().transpose(1, -1),
    "batch_channel_swapped": lambda lib, t: t.transpose(0, 1).contiguous().transpose(0, 1),
    "expanded": lambda lib, t: t[:1, :1].expand(*t.shape),
}


@pytest.mark.parametrize("shape,dtype", [((2, 3, 4, 5), "float32"), ((2, 3, 4), "float32"),
                                         ((2, 5, 3, 2, 2), "float64"), ((2, 4, 1, 1), "float64")])
@pytest.mark.parametrize("input_layout", ["contiguous", "channels_last", "permuted", "batch_channel_swapped"])
@pytest.mark.parametrize("grad_layout", ["permuted", "expanded"])
@pytest.mark.parametrize("size", [2, 6])
def test_local_response_norm_graph_and_gradients_as_pytorch(shape, dtype, input_layout, grad_layout, size):
    # PyTorch's Python composite (square, view, pad, avg_pool, squeeze, scale, shift, pow, divide), node for node:
    # its graph, its gradient's layout (was C order) and the gradient's own graph under create_graph
    results = []
    for lib in (torch, torchless):
        values = lib.tensor(np.random.default_rng(0).standard_normal(shape)).to(getattr(lib, dtype))
        x = _LRN_LAYOUTS[input_layout](lib, values).requires_grad_()
        try:
            y = lib.nn.functional.local_response_norm(x, size, alpha=0.5, beta=0.75, k=1.5)
        except RuntimeError as error:  # (a permuted input whose squares cannot be viewed as (N, 1, C, D, -1))
            results.append([str(error)])
            continue
        grad = _LRN_LAYOUTS[grad_layout](lib, lib.tensor(np.random.default_rng(1).standard_normal(shape)).to(y.dtype))
        plain, = lib.autograd.grad(y, x, grad, retain_graph=True)
        recorded, = lib.autograd.grad(y, x, grad, create_graph=True)
        second, = lib.autograd.grad((recorded * recorded).sum(), x)
        results.append([y.stride(), plain.stride(), recorded.stride(), second.stride(), _graph(y.grad_fn, max_depth=12),
                        _graph(recorded.grad_fn, max_depth=30), y.detach().numpy(), plain.numpy(), second.numpy()])
    _assert_same(results[1], results[0], rtol=1e-5, atol=1e-5)


_NORM_LAYOUTS = dict(_LRN_LAYOUTS, sliced=lambda lib, t: lib.cat([t, t], -1)[..., ::2])


def _normalization(lib, name, x, weighted, use_statistics):
    channels = x.shape[1]
    weight = lib.linspace(0.5, 1.5, channels).requires_grad_() if weighted else None
    bias = lib.linspace(-0.5, 0.5, channels).requires_grad_() if weighted else None
    running = (lib.zeros(channels), lib.ones(channels))
    if name == "batch_norm":
        y = lib.nn.functional.batch_norm(x, *running, weight, bias, training=use_statistics)
    else:
        y = lib.nn.functional.instance_norm(x, *running, weight, bias, use_input_stats=use_statistics)
    return y, (x, weight, bias) if weighted else (x,)


@pytest.mark.parametrize("name", ["batch_norm", "instance_norm"])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 3, 4)])
@pytest.mark.parametrize("input_layout", ["contiguous", "channels_last", "permuted", "batch_channel_swapped", "sliced"])
@pytest.mark.parametrize("grad_layout", ["contiguous", "channels_last", "permuted"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("use_statistics", [True, False])
def test_batch_and_instance_norm_create_graph_gradients_as_pytorch(name, shape, input_layout, grad_layout, weighted,
                                                                    use_statistics):
    # Under create_graph every gradient comes from PyTorch's NativeBatchNormBackwardBackward0 and requires grad (a
    # bias's and an unweighted input's out of training were constants); instance_norm's under the backward of its
    # view and repeats (ViewBackward0; SumBackward1 over ViewBackward0), its forward view over CloneBackward0 for a
    # non-contiguous input; the second derivative of the input laid out as batchnorm_double_backward lays it out
    results = []
    for lib in (torch, torchless):
        values = lib.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
        x = _NORM_LAYOUTS[input_layout](lib, values).requires_grad_()
        y, inputs = _normalization(lib, name, x, weighted, use_statistics)
        grad = _NORM_LAYOUTS[grad_layout](lib, lib.tensor(np.random.default_rng(1).standard_normal(shape)).float())
        grads = lib.autograd.grad(y, inputs, grad, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), inputs, allow_unused=True)
        results.append([_graph(y.grad_fn, max_depth=4)] + [(_graph(g.grad_fn, max_depth=4), g.stride()) for g in grads]
                       + [None if g is None else g.stride() for g in second] + [g.detach().numpy() for g in grads]
                       + [None if g is None else g.numpy() for g in second])
    _assert_same(results[1], results[0], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("normalized_shape", [(5,), (4, 5)])
def test_layer_norm_bias_gradient_under_create_graph_recorded_as_pytorch(normalized_shape):
    # native_layer_norm_backward's every gradient requires grad (the bias's, sum of grad, was a constant)
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)).requires_grad_()
        weight = lib.linspace(0.5, 1.5, int(np.prod(normalized_shape))).reshape(normalized_shape).requires_grad_()
        bias = lib.zeros(normalized_shape).requires_grad_()
        y = lib.nn.functional.layer_norm(x, normalized_shape, weight, bias)
        grads = lib.autograd.grad(y, (x, weight, bias), lib.ones_like(y) * 0.5, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), (x, weight, bias), allow_unused=True)
        results.append([(_graph(g.grad_fn, max_depth=3), g.stride()) for g in grads] +
                       [None if g is None else g.numpy() for g in second])
    _assert_same(results[1], results[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 5, 3, 2), (2, 5, 3, 2, 2), (0, 5, 3)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_of_k_dim_input_create_graph_gradient_recorded_as_pytorch(shape, reduction, weighted):
    # nll_loss2d's backward under LogSoftmaxBackwardDataBackward0 (was missing: the gradient of the
    # log-probabilities listed as a constant), over views of the log-probabilities (and of a 'none' loss's
    # gradient) as (N, C, 1, -1) for 3-D and 5-D inputs, viewed back
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32)).requires_grad_()
        target = lib.tensor(np.random.default_rng(1).integers(0, 5, (shape[0],) + shape[2:]))
        weight = lib.linspace(0.5, 1.5, 5) if weighted else None
        loss = lib.nn.functional.cross_entropy(x, target, weight=weight, reduction=reduction)
        grad = (lib.ones_like(loss) * 0.5).requires_grad_() if loss.dim() else None
        gx, = lib.autograd.grad(loss, x, grad, create_graph=True)
        inputs = (x,) if grad is None else (x, grad)
        second = lib.autograd.grad((gx * gx).sum(), inputs, allow_unused=True)
        results.append([_graph(gx.grad_fn), gx.stride(), gx.detach().numpy()] +
                       [None if g is None else g.numpy() for g in second])
    _assert_same(results[1], results[0], rtol=1e-4, atol=1e-6)


_PAIRS = {
    "bilinear": lambda lib, a, b, w: lib.nn.functional.bilinear(a, b, w, lib.zeros(2)),
    "bilinear_transposed_input": lambda lib, a, b, w: lib.nn.functional.bilinear(a.t().contiguous().t(), b, w),
    "bilinear_batched_transposed": lambda lib, a, b, w: lib.nn.functional.bilinear(
        a.reshape(2, 2, 3).transpose(0, 1), b.reshape(2, 2, 3), w),
    "bilinear_sliced": lambda lib, a, b, w: lib.nn.functional.bilinear(lib.cat([a, a], 1)[:, ::2], b, w),
    "bilinear_unbatched": lambda lib, a, b, w: lib.nn.functional.bilinear(a[0], b[0], w),
    "cosine_similarity": lambda lib, a, b, w: lib.nn.functional.cosine_similarity(a, b),
    "cosine_similarity_dim0": lambda lib, a, b, w: lib.nn.functional.cosine_similarity(a, b, dim=0),
    "pairwise_distance": lambda lib, a, b, w: lib.nn.functional.pairwise_distance(a, b),
    "pairwise_distance_p1_keepdim": lambda lib, a, b, w: lib.nn.functional.pairwise_distance(a, b, 1.0, keepdim=True),
    "pairwise_distance_broadcast": lambda lib, a, b, w: lib.nn.functional.pairwise_distance(a, b[0], p=0.5),
    "pairwise_distance_inf": lambda lib, a, b, w: lib.nn.functional.pairwise_distance(a, b, p=float("inf")),
    "norm_dims": lambda lib, a, b, w: (a * b).norm(p=3, dim=(0, 1)),
    "norm_p1": lambda lib, a, b, w: (a * b).norm(p=1, dim=-1),
    "norm_inf": lambda lib, a, b, w: (a * b).norm(p=float("inf"), dim=0),
    "norm_all": lambda lib, a, b, w: (a * b).norm(),
}


@pytest.mark.parametrize("name", sorted(_PAIRS))
def test_distances_and_bilinear_graphs_as_pytorch(name):
    # bilinear's ViewBackward0 lists PyTorch's TrilinearBackward0 over its inputs' reshapes (was the inputs
    # themselves); cosine_similarity divides by copies of the norms (CloneBackward0); pairwise_distance is at::norm
    # (NormBackward1) of x1 - x2 + eps (AddBackward1); a norm's gradient under create_graph unsqueezes the reduced
    # dims (was a reshape) and for p = 1 or inf is x.sgn() times the rest (was a constant)
    results = []
    for lib in (torch, torchless):
        a = lib.tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)).requires_grad_()
        b = lib.tensor(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)).requires_grad_()
        w = lib.tensor(np.random.default_rng(2).standard_normal((2, 3, 3)).astype(np.float32)).requires_grad_()
        y = _PAIRS[name](lib, a, b, w)
        saved = sorted(key for key in dir(y.grad_fn) if key.startswith("_saved_"))
        grads = lib.autograd.grad(y, (a, b), lib.ones_like(y), create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), (a, b))
        # (bilinear's gradients under create_graph are einsums, not PyTorch's _trilinear: their graphs differ)
        graphs = [None if name.startswith("bilinear") else _graph(g.grad_fn, max_depth=4) for g in grads]
        results.append([_graph(y.grad_fn), saved, y.detach().numpy()] +
                       [(graph, g.stride()) for graph, g in zip(graphs, grads)] +
                       [g.detach().numpy() for g in grads] + [(g + 0).numpy() for g in second])
    _assert_same(results[1], results[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("function", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dim", [0, 1])
def test_softmax_of_a_transposed_input_records_no_copy(function, dim):
    # PyTorch's kernels read a contiguous copy of the input outside the graph (a CloneBackward0 was recorded)
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)).t().requires_grad_()
        y = getattr(lib.nn.functional, function)(x, dim)
        gx, = lib.autograd.grad(y, x, lib.ones_like(y) * lib.arange(3.0), create_graph=True)
        second, = lib.autograd.grad((gx * gx).sum(), x)
        results.append([_graph(y.grad_fn), y.stride(), _graph(gx.grad_fn), gx.stride(), y.detach().numpy(),
                        gx.detach().numpy(), second.numpy()])
    _assert_same(results[1], results[0], rtol=1e-4, atol=1e-6)
