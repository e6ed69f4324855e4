"""Session 36 (vmap36): PyTorch's "performance drop" warning for the ops its vmap runs by the fallback, the storage
of tensors owning memory in another order than C's (and vmap's views of them), convolutions and poolings under vmap
laid out as PyTorch's batching rules give them, and per-sample gradients of a small CNN."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import torchless

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FALLBACK = ("There is a performance drop because we have not yet implemented the batching rule for {}. Please file us "
            "an issue on GitHub so that we can prioritize its implementation. (Triggered internally at "
            "/__w/pytorch/pytorch/aten/src/ATen/functorch/BatchedFallback.cpp:82.)")


def _samples(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _run(lib, code):
    """``code`` run in a fresh interpreter with ``torch`` naming ``lib`` (warning registries and filters start
    anew), after two lines of imports; what it prints, read as JSON."""
    script = f"import {lib} as torch\nimport torch.nn.functional as F\n" if lib == "torch" else \
        "import torchless as torch\nimport torchless.nn.functional as F\n"
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    done = subprocess.run([sys.executable, "-c", script + textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- the fallback's warning
# An op PyTorch's vmap runs sample by sample, with the aten name its warning gives (its overload where named)
FALLBACK_OPS = {
    "take": ("lambda a: a.take(torch.tensor([0, 5]))", "aten::take"),
    "put": ("lambda a: a.put(torch.tensor([0, 5]), torch.ones(2))", "aten::put"),
    "put_": ("lambda a: a.clone().put_(torch.tensor([0, 5]), torch.ones(2))", "aten::put_"),
    "kl_div": ("lambda a: F.kl_div(a, a, reduction='sum')", "aten::kl_div"),
    "soft_margin_loss": ("lambda a: F.soft_margin_loss(a, torch.ones(4, 5))", "aten::soft_margin_loss"),
    "multi_margin_loss": ("lambda a: F.multi_margin_loss(a, torch.zeros(4, dtype=torch.long))",
                          "aten::multi_margin_loss"),
    "margin_ranking_loss": ("lambda a: F.margin_ranking_loss(a, a * 2, torch.ones(4, 5))",
                            "aten::margin_ranking_loss"),
    "triplet_margin_loss": ("lambda a: F.triplet_margin_loss(a, a * 2, a * 3)", "aten::triplet_margin_loss"),
    "pdist": ("lambda a: F.pdist(a)", "aten::pdist"),
    "quantile": ("lambda a: a.quantile(0.3)", "aten::quantile.scalar"),
    "quantile of a tensor q": ("lambda a: a.quantile(torch.tensor([0.3, 0.5]))", "aten::quantile"),
    "nanquantile": ("lambda a: a.nanquantile(0.3, -1)", "aten::nanquantile.scalar"),
    "renorm_": ("lambda a: a.clone().renorm_(2, 0, 1.)", "aten::renorm_"),
    "masked_scatter": ("lambda a: a.masked_scatter(a > 0, torch.ones(20))", "aten::masked_scatter"),
    "histc": ("lambda a: a.histc(4)", "aten::histc"),
    "diagflat": ("lambda a: a.diagflat()", "aten::diagflat"),
    "isclose": ("lambda a: torch.isclose(a, torch.ones(5))", "aten::isclose"),
    "bilinear": ("lambda a: F.bilinear(a, a, torch.ones(2, 5, 5))", "aten::bilinear"),
    "affine_grid": ("lambda a: F.affine_grid(a[:2, :3].unsqueeze(0), (1, 1, 2, 2), align_corners=False)",
                    "aten::affine_grid_generator"),
    "embedding_bag": ("lambda a: F.embedding_bag(torch.tensor([[0, 1]]), a)", "aten::embedding_bag.padding_idx"),
    "KLDivLoss": ("lambda a: torch.nn.KLDivLoss(reduction='sum')(a, a)", "aten::kl_div"),
}

_RECORDED = """
import json, warnings
x = torch.tensor([[[0.1 * (i + 2 * j - k) for k in range(5)] for j in range(4)] for i in range(3)])
found = {}
for name, func in FUNCS.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.func.vmap(func)(x)
    found[name] = [[str(w.message), w.category.__name__] for w in caught if "performance" in str(w.message)]
