"""torchless.func (vmap, grad, vjp, jvp, jacrev, jacfwd, hessian, stack_module_state) against torch.func, and
against finite differences where torch is absent."""
import numpy as np
import pytest

import torchless
from torchless.func import grad, hessian, jacfwd, jacrev, jvp, linearize, vjp, vmap

from helpers import outcome_named_as_torch


def _array(value):
    return np.asarray(value.detach().tolist(), dtype=float)


def _described(value):
    """Nested results as comparable between the libraries: arrays for tensors, the same containers around them."""
    if isinstance(value, (tuple, list)):
        return type(value).__name__, [_described(item) for item in value]
    if isinstance(value, dict):
        return {key: _described(item) for key, item in value.items()}
    if hasattr(value, "detach"):
        return str(value.dtype).split(".")[-1], tuple(value.shape), np.round(_array(value), 5).tolist()
    return value


def _rng_tensor(lib, *shape, seed=0):
    return lib.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


# ---------------------------------------------------------------------------- finite differences (no torch needed)
def _numeric_jacobian(f, x, eps=1e-6):
    x = np.asarray(x, dtype=np.float64)
    base = np.asarray(f(x))
    jac = np.zeros(base.shape + x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        jac[(...,) + index] = (np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps)
    return jac


def test_jacrev_jacfwd_and_hessian_match_finite_differences_in_float64():
    def f(t):
        return (t.sin() * t.sum()).exp()

    x = np.random.default_rng(1).standard_normal(4)
    numeric = _numeric_jacobian(lambda a: f(torchless.tensor(a)).numpy(), x)
    for transform in (jacrev, jacfwd):
        np.testing.assert_allclose(transform(f)(torchless.tensor(x)).numpy(), numeric, rtol=1e-6, atol=1e-8)

    def scalar(t):
        return (t.sin() * t.sum()).exp().sum()

    numeric_hessian = _numeric_jacobian(lambda a: grad(scalar)(torchless.tensor(a)).numpy(), x)
    np.testing.assert_allclose(hessian(scalar)(torchless.tensor(x)).numpy(), numeric_hessian, rtol=1e-6, atol=1e-8)


def test_jvp_and_vjp_are_the_jacobian_products_in_float64():
    rng = np.random.default_rng(2)
    x, v, u = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(2)

    def f(t):
        return torchless.stack([(t ** 2).sum(), t.prod().tanh()])

    jac = _numeric_jacobian(lambda a: f(torchless.tensor(a)).numpy(), x)
    out, product = jvp(f, (torchless.tensor(x),), (torchless.tensor(v),))
    np.testing.assert_allclose(product.numpy(), jac @ v, rtol=1e-6)
    np.testing.assert_allclose(out.numpy(), f(torchless.tensor(x)).numpy())
    _, vjp_fn = vjp(f, torchless.tensor(x))
    np.testing.assert_allclose(vjp_fn(torchless.tensor(u))[0].numpy(), u @ jac, rtol=1e-6)
    _, jvp_fn = linearize(f, torchless.tensor(x))
    np.testing.assert_allclose(jvp_fn(torchless.tensor(v)).numpy(), jac @ v, rtol=1e-6)


def test_vmap_equals_the_per_sample_loop():
    x = _rng_tensor(torchless, 5, 3, 4)
    w = _rng_tensor(torchless, 4, 2, seed=1)
    mapped = vmap(lambda sample, weight: (sample @ weight).relu(), in_dims=(0, None))(x, w)
    expected = torchless.stack([(x[i] @ w).relu() for i in range(5)])
    assert torchless.equal(mapped, expected)
    # nested: over two dims at once, the outer one last
    twice = vmap(vmap(lambda a: a.sum()), in_dims=2)(x)
    assert torchless.allclose(twice, x.sum(0).T.contiguous().T.permute(1, 0).T if False else x.permute(2, 0, 1).sum(2))


# ---------------------------------------------------------------------------- against torch.func
torch = pytest.importorskip("torch")


def _in_both(scenario):
    expected = outcome_named_as_torch(lambda: _described(scenario(torch)))
    got = outcome_named_as_torch(lambda: _described(scenario(torchless)))
    assert got == expected


_VMAP_CASES = {
    "default": lambda lib, x: lib.func.vmap(lambda t: t * 2)(x),
    "reduce": lambda lib, x: lib.func.vmap(lambda t: t.sum())(x),
    "in_dims 1": lambda lib, x: lib.func.vmap(lambda t: t.cumsum(0), in_dims=1)(x),
    "in_dims -1": lambda lib, x: lib.func.vmap(lambda t: t.softmax(0), in_dims=-1)(x),
    "out_dims 1": lambda lib, x: lib.func.vmap(lambda t: t.outer(t), out_dims=1)(x),
    "out_dims -1": lambda lib, x: lib.func.vmap(lambda t: t * 3, out_dims=-1)(x),
    "two inputs": lambda lib, x: lib.func.vmap(lambda a, b: a * b)(x, x + 1),
    "unmapped input": lambda lib, x: lib.func.vmap(lambda a, b: a @ b, in_dims=(0, None))(x, x.T),
    "tuple output": lambda lib, x: lib.func.vmap(lambda t: (t, t.max()))(x),
    "tuple out_dims": lambda lib, x: lib.func.vmap(lambda t: (t, t.sum()), out_dims=(1, 0))(x),
    "dict output": lambda lib, x: lib.func.vmap(lambda t: {"a": t.exp(), "b": t[0]})(x),
    "list output": lambda lib, x: lib.func.vmap(lambda t: [t.neg()])(x),
    "dict input": lambda lib, x: lib.func.vmap(lambda d: d["a"] - d["b"])({"a": x, "b": x * x}),
    "dict in_dims": lambda lib, x: lib.func.vmap(lambda d: d["a"] * 2, in_dims=({"a": 1},))({"a": x}),
    "keyword argument": lambda lib, x: lib.func.vmap(lambda t, scale=1: t * scale)(x, scale=3),
    "unbatched output": lambda lib, x: lib.func.vmap(lambda t: lib.ones(2))(x),
    "out_dims None": lambda lib, x: lib.func.vmap(lambda t: lib.ones(2), out_dims=None)(x),
    "non-tensor out_dims None": lambda lib, x: lib.func.vmap(lambda t: 1.5, out_dims=None)(x),
    "nested": lambda lib, x: lib.func.vmap(lib.func.vmap(lambda t: t * t))(x),
    "nested inner dim": lambda lib, x: lib.func.vmap(lib.func.vmap(lambda t: t.sum(), in_dims=0), in_dims=1)(x),
    "empty batch": lambda lib, x: lib.func.vmap(lambda t: (t * 2, t.sum()))(x[:0]),
    "top-level": lambda lib, x: lib.vmap(lambda t: t.relu())(x),
    "grad inside": lambda lib, x: lib.func.vmap(lib.func.grad(lambda r: (r ** 3).sum()))(x),
    "vmap inside grad": lambda lib, x: lib.func.grad(lambda w: lib.func.vmap(lambda r: (r * w).sum())(x).sum())(
        x[0] * 2),
    # errors
    "bad randomness": lambda lib, x: lib.func.vmap(lambda t: t, randomness="foo")(x),
    "chunk_size 0": lambda lib, x: lib.func.vmap(lambda t: t, chunk_size=0)(x),
    "float output": lambda lib, x: lib.func.vmap(lambda t: 1.0)(x),
    "None output": lambda lib, x: lib.func.vmap(lambda t: None)(x),
    "size mismatch": lambda lib, x: lib.func.vmap(lambda a, b: a + b[:3])(x, lib.ones(4, 3)),
    "in_dims too large": lambda lib, x: lib.func.vmap(lambda t: t, in_dims=2)(x),
    "in_dims string": lambda lib, x: lib.func.vmap(lambda t: t, in_dims="a")(x),
    "in_dims list": lambda lib, x: lib.func.vmap(lambda t: t, in_dims=[0])(x),
    "in_dims None": lambda lib, x: lib.func.vmap(lambda t: t, in_dims=None)(x),
    "in_dims all None": lambda lib, x: lib.func.vmap(lambda t: t, in_dims=(None,))(x),
    "in_dims structure": lambda lib, x: lib.func.vmap(lambda a, b: a, in_dims=(0,))(x, x),
    "in_dims nested structure": lambda lib, x: lib.func.vmap(lambda t: t, in_dims=((0,),))(x),
    "non-tensor input": lambda lib, x: lib.func.vmap(lambda t: t)(3),
    "0-d input": lambda lib, x: lib.func.vmap(lambda t: t)(x.sum()),
    "no inputs": lambda lib, x: lib.func.vmap(lambda: 1)(),
    "out_dims string": lambda lib, x: lib.func.vmap(lambda t: t, out_dims="a")(x),
    "out_dims out of range": lambda lib, x: lib.func.vmap(lambda t: t * 2, out_dims=3)(x),
    "out_dims structure": lambda lib, x: lib.func.vmap(lambda t: (t, t), out_dims=(0,))(x),
    "out_dims None batched": lambda lib, x: lib.func.vmap(lambda t: t, out_dims=None)(x),
    "random in error mode": lambda lib, x: lib.func.vmap(lambda t: t + lib.rand(3))(x),
    "randn in error mode": lambda lib, x: lib.func.vmap(lambda t: lib.randn_like(t))(x),
    "dropout in error mode": lambda lib, x: lib.func.vmap(lambda t: lib.nn.functional.dropout(t, 0.5))(x),
    "randint in error mode": lambda lib, x: lib.func.vmap(lambda t: lib.randint(0, 5, (3,)) * t)(x),
    "generator in error mode": lambda lib, x: lib.func.vmap(lambda t: t + lib.rand(3, generator=lib.Generator()))(x),
}


@pytest.mark.parametrize("case", _VMAP_CASES)
def test_vmap_as_torch(case):
    _in_both(lambda lib: _VMAP_CASES[case](lib, _rng_tensor(lib, 4, 3)))


def test_vmap_same_randomness_gives_every_sample_the_draws_of_one_call():
    for lib in (torch, torchless):
        lib.manual_seed(3)
        mapped = lib.func.vmap(lambda t: t + lib.rand(3), randomness="same")(lib.zeros(4, 3))
        lib.manual_seed(3)
        once = lib.rand(3)
        assert lib.equal(mapped, once.expand(4, 3))
        different = lib.func.vmap(lambda t: t + lib.rand(3), randomness="different")(lib.zeros(4, 3))
        assert not lib.equal(different[0], different[1])


_AUTODIFF_CASES = {
    "grad": lambda lib, x: lib.func.grad(lambda t: (t.sin() * t).sum())(x),
    "grad_and_value": lambda lib, x: lib.func.grad_and_value(lambda t: (t ** 2).mean())(x),
    "grad argnums tuple": lambda lib, x: lib.func.grad(lambda a, b: (a * b.exp()).sum(), argnums=(0, 1))(x, x + 1),
    "grad argnums -1": lambda lib, x: lib.func.grad(lambda a, b: (a * b.exp()).sum(), argnums=-1)(x, x + 1),
    "grad unused argument": lambda lib, x: lib.func.grad(lambda a, b: a.sum(), argnums=(0, 1))(x, x),
    "grad dict argument": lambda lib, x: lib.func.grad(lambda d: (d["w"] * d["b"]).sum())({"w": x, "b": x * 2}),
    "grad has_aux": lambda lib, x: lib.func.grad(lambda t: ((t ** 2).sum(), {"y": t.exp()}), has_aux=True)(x),
    "grad of grad": lambda lib, x: lib.func.grad(lambda t: lib.func.grad(lambda u: (u ** 3).sum())(t).sum())(x),
    "grad under no_grad": lambda lib, x: _under_no_grad(lib, lambda: lib.func.grad(lambda t: (t ** 2).sum())(x)),
    "grad of a leaf requiring grad": lambda lib, x: lib.func.grad(lambda t: (t ** 2).sum())(
        x.detach().requires_grad_()).grad_fn is None,
    "jacrev": lambda lib, x: lib.func.jacrev(lambda t: t.softmax(-1))(x),
    "jacrev two outputs": lambda lib, x: lib.func.jacrev(lambda t: (t.exp(), t.sum()))(x),
    "jacrev argnums": lambda lib, x: lib.func.jacrev(lambda a, b: a * b, argnums=(0, 1))(x, x * 3),
    "jacrev has_aux": lambda lib, x: lib.func.jacrev(lambda t: (t.sin(), {"a": t}), has_aux=True)(x),
    "jacfwd": lambda lib, x: lib.func.jacfwd(lambda t: t.tanh() * t[0])(x),
    "hessian": lambda lib, x: lib.func.hessian(lambda t: (t.sin() * t.sum()).sum())(x),
    "hessian of a vector": lambda lib, x: lib.func.hessian(lambda t: t ** 3)(x),
    "jvp": lambda lib, x: lib.func.jvp(lambda t: t.exp() * t, (x,), (x * 0 + 1,)),
    "jvp has_aux": lambda lib, x: lib.func.jvp(lambda t: (t.exp(), t.sum()), (x,), (x,), has_aux=True),
    "vjp": lambda lib, x: lib.func.vjp(lambda t: t.sigmoid(), x)[1](x * 0 + 1),
    "vjp tuple output": lambda lib, x: lib.func.vjp(lambda t: (t.sin(), t.cos()), x)[1]((x, x * 2)),
    "linearize": lambda lib, x: lib.func.linearize(lambda t: t.sin(), x)[1](x * 0 + 1),
    # errors
    "grad of a vector": lambda lib, x: lib.func.grad(lambda t: t * 2)(x),
    "grad of a float": lambda lib, x: lib.func.grad(lambda t: 1.0)(x),
    "grad of an int tensor": lambda lib, x: lib.func.grad(lambda t: (t * 2).sum())(lib.tensor([1, 2])),
    "grad argnums out of range": lambda lib, x: lib.func.grad(lambda t: t.sum(), argnums=1)(x),
    "grad argnums float": lambda lib, x: lib.func.grad(lambda t: t.sum(), argnums=1.0)(x),
    "grad argnums list": lambda lib, x: lib.func.grad(lambda a, b: a.sum(), argnums=[0, 1])(x, x),
    "grad argnums empty": lambda lib, x: lib.func.grad(lambda t: t.sum(), argnums=())(x),
    "grad argnums repeated": lambda lib, x: lib.func.grad(lambda a, b: a.sum(), argnums=(0, 0))(x, x),
    "grad argnums element float": lambda lib, x: lib.func.grad(lambda a, b: a.sum(), argnums=(0, 1.0))(x, x),
    "grad of a float argument": lambda lib, x: lib.func.grad(lambda t: t * 2)(3.0),
    "grad has_aux without aux": lambda lib, x: lib.func.grad(lambda t: t.sum(), has_aux=True)(x),
    "grad has_aux int aux": lambda lib, x: lib.func.grad(lambda t: (t.sum(), 5), has_aux=True)(x),
    "jacrev of a float": lambda lib, x: lib.func.jacrev(lambda t: 1.0)(x),
    "jacrev chunk_size 0": lambda lib, x: lib.func.jacrev(lambda t: t, chunk_size=0)(x),
    "jacrev has_aux without aux": lambda lib, x: lib.func.jacrev(lambda t: t.sin(), has_aux=True)(x),
    "jacfwd bad randomness": lambda lib, x: lib.func.jacfwd(lambda t: t, randomness="foo")(x),
    "jvp primals not a tuple": lambda lib, x: lib.func.jvp(lambda t: t, x, x),
    "jvp tangents not a tuple": lambda lib, x: lib.func.jvp(lambda t: t, (x,), x),
    "jvp tangent count": lambda lib, x: lib.func.jvp(lambda t: t, (x,), (x, x)),
    "jvp tangent shape": lambda lib, x: lib.func.jvp(lambda t: t, (x,), (x[:1],)),
    "jvp float primal": lambda lib, x: lib.func.jvp(lambda t: t, (3.0,), (1.0,)),
    "jvp float tangent": lambda lib, x: lib.func.jvp(lambda t: t, (x,), (1.0,)),
    "jvp float output": lambda lib, x: lib.func.jvp(lambda t: 1.0, (x,), (x,)),
    "jvp has_aux without aux": lambda lib, x: lib.func.jvp(lambda t: t.sin(), (x,), (x,), has_aux=True),
    "vjp float output": lambda lib, x: lib.func.vjp(lambda t: 1.0, x),
    "vjp has_aux without aux": lambda lib, x: lib.func.vjp(lambda t: t.sin(), x, has_aux=True),
    "vjp cotangent structure": lambda lib, x: lib.func.vjp(lambda t: (t.sin(), t.cos()), x)[1](x),
    "vjp cotangent shape": lambda lib, x: lib.func.vjp(lambda t: t.sin(), x)[1](x[:1]),
    "functionalize bad remove": lambda lib, x: lib.func.functionalize(lambda t: t, remove="foo"),
    "functionalize": lambda lib, x: lib.func.functionalize(lambda t: t.add_(1) * 2)(x.clone()),
}


def _under_no_grad(lib, call):
    with lib.no_grad():
        return call()


@pytest.mark.parametrize("case", _AUTODIFF_CASES)
def test_autodiff_transforms_as_torch(case):
    _in_both(lambda lib: _AUTODIFF_CASES[case](lib, _rng_tensor(lib, 3)))


def _classifier(nn):
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 4))


