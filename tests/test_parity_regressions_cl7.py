"""Memory formats, compared with PyTorch (strides, contiguity answers, values, gradients and errors):

* ``torchless.memory_format`` is a type of its own with the objects ``contiguous_format``, ``channels_last``,
  ``channels_last_3d`` and ``preserve_format`` (they were None placeholders): printed as PyTorch prints them,
  pickled and copied as themselves, not constructible;
* ``Tensor.contiguous`` / ``is_contiguous`` / ``clone`` / ``to`` / ``float`` (and the other casts) / ``cpu`` /
  ``resize_`` take ``memory_format``: a channels-last tensor is an NCHW array with NHWC memory, reporting
  PyTorch's strides (size-0 and size-1 dims included) and PyTorch's contiguity answers; ``to`` returns the
  tensor itself when its strides already suggest the format, as PyTorch; the rank errors ("required rank 4
  tensor to use channels_last format"), the type errors and the preserve_format refusals are PyTorch's;
* ``torch.empty(memory_format=)`` and the ``*_like`` factories (``empty_like``, ``zeros_like``, ``ones_like``,
  ``full_like``, ``rand_like``, ``randn_like``, ``randint_like``) lay their result out as PyTorch does, with
  preserve_format's rules (a dense input's strides are kept, even a transposed one's); the random ones fill it
  in memory order, and ``randn_like`` of a non-contiguous layout draws its normals one by one as PyTorch does,
  so the values match PyTorch's for the same seed;
* ``nn.Module.to(memory_format=)`` converts the 4-D (and 5-D) parameters and buffers;
* conv2d, conv_transpose2d, max/avg/adaptive pooling, group norm, padding and interpolation give a
  channels-last output for a channels-last input (or, for the convolutions, weight), as PyTorch's kernels;
  dropout draws its mask in the input's memory order; softmax / log_softmax give a contiguous output for any
  input layout; a leaf's ``.grad`` keeps the leaf's exact strides (size-1 dims' too);
* ``nn.utils.convert_conv2d_weight_memory_format`` converts the weights.
"""
import copy
import pickle

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

FORMATS = ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format")


def _outcome(fn):
    try:
        return fn()
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        return (type(error).__name__, str(error).replace("torchless.", "torch."))


def _layout(t, exact=True):
    """Everything about a tensor's layout a user can see; not ``exact``: the strides of size-1 dims left out
    (an elementwise NumPy op gives them its own values, where no layout depends on them)."""
    lib = _lib(t)
    answers = tuple(t.is_contiguous(memory_format=f) for f in
                    (lib.contiguous_format, lib.channels_last, lib.channels_last_3d))
    strides = t.stride() if exact else tuple(s if n != 1 else None for n, s in zip(t.shape, t.stride()))
    return tuple(t.shape), strides, answers, str(t.dtype).split(".")[-1]


def _lib(t):
    return torch if isinstance(t, torch.Tensor) else torchless


def _same(fn, values=True, exact=True, atol=1e-6):
    """``fn(lib)`` gives the same layouts (and values) or the same error in both libraries."""
    theirs, ours = _outcome(lambda: fn(torch)), _outcome(lambda: fn(torchless))
    if isinstance(theirs, tuple) and isinstance(theirs[0], str):
        assert ours == theirs
        return
    assert not (isinstance(ours, tuple) and isinstance(ours[0], str)), ours
    theirs = theirs if isinstance(theirs, (tuple, list)) else (theirs,)
    ours = ours if isinstance(ours, (tuple, list)) else (ours,)
    assert len(theirs) == len(ours)
    for a, b in zip(theirs, ours):
        if not isinstance(a, torch.Tensor):
            assert a == b
            continue
        assert _layout(b, exact) == _layout(a, exact)
        if values:
            np.testing.assert_allclose(b.detach().numpy().astype(np.float64),
                                       a.detach().numpy().astype(np.float64), rtol=1e-5, atol=atol)


def _data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


SHAPES = [(2, 3, 4, 5), (1, 3, 4, 5), (2, 1, 4, 5), (2, 3, 1, 1), (2, 3, 1, 5), (1, 1, 1, 1), (2, 1, 1, 1),
          (0, 3, 4, 5), (2, 0, 4, 5), (2, 3, 0, 5), (1, 3, 1, 4), (3, 1, 2, 1)]