print(json.dumps(found))
"""


def _recorded(lib):
    funcs = "FUNCS = {" + ", ".join(f"{name!r}: {code}" for name, (code, _) in FALLBACK_OPS.items()) + "}\n"
    return _run(lib, funcs + _RECORDED)


def test_vmap_fallback_warning_once_per_batched_call_with_pytorchs_words():
    found = _recorded("torchless")
    for name, (_, op) in FALLBACK_OPS.items():
        assert found[name] == [[FALLBACK.format(op), "UserWarning"]], name


def test_vmap_fallback_warnings_match_pytorchs():
    pytest.importorskip("torch")
    assert _recorded("torchless") == _recorded("torch")


_WHERE = """
import json, warnings
i = torch.tensor([0, 1])
x = torch.ones(3, 4)
lines = []
def show(message, category, filename, lineno, file=None, line=None):
    lines.append([lineno if filename == "<string>" else filename.rsplit("/", 1)[-1], str(message)[:60]])
warnings.showwarning = show
f = lambda a: a.take(i)
for _ in range(2):
    torch.func.vmap(f)(x)
torch.func.vmap(lambda a: a.take(i))(x)
torch.func.vmap(lambda a: F.kl_div(a, a, reduction="sum"))(x)
torch.func.vmap(lambda a: F.kl_div(a, a, reduction="sum"))(x)
torch.take(x, i)
torch.func.vmap(lambda a: a.gather(0, i))(x)
with warnings.catch_warnings(record=True) as nested:
    warnings.simplefilter("always")
    torch.func.vmap(torch.func.vmap(lambda a: a.take(i)))(x.expand(2, 3, 4))
print(json.dumps([[entry[0] if isinstance(entry[0], int) else "library", entry[1]] for entry in lines]
                 + [len(nested)]))
