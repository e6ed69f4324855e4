"""Session 33, per-call overhead of everyday ops: the calls that took shorter paths, compared with PyTorch 2.13.0
and, where one exists, with an independent float64 reference.

- Bilinear resampling on PyTorch's channels-last kernel: the four corners gathered in one take, no passes over an
  empty vector part (3 channels have no whole 8-float vector), each axis's taps and the pair's kernel kept per shape
  (read-only). Values to the bit, strides and gradients, every channel count around the vector width, both layouts.
- randn / normal_: the sin and cos polynomials of the Box-Muller transform evaluated in one stacked pass, and
  ``r * 1 + 0`` (randn's std and mean) written ``r + 0``. Every bit against torch; sincos and log against NumPy's
  float64 functions; the fused multiply-add's midpoint test against exact rational arithmetic.
- clamp with plain number bounds skips the overload parser; indexing by a lone 1-D index or mask into a C-contiguous
  input keeps NumPy's C-ordered result; sort/topk test rows for ties without moving the last axis; an elementwise
  op whose operands' strides fall from dim to dim keeps C order without TensorIterator's sort (F.normalize);
  var/std(int dim) read without the parser; softmax's maxima by np.maximum.reduce; is_operand's types kept.
"""
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

import torchless
from torchless import _memory_format
from torchless._kernels import avx_mathfun
from torchless._kernels.fma import fused_multiply_add32
from torchless._ops.indexing import _advanced_strides
from helpers import assert_same_error, assert_same_tensor


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _same_error(call_mine, call_theirs):
    assert_same_error(call_theirs, call_mine)


# --------------------------------------------------------------------------- bilinear, channels-last kernel
def _bilinear_reference(x, size, align_corners):
    """float64 bilinear resampling by PyTorch's source-index formula (no fused arithmetic: a tolerance's worth)."""
    def taps(n, out):
        if align_corners:
            source = np.arange(out) * ((n - 1) / (out - 1) if out > 1 else 0.0)
        else:
            source = np.maximum((np.arange(out) + 0.5) * (n / out) - 0.5, 0)
        first = np.minimum(np.floor(source).astype(int), n - 1)
        second = np.minimum(first + 1, n - 1)
        return first, second, source - first

    (r0, r1, fr), (c0, c1, fc) = taps(x.shape[2], size[0]), taps(x.shape[3], size[1])
    x = x.astype(np.float64)
    top = x[:, :, r0][..., c0] * (1 - fc) + x[:, :, r0][..., c1] * fc
    bottom = x[:, :, r1][..., c0] * (1 - fc) + x[:, :, r1][..., c1] * fc
    return top * (1 - fr)[:, None] + bottom * fr[:, None]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("channels", [1, 3, 4, 5, 8, 11])
@pytest.mark.parametrize("channels_last", [False, True])
def test_bilinear_as_torch_to_the_bit(torch, dtype, channels, channels_last):
    rng = np.random.default_rng(channels)
    for (h, w), size in [((8, 8), (16, 16)), ((5, 7), (9, 3)), ((8, 8), (8, 13)), ((6, 6), (2, 2))]:
        for align_corners in (False, True):
            x = rng.standard_normal((2, channels, h, w)).astype(dtype)
            mine, theirs = torchless.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            if channels_last:
                mine_in = mine.contiguous(memory_format=torchless.channels_last)
                theirs_in = theirs.contiguous(memory_format=torch.channels_last)
            else:
                mine_in, theirs_in = mine, theirs
            out = torchless.nn.functional.interpolate(mine_in, size=size, mode="bilinear", align_corners=align_corners)
            expected = torch.nn.functional.interpolate(theirs_in, size=size, mode="bilinear",
                                                       align_corners=align_corners)
            assert_same_tensor(out, expected)
            np.testing.assert_allclose(out.detach().numpy(), _bilinear_reference(x, size, align_corners),
                                       rtol=1e-5, atol=1e-5)
            upstream = rng.standard_normal(tuple(expected.shape)).astype(dtype)
            out.backward(torchless.tensor(upstream))
            expected.backward(torch.tensor(upstream))
            assert_same_tensor(mine.grad, theirs.grad, exact=False)


