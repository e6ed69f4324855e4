"""torch.func and autograd parity leftovers (funcs38): grad transforms writing in place into tensor arguments they
do not differentiate (a train-mode BatchNorm's buffers through functional_call), vmap's batch-norm error, the
strides of vmap's stacked Jacobians (dims of size 1) and of jacrev through batch_norm, random factories under
randomness="different", and the graphs PyTorch records for rms_norm, quantile, renorm's and scatter_reduce /
index_reduce's double backward.

Graphs, strides and errors are compared with torch's at run time; values are also checked without torch, against
float64 finite differences or formulas computed here in NumPy.
"""
import numpy as np
import pytest

import torchless
from helpers import finite_difference_check, graph_tree


def _tree(tensor, leaves, depth=6):
    return graph_tree(tensor.grad_fn, leaves, depth)


# ---------------------------------------------------------------------------- in-place writes under grad transforms
_WRITES = {
    "positional": lambda lib: lib.func.grad(lambda x, b: (b.add_(1), (x * b).sum())[1]),
    "view": lambda lib: lib.func.grad(lambda x, b: (b[:2].add_(1), (x * b).sum())[1]),
    "keyword": lambda lib: lambda x, b: lib.func.grad(lambda x, b=None: (b.add_(1), (x * b).sum())[1])(x, b=b),
    "nested": lambda lib: lambda x, b: lib.func.grad(lambda x, d: (d["b"].add_(1), (x * d["b"]).sum())[1])(
        x, {"b": b}),
    "jacrev": lambda lib: lib.func.jacrev(lambda x, b: (b.mul_(2), x * b)[1]),
}


@pytest.mark.parametrize("case", sorted(_WRITES))
def test_grad_transforms_write_into_their_other_tensor_arguments(case):
    x = torchless.tensor([1.0, 2.0, 3.0])
    b = torchless.tensor([0.5, -1.0, 2.0])
    before = b.numpy().copy()
    result = _WRITES[case](torchless)(x, b)
    written = before * 2 if case == "jacrev" else before + np.array([1, 1, 0 if case == "view" else 1])
    np.testing.assert_array_equal(b.numpy(), written)
    expected = np.diag(written) if case == "jacrev" else written  # (d/dx of x * b: b, written before use)
    np.testing.assert_array_equal(result.numpy(), expected)


@pytest.mark.parametrize("case", sorted(_WRITES))
def test_grad_transforms_write_into_tensor_arguments_as_torch(case):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        x, b = lib.tensor([1.0, 2.0, 3.0]), lib.tensor([0.5, -1.0, 2.0])
        results.append((_WRITES[case](lib)(x, b).numpy(), b.numpy()))
    for theirs, ours in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_grad_still_refuses_writing_into_a_captured_tensor():
    captured = torchless.zeros(3)
    with pytest.raises(RuntimeError, match=r"mutate a captured Tensor"):
        torchless.func.grad(lambda x: (captured.add_(1), (x * captured).sum())[1])(torchless.ones(3))
    np.testing.assert_array_equal(captured.numpy(), np.zeros(3))


def _bn_model(lib):
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 4))
    rng = np.random.default_rng(5)
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
    return model.train()


def _bn_loss(lib, model):
    def loss(params, buffers, x, y):
        out = lib.func.functional_call(model, (params, buffers), (x,))
        return lib.nn.functional.cross_entropy(out, y)
    return loss


def _bn_inputs(lib):
    x = lib.tensor(np.random.default_rng(1).standard_normal((4, 1, 6, 6)).astype(np.float32))
    return x, lib.tensor([0, 1, 2, 3])