"""


def test_vmap_fallback_warning_shown_once_per_calling_line_under_default_filters():
    # (the default filters show a warning once per line: the user's line calling the op, or, for an op PyTorch
    # calls from its Python wrapper, the wrapper's one line, whatever calls it)
    shown = _run("torchless", _WHERE)
    lines = textwrap.dedent(_WHERE).splitlines()
    calling = [2 + lines.index(line) + 1 for line in ("f = lambda a: a.take(i)",
                                                      "torch.func.vmap(lambda a: a.take(i))(x)")]
    message = FALLBACK.format("aten::take")[:60]
    assert shown == [[calling[0], message], [calling[1], message], ["library", FALLBACK.format("aten::kl_div")[:60]],
                     4]  # (nested: one for the inner call, one from each of its 3 samples the outer call runs)
    torch = pytest.importorskip("torch")
    assert torch is not None and _run("torch", _WHERE) == shown


# ---------------------------------------------------------------------------- storage of permuted owners
def _permuted_array():
    """A (2, 3, 3) array whose memory holds its dims 1, 0, 2 in that order (not C's, not Fortran's)."""
    return np.moveaxis(np.arange(18, dtype=np.float32).reshape(3, 2, 3), 0, 1)


def test_tensor_of_a_permuted_array_keeps_its_layout_and_storage_order():
    values = _permuted_array()
    tensor = torchless.tensor(values)
    assert tensor.stride() == (3, 6, 1)
    memory = np.arange(18, dtype=np.float32)  # (np.moveaxis made it from arange: its memory order)
    np.testing.assert_array_equal(np.frombuffer(bytes(tensor.untyped_storage()), np.float32), memory)
    assert [tensor.select(1, k).storage_offset() for k in range(3)] == [0, 6, 12]
    np.testing.assert_array_equal(tensor.as_strided((3, 2, 3), (1, 3, 6)).numpy(),
                                  np.lib.stride_tricks.as_strided(memory, (3, 2, 3), (4, 12, 24)))
    torch = pytest.importorskip("torch")
    wanted = torch.tensor(values)
    assert wanted.stride() == tensor.stride()
    np.testing.assert_array_equal(wanted.as_strided((3, 2, 3), (1, 3, 6)).numpy(),
                                  tensor.as_strided((3, 2, 3), (1, 3, 6)).numpy())


@pytest.mark.parametrize("name", ["identity", "dropout in eval", "view_as"])
def test_vmap_views_of_a_permuted_input_read_its_elements(name):
    func = {"identity": lambda lib, a: a, "dropout in eval": lambda lib, a: lib.nn.functional.dropout(a, 0.5, False),
            "view_as": lambda lib, a: a.view_as(a)}[name]
    values = np.moveaxis(_samples((3, 2, 3, 4)), 0, 1)  # (its memory in the order of the batch first)
    result = torchless.vmap(lambda a: func(torchless, a), in_dims=1)(torchless.tensor(values))
    np.testing.assert_array_equal(result.numpy(), np.stack([values[:, k] for k in range(3)]))
    torch = pytest.importorskip("torch")
    wanted = torch.vmap(lambda a: func(torch, a), in_dims=1)(torch.tensor(values))
    assert result.stride() == wanted.stride()


# ---------------------------------------------------------------------------- convolutions and poolings
def _layout(lib, values, kind):
    if kind == "transposed":
        return lib.tensor(np.ascontiguousarray(np.swapaxes(values, 0, -1))).transpose(0, -1)
    if kind == "channels last":  # (the samples' channels innermost in memory)
        axis = values.ndim - 3
        return lib.tensor(np.ascontiguousarray(np.moveaxis(values, axis, -1))).movedim(-1, axis)
    return lib.tensor(values)


def _loop(func, args, in_dims):
    """The reference: ``func`` on each sample (NumPy arrays in, a NumPy array out), stacked."""
    size = next(a.shape[d] for a, d in zip(args, in_dims) if d is not None)
    return np.stack([func(*[a if d is None else np.take(a, k, d) for a, d in zip(args, in_dims)])
                     for k in range(size)])


CONV_CASES = {
    # name: (function of (lib, x, w, b), x shape with the batch first, w shape, bias)
    "conv2d same size": (lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1), (3, 2, 3, 5, 6),
                         (3, 3, 3, 3)),
    "conv2d 1x1": (lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b), (3, 2, 3, 5, 6), (3, 3, 1, 1)),
    "conv2d strided": (lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, stride=2), (3, 2, 3, 5, 6),
                       (4, 3, 3, 3)),
    "conv2d unbatched sample": (lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1), (3, 3, 5, 6),
                                (3, 3, 3, 3)),
    "depthwise conv2d": (lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1, groups=3),
                         (3, 2, 3, 5, 6), (3, 1, 3, 3)),
    "grouped conv2d": (lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, groups=3), (3, 2, 6, 5, 6),
                       (6, 2, 3, 3)),
    "conv_transpose2d": (lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, padding=1),
                         (3, 2, 3, 5, 6), (3, 3, 3, 3)),
    "conv1d": (lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b, padding=1), (3, 2, 3, 5), (3, 3, 3)),
}


def _conv_reference(name, x, w, b):
    """The convolution of one sample in float64 from its definition (cross-correlation, zero padding)."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    unbatched = x.ndim == w.ndim - 1
    x = x[None] if unbatched else x
    if name == "conv_transpose2d":  # (a stride-1 transposed conv: the conv with the kernel flipped and swapped)
        w, pad = np.flip(w, (-2, -1)).swapaxes(0, 1), w.shape[-1] - 1 - 1
    else:
        pad = 1 if "same" in name or name in ("depthwise conv2d", "conv2d unbatched sample", "conv1d") else 0
    stride = 2 if "strided" in name else 1
    groups = {"depthwise conv2d": 3, "grouped conv2d": 3}.get(name, 1)
    spatial = x.ndim - 2
    x = np.pad(x, [(0, 0), (0, 0)] + [(pad, pad)] * spatial)
    kernel = w.shape[2:]
    out_size = [(x.shape[2 + d] - kernel[d]) // stride + 1 for d in range(spatial)]
    out = np.zeros((x.shape[0], w.shape[0], *out_size))
    per_group_in, per_group_out = x.shape[1] // groups, w.shape[0] // groups
    for o in range(w.shape[0]):
        g = o // per_group_out
        channels = x[:, g * per_group_in:(g + 1) * per_group_in]
        for position in np.ndindex(*out_size):
            window = channels[(slice(None), slice(None)) + tuple(
                slice(p * stride, p * stride + k) for p, k in zip(position, kernel))]
            out[(slice(None), o) + position] = (window * w[o]).reshape(x.shape[0], -1).sum(1)
    if b is not None:
        out += b.reshape((1, -1) + (1,) * spatial)
    return out[0] if unbatched else out


@pytest.mark.parametrize("kind", ["contiguous", "transposed", "channels last"])
@pytest.mark.parametrize("in_dims", [(0, None, None), (None, 0, None), (0, 0, None), (0, 0, 0), (0, None, 0)])
@pytest.mark.parametrize("name", sorted(CONV_CASES))
def test_vmap_convolutions_laid_out_as_pytorchs_batching_rule(name, in_dims, kind):
    func, x_shape, w_shape = CONV_CASES[name]
    if name == "conv_transpose2d" and in_dims[1] is not None:
        w_shape = (w_shape[1], w_shape[0]) + w_shape[2:]
    x = _samples(x_shape, 1) if in_dims[0] is not None else _samples(x_shape[1:], 1)
    w = _samples((3,) + w_shape, 2) if in_dims[1] is not None else _samples(w_shape, 2)
    out_channels = w_shape[1] if name == "conv_transpose2d" else w_shape[0]
    b = _samples((3, out_channels), 3) if in_dims[2] is not None else _samples(out_channels, 3)

    def run(lib):
        return lib.vmap(lambda p, q, r: func(lib, p, q, r), in_dims=in_dims)(_layout(lib, x, kind), lib.tensor(w),
                                                                          lib.tensor(b))

    result = run(torchless)
    expected = _loop(lambda p, q, r: _conv_reference(name, p, q, r), (x, w, b), in_dims)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-4, atol=1e-4)
    torch = pytest.importorskip("torch")
    wanted = run(torch)
    assert (tuple(result.shape), result.stride()) == (tuple(wanted.shape), wanted.stride())