def _twin_classifiers():
    torch.manual_seed(0)
    theirs = _classifier(torch.nn)
    ours = _classifier(torchless.nn)
    ours.load_state_dict({key: torchless.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()})
    return {torch: theirs, torchless: ours}


def test_per_sample_gradients_of_a_cnn_as_torch():
    models = _twin_classifiers()
    images = np.random.default_rng(4).standard_normal((5, 1, 4, 4)).astype(np.float32)
    labels = np.array([0, 3, 1, 2, 3])

    def per_sample(lib):
        model = models[lib]
        params = {name: p.detach() for name, p in model.named_parameters()}

        def loss(params, image, label):
            out = lib.func.functional_call(model, params, (image.unsqueeze(0),))
            return lib.nn.functional.cross_entropy(out, label.unsqueeze(0))

        return lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(params, lib.tensor(images),
                                                                       lib.tensor(labels))

    ours, theirs = per_sample(torchless), per_sample(torch)
    assert set(ours) == set(theirs)
    for name in theirs:
        np.testing.assert_allclose(_array(ours[name]), _array(theirs[name]), rtol=1e-4, atol=1e-6)
        # each sample's gradient is the ordinary gradient of its own loss
    model = models[torchless]
    model.zero_grad()
    torchless.nn.functional.cross_entropy(model(torchless.tensor(images[2:3])), torchless.tensor(labels[2:3])).backward()
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(_array(ours[name][2]), _array(parameter.grad), rtol=1e-5, atol=1e-7)