def test_bilinear_repeated_calls_agree_and_its_kept_taps_are_read_only(torch):
    from torchless.nn._functional import sampling

    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 3, 5, 6)).astype(np.float32)
    x[0, 1, 2, 3] = np.inf  # (a NaN where an infinite pixel meets a weight of 0, as PyTorch)
    first = torchless.nn.functional.interpolate(torchless.tensor(x), scale_factor=2, mode="bilinear")
    again = torchless.nn.functional.interpolate(torchless.tensor(x), scale_factor=2, mode="bilinear")
    expected = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=2, mode="bilinear")
    assert_same_tensor(first, expected)
    assert_same_tensor(again, expected)
    taps = sampling._linear_pair_taps(5, 10, False, 2.0, np.float32)
    assert taps is sampling._linear_pair_taps(5, 10, False, 2.0, np.float32)
    assert not taps.index.flags.writeable and not taps.weight.flags.writeable
    with pytest.raises(ValueError):
        taps.weight[0, 0] = 0


# --------------------------------------------------------------------------- randn, Box-Muller, fused multiply-add
@pytest.mark.parametrize("count", [16, 17, 40, 640, 4099])
def test_randn_and_normal_as_torch_to_the_bit(torch, count):
    for seed in (0, 1):
        torch.manual_seed(seed)
        torchless.manual_seed(seed)
        pairs = [(torchless.randn(count), torch.randn(count)),
                 (torchless.empty(count).normal_(0.5, 2.0), torch.empty(count).normal_(0.5, 2.0)),
                 (torchless.normal(-1.0, 0.25, (count,)), torch.normal(-1.0, 0.25, (count,))),
                 (torchless.randn(count, dtype=torchless.float64), torch.randn(count, dtype=torch.float64))]
        for mine, theirs in pairs:
            assert_same_tensor(mine, theirs)
            assert mine.numpy().tobytes() == theirs.numpy().tobytes()


def test_randn_has_no_negative_zero_and_a_normal_sample():
    torchless.manual_seed(3)
    values = torchless.randn(200_000).numpy().astype(np.float64)
    assert not np.any((values == 0) & np.signbit(values))
    assert abs(values.mean()) < 0.01 and abs(values.std() - 1) < 0.01
    assert abs(np.mean(values ** 4) - 3) < 0.05  # (the normal's kurtosis)


def test_sincos_and_log_against_float64():
    rng = np.random.default_rng(11)
    angles = np.concatenate([rng.uniform(0, 2 * math.pi, 4000), rng.uniform(-50, 50, 4000)]).astype(np.float32)
    for shape in [(8000,), (500, 16), (2, 4000)]:
        sin, cos = avx_mathfun.sincos(angles.reshape(shape))
        assert sin.dtype == cos.dtype == np.float32 and sin.shape == cos.shape == shape
        exact = angles.reshape(shape).astype(np.float64)
        np.testing.assert_allclose(sin, np.sin(exact), atol=3e-7 * max(1.0, 50 / math.pi))
        np.testing.assert_allclose(cos, np.cos(exact), atol=3e-7 * max(1.0, 50 / math.pi))
    sin, cos = avx_mathfun.sincos(np.float32(0.5) * np.ones((), np.float32))  # 0-d
    assert abs(float(sin) - math.sin(0.5)) < 1e-7 and abs(float(cos) - math.cos(0.5)) < 1e-7
    positive = rng.uniform(1e-6, 1.0, 5000).astype(np.float32)
    np.testing.assert_allclose(avx_mathfun.log(positive), np.log(positive.astype(np.float64)), rtol=3e-7,
                               atol=3e-7)