def test_grad_of_a_train_mode_batchnorm_model_updates_its_buffers_through_functional_call():
    model = _bn_model(torchless)
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach().clone() for k, v in model.named_buffers()}
    x, y = _bn_inputs(torchless)
    grads = torchless.func.grad(_bn_loss(torchless, model))(params, buffers, x, y)
    assert int(buffers["1.num_batches_tracked"]) == 1
    # the running mean moved by momentum 0.1 towards the batch's channel means (of the conv's output)
    with torchless.no_grad():
        conv = model[0](x).numpy().astype(np.float64)
    np.testing.assert_allclose(buffers["1.running_mean"].numpy(), 0.1 * conv.mean(axis=(0, 2, 3)), rtol=1e-5,
                               atol=1e-7)
    # and the gradients are those of the plain module in train mode, computed by backward
    loss = torchless.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(grads[name].numpy(), p.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_grad_of_a_train_mode_batchnorm_model_as_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        model = _bn_model(lib)
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach().clone() for k, v in model.named_buffers()}
        grads = lib.func.grad(_bn_loss(lib, model))(params, buffers, *_bn_inputs(lib))
        results.append(({k: v.numpy() for k, v in grads.items()}, {k: v.numpy() for k, v in buffers.items()}))
    for theirs, ours in zip(*results):
        for name in theirs:
            np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-5, atol=1e-6)


def test_per_sample_grads_of_a_train_mode_batchnorm_model_raise_torchs_batch_norm_error():
    model = _bn_model(torchless)
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach().clone() for k, v in model.named_buffers()}
    loss = _bn_loss(torchless, model)
    per_sample = torchless.func.vmap(torchless.func.grad(lambda p, b, s, t: loss(p, b, s[None], t[None])),
                                     in_dims=(None, None, 0, 0))
    with pytest.raises(RuntimeError, match=r"^Batch norm got a batched tensor as input while the running_mean or "
                                           r"running_var, which will be updated in place, were not batched\."):
        per_sample(params, buffers, *_bn_inputs(torchless))


# ---------------------------------------------------------------------------- rms_norm's graph
def _rms_case(lib, dtype, layout, weighted, eps):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((2, 3, 4, 5)).astype(np.float32)).to(getattr(lib, dtype))
    if layout == "T":
        x = x.transpose(0, -1).contiguous().transpose(0, -1)
    elif layout == "CL":
        x = x.contiguous(memory_format=lib.channels_last)
    x.requires_grad_()
    w = lib.tensor(rng.standard_normal(5).astype(np.float32)).to(x.dtype).requires_grad_() if weighted else None
    leaves = [x] + ([w] if weighted else [])
    y = lib.nn.functional.rms_norm(x, (5,), w, eps)
    g = lib.tensor(rng.standard_normal(tuple(y.shape)).astype(np.float32)).to(y.dtype)
    grads = lib.autograd.grad(y, leaves, g, create_graph=True)
    return y, grads, leaves


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("layout", ["C", "T", "CL"])
@pytest.mark.parametrize("weighted", [False, True])
def test_rms_norm_records_torchs_composite_graph(dtype, layout, weighted):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        y, grads, leaves = _rms_case(lib, dtype, layout, weighted, None)
        results.append((_tree(y, leaves, 7), y.stride(), [_tree(g, leaves, 3) for g in grads],
                        [g.stride() for g in grads], y.detach().double().numpy(),
                        [g.detach().double().numpy() for g in grads]))
    theirs, ours = results
    assert ours[:4] == theirs[:4]
    tol = 2e-3 if dtype == "float16" else 1e-6
    np.testing.assert_allclose(ours[4], theirs[4], rtol=tol, atol=tol)
    for mine, their in zip(ours[5], theirs[5]):
        np.testing.assert_allclose(mine, their, rtol=tol * 10, atol=tol * 10)


def test_rms_norm_with_grad_computes_the_float64_formula():
    rng = np.random.default_rng(3)
    a, w = rng.standard_normal((3, 4, 6)), rng.standard_normal(6)
    x = torchless.tensor(a, requires_grad=True)
    y = torchless.nn.functional.rms_norm(x, (6,), torchless.tensor(w), eps=1e-3)
    expected = a / np.sqrt((a ** 2).mean(-1, keepdims=True) + 1e-3) * w
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    assert y.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.next_functions[0][0].next_functions[1][0].name() == "RsqrtBackward0"