VIEWS = {  # ways to reach an input layout, the same in both libraries
    "plain": lambda lib, t: t,
    "cl": lambda lib, t: t.contiguous(memory_format=lib.channels_last),
    "permuted": lambda lib, t: t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
    "sliced": lambda lib, t: t[:, :, ::2],
    "cl_sliced": lambda lib, t: t.contiguous(memory_format=lib.channels_last)[:, :1],
    "transposed": lambda lib, t: t.transpose(2, 3),
}


# ---------------------------------------------------------------------------- the format objects
@pytest.mark.parametrize("name", FORMATS)
def test_memory_format_objects(name):
    ours, theirs = getattr(torchless, name), getattr(torch, name)
    assert repr(ours) == repr(theirs).replace("torch.", "torchless.") == str(ours)
    assert type(ours) is torchless.memory_format and isinstance(ours, torchless.memory_format)
    assert type(ours).__name__ == type(theirs).__name__ == "memory_format"
    assert str(type(ours)) == str(type(theirs)).replace("torch.", "torchless.")
    assert pickle.loads(pickle.dumps(ours)) is ours
    assert copy.copy(ours) is ours and copy.deepcopy(ours) is ours
    assert ours == ours and hash(ours) == hash(getattr(torchless, name))
    assert (ours == torchless.channels_last) == (theirs == torch.channels_last)
    assert ours != name


def test_memory_format_cannot_be_created_or_ordered():
    for lib in (torch, torchless):
        with pytest.raises(TypeError, match=f"cannot create '{lib.__name__}.memory_format' instances"):
            lib.memory_format()
        with pytest.raises(TypeError):
            lib.channels_last < lib.contiguous_format  # noqa: B015


def test_formats_in_saved_state_round_trip(tmp_path):
    path = tmp_path / "formats.pt"
    torchless.save({"format": torchless.channels_last, "x": torchless.ones(2, 3, 4, 5)}, path)
    loaded = torchless.load(path, weights_only=False)
    assert loaded["format"] is torchless.channels_last


# ---------------------------------------------------------------------------- strides and contiguity
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("view", VIEWS)
def test_layouts_of_conversions_and_copies(shape, view):
    data = _data(shape)

    def source(lib):
        return VIEWS[view](lib, lib.tensor(data))

    _same(source)
    for name in FORMATS:
        _same(lambda lib: source(lib).contiguous(memory_format=getattr(lib, name)))
        _same(lambda lib: source(lib).clone(memory_format=getattr(lib, name)))
        _same(lambda lib: source(lib).to(memory_format=getattr(lib, name)))
        _same(lambda lib: source(lib).to(lib.float64, memory_format=getattr(lib, name)))
        _same(lambda lib: source(lib).double(memory_format=getattr(lib, name)))
        _same(lambda lib: source(lib).int(memory_format=getattr(lib, name)), values=False)
        for factory in ("empty_like", "zeros_like", "ones_like"):
            _same(lambda lib: getattr(lib, factory)(source(lib), memory_format=getattr(lib, name)),
                  values=factory != "empty_like")
        _same(lambda lib: lib.full_like(source(lib), 2.5, memory_format=getattr(lib, name)))
        _same(lambda lib: lib.empty(shape, memory_format=getattr(lib, name)), values=False)
    _same(lambda lib: lib.empty_like(source(lib)), values=False)
    _same(lambda lib: lib.zeros_like(source(lib), memory_format=None))
    _same(lambda lib: source(lib).clone())


@pytest.mark.parametrize("shape", [(2, 3, 4, 5, 6), (1, 3, 1, 1, 2), (2, 1, 3, 1, 4), (0, 2, 3, 4, 5)])
def test_channels_last_3d_layouts(shape):
    data = _data(shape)
    for name in FORMATS:
        _same(lambda lib: lib.tensor(data).contiguous(memory_format=getattr(lib, name)))
        _same(lambda lib: lib.tensor(data).to(memory_format=getattr(lib, name)).clone())
        _same(lambda lib: lib.empty(shape, memory_format=getattr(lib, name)), values=False)
        _same(lambda lib: lib.zeros_like(lib.tensor(data).to(memory_format=lib.channels_last_3d),
                                         memory_format=getattr(lib, name)))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (2, 3, 4, 5, 6, 1)])