def test_fused_multiply_add32_against_exact_arithmetic():
    """Products of few bits land on float32 midpoints often: each result is the exact sum rounded once."""
    rng = np.random.default_rng(5)
    a = (rng.integers(-64, 64, 3000) / 16).astype(np.float32)
    b = (rng.integers(-64, 64, 3000) / 1024).astype(np.float32)
    c = (rng.integers(-2 ** 20, 2 ** 20, 3000) * 2.0 ** -30).astype(np.float32)
    cases = [(a, b, c), (a, b, np.float32(2.0 ** -20)), (a.reshape(30, 100), b[:100], c.reshape(30, 100)),
             (np.float32(1 + 2 ** -23), np.float32(1 + 2 ** -23), np.float32(2 ** -47))]
    for x, y, z in cases:
        result = np.asarray(fused_multiply_add32(x, y, z))
        x, y, z = np.broadcast_arrays(np.asarray(x), np.asarray(y), np.asarray(z))
        for got, xi, yi, zi in zip(result.ravel(), x.ravel(), y.ravel(), z.ravel()):
            exact = Fraction(float(xi)) * Fraction(float(yi)) + Fraction(float(zi))
            below = np.float32(float(exact))  # within one float32 step of the rounded value
            candidates = {np.nextafter(below, np.float32(-np.inf)), below, np.nextafter(below, np.float32(np.inf))}
            best = min(candidates, key=lambda v: (abs(Fraction(float(v)) - exact),
                                                   int(np.array(v).view(np.uint32)) & 1))
            assert got == best, (xi, yi, zi)


# --------------------------------------------------------------------------- clamp with plain number bounds
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8"])
def test_clamp_plain_bounds_as_torch(torch, dtype):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((6, 5)) * 4).astype(dtype) if dtype.startswith("f") else \
        rng.integers(0, 9, (6, 5)).astype(dtype)
    mine, theirs = torchless.tensor(x), torch.tensor(x)
    for bounds in [(-1, 1), (-1.5, 2.5), (None, 2), (3, None), (2.0, None), (None, -0.5), (1, 1), (float("nan"), 1.0),
                   (5, 2), (True, 2), (-300, 300), (2 ** 62, None), (None, None), (2 ** 64, None), (1, "a"),
                   (np.float32(0.5), None), ("min", None)]:
        for clamp_mine, clamp_theirs in [(mine.clamp, theirs.clamp), (mine.t().clip, theirs.t().clip),
                                         (lambda *b: torchless.clamp(mine, *b), lambda *b: torch.clamp(theirs, *b))]:
            try:
                expected = clamp_theirs(*bounds)
            except Exception:
                _same_error(lambda: clamp_mine(*bounds), lambda: clamp_theirs(*bounds))
            else:
                assert_same_tensor(clamp_mine(*bounds), expected)
    assert_same_tensor(mine.clamp(mine[0, 0], 2), theirs.clamp(theirs[0, 0], 2))  # (a 0-d tensor beside a number)


def test_clamp_plain_bounds_gradients_and_ties(torch):
    x = np.array([[-2.0, -1.0, -0.0, 0.0], [0.5, 1.0, 3.0, np.nan]], np.float32)
    mine, theirs = torchless.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = mine.clamp(-1, 0.0), theirs.clamp(-1, 0.0)
    assert_same_tensor(out, expected)
    assert type(out.grad_fn).__name__ == type(expected.grad_fn).__name__
    assert out.grad_fn._saved_min == expected.grad_fn._saved_min
    out.sum().backward()
    expected.sum().backward()
    assert_same_tensor(mine.grad, theirs.grad)
    assert_same_tensor(torchless.tensor(x).clamp(min=0.0), torch.tensor(x).clamp(min=0.0))  # -0.0 stays -0.0


# --------------------------------------------------------------------------- indexing by a lone index or mask
_INDEX_SHAPES = [(64, 10), (7,), (5, 4, 3), (3, 1, 4), (1, 6), (6, 1), (2, 3, 4, 5)]


