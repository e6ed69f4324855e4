"""Differences from PyTorch found by a thirteenth differential fuzz audit (convolution, pooling, padding, resampling,
fold, pixel shuffle, flatten), each compared with torch.

* max_pool1d with indices takes a NumPy integer stride (it was compared with an empty list);
* fractional max pooling refuses ``_random_samples`` that require grad (autograd's check, before the kernel's) and
  does not dispatch on the dtype for an empty output;
* reshape names its node as PyTorch's reshape does (ReshapeAliasBackward0 for a non-contiguous input it can view,
  UnsafeViewBackward0 only for a copy) and flatten (so nn.Flatten) is that reshape;
* gradients under create_graph=True of average pooling (adaptive too, and so area interpolation) and of
  reflection/replication padding read the input as PyTorch's backward ops do (derivative zero there): they require
  grad and backward reaches the input with zeros; 1-D max/avg pooling's gradient ends in SqueezeBackward1;
* pixel_shuffle refuses an upscale factor whose square overflows int64, fold a kernel whose product does;
* interpolate with a non-string mode (a list) raises PyTorch's NotImplementedError, and the upsample functions'
  invalid-combination message shows a 1-tuple as ``(int,)``;
* convolution layouts: a float32 volume convolved by PyTorch's slow 3-D kernels (a batch of one, one group, a small
  kernel and input: no oneDNN) has a contiguous output for a channels-last input or weight; padding='same' that
  pads more after than before keeps a channels-last input's layout through its padded copy;
* adaptive average pooling to one cell of a channels-last input ends in PyTorch's as_strided_ (AsStridedBackward1);
* ConvTranspose*d.forward checks padding_mode and a tuple padding again, as PyTorch's (set after construction);
* a resampling's gradient under create_graph=True is PyTorch's one backward op (UpsampleBilinear2DBackwardBackward0,
  listing the gradient alone), unfold's is col2im (Col2ImBackward0) and fold's im2col; both show their saved
  arguments;
* saved values shown as PyTorch's nodes show them: pixel (un)shuffle's factor, channel_shuffle's groups,
  fractional max pooling's kernel, output size, indices and input (which it saves: an in-place change of it fails
  backward), max unpooling's indices, avg_pool3d's stride as given (() when omitted);
* a complex bias on a real transposed convolution fails with PyTorch's message (it raised KeyError), naming the
  promoted result type; complex tensor types are named CPUComplexFloatType; max_pool3d refuses complex input;
* Tensor.unflatten (so nn.Unflatten) refuses empty sizes before it reads dim, as PyTorch's Python method does,
  while torch.unflatten parses dim first;
* under create_graph=True unsqueeze's gradient is grad.squeeze(dim) (SqueezeBackward1), and a squeeze that removed
  no dim passes the gradient itself, as PyTorch's formulas (1-D and unbatched layers run through both);
* the second derivative of an antialiased resampling is the forward resampling (its weights), not the adjoint of
  the backward's.
"""
import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_outcome, outcome

torch = pytest.importorskip("torch")


def _same_message(fn):
    expected, actual = outcome(lambda: fn(torch)), outcome(lambda: fn(torchless))
    assert isinstance(expected, Raised), expected
    assert actual == (expected.type, expected.message.replace("torch.", "torchless.")), actual


# ---------------------------------------------------------------------------- argument forms
@pytest.mark.parametrize("stride", [np.int64(2), np.int32(3), (np.int64(2),), [], ()])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool1d_with_indices_takes_numpy_integer_strides(stride, ceil_mode):
    data = np.random.default_rng(0).standard_normal((2, 3, 7)).astype(np.float32)
    assert_same_outcome(lambda lib: lib.nn.functional.max_pool1d(lib.tensor(data), 2, stride, ceil_mode=ceil_mode,
                                                                 return_indices=True))


# ---------------------------------------------------------------------------- fractional max pooling
@pytest.mark.parametrize("spatial", [2, 3])
def test_fractional_max_pool_refuses_random_samples_requiring_grad(spatial):
    def call(lib, grad_mode=True):
        samples = lib.full((1, 1, spatial), 0.5, requires_grad=True)
        fn = getattr(lib.nn.functional, f"fractional_max_pool{spatial}d")
        with lib.set_grad_enabled(grad_mode):
            # an input too small for the kernel: autograd's check comes first
            return fn(lib.ones((1, 1) + (3,) * spatial), 3, output_size=2, _random_samples=samples)

    _same_message(call)
    _same_message(lambda lib: call(lib, grad_mode=False))  # without grad mode, the kernel's own error