def test_other_ranks_refuse_channels_last(shape):
    data = _data(shape)
    for name in FORMATS:
        _same(lambda lib: lib.tensor(data).contiguous(memory_format=getattr(lib, name)))
        _same(lambda lib: lib.tensor(data).to(memory_format=getattr(lib, name)))
        _same(lambda lib: lib.tensor(data).clone(memory_format=getattr(lib, name)))
        _same(lambda lib: lib.empty_like(lib.tensor(data), memory_format=getattr(lib, name)), values=False)
        _same(lambda lib: lib.empty(shape, memory_format=getattr(lib, name)), values=False)
        _same(lambda lib: [lib.tensor(data).is_contiguous(memory_format=getattr(lib, name))])


def test_to_returns_self_when_the_strides_suggest_the_format():
    for shape in SHAPES:
        for view in VIEWS:
            for name in FORMATS:
                def aliases(lib):
                    x = VIEWS[view](lib, lib.tensor(_data(shape)))
                    return [x.to(memory_format=getattr(lib, name)) is x,
                            x.contiguous(memory_format=getattr(lib, name)) is x
                            if name != "preserve_format" or x.is_contiguous() else None,
                            x.to(x.dtype, memory_format=getattr(lib, name)) is x,
                            x.to(memory_format=getattr(lib, name), copy=True) is x]

                _same(aliases)


def test_strides_of_views_of_channels_last_tensors():
    x = _data((2, 3, 4, 5))
    views = [lambda t: t[0], lambda t: t[:, :2], lambda t: t.transpose(1, 2), lambda t: t.permute(0, 2, 3, 1),
             lambda t: t.reshape(2, -1), lambda t: t.flatten(1), lambda t: t.detach(), lambda t: t.expand(2, 3, 4, 5),
             lambda t: t[:, :, 1:3], lambda t: t.unsqueeze(0), lambda t: t.sum(1), lambda t: t * 2, lambda t: t + 1,
             lambda t: -t, lambda t: t.exp(), lambda t: t.relu(), lambda t: t.clone().add_(1), lambda t: t.float()]
    for view in views:
        _same(lambda lib: view(lib.tensor(x).to(memory_format=lib.channels_last)))
    _same(lambda lib: [lib.tensor(x).to(memory_format=lib.channels_last).dim_order()])
    _same(lambda lib: [lib.tensor(x).to(memory_format=lib.channels_last).storage_offset()])
    _same(lambda lib: lib.tensor(x).to(memory_format=lib.channels_last).view(2, -1))


# ---------------------------------------------------------------------------- errors
BAD_VALUES = [1, None, "channels_last", 1.5, [1]]


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_bad_memory_format_types(value):
    x = _data((2, 3, 4, 5))
    _same(lambda lib: lib.tensor(x).contiguous(memory_format=value))
    _same(lambda lib: [lib.tensor(x).is_contiguous(memory_format=value)])
    _same(lambda lib: lib.tensor(x).clone(memory_format=value))
    _same(lambda lib: lib.tensor(x).to(memory_format=value))
    _same(lambda lib: lib.tensor(x).float(memory_format=value))
    _same(lambda lib: lib.zeros_like(lib.tensor(x), memory_format=value))
    _same(lambda lib: lib.empty(2, 3, 4, 5, memory_format=value), values=False)
    _same(lambda lib: lib.nn.Conv2d(3, 3, 3).to(memory_format=value).weight, values=False)


def test_bad_memory_format_types_of_other_kinds():
    x = _data((2, 3, 4, 5))
    _same(lambda lib: lib.tensor(x).contiguous(memory_format=lib.float32))
    _same(lambda lib: lib.tensor(x).contiguous(memory_format=lib.strided))
    _same(lambda lib: lib.tensor(x).contiguous(memory_format=lib.tensor(x)))
    _same(lambda lib: lib.tensor(x).contiguous(lib.channels_last))
    _same(lambda lib: [lib.tensor(x).is_contiguous(lib.channels_last)])
    _same(lambda lib: lib.tensor(x).clone(lib.channels_last))


def test_preserve_format_refusals():
    x = _data((2, 3, 4, 5))
    _same(lambda lib: lib.tensor(x).to(memory_format=lib.channels_last).contiguous(memory_format=lib.preserve_format))
    _same(lambda lib: lib.tensor(x)[:, :, ::2].contiguous(memory_format=lib.preserve_format))
    _same(lambda lib: lib.tensor(x).contiguous(memory_format=lib.preserve_format))
    _same(lambda lib: lib.empty(2, 3, 4, 5, memory_format=lib.preserve_format))
    _same(lambda lib: lib.tensor(x).resize_(2, 3, 4, 5, memory_format=lib.preserve_format))


