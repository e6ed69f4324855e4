"""unfold / fold (im2col / col2im) and the Unfold / Fold layers.

Checked against a slow direct-loop reference and hand-computed values (no torch needed), by float64
finite differences, by identities between the two operations and with conv2d, and against PyTorch:
values, gradients, grad_fn names, dtypes, error types and messages, module reprs.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import assert_matches_torch, assert_same_error, examples, finite_difference_check, \
    modules_with_same_repr, tensor

FAST = examples(40)
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


# --------------------------------------------------------------------------- slow reference (no torch, no torchless)
def block_starts(size, kernel, dilation, padding, stride):
    """Padded-image positions where a block starts along one axis, by enumeration rather than the formula."""
    span = dilation * (kernel - 1) + 1
    return list(range(0, size + 2 * padding - span + 1, stride))


def reference_unfold(x, kernel, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    """im2col by direct loops in float64: (N, C, H, W) -> (N, C * kH * kW, L)."""
    x = np.asarray(x, np.float64)
    N, C, H, W = x.shape
    (kH, kW), (dH, dW), (pH, pW), (sH, sW) = kernel, dilation, padding, stride
    rows, cols = block_starts(H, kH, dH, pH, sH), block_starts(W, kW, dW, pW, sW)
    out = np.zeros((N, C * kH * kW, len(rows) * len(cols)))
    for n, c, i, j in itertools.product(range(N), range(C), range(kH), range(kW)):
        for b, (top, left) in enumerate(itertools.product(rows, cols)):
            h, w = top + i * dH - pH, left + j * dW - pW
            if 0 <= h < H and 0 <= w < W:
                out[n, (c * kH + i) * kW + j, b] = x[n, c, h, w]
    return out


def reference_fold(cols, output_size, kernel, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    """col2im by direct loops in float64: (N, C * kH * kW, L) -> (N, C, H, W), overlaps summed."""
    cols = np.asarray(cols, np.float64)
    (H, W), (kH, kW), (dH, dW), (pH, pW), (sH, sW) = output_size, kernel, dilation, padding, stride
    N, C = cols.shape[0], cols.shape[1] // (kH * kW)
    rows, starts = block_starts(H, kH, dH, pH, sH), block_starts(W, kW, dW, pW, sW)
    out = np.zeros((N, C, H, W))
    for n, c, i, j in itertools.product(range(N), range(C), range(kH), range(kW)):
        for b, (top, left) in enumerate(itertools.product(rows, starts)):
            h, w = top + i * dH - pH, left + j * dW - pW
            if 0 <= h < H and 0 <= w < W:
                out[n, c, h, w] += cols[n, (c * kH + i) * kW + j, b]
    return out


def coverage(hw, kernel, dilation, padding, stride):
    """How many (block, tap) pairs land on each pixel of an hw image."""
    count = np.zeros(hw, np.int64)
    rows = block_starts(hw[0], kernel[0], dilation[0], padding[0], stride[0])
    cols = block_starts(hw[1], kernel[1], dilation[1], padding[1], stride[1])
    for top, left, i, j in itertools.product(rows, cols, range(kernel[0]), range(kernel[1])):
        h, w = top + i * dilation[0] - padding[0], left + j * dilation[1] - padding[1]
        if 0 <= h < hw[0] and 0 <= w < hw[1]:
            count[h, w] += 1
    return count


def n_blocks(hw, kernel, dilation, padding, stride):
    return len(block_starts(hw[0], kernel[0], dilation[0], padding[0], stride[0])) * \
        len(block_starts(hw[1], kernel[1], dilation[1], padding[1], stride[1]))


@st.composite
def geometries(draw):
    """(N, C, H, W) and pair-valued kernel, dilation, padding, stride with at least one block."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    hw = tuple(draw(st.integers(max(1, span - 2 * p), span - 2 * p + 6)) for span, p in zip(spans, padding))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + hw
    return shape, kernel, dilation, padding, stride


def as_pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