@pytest.mark.parametrize("spatial", [2, 3])
@pytest.mark.parametrize("dtype", ["bool", "int64"])
@pytest.mark.parametrize("batch", [0, 1])
def test_fractional_max_pool_checks_dtype_only_for_a_nonempty_output(spatial, dtype, batch):
    def call(lib):
        fn = getattr(lib.nn.functional, f"fractional_max_pool{spatial}d")
        samples = lib.ones((max(batch, 1), 1, spatial), dtype=getattr(lib, dtype))
        return fn(lib.ones((batch, 1) + (5,) * spatial, dtype=getattr(lib, dtype)), 1, output_size=3,
                  _random_samples=samples)

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- reshape / flatten nodes
@pytest.mark.parametrize("shape, perm, start, end", [
    ((1, 3, 1, 3), (3, 1, 2, 0), 0, -1),  # a channels-last like layout flattened whole: a copy
    ((2, 3), (1, 0), 0, -1),
    ((1, 2, 3), (2, 1, 0), 1, 2),  # mergeable as a view of a non-contiguous tensor
    ((3, 1, 2, 3, 1), (3, 1, 4, 0, 2), -3, -2),
    ((2, 3, 4), (0, 1, 2), 1, 2),  # contiguous
    ((2, 3, 4), (0, 2, 1), 0, 1),
])
def test_flatten_and_reshape_name_their_nodes_as_pytorch(shape, perm, start, end):
    def nodes(lib):
        x = lib.ones(*shape, requires_grad=True).permute(*perm)
        flat = x.flatten(start, end)
        module = lib.nn.Flatten(start, end)(x)
        return flat.grad_fn.name(), module.grad_fn.name(), x.reshape(flat.shape).grad_fn.name(), \
            x.reshape(-1).grad_fn.name()

    assert nodes(torchless) == nodes(torch)


def test_reshape_alias_is_a_view_whose_gradient_matches():
    def run(lib):
        a = lib.arange(12.0, requires_grad=True)
        b = a * 1
        y = b.reshape(2, 2, 3).permute(2, 1, 0).reshape(3, 2, 2)  # a view of a non-contiguous tensor
        y.mul_(2)
        (b * lib.arange(12.0)).sum().backward()
        return y.grad_fn.name(), b.grad_fn.name(), a.grad.tolist()

    assert run(torchless) == run(torch)


# ---------------------------------------------------------------------------- double backward
_FIRST_ORDER = {
    "avg_pool1d": lambda F, x: F.avg_pool1d(x, 2),
    "avg_pool2d": lambda F, x: F.avg_pool2d(x.reshape(2, 2, 2, 3), 2, 1, 1, count_include_pad=False),
    "avg_pool3d": lambda F, x: F.avg_pool3d(x.reshape(2, 2, 1, 2, 3), 1, divisor_override=2),
    "max_pool1d": lambda F, x: F.max_pool1d(x, 2),
    "max_pool1d_indices": lambda F, x: F.max_pool1d(x, 3, 2, 1, return_indices=True)[0],
    "adaptive_max_pool1d": lambda F, x: F.adaptive_max_pool1d(x, 4),
    "adaptive_avg_pool1d": lambda F, x: F.adaptive_avg_pool1d(x, 4),
    "adaptive_avg_pool2d": lambda F, x: F.adaptive_avg_pool2d(x.reshape(2, 2, 2, 3), (2, 2)),
    "adaptive_avg_pool3d": lambda F, x: F.adaptive_avg_pool3d(x.reshape(2, 2, 1, 2, 3), (1, 2, 2)),
    "area": lambda F, x: F.interpolate(x, size=4, mode="area"),
    "reflect1d": lambda F, x: F.pad(x, (2, 1), mode="reflect"),
    "replicate1d": lambda F, x: F.pad(x, (2, 1), mode="replicate"),
    "reflect2d": lambda F, x: F.pad(x.reshape(2, 2, 2, 3), (2, 1, 1, 1), mode="reflect"),
    "replicate3d": lambda F, x: F.pad(x.reshape(2, 2, 1, 2, 3), (1, 1, 0, 1, 1, 0), mode="replicate"),
}


