"""Session 37 (vmap37): Jacobians inside vmap batched as PyTorch's (its basis of unit vectors is made from the
batched outputs or primals), the error PyTorch's vmap gives for a value read under a grad transform inside it
(item(), bool(), one_hot), and the losses whose batching rule flattens each operand in nested vmap (their
error for an unbatched target, their C-contiguous results)."""
import numpy as np
import pytest

import torchless

F = torchless.nn.functional
LOCAL_SCALAR = ("vmap: It looks like you're either (1) calling .item() on a Tensor or (2) attempting to use a "
                "Tensor in some data-dependent control flow or (3) encountering this error in PyTorch internals. "
                "For (1): we don't support vmap over calling .item() on a Tensor, please try to rewrite what you're "
                "doing with other operations. For (2): we don't support data-dependent control flow in vmap yet, "
                "please file an issue at https://github.com/pytorch/pytorch/issues . For (3): please file an issue.")
ITEM = ("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over calling .item() on a "
        "Tensor, please try to rewrite what you're doing with other operations. If error is occurring somewhere "
        "inside PyTorch internals, please file a bug report.")


def _samples(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _c_strides(shape):
    strides, step = [], 1
    for size in reversed(shape):
        strides.insert(0, step)
        step *= max(size, 1)
    return tuple(strides)


def _outcome(lib, call):
    """(shape, strides, values) of ``call(lib)``, or (error type, message)."""
    try:
        result = call(lib)
    except Exception as error:  # noqa: BLE001 (the error is what is compared)
        return type(error).__name__, str(error)
    return tuple(result.shape), result.stride(), result.detach().numpy(force=True)  # (force: a ZeroTensor)


def _same_as_torch(call):
    torch = pytest.importorskip("torch")
    expected, got = _outcome(torch, call), _outcome(torchless, call)
    assert got[:2] == expected[:2]
    if len(expected) == 3:
        np.testing.assert_allclose(got[2], expected[2], rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------- Jacobians inside vmap
W = _samples((4, 2), 1)
JACOBIANS = {  # (how the Jacobian is taken, the function of one sample of shape (3, 4))
    "jacrev of a scaling": lambda l: l.func.jacrev(lambda a: a * 2),
    "jacrev of a product": lambda l: l.func.jacrev(lambda a: a @ l.tensor(W)),
    "jacrev of a weighted sum": lambda l: l.func.jacrev(lambda a: (a * 2).sum()),
    "jacfwd of a scaling": lambda l: l.func.jacfwd(lambda a: a * 2),
    "jacfwd of a product": lambda l: l.func.jacfwd(lambda a: a @ l.tensor(W)),
    "hessian of a square": lambda l: l.func.hessian(lambda a: (a * a).sum()),
    "hessian of mse": lambda l: l.func.hessian(lambda a: l.nn.functional.mse_loss(a @ l.tensor(W), l.ones(3, 2))),
}


@pytest.mark.parametrize("name", JACOBIANS)
def test_jacobian_of_a_linear_map_inside_vmap_is_batched(name):
    # (the samples' Jacobians are all equal, yet PyTorch's is batched: not expanded with a batch stride 0)
    x = torchless.tensor(_samples((5, 3, 4)))
    result = torchless.func.vmap(JACOBIANS[name](torchless))(x)
    assert result.stride()[0] == result[0].numel()
    assert result.stride()[1:] == result[0].stride()
    np.testing.assert_allclose(result.numpy(), np.broadcast_to(result[0].numpy(), result.shape))


def test_jacobians_inside_vmap_have_the_values_of_first_principles():
    x = torchless.tensor(_samples((5, 3, 4)))
    jacobian = torchless.func.vmap(JACOBIANS["jacrev of a product"](torchless))(x).numpy()
    expected = np.einsum("ik,jl->ijkl", np.eye(3), W.T)  # d(a @ W)[i, j] / d a[k, l] = delta(i, k) W[l, j]
    np.testing.assert_allclose(jacobian, np.broadcast_to(expected, (5,) + expected.shape), rtol=1e-6)
    hessian = torchless.func.vmap(JACOBIANS["hessian of mse"](torchless))(x).numpy()
    w = W.astype(np.float64)  # mean((a W - y)^2) over 6 elements: the Hessian is 2/6 delta(i, k) (W W^T)[j, l]
    expected = np.einsum("ik,jl->ijkl", np.eye(3), w @ w.T) / 3
    np.testing.assert_allclose(hessian, np.broadcast_to(expected, (5,) + expected.shape), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", JACOBIANS)
@pytest.mark.parametrize("in_dims", [0, 1])
def test_jacobian_inside_vmap_laid_out_as_pytorchs(name, in_dims):
    if in_dims and name.startswith(("jacfwd", "hessian")):
        pytest.skip("forward mode's tangents of an input batched inside its memory: not laid out as PyTorch's")
    values = _samples((5, 3, 4)) if in_dims == 0 else _samples((3, 5, 4))
    _same_as_torch(lambda l: l.func.vmap(JACOBIANS[name](l), in_dims=in_dims)(l.tensor(values)))


def test_jacobian_of_an_unbatched_input_inside_vmap_stays_unbatched():
    # (only the batched primals' basis is batched: a Jacobian with respect to an unmapped input is expanded)
    x, w = torchless.tensor(_samples((5, 3))), torchless.tensor(_samples((3,), 2))
    result = torchless.func.vmap(torchless.func.jacfwd(lambda v, a: (v * 2 + a).sum()), in_dims=(None, 0))(w, x)
    assert result.stride() == (0, 1)
    np.testing.assert_allclose(result.numpy(), np.full((5, 3), 2, np.float32))
    _same_as_torch(lambda l: l.func.vmap(l.func.jacfwd(lambda v, a: (v * 2 + a).sum()), in_dims=(None, 0))(
        l.tensor(_samples((3,), 2)), l.tensor(_samples((5, 3)))))


# ---------------------------------------------------------------------------- a value read under grad inside vmap
def _grad_of(reader):
    return lambda l: l.func.vmap(lambda a: l.func.grad(lambda s: (s * reader(l, a)).sum())(a))(l.ones(3, 5))


READS = {
    "item": lambda l, a: a.sum().item(),
    "float": lambda l, a: float(a.max()),
    "bool": lambda l, a: 1.0 if a.sum() > 0 else 2.0,
    "one_hot": lambda l, a: l.nn.functional.one_hot(a.long().sum(-1), 6),
    "one_hot inferred": lambda l, a: l.nn.functional.one_hot(a.long().sum(-1)),
}


@pytest.mark.parametrize("name", READS)
def test_value_read_under_grad_inside_vmap_refused_in_pytorchs_words(name):
    # (the grad transform decomposes item(), bool() and one_hot into _local_scalar_dense, which vmap refuses so)
    with pytest.raises(RuntimeError) as caught:
        _grad_of(READS[name])(torchless)
    assert str(caught.value) == LOCAL_SCALAR


@pytest.mark.parametrize("name", READS)
def test_value_read_under_grad_inside_vmap_as_pytorchs(name):
    _same_as_torch(_grad_of(READS[name]))


@pytest.mark.parametrize("transform", ["jvp", "vjp", "jacrev", "jacfwd"])
def test_one_hot_under_other_transforms_inside_vmap_refused(transform):
    def call(l):
        hot = l.nn.functional.one_hot
        index = l.tensor([1, 2, 0])
        if transform == "jvp":
            f = lambda a, t: l.func.jvp(lambda s: s * hot(t, 5), (a,), (a,))[1]  # noqa: E731
        elif transform == "vjp":
            f = lambda a, t: l.func.vjp(lambda s: s * hot(t, 5), a)[0]  # noqa: E731
        else:
            f = lambda a, t: getattr(l.func, transform)(lambda s: s * hot(t, 5))(a)  # noqa: E731
        return l.func.vmap(f)(l.ones(3, 5), index)

    with pytest.raises(RuntimeError, match=r"^vmap: It looks like you're either \(1\)"):
        call(torchless)
    _same_as_torch(call)


def test_value_reads_outside_a_transform_or_of_unbatched_tensors_unchanged():
    with pytest.raises(RuntimeError) as caught:  # (vmap's own rule for item(): its own words)
        torchless.func.vmap(lambda a: a.sum().item())(torchless.ones(3, 5))
    assert str(caught.value) == ITEM
    index = torchless.tensor([1, 2, 0])
    hot = torchless.func.vmap(lambda t: F.one_hot(t, 4))(index)  # (vmap's rule for one_hot)
    np.testing.assert_array_equal(hot.numpy(), np.eye(4, dtype=np.int64)[[1, 2, 0]])
    # grad outside vmap: vmap is the innermost transform, its rule runs
    grads = torchless.func.grad(lambda a: torchless.func.vmap(lambda s, t: (s * F.one_hot(t, 5)).sum())(
        a, index).sum())(torchless.ones(3, 5))
    np.testing.assert_array_equal(grads.numpy(), np.eye(5, dtype=np.float32)[[1, 2, 0]])
    # an unbatched index read under grad inside vmap
    captured = torchless.tensor([4, 0])
    grads = torchless.func.vmap(lambda a: torchless.func.grad(lambda s: (s * F.one_hot(captured, 5)).sum())(a))(
        torchless.ones(3, 2, 5))
    np.testing.assert_array_equal(grads.numpy(), np.broadcast_to(np.eye(5, dtype=np.float32)[[4, 0]], (3, 2, 5)))


def test_per_sample_gradients_with_one_hot_targets_refused_as_pytorchs():
    # (PyTorch's per-sample-gradients tutorial with an MSE loss on one-hot targets made inside the function)
    def call(l):
        model = l.nn.Linear(4, 3)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, x, y):
            out = l.func.functional_call(model, p, (x.unsqueeze(0),))
            return l.nn.functional.mse_loss(out, l.nn.functional.one_hot(y.unsqueeze(0), 3).float())

        grads = l.func.vmap(l.func.grad(loss), in_dims=(None, 0, 0))(params, l.ones(5, 4), l.tensor([0, 1, 2, 0, 1]))
        return grads["weight"]

    with pytest.raises(RuntimeError, match=r"^vmap: It looks like you're either \(1\)"):
        call(torchless)
    _same_as_torch(call)


# ---------------------------------------------------------------------------- flattening losses in nested vmap
LOSSES = {
    "huber_loss": lambda l, a, t: l.nn.functional.huber_loss(a, t, reduction="none"),
    "smooth_l1_loss": lambda l, a, t: l.nn.functional.smooth_l1_loss(a, t, reduction="none", beta=0.5),
    "mse_loss": lambda l, a, t: l.nn.functional.mse_loss(a, t, reduction="none"),
    "mse_loss mean": lambda l, a, t: l.nn.functional.mse_loss(a, t),
}


def _nested(l, name, values, target, inner=0, outer=0):
    loss = LOSSES[name]
    return l.func.vmap(l.func.vmap(lambda a: loss(l, a, target(l, a)), in_dims=inner), in_dims=outer)(l.tensor(values))


@pytest.mark.parametrize("name", LOSSES)
def test_flattening_loss_with_unbatched_target_in_nested_vmap_refused(name):
    # (the outer call's rule flattens the input, the inner batch in it, to (3, 4 * 10), the target to (10,))
    with pytest.raises(RuntimeError) as caught:
        _nested(torchless, name, _samples((3, 4, 5, 2)), lambda l, a: l.ones(5, 2))
    assert str(caught.value) == ("The size of tensor a (40) must match the size of tensor b (10) at non-singleton "
                                 "dimension 1")
    _same_as_torch(lambda l: _nested(l, name, _samples((3, 4, 5, 2)), lambda l, a: l.ones(5, 2)))


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("shape", [(3, 1, 5, 2), (3, 4, 1, 1)])
def test_flattening_loss_with_unbatched_target_broadcasting_in_nested_vmap_runs(name, shape):
    # (an inner batch of one, or samples of one element, broadcast in the rule's flattened operands)
    values = _samples(shape)
    got = _nested(torchless, name, values, lambda l, a: l.ones(shape[2:]))
    losses = (values.astype(np.float64) - 1) ** 2
    if name == "mse_loss mean":
        losses = losses.reshape(shape[:2] + (-1,)).mean(-1)
    if name in ("mse_loss", "mse_loss mean"):
        np.testing.assert_allclose(got.numpy(), losses, rtol=1e-5)
    _same_as_torch(lambda l: _nested(l, name, values, lambda l, a: l.ones(shape[2:])))


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("inner, outer", [(0, 0), (1, 1), (0, 1), (1, 2)])
def test_flattening_loss_with_batched_target_in_nested_vmap(name, inner, outer):
    values = _samples((3, 4, 5, 2))
    got = _nested(torchless, name, values, lambda l, a: a * 0.5 + 1, inner, outer)
    errors = (np.moveaxis(np.moveaxis(values, outer, 0), inner + 1, 1).astype(np.float64) * 0.5 - 1) ** 2
    if name == "mse_loss":
        np.testing.assert_allclose(got.numpy(), errors, rtol=1e-5, atol=1e-7)
        assert got.stride() == _c_strides(got.shape)  # (every call's rule reshapes its flattened result)
    _same_as_torch(lambda l: _nested(l, name, values, lambda l, a: a * 0.5 + 1, inner, outer))


def test_flattening_loss_with_unbatched_target_in_one_vmap_runs():
    values = _samples((3, 5, 2))
    got = torchless.func.vmap(lambda a: F.huber_loss(a, torchless.zeros(5, 2), reduction="none", delta=0.5))(
        torchless.tensor(values))
    magnitude = np.abs(values.astype(np.float64))
    np.testing.assert_allclose(got.numpy(), np.where(magnitude < 0.5, 0.5 * magnitude ** 2,
                                                     0.5 * (magnitude - 0.25)), rtol=1e-5)
    _same_as_torch(lambda l: l.func.vmap(lambda a: l.nn.functional.huber_loss(a, l.zeros(5, 2), reduction="none",
                                                                               delta=0.5))(l.tensor(values)))


def test_flattening_loss_in_vmap_of_a_captured_batched_input_refused():
    # (the inner call maps an unbatched tensor, the target is batched by the outer call alone: the outer rule
    # flattens the input, the inner batch in it, to (4 * 5,) and the target to (3, 5))
    values, others = _samples((3, 5)), _samples((4, 5), 3)

    def call(l):
        def outer(t):
            return l.func.vmap(lambda a: l.nn.functional.mse_loss(a, t, reduction="none"))(l.tensor(others))
        return l.func.vmap(outer)(l.tensor(values))

    with pytest.raises(RuntimeError) as caught:
        call(torchless)
    assert str(caught.value) == ("The size of tensor a (20) must match the size of tensor b (5) at non-singleton "
                                 "dimension 1")
    _same_as_torch(call)


# ---------------------------------------------------------------------------- Jacobians depending on no input
X = _samples((3, 4))
INDEPENDENT = {  # (a Jacobian whose every row, or column, depends on no input: PyTorch's vmap over its basis gets
    # one unbatched row or column back and expands it)
    "jacrev of an unused input": lambda l: l.func.jacrev(lambda a, b: a * 2, argnums=1)(l.tensor(X), l.ones(2)),
    "jacrev of an unused transposed input": lambda l: l.func.jacrev(lambda a, b: a * 2, argnums=1)(
        l.tensor(X), l.tensor(X).t()),
    "jacrev of two inputs": lambda l: l.func.jacrev(lambda a, b: a * 2, argnums=(0, 1))(l.tensor(X), l.ones(2))[1],
    "jacfwd of an unused input": lambda l: l.func.jacfwd(lambda a, b: a.t() * 2, argnums=1)(l.tensor(X), l.ones(2)),
    "hessian of a linear map": lambda l: l.func.hessian(lambda a: a.cumsum(0).sum())(l.tensor(X)),
    "hessian of a transposed input": lambda l: l.func.hessian(lambda a: (a * 3).sum())(l.tensor(X).t()),
    "jacrev of jacrev": lambda l: l.func.jacrev(l.func.jacrev(lambda a: (a * 3).sum()))(l.tensor(X)),
    "jacfwd of grad": lambda l: l.func.jacfwd(lambda a: l.func.grad(lambda b: (b * 3).sum())(a))(l.tensor(X)),
    "jacfwd of vjp": lambda l: l.func.jacfwd(lambda a: l.func.vjp(lambda b: b * 3, a)[1](l.ones(3, 4))[0])(
        l.tensor(X)),
    "vmap of jacrev of an unused input": lambda l: l.func.vmap(l.func.jacrev(lambda a, b: a * 2, argnums=1))(
        l.tensor(X), l.tensor(X)),
    "vmap of jacfwd of an unused input": lambda l: l.func.vmap(l.func.jacfwd(lambda a, b: a * 2, argnums=1))(
        l.tensor(X), l.tensor(X)),
    "vmap of hessian of a linear map": lambda l: l.func.vmap(l.func.hessian(lambda a: a.cumsum(0).sum()))(
        l.tensor(X)),
}
DEPENDENT = {  # (forward transforms' tangents: PyTorch's basis batches them, however they depend on the inputs)
    "jacfwd of jacfwd": lambda l: l.func.jacfwd(l.func.jacfwd(lambda a: (a * 3).sum()))(l.tensor(X)),
    "jacfwd of jacfwd, scaled": lambda l: l.func.jacfwd(lambda a: l.func.jacfwd(lambda b: (b * 3).sum())(a) * 2)(
        l.tensor(X)),
    "jacfwd of jvp": lambda l: l.func.jacfwd(lambda a: l.func.jvp(lambda b: b * 3, (a,), (l.ones(3, 4),))[1])(
        l.tensor(X)),
    "jacrev of jacfwd": lambda l: l.func.jacrev(lambda a: l.func.jacfwd(lambda b: (b * 3).sum())(a))(l.tensor(X)),
}


@pytest.mark.parametrize("name", INDEPENDENT)
def test_jacobian_depending_on_no_input_is_expanded_zeros(name):
    result = INDEPENDENT[name](torchless)
    assert 0 in result.stride()
    assert not result.numpy().any()
    _same_as_torch(INDEPENDENT[name])


@pytest.mark.parametrize("name", DEPENDENT)
def test_jacobian_of_forward_transforms_stays_dense(name):
    result = DEPENDENT[name](torchless)
    assert 0 not in result.stride() and not result.numpy().any()
    _same_as_torch(DEPENDENT[name])


def test_jacobian_of_an_unused_input_keeps_pytorchs_zeros_layout():
    # (zeros_like: a transposed input's zeros transposed, as the gradient PyTorch's transforms give it)
    x = torchless.tensor(X)
    assert torchless.func.grad(lambda a, b: a.sum(), argnums=1)(x, x.t()).stride() == (1, 4)
    assert torchless.func.vjp(lambda a, b: a * 2, x, x.t())[1](x)[1].stride() == (1, 4)
    assert torchless.func.jacrev(lambda a, b: a * 2, argnums=1)(x, x.t()).stride() == (0, 0, 1, 4)


# ---------------------------------------------------------------------------- rows and columns keeping their layout
def _transposed(l):
    return l.tensor(np.ascontiguousarray(X.T)).t()


LAYOUTS = {  # (PyTorch's vmap over the basis stacks the rows or columns in front, each laid out as computed)
    "jacrev of a transpose": lambda l: l.func.jacrev(lambda a: a.t())(l.tensor(X)),
    "jacrev of a product, transposed input": lambda l: l.func.jacrev(lambda a: a @ a.t())(_transposed(l)),
    "jacrev of a sum, transposed input": lambda l: l.func.jacrev(lambda a: (a ** 2).sum())(_transposed(l)),
    "jacrev of a column sum, transposed input": lambda l: l.func.jacrev(lambda a: a.exp().sum(0))(_transposed(l)),
    "jacfwd of sin, transposed input": lambda l: l.func.jacfwd(lambda a: a.sin())(_transposed(l)),
    "jacfwd of a transpose": lambda l: l.func.jacfwd(lambda a: a.t())(l.tensor(X)),
    "hessian, transposed input": lambda l: l.func.hessian(lambda a: a.sin().sum())(_transposed(l)),
    "hessian of a norm, transposed input": lambda l: l.func.hessian(lambda a: a.norm())(_transposed(l)),
}


@pytest.mark.parametrize("name", LAYOUTS)
def test_jacobian_rows_and_columns_keep_their_layout(name):
    _same_as_torch(LAYOUTS[name])


def test_jacobian_of_a_transposed_input_by_first_principles():
    jacobian = LAYOUTS["jacfwd of sin, transposed input"](torchless)
    assert jacobian.stride() == (1, 3, 48, 12)  # (each column laid out as the transposed input, columns outermost)
    expected = np.einsum("ik,jl->ijkl", np.eye(3), np.eye(4)) * np.cos(X.astype(np.float64))[:, :, None, None]
    np.testing.assert_allclose(jacobian.numpy(), expected, rtol=1e-6, atol=1e-7)
    hessian = LAYOUTS["hessian, transposed input"](torchless)
    assert hessian.stride() == (1, 3, 48, 12)
    np.testing.assert_allclose(hessian.numpy(), -expected * np.tan(X.astype(np.float64))[:, :, None, None],
                               rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- batch_norm in nested vmap
@pytest.mark.parametrize("inner, outer", [(0, 0), (1, 1), (0, 2)])
def test_nested_batch_norm_eval_folds_every_batch_next_to_the_channels(inner, outer):
    values = _samples((3, 4, 5, 2))

    def call(l):
        norm = lambda a: l.nn.functional.batch_norm(a, l.zeros(2), l.ones(2) * 4)  # noqa: E731
        return l.func.vmap(l.func.vmap(norm, in_dims=inner), in_dims=outer)(l.tensor(values))

    got = call(torchless)
    moved = np.moveaxis(np.moveaxis(values, outer, 0), inner + 1, 1)
    np.testing.assert_allclose(got.numpy(), moved / np.sqrt(4 + 1e-5), rtol=1e-6)
    size_out, size_in = got.shape[:2]  # (each rule moves its batch next to the channels: (N, outer, inner, C))
    assert got.stride() == (size_in * 2, 2, size_out * size_in * 2, 1)
    _same_as_torch(call)


# ---------------------------------------------------------------------------- broadcasting ops, batch innermost
@pytest.mark.parametrize("in_dims, transposed", [(-1, False), (0, True), (1, True)])
def test_vmap_outer_of_samples_with_the_batch_innermost(in_dims, transposed):
    # (both operands step through the batch by the least stride: TensorIterator keeps it innermost in the result)
    values = _samples((3, 4, 5))

    def call(l):
        x = l.tensor(np.ascontiguousarray(values.T)).permute(2, 1, 0) if transposed else l.tensor(values)
        return l.func.vmap(lambda a: l.outer(a[0], a[1]), in_dims=in_dims)(x)

    got = call(torchless)
    assert got.stride()[0] == 1
    moved = np.moveaxis(values, in_dims, 0).astype(np.float64)
    np.testing.assert_allclose(got.numpy(), moved[:, 0, :, None] * moved[:, 1, None, :], rtol=1e-6)
    _same_as_torch(call)
