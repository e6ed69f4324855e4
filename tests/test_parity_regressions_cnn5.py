"""Differences from PyTorch found by a fifth differential fuzz audit of the CNN surface, each compared with torch.

* F.avg_pool1d / F.avg_pool2d go through PyTorch's native argument parser: a bad argument is named with its
  position only when it was passed by position (lp_pool1d/2d and the AvgPool modules pass positionally, a
  user's keyword does not), a one-element sequence from the modules blames its element, and a missing or
  unexpected argument has the parser's message;
* adaptive_max_pool2d checks its input for empty non-batch dimensions before the length of output_size;
* F.pad parses as PyTorch's native pad (which F.pad calls by position): mode must be a str, value a float (a
  number or a 0-d tensor not requiring grad), and a non-int past the first element of pad fails to unpack;
  the value is converted to the input's dtype as a fill value when something is filled (NaN or an out-of-range
  value for an integer dtype is refused); circular padding whose negative widths crop a dimension away while
  the other side still asks for cells keeps PyTorch's output shape (PyTorch leaves those cells unwritten);
* F.grid_sample of a volume (N, C, D, H, W) with an (N, D', H', W', 3) grid was not implemented: trilinear and
  nearest sampling, the three padding modes, both align_corners, with gradients to input and grid, and the
  edge cases of PyTorch's scalar 3-D kernel (a NaN coordinate clamps to the last voxel under border and
  reflection padding and gets no gradient; zeros padding gives 0, not NaN, for non-finite coordinates;
  reflection counts flips in a C int);
* F.affine_grid's size goes through affine_grid_generator's parser: the first element is checked by type
  (a bool is refused), the others are converted (a bool passes, a float fails to unpack);
* F.batch_norm reads the running statistics through 1-D accessors: a running_mean or running_var of another
  rank (even with the right number of elements) fails, before its dtype is checked;
* F.group_norm's weight gradient is NaN when the groups have no elements (empty spatial dimensions), as
  PyTorch forms it from the groups' statistics;
* the dropouts end in a native function (dropout, feature_dropout, alpha_dropout, feature_alpha_dropout, with a
  trailing underscore in place) that parses (input, float p, bool train): training must be a bool (not 1, a
  NumPy bool or a tensor), p a number or a 0-d tensor not requiring grad, and a NaN p fails its range check
  even out of training; dropout1d/dropout2d read input.dim() first (an AttributeError for a non-tensor);
* max pooling: a window lying wholly in the padding (dilation makes it possible) outputs -inf with an index
  PyTorch makes up (its first tap past the padding on each axis); PyTorch's backward adds the window's
  gradient at that index when it falls inside the plane (torchless sent it nowhere);
* F.interpolate(mode='area') hands a size of the wrong type to adaptive_avg_pool*d's parser (its TypeError),
  rather than failing on a comparison first;
* F.adaptive_avg_pool1d is a native function: a bad output_size passed by keyword is named without a
  position (a sequence by its type); F.adaptive_{avg,max}_pool{2,3}d take only a Python int as a single size
  (a NumPy integer fails len(), as in PyTorch's _list_with_default);
* lp_pool2d/3d hand kernel_size to the average pooling before multiplying by the window's size (kernel_size=None
  is avg_pool's TypeError);
* the float arguments of the normalisations (eps, momentum) take a 0-d tensor not requiring grad, not a
  one-element tensor of higher rank;
* nn.SyncBatchNorm was missing: in a single process PyTorch's SyncBatchNorm is the plain batch normalisation of
  any rank (its own input checks), and SyncBatchNorm.convert_sync_batchnorm swaps a model's batch norms for it,
  sharing their parameters and buffers;
* max_unpool*d checks its output sizes with torch._check_value, which takes a Python bool only: NumPy numbers or
  tensors as kernel_size, stride or padding fail there with its TypeError.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome as _assert_same_outcome, outcome

torch = pytest.importorskip("torch")


def assert_same_outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same_outcome(fn, rtol=1e-5, atol=1e-6)


def F(lib):
    return lib.nn.functional


# ---------------------------------------------------------------------------- avg_pool1d/2d argument parsing
def _x(lib, spatial):
    return lib.tensor(np.linspace(-1, 1, 2 * 4 ** spatial).reshape((1, 2) + (4,) * spatial).astype(np.float32))


@pytest.mark.parametrize("spatial", [1, 2])
@pytest.mark.parametrize("args, kwargs", [
    ((2.0,), {}), ((), {"kernel_size": 2.0}), ((2, 2.0), {}), ((2,), {"stride": 2.0}), ((2, 2, None), {}),
    ((2,), {"padding": None}), ((2, 2, 0, 1), {}), ((2,), {"ceil_mode": 1}), ((2, 2, 0, False, None), {}),
    ((2,), {"count_include_pad": None}), (((2, 2.0),), {}), ((2, (2, 2.0)), {}), ((), {}), ((2,), {"foo": 1}),
    ((2, 2, 0, False, True, None, 5, 6), {}), ((2, None), {}), ((2, ()), {}), (((),), {}), ((True,), {}),
    ((2,), {"self": 1}), ((2,), {"divisor_override": 2.5}), ((2, 2, 0, False, True, 2.5), {}),
    ((2,), {"divisor_override": 3}),
])
def test_avg_pool_arguments_as_the_native_parser_reads_them(spatial, args, kwargs):
    assert_same_outcome(lambda lib: getattr(F(lib), f"avg_pool{spatial}d")(_x(lib, spatial), *args, **kwargs))


def test_avg_pool_by_keyword_only():
    assert_same_outcome(lambda lib: F(lib).avg_pool2d(input=_x(lib, 2), kernel_size=2, stride=1))
    assert_same_outcome(lambda lib: F(lib).avg_pool2d(kernel_size=2))
    assert_same_outcome(lambda lib: F(lib).avg_pool1d(1.0, 2))


@pytest.mark.parametrize("spatial", [1, 2])
@pytest.mark.parametrize("stride", [2.0, (2, 2.0), None, 1])
@pytest.mark.parametrize("ceil_mode", [False, 1])
def test_lp_pool_passes_avg_pool_its_arguments_by_position(spatial, stride, ceil_mode):
    def call(lib):
        x = _x(lib, spatial).abs().requires_grad_(True)
        y = getattr(F(lib), f"lp_pool{spatial}d")(x, 2, 2, stride, ceil_mode)
        y.sum().backward()
        return y, x.grad

    assert_same_outcome(call)


@pytest.mark.parametrize("spatial", [1, 2])
@pytest.mark.parametrize("kwargs", [{"stride": 2.0}, {"divisor_override": 2.5}, {"padding": 1.0},
                                    {"kernel_size": 2.0}, {"stride": 1, "padding": 1, "ceil_mode": True}])
def test_avg_pool_modules_pass_their_arguments_by_position(spatial, kwargs):
    if spatial == 1 and "divisor_override" in kwargs:
        pytest.skip("AvgPool1d has no divisor_override")
    kwargs = {"kernel_size": 2, **kwargs}
    assert_same_outcome(lambda lib: getattr(lib.nn, f"AvgPool{spatial}d")(**kwargs)(_x(lib, spatial)))


# ---------------------------------------------------------------------------- adaptive_max_pool2d check order
@pytest.mark.parametrize("shape", [(1, 0, 4, 4), (2, 3, 4, 0), (0, 4, 4), (3, 4, 0)])
@pytest.mark.parametrize("output_size", [(2, 2, 2), (2,), 2])
def test_adaptive_max_pool2d_checks_empty_dims_before_output_size_length(shape, output_size):
    assert_same_outcome(lambda lib: F(lib).adaptive_max_pool2d(lib.ones(*shape), output_size))


# ---------------------------------------------------------------------------- F.pad arguments and fill value
@pytest.mark.parametrize("mode, value", [
    ("constant", "a"), ("constant", [1]), ("constant", 1 + 2j), ("reflect", [1]), ("reflect", 1 + 0j),
    (None, None), (1, None), ("constant", np.float32(2.5)), ("constant", np.int64(3)), ("constant", True),
])
def test_pad_mode_and_value_types(mode, value):
    assert_same_outcome(lambda lib: F(lib).pad(lib.ones(2, 3), (1, 1), mode, value))
    assert_same_outcome(lambda lib: F(lib).pad(lib.ones(2, 3), (1, 1), mode=mode, value=value))


@pytest.mark.parametrize("value", ["0-d", "1-d", "0-d grad", "int 0-d"])
def test_pad_value_as_a_tensor(value):
    def call(lib):
        v = {"0-d": lib.tensor(2.5), "1-d": lib.tensor([2.5]), "0-d grad": lib.tensor(2.5, requires_grad=True),
             "int 0-d": lib.tensor(3)}[value]
        return F(lib).pad(lib.ones(2), (1, 1), value=v)

    assert_same_outcome(call)


@pytest.mark.parametrize("pad", ["(1, 1.0)", "(1, True)", "(True, 1)", "(1, None)", "(1, 'a')", "(t, 1)", "(1, t)",
                                 "(1, np.int32(1))", "(1, 1, 1.5, 1)"])
def test_pad_widths_past_the_first_fail_to_unpack(pad):
    assert_same_outcome(lambda lib: F(lib).pad(lib.ones(2, 3), eval(pad, {"np": np, "t": lib.tensor(1)})))


@pytest.mark.parametrize("dtype", ["float16", "float32", "int8", "int64", "uint8", "bool"])
@pytest.mark.parametrize("value", [float("nan"), -float("inf"), 1e39, 70000.0, 300, -129, -0.5, 2.5])
@pytest.mark.parametrize("pad", [(1, 1), (0, 0), (-1, 0)])
def test_pad_value_converted_to_the_input_dtype(dtype, value, pad):
    assert_same_outcome(lambda lib: F(lib).pad(lib.ones(2, dtype=getattr(lib, dtype)), pad, value=value))


@pytest.mark.parametrize("pad", [(1, -2), (2, -2), (2, -3), (-2, 1), (-2, 2), (1, -3), (1, -1), (0, 0, 1, -2)])
def test_circular_pad_cropping_a_dimension_away_keeps_the_shape(pad):
    """PyTorch's cells are never written here (its values are whatever memory held): shapes and gradients."""
    def call(lib):
        x = lib.tensor(np.arange(1.0, 9.0, dtype=np.float32).reshape((2, 2, 2) if len(pad) == 2 else (1, 2, 2, 2)),
                       requires_grad=True)
        y = F(lib).pad(x, pad, mode="circular")
        y.backward(lib.ones(*y.shape))
        return y.shape, x.grad

    expected, actual = call(torch), call(torchless)
    assert tuple(actual[0]) == tuple(expected[0])
    np.testing.assert_array_equal(actual[1].numpy(), expected[1].numpy())


