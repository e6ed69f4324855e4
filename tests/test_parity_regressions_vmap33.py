"""Session 33 (vmap33): torch.func.vmap results of batched integer intermediates, nested calls and transposed
inputs laid out as PyTorch's, randomness across nested calls, per-sample gradients of a CNN."""
import numpy as np
import pytest

import torchless

RANDOM_IN_ERROR_MODE = ("vmap: called random operation while in randomness error mode. Please either use the 'same' "
                        "or 'different' randomness flags on vmap or perform the randomness operation out of vmap")


def _samples(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _transposed(lib, values):
    """``values`` as a tensor whose memory holds its dims in reverse order (strides ascending)."""
    return lib.tensor(np.ascontiguousarray(values.transpose())).permute(*reversed(range(values.ndim)))


# Functions whose results depend on their sample only through integer values (argmax, indices): equal for every
# sample here, they are still batched and laid out as PyTorch's batched results, not expanded with stride 0
INTEGER_PATHS = {
    "embedding of argmax": (lambda lib, a: lib.nn.functional.embedding(a.argmax(-1), lib.ones(5, 3)),
                            lambda a: np.ones(a.shape[:-1] + (3,), np.float32)),
    "table read at argmax": (lambda lib, a: lib.ones(5, 3)[a.argmax(-1)],
                             lambda a: np.ones(a.shape[:-1] + (3,), np.float32)),
    "table columns at argmax": (lambda lib, a: lib.ones(3, 5)[:, a.argmax(-1)],
                                lambda a: np.ones((3,) + a.shape[:-1], np.float32)),
    "argmax times zero": (lambda lib, a: (a.argmax(-1) * 0).float() + 1, lambda a: np.ones(a.shape[:-1], np.float32)),
    "integer cast": (lambda lib, a: (a > 100).long().float(), lambda a: np.zeros(a.shape, np.float32)),
}


@pytest.mark.parametrize("out_dims", [0, 1])
@pytest.mark.parametrize("in_dims", [0, 1, -1])
@pytest.mark.parametrize("name", sorted(INTEGER_PATHS))
def test_vmap_results_computed_through_batched_integers_are_batched(name, in_dims, out_dims):
    func, reference = INTEGER_PATHS[name]
    values = _samples((3, 4, 5))
    result = torchless.vmap(lambda a: func(torchless, a), in_dims=in_dims, out_dims=out_dims)(torchless.tensor(values))
    per_sample = [reference(sample) for sample in np.moveaxis(values, in_dims, 0)]
    expected = np.moveaxis(np.stack(per_sample), 0, out_dims)
    np.testing.assert_array_equal(result.numpy(), expected)
    assert 0 not in result.stride()  # (not an unbatched output expanded over the batch)
    torch = pytest.importorskip("torch")
    wanted = torch.vmap(lambda a: func(torch, a), in_dims=in_dims, out_dims=out_dims)(torch.tensor(values))
    assert tuple(result.shape) == tuple(wanted.shape)
    assert result.stride() == wanted.stride()


@pytest.mark.parametrize("out_dims", [0, 1])
def test_vmap_embedding_of_batched_indices_keeps_their_batch_dim(out_dims):
    table = np.arange(30, dtype=np.float32).reshape(6, 5)
    indices = np.array([[0, 1], [2, 3], [1, 5]])
    result = torchless.vmap(lambda i: torchless.nn.functional.embedding(i, torchless.tensor(table)), in_dims=1,
                            out_dims=out_dims)(torchless.tensor(indices))
    np.testing.assert_array_equal(result.numpy(), np.moveaxis(table[indices.T], 0, out_dims))
    torch = pytest.importorskip("torch")
    wanted = torch.vmap(lambda i: torch.nn.functional.embedding(i, torch.tensor(table)), in_dims=1,
                        out_dims=out_dims)(torch.tensor(indices))
    assert result.stride() == wanted.stride()


@pytest.mark.parametrize("inner", ["error", "different", "same"])
def test_nested_vmap_outer_error_mode_refuses_random_draws(inner):
    def run(lib):
        mapped = lib.vmap(lib.vmap(lambda a: a + lib.rand(()), randomness=inner), randomness="error")
        return mapped(lib.ones(2, 3))

    with pytest.raises(RuntimeError) as caught:
        run(torchless)
    assert str(caught.value) == RANDOM_IN_ERROR_MODE
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as expected:
        run(torch)
    assert str(caught.value) == str(expected.value)


@pytest.mark.parametrize("outer", ["different", "same"])
@pytest.mark.parametrize("inner", ["different", "same"])
def test_nested_vmap_randomness_modes_and_layout(outer, inner):
    def run(lib):
        lib.manual_seed(0)
        return lib.vmap(lib.vmap(lambda a: a + lib.rand(()), randomness=inner), randomness=outer)(lib.ones(2, 3))

    result = run(torchless)
    values = result.numpy()
    assert bool((values[0] == values[1]).all()) is (outer == "same")
    assert bool((values[:, 0] == values[:, 1]).all()) is (inner == "same")
    assert result.stride() == (3, 1)  # (batched by the outer call, not an unbatched output expanded)
    torch = pytest.importorskip("torch")
    assert result.stride() == run(torch).stride()


UNARY = {"neg": lambda a: -a, "exp": lambda a: a.exp(), "relu": lambda a: a.relu(), "tanh": lambda a: a.tanh(),
         "sigmoid": lambda a: a.sigmoid(), "abs": lambda a: a.abs(), "clamp": lambda a: a.clamp(-0.5, 0.5)}


@pytest.mark.parametrize("in_dims", [0, 1, -1])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_vmap_pointwise_results_of_a_transposed_input_keep_its_memory_order(name, in_dims):
    values = _samples((3, 4, 5))
    whole = _transposed(torchless, values)
    result = torchless.vmap(UNARY[name], in_dims=in_dims)(whole)
    # a pointwise op on PyTorch's batched tensor writes a result laid out as its input, the batch moved to the front
    expected_strides = whole.movedim(in_dims, 0).stride()
    assert result.stride() == expected_strides
    np.testing.assert_allclose(result.numpy(), UNARY[name](torchless.tensor(np.moveaxis(values, in_dims, 0))).numpy())
    torch = pytest.importorskip("torch")
    wanted = torch.vmap(UNARY[name], in_dims=in_dims)(_transposed(torch, values))
    assert result.stride() == wanted.stride()
    np.testing.assert_allclose(result.numpy(), wanted.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("in_dims", [0, 1, -1])
def test_vmap_batch_to_front_ops_when_the_input_requires_grad(in_dims):
    values = _samples((3, 4, 5))
    for requires_grad in (False, True):
        whole = torchless.tensor(values, requires_grad=requires_grad)
        result = torchless.vmap(lambda a: a.softmax(-1), in_dims=in_dims)(whole)
        assert result.is_contiguous()  # (softmax's batching rule moves the batch to the front)
        exps = np.exp(np.moveaxis(values, in_dims, 0).astype(np.float64))
        np.testing.assert_allclose(result.detach().numpy(), exps / exps.sum(-1, keepdims=True), rtol=1e-5)
    torch = pytest.importorskip("torch")
    wanted = torch.vmap(lambda a: a.softmax(-1), in_dims=in_dims)(torch.tensor(values, requires_grad=True))
    assert result.stride() == wanted.stride()


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("in_dims", [0, 1, -1])
def test_vmap_linear_and_new_zeros_layouts(layout, in_dims):
    values = _samples((3, 4, 5))
    weight = _samples((5, values.shape[-1] if in_dims != -1 else values.shape[1]), seed=1)

    def run(lib):
        whole = lib.tensor(values) if layout == "contiguous" else _transposed(lib, values)
        linear = lib.vmap(lambda a: lib.nn.functional.linear(a, lib.tensor(weight)), in_dims=in_dims)(whole)
        made = lib.vmap(lambda a: a.new_zeros(2, 3), in_dims=in_dims)(whole)
        return linear, made

    linear, made = run(torchless)
    expected = np.einsum("bij,kj->bik", np.moveaxis(values, in_dims, 0).astype(np.float64), weight)
    np.testing.assert_allclose(linear.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert linear.is_contiguous() and made.is_contiguous()  # (their rules make them with the batch in front)
    torch = pytest.importorskip("torch")
    wanted_linear, wanted_made = run(torch)
    assert (linear.stride(), made.stride()) == (wanted_linear.stride(), wanted_made.stride())


def test_vmap_argmax_moves_the_batch_to_the_front():
    values = _samples((3, 4, 5))
    result = torchless.vmap(lambda a: a.argmax(-1), in_dims=1)(torchless.tensor(values))
    np.testing.assert_array_equal(result.numpy(), np.moveaxis(values, 1, 0).argmax(-1))
    assert result.stride() == (3, 1)
    torch = pytest.importorskip("torch")
    assert result.stride() == torch.vmap(lambda a: a.argmax(-1), in_dims=1)(torch.tensor(values)).stride()


def test_per_sample_gradients_of_a_cnn_with_functional_call():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    weights = {"conv.weight": rng.standard_normal((4, 1, 3, 3)), "conv.bias": rng.standard_normal(4),
               "fc.weight": rng.standard_normal((10, 64)), "fc.bias": rng.standard_normal(10)}
    images = rng.standard_normal((5, 1, 6, 6)).astype(np.float32)
    labels = np.array([1, 2, 3, 4, 0])

    def per_sample_gradients(lib):
        nn, F = lib.nn, lib.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv, self.fc = nn.Conv2d(1, 4, 3), nn.Linear(64, 10)

            def forward(self, x):
                return self.fc(F.max_pool2d(F.relu(self.conv(x)), 1).flatten(1))

        model = Net()
        params = {name: lib.tensor((value * 0.2).astype(np.float32)) for name, value in weights.items()}

        def loss(params, image, label):
            output = lib.func.functional_call(model, params, (image.unsqueeze(0),))
            return F.cross_entropy(output, label.unsqueeze(0))

        return lib.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(params, lib.tensor(images), lib.tensor(labels))

    result, wanted = per_sample_gradients(torchless), per_sample_gradients(torch)
    for name in weights:
        assert tuple(result[name].shape) == tuple(wanted[name].shape)
        assert result[name].stride() == wanted[name].stride()
        np.testing.assert_allclose(result[name].numpy(), wanted[name].numpy(), rtol=1e-4, atol=1e-6)


CAPTURED_WRITES = {
    "add_ number": (lambda lib, c, a: c.add_(1), "aten::add_.Tensor"),
    "add_ tensor": (lambda lib, c, a: c.add_(a), "aten::add_.Tensor"),
    "mul_ number": (lambda lib, c, a: c.mul_(2), "aten::mul_.Tensor"),
    "augmented": (lambda lib, c, a: c.__iadd__(a), "aten::add_.Tensor"),
    "pow_": (lambda lib, c, a: c.pow_(2), "aten::pow_.Scalar"),
    "clamp_": (lambda lib, c, a: c.clamp_(0, 1), "aten::clamp_"),
    "copy_": (lambda lib, c, a: c.copy_(a), "aten::copy_"),
    "zero_": (lambda lib, c, a: c.zero_(), "aten::zero_"),
    "fill_ number": (lambda lib, c, a: c.fill_(2), "aten::fill_.Scalar"),
    "fill_ tensor": (lambda lib, c, a: c.fill_(a.sum()), "aten::fill_.Tensor"),
    "assign a slice": (lambda lib, c, a: c.__setitem__(0, 1.), "aten::copy_"),
    "assign at indices": (lambda lib, c, a: c.__setitem__(lib.tensor([0, 1]), 1.), "aten::index_put_"),
    "masked_fill_": (lambda lib, c, a: c.masked_fill_(c > 0, 1.), "aten::masked_fill_.Scalar"),
    "relu_": (lambda lib, c, a: c.relu_(), "aten::relu_"),
    "relu inplace": (lambda lib, c, a: lib.nn.functional.relu(c, inplace=True), "aten::relu_"),
    "uniform_": (lambda lib, c, a: c.uniform_(), "aten::uniform_"),
    "lerp_": (lambda lib, c, a: c.lerp_(a, 0.5), "aten::lerp_.Scalar"),
    "a view": (lambda lib, c, a: c[:2].add_(1), "aten::add_.Tensor"),
    "detached": (lambda lib, c, a: c.detach().add_(1), "aten::add_.Tensor"),
}


def _mutating(lib, name, transform):
    write = CAPTURED_WRITES[name][0]
    captured = lib.ones(3)

    def func(a):
        write(lib, captured, a)
        return (a * 2).sum()

    try:
        if transform == "grad":
            lib.func.grad(func)(lib.ones(3))
        elif transform == "vjp":
            lib.func.vjp(func, lib.ones(3))
        elif transform == "jvp":
            lib.func.jvp(func, (lib.ones(3),), (lib.ones(3),))
        else:
            lib.func.jacrev(func)(lib.ones(3))
    except RuntimeError as error:
        return str(error), captured.tolist()
    return None, captured.tolist()


@pytest.mark.parametrize("transform", ["grad", "vjp", "jvp", "jacrev"])
@pytest.mark.parametrize("name", sorted(CAPTURED_WRITES))
def test_transforms_refuse_writing_a_captured_tensor_in_place(name, transform):
    message, values = _mutating(torchless, name, transform)
    assert message == (f"During a grad (vjp, jvp, grad, etc) transform, the function provided attempted to call "
                       f"in-place operation ({CAPTURED_WRITES[name][1]}) that would mutate a captured Tensor. This is "
                       "not supported; please rewrite the function being transformed to explicitly accept the mutated "
                       "Tensor(s) as inputs.")
    assert values == [1.0, 1.0, 1.0]  # (refused before writing)
    torch = pytest.importorskip("torch")
    assert (message, values) == _mutating(torch, name, transform)


def test_transforms_let_the_function_write_what_it_makes():
    def func(lib, a):
        total = lib.zeros(3)
        total += a  # (an accumulator made inside)
        scale = lib.ones(3)
        scale[:2].mul_(2)
        return (total * scale).sum()

    result = torchless.func.grad(lambda a: func(torchless, a))(torchless.ones(3))
    assert result.tolist() == [2.0, 2.0, 1.0]
    torch = pytest.importorskip("torch")
    assert torch.func.grad(lambda a: func(torch, a))(torch.ones(3)).tolist() == result.tolist()


def test_grad_through_batch_norm_in_training_refuses_updating_its_running_statistics():
    def run(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4))
        params = {name: value.detach() for name, value in model.named_parameters()}
        with pytest.raises(RuntimeError) as caught:
            lib.func.grad(lambda p: lib.func.functional_call(model, p, (lib.ones(5, 3),)).sum())(params)
        return str(caught.value), model[1].running_mean.tolist()

    message, running_mean = run(torchless)
    assert "(aten::add_.Tensor) that would mutate a captured Tensor" in message
    assert running_mean == [0.0] * 4
    torch = pytest.importorskip("torch")
    assert (message, running_mean) == run(torch)


CHUNKED = {
    "pointwise, mapped and put at dim 1": lambda lib, x: lib.vmap(lambda a: a * 2, in_dims=1, out_dims=1,
                                                                  chunk_size=2)(x),
    "one chunk": lambda lib, x: lib.vmap(lambda a: a * 2, in_dims=1, out_dims=1, chunk_size=10)(x),
    "unbatched output": lambda lib, x: lib.vmap(lambda a: lib.ones(2), chunk_size=3)(x),
    "view of the input": lambda lib, x: lib.vmap(lambda a: a[:2], chunk_size=3)(x),
    "nested": lambda lib, x: lib.vmap(lib.vmap(lambda a: a * 2, chunk_size=1), in_dims=1, chunk_size=2)(x),
}


@pytest.mark.parametrize("name", sorted(CHUNKED))
def test_vmap_with_chunk_size_joins_the_chunks_into_a_new_contiguous_tensor(name):
    values = np.arange(15, dtype=np.float32).reshape(5, 3)
    whole = torchless.tensor(values)
    result = CHUNKED[name](torchless, whole)
    assert result.is_contiguous() and 0 not in result.stride()  # (cat's copy: neither expanded nor a view)
    assert not np.shares_memory(result.numpy(), whole.numpy())
    torch = pytest.importorskip("torch")
    wanted = CHUNKED[name](torch, torch.tensor(values))
    assert result.stride() == wanted.stride()
    np.testing.assert_array_equal(result.numpy(), wanted.numpy())


def test_vmap_with_chunk_size_refuses_out_dims_none_as_cat_does():
    def run(lib):
        with pytest.raises(TypeError) as caught:
            lib.vmap(lambda a: (a * 2, lib.ones(2)), out_dims=(0, None), chunk_size=2)(lib.ones(5, 3))
        return str(caught.value)

    message = run(torchless)
    assert message == "cat(): argument 'dim' must be int, not NoneType"
    torch = pytest.importorskip("torch")
    assert message == run(torch)


MISMATCHED = {
    "sample and an unbatched tensor": (lambda lib: lib.vmap(lambda a: a + lib.ones(3))(lib.ones(3, 4, 5)), 2),
    "unbatched tensor first": (lambda lib: lib.vmap(lambda a: lib.ones(3) * a)(lib.ones(3, 4, 5)), 2),
    "higher-rank operand": (lambda lib: lib.vmap(lambda a: a + lib.ones(2, 1, 3))(lib.ones(3, 4, 5)), 3),
    "both batched": (lambda lib: lib.vmap(lambda a, b: a + b)(lib.ones(2, 4), lib.ones(2, 3)), 1),
    "nested": (lambda lib: lib.vmap(lib.vmap(lambda a: a + lib.ones(3)))(lib.ones(3, 4, 5)), 2),
    "nested, batched apart": (lambda lib: lib.vmap(lib.vmap(lambda a, b: a + b, in_dims=(0, None)),
                                                   in_dims=(None, 0))(lib.ones(4, 5), lib.ones(2, 3)), 2),
}


@pytest.mark.parametrize("name", sorted(MISMATCHED))
def test_vmap_broadcast_errors_count_the_batch_dims(name):
    run, dimension = MISMATCHED[name]
    with pytest.raises(RuntimeError) as caught:
        run(torchless)
    assert str(caught.value).endswith(f"at non-singleton dimension {dimension}")
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as expected:
        run(torch)
    assert str(caught.value) == str(expected.value)


def test_broadcast_errors_outside_vmap_unchanged():
    with pytest.raises(RuntimeError, match="must match the size of tensor b \\(3\\) at non-singleton dimension 0$"):
        torchless.ones(4) + torchless.ones(3)


RRELU_CALLS = {
    "F.rrelu": lambda lib, a: lib.nn.functional.rrelu(a),
    "F.rrelu in place": lambda lib, a: lib.nn.functional.rrelu(a, inplace=True),
    "rrelu_": lambda lib, a: lib.rrelu_(a.clone()),
    "of an unbatched tensor": lambda lib, a: lib.nn.functional.rrelu(lib.ones(2)) + a[0, :2],
    "module": lambda lib, a: lib.nn.RReLU()(a),
}


@pytest.mark.parametrize("name", sorted(RRELU_CALLS))
def test_vmap_refuses_rrelu(name):
    with pytest.raises(RuntimeError) as caught:
        torchless.vmap(lambda a: RRELU_CALLS[name](torchless, a))(torchless.ones(3, 4))
    assert str(caught.value).startswith("vmap: we do not yet support aten::rrelu")
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as expected:
        torch.vmap(lambda a: RRELU_CALLS[name](torch, a))(torch.ones(3, 4))
    assert str(caught.value) == str(expected.value)


@pytest.mark.parametrize("in_dims", [0, 1, 2])
def test_vmap_mse_loss_without_reduction_keeps_the_batch_only_where_samples_flatten_to_views(in_dims):
    values, targets = _samples((3, 4, 5)), _samples((3, 4, 5), seed=1)

    def run(lib):
        def loss(a, b):
            return lib.nn.functional.mse_loss(a, b, reduction="none")

        return lib.vmap(loss, in_dims=(in_dims, in_dims))(lib.tensor(values, requires_grad=True), lib.tensor(targets))

    result = run(torchless)
    expected = np.moveaxis((values.astype(np.float64) - targets) ** 2, in_dims, 0)
    np.testing.assert_allclose(result.detach().numpy(), expected, rtol=1e-5)
    # (PyTorch's rule flattens the samples: a view when the batch is the first or last dim, a copy otherwise)
    assert result.is_contiguous() is (in_dims != 2)
    torch = pytest.importorskip("torch")
    assert result.stride() == run(torch).stride()


@pytest.mark.parametrize("k", [0, 1, 2, 3, -1])
@pytest.mark.parametrize("in_dims", [0, 1, 2, 3])
def test_vmap_rot90_keeps_the_batch_where_its_flips_leave_it(in_dims, k):
    values = _samples((3, 4, 5, 6))
    result = torchless.vmap(lambda a: a.rot90(k, (0, 2)), in_dims=in_dims)(torchless.tensor(values))
    expected = np.stack([np.rot90(sample, k, (0, 2)) for sample in np.moveaxis(values, in_dims, 0)])
    np.testing.assert_array_equal(result.numpy(), expected)
    torch = pytest.importorskip("torch")
    wanted = torch.vmap(lambda a: a.rot90(k, (0, 2)), in_dims=in_dims)(torch.tensor(values))
    assert result.stride() == wanted.stride()


JACOBIANS = {
    "jacfwd": lambda lib, x: lib.func.jacfwd(lambda a: a.sin() * a)(x),
    "jacfwd of a matrix input": lambda lib, x: lib.func.jacfwd(lambda m: m @ x[:3])(x.reshape(2, 3)),
    "jacfwd, two inputs": lambda lib, x: lib.func.jacfwd(lambda a, b: a * b, argnums=(0, 1))(x, x)[1],
    "hessian": lambda lib, x: lib.func.hessian(lambda a: (a.sin() * a).sum())(x),
    "hessian, two inputs": lambda lib, x: lib.func.hessian(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, x)[0][1],
    "vmap of jacfwd": lambda lib, x: lib.vmap(lib.func.jacfwd(lambda a: a.sin() * a))(x.reshape(2, 3)),
    "vmap of hessian": lambda lib, x: lib.vmap(lib.func.hessian(lambda a: (a.sin() * a).sum()))(x.reshape(2, 3)),
}


@pytest.mark.parametrize("name", sorted(JACOBIANS))
def test_forward_jacobians_are_laid_out_column_by_column(name):
    values = _samples(6)
    result = JACOBIANS[name](torchless, torchless.tensor(values))
    assert result.stride()[-1] != 1  # (PyTorch stacks the columns first, then moves their dim last)
    torch = pytest.importorskip("torch")
    wanted = JACOBIANS[name](torch, torch.tensor(values))
    assert result.stride() == wanted.stride()
    if name != "hessian, two inputs":  # (torchless lays each block of a composed Jacobian out on its own)
        assert result.storage_offset() == wanted.storage_offset()
    np.testing.assert_allclose(result.numpy(), wanted.numpy(), rtol=1e-5, atol=1e-6)


def test_jacfwd_values_against_the_formula():
    values = _samples(4).astype(np.float64)
    result = torchless.func.jacfwd(lambda a: a.sin() * a)(torchless.tensor(values))
    np.testing.assert_allclose(result.numpy(), np.diag(np.cos(values) * values + np.sin(values)), rtol=1e-12)
    assert result.stride() == (1, 4)


LOSSES = ["mse_loss", "huber_loss", "smooth_l1_loss", "soft_margin_loss", "l1_loss"]


@pytest.mark.filterwarnings("ignore:There is a performance drop")
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("in_dims", [0, 1, 2])
@pytest.mark.parametrize("loss", LOSSES)
def test_vmap_losses_without_reduction_laid_out_as_pytorchs_rules(loss, in_dims, layout):
    values = _samples((3, 4, 5))

    def run(lib):
        whole = lib.tensor(values) if layout == "contiguous" else _transposed(lib, values)
        function = getattr(lib.nn.functional, loss)
        return lib.vmap(lambda a: function(a, lib.zeros_like(a), reduction="none"), in_dims=in_dims)(whole)

    result = run(torchless)
    if loss != "l1_loss":  # (flattened samples, or (soft margin) run one by one: C order unless a flat view)
        assert result.is_contiguous() is not (loss != "soft_margin_loss" and layout == "contiguous" and in_dims == 2)
    torch = pytest.importorskip("torch")
    wanted = run(torch)
    assert result.stride() == wanted.stride()
    np.testing.assert_allclose(result.numpy(), wanted.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:There is a performance drop")
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("in_dims", [0, 1])
@pytest.mark.parametrize("loss", LOSSES)
def test_vmap_reduced_losses_give_one_value_per_sample(loss, in_dims, reduction):
    values = _samples((3, 4, 5))
    whole = _transposed(torchless, values)
    function = getattr(torchless.nn.functional, loss)
    result = torchless.vmap(lambda a: function(a, torchless.zeros_like(a), reduction=reduction), in_dims=in_dims)(whole)
    assert tuple(result.shape) == (values.shape[in_dims],)
    torch = pytest.importorskip("torch")
    function = getattr(torch.nn.functional, loss)
    wanted = torch.vmap(lambda a: function(a, torch.zeros_like(a), reduction=reduction),
                        in_dims=in_dims)(_transposed(torch, values))
    np.testing.assert_allclose(result.numpy(), wanted.numpy(), rtol=1e-5)


def test_vmap_reductions_of_batched_comparisons_put_the_batch_in_front():
    values = _samples((3, 4, 5))
    result = torchless.vmap(lambda a: (a > 0).any(-1), in_dims=1)(torchless.tensor(values))
    np.testing.assert_array_equal(result.numpy(), (np.moveaxis(values, 1, 0) > 0).any(-1))
    assert result.stride() == (3, 1)
    torch = pytest.importorskip("torch")
    assert result.stride() == torch.vmap(lambda a: (a > 0).any(-1), in_dims=1)(torch.tensor(values)).stride()