@pytest.mark.parametrize("shape", _INDEX_SHAPES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
def test_lone_index_and_mask_as_torch(torch, shape, layout):
    rng = np.random.default_rng(len(shape))
    base = rng.standard_normal(shape).astype(np.float32)
    mine, theirs = torchless.tensor(base, requires_grad=True), torch.tensor(base, requires_grad=True)

    def laid_out(t):
        if layout == "transposed":
            return t.transpose(0, -1)
        if layout == "sliced":
            return t[::2] if t.shape[0] > 1 else t
        return t * 1

    n = laid_out(theirs).shape[0]
    keys = [rng.integers(-n, n, 9), rng.integers(0, n, (3, 2)), np.array([0]), np.arange(n)[::-1].copy()]
    for key in keys:
        for dtype in (np.int64, np.int32):
            k = key.astype(dtype)
            assert_same_tensor(laid_out(mine)[torchless.tensor(k)], laid_out(theirs)[torch.tensor(k)])
    first_dims = laid_out(theirs).detach().numpy() > 0
    for mask in (first_dims, first_dims.reshape(first_dims.shape[0], -1)[:, 0]):
        assert_same_tensor(laid_out(mine)[torchless.tensor(mask)], laid_out(theirs)[torch.tensor(mask)])
    index = rng.integers(0, n, 5)
    out, expected = laid_out(mine)[torchless.tensor(index)], laid_out(theirs)[torch.tensor(index)]
    out.pow(2).sum().backward()
    expected.pow(2).sum().backward()
    assert_same_tensor(mine.grad, theirs.grad)


def test_lone_index_strides_are_the_general_ones():
    """Where NumPy's C-ordered result is kept, the general computation (_advanced_strides) gives the same."""
    rng = np.random.default_rng(9)
    for shape in [(64, 10), (7,), (5, 4, 3), (2, 3, 4, 5), (4, 2)]:
        a = rng.standard_normal(shape).astype(np.float32)
        for key in [rng.integers(0, shape[0], 9), rng.integers(0, shape[0], 1), a > 0,
                    (a > 0).reshape(shape[0], -1)[:, 0]]:
            out = torchless.tensor(a)[torchless.tensor(key)]
            if out.numel():
                assert out.stride() == tuple(_advanced_strides(a, key))


def test_lone_index_errors_as_torch(torch):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    for key in [np.array([4]), np.array([-5]), np.array([0, 7]), np.ones(3, bool)]:
        _same_error(lambda: torchless.tensor(x)[torchless.tensor(key)], lambda: torch.tensor(x)[torch.tensor(key)])


# --------------------------------------------------------------------------- sort and topk
@pytest.mark.parametrize("kind", ["distinct", "ties", "nan", "int", "float64"])
@pytest.mark.parametrize("shape", [(64, 10), (7, 33), (3, 4, 20), (40,), (2, 3, 1), (1, 17)])
def test_topk_and_sort_as_torch(torch, kind, shape):
    rng = np.random.default_rng(shape[0] * 31 + len(shape))
    if kind == "distinct":
        x = rng.permutation(math.prod(shape)).reshape(shape).astype(np.float32)
    elif kind == "int":
        x = rng.integers(-3, 3, shape)
    elif kind == "float64":
        x = rng.integers(-3, 3, shape).astype(np.float64)
    else:
        x = rng.integers(0, 3, shape).astype(np.float32)
        if kind == "nan":
            x[rng.random(shape) < 0.3] = np.nan
            x[rng.random(shape) < 0.2] = -0.0
    mine, theirs = torchless.tensor(x), torch.tensor(x)
    for dim in range(-len(shape), len(shape)):
        n = shape[dim]
        for largest in (True, False):
            for k in sorted({0, 1, min(3, n), n}):
                got, expected = mine.topk(k, dim, largest), theirs.topk(k, dim, largest)
                assert_same_tensor(got.values, expected.values)
                assert_same_tensor(got.indices, expected.indices)
            assert_same_tensor(torchless.sort(mine, dim, largest)[1], torch.sort(theirs, dim, largest)[1])


def test_topk_of_exactly_two_nans_as_torch(torch):
    """Two NaNs in the whole input, tied only with each other: their row is replayed all the same."""
    rng = np.random.default_rng(0)
    for length in (3, 17, 40, 100, 100, 100):
        row = rng.permutation(length).astype(np.float32)
        row[rng.choice(length, 2, replace=False)] = np.nan
        x = np.stack([row, np.arange(length, dtype=np.float32)])
        for k in sorted({1, 2, min(5, length), length}):
            for largest in (True, False):
                got = torchless.tensor(x).topk(k, 1, largest)
                expected = torch.tensor(x).topk(k, 1, largest)
                assert_same_tensor(got.indices, expected.indices)
                assert_same_tensor(got.values, expected.values)
                assert_same_tensor(torchless.tensor(x).sort(1, largest)[1], torch.tensor(x).sort(1, largest)[1])


def test_topk_gradient_as_torch(torch):
    x = np.random.default_rng(4).integers(0, 4, (6, 9)).astype(np.float32)
    mine, theirs = torchless.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for dim in (0, 1, -1):
        mine.topk(3, dim)[0].pow(2).sum().backward()
        theirs.topk(3, dim)[0].pow(2).sum().backward()
        assert_same_tensor(mine.grad, theirs.grad)


# --------------------------------------------------------------------------- elementwise layout, F.normalize
def _random_operands(rng, shape):
    ndim = len(shape)
    operands = []
    for _ in range(rng.integers(1, 4)):
        kind = rng.integers(0, 3)
        if kind == 0:
            a = rng.standard_normal(shape).astype(np.float32)
        elif kind == 1:  # broadcast: size-1 dims, fewer dims, maybe expanded (stride 0)
            sub = tuple(1 if rng.random() < 0.4 else n for n in shape)[rng.integers(0, ndim):]
            a = rng.standard_normal(sub).astype(np.float32)
            if rng.random() < 0.5:
                a = np.broadcast_to(a, shape)
        else:
            order = tuple(int(d) for d in rng.permutation(ndim))
            a = np.ascontiguousarray(rng.standard_normal(shape).astype(np.float32).transpose(order)).transpose(
                tuple(np.argsort(order)))
        if rng.random() < 0.2 and a.shape == shape:
            a = np.concatenate([a, a], -1)[..., ::2]
        operands.append(a)
    return operands


def test_iterator_layout_is_the_general_one():
    """iterator_layout's shortcut for falling strides against layout_strides' full sort, over random layouts."""
    rng = np.random.default_rng(0)
    shortcut = 0
    for _ in range(3000):
        shape = tuple(int(n) for n in rng.integers(1 if rng.random() < 0.1 else 2, 5, rng.integers(1, 5)))
        operands = _random_operands(rng, shape)
        out = operands[0] + np.float32(0)
        for operand in operands[1:]:
            out = out + operand
        general = _memory_format.with_strides(out, _memory_format.iterator_strides(out.shape, operands))
        laid_out = _memory_format.iterator_layout(out, operands)
        assert _memory_format.element_strides(laid_out) == _memory_format.element_strides(general)
        shortcut += out.flags.c_contiguous and 1 not in shape and not all(map(_memory_format._c_order, operands)) \
            and all(map(_memory_format._falling_strides, operands))
    assert shortcut > 300  # (the shortcut was taken, often)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "expanded"])
def test_normalize_as_torch_and_float64(torch, dtype, dim, layout):
    rng = np.random.default_rng(abs(dim) + 3)
    x = rng.standard_normal((6, 5)).astype(dtype)
    x[2] = 0  # (a zero row: the eps bound)
    mine, theirs = torchless.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    if layout == "transposed":
        mine_in, theirs_in = mine.t(), theirs.t()
    elif layout == "expanded":
        mine_in, theirs_in = mine[:1].expand(6, 5) + mine, theirs[:1].expand(6, 5) + theirs
    else:
        mine_in, theirs_in = mine, theirs
    out = torchless.nn.functional.normalize(mine_in, dim=dim)
    expected = torch.nn.functional.normalize(theirs_in, dim=dim)
    assert_same_tensor(out, expected, exact=False)
    reference = theirs_in.detach().numpy().astype(np.float64)
    norm = np.maximum(np.sqrt((reference ** 2).sum(axis=dim, keepdims=True)), 1e-12)
    np.testing.assert_allclose(out.detach().numpy(), reference / norm, rtol=1e-6, atol=1e-7)
    upstream = rng.standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(torchless.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    assert_same_tensor(mine.grad, theirs.grad, exact=False)


def test_division_by_an_expanded_norm_strides_as_torch(torch):
    x = np.random.default_rng(1).standard_normal((4, 3, 5)).astype(np.float32)
    for make in (lambda t: t / t.norm(dim=1, keepdim=True).expand_as(t),
                 lambda t: t / t.norm(dim=-1, keepdim=True),
                 lambda t: t.permute(2, 0, 1) / t.permute(2, 0, 1).sum(0, keepdim=True).expand(5, 4, 3),
                 lambda t: t[:, :1].expand(4, 3, 5) + t.transpose(0, 2).contiguous().transpose(0, 2)):
        assert_same_tensor(make(torchless.tensor(x)), make(torch.tensor(x)), exact=False)


# --------------------------------------------------------------------------- var / std by one int dim
@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_var_std_of_one_dim_as_torch(torch, name, dtype):
    x = np.random.default_rng(8).standard_normal((7, 6, 3)).astype(dtype)
    for dim in (0, 1, 2, -1, -3):
        for keywords in ({}, {"keepdim": True}, {"keepdim": False}):
            mine, theirs = torchless.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            out = getattr(mine.transpose(0, 1), name)(dim, **keywords)
            expected = getattr(theirs.transpose(0, 1), name)(dim, **keywords)
            assert_same_tensor(out, expected, exact=False)
            reference = getattr(np, name)(x.transpose(1, 0, 2).astype(np.float64), axis=dim, ddof=1,
                                          keepdims=keywords.get("keepdim", False))
            np.testing.assert_allclose(out.detach().numpy(), reference, rtol=1e-5)
            assert type(out.grad_fn).__name__ == type(expected.grad_fn).__name__
            assert out.grad_fn._saved_correction == expected.grad_fn._saved_correction
            assert list(out.grad_fn._saved_dim) == list(expected.grad_fn._saved_dim)
            out.sum().backward()
            expected.sum().backward()
            assert_same_tensor(mine.grad, theirs.grad, exact=False)
    mine, theirs = torchless.tensor(x), torch.tensor(x)
    for args, keywords in [((3,), {}), ((-4,), {}), ((2 ** 63,), {}), ((1,), {"keepdim": 1}), ((1,), {"dims": 0}),
                           ((True,), {})]:
        if args == (True,):
            assert_same_tensor(getattr(mine, name)(*args), getattr(theirs, name)(*args), exact=False)
            continue
        _same_error(lambda: getattr(mine, name)(*args, **keywords), lambda: getattr(theirs, name)(*args, **keywords))


# --------------------------------------------------------------------------- softmax, log_softmax
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_as_torch_without_warnings(torch, name, dtype):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 10)).astype(dtype)
    x[1, 3] = np.inf
    x[2] = -np.inf
    x[3, 4] = np.nan
    x[4, :5] = np.inf
    for dim in (0, 1, -1):
        for source in (x, x.T):
            mine, theirs = torchless.tensor(source, requires_grad=True), torch.tensor(source, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                out = getattr(mine, name)(dim)
            expected = getattr(theirs, name)(dim)
            assert_same_tensor(out, expected, exact=False)
            upstream = rng.standard_normal(source.shape).astype(dtype)
            out.backward(torchless.tensor(upstream))
            expected.backward(torch.tensor(upstream))
            assert_same_tensor(mine.grad, theirs.grad, exact=False)
    finite = rng.standard_normal((5, 7))
    shifted = finite - finite.max(axis=1, keepdims=True)
    reference = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    if name == "log_softmax":
        reference = np.log(reference)
    got = getattr(torchless.tensor(finite.astype(dtype)), name)(1).numpy()
    np.testing.assert_allclose(got, reference, rtol=2e-6 if dtype == "float32" else 1e-13, atol=1e-7)


# --------------------------------------------------------------------------- operands and tensor lists
def test_operand_and_tensor_list_errors_as_torch(torch):
    x = np.ones((2, 2), np.float32)
    mine, theirs = torchless.tensor(x), torch.tensor(x)
    for value in ([mine, 1], (mine, "a"), mine, 3, None):
        swapped = [theirs if v is mine else v for v in value] if isinstance(value, (list, tuple)) else \
            theirs if value is mine else value
        if isinstance(value, tuple):
            swapped = tuple(swapped)
        _same_error(lambda: torchless.cat(value), lambda: torch.cat(swapped))
        _same_error(lambda: torchless.stack(value), lambda: torch.stack(swapped))
    mask_mine, mask_theirs = torchless.tensor(x > 0), torch.tensor(x > 0)
    for value in ("a", [1.0], np.ones(1)):
        _same_error(lambda: mine.masked_fill(mask_mine, value), lambda: theirs.masked_fill(mask_theirs, value))
    for value in (2, 2.5, np.float32(1.5), True, 1 + 0j):
        assert_same_tensor(mine.masked_fill(mask_mine, value) if not isinstance(value, complex) else mine * 1,
                     theirs.masked_fill(mask_theirs, value) if not isinstance(value, complex) else theirs * 1)
    assert_same_tensor(torchless.cat((mine, mine), 1), torch.cat((theirs, theirs), 1))


# --------------------------------------------------------------------------- batch_norm's dtype checks
def test_batch_norm_dtype_checks_and_eval_values_as_torch(torch):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    stats = [rng.standard_normal(3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32),
             rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)]

    def both(x_dtype, dtypes, training=False, stat_shape=None):
        arrays = [s.astype(d) for s, d in zip(stats, dtypes)]
        if stat_shape is not None:
            arrays[0] = arrays[0].reshape(stat_shape)
        calls = []
        for lib in (torchless, torch):
            tensors = [lib.tensor(a) for a in arrays]
            calls.append(lambda lib=lib, tensors=tensors: lib.nn.functional.batch_norm(
                lib.tensor(x.astype(x_dtype)), tensors[0], tensors[1], tensors[2], tensors[3], training=training))
        return calls

    for x_dtype, dtypes in [("float32", ["float32"] * 4), ("float64", ["float64"] * 4)]:
        for training in (False, True):
            mine, theirs = both(x_dtype, dtypes, training)
            assert_same_tensor(mine(), theirs(), exact=False)
    for x_dtype, dtypes, training, stat_shape in [
            ("float32", ["float64", "float32", "float32", "float32"], False, None),
            ("float32", ["float32", "float32", "float64", "float32"], False, None),
            ("float32", ["float32", "float32", "float64", "float32"], True, None),
            ("float16", ["float32", "float32", "float64", "float32"], False, None),
            ("float64", ["float32"] * 4, False, None),
            ("float32", ["float32"] * 4, False, (3, 1)),
            ("int64", ["float32"] * 4, False, None)]:
        mine, theirs = both(x_dtype, dtypes, training, stat_shape)
        _same_error(mine, theirs)