# ---------------------------------------------------------------------------- grid_sample of volumes
def _grid_sample_call(x, g, *args):
    def call(lib):
        xt, gt = lib.tensor(x, requires_grad=True), lib.tensor(g, requires_grad=True)
        y = F(lib).grid_sample(xt, gt, *args)
        y.backward(lib.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)).astype(x.dtype)))
        return y, xt.grad, gt.grad

    return call


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grid_sample_3d(mode, padding_mode, align_corners, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 3, 4, 5)).astype(dtype)
    g = rng.uniform(-1.3, 1.3, (2, 2, 3, 4, 3)).astype(dtype)
    g[0, 0, 0] = [[-1, -1, -1], [1, 1, 1], [0, 0.5, -0.5], [1 / 3, -1, 1]]  # corners and exact voxel positions
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    expected = _grid_sample_call(x, g, mode, padding_mode, align_corners)(torch)
    actual = _grid_sample_call(x, g, mode, padding_mode, align_corners)(torchless)
    assert actual[0].grad_fn.name() == expected[0].grad_fn.name() == "GridSampler3DBackward0"
    for theirs, ours in zip(expected, actual):
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype)[6:]
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tol)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("shape", [(1, 2, 2, 3, 4), (1, 1, 1, 1, 1)])
def test_grid_sample_3d_at_non_finite_and_far_points(mode, padding_mode, align_corners, shape):
    values = np.array([np.nan, np.inf, -np.inf, 1e10, -1e10, 5.0, -5.0, 0.25])
    g = np.random.default_rng(1).choice(values, size=(1, 3, 4, 4, 3))
    x = np.random.default_rng(2).standard_normal(shape)
    assert_same_outcome(_grid_sample_call(x, g, mode, padding_mode, align_corners))


