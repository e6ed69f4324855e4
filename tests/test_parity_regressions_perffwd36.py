"""Regressions of the thirty-sixth session's convolution dispatch and gather work (perffwd36).

* The shifted columns of a stride-1 convolution whose output rows are as long as its input rows ("same" padding)
  come from one copy of x, each tap's column a run off its rows with the entries read across a row's end zeroed
  (gather.GatherPlan): the same columns as the exact grid's gather, hence the same results, bit for bit.
* On the Xeon with AVX512-FP16 the 288-tap gather tier takes small planes too, and an input gradient by the flipped
  convolution's stacked rows is taken only where its extra passes are fewer than col2im's: the results of the
  algorithms now chosen agree with a float64 direct convolution and with PyTorch.

Each check has an independent reference (a float64 direct convolution or the exact grid's own gather), and those
with torch compare with it at run time.
"""

import numpy as np
import pytest

import torchless
from helpers import course_cnn, course_cnn_batches, direct_conv2d
from torchless._kernels import blas, conv, gather


def assert_close_to_reference(actual, reference, scale=None):
    """float32 results within float32 rounding of the float64 reference (relative to the result's size)."""
    scale = np.abs(reference).max() if scale is None else scale
    np.testing.assert_allclose(actual, reference, rtol=0, atol=2e-5 * max(1.0, scale))


# (N, C, H, W, O, (kH, kW), padding ((top, bottom), (left, right)), dilation, groups): output rows as long as x's
ROWS_KEPT = [
    (64, 5, 14, 14, 10, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),     # the course CNN's second convolution
    (64, 1, 28, 28, 5, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),      # its first
    (10, 1, 28, 28, 6, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),
    (4, 3, 20, 17, 4, (5, 5), ((2, 2), (2, 2)), (1, 1), 1),
    (3, 4, 16, 15, 6, (3, 3), ((2, 2), (2, 2)), (2, 2), 1),      # dilated
    (2, 6, 18, 13, 4, (3, 3), ((1, 1), (1, 1)), (1, 1), 2),      # groups
    (3, 4, 12, 11, 5, (4, 4), ((1, 2), (1, 2)), (1, 1), 1),      # "same" with an even kernel: padding uneven
    (2, 3, 9, 12, 3, (3, 3), ((0, 2), (0, 2)), (1, 1), 1),       # all padding after
    (2, 3, 9, 12, 3, (3, 3), ((2, 0), (2, 0)), (1, 1), 1),       # all padding before
    (2, 2, 6, 2, 3, (3, 3), ((2, 2), (2, 2)), (2, 2), 1),        # taps reading only padding: whole columns zero
    (2, 3, 10, 9, 4, (1, 3), ((0, 0), (1, 1)), (1, 1), 1),       # one kernel row
    (2, 3, 10, 9, 4, (3, 7), ((1, 1), (3, 3)), (1, 1), 1),
]