# --------------------------------------------------------------------------- constant padding by zero
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool"])
def test_constant_pad_values_strides_and_gradients_as_torch(torch, dtype):
    rng = np.random.default_rng(13)
    x = (rng.standard_normal((2, 3, 4, 5)) * 3).astype(dtype)
    for layout in ("contiguous", "transposed", "channels_last"):
        mine, theirs = torchless.tensor(x), torch.tensor(x)
        if layout == "transposed":
            mine, theirs = mine.transpose(0, -1), theirs.transpose(0, -1)
        elif layout == "channels_last":
            mine = mine.contiguous(memory_format=torchless.channels_last)
            theirs = theirs.contiguous(memory_format=torch.channels_last)
        for pad in [(1, 1), (1, 2, 0, 3), (0, 0, 1, 0), (-1, 2), (2, -1, 1, 1)]:
            for value in ((), (0,), (0.0,), (-0.0,), (1.5,), (float("nan"),), (True,)):
                try:
                    expected = torch.nn.functional.pad(theirs, pad, "constant", *value)
                except Exception:
                    _same_error(lambda: torchless.nn.functional.pad(mine, pad, "constant", *value),
                                lambda: torch.nn.functional.pad(theirs, pad, "constant", *value))
                    continue
                assert_same_tensor(torchless.nn.functional.pad(mine, pad, "constant", *value), expected)
    if dtype.startswith("float"):
        mine, theirs = torchless.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        upstream = rng.standard_normal((2, 3, 6, 8)).astype(dtype)
        torchless.nn.functional.pad(mine, (1, 2, 1, 1)).backward(torchless.tensor(upstream))
        torch.nn.functional.pad(theirs, (1, 2, 1, 1)).backward(torch.tensor(upstream))
        assert_same_tensor(mine.grad, theirs.grad)