def test_rms_norm_gradients_by_finite_differences():
    rng = np.random.default_rng(4)
    finite_difference_check(lambda x, w: torchless.nn.functional.rms_norm(x, (3, 4), w, eps=1e-2),
                            [rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4))])


# ---------------------------------------------------------------------------- quantile's graph
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", ["linear", "lower", "midpoint", "nearest"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (-1, True), (1, False)])
@pytest.mark.parametrize("q_kind", ["number", "vector"])
def test_quantile_records_torchs_composite_graph(name, interpolation, dim, keepdim, q_kind):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 5))
    a[0, 1, :] = np.nan
    a[2, 2, 2] = np.nan
    g_values = rng.standard_normal(200)
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(a, dtype=lib.float32).transpose(0, 2).contiguous().transpose(0, 2).requires_grad_()
        q = 0.3 if q_kind == "number" else lib.tensor([0.0, 0.45, 1.0], dtype=x.dtype)
        y = getattr(lib, name)(x, q, dim=dim, keepdim=keepdim, interpolation=interpolation)
        g = lib.tensor(g_values[:y.numel()].reshape(tuple(y.shape)), dtype=x.dtype)
        gx, = lib.autograd.grad(y, x, g, create_graph=True)
        results.append((_tree(y, [x], 7), y.shape, y.stride(), gx.stride(), y.detach().numpy(), gx.detach().numpy()))
    theirs, ours = results
    assert ours[:4] == theirs[:4]
    np.testing.assert_array_equal(ours[4], theirs[4])
    np.testing.assert_allclose(ours[5], theirs[5], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_with_grad_matches_numpy_and_finite_differences(interpolation):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 7))
    x = torchless.tensor(a, requires_grad=True)
    y = torchless.quantile(x, torchless.tensor([0.2, 0.5, 0.9], dtype=x.dtype), dim=1, interpolation=interpolation)
    np.testing.assert_allclose(y.detach().numpy(), np.quantile(a, [0.2, 0.5, 0.9], axis=1, method=interpolation),
                               rtol=1e-12, atol=1e-12)
    finite_difference_check(lambda t: torchless.quantile(t, 0.3, dim=0, interpolation=interpolation), [a])


# ---------------------------------------------------------------------------- renorm's double backward
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [2.0, 3.0])
def test_renorm_double_backward_as_torch(dtype, p):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a, g, w = (rng.standard_normal((5, 6)) for _ in range(3))
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True)
        gx, = lib.autograd.grad(x.renorm(p, 0, 1.5), x, lib.tensor(g, dtype=x.dtype), create_graph=True)
        second, = lib.autograd.grad((gx * lib.tensor(w, dtype=x.dtype)).sum(), x)
        results.append((_tree(gx, [x], 5), gx.detach().numpy(), second.numpy()))
    theirs, ours = results
    assert ours[0] == theirs[0]
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ours[1], theirs[1], rtol=tol, atol=tol)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=tol * 10, atol=tol * 10)


def test_renorm_gradients_by_finite_differences():
    rng = np.random.default_rng(6)
    finite_difference_check(lambda x: x.renorm(2, 1, 1.0), [rng.standard_normal((3, 4)) * 2])
    x = torchless.tensor(rng.standard_normal((3, 4)) * 2, requires_grad=True)
    assert torchless.autograd.gradgradcheck(lambda t: t.renorm(2, 1, 1.0), (x,))


