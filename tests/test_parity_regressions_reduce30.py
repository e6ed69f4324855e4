"""Parity regressions of session 30's fuzz of reductions, sorting and type promotion (var_mean's Welford mean of
infinities, complex var, histc's bins and range, quantile's order of checks and its gathered interpolations)."""
import numpy as np
import pytest

import torchless
from helpers import assert_raises_as_torch

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")


def _pair(array):
    return torch.from_numpy(np.array(array)), torchless.from_numpy(np.array(array))


def _same(got, expected):
    assert tuple(got.shape) == tuple(expected.shape)
    assert str(got.dtype) == str(expected.dtype).replace("torch", "torchless")
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def _same_outcome(torch_call, torchless_call):
    """The same result (exactly), or the same exception."""
    try:
        expected = torch_call()
    except Exception:
        assert_raises_as_torch(torch_call, torchless_call)
    else:
        _same(torchless_call(), expected)


# ---------------------------------------------------------------------------- var_mean / std_mean
@pytest.mark.parametrize("function", ["var_mean", "std_mean"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape, position, dim", [
    ((5,), (4,), None), ((5,), (2,), None), ((5,), (0,), 0), ((3, 4), (2, 0), 0), ((3, 4), (0, 3), 0),
    ((3, 4), (0, 3), 1), ((3, 4), (1, 1), (0, 1)), ((3, 4), (2, 3), (0, 1)), ((3, 4, 5), (2, 3, 4), (0, 2)),
    ((3, 4, 5), (2, 0, 4), (0, 2)), ((2, 3), (1, 2), ())])
@pytest.mark.parametrize("value", [INF, -INF])
def test_var_mean_takes_pytorchs_welford_mean_of_an_infinity(function, dtype, shape, position, dim, value):
    # The running mean m += (x - m) / k keeps an infinity only when it comes last; any later value makes it NaN
    data = np.arange(np.prod(shape), dtype=dtype).reshape(shape) / 7
    data[position] = value
    t, u = _pair(data)
    for keepdim in (False, True):
        expected = getattr(torch, function)(t, dim, keepdim=keepdim)
        got = getattr(torchless, function)(u, dim, keepdim=keepdim)
        np.testing.assert_allclose(got[1].numpy(), expected[1].numpy(), rtol=1e-6)  # (inf and NaN exactly)
        np.testing.assert_array_equal(np.isnan(got[0].numpy()), np.isnan(expected[0].numpy()))


def test_var_mean_of_two_infinities_or_a_nan_is_nan():
    for row in ([INF, INF], [1.0, -INF, INF], [NAN, INF], [INF, NAN], [1.0, 2.0, INF, INF]):
        t, u = _pair(np.array(row, np.float32))
        np.testing.assert_array_equal(torchless.var_mean(u)[1].numpy(), torch.var_mean(t)[1].numpy())


@pytest.mark.parametrize("row", [[1 + 1j, 2 + 1j, complex(1, INF)], [complex(1, INF), 1 + 1j, 2 + 1j],
                                 [complex(INF, 1), 1 + 1j, 2 + 1j], [complex(-INF, INF), 1 + 1j, 2 + 1j]])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_var_mean_takes_each_parts_welford_mean(row, dtype):
    t, u = _pair(np.array(row, dtype))
    expected, got = torch.var_mean(t), torchless.var_mean(u)
    np.testing.assert_array_equal(got[1].numpy(), expected[1].numpy())
    np.testing.assert_array_equal(got[0].numpy(), expected[0].numpy())


@pytest.mark.parametrize("function", ["var", "std"])
@pytest.mark.parametrize("correction", [2, 3])
def test_complex_variance_without_degrees_of_freedom_adds_each_parts_division(function, correction):
    # real parts [1, 1] (spread 0: 0 / 0, NaN), imaginary parts [0, 2] (x / 0, inf): PyTorch adds the two
    data = np.array([[1 + 0j, 1 + 1j, 2 + 0j], [1 + 2j, 3 + 1j, 2 + 0j]], np.complex64)
    t, u = _pair(data)
    with pytest.warns(UserWarning):
        got = getattr(torchless, function)(u, 0, correction=correction)
    expected = getattr(torch, function)(t, 0, correction=correction)
    _same(got, expected)