def _problem(spec, seed):
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    w = rng.standard_normal((O, C // groups, *kernel_hw), dtype=np.float32)
    return x, w, ((1, 1), padding, dilation, groups)


@pytest.mark.parametrize("spec", ROWS_KEPT)
def test_rows_kept_columns_equal_the_exact_grids(spec):
    """The one-copy shifted gather gives exactly the columns of the exact grid's gather, call after call (the
    zeroed entries stay zero when other values are gathered into the same plan)."""
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    shifted = gather.GatherPlan((N, C, H, W), np.dtype(np.float32), kernel_hw, (1, 1), padding, dilation, groups,
                                "shifted")
    grid = gather.GatherPlan((N, C, H, W), np.dtype(np.float32), kernel_hw, (1, 1), padding, dilation, groups,
                             "grid")
    assert shifted.rows_kept and not grid.shifted and not grid.pitched
    for seed in range(3):
        x, _, _ = _problem(spec, seed)
        np.testing.assert_array_equal(shifted.gather(x), grid.gather(x))


def test_rows_kept_gather_of_a_non_contiguous_input():
    """A strided view of x (a slice of a larger batch's channels) is gathered as its copy would be."""
    spec = ROWS_KEPT[0]
    x, _, _ = _problem((64, 10, 14, 14, 10, (3, 3), ((1, 1), (1, 1)), (1, 1), 1), 1)
    view = x[:, ::2]
    plan = gather.GatherPlan(view.shape, np.dtype(np.float32), (3, 3), (1, 1), spec[6], (1, 1), 1, "shifted")
    grid = gather.GatherPlan(view.shape, np.dtype(np.float32), (3, 3), (1, 1), spec[6], (1, 1), 1, "grid")
    np.testing.assert_array_equal(plan.gather(view), grid.gather(np.ascontiguousarray(view)))


@pytest.mark.parametrize("spec", ROWS_KEPT)
def test_rows_kept_forward_and_weight_gradient_against_float64(spec):
    """conv2d_forward and the weight gradient on the gathered columns, against a float64 direct convolution
    (the weight gradient as the correlation of x with gy, computed directly)."""
    x, w, args = _problem(spec, 7)
    y = gather.conv2d_forward_gather(x, w, *args)
    reference = direct_conv2d(x, w, *args)
    assert y.dtype == np.float32
    assert_close_to_reference(y, reference)
    rng = np.random.default_rng(8)
    gy = rng.standard_normal(y.shape, dtype=np.float32)
    gw = gather.conv2d_backward_weight_gather(gy, x, w.shape[2:], *args)
    # dL/dw[o, c, i, j] = sum over n, h, w of gy[n, o, h, w] * x_padded[n, g*Cg + c, h + i*dH, w + j*dW]
    (sH, sW), ((top, bottom), (left, right)), (dH, dW), groups = args
    N, C, H, W = x.shape
    xp = np.zeros((N, C, H + top + bottom, W + left + right))
    xp[:, :, top:top + H, left:left + W] = x
    O, Cg, kH, kW = w.shape
    Og, (Ho, Wo) = O // groups, y.shape[2:]
    expected = np.zeros(w.shape)
    for g in range(groups):
        for i in range(kH):
            for j in range(kW):
                patch = xp[:, g * Cg:(g + 1) * Cg, i * dH:i * dH + Ho, j * dW:j * dW + Wo]
                expected[g * Og:(g + 1) * Og, :, i, j] = np.einsum("nohw,nchw->oc", gy[:, g * Og:(g + 1) * Og],
                                                                   patch)
    assert_close_to_reference(gw, expected)


def test_course_cnn_layers_take_the_rows_kept_gather():
    """Both of the course CNN's convolutions (batch 64) gather their columns from one copy of x."""
    for spec in ROWS_KEPT[:2]:
        N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
        assert conv.choose_forward((N, C, H, W), (O, C, *kernel_hw), (1, 1), padding, dilation, groups,
                                   np.float32) == "gather"
        assert gather.column_layout((N, C, H, W), (O, C, *kernel_hw), (1, 1), padding, dilation, groups,
                                    np.float32) == "shifted"
        x, w, _ = _problem(spec, 0)
        recipe = gather.forward_recipe(x[:8], w, (1, 1), padding, dilation, groups, True)
        assert recipe.plan.rows_kept


def test_rows_kept_layout_keeps_float64_in_its_pitched_order():
    """float64 keeps the layout whose sums it had (the shifted columns are float32's alone)."""
    assert gather.column_layout((64, 5, 14, 14), (10, 5, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1,
                                np.float64) == "pitched"


# --- the dispatch on the Xeon: the algorithms chosen now give what the float64 reference and PyTorch give ----

XEON_PROBLEMS = [
    # (N, C, H, O, k): the 288-tap tier on a 14x14 plane; input gradients by col2im now, and by the flipped
    # convolution on gathered columns (its forward now in the tier)
    (8, 32, 14, 64, 3),
    (4, 16, 28, 32, 3),
    (4, 64, 14, 32, 3),
    (2, 3, 28, 16, 3),
    (8, 5, 14, 10, 3),   # the course CNN's second convolution: its input gradient flipped, on gathered columns
    (4, 16, 14, 4, 3),
]


@pytest.fixture
def xeon(conv_rules):
    conv_rules(xeon=True)


@pytest.mark.parametrize("problem", XEON_PROBLEMS)
def test_xeon_choices_against_float64(xeon, problem):
    N, C, H, O, k = problem
    p = k // 2
    args = ((1, 1), ((p, p), (p, p)), (1, 1), 1)
    rng = np.random.default_rng(N * C + O)
    x = rng.standard_normal((N, C, H, H), dtype=np.float32)
    w = rng.standard_normal((O, C, k, k), dtype=np.float32) / np.float32(np.sqrt(C * k * k))
    gy = rng.standard_normal((N, O, H, H), dtype=np.float32)
    names = (conv.choose_forward(x.shape, w.shape, *args, np.float32),
             conv.choose_backward_input(gy.shape, w.shape, (H, H), *args, np.float32),
             conv.choose_backward_weight(gy.shape, x.shape, (k, k), *args, np.float32))
    y = conv.FORWARD[names[0]].run(x, w, *args)
    gx = conv.BACKWARD_INPUT[names[1]].run(gy, w, (H, H), *args)
    gw = conv.BACKWARD_WEIGHT[names[2]].run(gy, x, (k, k), *args)
    assert_close_to_reference(y, direct_conv2d(x, w, *args))
    # the input gradient: the correlation of gy (padded k - 1 - p) with the flipped, transposed kernel
    flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    q = k - 1 - p
    assert_close_to_reference(gx, direct_conv2d(gy, flipped, (1, 1), ((q, q), (q, q)), (1, 1), 1))
    # the weight gradient: the correlation of x (padded p) with gy, over the batch
    xt = np.ascontiguousarray(x.transpose(1, 0, 2, 3))
    gyt = np.ascontiguousarray(gy.transpose(1, 0, 2, 3))
    assert_close_to_reference(gw, direct_conv2d(xt, gyt, (1, 1), ((p, p), (p, p)), (1, 1), 1).transpose(1, 0, 2, 3))


def test_xeon_dispatch_of_the_re_measured_shapes(xeon):
    """64x32x14x14->64 (a benchmark case) gathers its forward and weight gradient; 64x64x14x14->32's input gradient
    is the flipped convolution on gathered columns; 64x3x28x28->16's is col2im."""
    same = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1, np.float32)
    assert conv.choose_forward((64, 32, 14, 14), (64, 32, 3, 3), *same) == "gather"
    assert conv.choose_backward_weight((64, 64, 14, 14), (64, 32, 14, 14), (3, 3), *same) == "gather"
    assert conv.choose_backward_input((64, 32, 14, 14), (32, 64, 3, 3), (14, 14), *same) == "flipped"
    assert conv.choose_backward_input((64, 16, 28, 28), (16, 3, 3, 3), (28, 28), *same) == "col2im"
    # layers of 4 to 7 output channels of up to 144 taps gather; the course CNN's input gradient (into 5 channels)
    # is the flipped convolution on gathered columns, one into 3 channels col2im
    assert conv.choose_forward((64, 10, 14, 14), (5, 10, 3, 3), *same) == "gather"
    assert conv.choose_forward((64, 10, 14, 14), (3, 10, 3, 3), *same) == "rowstack"
    assert conv.choose_backward_weight((64, 4, 14, 14), (64, 16, 14, 14), (3, 3), *same) == "gather"
    assert conv.choose_backward_input((64, 10, 14, 14), (10, 5, 3, 3), (14, 14), *same) == "flipped"
    assert conv.choose_backward_input((64, 10, 14, 14), (10, 3, 3, 3), (14, 14), *same) == "col2im"


def test_input_gradient_by_stacked_rows_on_a_xeon_only_where_its_extra_passes_are_no_more(xeon):
    """On a Xeon with AVX512-FP16 the flipped convolution's stacked rows beat col2im only where its extra passes
    (Og*kW + Cg*kH rows) are at most col2im's (Cg*kH*kW), as measured (see ROWSTACK_FLIPPED_MIN_CHANNELS)."""
    for (N, C, H, O, k), expected in (((64, 3, 28, 16, 3), "col2im"), ((64, 12, 28, 32, 3), "col2im"),
                                      ((64, 16, 28, 32, 3), "flipped"),  # equal counts
                                      ((32, 20, 28, 64, 3), "col2im"), ((64, 20, 28, 32, 3), "flipped"),
                                      ((8, 32, 56, 32, 3), "flipped"), ((16, 10, 32, 16, 5), "flipped"),
                                      ((8, 4, 64, 32, 7), "col2im"), ((8, 8, 64, 32, 7), "flipped")):
        p = k // 2
        args = ((1, 1), ((p, p), (p, p)), (1, 1), 1)
        assert conv.choose_forward((N, O, H, H), (C, O, k, k), *args) in ("rowstack", "rowstack_blocked")  # flipped
        assert conv.choose_backward_input((N, O, H, H), (O, C, k, k), (H, H), *args) == expected
    # the classic MNIST CNN's second convolution (unpadded), a shard of its batch: equal counts, flipped
    unpadded = ((1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    assert conv.choose_backward_input((32, 64, 24, 24), (64, 32, 3, 3), (26, 26), *unpadded) == "flipped"


# --- against PyTorch ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", [spec for spec in ROWS_KEPT if all(before == after for before, after in spec[6])])
def test_rows_kept_convolution_against_torch(spec):
    """F.conv2d (bias, input and weight requiring grad) and its gradients, as PyTorch computes them (symmetric
    padding: F.conv2d's)."""
    torch = pytest.importorskip("torch")
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    x, w, _ = _problem(spec, 3)
    rng = np.random.default_rng(4)
    b = rng.standard_normal(O, dtype=np.float32)
    pad = (padding[0][0], padding[1][0])
    results = []
    for lib in (torchless, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        bt = lib.tensor(b, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, bt, padding=pad, dilation=dilation, groups=groups)
        gy = lib.tensor(np.random.default_rng(5).standard_normal(tuple(y.shape), dtype=np.float32))
        y.backward(gy)
        results.append([t.detach().numpy() for t in (y, xt.grad, wt.grad, bt.grad)])
    for ours, theirs in zip(*results):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs), rtol=1e-4, atol=1e-4)


def test_course_cnn_training_step_against_torch():
    """Two Adam steps of the course CNN (batch 64) from the same weights: losses and weights as PyTorch's."""
    torch = pytest.importorskip("torch")

    torch.manual_seed(0)
    theirs = course_cnn(torch.nn)
    ours = course_cnn(torchless.nn)
    ours.load_state_dict({k: torchless.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    batches = course_cnn_batches(2, seed=0)
    losses = []
    for lib, model in ((torchless, ours), (torch, theirs)):
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
        run = []
        for images, labels in batches:
            optimizer.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(images)), lib.tensor(labels))
            loss.backward()
            optimizer.step()
            run.append(loss.item())
        losses.append(run)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    for (name, mine), (_, reference) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("xeon_rules", [False, True])
def test_random_convolutions_whatever_the_dispatch_picks_against_float64(monkeypatch, conv_rules, xeon_rules):
    """Forward and both gradients through the entry points (the dispatcher's choice, on either machine's rules)
    over random shapes, strides, paddings, dilations and groups, against float64 direct convolutions."""
    monkeypatch.setattr(blas, "WIDE_VECTORS", True)
    conv_rules(xeon_rules)
    rng = np.random.default_rng(36 + xeon_rules)
    for _ in range(14):
        groups = int(rng.choice([1, 1, 2]))
        Cg, Og = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        k = int(rng.choice([1, 3, 3, 5]))
        s = int(rng.choice([1, 1, 2]))
        d = int(rng.choice([1, 1, 2])) if k > 1 else 1
        p = int(rng.integers(0, d * (k - 1) // 2 + 2))
        span = d * (k - 1) + 1
        N, H, W = int(rng.integers(1, 24)), int(rng.integers(span, 30)), int(rng.integers(span, 30))
        C, O = Cg * groups, Og * groups
        x = rng.standard_normal((N, C, H, W), dtype=np.float32)
        w = rng.standard_normal((O, Cg, k, k), dtype=np.float32) / np.float32(np.sqrt(Cg * k * k))
        args = ((s, s), ((p, p), (p, p)), (d, d), groups)
        y = conv.conv2d_forward(x, w, *args, algorithm=conv.choose_forward(x.shape, w.shape, *args, np.float32))
        assert_close_to_reference(y, direct_conv2d(x, w, *args))
        gy = rng.standard_normal(y.shape, dtype=np.float32)
        gx = conv.conv2d_backward_input(gy, w, (H, W), *args,
                                        algorithm=conv.choose_backward_input(gy.shape, w.shape, (H, W), *args,
                                                                             np.float32))
        gw = conv.conv2d_backward_weight(gy, x, (k, k), *args,
                                         algorithm=conv.choose_backward_weight(gy.shape, x.shape, (k, k), *args,
                                                                               np.float32))
        # the gradients by the adjoint identities <gx, u> = <gy, conv(u, w)> and <gw, v> = <gy, conv(x, v)> on
        # random directions u and v, each side in float64
        u = rng.standard_normal(x.shape)
        v = rng.standard_normal(w.shape)
        lhs_x = float(np.sum(gy.astype(np.float64) * direct_conv2d(u, w, *args)))
        lhs_w = float(np.sum(gy.astype(np.float64) * direct_conv2d(x, v, *args)))
        scale_x = float(np.abs(gy).sum() * np.abs(direct_conv2d(np.abs(u), np.abs(w), *args)).max()) + 1.0
        scale_w = float(np.abs(gy).sum() * np.abs(direct_conv2d(np.abs(x), np.abs(v), *args)).max()) + 1.0
        assert abs(float(np.sum(gx.astype(np.float64) * u)) - lhs_x) <= 1e-5 * scale_x
        assert abs(float(np.sum(gw.astype(np.float64) * v)) - lhs_w) <= 1e-5 * scale_w