# ---------------------------------------------------------------------------- scatter_reduce / index_reduce prod
def _prod_reduce(lib, op, include_self, dim):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((4, 5))
    a[1, 2] = 0
    if op == "index":
        s = rng.standard_normal((3, 5) if dim == 0 else (4, 3))
        s.flat[2] = 0
        index = lib.tensor([0, 2, 2])
    else:
        s = rng.standard_normal((2, 3))
        s[0, 1] = 0
        index = lib.tensor(rng.integers(0, 4 if dim == 0 else 5, (2, 3)))
    x = lib.tensor(a, requires_grad=True)
    y = lib.tensor(np.ascontiguousarray(s.T), requires_grad=True)  # (a transposed source)
    source = y.t()
    with np.errstate(all="ignore"):
        if op == "index":
            out = x.index_reduce(dim, index, source, "prod", include_self=include_self)
        else:
            out = x.scatter_reduce(dim, index, source, "prod", include_self=include_self)
    g = lib.tensor(np.random.default_rng(8).standard_normal(tuple(out.shape)))
    return out, x, y, source, g


@pytest.mark.filterwarnings("ignore:index_reduce")
@pytest.mark.parametrize("op", ["scatter", "index"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, -1])
def test_prod_reductions_double_backward_as_torch(op, include_self, dim):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        out, x, y, source, g = _prod_reduce(lib, op, include_self, dim)
        gx, gs = lib.autograd.grad(out, (x, source), g, create_graph=True)
        second = lib.autograd.grad(gx.sin().sum() + (gs * gs).sum(), (x, y), allow_unused=True)
        results.append((_tree(gx, [x, y], 4), _tree(gs, [x, y], 4), gs.stride(), gx.detach().numpy(),
                        gs.detach().numpy(), [t.numpy() for t in second]))
    theirs, ours = results
    assert ours[:3] == theirs[:3]
    for mine, their in zip(list(ours[3:5]) + ours[5], list(theirs[3:5]) + theirs[5]):
        np.testing.assert_allclose(mine, their, rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore:index_reduce")
def test_index_reduce_prod_second_derivatives_by_finite_differences():
    rng = np.random.default_rng(9)
    a, s = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    index = torchless.tensor([2, 0])
    x = torchless.tensor(a, requires_grad=True)
    y = torchless.tensor(s, requires_grad=True)
    assert torchless.autograd.gradgradcheck(lambda t, u: t.index_reduce(1, index, u, "prod"), (x, y))


# ---------------------------------------------------------------------------- vmap and jacrev strides
def _conv_input(lib):
    rng = np.random.default_rng(2)
    x = lib.tensor(rng.standard_normal((2, 1, 5, 5)).astype(np.float32))
    w = lib.tensor(rng.standard_normal((3, 1, 2, 2)).astype(np.float32))
    return x, w


_PER_SAMPLE = {
    "conv2d": lambda lib, w: lambda a: lib.nn.functional.conv2d(a, w),
    "max_pool2d": lambda lib, w: lambda a: lib.nn.functional.max_pool2d(a, 2),
    "scale": lambda lib, w: lambda a: a * 2,
    "log_softmax": lambda lib, w: lambda a: lib.nn.functional.log_softmax(a.flatten(1), 1),
}


@pytest.mark.parametrize("op", sorted(_PER_SAMPLE))
@pytest.mark.parametrize("transform", ["jacfwd", "jacrev"])
def test_vmap_of_jacobians_keeps_the_samples_strides(op, transform):
    x, w = _conv_input(torchless)
    f = _PER_SAMPLE[op](torchless, w)
    jacobian = getattr(torchless.func, transform)
    batched = torchless.func.vmap(jacobian(lambda s: f(s.unsqueeze(0))))(x)
    samples = [jacobian(lambda s: f(s.unsqueeze(0)))(x[i]) for i in range(2)]
    # the samples' own strides behind the batch, dims of size 1 included; the values those of each sample
    assert batched.stride()[1:] == samples[0].stride()
    for i, sample in enumerate(samples):
        np.testing.assert_array_equal(batched[i].numpy(), sample.numpy())


@pytest.mark.parametrize("op", sorted(_PER_SAMPLE))
@pytest.mark.parametrize("transform", ["jacfwd", "jacrev"])
def test_vmap_of_jacobians_strides_as_torch(op, transform):
    torch = pytest.importorskip("torch")
    strides = []
    for lib in (torch, torchless):
        x, w = _conv_input(lib)
        f = _PER_SAMPLE[op](lib, w)
        strides.append(lib.func.vmap(getattr(lib.func, transform)(lambda s: f(s.unsqueeze(0))))(x).stride())
    assert strides[1] == strides[0]


_BATCH_NORMED = {
    "batch_norm": lambda F, x: F.batch_norm(x, None, None, training=True),
    "relu": lambda F, x: F.relu(F.batch_norm(x, None, None, training=True)),
    "eval": lambda F, x: F.batch_norm(x, x.new_zeros(x.shape[1]), x.new_ones(x.shape[1])),
    "plus_input": lambda F, x: F.batch_norm(x, None, None, training=True) + x,
}


@pytest.mark.parametrize("case", sorted(_BATCH_NORMED))
@pytest.mark.parametrize("shape", [(3, 2, 2, 2), (4, 3), (1, 2, 3)])
def test_jacrev_through_batch_norm_strides_as_torch(case, shape):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    results = []
    for lib in (torch, torchless):
        jacobian = lib.func.jacrev(lambda x: _BATCH_NORMED[case](lib.nn.functional, x))(lib.tensor(a))
        results.append((jacobian.stride(), jacobian.numpy()))
    assert results[1][0] == results[0][0]
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5, atol=1e-5)