def _max_of_3x3_windows(s):
    """The maxima of the 3x3 windows around each element (stride 1, padded by 1) of the last two dims of ``s``."""
    padded = np.pad(s, [(0, 0)] * (s.ndim - 2) + [(1, 1)] * 2, constant_values=-np.inf)
    return np.max([padded[..., i:i + s.shape[-2], j:j + s.shape[-1]] for i in range(3) for j in range(3)], 0)


POOLS = {
    "max_pool2d 3x3 stride 1": (lambda F, a: F.max_pool2d(a, 3, 1, 1), _max_of_3x3_windows),
    "max_pool2d 1x1": (lambda F, a: F.max_pool2d(a, 1), lambda s: s),
    "avg_pool2d 1x1": (lambda F, a: F.avg_pool2d(a, 1), lambda s: s),
    "adaptive_avg_pool2d same size": (lambda F, a: F.adaptive_avg_pool2d(a, a.shape[-2:]), lambda s: s),
    "max_pool2d 2x2": (lambda F, a: F.max_pool2d(a, 2),
                       lambda s: s[..., :4, :6].reshape(s.shape[:-2] + (2, 2, 3, 2)).max((-3, -1))),
}


@pytest.mark.parametrize("kind", ["contiguous", "transposed", "channels last"])
@pytest.mark.parametrize("in_dims", [0, 1])
@pytest.mark.parametrize("name", sorted(POOLS))
def test_vmap_poolings_laid_out_as_pytorchs_batching_rule(name, in_dims, kind):
    func, reference = POOLS[name]
    values = np.moveaxis(_samples((3, 2, 3, 5, 6)), 0, in_dims)

    def run(lib):
        return lib.vmap(lambda a: func(lib.nn.functional, a), in_dims=in_dims)(_layout(lib, values, kind))

    result = run(torchless)
    np.testing.assert_allclose(result.numpy(), _loop(reference, (values,), (in_dims,)), rtol=1e-6)
    torch = pytest.importorskip("torch")
    wanted = run(torch)
    assert (tuple(result.shape), result.stride()) == (tuple(wanted.shape), wanted.stride())