@pytest.mark.parametrize("name", sorted(_FIRST_ORDER))
@pytest.mark.parametrize("grad_requires_grad", [False, True])
def test_gradient_under_create_graph_reads_the_input_as_pytorch(name, grad_requires_grad):
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 2, 6)), requires_grad=True)
        y = _FIRST_ORDER[name](lib.nn.functional, x)
        g = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)), requires_grad=grad_requires_grad)
        (gx,) = lib.autograd.grad(y, x, g, create_graph=True)
        summary = [gx.requires_grad, gx.grad_fn and gx.grad_fn.name(), np.round(gx.detach().numpy(), 6).tolist()]
        if gx.requires_grad:
            summary.append([f and f.name() for f, _ in gx.grad_fn.next_functions])
            second = lib.autograd.grad((gx * gx).sum(), [x, g] if grad_requires_grad else [x], allow_unused=True)
            summary.append([t if t is None else np.round(t.numpy(), 6).tolist() for t in second])
        return summary

    assert run(torchless) == run(torch)


# ---------------------------------------------------------------------------- overflowing sizes
@pytest.mark.parametrize("factor", [3037000499, 3037000500, 2 ** 40, -(2 ** 40)])
def test_pixel_shuffle_refuses_a_factor_whose_square_overflows(factor):
    assert_same_outcome(lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(1, 4, 2, 2), factor))
    assert_same_outcome(lambda lib: lib.nn.PixelShuffle(factor)(lib.ones(1, 4, 2, 2)))


@pytest.mark.parametrize("kernel", [(2 ** 40, 2 ** 40), (2 ** 32, 2), (10 ** 10, 10 ** 10), (-(2 ** 40), 2 ** 40)])
def test_fold_refuses_a_kernel_whose_product_overflows(kernel):
    assert_same_outcome(lambda lib: lib.nn.functional.fold(lib.ones(1, 4, 4), (3, 3), kernel))
    assert_same_outcome(lambda lib: lib.nn.functional.fold(lib.ones(4, 4, 4, 4), (3, 3), kernel))


# ---------------------------------------------------------------------------- interpolate errors
@pytest.mark.parametrize("mode", [[2], {2}, ["bilinear"], {"bilinear": 1}])
def test_interpolate_with_an_unhashable_mode(mode):
    _same_message(lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4, 4), scale_factor=2, mode=mode))


@pytest.mark.parametrize("align_corners", [(2,), [2], (2, 2), "a", 2.5])
@pytest.mark.parametrize("mode, shape", [("bilinear", (1, 1, 4, 4)), ("linear", (1, 1, 4)),
                                         ("bicubic", (1, 1, 4, 4)), ("trilinear", (1, 1, 2, 2, 2))])
def test_upsample_invalid_combination_shows_one_tuples_as_python(align_corners, mode, shape):
    _same_message(lambda lib: lib.nn.functional.interpolate(lib.ones(*shape), scale_factor=2, mode=mode,
                                                            align_corners=align_corners))


# ---------------------------------------------------------------------------- layouts
def _strides_of_sized_dims(t):
    return tuple(stride for stride, n in zip(t.stride(), t.shape) if n > 1)