@pytest.mark.parametrize("shapes", [((0, 1, 2, 2, 2), (0, 1, 1, 1, 3)), ((1, 1, 2, 2, 2), (1, 0, 1, 1, 3)),
                                    ((1, 0, 2, 2, 2), (1, 1, 1, 1, 3)), ((1, 1, 0, 2, 2), (1, 1, 1, 1, 3)),
                                    ((1, 1, 2, 2, 2), (1, 1, 1, 1, 2)), ((2, 1, 2, 2, 2), (1, 1, 1, 1, 3))])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_3d_shapes_and_errors(shapes, mode):
    x, g = (np.linspace(-1, 1, int(np.prod(s))).reshape(s).astype(np.float32) for s in shapes)
    assert_same_outcome(_grid_sample_call(x, g, mode, "zeros", False))


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample_3d_float16_computes_in_float16(mode, padding_mode, align_corners):
    """PyTorch's scalar 3-D kernel rounds every step to float16, which decides nearest voxels: bit-exact values."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5, 6)).astype(np.float16)
    g = rng.uniform(-1.2, 1.2, (2, 3, 2, 4, 3)).astype(np.float16)
    expected, actual = (F(lib).grid_sample(lib.tensor(x), lib.tensor(g), mode, padding_mode, align_corners)
                        for lib in (torch, torchless))
    assert actual.dtype == torchless.float16
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


@pytest.mark.parametrize("dtype", ["int64", "float16"])
def test_grid_sample_3d_dtypes(dtype):
    assert_same_outcome(lambda lib: F(lib).grid_sample(lib.ones(1, 1, 2, 2, 2, dtype=getattr(lib, dtype)),
                                                       lib.zeros(1, 1, 1, 1, 3, dtype=getattr(lib, dtype)),
                                                       align_corners=False))


def test_grid_sample_3d_of_non_contiguous_tensors():
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 3, 5)).astype(np.float32)
    g = np.linspace(-1, 1, 72).reshape(1, 3, 2, 4, 3).astype(np.float32)
    assert_same_outcome(lambda lib: F(lib).grid_sample(lib.tensor(x).transpose(2, 4), lib.tensor(g).transpose(1, 3),
                                                       align_corners=False))


def test_affine_grid_then_grid_sample_3d():
    theta = np.array([[[0.9, 0.1, 0.0, 0.1], [-0.1, 1.1, 0.2, 0.0], [0.0, 0.3, 0.8, -0.2]]], np.float32)
    x = np.random.default_rng(4).standard_normal((1, 2, 3, 4, 5)).astype(np.float32)

    def call(lib):
        t = lib.tensor(theta, requires_grad=True)
        y = F(lib).grid_sample(lib.tensor(x), F(lib).affine_grid(t, (1, 2, 2, 3, 4), align_corners=False),
                               align_corners=False)
        y.sum().backward()
        return y, t.grad

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- affine_grid's size
@pytest.mark.parametrize("size", ["(1, 1, True, 2)", "(True, 1, 2, 2)", "(1, 1, 2.0, 2)", "(1, 1, 2, np.int64(2))",
                                  "(1, 1, 2, t)", "(t, 1, 2, 2)", "(1, 1, 2, 2, 2.5)"])
def test_affine_grid_size_through_the_parser(size):
    def call(lib):
        size_value = eval(size, {"np": np, "t": lib.tensor(2)})
        theta = lib.ones(1, len(size_value) - 2, len(size_value) - 1)
        return F(lib).affine_grid(theta, size_value, align_corners=False)

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- batch_norm statistics' rank
@pytest.mark.parametrize("stats", [((1, 3), (3,)), ((3,), (1, 3)), ((3, 1), (3, 1)), ((1, 1, 3), (3,)),
                                   ((1, 3), (3, 1, 1)), ((3, 1, 1), (1, 3))])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("var_dtype", ["float32", "float64"])
@pytest.mark.parametrize("with_weight", [False, True])
def test_batch_norm_running_statistics_must_be_vectors(stats, training, var_dtype, with_weight):
    def call(lib):
        mean, var = lib.zeros(*stats[0]), lib.ones(*stats[1], dtype=getattr(lib, var_dtype))
        weight = lib.ones(1, 3) if with_weight else None  # any shape of 3 elements will do for weight
        return F(lib).batch_norm(lib.ones(2, 3, 4), mean, var, weight, None, training)

    assert_same_outcome(call)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_0d_statistics_of_one_channel(training):
    assert_same_outcome(lambda lib: F(lib).batch_norm(lib.ones(2, 1), lib.zeros(()), lib.ones(()), None, None,
                                                      training))


# ---------------------------------------------------------------------------- group_norm without elements
@pytest.mark.parametrize("shape, groups", [((2, 4, 0), 2), ((2, 4, 0, 3), 4), ((0, 4, 3), 2), ((0, 4, 0), 2),
                                           ((2, 4), 4)])
def test_group_norm_weight_gradient_of_empty_groups(shape, groups):
    def call(lib):
        x = lib.ones(*shape, requires_grad=True)
        w, b = lib.ones(4, requires_grad=True), lib.ones(4, requires_grad=True)
        y = F(lib).group_norm(x, groups, w, b)
        y.sum().backward()
        return y, x.grad, w.grad, b.grad

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- dropout's native arguments
DROPOUTS = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


@pytest.mark.parametrize("fn", DROPOUTS)
@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("p, training", [(0.5, 1), (1.0, "np.bool_(True)"), (0.0, "tensor(True)"),
                                         ("tensor(0.5, requires_grad=True)", True), ("tensor([0.5])", True),
                                         (float("nan"), False), ("tensor(0.0)", True), ("[1.0]", "input")])
def test_dropout_native_arguments(fn, inplace, p, training):
    def call(lib):
        def value(v):
            return eval(v, {"np": np, "tensor": lib.tensor}) if isinstance(v, str) and v != "input" else v

        x = [1.0, 2.0] if training == "input" else lib.zeros(2, 3, 4, 4)
        return getattr(F(lib), fn)(x, value(p), True if training == "input" else value(training), inplace)

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- max pooling's tapless windows
@pytest.mark.parametrize("fn, shape, args, kwargs", [
    ("max_pool2d", (1, 1, 3, 1), (2, 1, 1, 2), {}),
    ("max_pool2d", (2, 2, 5, 1), (2, 1, 1, 2), {}),
    ("max_pool2d", (2, 2, 5, 2), ((3, 2), (1, 3), 1, (2, 3)), {"ceil_mode": True}),
    ("max_pool2d", (2, 5, 1), (2, 1, 1, 2), {}),
    ("max_pool3d", (1, 1, 1, 4, 1), ((1, 2, 2), 1, (0, 1, 1), (1, 2, 2)), {}),
    ("max_pool3d", (2, 2, 2, 4, 1), ((1, 2, 2), 1, (0, 1, 1), (1, 2, 2)), {}),
    ("max_pool3d", (1, 1, 1, 4, 1), ((1, 2, 2), (1, 1, 2), (0, 1, 1), (1, 2, 2)), {"ceil_mode": True}),
])
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool_window_wholly_in_the_padding_sends_its_gradient_to_its_index(fn, shape, args, kwargs,
                                                                               return_indices):
    """Only shapes whose made-up indices stay inside the plane (PyTorch writes out of bounds otherwise)."""
    def call(lib):
        x = lib.tensor(np.arange(1.0, 1.0 + np.prod(shape), dtype=np.float32).reshape(shape), requires_grad=True)
        out = getattr(F(lib), fn)(x, *args, return_indices=return_indices, **kwargs)
        y = out[0] if return_indices else out
        y.backward(lib.tensor(np.arange(1.0, 1.0 + y.numel(), dtype=np.float32).reshape(tuple(y.shape))))
        return (y, x.grad) + ((out[1],) if return_indices else ())

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- interpolate(mode='area') size types
@pytest.mark.parametrize("size", ["3", ("3", "2"), (3, "2"), (None, "2"), (2.0, 2)])
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_area_interpolation_size_of_the_wrong_type(size, dim):
    if isinstance(size, tuple):
        size = (size * 2)[:dim]
    assert_same_outcome(lambda lib: F(lib).interpolate(lib.ones((1, 1) + (4,) * dim), size=size, mode="area"))


# ---------------------------------------------------------------------------- adaptive pooling's output_size
@pytest.mark.parametrize("output_size", [2.5, "a", None, (2.5, 2), True, np.float64(2.0), (2, 2), [], "t1"])
@pytest.mark.parametrize("by_keyword", [False, True])
def test_adaptive_avg_pool1d_parses_as_a_native_function(output_size, by_keyword):
    def call(lib):
        size = lib.tensor([2.0]) if isinstance(output_size, str) and output_size == "t1" else output_size
        x = lib.ones(1, 2, 6)
        return F(lib).adaptive_avg_pool1d(x, output_size=size) if by_keyword else F(lib).adaptive_avg_pool1d(x, size)

    assert_same_outcome(call)


@pytest.mark.parametrize("fn", ["adaptive_avg_pool2d", "adaptive_max_pool2d", "adaptive_avg_pool3d",
                                "adaptive_max_pool3d"])
@pytest.mark.parametrize("output_size", [np.int64(2), np.int32(1), 2, True])
def test_adaptive_pool_single_size_must_be_a_python_int(fn, output_size):
    shape = (1, 2, 4, 4) if fn.endswith("2d") else (1, 2, 4, 4, 4)
    assert_same_outcome(lambda lib: getattr(F(lib), fn)(lib.ones(*shape), output_size))


# ---------------------------------------------------------------------------- lp_pool's kernel_size
@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("stride", [None, 1])
def test_lp_pool_kernel_size_none(dim, stride):
    assert_same_outcome(lambda lib: getattr(F(lib), f"lp_pool{dim}d")(lib.ones((1, 2) + (4,) * dim), 2, None, stride))


# ---------------------------------------------------------------------------- float arguments of the norms
@pytest.mark.parametrize("value", ["[1e-5]", "[[1e-5]]", "0-d grad", "0-d", "int 0-d"])
@pytest.mark.parametrize("fn", ["layer_norm eps", "group_norm eps", "batch_norm eps", "batch_norm momentum",
                                "instance_norm eps", "instance_norm momentum"])
def test_norm_float_arguments_as_tensors(value, fn):
    name, argument = fn.split()

    def call(lib):
        v = {"[1e-5]": lambda: lib.tensor([1e-5]), "[[1e-5]]": lambda: lib.tensor([[1e-5]]),
             "0-d grad": lambda: lib.tensor(1e-5, requires_grad=True), "0-d": lambda: lib.tensor(1e-5),
             "int 0-d": lambda: lib.tensor(1)}[value]()
        x = lib.tensor(np.linspace(-1, 1, 24).reshape(2, 3, 4).astype(np.float32))
        first = {"layer_norm": ((4,),), "group_norm": (1,), "batch_norm": (lib.zeros(3), lib.ones(3)),
                 "instance_norm": ()}[name]
        return getattr(F(lib), name)(x, *first, **{argument: v})

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- tapless windows, empty batch
@pytest.mark.parametrize("fn, shape, args", [("max_pool1d", (0, 2, 1), (2, 3, 1, 2)),
                                             ("max_pool2d", (0, 1, 3, 1), (2, 1, 1, 2)),
                                             ("max_pool3d", (0, 1, 1, 4, 1), ((1, 2, 2), 1, (0, 1, 1), (1, 2, 2)))])
def test_max_pool_tapless_windows_of_an_empty_batch(fn, shape, args):
    def call(lib):
        x = lib.ones(*shape, requires_grad=True)
        y = getattr(F(lib), fn)(x, *args)
        y.sum().backward()
        return y, x.grad

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- SyncBatchNorm
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4, 4), (1, 3, 1, 1, 1, 2), (3,), (2, 0, 4), (1, 3)])
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None},
                                    {"affine": False, "track_running_stats": False, "eps": 0.1}])
@pytest.mark.parametrize("training", [True, False])
def test_sync_batch_norm_in_one_process(shape, kwargs, training):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)

    def call(lib):
        m = lib.nn.SyncBatchNorm(3, **kwargs).train(training)
        outputs = []
        for _ in range(2):
            xt = lib.tensor(x, requires_grad=True)
            y = m(xt)
            y.backward(lib.ones(*shape))
            outputs += [y, xt.grad]
        stats = [t for t in (m.running_mean, m.running_var, m.num_batches_tracked) if t is not None]
        return tuple(outputs + stats)

    assert_same_outcome(call)
    assert repr(torchless.nn.SyncBatchNorm(3, **kwargs)) == repr(torch.nn.SyncBatchNorm(3, **kwargs))


def test_convert_sync_batchnorm():
    def build(lib):
        net = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.BatchNorm2d(4, momentum=0.3),
                                lib.nn.Sequential(lib.nn.BatchNorm1d(2, affine=False)),
                                lib.nn.BatchNorm3d(5, track_running_stats=False), lib.nn.BatchNorm2d(4, bias=False),
                                lib.nn.InstanceNorm2d(4))
        net[1].eval()
        return net, lib.nn.SyncBatchNorm.convert_sync_batchnorm(net, process_group="group")

    for lib in (torch, torchless):
        net, converted = build(lib)
        assert converted is net and converted[1].weight is not None
    (theirs, theirs_converted), (ours, ours_converted) = build(torch), build(torchless)
    assert repr(ours_converted) == repr(theirs_converted)
    assert ([name for name, _ in ours_converted.named_buffers()]
            == [name for name, _ in theirs_converted.named_buffers()])
    assert ours_converted[1].running_mean is not None
    assert not ours_converted[1].training and ours_converted[1].process_group == "group"
    single = torchless.nn.BatchNorm1d(3)
    swapped = torchless.nn.SyncBatchNorm.convert_sync_batchnorm(single)
    assert type(swapped).__name__ == "SyncBatchNorm" and swapped.weight is single.weight
    assert swapped.running_var is single.running_var


# ---------------------------------------------------------------------------- max_unpool's size check
@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("argument", ["kernel_size", "stride", "padding"])
@pytest.mark.parametrize("value", ["np.int64(2)", "tensor([2.0])", "2"])
def test_max_unpool_size_check_wants_python_bools(dim, argument, value):
    def call(lib):
        x, indices = getattr(F(lib), f"max_pool{dim}d")(lib.ones((1, 2) + (4,) * dim), 2, return_indices=True)
        arguments = {"kernel_size": 2, "stride": None, "padding": 0}
        arguments[argument] = eval(value, {"np": np, "tensor": lib.tensor})
        if argument == "padding" and value == "2":
            arguments["padding"] = 0
        return getattr(F(lib), f"max_unpool{dim}d")(x, indices, **arguments)

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- local_response_norm's arguments
@pytest.mark.parametrize("size", ["tensor(2)", "tensor(3)", "tensor(2.0)", "np.int64(2)", "True"])
@pytest.mark.parametrize("shape", [(1, 4, 5), (2, 5, 2, 2, 2)])
@pytest.mark.parametrize("beta", [0.75, [2, 2.5], ()])
def test_local_response_norm_size_tensor_and_beta_sequence(size, shape, beta):
    def call(lib):
        x = lib.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(np.float32), requires_grad=True)
        y = F(lib).local_response_norm(x, eval(size, {"np": np, "tensor": lib.tensor}), 1e-2, beta)
        y.sum().backward()
        return y, x.grad

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- Unflatten's size
@pytest.mark.parametrize("dim", [1, "features"])
@pytest.mark.parametrize("size", ["(3, 4)", "(np.int64(3), 4)", "(3, True)", "[3, 4]", "'ab'", "(('C', 3), ('H', 4))",
                                  "12", "(3.0, 4)"])
def test_unflatten_size_must_be_python_ints(dim, size):
    def call(lib):
        module = lib.nn.Unflatten(dim, eval(size, {"np": np}))
        return module(lib.ones(2, 12)) if isinstance(dim, int) else lib.tensor(0)

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- NumPy bools for bool parameters
@pytest.mark.parametrize("call", [
    "F.max_pool2d(lib.ones(1, 2, 5, 5), 2, ceil_mode=flag)",
    "F.max_pool2d(lib.ones(1, 2, 5, 5), 2, ceil_mode=flag, return_indices=True)",
    "F.max_pool1d(lib.ones(1, 2, 5), 2, ceil_mode=flag)",
    "F.max_pool1d(lib.ones(1, 2, 5), 2, ceil_mode=flag, return_indices=True)",
    "F.max_pool3d(lib.ones(1, 2, 5, 5, 5), 2, ceil_mode=flag)",
    "F.avg_pool1d(lib.ones(1, 2, 5), 2, ceil_mode=flag)",
    "F.avg_pool2d(lib.ones(1, 2, 5, 5), 2, count_include_pad=flag)",
    "F.batch_norm(lib.ones(2, 2, 3), lib.zeros(2), lib.ones(2), training=flag)",
    "F.instance_norm(lib.ones(2, 2, 3), use_input_stats=flag)",
    "F.grid_sample(lib.ones(1, 1, 3, 3), lib.zeros(1, 2, 2, 2), align_corners=flag)",
    "F.affine_grid(lib.ones(1, 2, 3), (1, 1, 2, 2), align_corners=flag)",
    "F.affine_grid(lib.ones(1, 2, 3), (1, 1, 2.0, 2), align_corners=flag)",
    "lib.nn.MaxPool2d(2, ceil_mode=flag)(lib.ones(1, 2, 5, 5))",
])
@pytest.mark.parametrize("flag", ["np.bool_(True)", "1", "True"])
def test_numpy_bools_are_refused_for_bool_parameters(call, flag):
    assert_same_outcome(lambda lib: eval(call, {"lib": lib, "F": F(lib), "flag": eval(flag, {"np": np})}))


# ---------------------------------------------------------------------------- nn.modules.utils
@pytest.mark.parametrize("name", ["_single", "_pair", "_triple", "_quadruple"])
@pytest.mark.parametrize("value", [2, (1, 2), [3], "ab", None, 2.5, (1, 2, 3, 4, 5), range(3)])
def test_modules_utils_ntuples(name, value):
    import torch.nn.modules.utils as theirs
    import torchless.nn.modules.utils as ours

    assert getattr(ours, name)(value) == getattr(theirs, name)(value)
    assert getattr(ours, name).__name__ == getattr(theirs, name).__name__


def test_modules_utils_helpers():
    import torch.nn.modules.utils as theirs
    import torchless.nn.modules.utils as ours

    assert ours.__all__ == theirs.__all__
    for t, n in [((1, 2), 2), ((1, 2, 3), 1), ((), 3), ([4, 5], 2)]:
        assert ours._reverse_repeat_tuple(t, n) == theirs._reverse_repeat_tuple(t, n)
    for out_size, defaults in [(3, (1, 2, 4, 4)), ((None, 3), (1, 2, 4, 5)), ((2, None), (1, 2, 4, 5)),
                               ((None,) * 4, (1, 2, 3, 4)), ((1, 2), (1, 2))]:
        expected, actual = (outcome(lambda m=m: m._list_with_default(out_size, defaults)) for m in (theirs, ours))
        assert actual == expected


def test_consume_prefix_of_a_wrapped_model_state_dict():
    import torch.nn.modules.utils as theirs
    import torchless.nn.modules.utils as ours

    def state_dict(lib):
        wrapper = lib.nn.Module()
        wrapper.module = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2))
        return wrapper.state_dict()

    expected, actual = state_dict(torch), state_dict(torchless)
    theirs.consume_prefix_in_state_dict_if_present(expected, "module.")
    ours.consume_prefix_in_state_dict_if_present(actual, "module.")
    assert list(actual.keys()) == list(expected.keys())
    assert dict(actual._metadata) == dict(expected._metadata)
    model = torchless.nn.Sequential(torchless.nn.Conv2d(1, 2, 3), torchless.nn.BatchNorm2d(2))
    model.load_state_dict(actual)
    plain = {"a.x": 1, "module.b": 2, "modulec": 3}
    expected_plain = dict(plain)
    theirs.consume_prefix_in_state_dict_if_present(expected_plain, "module.")
    ours.consume_prefix_in_state_dict_if_present(plain, "module.")
    assert list(plain.items()) == list(expected_plain.items())


@pytest.mark.parametrize("kernel_size", [2, (2,), [2], "tensor", (2, 2), "ab"])
def test_avg_pool1d_module_arguments_through_single(kernel_size):
    def call(lib):
        module = lib.nn.AvgPool1d(lib.tensor(2) if kernel_size == "tensor" else kernel_size)
        return module(lib.ones(1, 2, 6)), lib.tensor(len(repr(module)))

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- private bases of the layers
@pytest.mark.parametrize("module_name", ["pooling", "padding", "conv", "batchnorm", "instancenorm", "normalization",
                                         "dropout", "upsampling", "fold", "pixelshuffle", "flatten"])
def test_layer_class_hierarchy(module_name):
    import importlib
    import inspect

    theirs = importlib.import_module(f"torch.nn.modules.{module_name}")
    ours = importlib.import_module(f"torchless.nn.modules.{module_name}")
    classes = {name for name, value in vars(theirs).items()
               if inspect.isclass(value) and value.__module__ == theirs.__name__
               and name not in ("_ConvTransposeMixin", "CrossMapLRN2d")}
    for name in sorted(classes):
        assert hasattr(ours, name), name
        their_bases = {b.__name__ for b in getattr(theirs, name).__mro__[1:] if b.__name__ in classes}
        our_bases = {b.__name__ for b in getattr(ours, name).__mro__[1:] if b.__name__ in classes}
        assert our_bases == their_bases, name


# ---------------------------------------------------------------------------- nn.common_types
def test_common_types_aliases():
    import torch.nn.common_types as theirs
    import torchless.nn.common_types as ours

    names = [name for name in vars(theirs) if name.startswith("_") and not name.startswith("__")
             and name != "_TypeAlias"]
    assert names
    for name in names:
        assert repr(getattr(ours, name)).replace("torchless.", "torch.") == repr(getattr(theirs, name)), name


# ---------------------------------------------------------------------------- ConvTranspose._output_padding
@pytest.mark.parametrize("args", [
    "(x, [9, 9], [2, 2], [0, 0], [3, 3], 2, [1, 1])", "(x, None, [2, 2], [0, 0], [3, 3], 2)",
    "(x, (1, 3, 10, 10), [2, 2], [0, 0], [3, 3], 2)", "(x[0], [10, 9], [2, 2], [1, 0], [3, 3], 2, [2, 1])",
    "(x, [20, 20], [2, 2], [0, 0], [3, 3], 2)", "(x, [9], [2, 2], [0, 0], [3, 3], 2)",
])
def test_conv_transpose_output_padding_signature(args):
    def call(lib):
        module = lib.nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1)
        return lib.tensor(eval(f"module._output_padding{args}", {"module": module, "x": lib.ones(1, 2, 4, 4)}))

    assert_same_outcome(call)
