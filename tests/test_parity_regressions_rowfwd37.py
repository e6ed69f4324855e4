"""rowfwd37: the forward's stacked rows in cache-sized blocks where they pay on the Xeon with AVX512-FP16.

choose_forward picks im2col.conv2d_forward_rowstack_blocked for a stride-1 forward by stacked rows whose columns
and partial sums are few rows (conv.XEON_ROWSTACK_BLOCKED_MAX_ROWS) but many bytes
(conv.XEON_ROWSTACK_BLOCKED_MIN_BYTES), of more than one image. The blocks give the whole kernel's bits; the
dispatched forward is checked against the whole kernel bit for bit, a float64 direct convolution and PyTorch.
"""
import numpy as np
import pytest

import torchless
from torchless._kernels import conv
from helpers import direct_conv2d


@pytest.fixture
def xeon(conv_rules):
    conv_rules(xeon=True)  # (the memoised choices of the other rules forgotten, and these after the test)


def _pads(p):
    return ((p, p), (p, p))


def _shard(N, O, H, W, k, p, d, C, groups):
    """Images per call as conv2d_forward runs a batch (split over the cores when large)."""
    out_hw = conv.conv_output_hw((H, W), (k, k), (1, 1), _pads(p), (d, d))
    slices = conv._batch_shards(N, O, out_hw, (O, C // groups, k, k))
    return N if slices is None else slices[0].stop - slices[0].start


# (N, C, H, O, k, padding, dilation, groups): shapes the rule sends to the blocks on the Xeon (as called: a batch
# is split into shards over the cores, and the rule sees a shard)
BLOCKED = [
    (16, 16, 32, 32, 5, 2, 1, 1),      # 9.5 MiB of rows per shard of 8
    (8, 16, 64, 16, 7, 3, 1, 1),       # 16.7 MiB
    (8, 64, 56, 64, 3, 2, 2, 2),       # dilation 2, 2 groups: 384 rows, 21 MiB
]


@pytest.mark.parametrize("problem", BLOCKED)
def test_rule_takes_blocked_stacked_rows_for_large_problems_of_few_rows(xeon, problem):
    N, C, H, O, k, p, d, g = problem
    n = _shard(N, O, H, H, k, p, d, C, g)
    args = ((1, 1), _pads(p), (d, d), g)
    assert conv.choose_forward((n, C, H, H), (O, C // g, k, k), *args, np.float32) == "rowstack_blocked"


@pytest.mark.parametrize("x_shape, w_shape, padding, expected", [
    ((1, 64, 112, 112), (64, 64, 3, 3), 1, "rowstack"),        # one image: BLAS on both cores, blocks lose
    ((1, 32, 112, 112), (32, 32, 7, 7), 3, "rowstack"),
    ((4, 96, 28, 28), (96, 96, 5, 5), 2, "rowstack"),          # 960 rows
    ((1, 32, 56, 56), (64, 32, 5, 5), 2, "rowstack"),
    ((2, 32, 56, 56), (64, 32, 5, 5), 2, "rowstack"),          # 480 rows
    ((4, 16, 32, 32), (16, 16, 5, 5), 2, "rowstack"),          # 3.2 MiB
    ((8, 32, 32, 32), (32, 32, 3, 3), 1, "rowstack"),          # 6.8 MiB
    ((4, 64, 56, 56), (64, 64, 3, 3), 1, "rowstack_blocked"),  # a shard of issue #5's 8x64x56x56->64: 19.7 MiB
    ((4, 32, 64, 64), (32, 32, 7, 7), 3, "rowstack_blocked"),  # of 8x32x64x64->32 7x7: 448 rows, 33.5 MiB
])
def test_rule_boundaries(xeon, x_shape, w_shape, padding, expected):
    args = ((1, 1), _pads(padding), (1, 1), 1)
    assert conv.choose_forward(x_shape, w_shape, *args, np.float32) == expected
    rows = w_shape[1] * w_shape[3] + w_shape[2] * w_shape[0]
    size = rows * x_shape[0] * (x_shape[2] + 2 * padding) * (x_shape[3] + 2 * padding) * 4
    blocked = (x_shape[0] >= 2 and rows <= conv.XEON_ROWSTACK_BLOCKED_MAX_ROWS
               and size >= conv.XEON_ROWSTACK_BLOCKED_MIN_BYTES)
    assert blocked == (expected == "rowstack_blocked")


def test_float64_keeps_the_whole_stacked_rows(xeon):
    """A float64 block's products may round otherwise than the whole width's (last bits): float32 only."""
    args = ((1, 1), _pads(1), (1, 1), 1)
    assert conv.choose_forward((4, 64, 56, 56), (64, 64, 3, 3), *args, np.float32) == "rowstack_blocked"
    assert conv.choose_forward((8, 16, 64, 64), (16, 16, 7, 7), ((1, 1)), _pads(3), (1, 1), 1,
                               np.float64) == "rowstack"


def test_elsewhere_the_whole_stacked_rows(conv_rules):
    conv_rules(xeon=False)
    args = ((1, 1), _pads(3), (1, 1), 1)
    assert conv.choose_forward((4, 32, 64, 64), (32, 32, 7, 7), *args, np.float32) == "rowstack"


def test_input_gradient_still_flipped_where_the_forward_blocks(xeon):
    """choose_backward_input takes the flipped convolution for the blocked stacked rows as for the whole ones."""
    gy_shape, w_shape = (4, 64, 56, 56), (64, 64, 3, 3)
    args = ((1, 1), _pads(1), (1, 1), 1)
    assert conv.choose_forward(gy_shape, (64, 64, 3, 3), *args, np.float32) == "rowstack_blocked"
    assert conv.choose_backward_input(gy_shape, w_shape, (56, 56), *args, np.float32) == "flipped"


@pytest.mark.parametrize("problem", BLOCKED)
@pytest.mark.parametrize("with_bias", [False, True])
def test_dispatched_forward_bits_and_float64(xeon, problem, with_bias):
    N, C, H, O, k, p, d, g = problem
    rng = np.random.default_rng(N * C + O + k + g)
    x = rng.standard_normal((N, C, H, H), dtype=np.float32)
    w = rng.standard_normal((O, C // g, k, k), dtype=np.float32) / np.float32(np.sqrt(C // g * k * k))
    bias = rng.standard_normal(O, dtype=np.float32) if with_bias else None
    args = ((1, 1), _pads(p), (d, d), g)
    y = conv.conv2d_forward(x, w, *args, bias=bias)
    whole = conv.conv2d_forward(x, w, *args, algorithm="rowstack", bias=bias)
    assert y.dtype == np.float32 and y.shape == whole.shape
    assert np.array_equal(y.view(np.uint32), whole.view(np.uint32))
    reference = direct_conv2d(x, w, (1, 1), (p, p), (d, d), g)
    if bias is not None:
        reference += bias.astype(np.float64).reshape(1, -1, 1, 1)
    assert np.max(np.abs(y - reference)) <= 2e-6 * max(1.0, np.max(np.abs(reference)))


@pytest.mark.parametrize("problem", BLOCKED)
def test_functional_conv2d_forward_and_gradients_against_torch(xeon, problem):
    torch = pytest.importorskip("torch")
    N, C, H, O, k, p, d, g = problem
    rng = np.random.default_rng(O + k)
    x = rng.standard_normal((N, C, H, H), dtype=np.float32)
    w = rng.standard_normal((O, C // g, k, k), dtype=np.float32) / np.float32(np.sqrt(C // g * k * k))
    b = rng.standard_normal(O, dtype=np.float32)
    ours = [torchless.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = torchless.nn.functional.conv2d(*ours, padding=p, dilation=d, groups=g)
    expected = torch.nn.functional.conv2d(*theirs, padding=p, dilation=d, groups=g)
    torch.testing.assert_close(torch.from_numpy(y.detach().numpy()), expected.detach(), rtol=1e-5, atol=1e-5)
    gy = rng.standard_normal(expected.shape, dtype=np.float32)
    y.backward(torchless.tensor(gy))
    expected.backward(torch.tensor(gy))
    for a, e in zip(ours, theirs):  # (sums of N*Ho*Wo products: tolerances on their scale)
        scale = float(e.grad.abs().max())
        torch.testing.assert_close(torch.from_numpy(a.grad.numpy()), e.grad, rtol=1e-5, atol=1e-5 * scale)