# ---------------------------------------------------------------------------- per-sample gradients
def _cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(),
                         nn.Flatten(), nn.Linear(6 * 5 * 5, 10))


def _cnn_state():
    shapes = {"0.weight": (4, 1, 3, 3), "0.bias": (4,), "3.weight": (6, 4, 3, 3), "3.bias": (6,),
              "6.weight": (10, 150), "6.bias": (10,)}
    return {name: 0.3 * _samples(shape, seed) for seed, (name, shape) in enumerate(shapes.items())}


def _per_sample_grads(lib, images, labels, chunk_size=None):
    """The torch.func tutorial's per-sample gradients: vmap of grad of the loss of one sample, the module's
    parameters passed by functional_call."""
    model = _cnn(lib)
    params = {name: lib.tensor(value) for name, value in _cnn_state().items()}

    def loss(p, x, y):
        out = lib.func.functional_call(model, p, (x.unsqueeze(0),))
        return lib.nn.functional.cross_entropy(out, y.unsqueeze(0))

    return lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0), chunk_size=chunk_size)(
        params, lib.tensor(images), lib.tensor(labels))


@pytest.mark.parametrize("chunk_size", [None, 3])
def test_per_sample_gradients_of_a_cnn(chunk_size):
    images, labels = _samples((5, 1, 12, 12)), np.array([3, 0, 9, 3, 7])
    grads = _per_sample_grads(torchless, images, labels, chunk_size)
    model = _cnn(torchless)
    model.load_state_dict({name: torchless.tensor(value) for name, value in _cnn_state().items()})
    for k in range(len(images)):  # (the reference: each sample's loss differentiated by backward)
        model.zero_grad()
        torchless.nn.functional.cross_entropy(model(torchless.tensor(images[k:k + 1])),
                                              torchless.tensor(labels[k:k + 1])).backward()
        for name, parameter in model.named_parameters():
            np.testing.assert_allclose(grads[name][k].numpy(), parameter.grad.numpy(), rtol=1e-5, atol=1e-7)
    torch = pytest.importorskip("torch")
    wanted = _per_sample_grads(torch, images, labels, chunk_size)
    for name, value in wanted.items():
        assert (tuple(grads[name].shape), grads[name].stride()) == (tuple(value.shape), value.stride())
        np.testing.assert_allclose(grads[name].numpy(), value.numpy(), rtol=1e-4, atol=1e-6)


