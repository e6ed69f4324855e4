"""Parity of the calls whose argument handling took a faster path in session 31 (overhead31): sizes given as one
sequence (view / reshape / expand / expand_as / permute / repeat), flip's dims as separate ints, clamp by Python
numbers on floating tensors, and vector norms of every order. Each is compared with torch."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(lib, call):
    """What ``call(lib)`` gives: its values, dtype, shape and strides, or its exception's type and first line (the
    library's name left out)."""
    try:
        result = call(lib)
    except Exception as error:  # noqa: BLE001 - the exception itself is compared
        return type(error).__name__, str(error).split("\n")[0].replace("torchless", "torch")
    node = type(result.grad_fn).__name__ if result.grad_fn else None
    return (str(result.dtype).split(".")[-1], tuple(result.shape), result.stride(),
            result.detach().numpy().astype(np.float64).tolist(), node)


def _arange(lib):
    return lib.arange(24.0).reshape(2, 3, 4)


_SIZE_CALLS = {
    "view tuple": lambda lib: _arange(lib).view((4, 6)),
    "view list with -1": lambda lib: _arange(lib).view([4, -1]),
    "view Size": lambda lib: _arange(lib).view(lib.Size([24])),
    "view empty tuple": lambda lib: lib.ones(1).view(()),
    "view tuple with bool": lambda lib: _arange(lib).view((True, 24)),
    "view nested tuple": lambda lib: _arange(lib).view(((4, 6),)),
    "view two tuples": lambda lib: _arange(lib).view((4, 6), (1,)),
    "view bad size": lambda lib: _arange(lib).view((5, 5)),
    "view tuple with tensor": lambda lib: _arange(lib).view((lib.tensor(4), 6)),
    "view tuple with numpy int": lambda lib: _arange(lib).view((np.int64(4), 6)),
    "reshape other's shape": lambda lib: _arange(lib).reshape(lib.ones(6, 4).shape),
    "reshape empty list": lambda lib: lib.ones(1, 1).reshape([]),
    "reshape two -1": lambda lib: _arange(lib).reshape([-1, -1]),
    "reshape -2": lambda lib: _arange(lib).reshape((-2, 12)),
    "expand_as": lambda lib: lib.ones(3, 1, requires_grad=True).expand_as(lib.ones(2, 3, 4)),
    "expand_as mismatch": lambda lib: lib.ones(3, 2).expand_as(lib.ones(2, 3, 4)),
    "expand_as fewer dims": lambda lib: lib.ones(2, 3, 1).expand_as(lib.ones(3, 4)),
    "expand tuple with -1": lambda lib: lib.ones(3, 1).expand([-1, 4]),
    "expand leading -1": lambda lib: lib.ones(3, 1).expand((-1, 3, 4)),
    "expand negative": lambda lib: lib.ones(3, 1).expand((3, -2)),
    "permute tuple": lambda lib: _arange(lib).permute((2, 0, 1)),
    "permute list with negative": lambda lib: _arange(lib).permute([2, 0, -2]),
    "permute repeated": lambda lib: _arange(lib).permute((0, 0, 1)),
    "permute too few": lambda lib: _arange(lib).permute((0, 1)),
    "repeat list": lambda lib: _arange(lib).repeat([2, 1, 1, 1]),
    "repeat negative": lambda lib: _arange(lib).repeat((1, -1, 1)),
    "new_zeros tuple": lambda lib: _arange(lib).new_zeros((2, 3)),
}

_FLIP_CALLS = {
    "one int": lambda lib: _arange(lib).flip(1),
    "ints": lambda lib: _arange(lib).flip(-1, 0),
    "ints, one repeated": lambda lib: _arange(lib).flip(1, 1),
    "int out of range": lambda lib: _arange(lib).flip(3),
    "no dims": lambda lib: _arange(lib).flip(),
    "bool": lambda lib: _arange(lib).flip(True),
    "float": lambda lib: _arange(lib).flip(1.0),
    "numpy int": lambda lib: _arange(lib).flip(np.int64(1)),
    "tuple": lambda lib: _arange(lib).flip((0, 2)),
    "keyword": lambda lib: _arange(lib).flip(dims=[1]),
    "of a grad tensor": lambda lib: _arange(lib).requires_grad_().flip(2),
    "transposed": lambda lib: _arange(lib).transpose(0, 2).flip(0, 1),
    "channels_last": lambda lib: lib.arange(48.0).reshape(2, 3, 2, 4).contiguous(
        memory_format=lib.channels_last).flip(1, 3),
    "size-1 dims": lambda lib: lib.arange(6.0).reshape(1, 3, 1, 2).flip(0, 1, 2),
    "size-1 dims' strides": lambda lib: lib.arange(6.0).reshape(3, 2, 1).transpose(1, 2).flip(0),
    "expanded": lambda lib: lib.arange(4.0).expand(3, 4).flip(1),
    "empty": lambda lib: lib.ones(0, 3).flip(1),
}