@pytest.mark.parametrize("function", ["var", "std"])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_variance_is_the_sum_of_the_parts_variances(function, dtype):
    rng = np.random.default_rng(3)
    data = (rng.standard_normal((7, 9, 5)) + 1j * rng.standard_normal((7, 9, 5))).astype(dtype) * 10
    t, u = _pair(data)
    for dim in (0, 1, (0, 2), None):
        expected = getattr(torch, function)(t, dim)
        got = getattr(torchless, function)(u, dim)
        assert str(got.dtype) == str(expected.dtype).replace("torch", "torchless")
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=4 * np.finfo(got.numpy().dtype).eps)
        # (and against the definition, in float64)
        exact = data.astype(np.complex128)
        spread = np.abs(exact - exact.mean(dim, keepdims=True)) ** 2
        reference = spread.sum(dim) / (spread.size / np.asarray(spread.sum(dim)).size - 1)
        np.testing.assert_allclose(got.numpy(), np.sqrt(reference) if function == "std" else reference, rtol=1e-5)


# ---------------------------------------------------------------------------- histc
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("value", [1e30, 3e38, -3.4e38, 1e300, 6e4, 65504.0, 0.1, 0.0, -7.0])
@pytest.mark.parametrize("bins", [1, 2, 4, 5])
def test_histc_of_one_value_widens_its_range_to_the_neighbouring_numbers(dtype, value, bins):
    # float32/float64: [nextafter(v, -max), nextafter(v, max)] at least (a large value's +-1 rounds back to it)
    with np.errstate(over="ignore"):
        data = np.full(3, value).astype(dtype)
    t, u = _pair(data)
    _same_outcome(lambda: torch.histc(t, bins), lambda: torchless.histc(u, bins))


@pytest.mark.parametrize("row", [[-INF], [INF], [NAN], [NAN, 1.0], [1.0, NAN, 2.0], [-INF, 1.0], [INF, INF]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histc_of_a_non_finite_range_names_it_as_pytorch(row, dtype):
    t, u = _pair(np.array(row, dtype))
    assert_raises_as_torch(lambda: torch.histc(t, 5), lambda: torchless.histc(u, 5))


@pytest.mark.parametrize("low, high", [(NAN, NAN), (INF, 0.0), (0.0, -INF), (1.0, 0.0)])
def test_histc_checks_the_range_is_finite_before_its_order(low, high):
    t, u = _pair(np.array([0.5, 1.5], np.float32))
    assert_raises_as_torch(lambda: torch.histc(t, 3, low, high), lambda: torchless.histc(u, 3, low, high))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3, 1e4])
@pytest.mark.parametrize("bins", [3, 7, 10])
def test_histc_bins_as_pytorchs_kernel_in_the_input_dtype(dtype, scale, bins):
    # (value - low) * bins / (high - low) in the input's dtype: float16's overflow lands in bin 0, as on x86
    rng = np.random.default_rng(bins)
    data = (rng.standard_normal(200) * scale).astype(dtype)
    data[:12] = np.linspace(float(data.min()), float(data.max()), 12).astype(dtype)  # (values on the edges)
    t, u = _pair(data)
    for low_high in ((0, 0), (-scale, scale), (float(data[3]), float(data[9]))):
        _same(torchless.histc(u, bins, *low_high), torch.histc(t, bins, *low_high))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_histc_range_wider_than_the_dtype_counts_nothing(dtype):
    # linspace's step (high - low) / bins overflows: its edges start + inf * 0 are NaN
    high = 6e4 if dtype == np.float16 else 3e38
    t, u = _pair(np.array([0.5, high, -high, 0.0], dtype))
    for bins in (1, 3):
        _same(torchless.histc(u, bins, -high, high), torch.histc(t, bins, -high, high))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "float16", "float32"])