def test_ensemble_by_stack_module_state_as_torch():
    def ensemble(lib):
        lib.manual_seed(0)
        models = [lib.nn.Linear(3, 2) for _ in range(4)]
        if lib is torchless:  # the same weights as torch's models
            torch.manual_seed(0)
            for model, twin in zip(models, [torch.nn.Linear(3, 2) for _ in range(4)]):
                model.load_state_dict({k: lib.tensor(v.detach().numpy()) for k, v in twin.state_dict().items()})
        params, buffers = lib.func.stack_module_state(models)
        base = models[0]

        def call(params, buffers, x):
            return lib.func.functional_call(base, (params, buffers), (x,))

        x = lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
        out = lib.func.vmap(call, in_dims=(0, 0, None))(params, buffers, x)
        return out, {k: (tuple(v.shape), v.requires_grad, v.is_leaf) for k, v in params.items()}

    ours, theirs = ensemble(torchless), ensemble(torch)
    np.testing.assert_allclose(_array(ours[0]), _array(theirs[0]), rtol=1e-5, atol=1e-6)
    assert ours[1] == theirs[1]


@pytest.mark.parametrize("case", ["empty", "modes", "classes", "requires_grad", "buffers", "batch norm"])
def test_stack_module_state_and_batch_norm_replacement_as_torch(case):
    def scenario(lib):
        nn = lib.nn
        if case == "empty":
            return lib.func.stack_module_state([])
        if case == "modes":
            return lib.func.stack_module_state([nn.Linear(2, 2), nn.Linear(2, 2).eval()])
        if case == "classes":
            return lib.func.stack_module_state([nn.Linear(2, 2), nn.Conv1d(2, 2, 1)])
        if case == "requires_grad":
            frozen = nn.Linear(2, 2)
            frozen.weight.requires_grad_(False)
            return lib.func.stack_module_state([nn.Linear(2, 2), frozen])
        if case == "buffers":
            _, buffers = lib.func.stack_module_state([nn.BatchNorm1d(2), nn.BatchNorm1d(2)])
            return {k: (str(v.dtype).split(".")[-1], tuple(v.shape), v.requires_grad) for k, v in buffers.items()}
        model = lib.func.replace_all_batch_norm_modules_(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
        norm = model[1]
        return norm.running_mean, norm.running_var, norm.num_batches_tracked, norm.track_running_stats

    _in_both(scenario)


def test_func_names_are_torch_funcs():
    public = {name for name in dir(torch.func) if not name.startswith("_")}
    assert public <= {name for name in dir(torchless.func) if not name.startswith("_")}


_REARRANGE_CASES = [
    ("b c h w -> b (c h w)", {}), ("b (h1 h2) w c -> b h1 h2 w c", {"h1": 2}), ("b ... -> ... b", {}),
    ("b ... -> b (...)", {}), ("... -> (...)", {}), ("... c -> c ...", {}), ("b c h w -> (b c) 1 (h w)", {}),
    ("b c h w -> b () c h w", {}), ("b c h w -> b (w h) c", {}), ("b (h1 h2) w c -> (b h1) h2 (w c)", {"h2": 2}),
    # errors
    ("b c h -> b c h", {}), ("b c h w -> b c h", {}), ("b (c d) h w -> b c d h w", {}), ("b c h w -> b c c h", {}),
    ("b c h w -> b c h w", {"c": 4}), ("b c h w -> b c h w", {"z": 2}), ("b c h w - b c h w", {}),
    ("b c h w -> b (c c2) h w", {"c2": 2}), ("b c ... h -> h b c", {}), ("b (c c2) h w -> b c c2 h w", {"c": 2}),
]


@pytest.mark.parametrize("pattern, lengths", _REARRANGE_CASES)
def test_rearrange_as_torch(pattern, lengths):
    _in_both(lambda lib: lib.func.rearrange(lib.arange(48).reshape(2, 4, 3, 2), pattern, **lengths))


def test_rearrange_stacks_a_list_of_tensors():
    _in_both(lambda lib: lib.func.rearrange([lib.ones(2, 3), lib.zeros(2, 3)], "n a b -> b (a n)"))
