"""Regression tests from the sixth shapes fuzz (conv, pool and resampling shapes and arguments), each
against PyTorch."""

import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(lib, fn, *arrays, dtype=None):
    """(result as NumPy arrays) or (exception type name, message) of ``fn(lib, *tensors)``."""
    tensors = [lib.tensor(a) if dtype is None else lib.tensor(a, dtype=getattr(lib, dtype)) for a in arrays]
    try:
        out = fn(lib, *tensors)
    except Exception as error:  # noqa: BLE001 - the error itself is compared
        return type(error).__name__, str(error).replace("torchless.", "torch.")
    outs = out if isinstance(out, tuple) else (out,)
    return [o.detach().numpy() for o in outs]


def _assert_same(fn, *arrays, dtype=None, equal_nan=True):
    expected = _outcome(torch, fn, *arrays, dtype=dtype)
    got = _outcome(torchless, fn, *arrays, dtype=dtype)
    if isinstance(expected, tuple):
        assert got == expected
        return
    assert not isinstance(got, tuple), got
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape and g.dtype == e.dtype
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, equal_nan=equal_nan)


# ---------------------------------------------------------------------------- fractional_max_pool3d checks


@pytest.mark.parametrize("kernel, output_size", [
    ((3, 3, 2), (2, 1, 3)),   # height and width both too large: the width is reported
    ((1, 3, 3), (1, 3, 3)),
    ((3, 3, 3), (3, 3, 3)),   # time first
    ((1, 3, 1), (1, 3, 1)),   # height alone
    ((1, 1, 3), (1, 1, 3)),   # width alone
])
def test_fractional_max_pool3d_checks_width_before_height(kernel, output_size):
    x = np.random.default_rng(0).standard_normal((1, 2, 8, 3, 3)).astype(np.float32)
    samples = np.full((1, 2, 3), 0.5, np.float32)
    _assert_same(lambda T, x, s: T.nn.functional.fractional_max_pool3d(x, kernel, output_size=output_size,
                                                                      _random_samples=s), x, samples)


# ---------------------------------------------------------------------------- convolution errors


@pytest.mark.parametrize("input_bool", [False, True])
def test_conv_dtype_mismatch_names_a_bool_tensor_as_pytorch_prints_it(input_bool):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, 5, 6)).astype(np.float32)
    w = rng.standard_normal((3, 2, 2, 2)).astype(np.float32)
    if input_bool:
        fn = lambda T, x, w: T.nn.functional.conv2d(x.bool(), w)  # noqa: E731
    else:
        fn = lambda T, x, w: T.nn.functional.conv2d(x, w.bool())  # noqa: E731
    _assert_same(fn, x, w)


@pytest.mark.parametrize("dim", [1, 2])  # 3-D had both checks already
@pytest.mark.parametrize("batch, groups, kernel, dtype", [
    (1, 1, 1, "float64"), (1, 2, 2, "float64"), (2, 1, 2, "float64"),   # reference backend
    (1, 1, 2, "float32"),                                                 # reference backend in float32
    (2, 1, 1, "float32"), (1, 2, 1, "float32"), (1, 1, 4, "float32"),    # oneDNN
])
def test_conv_transpose_with_no_output_channels(dim, batch, groups, kernel, dtype):
    x = np.ones([batch, 2 * groups] + [3, 5, 4][:dim])
    w = np.ones([2 * groups, 0] + [kernel] * dim)
    _assert_same(lambda T, x, w: getattr(T.nn.functional, f"conv_transpose{dim}d")(x, w, groups=groups),
                 x, w, dtype=dtype)


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("channels", [1, 2])
def test_same_padding_of_an_empty_kernel_crops_an_empty_dimension(dim, channels):
    x = np.ones([1, channels] + [3] * (dim - 1) + [0], np.float32)
    w = np.ones([1, 1] + [2] * (dim - 1) + [0], np.float32)
    _assert_same(lambda T, x, w: getattr(T.nn.functional, f"conv{dim}d")(x, w, padding="same"), x, w)


# ---------------------------------------------------------------------------- interpolation of infinite values


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode, in_size, out_size", [
    ("linear", (10,), (10,)),
    ("bilinear", (6, 5), (6, 5)),
    ("bilinear", (6, 5), (6, 9)),      # rows keep their size
    ("bilinear", (6, 5), (11, 5)),     # columns keep their size
    ("trilinear", (3, 4, 5), (3, 7, 5)),
    ("trilinear", (3, 4, 5), (3, 4, 5)),
])
def test_linear_interpolation_along_an_unchanged_axis_makes_infinities_nan(dtype, align_corners, mode, in_size,
                                                                          out_size):
    x = np.random.default_rng(2).standard_normal((1, 2) + in_size)
    flat = x.reshape(-1)
    flat[3], flat[7], flat[-2] = np.inf, -np.inf, np.nan
    _assert_same(lambda T, x: T.nn.functional.interpolate(x, size=out_size, mode=mode, align_corners=align_corners),
                 x, dtype=dtype)