# ---------------------------------------------------------------------------- resize_ and random factories
def test_resize_with_memory_format():
    x = np.arange(120, dtype=np.float32)
    _same(lambda lib: lib.tensor(x).reshape(2, 3, 4, 5).clone().resize_(2, 3, 4, 5, memory_format=lib.channels_last))
    _same(lambda lib: lib.tensor(x).reshape(2, 3, 4, 5).clone().resize_(2, 3, 4, 5,
                                                                       memory_format=lib.contiguous_format))
    _same(lambda lib: lib.tensor(x).reshape(2, 3, 4, 5).clone().resize_(2, 3, 4, memory_format=lib.channels_last))
    _same(lambda lib: lib.tensor(x).clone().resize_(1, 2, 3, 4, 5, memory_format=lib.channels_last_3d))
    _same(lambda lib: lib.zeros(2, 3, 4, 5).resize_as_(lib.zeros(2, 3, 4, 5),
                                                       memory_format=lib.channels_last))


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 3, 1, 1), (1, 1, 2, 2), (3, 4, 6, 7)])
@pytest.mark.parametrize("view", ["plain", "cl", "permuted", "sliced", "transposed"])
@pytest.mark.parametrize("name", FORMATS[:2] + FORMATS[3:])
def test_random_like_factories_fill_in_memory_order(shape, view, name):
    data = np.zeros(shape, np.float32)

    def draw(lib, factory, *args):
        lib.manual_seed(7)
        source = VIEWS[view](lib, lib.tensor(data))
        return getattr(lib, factory)(source, *args, memory_format=getattr(lib, name))

    _same(lambda lib: draw(lib, "rand_like"))
    _same(lambda lib: draw(lib, "randn_like"))
    _same(lambda lib: draw(lib, "randint_like", 10))
    _same(lambda lib: (draw(lib, "randn_like"), lib.randn(3)))  # the generator is left as PyTorch leaves it


def test_randn_like_of_a_transposed_matrix():
    for shape in [(3, 4), (5, 7), (16, 3), (1, 20)]:
        def draw(lib):
            lib.manual_seed(3)
            return lib.randn_like(lib.zeros(shape).t()), lib.randn(5)

        _same(draw)


# ---------------------------------------------------------------------------- modules
def test_module_to_converts_4d_parameters():
    def model(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.BatchNorm2d(4), lib.nn.Conv2d(4, 2, 1),
                                 lib.nn.Flatten(), lib.nn.Linear(8, 2))

    def converted(lib, *args):
        m = model(lib).to(*args, memory_format=lib.channels_last)
        return [t for t in list(m.parameters()) + list(m.buffers()) if t.is_floating_point()]

    _same(lambda lib: converted(lib))
    _same(lambda lib: converted(lib, lib.float64))
    _same(lambda lib: model(lib).to(memory_format=lib.contiguous_format).to(memory_format=lib.channels_last)[0].weight)
    _same(lambda lib: model(lib).to(memory_format=lib.channels_last_3d))
    _same(lambda lib: lib.nn.Conv3d(2, 2, 2).to(memory_format=lib.channels_last))
    _same(lambda lib: lib.nn.Conv3d(2, 2, 2).to(memory_format=lib.channels_last_3d).weight)
    _same(lambda lib: [lib.nn.Conv2d(2, 2, 2).to(memory_format=lib.channels_last).weight.is_leaf])


def test_convert_conv2d_weight_memory_format():
    def converted(lib, name):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.ReLU(), lib.nn.ConvTranspose2d(4, 2, 3),
                              lib.nn.Linear(3, 3))
        m = lib.nn.utils.convert_conv2d_weight_memory_format(m, getattr(lib, name))
        return [m[0].weight, m[2].weight, m[3].weight]

    _same(lambda lib: converted(lib, "channels_last"))
    _same(lambda lib: converted(lib, "contiguous_format"))


# ---------------------------------------------------------------------------- layers on channels-last inputs
def _cl(lib, array):
    return lib.tensor(array).to(memory_format=lib.channels_last).requires_grad_()