def test_per_sample_gradient_of_the_last_layer_by_hand():
    # (independent of any autograd: for cross-entropy the gradient of the last layer's bias is softmax - one-hot)
    images, labels = _samples((4, 1, 12, 12)), np.array([1, 2, 3, 4])
    grads = _per_sample_grads(torchless, images, labels)
    state = _cnn_state()
    for k in range(4):
        x = images[k:k + 1].astype(np.float64)
        for conv, pool in (("0", True), ("3", False)):
            w, b = state[f"{conv}.weight"].astype(np.float64), state[f"{conv}.bias"].astype(np.float64)
            x = np.maximum(_conv_reference("conv2d" if conv == "0" else "conv2d same size", x, w, b), 0)
            if pool:
                x = x.reshape(1, 4, 5, 2, 5, 2).max((3, 5))
        logits = x.reshape(-1) @ state["6.weight"].T.astype(np.float64) + state["6.bias"]
        probabilities = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        probabilities[labels[k]] -= 1
        np.testing.assert_allclose(grads["6.bias"][k].numpy(), probabilities, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------- dropout's randomness modes
@pytest.mark.parametrize("name", ["dropout", "dropout2d"])
def test_vmap_dropout_randomness_modes(name):
    func = getattr(torchless.nn.functional, name)
    values = np.abs(_samples((4, 2, 3, 5, 6))) + 1  # (no zero: the dropped elements are the zeros)
    x = torchless.tensor(values)
    with pytest.raises(RuntimeError) as refused:
        torchless.vmap(lambda a: func(a, 0.5))(x)
    same = torchless.vmap(lambda a: func(a, 0.5), randomness="same")(x).numpy()
    different = torchless.vmap(lambda a: func(a, 0.5), randomness="different")(x).numpy()
    for result in (same, different):  # (kept elements scaled by 1 / (1 - p))
        kept = result != 0
        np.testing.assert_allclose(result[kept], 2 * values[kept], rtol=1e-6)
    assert all(np.array_equal(same[0] == 0, same[k] == 0) for k in range(4))
    assert not all(np.array_equal(different[0] == 0, different[k] == 0) for k in range(4))
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as wanted:
        torch.vmap(lambda a: getattr(torch.nn.functional, name)(a, 0.5))(torch.tensor(values))
    assert str(refused.value) == str(wanted.value)


# ---------------------------------------------------------------------------- errors in PyTorch's rules' words
INDEX_SELECT_CASES = [  # (the whole input's shape, nested, dim, index, the physical dim named, its size)
    ((3, 4, 2), False, 1, [2, 0], 2, 2),
    ((3, 4, 2), False, 1, [-1, 0], 2, 2),  # (negative indices are out of range too)
    ((3, 4), False, 0, [4], 1, 4),
    ((3,), False, 0, [1], 1, 1),
    ((3, 4, 2), False, 1, [1, 5, 7], 2, 2),
    ((3, 5, 4, 2), True, 1, [2, 0], 3, 2),
    ((3, 5, 4, 2), True, 0, [7], 2, 4),
]


@pytest.mark.parametrize("shape, nested, dim, index, physical_dim, size", INDEX_SELECT_CASES)
def test_vmap_index_select_out_of_range_named_by_its_physical_dim(shape, nested, dim, index, physical_dim, size):
    def run(lib):
        func = lib.vmap(lambda a: a.index_select(dim, lib.tensor(index)))
        with pytest.raises(RuntimeError) as error:
            (lib.vmap(func) if nested else func)(lib.tensor(_samples(shape)))
        return str(error.value)

    bad = next(i for i in index if not 0 <= i < size)
    assert run(torchless) == f"index {bad} is out of bounds for dimension {physical_dim} with size {size}"
    torch = pytest.importorskip("torch")
    assert run(torch) == run(torchless)


def test_vmap_index_select_in_range_unchanged():
    values = _samples((3, 4, 2))
    result = torchless.vmap(lambda a: a.index_select(0, torchless.tensor([3, 0])))(torchless.tensor(values))
    np.testing.assert_array_equal(result.numpy(), values[:, [3, 0]])


MATMUL_CASES = {  # name: (function of (lib, a, w), the whole input's shape, in_dims of the input)
    "linear of matrices": (lambda lib, a, w: lib.nn.functional.linear(a, w), (3, 2, 18), 0),
    "linear of vectors": (lambda lib, a, w: lib.nn.functional.linear(a, w), (3, 18), 0),
    "linear of 3-d samples": (lambda lib, a, w: lib.nn.functional.linear(a, w), (3, 2, 4, 18), 0),
    "linear, batch inside": (lambda lib, a, w: lib.nn.functional.linear(a, w), (2, 3, 18), 1),
    "linear of 3-d samples, batch inside": (lambda lib, a, w: lib.nn.functional.linear(a, w), (2, 3, 4, 18), 1),
    "linear of 3-d samples folding to a view": (lambda lib, a, w: lib.nn.functional.linear(a, w), (2, 4, 3, 18), 2),
    "linear with a bias": (lambda lib, a, w: lib.nn.functional.linear(a, w, lib.ones(5)), (3, 2, 18), 0),
    "matmul": (lambda lib, a, w: a @ w.t(), (3, 2, 18), 0),
    "matmul, batch inside": (lambda lib, a, w: a @ w.t(), (2, 3, 18), 1),
    "pooled and flattened": (lambda lib, a, w: lib.nn.functional.linear(
        lib.nn.functional.max_pool2d(a, 2).flatten(1), w), (3, 2, 3, 5, 6), 0),
}
MATMUL_ERRORS = {
    "linear of matrices": "mat1 and mat2 shapes cannot be multiplied (6x18 and 6x5)",
    "linear of vectors": "mat1 and mat2 shapes cannot be multiplied (3x18 and 6x5)",
    "linear of 3-d samples": "mat1 and mat2 shapes cannot be multiplied (24x18 and 6x5)",
    "linear, batch inside": "Expected size for first two dimensions of batch2 tensor to be: [3, 18] but got: [3, 6].",
    "linear of 3-d samples, batch inside": "Expected size for first two dimensions of batch2 tensor to be: [6, 18] "
                                           "but got: [6, 6].",
    "linear of 3-d samples folding to a view": "Expected size for first two dimensions of batch2 tensor to be: "
                                               "[3, 18] but got: [3, 6].",
    "linear with a bias": "mat1 and mat2 shapes cannot be multiplied (6x18 and 6x5)",
    "matmul": "mat1 and mat2 shapes cannot be multiplied (6x18 and 6x5)",
    "matmul, batch inside": "Expected size for first two dimensions of batch2 tensor to be: [3, 18] but got: [3, 6].",
    "pooled and flattened": "mat1 and mat2 shapes cannot be multiplied (6x18 and 6x5)",
}


@pytest.mark.parametrize("name", sorted(MATMUL_CASES))
def test_vmap_mismatched_product_refused_in_pytorchs_words(name):
    func, shape, in_dims = MATMUL_CASES[name]

    def run(lib):
        weight = lib.ones(5, 6)
        with pytest.raises(RuntimeError) as error:
            lib.vmap(lambda a: func(lib, a, weight), in_dims=in_dims)(lib.tensor(_samples(shape)))
        return str(error.value)

    assert run(torchless) == MATMUL_ERRORS[name]
    torch = pytest.importorskip("torch")
    assert run(torch) == MATMUL_ERRORS[name]


@pytest.mark.parametrize("in_dims", [0, 1, -1])
def test_vmap_kron_of_transposed_samples_runs_as_pytorchs_rule(in_dims):
    # (a transposed sample's product cannot be viewed as the result, which kron refuses outside vmap; PyTorch's
    # rule for its views copies the physical tensor instead)
    values = _samples((3, 4, 5))
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torchless.kron(torchless.tensor(values[0]).t(), torchless.ones(2, 1))

    def run(lib):
        whole = lib.tensor(np.ascontiguousarray(values.transpose())).permute(2, 1, 0)
        return lib.vmap(lambda a: lib.kron(a, lib.ones(2, 1)), in_dims=in_dims)(whole)

    result = run(torchless)
    np.testing.assert_array_equal(result.numpy(), _loop(lambda a: np.kron(a, np.ones((2, 1), np.float32)),
                                                        (values,), (in_dims,)))
    torch = pytest.importorskip("torch")
    wanted = run(torch)
    assert (tuple(result.shape), result.stride()) == (tuple(wanted.shape), wanted.stride())


@pytest.mark.parametrize("in_dims", [0, 1, 2])
@pytest.mark.parametrize("given_p", [False, True])
def test_vmap_bernoulli_draws_laid_out_batch_first(given_p, in_dims):
    def run(lib):
        whole = lib.tensor(np.full((3, 4, 5), 0.5, np.float32)).permute(2, 1, 0)  # (transposed samples)
        draw = (lambda a: lib.bernoulli(a, 0.3)) if given_p else (lambda a: a.bernoulli())
        return lib.vmap(draw, in_dims=in_dims, randomness="different")(whole)

    result = run(torchless)
    assert set(np.unique(result.numpy())) <= {0.0, 1.0}
    shape = tuple(result.shape)
    assert result.stride() == (shape[1] * shape[2], shape[2], 1)  # (a new C-contiguous tensor, the batch in front)
    torch = pytest.importorskip("torch")
    assert run(torch).stride() == result.stride()