def _assert_same_layout_and_values(ours, theirs):
    """(..., values): everything but the last equal, the values close."""
    assert ours[:-1] == theirs[:-1]
    np.testing.assert_allclose(ours[-1], theirs[-1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("kernel", [1, 3, 4])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("channels_last_weight", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv3d_output_layout_follows_pytorchs_backend(batch, groups, kernel, transposed, channels_last_weight, dtype):
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((batch, 4, 5, 5, 5)), dtype=getattr(lib, dtype))
        w = lib.tensor(np.random.default_rng(1).standard_normal((4, 4 // groups) + (kernel,) * 3),
                       dtype=getattr(lib, dtype))
        if channels_last_weight:
            w = w.contiguous(memory_format=lib.channels_last_3d)
        else:
            x = x.contiguous(memory_format=lib.channels_last_3d)
        x.requires_grad_()
        fn = lib.nn.functional.conv_transpose3d if transposed else lib.nn.functional.conv3d
        y = fn(x, w, stride=2, groups=groups)
        y.backward(lib.ones_like(y))
        return _strides_of_sized_dims(y), _strides_of_sized_dims(x.grad), y.detach().numpy()

    _assert_same_layout_and_values(run(torchless), run(torch))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kernel", [2, 3, 4])
@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("spatial", [2, 3])
def test_conv_same_padding_keeps_channels_last(kernel, groups, spatial):
    def run(lib):
        shape = (2, 3) + (6, 4, 5)[:spatial]
        x = lib.tensor(np.random.default_rng(0).standard_normal(shape), dtype=lib.float32)
        x = x.contiguous(memory_format=lib.channels_last if spatial == 2 else lib.channels_last_3d).requires_grad_()
        w = lib.tensor(np.random.default_rng(1).standard_normal((6, 3 // groups) + (kernel,) * spatial),
                       dtype=lib.float32)
        y = getattr(lib.nn.functional, f"conv{spatial}d")(x, w, padding="same", groups=groups)
        y.backward(lib.ones_like(y))
        return _strides_of_sized_dims(y), _strides_of_sized_dims(x.grad), y.detach().numpy()

    _assert_same_layout_and_values(run(torchless), run(torch))


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 3, 4, 5), (2, 3, 1, 1), (2, 3, 2, 4, 5), (3, 4, 5)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_adaptive_avg_pool_to_one_cell_of_channels_last_as_pytorch(shape, channels_last):
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal(shape), dtype=lib.float32)
        if channels_last and len(shape) > 3:
            x = x.contiguous(memory_format=lib.channels_last if len(shape) == 4 else lib.channels_last_3d)
        x.requires_grad_()
        fn = lib.nn.functional.adaptive_avg_pool3d if len(shape) == 5 else lib.nn.functional.adaptive_avg_pool2d
        y = fn(x, 1)
        node = y.grad_fn
        saved = [getattr(node, name, "-") for name in ("_saved_size", "_saved_stride", "_saved_storage_offset")]
        y.backward(lib.ones_like(y))
        return node.name(), saved, tuple(y.stride()), tuple(x.grad.stride()), y.detach().numpy()

    _assert_same_layout_and_values(run(torchless), run(torch))


# ---------------------------------------------------------------------------- modules changed after construction
@pytest.mark.parametrize("spatial", [1, 2, 3])
@pytest.mark.parametrize("change", [("padding_mode", "reflect"), ("padding", "same"), ("padding", [1] * 3),
                                    ("padding", 1), ("output_padding", 1)])
def test_conv_transpose_forward_checks_its_attributes(spatial, change):
    def run(lib):
        lib.manual_seed(0)
        module = getattr(lib.nn, f"ConvTranspose{spatial}d")(2, 3, 3, stride=2)
        setattr(module, *change)
        return module(lib.ones((1, 2) + (4,) * spatial))

    assert_same_outcome(run)


# ---------------------------------------------------------------------------- gradients of resampling and fold
_RESAMPLINGS = {
    "nearest1d": lambda F, x: F.interpolate(x[:, :, 0], scale_factor=1.5),
    "linear": lambda F, x: F.interpolate(x[:, :, 0], scale_factor=0.5, mode="linear"),
    "nearest2d": lambda F, x: F.interpolate(x, scale_factor=2),
    "nearest_exact": lambda F, x: F.interpolate(x, scale_factor=1.5, mode="nearest-exact"),
    "bilinear": lambda F, x: F.interpolate(x, size=(5, 3), mode="bilinear", align_corners=True),
    "bicubic": lambda F, x: F.interpolate(x, scale_factor=1.5, mode="bicubic"),
    "bicubic_aa": lambda F, x: F.interpolate(x, size=(2, 3), mode="bicubic", antialias=True),
    "bilinear_aa": lambda F, x: F.interpolate(x, size=(2, 3), mode="bilinear", antialias=True),
    "trilinear": lambda F, x: F.interpolate(x[:, None], scale_factor=1.5, mode="trilinear"),
    "nearest3d": lambda F, x: F.interpolate(x[:, None], scale_factor=0.5),
    "unfold": lambda F, x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1),
    "unfold_unbatched": lambda F, x: F.unfold(x[0], 2, stride=2),
    "fold": lambda F, x: F.fold(x.reshape(2, 12, 5), (2, 6), 2),
    "fold_unbatched": lambda F, x: F.fold(x.reshape(2, 12, 5)[0], (3, 6), 2, stride=(2, 1)),
}


@pytest.mark.parametrize("name", sorted(_RESAMPLINGS))
def test_resampling_gradient_under_create_graph_is_pytorchs_backward_op(name):
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 5)), requires_grad=True)
        y = _RESAMPLINGS[name](lib.nn.functional, x)
        g = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)), requires_grad=True)
        (gx,) = lib.autograd.grad(y, x, g, create_graph=True)
        node = gx.grad_fn
        while node.name() in ("ViewBackward0", "UnsafeViewBackward0", "SqueezeBackward1", "UnsqueezeBackward0"):
            node = node.next_functions[0][0]  # (the slicing and reshaping of the test's own input)
        (gg,) = lib.autograd.grad((gx * gx).sum(), g)
        return node.name(), len(node.next_functions), np.round(gx.detach().numpy(), 6).tolist(), \
            np.round(gg.numpy(), 6).tolist()

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("shape", [(1, 2, 4, 4), (2, 4, 5)])
def test_fold_nodes_show_their_saved_arguments(shape):
    def saved(node):
        return node.name(), {name: getattr(node, name) for name in dir(node) if name.startswith("_saved")}

    def run(lib):
        x = lib.ones(*shape, requires_grad=True)
        cols = lib.nn.functional.unfold(x, (2, 3), padding=1, dilation=(1, 2), stride=(2, 1))
        image = lib.nn.functional.fold(cols, shape[-2:], (2, 3), padding=1, dilation=(1, 2), stride=(2, 1))
        return saved(cols.grad_fn), saved(image.grad_fn)

    assert run(torchless) == run(torch)