LAYERS = {
    "conv": lambda lib, x: lib.nn.functional.conv2d(x, lib.ones(4, 3, 3, 3) * 0.1, lib.ones(4)),
    "conv_strided": lambda lib, x: lib.nn.functional.conv2d(x, lib.ones(2, 3, 2, 2) * 0.1, stride=2, padding=1),
    "conv_1x1": lambda lib, x: lib.nn.functional.conv2d(x, lib.ones(5, 3, 1, 1) * 0.1),
    "conv_groups": lambda lib, x: lib.nn.functional.conv2d(x, lib.ones(3, 1, 3, 3) * 0.1, groups=3),
    "conv_transpose": lambda lib, x: lib.nn.functional.conv_transpose2d(x, lib.ones(3, 2, 3, 3) * 0.1),
    "max_pool": lambda lib, x: lib.nn.functional.max_pool2d(x, 2),
    "max_pool_overlapping": lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 1, 1),
    "max_pool_indices": lambda lib, x: lib.nn.functional.max_pool2d(x, 2, return_indices=True),
    "avg_pool": lambda lib, x: lib.nn.functional.avg_pool2d(x, 2),
    "avg_pool_padded": lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1),
    "adaptive_avg_1": lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 1),
    "adaptive_avg": lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 3),
    "adaptive_max": lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, 2, return_indices=True),
    "batch_norm": lambda lib, x: lib.nn.functional.batch_norm(x, lib.zeros(3), lib.ones(3), lib.ones(3) * 2,
                                                              lib.ones(3), training=True),
    "batch_norm_eval": lambda lib, x: lib.nn.functional.batch_norm(x, lib.zeros(3), lib.ones(3)),
    "group_norm": lambda lib, x: lib.nn.functional.group_norm(x, 3),
    "relu": lambda lib, x: lib.nn.functional.relu(x),
    "gelu": lambda lib, x: lib.nn.functional.gelu(x),
    "add": lambda lib, x: x + x * 2,
    "add_bias": lambda lib, x: x + lib.ones(3, 1, 1),
    "pad": lambda lib, x: lib.nn.functional.pad(x, (1, 2, 0, 1)),
    "pad_reflect": lambda lib, x: lib.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect"),
    "pad_circular": lambda lib, x: lib.nn.functional.pad(x, (1, 1, 1, 1), mode="circular"),
    "nearest": lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2),
    "bilinear": lambda lib, x: lib.nn.functional.interpolate(x, size=(5, 3), mode="bilinear"),
    "softmax": lambda lib, x: lib.nn.functional.softmax(x, 1),
    "log_softmax": lambda lib, x: lib.nn.functional.log_softmax(x, -1),
    "flatten": lambda lib, x: x.flatten(1),
    "cat": lambda lib, x: lib.cat([x, x], 1),
}


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("shape", [(2, 3, 6, 6), (1, 3, 4, 5), (2, 3, 1, 1)])
def test_layers_keep_channels_last(layer, shape):
    data = _data(shape, 1)
    if layer.startswith(("max_pool", "avg_pool", "adaptive_max", "pad_reflect", "bilinear")) and shape[2] < 2:
        pytest.skip("input too small for the layer")

    def run(lib):
        x = _cl(lib, data)
        out = LAYERS[layer](lib, x)
        first = out[0] if isinstance(out, tuple) else out
        (first * lib.arange(first.numel(), dtype=first.dtype).reshape(first.shape).sin()).sum().backward()
        return (*out, x.grad) if isinstance(out, tuple) else (out, x.grad)

    _same(run, exact=shape[2] > 1, atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 3, 6, 6), (2, 1, 5, 5), (2, 3, 1, 1)])
@pytest.mark.parametrize("which", ["input", "weight", "both"])
def test_convolution_layouts_follow_input_or_weight(shape, which):
    x, w = _data(shape, 2), _data((4, shape[1], 1, 1), 3)

    def run(lib):
        xs = lib.tensor(x) if which == "weight" else lib.tensor(x).to(memory_format=lib.channels_last)
        ws = lib.tensor(w) if which == "input" else lib.tensor(w).to(memory_format=lib.channels_last)
        xs.requires_grad_(), ws.requires_grad_()
        out = lib.nn.functional.conv2d(xs, ws)
        out.sum().backward()
        return out, ws.grad

    _same(run, exact=shape[2] > 1)


def test_dropout_mask_follows_memory_order():
    data = np.ones((2, 3, 4, 5), np.float32)
    for view in ("cl", "permuted", "transposed", "sliced"):
        def run(lib):
            lib.manual_seed(11)
            x = VIEWS[view](lib, lib.tensor(data))
            return lib.nn.functional.dropout(x, 0.4), lib.nn.functional.dropout2d(x, 0.5), lib.rand(3)

        _same(run)