def test_jacrev_through_batch_norm_by_finite_differences():
    a = np.random.default_rng(1).standard_normal((3, 2, 2))
    jacobian = torchless.func.jacrev(
        lambda x: torchless.nn.functional.batch_norm(x, None, None, training=True))(torchless.tensor(a))
    assert jacobian.stride() == (16, 8, 4, 48, 2, 1)  # (the rows stacked after the input's dim 0)

    def normalised(values):
        mean = values.mean(axis=(0, 2), keepdims=True)
        return (values - mean) / np.sqrt(values.var(axis=(0, 2), keepdims=True) + 1e-5)

    eps = 1e-6
    for index in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[index] += eps
        minus[index] -= eps
        column = (normalised(plus) - normalised(minus)) / (2 * eps)
        np.testing.assert_allclose(jacobian.numpy()[(Ellipsis,) + index], column, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- random factories under vmap
_DRAWS = {"randn": lambda lib, a: lib.randn(3) * 0, "rand": lambda lib, a: lib.rand(2, 2) * 0,
          "randint": lambda lib, a: lib.randint(0, 5, (2,)) * 0, "randperm": lambda lib, a: lib.randperm(4) * 0}


@pytest.mark.parametrize("draw", sorted(_DRAWS))
def test_draws_with_different_randomness_are_batched_whatever_their_values(draw):
    x = torchless.zeros(3, 2)
    result = torchless.func.vmap(lambda a: _DRAWS[draw](torchless, a), randomness="different")(x)
    assert 0 not in result.stride()  # (stacked, not one sample expanded)
    np.testing.assert_array_equal(result.numpy(), np.zeros(tuple(result.shape)))
    drawn = torchless.func.vmap(lambda a: torchless.randn(3), randomness="different")(x)
    assert not np.array_equal(drawn[0].numpy(), drawn[1].numpy())


@pytest.mark.parametrize("draw", sorted(_DRAWS))
def test_draws_with_different_randomness_strides_as_torch(draw):
    torch = pytest.importorskip("torch")
    strides = [lib.func.vmap(lambda a: _DRAWS[draw](lib, a), randomness="different")(lib.zeros(3, 2)).stride()
               for lib in (torch, torchless)]
    assert strides[1] == strides[0]


# ---------------------------------------------------------------------------- per-sample gradients' layouts
def _mapped(lib, kind, dim):
    base = np.random.default_rng(3).standard_normal((3, 2, 3, 4, 4)).astype(np.float32)
    moved = np.moveaxis(base, 0, dim)
    if kind == "transposed":
        return lib.tensor(np.ascontiguousarray(moved.T)).permute(*range(4, -1, -1))
    return lib.tensor(moved.copy())


_LOSSES = {
    "sum": lambda lib, s: s.sum(),
    "mean": lambda lib, s: s.mean(),
    "scaled": lambda lib, s: (s * 2).sum(),
    "scaled_after_sum": lambda lib, s: (2 * s).sum() * 3,
    "shifted": lambda lib, s: (s - 1).sum(),
    "negated": lambda lib, s: (1 - s).sum(),
    "exp": lambda lib, s: s.exp().sum(),
    "tanh_scaled": lambda lib, s: (s.tanh() * 3).sum(),
    "square_mean": lambda lib, s: (s * s).mean(),
    "dropout": lambda lib, s: lib.nn.functional.dropout(s, 0.5).sum(),
    "conv_relu_pool_linear": lambda lib, s: lib.nn.functional.cross_entropy(lib.nn.functional.linear(
        lib.nn.functional.max_pool2d(lib.nn.functional.relu(lib.nn.functional.conv2d(
            s, lib.ones(2, 3, 2, 2) * 0.1)), 2).flatten(1), lib.ones(3, 2)), lib.tensor([1, 0])),
    "softmax": lambda lib, s: s.softmax(-1).pow(2).sum(),
    "broadcast_add": lambda lib, s: (s + lib.ones(2, *s.shape)).sum(),
    "expanded": lambda lib, s: s.expand(2, *s.shape).sum(),
    "selected": lambda lib, s: s[0].sum(),
}


def _per_sample_grads(lib, loss, kind, dim):
    lib.manual_seed(0)
    return lib.func.vmap(lib.func.grad(lambda s: _LOSSES[loss](lib, s)), in_dims=dim, randomness="different")(
        _mapped(lib, kind, dim))


@pytest.mark.parametrize("loss", sorted(_LOSSES))
@pytest.mark.parametrize("kind,dim", [("contiguous", 0), ("contiguous", 1), ("transposed", 0)])
def test_per_sample_input_gradients_laid_out_as_torch(loss, kind, dim):
    torch = pytest.importorskip("torch")
    theirs, ours = (_per_sample_grads(lib, loss, kind, dim) for lib in (torch, torchless))
    assert ours.stride() == theirs.stride()
    if loss != "dropout":  # (other masks than PyTorch's)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss", ["sum", "mean", "scaled", "exp", "square_mean", "softmax"])
def test_per_sample_input_gradients_are_each_samples_gradient(loss):
    x = _mapped(torchless, "transposed", 0)
    grads = _per_sample_grads(torchless, loss, "transposed", 0)
    for i in range(3):
        np.testing.assert_allclose(grads[i].numpy(), torchless.func.grad(
            lambda s: _LOSSES[loss](torchless, s))(x[i]).numpy(), rtol=1e-6, atol=1e-7)
    if loss == "sum":  # (the cotangent expanded, as PyTorch's backward gives it: no new tensor)
        assert grads.stride() == (1, 0, 0, 0, 0)
        np.testing.assert_array_equal(grads.numpy(), np.ones((3, 2, 3, 4, 4)))
    elif loss in ("mean", "scaled", "square_mean", "softmax"):  # (new tensors: C-contiguous, batch in front)
        assert grads.is_contiguous()
    else:  # (exp's gradient, the cotangent times exp(x), laid out as x)
        assert grads.stride() == x.stride()


def test_per_sample_gradients_of_unmapped_parameters_as_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    results = []
    for lib in (torch, torchless):
        grads = [lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0))(lib.zeros(5), lib.tensor(x))
                 for loss in (lambda b, s: (s + b).sum(), lambda b, s: (s * b).sum(), lambda b, s: (s - b).mean())]
        results.append([(g.stride(), g.numpy()) for g in grads])
    for (their_strides, theirs), (our_strides, ours) in zip(*results):
        assert our_strides == their_strides
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