# ---------------------------------------------------------------------------- saved values
def _shown_saved(node):
    shown = {}
    for name in dir(node):
        if name.startswith("_saved"):
            value = getattr(node, name)
            shown[name] = (tuple(value.shape), str(value.dtype).split(".")[-1]) if hasattr(value, "dtype") else value
    return node.name(), shown


_SAVING = {
    "pixel_shuffle": lambda F, x: F.pixel_shuffle(x.repeat(1, 4, 1, 1), 2),
    "pixel_unshuffle": lambda F, x: F.pixel_unshuffle(x[..., :4], 2),
    "channel_shuffle": lambda F, x: F.channel_shuffle(x.repeat(1, 2, 1, 1), 3),
    "fractional_max_pool2d": lambda F, x: F.fractional_max_pool2d(x, 2, output_size=(2, 3),
                                                                 _random_samples=x.new_full((2, 3, 2), 0.4)),
    "fractional_max_pool3d": lambda F, x: F.fractional_max_pool3d(x[:, None], (1, 2, 2), output_size=2,
                                                                 _random_samples=x.new_full((2, 1, 3), 0.4)),
    "max_unpool2d": lambda F, x: F.max_unpool2d(*F.max_pool2d(x[..., :4], 2, return_indices=True), 2),
    "max_unpool3d": lambda F, x: F.max_unpool3d(*F.max_pool3d(x[:, None, :, :, :4], 2, return_indices=True), 2),
    "avg_pool3d": lambda F, x: F.avg_pool3d(x[:, None], 2),
    "avg_pool3d_stride1": lambda F, x: F.avg_pool3d(x[:, None], (1, 2, 2), (1,), padding=(0, 1, 1)),
}


@pytest.mark.parametrize("name", sorted(_SAVING))
def test_nodes_show_what_pytorchs_save(name):
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 5)), requires_grad=True)
        return _shown_saved(_SAVING[name](lib.nn.functional, x * 1).grad_fn)

    assert run(torchless) == run(torch)


def test_fractional_max_pool_saves_its_input():
    def run(lib):
        x = lib.ones(1, 1, 4, 5, 6, requires_grad=True)
        y = x * 1
        out = lib.nn.functional.fractional_max_pool3d(y, 2, output_size=2, _random_samples=lib.full((1, 1, 3), 0.3))
        y.add_(1)  # PyTorch saved y: backward refuses its new version
        out.sum().backward()

    _same_message(run)


# ---------------------------------------------------------------------------- dtypes
_DTYPES = ["float16", "float32", "float64", "int64", "complex64", "complex128"]


@pytest.mark.filterwarnings("ignore:Casting complex values")  # (the helper compares real parts; all ones here)
@pytest.mark.parametrize("input_dtype", _DTYPES)
@pytest.mark.parametrize("bias_dtype", _DTYPES)
@pytest.mark.parametrize("transposed", [False, True])
def test_conv_with_a_bias_of_another_dtype(input_dtype, bias_dtype, transposed):
    def run(lib):
        x = lib.ones(1, 2, 4, dtype=getattr(lib, input_dtype))
        w = lib.ones(2, 2, 2, dtype=getattr(lib, input_dtype))
        b = lib.ones(2, dtype=getattr(lib, bias_dtype))
        return (lib.nn.functional.conv_transpose1d if transposed else lib.nn.functional.conv1d)(x, w, b)

    assert_same_outcome(run)