# --------------------------------------------------------------------------- hand-computed values
def test_unfold_hand_example():
    x = tensor(np.arange(9.0, dtype=np.float32).reshape(1, 1, 3, 3))
    # Rows are kernel taps (0,0), (0,1), (1,0), (1,1); columns the 4 blocks in row-major order.
    expected = [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]
    assert F.unfold(x, 2).tolist() == [expected]


def test_unfold_hand_example_with_padding_and_stride():
    x = tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    # Padded to 4x4, four disjoint 2x2 blocks: each holds one input value, at the tap facing the centre.
    assert F.unfold(x, 2, padding=1, stride=2).tolist() == [[[0, 0, 0, 4], [0, 0, 3, 0], [0, 2, 0, 0], [1, 0, 0, 0]]]


def test_unfold_hand_example_with_dilation_and_channels():
    x = tensor(np.arange(10.0).reshape(1, 2, 1, 5))
    # Taps 3 apart span 4 columns: 2 blocks; channel 1 rows follow channel 0 rows.
    assert F.unfold(x, (1, 2), dilation=(1, 3)).tolist() == [[[0, 1], [3, 4], [5, 6], [8, 9]]]


def test_fold_hand_example_sums_overlaps():
    cols = tensor(np.ones((1, 4, 4)))
    counts = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    assert F.fold(cols, (3, 3), 2).tolist() == [[counts]]


def test_fold_hand_example_crops_padding():
    cols = tensor(np.array([[[0.0, 0, 0, 4], [0, 0, 3, 0], [0, 2, 0, 0], [1, 0, 0, 0]]]))
    assert F.fold(cols, 2, 2, padding=1, stride=2).tolist() == [[[[1, 2], [3, 4]]]]
    # Values landing in the padding are dropped.
    assert F.fold(tensor(np.full((1, 4, 4), 7.0)), 2, 2, padding=1, stride=2).tolist() == [[[[7, 7], [7, 7]]]]


def test_grad_fn_names_and_no_graph_without_grad():
    x = tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    assert F.unfold(x, 2).grad_fn.name() == "Im2ColBackward0"
    cols = tensor(np.ones((1, 4, 4)), requires_grad=True)
    assert F.fold(cols, 3, 2).grad_fn.name() == "Col2ImBackward0"
    assert F.unfold(x.detach(), 2).grad_fn is None
    with torchless.no_grad():
        assert F.fold(cols, 3, 2).grad_fn is None


# --------------------------------------------------------------------------- against the slow reference
@FAST
@given(geometries(), st.booleans())
def test_unfold_matches_reference(geometry, batched):
    shape, kernel, dilation, padding, stride = geometry
    x = np.random.default_rng(sum(shape)).standard_normal(shape)
    expected = reference_unfold(x, kernel, dilation, padding, stride)
    if batched:
        actual = F.unfold(tensor(x), kernel, dilation, padding, stride)
    else:
        actual, expected = F.unfold(tensor(x[0]), kernel, dilation, padding, stride), expected[0]
    np.testing.assert_array_equal(actual.numpy(), expected)


@FAST
@given(geometries(), st.booleans())
def test_fold_matches_reference(geometry, batched):
    (N, C, H, W), kernel, dilation, padding, stride = geometry
    length = n_blocks((H, W), kernel, dilation, padding, stride)
    cols = np.random.default_rng(H * W).standard_normal((N, C * kernel[0] * kernel[1], length))
    expected = reference_fold(cols, (H, W), kernel, dilation, padding, stride)
    if batched:
        actual = F.fold(tensor(cols), (H, W), kernel, dilation, padding, stride)
    else:
        actual, expected = F.fold(tensor(cols[0]), [H, W], kernel, dilation, padding, stride), expected[0]
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-12, atol=1e-12)