def test_linear_interpolation_of_infinities_is_differentiable_as_before():
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    x[0, 0, 1, 2] = np.inf
    g = np.random.default_rng(3).standard_normal((1, 1, 3, 7))
    grads = []
    for lib in (torch, torchless):
        t = lib.tensor(x, requires_grad=True)
        lib.nn.functional.interpolate(t, size=(3, 7), mode="bilinear").backward(lib.tensor(g))
        grads.append(t.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode, shape, size", [
    ("bilinear", (1, 1, 7, 1), (4, 5)),
    ("bilinear", (1, 1, 6, 1), (9, 9)),
    ("linear", (1, 1, 1), (5,)),
    ("linear", (1, 1, 2), (10,)),
    ("bicubic", (1, 1, 3, 2), (7, 10)),
    ("trilinear", (1, 1, 2, 1, 3), (5, 5, 5)),
])
def test_float32_source_indices_are_fused_multiply_adds(mode, shape, size):
    # A weight of exactly 0 (separately rounded) or of a few 1e-9 (fused) decides whether an
    # infinite input gives inf or NaN there.
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[::2] = np.inf
    _assert_same(lambda T, x: T.nn.functional.interpolate(x, size=size, mode=mode), x)



# ---------------------------------------------------------------------------- unfold of a 0-d or 1-d input


@pytest.mark.parametrize("shape", [(), (5,), (0,)])
@pytest.mark.parametrize("kernel_size", [2, (2, 2, 2), 0])
@pytest.mark.parametrize("grad_enabled", [True, False])
def test_unfold_of_a_low_rank_input_requiring_grad(shape, kernel_size, grad_enabled):
    errors = []
    for lib in (torch, torchless):
        x = lib.zeros(shape, requires_grad=True)
        with lib.set_grad_enabled(grad_enabled):
            with pytest.raises(Exception) as info:
                lib.nn.functional.unfold(x, kernel_size)
        errors.append((info.type.__name__, str(info.value)))
    assert errors[1] == errors[0]


# ---------------------------------------------------------------------------- outputs too large to allocate

_HUGE = 3037000500  # its square exceeds the int64 range