@pytest.mark.filterwarnings("ignore:Casting complex values")  # (the helper compares real parts; all ones here)
@pytest.mark.parametrize("input_dtype", ["float32", "complex64", "complex128"])
@pytest.mark.parametrize("weight_dtype", ["float16", "float32", "complex64"])
def test_conv_dtype_mismatch_names_complex_types_as_pytorch(input_dtype, weight_dtype):
    def run(lib):
        x = lib.ones(1, 2, 4, dtype=getattr(lib, input_dtype))
        return lib.nn.functional.conv_transpose1d(x, lib.ones(2, 2, 2, dtype=getattr(lib, weight_dtype)))

    assert_same_outcome(run)


@pytest.mark.parametrize("dtype", ["complex64", "complex128", "bool"])
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool3d_refuses_complex_input(dtype, return_indices):
    _same_message(lambda lib: lib.nn.functional.max_pool3d(lib.ones(1, 1, 2, 2, 2, dtype=getattr(lib, dtype)), 1,
                                                           return_indices=return_indices))


# ---------------------------------------------------------------------------- unflatten's order of checks
@pytest.mark.parametrize("dim, sizes", [(None, ()), ("a", ()), (1.0, []), (0, ""), (None, (2,)), (0, "ab"),
                                        (0, ()), (1.0, (2,)), (0, (1.5,)), (0, [3, 1]), (-1, (2, 1)), (5, (3,))])
def test_unflatten_refuses_empty_sizes_before_reading_dim(dim, sizes):
    def forms(lib):
        x = lib.ones(3, 2)
        return [outcome(lambda: tuple(call().shape)) for call in (
            lambda: x.unflatten(dim, sizes),  # Python code in PyTorch: empty sizes first
            lambda: lib.nn.Unflatten(dim, sizes)(x),
            lambda: lib.unflatten(x, dim, sizes),  # native: dim parsed first
            lambda: lib.unflatten(input=x, dim=dim, sizes=sizes))]

    theirs = [Raised(r.type, r.message.replace("torch.", "torchless.")) if isinstance(r, Raised) else r
              for r in forms(torch)]
    assert forms(torchless) == theirs


# ---------------------------------------------------------------------------- gradients of (un)squeeze
_RESHAPINGS = {
    "unsqueeze": lambda lib, x: x.unsqueeze(1),
    "unsqueeze_last": lambda lib, x: x.unsqueeze(-1),
    "squeeze_nothing": lambda lib, x: x.squeeze(0),
    "squeeze_all_nothing": lambda lib, x: x.squeeze(),
    "squeeze_dims_nothing": lambda lib, x: x.squeeze((0, 1)),
    "unsqueeze_squeeze": lambda lib, x: x.unsqueeze(-2).squeeze(-2),
    "conv1d_unbatched": lambda lib, x: lib.nn.functional.conv1d(x, lib.ones(2, 2, 2)),
    "max_unpool1d": lambda lib, x: lib.nn.functional.max_unpool1d(x[None], lib.tensor([[[1, 2, 4], [0, 3, 5]]]), 2),
}


@pytest.mark.parametrize("name", sorted(_RESHAPINGS))
def test_squeeze_and_unsqueeze_gradients_under_create_graph(name):
    def run(lib):
        x = lib.ones(2, 3, requires_grad=True)
        y = _RESHAPINGS[name](lib, x)
        g = lib.ones(y.shape, requires_grad=True)
        (gx,) = lib.autograd.grad(y, x, g, create_graph=True)
        (gg,) = lib.autograd.grad((gx * gx).sum(), g)
        return gx.grad_fn and gx.grad_fn.name(), gx is g, gg.tolist()

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("mode, options", [("bicubic", {"antialias": True}), ("bilinear", {"antialias": True}),
                                           ("bicubic", {"antialias": True, "align_corners": True}),
                                           ("bilinear", {"align_corners": True}), ("nearest", {})])
@pytest.mark.parametrize("scale", [0.5, 0.7, 2.0])
@pytest.mark.parametrize("shape", [(1, 2, 5, 4), (1, 2, 5, 2), (1, 4, 4, 2)])
def test_resampling_second_and_third_gradients(mode, options, scale, shape):
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
        y = lib.nn.functional.interpolate(x, scale_factor=scale, mode=mode, **options)
        g = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)), requires_grad=True)
        (gx,) = lib.autograd.grad(y, x, g, create_graph=True)
        (gg,) = lib.autograd.grad((gx * gx).sum(), g, create_graph=True)  # antialiasing: the forward's weights
        (ggg,) = lib.autograd.grad((gg * gg).sum(), g)
        return gx.detach().numpy(), gg.detach().numpy(), ggg.numpy()

    for ours, theirs in zip(run(torchless), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