@FAST
@given(geometries())
def test_fold_of_unfold_multiplies_by_coverage(geometry):
    shape, kernel, dilation, padding, stride = geometry
    x = np.random.default_rng(0).standard_normal(shape)
    args = kernel, dilation, padding, stride
    roundtrip = F.fold(F.unfold(tensor(x), *args), shape[2:], *args)
    np.testing.assert_allclose(roundtrip.numpy(), x * coverage(shape[2:], *args), rtol=1e-12, atol=1e-12)


def test_fold_inverts_unfold_for_tiling_blocks():
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 8)).astype(np.float32)
    np.testing.assert_array_equal(F.fold(F.unfold(tensor(x), (2, 4), stride=(2, 4)), (6, 8), (2, 4),
                                         stride=(2, 4)).numpy(), x)


@FAST
@given(geometries())
def test_fold_is_the_adjoint_of_unfold(geometry):
    shape, kernel, dilation, padding, stride = geometry
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    cols = rng.standard_normal((shape[0], shape[1] * kernel[0] * kernel[1],
                                n_blocks(shape[2:], kernel, dilation, padding, stride)))
    args = kernel, dilation, padding, stride
    lhs = (F.unfold(tensor(x), *args).numpy() * cols).sum()
    rhs = (x * F.fold(tensor(cols), shape[2:], *args).numpy()).sum()
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)