@pytest.mark.parametrize("call", [
    lambda T: T.nn.functional.adaptive_avg_pool1d(T.zeros(2, 3, 4), _HUGE * _HUGE // 4),
    lambda T: T.nn.functional.adaptive_avg_pool2d(T.zeros(2, 3, 4, 5), (_HUGE, _HUGE)),
    lambda T: T.nn.functional.adaptive_avg_pool2d(T.zeros(2, 3, 4, 5), (2 ** 30, 2 ** 30)),  # elements fit, bytes not
    lambda T: T.nn.functional.adaptive_avg_pool3d(T.zeros(2, 3, 4, 5, 6), (_HUGE, _HUGE, 2)),
    lambda T: T.nn.functional.adaptive_max_pool1d(T.zeros(2, 3, 4), _HUGE * _HUGE // 4),
    lambda T: T.nn.functional.adaptive_max_pool2d(T.zeros(3, 4, 5), (_HUGE, _HUGE)),
    lambda T: T.nn.functional.adaptive_max_pool3d(T.zeros(2, 3, 4, 5, 6), (_HUGE, _HUGE, 2)),
    lambda T: T.nn.functional.interpolate(T.zeros(2, 3, 4), size=_HUGE * _HUGE // 4),
    lambda T: T.nn.functional.interpolate(T.zeros(1, 1, 2, 2, 2), size=(_HUGE, _HUGE, 2), mode="trilinear"),
    lambda T: T.nn.functional.interpolate(T.zeros(1, 1, 2, 2), size=(_HUGE, _HUGE), mode="bilinear", antialias=True),
    lambda T: T.nn.functional.interpolate(T.zeros(2, 3, 4, 4, dtype=T.float16), size=(2 ** 30, 2 ** 31)),
    lambda T: T.nn.functional.interpolate(T.zeros(2, 3, 4, 5), scale_factor=1e9, mode="area"),
    lambda T: T.nn.functional.interpolate(T.zeros(2, 3, 4, 5), scale_factor=1e9, mode="bicubic"),
    lambda T: T.nn.functional.interpolate(T.zeros(2, 3, 4, 5, dtype=T.int64), size=(_HUGE, _HUGE)),  # before dtype
])
def test_outputs_too_large_fail_at_allocation_as_in_pytorch(call):
    errors = []
    for lib in (torch, torchless):
        with pytest.raises(Exception) as info:
            call(lib)
        errors.append((info.type.__name__, str(info.value)))
    assert errors[1] == errors[0]


# ---------------------------------------------------------------------------- pooling sizes beyond a C int

_BEYOND_INT = (2 ** 31, -2 ** 31 - 1, 2 ** 40)


def _pool_call(name, argument, value, form):
    def call(T):
        dim = int(name[-2])
        x = T.zeros((1, 1) + (4,) * dim)
        kwargs = {"kernel_size": 2, "stride": 1, "padding": 0}
        if name.startswith("max"):
            kwargs["dilation"] = 1
        kwargs[argument] = value if form == "int" else (1,) * (dim - 1) + (value,)
        return getattr(T.nn.functional, name)(x, **kwargs)
    return call


_POOL_CASES = [(name, argument, value, form)
               for name in ("max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d")
               for argument in ("kernel_size", "stride", "padding", "dilation")
               if not (argument == "dilation" and name.startswith("avg"))
               for value in _BEYOND_INT
               for form in (("int",) if name.endswith("1d") else ("int", "tuple"))]


@pytest.mark.parametrize("name, argument, value, form", _POOL_CASES)
def test_pooling_sizes_beyond_a_c_int(name, argument, value, form):
    errors = []
    for lib in (torch, torchless):
        with pytest.raises(Exception) as info:
            _pool_call(name, argument, value, form)(lib)
        errors.append((info.type.__name__, str(info.value)))
    assert errors[1] == errors[0]


@pytest.mark.parametrize("call", [
    lambda T: T.nn.functional.max_pool2d(T.zeros(1, 1, 4, 4), 2 ** 31, stride=(1, 1, 1)),  # before the stride's length
    lambda T: T.nn.functional.max_pool2d(T.zeros(1, 1, 4, 4), (2 ** 31, 1, 1)),             # after the kernel's
    lambda T: T.nn.functional.max_pool2d(T.zeros(4), 2 ** 31),                               # before the rank
    lambda T: T.nn.functional.avg_pool2d(T.zeros(1, 1, 4, 4), 2 ** 31, divisor_override=0),
    lambda T: T.nn.functional.avg_pool1d(T.zeros(4), 2 ** 31),                               # after the rank
    lambda T: T.nn.functional.max_pool3d(T.zeros(1, 1, 4, 4, 4), 2 ** 31, stride=(1, 1)),
    lambda T: T.nn.functional.lp_pool2d(T.zeros(1, 1, 4, 4), 2, 2 ** 31),
    lambda T: T.nn.functional.max_pool1d(T.zeros(1, 1, 4), 2, 2 ** 31, return_indices=True),
    lambda T: T.nn.functional.max_pool1d(T.zeros(1, 1, 4, requires_grad=True), 2, 2 ** 31),
    lambda T: T.nn.functional.max_unpool2d(T.zeros(1, 1, 4, 4), T.zeros(1, 1, 4, 4, dtype=T.int64), 2 ** 31),
])
def test_pooling_size_errors_in_pytorch_order(call):
    errors = []
    for lib in (torch, torchless):
        with pytest.raises(Exception) as info:
            call(lib)
        errors.append((info.type.__name__, str(info.value)))
    assert errors[1] == errors[0]


# ---------------------------------------------------------------------------- max pooling with one window along an axis


@pytest.mark.parametrize("name, shape", [("max_pool1d", (1, 2, 4)), ("max_pool2d", (1, 2, 4, 5)),
                                         ("max_pool3d", (1, 2, 3, 4, 5))])
@pytest.mark.parametrize("stride", [10 ** 6, 2 ** 31 - 1])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pooling_with_a_huge_stride_has_one_window(name, shape, stride, ceil_mode):
    x = np.random.default_rng(6).standard_normal(shape)
    results = []
    for lib in (torch, torchless):
        t = lib.tensor(x, requires_grad=True)
        y, indices = getattr(lib.nn.functional, name)(t, 2, stride, ceil_mode=ceil_mode, return_indices=True)
        y.sum().backward()
        results.append((y.detach().numpy(), indices.numpy(), t.grad.numpy()))
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------------------- affine_grid of an empty batch


@pytest.mark.parametrize("size", [[0, 2, 1, 5], [0, 1, 3, 4], [0, 2, 1, 1, 2], [0, 1, 4, 1, 3]])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_of_an_empty_batch_is_differentiable(size, align_corners):
    # PyTorch lets an empty size through only with align_corners and a spatial size of 1 (it skips its
    # size check for the warning about that case)
    spatial = len(size) - 2
    results = []
    for lib in (torch, torchless):
        theta = lib.zeros(0, spatial, spatial + 1, requires_grad=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                grid = lib.nn.functional.affine_grid(theta, size, align_corners=align_corners)
        except ValueError as error:
            results.append(str(error))
            continue
        grid.sum().backward()
        results.append((tuple(grid.shape), tuple(theta.grad.shape)))
    assert results[1] == results[0]