@pytest.mark.parametrize("name", list(_SIZE_CALLS) + [f"flip {name}" for name in _FLIP_CALLS])
def test_sizes_and_dims_as_pytorch_reads_them(name):
    call = _SIZE_CALLS.get(name) or _FLIP_CALLS[name.removeprefix("flip ")]
    assert _outcome(torchless, call) == _outcome(torch, call)


_DTYPES = ["float16", "float32", "float64", "int32", "uint8", "bool"]
_BOUNDS = [(-1, 1), (-0.5, 0.5), (None, 2), (0, None), (2 ** 70, None), (1e40, None), (-1, 1e300), (True, None),
           (np.float64(0.5), None), (-1.5, 2 ** 63), (float("inf"), None)]


@pytest.mark.parametrize("dtype", _DTYPES)
@pytest.mark.parametrize("low, high", _BOUNDS)
def test_clamp_by_numbers(dtype, low, high):
    def clamped(lib):
        x = lib.tensor([[-2.0, -0.5, 0.0, 0.7, 3.0]]).to(getattr(lib, dtype))
        if dtype.startswith("float"):
            x.requires_grad_(True)
        return x.clamp(low, high) if high is not None else x.clamp_min(low)

    assert _outcome(torchless, clamped) == _outcome(torch, clamped)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 0, float("inf"), -float("inf")])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_norm_and_its_gradient_of_every_order(p, dtype):
    values = np.array([[3.0, -4.0, 0.0], [1.0, 2.0, -2.0]])
    results = []
    for lib in (torchless, torch):
        x = lib.tensor(values).to(getattr(lib, dtype)).requires_grad_()
        norm = x.norm(p, dim=1)
        norm.sum().backward()
        gradient = None if x.grad is None else x.grad.double().numpy()  # (none of the 0-norm, in PyTorch too)
        results.append((norm.detach().double().numpy(), gradient, type(norm.grad_fn).__name__))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-3 if dtype == "float16" else 1e-6)
    assert (results[0][1] is None) == (results[1][1] is None)
    if results[1][1] is not None:
        np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-3 if dtype == "float16" else 1e-6)
    assert results[0][2] == results[1][2]


@pytest.mark.parametrize("p", [2, 1, 3, float("inf")])
def test_normalize_and_cosine_similarity(p):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 5, 7))
    a[1] = 0  # a zero row: eps bounds its norm
    outcomes = []
    for lib in (torchless, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        unit = lib.nn.functional.normalize(x, p=p)
        similarity = lib.nn.functional.cosine_similarity(x, y)
        (unit.sum() + similarity.sum()).backward()
        outcomes.append([t.detach().numpy() for t in (unit, similarity, x.grad, y.grad)])
    for mine, theirs in zip(*outcomes):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dims", [(0,), (1, 3), (-1,), (0, 1, 2, 3)])
def test_flip_gradient(dims):
    values = np.arange(48.0).reshape(2, 3, 2, 4)
    weights = np.random.default_rng(3).standard_normal((2, 3, 2, 4))
    gradients = []
    for lib in (torchless, torch):
        x = lib.tensor(values, requires_grad=True)
        (x.flip(*dims) * lib.tensor(weights)).sum().backward()
        gradients.append((x.grad.numpy(), x.grad.stride()))
    np.testing.assert_array_equal(gradients[0][0], gradients[1][0])
    assert gradients[0][1] == gradients[1][1]


@pytest.mark.parametrize("shapes, dim", [([(2, 3), (4, 3), (1, 3)], 0), ([(2, 3), (2, 0), (2, 5)], 1), ([(2, 3)], -1),
                                         ([(2, 1, 3), (2, 2, 3)], -2)])
def test_cat_gradient_and_its_graph(shapes, dim):
    rng = np.random.default_rng(4)
    values = [rng.standard_normal(shape) for shape in shapes]
    weights = rng.standard_normal(np.concatenate(values, dim).shape)
    outcomes = []
    for lib in (torchless, torch):
        inputs = [lib.tensor(v, requires_grad=True) for v in values]
        scale = lib.tensor(weights, requires_grad=True)
        out = lib.cat(inputs, dim)
        grads = lib.autograd.grad((out * scale).sum(), inputs, create_graph=True)  # (its backward as a graph too)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), scale)[0]
        outcomes.append([g.detach().numpy() for g in grads] + [second.numpy(), out.detach().numpy()])
    for mine, theirs in zip(*outcomes):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