def test_unfold_then_matmul_is_conv2d():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 7, 8)), rng.standard_normal((4, 3, 3, 2))
    cols = F.unfold(tensor(x), (3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    y = (tensor(w.reshape(4, -1)) @ cols).numpy()
    expected = F.conv2d(tensor(x), tensor(w), stride=(2, 1), padding=1, dilation=(1, 2)).numpy()
    np.testing.assert_allclose(y.reshape(expected.shape), expected, rtol=1e-10, atol=1e-10)


# --------------------------------------------------------------------------- dtypes and shapes
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved_through_forward_and_backward(dtype):
    x = tensor(np.ones((1, 2, 4, 4), dtype), requires_grad=True)
    cols = F.unfold(x, 2, padding=1)
    assert cols.dtype == torchless.tensor(np.zeros(1, dtype)).dtype
    image = F.fold(cols, 4, 2, padding=1)
    assert image.dtype == cols.dtype
    image.sum().backward()
    assert x.grad.dtype == x.dtype
    # sum(fold(unfold(x))) adds each pixel once per (block, tap) covering it.
    expected = np.broadcast_to(coverage((4, 4), (2, 2), (1, 1), (1, 1), (1, 1)), (1, 2, 4, 4))
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_empty_batch():
    x = tensor(np.zeros((0, 3, 5, 6)), requires_grad=True)
    cols = F.unfold(x, 2)
    assert cols.shape == (0, 12, 20)
    image = F.fold(cols, (5, 6), 2)
    assert image.shape == (0, 3, 5, 6)
    image.sum().backward()
    assert x.grad.shape == (0, 3, 5, 6)


def test_result_does_not_alias_input():
    x = tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    F.unfold(x, 1).numpy()[...] = -1  # a 1x1 kernel could have returned a reshaped view
    assert x.numpy().min() == 0


# --------------------------------------------------------------------------- finite differences (no torch)
@pytest.mark.parametrize("kernel, dilation, padding, stride", [
    (2, 1, 0, 1), ((2, 3), (2, 1), (1, 2), (2, 1)), (3, 1, 1, 2), (1, 2, 1, 3),
])
def test_gradients_finite_differences(kernel, dilation, padding, stride):
    x = np.random.default_rng(4).standard_normal((2, 2, 5, 6))
    args = as_pair(kernel), as_pair(dilation), as_pair(padding), as_pair(stride)
    finite_difference_check(lambda t: F.unfold(t, kernel, dilation, padding, stride), [x])
    cols = np.random.default_rng(5).standard_normal((2, 2 * args[0][0] * args[0][1], n_blocks((5, 6), *args)))
    finite_difference_check(lambda t: F.fold(t, (5, 6), kernel, dilation, padding, stride), [cols])


def test_unbatched_gradients_finite_differences():
    x = np.random.default_rng(6).standard_normal((2, 4, 5))
    finite_difference_check(lambda t: F.unfold(t, 2, padding=1, stride=(1, 2)), [x])
    cols = np.random.default_rng(7).standard_normal((8, n_blocks((4, 5), (2, 2), (1, 1), (1, 1), (1, 2))))
    finite_difference_check(lambda t: F.fold(t, (4, 5), 2, padding=1, stride=(1, 2)), [cols])


def test_gradient_through_fold_of_unfold_finite_differences():
    x = np.random.default_rng(8).standard_normal((1, 2, 5, 5))
    finite_difference_check(lambda t: F.fold(F.unfold(t, 3, padding=1, stride=2) * 2.0, 5, 3, padding=1, stride=2),
                            [x])


# --------------------------------------------------------------------------- against PyTorch
TORCH_CASES = [
    ((2, 3, 5, 6), 2, 1, 0, 1),
    ((1, 2, 7, 4), (2, 3), (2, 1), (1, 2), (2, 1)),
    ((2, 1, 6, 6), 3, 2, 2, 3),
    ((1, 4, 3, 9), (1, 4), 1, (0, 1), (1, 2)),
    ((3, 2, 4, 4), [4, 4], [1, 1], [0, 0], [1, 1]),
    ((1, 1, 8, 8), 1, 1, 1, 5),
]


@pytest.mark.parametrize("shape, kernel, dilation, padding, stride", TORCH_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batched", [True, False])
def test_unfold_matches_torch(shape, kernel, dilation, padding, stride, dtype, batched):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(9).standard_normal(shape).astype(dtype)
    if not batched:
        x = x[0]
    xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
    expected = torch.nn.functional.unfold(xt, kernel, dilation, padding, stride)
    actual = F.unfold(xl, kernel, dilation, padding, stride)
    assert_matches_torch(actual, expected, [xl], [xt], TOL[dtype], np.random.default_rng(10))


@pytest.mark.parametrize("shape, kernel, dilation, padding, stride", TORCH_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batched", [True, False])
def test_fold_matches_torch(shape, kernel, dilation, padding, stride, dtype, batched):
    torch = pytest.importorskip("torch")
    N, C, H, W = shape
    k = as_pair(kernel)
    length = n_blocks((H, W), k, as_pair(dilation), as_pair(padding), as_pair(stride))
    cols = np.random.default_rng(11).standard_normal((N, C * k[0] * k[1], length)).astype(dtype)
    if not batched:
        cols = cols[0]
    ct, cl = torch.tensor(cols, requires_grad=True), tensor(cols, requires_grad=True)
    expected = torch.nn.functional.fold(ct, (H, W), kernel, dilation=dilation, padding=padding, stride=stride)
    actual = F.fold(cl, (H, W), kernel, dilation=dilation, padding=padding, stride=stride)
    assert_matches_torch(actual, expected, [cl], [ct], TOL[dtype], np.random.default_rng(12))


@pytest.mark.parametrize("dtype", ["float16", "bool"])
def test_half_and_bool_match_torch(dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(13).standard_normal((2, 8, 5, 10)) * 100
    x = x > 0 if dtype == "bool" else x.astype(dtype)
    expected = torch.nn.functional.unfold(torch.tensor(x), 2, (1, 2), 1, 1)
    actual = F.unfold(tensor(x), 2, (1, 2), 1, 1)
    assert actual.dtype.name == dtype
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    cols = x.reshape(2, 8, 50)[:, :, :25]
    # Overlapping float16 sums round at every addition, in PyTorch's order.
    expected = torch.nn.functional.fold(torch.tensor(cols), (4, 5), 2, (1, 2), 1, 1)
    actual = F.fold(tensor(np.ascontiguousarray(cols)), (4, 5), 2, (1, 2), 1, 1)
    assert actual.dtype.name == dtype
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


KERNEL_FORMS = {
    "numpy int": lambda lib: np.int64(2),
    "numpy array": lambda lib: np.array([2, 3]),
    "bool after first": lambda lib: (2, True),
    "list": lambda lib: [3, 2],
    "iterator": lambda lib: iter([2, 3]),
    "long tensor": lambda lib: lib.tensor([2, 2]),
    "dict keys": lambda lib: {2: "a", 3: "b"},
}


@pytest.mark.parametrize("kernel", KERNEL_FORMS.values(), ids=KERNEL_FORMS.keys())
def test_argument_forms_match_torch(kernel):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(14).standard_normal((1, 2, 6, 6)).astype(np.float32)
    expected = torch.nn.functional.unfold(torch.tensor(x), kernel(torch), stride=[1, 1])
    np.testing.assert_array_equal(F.unfold(tensor(x), kernel(torchless), stride=[1, 1]).numpy(), expected.numpy())


# --------------------------------------------------------------------------- errors, against PyTorch
def _unfold(shape, *args, **kwargs):
    return lambda lib: lib.nn.functional.unfold(lib.zeros(shape), *args, **kwargs)


def _fold(shape, *args, **kwargs):
    return lambda lib: lib.nn.functional.fold(lib.zeros(shape), *args, **kwargs)


X = (2, 3, 5, 6)
COLS = (2, 12, 20)  # 3 channels, kernel 2, output (5, 6)
BAD_CALLS = {
    # rank and empty dimensions (PyTorch reads input.size(1), size(2) first: IndexError for low ranks)
    "unfold 0-d": _unfold((), 2),
    "unfold 1-d": _unfold((5,), 2),
    "unfold 1-d empty": _unfold((0,), 2),
    "unfold 2-d": _unfold((5, 6), 2),
    "unfold 2-d empty second": _unfold((3, 0), 2),
    "unfold 2-d empty first": _unfold((0, 3), 2),
    "unfold 5-d": _unfold((1, 2, 3, 5, 6), 2),
    "unfold empty C": _unfold((2, 0, 5, 6), 2),
    "unfold empty H": _unfold((2, 3, 0, 6), 1, padding=1),
    "unfold empty W": _unfold((1, 3, 3, 0), 2),
    "unfold unbatched empty C": _unfold((0, 5, 6), 2),
    "unfold unbatched empty H": _unfold((3, 0, 6), 2),
    # argument values, and their order: kernel, dilation, padding, stride
    "unfold kernel 0": _unfold(X, 0),
    "unfold kernel -1": _unfold(X, -1),
    "unfold kernel (2, 0)": _unfold(X, (2, 0)),
    "unfold stride 0": _unfold(X, 2, stride=0),
    "unfold stride (1, -1)": _unfold(X, 2, stride=(1, -1)),
    "unfold dilation 0": _unfold(X, 2, dilation=0),
    "unfold dilation (-1, 1)": _unfold(X, 2, dilation=(-1, 1)),
    "unfold padding -1": _unfold(X, 2, padding=-1),
    "unfold padding (0, -1)": _unfold(X, 2, padding=(0, -1)),
    "unfold all bad": _unfold(X, 0, dilation=0, padding=-1, stride=0),
    "unfold stride dilation padding bad": _unfold(X, 1, dilation=0, padding=-1, stride=0),
    "unfold padding stride bad": _unfold(X, 1, padding=-1, stride=0),
    "unfold kernel bad before rank": _unfold((5, 6), 0),
    # argument lengths, checked before values
    "unfold kernel 3-tuple": _unfold(X, (3, 3, 3)),
    "unfold kernel 1-tuple": _unfold(X, (3,)),
    "unfold kernel list": _unfold(X, [3]),
    "unfold kernel empty": _unfold(X, ()),
    "unfold dilation 1-tuple": _unfold(X, (1, 1), dilation=(1,), padding=(1,), stride=(1,)),
    "unfold padding 1-tuple": _unfold(X, (1, 1), dilation=(1, 1), padding=(1,), stride=(1,)),
    "unfold stride 1-tuple first": _unfold(X, (0, 0), dilation=(1, 1), padding=(1, 1), stride=(1,)),
    "unfold length before rank": _unfold((5, 6), (1, 1, 1)),
    # too few blocks
    "unfold kernel too big": _unfold(X, 6),
    "unfold kernel too wide": _unfold(X, (5, 7)),
    "unfold too big with padding": _unfold(X, (8, 8), padding=1),
    "unfold dilated too big": _unfold(X, 3, dilation=3),
    # argument types
    "unfold kernel float": _unfold(X, 3.0),
    "unfold kernel (3, 3.0)": _unfold(X, (3, 3.0)),
    "unfold kernel (3.0, 3)": _unfold(X, (3.0, 3)),
    "unfold kernel None": _unfold(X, None),
    "unfold kernel (2, None)": _unfold(X, (2, None)),
    "unfold kernel str": _unfold(X, "ab"),
    "unfold kernel bool": _unfold(X, True),
    "unfold kernel (True, 2)": _unfold(X, (True, 2)),
    "unfold kernel numpy float": _unfold(X, np.float64(2)),
    "unfold kernel numpy float array": _unfold(X, np.array([2.0, 2.0])),
    "unfold kernel 0-d numpy": _unfold(X, np.array(2)),
    "unfold padding float": _unfold(X, 2, padding=0.5),
    "unfold stride str": _unfold(X, 2, stride="1"),
    "unfold unpack reported right to left": _unfold(X, (1, 1.5), 1, (1, 2.5), (1, 3.5)),
    "unfold first element before unpack": _unfold(X, (1, 1.5), 1, 0, 2.5),
    "unfold first bad element leftmost": _unfold(X, 1.5, 1, 0, 2.5),
    "unfold kernel 0-d tensor": lambda lib: lib.nn.functional.unfold(lib.zeros(X), lib.tensor(2)),
    "unfold kernel float tensor": lambda lib: lib.nn.functional.unfold(lib.zeros(X), lib.tensor([2.0, 2.0])),
    "unfold kernel long tensor of 3": lambda lib: lib.nn.functional.unfold(lib.zeros(X), lib.tensor([2, 2, 2])),
    # Python signature
    "unfold missing kernel": _unfold(X),
    "unfold too many arguments": _unfold(X, 2, 1, 0, 1, 5),
    "unfold unknown keyword": _unfold(X, 2, foo=1),
    "unfold kernel twice": _unfold(X, 2, kernel_size=2),
    # non-tensor input
    "unfold list input": lambda lib: lib.nn.functional.unfold([1, 2], 2),
    "unfold numpy input": lambda lib: lib.nn.functional.unfold(np.zeros((1, 1, 3, 3)), 2),
    "unfold None input": lambda lib: lib.nn.functional.unfold(None, 2),
    # fold: rank and empty dimensions
    "fold 0-d": _fold((), (5, 6), 2),
    "fold 1-d": _fold((20,), (5, 6), 2),
    "fold 1-d empty": _fold((0,), (5, 6), 2),
    "fold 4-d": _fold((1,) + COLS, (5, 6), 2),
    "fold empty C": _fold((2, 0, 20), (5, 6), 2),
    "fold empty L": _fold((2, 12, 0), (5, 6), 2),
    "fold unbatched empty C": _fold((0, 20), (5, 6), 2),
    "fold unbatched empty L": _fold((12, 0), (5, 6), 2),
    "fold empty L and output too small": _fold((2, 12, 0), (1, 1), 2),
    # fold: argument values, order kernel, stride, dilation, padding
    "fold kernel 0": _fold(COLS, (5, 6), 0),
    "fold all bad": _fold(COLS, (5, 6), 0, dilation=0, padding=-1, stride=0),
    "fold stride dilation padding bad": _fold(COLS, (5, 6), 1, dilation=0, padding=-1, stride=0),
    "fold dilation padding bad": _fold(COLS, (5, 6), 1, dilation=0, padding=-1),
    "fold padding stride bad": _fold(COLS, (5, 6), 1, padding=-1, stride=0),
    "fold stride (1, -1)": _fold(COLS, (5, 6), 1, stride=(1, -1)),
    "fold dilation (-1, 1)": _fold(COLS, (5, 6), 1, dilation=(-1, 1)),
    "fold padding (0, -1)": _fold(COLS, (5, 6), 1, padding=(0, -1)),
    "fold kernel bad before rank": _fold((20,), (5, 6), 0),
    # fold: lengths
    "fold output 3-tuple": _fold(COLS, (5, 6, 7), 2),
    "fold output 1-tuple": _fold(COLS, (5,), 2),
    "fold output empty": _fold(COLS, (), 2),
    "fold kernel 1-tuple": _fold(COLS, (5, 6), (2,)),
    "fold dilation 3-tuple": _fold(COLS, (5, 6), 2, dilation=(1, 1, 1)),
    "fold padding 3-tuple": _fold(COLS, (5, 6), 2, padding=(1, 1, 1)),
    "fold stride 3-tuple": _fold(COLS, (5, 6), 2, stride=(1, 1, 1)),
    "fold lengths output first": _fold(COLS, (5,), (2,), dilation=(1,), padding=(1,), stride=(1,)),
    "fold lengths kernel next": _fold(COLS, (5, 6), (2,), dilation=(1,), padding=(1,), stride=(1,)),
    "fold lengths dilation next": _fold(COLS, (5, 6), (2, 2), dilation=(1,), padding=(1,), stride=(1,)),
    "fold lengths padding next": _fold(COLS, (5, 6), (2, 2), dilation=(1, 1), padding=(1,), stride=(1,)),
    "fold length before kernel value": _fold(COLS, (5, 6), (0, 0), stride=(1,)),
    # fold: channels, block count, output size
    "fold channels not divisible": _fold((2, 10, 20), (5, 6), 2),
    "fold rank before divisibility": _fold((1, 1, 5, 7), (5, 6), 2),
    "fold divisibility before block count": _fold((2, 10, 19), (5, 6), 2),
    "fold block count mismatch": _fold((2, 12, 19), (5, 6), 2),
    "fold unbatched block count mismatch": _fold((12, 19), (5, 6), 2),
    "fold block count with all arguments": _fold((1, 4, 3), (5, 6), 2, dilation=(2, 1), padding=(1, 0), stride=(2, 3)),
    "fold output too small": _fold((2, 12, 1), (1, 1), 2),
    "fold output zero": _fold((2, 4, 1), (0, 0), 1),
    "fold output zero with padding": _fold((2, 1, 9), (0, 1), 1, padding=1),
    "fold negative output": _fold((2, 1, 1), (-1, 1), 1, padding=1),
    "fold negative output matching blocks": _fold((2, 1, 3), (-1, 1), 1, padding=1),
    "fold output zero matching blocks": _fold((2, 4, 1), (0, 0), 2, padding=1),
    "fold negative block counts multiplying to L": _fold((1, 16, 4), (1, 1), 4),
    "fold negative output, negative blocks": _fold((1, 1, 1), (-3, -3), 1),
    "fold negative output, large stride": _fold((1, 1, 1), (-1, -1), 1, padding=1, stride=5),
    # fold: types and signature
    "fold output float": _fold(COLS, 5.0, 2),
    "fold output (5, 6.0)": _fold(COLS, (5, 6.0), 2),
    "fold output None": _fold(COLS, None, 2),
    "fold kernel float": _fold(COLS, (5, 6), 2.0),
    "fold stride float": _fold(COLS, (5, 6), 2, stride=2.0),
    "fold unpack reported right to left": _fold(COLS, (5, 6.0), (2, 2.0)),
    "fold missing kernel": _fold(COLS, (5, 6)),
    "fold missing both": _fold(COLS),
    "fold too many arguments": _fold(COLS, (5, 6), 2, 1, 0, 1, 7),
    "fold list input": lambda lib: lib.nn.functional.fold([1], (3, 3), 2),
    "fold None input": lambda lib: lib.nn.functional.fold(None, (3, 3), 2),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
def test_integer_dtype_errors_match_torch(dtype):
    torch = pytest.importorskip("torch")

    def unfold(lib, kernel):
        return lib.nn.functional.unfold(lib.ones(1, 2, 3, 3, dtype=getattr(lib, dtype)), kernel)

    def fold(lib, length):
        return lib.nn.functional.fold(lib.ones(1, 4, length, dtype=getattr(lib, dtype)), (3, 3), 2)

    assert_same_error(lambda: unfold(torch, 2), lambda: unfold(torchless, 2))
    assert_same_error(lambda: fold(torch, 4), lambda: fold(torchless, 4))
    # Shape errors come before the dtype's.
    assert_same_error(lambda: unfold(torch, 5), lambda: unfold(torchless, 5))
    assert_same_error(lambda: fold(torch, 5), lambda: fold(torchless, 5))


def test_some_errors_without_torch():
    x = torchless.zeros(2, 3, 5, 6)
    with pytest.raises(RuntimeError, match="^kernel size should be greater than zero, but got kernel_height: 2 "
                                           "kernel_width: 0$"):
        F.unfold(x, (2, 0))
    with pytest.raises(RuntimeError, match=r"sliding blocks 4 \* 5 = 20, but got input.size\(2\)=19\.$"):
        F.fold(torchless.zeros(2, 12, 19), (5, 6), 2)
    with pytest.raises(IndexError):
        F.unfold(torchless.zeros(5, 6), 2)
    with pytest.raises(NotImplementedError, match="\"im2col_out_cpu\" not implemented for 'Long'"):
        F.unfold(torchless.zeros(1, 1, 3, 3, dtype=torchless.int64), 2)


# --------------------------------------------------------------------------- modules
def test_module_reprs():
    assert repr(nn.Unfold(3)) == "Unfold(kernel_size=3, dilation=1, padding=0, stride=1)"
    assert repr(nn.Unfold((2, 3), dilation=[1, 2], padding=1, stride=(2, 2))) == \
        "Unfold(kernel_size=(2, 3), dilation=[1, 2], padding=1, stride=(2, 2))"
    assert repr(nn.Fold((4, 5), 2)) == "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"


MODULES = [
    ("Unfold", (3,), {}),
    ("Unfold", ((2, 3),), dict(dilation=[1, 2], padding=1, stride=(2, 2))),
    ("Fold", ((5, 6), 2), {}),
    ("Fold", (), dict(output_size=6, kernel_size=(2, 3), dilation=2, padding=(1, 1), stride=1)),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_module_repr_and_forward_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    expected_module, module = modules_with_same_repr(name, *args, **kwargs)
    rng = np.random.default_rng(15)
    if name == "Unfold":
        x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    else:
        fold_args = [as_pair(getattr(module, a)) for a in ("output_size", "kernel_size", "dilation", "padding",
                                                           "stride")]
        kernel = fold_args[1]
        x = rng.standard_normal((2, 3 * kernel[0] * kernel[1], n_blocks(*fold_args))).astype(np.float32)
    for batch in (x, x[0]):
        np.testing.assert_array_equal(module(tensor(batch)).numpy(), expected_module(torch.tensor(batch)).numpy())
    assert (module.kernel_size, module.dilation, module.padding, module.stride) == \
        (expected_module.kernel_size, expected_module.dilation, expected_module.padding, expected_module.stride)


def test_modules_in_a_network_train():
    # Unfold -> per-block linear map -> Fold: gradients reach the input and match the functional path.
    x = tensor(np.random.default_rng(16).standard_normal((1, 2, 4, 4)), requires_grad=True)
    net = nn.Sequential(nn.Unfold(2, stride=2), nn.Fold(4, 2, stride=2))
    net(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((1, 2, 4, 4)))