# --------------------------------------------------------------------------- layer/group norm's row tests
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_and_group_norm_rows_as_torch(torch, dtype):
    """Near-constant rows (recentred on their first value) and rows of a large mean (PyTorch's Welford moments)
    beside ordinary ones, and inputs with neither."""
    rng = np.random.default_rng(14)
    x = rng.standard_normal((6, 10)).astype(dtype)
    plain = x.copy()
    x[1] = 7.77
    x[3] = 1e4 + rng.standard_normal(10) * 1e-2
    x[4, :] = np.inf
    for source in (plain, x):
        mine, theirs = torchless.tensor(source, requires_grad=True), torch.tensor(source, requires_grad=True)
        out = torchless.nn.functional.layer_norm(mine, (10,))
        expected = torch.nn.functional.layer_norm(theirs, (10,))
        assert_same_tensor(out, expected, exact=False)
        finite = np.isfinite(source).all(axis=1)
        finite[3] = source is plain  # (the large mean's gradient is PyTorch's rounding, 1e2 off: not compared)
        if source is plain:
            reference = (source - source.mean(1, keepdims=True)) / np.sqrt(source.var(1, keepdims=True) + 1e-5)
            np.testing.assert_allclose(out.detach().numpy(), reference, rtol=1e-5, atol=1e-5)
        upstream = rng.standard_normal(source.shape).astype(dtype)
        out.backward(torchless.tensor(upstream))
        expected.backward(torch.tensor(upstream))
        np.testing.assert_allclose(mine.grad.numpy()[finite], theirs.grad.numpy()[finite], rtol=1e-4, atol=1e-4)
        assert_same_tensor(torchless.nn.functional.group_norm(torchless.tensor(source).reshape(3, 2, 10), 2),
                     torch.nn.functional.group_norm(torch.tensor(source).reshape(3, 2, 10), 2), exact=False)


# --------------------------------------------------------------------------- sigmoid
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_as_torch_and_float64(torch, dtype):
    x = np.concatenate([np.random.default_rng(15).standard_normal(50) * 10,
                        [0.0, -0.0, 30.0, -30.0, 100.0, -100.0, 800.0, -800.0, np.inf, -np.inf, np.nan]]).astype(dtype)
    mine, theirs = torchless.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = mine.sigmoid()
    expected = theirs.sigmoid()
    assert_same_tensor(out, expected, exact=False)
    with np.errstate(over="ignore"):
        reference = 1 / (1 + np.exp(-x.astype(np.float64)))
    np.testing.assert_allclose(out.detach().numpy(), reference, rtol=2e-7 if dtype == "float32" else 1e-15,
                               atol=np.finfo(dtype).tiny)  # (subnormal results keep fewer digits)
    out.sum().backward()
    expected.sum().backward()
    assert_same_tensor(mine.grad, theirs.grad, exact=False)
    assert_same_tensor(torchless.tensor(x.reshape(61, 1)).t().sigmoid(), torch.tensor(x.reshape(61, 1)).t().sigmoid(),
                 exact=False)