@pytest.mark.parametrize("low, high", [(-200, 0), (0, 300), (-40000, 0), (0, 3e9), (0, 1e19), (0, 1e39), (0, 7e4)])
def test_histc_refuses_a_range_beyond_the_input_dtype(dtype, low, high):
    t, u = _pair(np.array([1], dtype))
    _same_outcome(lambda: torch.histc(t, 3, low, high), lambda: torchless.histc(u, 3, low, high))


# ---------------------------------------------------------------------------- quantile
@pytest.mark.parametrize("function", ["quantile", "nanquantile"])
@pytest.mark.parametrize("q", [1.5, -0.5])
def test_quantile_checks_a_number_q_before_the_interpolation(function, q):
    t, u = _pair(np.array([1.0, 2.0], np.float32))
    assert_raises_as_torch(lambda: getattr(torch, function)(t, q, interpolation="bad"),
                     lambda: getattr(torchless, function)(u, q, interpolation="bad"))


@pytest.mark.parametrize("function", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("q", [0.0, 0.3, 0.5, 1.0])
def test_quantile_of_infinities(function, interpolation, q):
    # lower/higher/nearest gather the element (an infinity stays one); linear and midpoint lerp (inf - inf: NaN)
    data = np.array([[-INF, 1.0, 2.0, INF], [-INF, -INF, 0.0, 1.0], [INF, INF, INF, INF], [-INF, NAN, 3.0, 4.0]])
    for dtype in (np.float32, np.float64):
        t, u = _pair(data.astype(dtype))
        for dim in (None, 1):
            expected = getattr(torch, function)(t, q, dim, interpolation=interpolation)
            _same(getattr(torchless, function)(u, q, dim, interpolation=interpolation), expected)


def test_gathered_quantile_gradient_goes_to_the_selected_element():
    data = np.array([[3.0, 1.0, 2.0, 5.0], [0.5, 0.25, 4.0, -1.0]])
    for interpolation in ("lower", "higher", "nearest", "midpoint", "linear"):
        t = torch.tensor(data, requires_grad=True)
        u = torchless.tensor(data, requires_grad=True)
        torch.quantile(t, torch.tensor([0.2, 0.7], dtype=torch.float64), 1, interpolation=interpolation).sum(
            ).backward()
        torchless.quantile(u, torchless.tensor([0.2, 0.7], dtype=torchless.float64), 1,
                           interpolation=interpolation).sum().backward()
        np.testing.assert_allclose(u.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("function", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("row", [[1.0, NAN, 2.0, 3.0], [NAN, 1.0, NAN, 2.0], [NAN, NAN, NAN], [NAN]])
def test_quantile_gradient_of_a_row_with_nan(function, interpolation, row):
    # quantile takes a NaN row's last sorted element (its last NaN), nanquantile an all-NaN row's first
    q = [0.3, 0.8]
    t = torch.tensor(row, dtype=torch.float64, requires_grad=True)
    u = torchless.tensor(row, dtype=torchless.float64, requires_grad=True)
    expected = getattr(torch, function)(t, torch.tensor(q, dtype=torch.float64), interpolation=interpolation)
    got = getattr(torchless, function)(u, torchless.tensor(q, dtype=torchless.float64), interpolation=interpolation)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    expected.sum().backward()
    got.sum().backward()
    np.testing.assert_allclose(u.grad.numpy(), t.grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("value", [-INF, INF, NAN, 1.5])
@pytest.mark.parametrize("create_graph", [False, True])
def test_logcumsumexp_of_a_zero_dim_tensor_passes_the_gradient_through(value, create_graph):
    t = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    u = torchless.tensor(value, dtype=torchless.float64, requires_grad=True)
    expected, = torch.autograd.grad(torch.logcumsumexp(t, 0) * 3, t, create_graph=create_graph)
    got, = torchless.autograd.grad(torchless.logcumsumexp(u, 0) * 3, u, create_graph=create_graph)
    assert got.item() == expected.item() == 3.0


@pytest.mark.parametrize("function", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("value", [-INF, INF, NAN, 1.5])
def test_variance_gradient_without_degrees_of_freedom_compares_x_with_its_mean(function, value):
    # 2 / 0 * (x - mean): PyTorch's where(x == mean, nan, inf), so an infinite x (x - mean NaN) gets NaN, a NaN inf
    t = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    u = torchless.tensor(value, dtype=torchless.float64, requires_grad=True)
    for x, module in ((t, torch), (u, torchless)):
        out = getattr(module, function)(x)
        (out if function in ("var", "std") else out[0]).backward()
    np.testing.assert_array_equal(u.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("data, dim", [
    ([0.0], None), ([0.0, 1.0], None), ([2.0], None), ([[0.0]], 0), ([[0.0, 2.0]], 0), ([[0.0, 2.0]], 1),
    ([[1.0, 2.0], [3.0, 0.0]], 1), ([[1.0, 2.0], [3.0, 4.0]], 0), ([[1.5, -2.0, 0.5]], None)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod_double_backward_graph_as_pytorchs(data, dim, keepdim):
    # no zero: grad * (result / input); a zero: products of the others, except a product of one element, whose
    # gradient PyTorch passes as it is (constant: no second derivative)
    results = []
    for module in (torch, torchless):
        x = module.tensor(data, dtype=module.float64, requires_grad=True)
        y = module.prod(x) if dim is None else module.prod(x, dim, keepdim)
        g, = module.autograd.grad((y * 3).sum(), x, create_graph=True)
        second = module.autograd.grad((g * g).sum(), x, allow_unused=True)[0] if g.requires_grad else None
        results.append((g.tolist(), g.requires_grad, type(g.grad_fn).__name__,
                        None if second is None else second.tolist()))
    assert results[1][:3] == results[0][:3]
    if results[0][3] is not None:
        np.testing.assert_allclose(results[1][3], results[0][3], rtol=1e-12)


# ---------------------------------------------------------------------------- histogram / histogramdd
def _histogram_outcome(module, name, data, bins, **kwargs):
    x = module.from_numpy(np.array(data))
    if isinstance(bins, np.ndarray):
        bins = module.from_numpy(bins.copy())
        bins = [bins] * (x.shape[-1] if name == "histogramdd" else 1) if name == "histogramdd" else bins
    if "weight" in kwargs:
        kwargs["weight"] = module.from_numpy(np.array(kwargs["weight"]))
    hist, edges = getattr(module, name)(x, bins, **kwargs)
    return hist, edges if name == "histogram" else tuple(edges)


def _same_histogram(name, data, bins, **kwargs):
    try:
        expected = _histogram_outcome(torch, name, data, bins, **dict(kwargs))
    except Exception:
        assert_raises_as_torch(lambda: _histogram_outcome(torch, name, data, bins, **dict(kwargs)),
                         lambda: _histogram_outcome(torchless, name, data, bins, **dict(kwargs)))
        return
    got = _histogram_outcome(torchless, name, data, bins, **dict(kwargs))
    _same(got[0], expected[0])
    for g, e in zip(got[1] if name == "histogramdd" else [got[1]], expected[1] if name == "histogramdd" else
                    [expected[1]]):
        _same(g, e)


_POINTS = np.array([[0.5, -1.0], [2.0, 0.25], [1.0, 1.0], [3.0, -0.5], [0.0, 2.0]], np.float32)


@pytest.mark.parametrize("name", ["histogram", "histogramdd"])
@pytest.mark.parametrize("case", [
    dict(bins=3), dict(bins=0), dict(bins=-1), dict(bins=-2), dict(bins=2, range=(0.0, 1.0, -1.0, 1.0)),
    dict(bins=2, range=(0.0, 1.0)), dict(bins=2, range=(0.0,)), dict(bins=2, range=(1.0, 0.0, 0.0, 1.0)),
    dict(bins=2, range=(0.0, INF, 0.0, 1.0)), dict(bins=3, density=True),
    dict(bins=np.array([0.0, 1.0, 2.5], np.float32)), dict(bins=np.array([0.5], np.float32)),
    dict(bins=np.array([], np.float32)), dict(bins=np.array(1.0, np.float32)),
    dict(bins=np.array([0.0, 1.0], np.float64)), dict(bins=np.array([0.0, 1.0], np.int64)),
    dict(bins=np.array([2], np.int64)), dict(bins=3, weight=np.ones(5, np.float64)),
    dict(bins=3, weight=np.arange(5, dtype=np.float32)), dict(bins=3, weight=np.ones(4, np.float32)),
    dict(bins=3, weight=np.float32(2.0))])
def test_histograms_check_as_aten_and_count_alike(name, case):
    # (histogram bins the values as histogramdd bins points of one coordinate: ATen's checks, in its order)
    case = dict(case)
    bins = case.pop("bins")
    if name == "histogram" and isinstance(case.get("range"), tuple) and len(case["range"]) == 4:
        case["range"] = case["range"][:2]
    if name == "histogram" and "weight" in case and np.ndim(case["weight"]) == 1 and len(case["weight"]) == 5:
        case["weight"] = np.concatenate([case["weight"], case["weight"]])
    if isinstance(bins, np.ndarray) and bins.ndim == 1 and bins.dtype == np.int64 and len(bins) == 1 and \
            name == "histogram":
        return  # (torch.histogram's Tensor overload: no one-element integer tensor reading there)
    _same_histogram(name, _POINTS, bins, **case)


@pytest.mark.parametrize("dtype", [np.int64, np.float16, np.complex64, np.bool_])
@pytest.mark.parametrize("name", ["histogram", "histogramdd"])
@pytest.mark.parametrize("ranged", [False, True])
def test_histograms_of_unsupported_dtypes_fail_where_aten_does(dtype, name, ranged):
    data = _POINTS.astype(dtype)
    kwargs = {"range": (0.0, 1.0) if name == "histogram" else (0.0, 1.0, 0.0, 1.0)} if ranged else {}
    _same_histogram(name, data, 2, **kwargs)


def test_histogram_of_edges_takes_no_range():
    t, u = _pair(_POINTS)
    assert_raises_as_torch(lambda: torch.histogram(t, torch.tensor([0.0, 1.0]), range=(0.0, 1.0)),
                     lambda: torchless.histogram(u, torchless.tensor([0.0, 1.0]), range=(0.0, 1.0)))


@pytest.mark.parametrize("data", [[[NAN, 1.0]], [[-INF, 1.0], [0.0, 2.0]], [[0.123456789, INF]]])
def test_histogramdd_prints_a_non_finite_range_as_cpp(data):
    t, u = _pair(np.array(data, np.float32))
    assert_raises_as_torch(lambda: torch.histogramdd(t, 2), lambda: torchless.histogramdd(u, 2))


# ---------------------------------------------------------------------------- unique
@pytest.mark.parametrize("size", [5, 23, 80, 300])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_unique_orders_each_nan_as_pytorchs_unstable_sort(size, dtype):
    # each NaN is a value of its own: its place among the others (the inverse) is where torch.sort puts it
    rng = np.random.default_rng(size)
    data = rng.standard_normal(size).astype(dtype)
    data[rng.integers(0, size, max(2, size // 5))] = np.nan
    data[::7] = 0.5
    t, u = _pair(data)
    for sorted_ in (True, False):
        expected = torch.unique(t, sorted=sorted_, return_inverse=True, return_counts=True)
        got = torchless.unique(u, sorted=sorted_, return_inverse=True, return_counts=True)
        for g, e in zip(got, expected):
            _same(g, e)


# ---------------------------------------------------------------------------- searchsorted / bucketize
@pytest.mark.parametrize("boundaries", [[1.0, NAN, 3.0], [NAN, 1.0, 2.0], [1.0, 2.0, NAN], [1.0, 2.0, 3.0], [],
                                        [3.0, 1.0, 2.0, 0.0, 5.0]])
@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_searchsorted_is_pytorchs_binary_search(boundaries, right, dtype):
    # a NaN boundary compares as lower than every value, a NaN value lands past every boundary
    values = np.array([0.0, 1.0, 1.5, 2.0, 3.0, 4.0, NAN, -INF, INF], dtype)
    t, u = _pair(np.array(boundaries, dtype))
    tv, uv = _pair(values)
    _same(torchless.searchsorted(u, uv, right=right), torch.searchsorted(t, tv, right=right))
    _same(torchless.bucketize(uv, u, right=right), torch.bucketize(tv, t, right=right))
    rows_t, rows_u = _pair(np.array([boundaries, boundaries[::-1]], dtype))
    _same(torchless.searchsorted(rows_u, torchless.stack([uv, uv]), right=right),
          torch.searchsorted(rows_t, torch.stack([tv, tv]), right=right))


@pytest.mark.parametrize("boundaries, sorter", [
    ([1.0, 2.0, 3.0], [0, 1]), ([1.0, 2.0, 3.0], np.array([0, 1, 2], np.int32)), ([1.0, 2.0, 3.0], [0, 1, 3]),
    ([1.0, 2.0, 3.0], [-1, 0, 1]), ([1.0, 2.0, 3.0], [[0, 1, 2]]), (1.0, 0), ([3.0, 1.0, 2.0], [1, 2, 0])])
def test_searchsorted_checks_the_sorter_first(boundaries, sorter):
    t, u = _pair(np.array(boundaries, np.float32))
    ts, us = _pair(np.array(sorter, np.int64) if not isinstance(sorter, np.ndarray) else sorter)
    _same_outcome(lambda: torch.searchsorted(t, torch.tensor([2.0]), sorter=ts),
                  lambda: torchless.searchsorted(u, torchless.tensor([2.0]), sorter=us))


@pytest.mark.parametrize("values", [2.0, np.array(2.0, np.float32), np.array([2.0], np.float32),
                                    np.zeros((2, 0), np.float32)])
def test_searchsorted_refuses_zero_dim_boundaries(values):
    t, u = _pair(np.array(1.0, np.float32))
    tv, uv = (values, values) if isinstance(values, float) else _pair(values)
    _same_outcome(lambda: torch.searchsorted(t, tv), lambda: torchless.searchsorted(u, uv))


# ---------------------------------------------------------------------------- norms
@pytest.mark.parametrize("ord", [3, 3.0, 0, 1e20, "abc"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_matrix_norm_checks_the_order_before_the_input(ord, shape):
    t, u = _pair(np.ones(shape, np.float32))
    assert_raises_as_torch(lambda: torch.linalg.matrix_norm(t, ord), lambda: torchless.linalg.matrix_norm(u, ord))


@pytest.mark.parametrize("ord", [-2, float("inf"), -1.5])
@pytest.mark.parametrize("shape, dim, dtype", [
    ((0,), -1, torch.complex128), ((3, 0), (0, 1), torch.float64), ((0, 3), (0,), torch.complex64),
    ((0,), None, torch.complex128), ((2, 0), (1, 1), None)])
def test_vector_norm_refuses_an_empty_dim_before_the_dtype_and_dims(ord, shape, dim, dtype):
    t, u = _pair(np.ones(shape, np.float32))
    assert_raises_as_torch(
        lambda: torch.linalg.vector_norm(t, ord, dim, dtype=dtype),
        lambda: torchless.linalg.vector_norm(u, ord, dim, dtype=None if dtype is None else getattr(
            torchless, str(dtype).split(".")[-1])))