def test_mixed_layout_leaf_gradients_keep_the_leaf_strides():
    def run(lib):
        x = lib.tensor(_data((2, 3, 1, 1))).to(memory_format=lib.channels_last).requires_grad_()
        w = lib.tensor(_data((2, 1, 4, 5))).to(memory_format=lib.channels_last).requires_grad_()
        (x * 3).sum().backward()
        (w.exp()).sum().backward()
        return x.grad, w.grad

    _same(run)


# ---------------------------------------------------------------------------- a training loop
def _cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Dropout(0.2),
                         nn.Conv2d(8, 6, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 4))


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_channels_last_training_matches_torch(optimizer):
    rng = np.random.default_rng(5)
    images = rng.standard_normal((6, 8, 3, 12, 12)).astype(np.float32)
    labels = rng.integers(0, 4, (6, 8))

    def train(lib):
        lib.manual_seed(0)
        model = _cnn(lib).to(memory_format=lib.channels_last)
        options = {"lr": 0.05, "momentum": 0.9} if optimizer == "SGD" else {"lr": 1e-2}
        opt = getattr(lib.optim, optimizer)(model.parameters(), **options)
        losses, layouts = [], []
        for batch, target in zip(images, labels):
            x = lib.tensor(batch).to(memory_format=lib.channels_last)
            opt.zero_grad()
            out = model(x)
            loss = lib.nn.functional.cross_entropy(out, lib.tensor(target))
            loss.backward()
            opt.step()
            losses.append(loss.item())
            layouts.append([p.grad.stride() for p in model.parameters()])
        with lib.no_grad():
            model.eval()
            features = model[:4](lib.tensor(images[0]).to(memory_format=lib.channels_last))
        return losses, layouts, [p.stride() for p in model.parameters()], features

    (theirs, their_layouts, their_strides, their_features) = train(torch)
    (ours, our_layouts, our_strides, our_features) = train(torchless)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert our_layouts == their_layouts and our_strides == their_strides
    assert _layout(our_features) == _layout(their_features)
    if optimizer == "SGD":  # (Adam scales the float32 noise in the ~0 gradients of the conv bias before the
        # batch norm up to full steps, channels-last or not: its parameters drift apart there)
        np.testing.assert_allclose(our_features.numpy(), their_features.numpy(), rtol=1e-4, atol=1e-5)


LAYERS_3D = {
    "conv3d": lambda lib, x: lib.nn.functional.conv3d(x, lib.ones(4, 3, 2, 2, 2) * 0.1),
    "max_pool3d": lambda lib, x: lib.nn.functional.max_pool3d(x, 2),
    "max_pool3d_indices": lambda lib, x: lib.nn.functional.max_pool3d(x, 2, return_indices=True),
    "avg_pool3d": lambda lib, x: lib.nn.functional.avg_pool3d(x, 2),
    "adaptive_avg3d": lambda lib, x: lib.nn.functional.adaptive_avg_pool3d(x, 2),
    "batch_norm3d": lambda lib, x: lib.nn.functional.batch_norm(x, lib.zeros(3), lib.ones(3), training=True),
    "trilinear": lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="trilinear"),
    "relu": lambda lib, x: lib.nn.functional.relu(x),
}


@pytest.mark.parametrize("layer", LAYERS_3D)
def test_layers_on_channels_last_3d(layer):
    data = _data((2, 3, 4, 4, 6), 4)

    def run(lib):
        x = lib.tensor(data).to(memory_format=lib.channels_last_3d).requires_grad_()
        out = LAYERS_3D[layer](lib, x)
        first = out[0] if isinstance(out, tuple) else out
        (first * first).sum().backward()
        return (*out, x.grad) if isinstance(out, tuple) else (out, x.grad)

    _same(run, atol=1e-5)


def test_graph_nodes_of_layout_changes():
    def nodes(lib):
        x = lib.tensor(_data((2, 3, 4, 5))).requires_grad_()
        cl = x.to(memory_format=lib.channels_last)
        return [t.grad_fn.name() for t in
                (cl, cl.contiguous(), x.contiguous(memory_format=lib.channels_last),
                 x.clone(memory_format=lib.channels_last), x.to(lib.float64, memory_format=lib.channels_last))]

    _same(nodes)

    def gradient(lib):
        x = lib.tensor(_data((2, 3, 4, 5))).requires_grad_()
        y = x.to(lib.float64, memory_format=lib.channels_last).contiguous(memory_format=lib.channels_last)
        (y * y.detach().cos()).sum().backward()
        return x.grad

    _same(gradient)
