"""Regressions of the thirty-eighth session's MNIST-step gradient work (perfmnist38).

* The input gradient of a stride-1 float32 convolution whose flipped convolution takes stacked rows skips the
  padding around gy (im2col.conv2d_backward_input_rowstack_rows): blocks of whole images' gy rows
  copied straight into zero-bordered columns kept per thread, kernel row i's partial sums added i rows up in gx's
  NCHW order, the rows only later kernel rows reach starting at zero. The same sums in the same order as the
  blocked stacked rows (the same bits where OpenBLAS packs both products). It also replaces gathered columns and
  col2im for one group, a batch and GEMMs neither thin nor of many channels (conv._rows_only_suits).
* A split input gradient by the flipped convolution writes each shard's part of gx in place (``out=``) instead of
  copying it there.

Each check has an independent reference (a float64 direct convolution, or the previous kernel's own bits), and
those with torch compare with it at run time. The dispatch checks pin the rules they describe (conftest's
conv_rules): those of the Xeon with AVX512-FP16, where they were measured, or of other hosts.
"""

import numpy as np
import pytest

import torchless
from torchless._kernels import conv, im2col

UNPADDED = ((0, 0), (0, 0))


def direct_input_gradient(gy, w, input_hw, dilation, groups, padding=UNPADDED):
    """float64 gx of the stride-1 convolution: each tap's adjoint added at its slice of the padded input, the padding
    then cut off (independent of torchless's kernels)."""
    gy, w = np.asarray(gy, np.float64), np.asarray(w, np.float64)
    N, O, Ho, Wo = gy.shape
    _, Cg, kH, kW = w.shape
    Og = O // groups
    ((top, bottom), (left, right)), (H, W) = padding, input_hw
    gx = np.zeros((N, Cg * groups, H + top + bottom, W + left + right))
    for g in range(groups):
        channels, outputs = slice(g * Cg, (g + 1) * Cg), slice(g * Og, (g + 1) * Og)
        for i in range(kH):
            for j in range(kW):
                rows = slice(i * dilation[0], i * dilation[0] + Ho)
                cols = slice(j * dilation[1], j * dilation[1] + Wo)
                gx[:, channels, rows, cols] += np.einsum("nohw,oc->nchw", gy[:, outputs], w[outputs, :, i, j])
    return gx[:, :, top:top + H, left:left + W]


def assert_close_to_reference(actual, reference, depth):
    """float32 results within float32 rounding of the float64 reference: ``depth`` products per value."""
    scale = float(np.abs(reference).max())
    np.testing.assert_allclose(actual, reference, rtol=0, atol=2e-7 * np.sqrt(depth) * 8 * scale)


def arrays(N, C, H, W, O, kernel_hw, dilation, groups, seed, zeros=False, padding=UNPADDED):
    """(gy, w) float32 of the stride-1 convolution (N, C, H, W) -> O; with ``zeros``, gy is 0 at most places (a
    ReLU's and max pooling's gradient)."""
    rng = np.random.default_rng(seed)
    Ho = H + sum(padding[0]) - (kernel_hw[0] - 1) * dilation[0]
    Wo = W + sum(padding[1]) - (kernel_hw[1] - 1) * dilation[1]
    gy = rng.standard_normal((N, O, Ho, Wo)).astype(np.float32)
    if zeros:
        gy[gy < 0.7] = 0
    w = rng.standard_normal((O, C // groups, *kernel_hw)).astype(np.float32)
    return gy, w


# (N, C, H, W, O, (kH, kW), padding, dilation, groups) of stride-1 convolutions; bits: whether the blocked stacked
# rows' bits are asserted too (their products are long enough for OpenBLAS to pack them in both, whose sums then do
# not depend on the positions multiplied with them; its small unpacked kernels' may, by a last bit)
SHAPES = [
    ((3, 32, 26, 26, 64, (3, 3), UNPADDED, (1, 1), 1), True),    # the classic MNIST CNN's second layer (3 images)
    ((4, 32, 14, 14, 64, (3, 3), ((1, 1), (1, 1)), (1, 1), 1), True),  # "same" padding, a benchmark layer
    ((4, 4, 11, 9, 6, (3, 3), UNPADDED, (1, 1), 1), False),
    ((2, 6, 12, 14, 4, (3, 2), UNPADDED, (2, 1), 2), False),     # dilated rows, uneven kernel, groups
    ((3, 8, 16, 12, 8, (5, 5), UNPADDED, (1, 2), 4), False),     # 4 groups, dilated columns
    ((5, 4, 9, 9, 6, (1, 3), UNPADDED, (1, 1), 1), False),       # one kernel row: no rows to skip
    ((2, 3, 10, 7, 5, (4, 1), UNPADDED, (1, 1), 1), False),      # one kernel column
    ((1, 3, 7, 7, 5, (3, 3), UNPADDED, (1, 1), 1), False),       # one image
    ((2, 5, 5, 5, 3, (5, 5), UNPADDED, (1, 1), 1), False),       # a 1x1 gy
    ((3, 6, 11, 9, 4, (3, 3), ((2, 0), (0, 2)), (1, 1), 2), False),   # one-sided padding
    ((2, 4, 13, 10, 6, (7, 7), ((3, 3), (3, 3)), (1, 1), 1), False),  # 7x7 "same"
    ((3, 4, 12, 14, 4, (3, 3), ((2, 2), (2, 2)), (2, 2), 1), False),  # dilated "same"
    ((2, 4, 10, 9, 8, (3, 5), ((0, 2), (1, 3)), (1, 1), 4), False),   # uneven padding, 4 groups
    ((2, 3, 8, 12, 3, (4, 2), ((3, 0), (0, 1)), (1, 2), 1), False),   # the kernel's span of padding on one side
    ((1, 2, 5, 5, 3, (5, 5), ((4, 4), (4, 4)), (1, 1), 1), False),    # gy larger than gx
]


def _shape_id(spec):
    N, C, H, W, O, (kH, kW), padding, dilation, groups = spec
    return f"{N}x{C}x{H}x{W}->{O}_k{kH}x{kW}_p{padding}_d{dilation}_g{groups}"


@pytest.mark.parametrize("block_bytes", [1, 2 ** 16, im2col.ROWSTACK_ROWS_BLOCK_BYTES, 2 ** 30])
@pytest.mark.parametrize("spec, same_bits", SHAPES, ids=[_shape_id(spec) for spec, _ in SHAPES])
def test_rows_only_against_direct_and_blocked_rows(spec, same_bits, block_bytes, monkeypatch):
    """One image per block up to all in one: within float32 rounding of the float64 direct gradient, and (where
    asserted) the bits of the blocked stacked rows over the padded gy, which sum the skipped positions' zeros too."""
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    gy, w = arrays(N, C, H, W, O, kernel_hw, dilation, groups, seed=N * C + O, zeros=block_bytes == 2 ** 16,
                   padding=padding)
    monkeypatch.setattr(im2col, "ROWSTACK_ROWS_BLOCK_BYTES", block_bytes)
    got = im2col.conv2d_backward_input_rowstack_rows(gy, w, (H, W), padding, dilation, groups)
    assert got.shape == (N, C, H, W) and got.dtype == np.float32 and got.flags.c_contiguous
    reference = direct_input_gradient(gy, w, (H, W), dilation, groups, padding)
    assert_close_to_reference(got, reference, (O // groups) * kernel_hw[0] * kernel_hw[1])
    if same_bits:
        blocked = conv.conv2d_backward_input_flipped(gy, w, (H, W), (1, 1), padding, dilation, groups,
                                                     forward_algorithm="rowstack_blocked")
        np.testing.assert_array_equal(got.view(np.uint32), blocked.view(np.uint32))


def test_rows_only_into_out_and_after_other_problems():
    """``out`` (full of NaNs) receives gx, the same bits; so do later calls of one layout, whose columns' zeros are
    kept from the first (other gy values, other layouts in between, enough of them to drop the kept buffers)."""
    gy, w = arrays(4, 6, 14, 13, 5, (3, 3), (1, 1), 1, seed=3)
    fresh = im2col.conv2d_backward_input_rowstack_rows(gy, w, (14, 13), UNPADDED, (1, 1), 1)
    for size in range(15, 25):
        other_gy, other_w = arrays(3, 6, size, size, 5, (3, 3), (1, 1), 1, seed=size)
        im2col.conv2d_backward_input_rowstack_rows(other_gy * 9, other_w, (size, size), UNPADDED, (1, 1), 1)
        again = im2col.conv2d_backward_input_rowstack_rows(gy, w, (14, 13), UNPADDED, (1, 1), 1)
        np.testing.assert_array_equal(again.view(np.uint32), fresh.view(np.uint32))
    out = np.full((4, 6, 14, 13), np.nan, np.float32)
    got = im2col.conv2d_backward_input_rowstack_rows(gy, w, (14, 13), UNPADDED, (1, 1), 1, out=out)
    assert got is out
    np.testing.assert_array_equal(out.view(np.uint32), fresh.view(np.uint32))
    assert_close_to_reference(fresh, direct_input_gradient(gy, w, (14, 13), (1, 1), 1), 5 * 9)


def _spy(monkeypatch):
    """The calls conv makes to the rows-only kernel, recorded (the kernel still runs)."""
    calls = []
    kernel = conv.conv2d_backward_input_rowstack_rows

    def recorded(gy, *args, **kwargs):
        calls.append(gy.shape)
        return kernel(gy, *args, **kwargs)
    monkeypatch.setattr(conv, "conv2d_backward_input_rowstack_rows", recorded)
    return calls


# (the classic MNIST CNN's second layer; the benchmark's 64x32x14x14->64, "same" padding)
LAYERS = [(64, 32, 26, 26, 64, (3, 3), UNPADDED, (1, 1), 1), (64, 32, 14, 14, 64, (3, 3), ((1, 1), (1, 1)), (1, 1), 1)]


def _layer_input_gradient(spec, threads, monkeypatch):
    """(gy, w, the dispatched input gradient on ``threads`` threads, the rows-only kernel's calls) of ``spec`` for
    64 images, gy mostly 0 (split over the batch on 2 threads, each shard written in its part of gx)."""
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    gy, w = arrays(N, C, H, W, O, kernel_hw, dilation, groups, seed=38, zeros=True, padding=padding)
    calls = _spy(monkeypatch)
    previous = torchless.get_num_threads()
    torchless.set_num_threads(threads)
    try:
        got = conv.conv2d_backward_input(gy, w, (H, W), (1, 1), padding, dilation, groups)
    finally:
        torchless.set_num_threads(previous)
    return gy, w, got, calls


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("spec", LAYERS, ids=_shape_id)
def test_layer_input_gradient_takes_rows_only(spec, threads, monkeypatch, conv_rules):
    """On a Xeon with AVX512-FP16, whose rules flip these layers' input gradients by stacked rows (pinned here on
    any host): the rows-only kernel, within float32 rounding of the float64 gradient, the same bits on 1 and 2
    threads and as the blocked stacked rows."""
    conv_rules(xeon=True)
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    gy, w, got, calls = _layer_input_gradient(spec, threads, monkeypatch)
    assert calls and sum(shape[0] for shape in calls) == N
    assert_close_to_reference(got, direct_input_gradient(gy, w, (H, W), dilation, groups, padding), O * 9)
    blocked = conv.conv2d_backward_input_flipped(gy, w, (H, W), (1, 1), padding, dilation, groups,
                                                 forward_algorithm="rowstack_blocked")
    np.testing.assert_array_equal(got.view(np.uint32), blocked.view(np.uint32))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("spec", LAYERS, ids=_shape_id)
def test_layer_input_gradient_elsewhere_keeps_winograd(spec, threads, monkeypatch, conv_rules):
    """Elsewhere (an AMD EPYC with AVX-512, say) the rules flip these layers by Winograd F(2x2), which the rows-only
    kernel leaves alone: its bits, within float32 rounding of the float64 gradient, on 1 and 2 threads."""
    conv_rules(xeon=False)
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    gy, w, got, calls = _layer_input_gradient(spec, threads, monkeypatch)
    assert calls == []
    assert_close_to_reference(got, direct_input_gradient(gy, w, (H, W), dilation, groups, padding), O * 9)
    winograd = conv.conv2d_backward_input_flipped(gy, w, (H, W), (1, 1), padding, dilation, groups,
                                                  forward_algorithm="winograd2")
    np.testing.assert_array_equal(got.view(np.uint32), winograd.view(np.uint32))


# (N, C, H, W, O, kernel, padding, taken): shapes the dispatcher gave gathered columns or col2im before; the course
# CNN's second layer (64x5x14x14->10) and others of few channels take the rows-only kernel, a thin one (gy of 3
# channels: a GEMM of depth 9), many channels (256), one image or a small problem do not
DISPATCHED = [
    ((64, 5, 14, 14, 10, (3, 3), ((1, 1), (1, 1))), True),
    ((16, 3, 28, 28, 16, (3, 3), ((1, 1), (1, 1))), True),
    ((8, 3, 24, 24, 6, (5, 5), ((2, 2), (2, 2))), True),
    ((8, 1, 28, 28, 32, (3, 3), UNPADDED), True),
    ((16, 10, 14, 14, 3, (3, 3), ((1, 1), (1, 1))), False),
    ((2, 256, 7, 7, 256, (3, 3), ((1, 1), (1, 1))), False),
    ((1, 5, 14, 14, 10, (3, 3), ((1, 1), (1, 1))), False),
    ((10, 1, 28, 28, 6, (3, 3), ((1, 1), (1, 1))), False),     # too small to pay
]


@pytest.mark.parametrize("xeon", [True, False], ids=["xeon_rules", "other_rules"])
@pytest.mark.parametrize("spec, taken", DISPATCHED, ids=[str(spec[:6]) for spec, _ in DISPATCHED])
def test_dispatch_of_rows_only_input_gradient(spec, taken, xeon, monkeypatch, conv_rules):
    """Taken or not as measured, under the rules of either host (which give these shapes gathered columns or col2im
    alike, the course CNN's layer col2im outside the Xeon); either way within float32 rounding of the float64
    direct gradient."""
    conv_rules(xeon)
    N, C, H, W, O, kernel_hw, padding = spec
    gy, w = arrays(N, C, H, W, O, kernel_hw, (1, 1), 1, seed=O + C, padding=padding)
    calls = _spy(monkeypatch)
    got = conv.conv2d_backward_input(gy, w, (H, W), (1, 1), padding, (1, 1), 1)
    assert bool(calls) == taken
    assert_close_to_reference(got, direct_input_gradient(gy, w, (H, W), (1, 1), 1, padding), O * 9)


# The kernel each host's rules give the input gradient of 8x32x26x26->64 in 2 groups (unpadded): on a Xeon with
# AVX512-FP16 the flipped convolution by stacked rows in blocks, elsewhere col2im.
GROUPED_KERNELS = {
    True: lambda gy, w: conv.conv2d_backward_input_flipped(gy, w, (26, 26), (1, 1), UNPADDED, (1, 1), 2,
                                                           forward_algorithm="rowstack_blocked"),
    False: lambda gy, w: conv.conv2d_backward_input_im2col(gy, w, (26, 26), (1, 1), UNPADDED, (1, 1), 2),
}


@pytest.mark.parametrize("xeon", [True, False], ids=["xeon_rules", "other_rules"])
def test_grouped_input_gradient_keeps_its_kernels(xeon, monkeypatch, conv_rules):
    """Several groups (not timed with the rows-only kernel): each host's kernel as before, the same bits, within
    float32 rounding of the float64 gradient."""
    conv_rules(xeon)
    gy, w = arrays(8, 32, 26, 26, 64, (3, 3), (1, 1), 2, seed=9)
    calls = _spy(monkeypatch)
    got = conv.conv2d_backward_input(gy, w, (26, 26), (1, 1), UNPADDED, (1, 1), 2)
    assert calls == []
    np.testing.assert_array_equal(got.view(np.uint32), GROUPED_KERNELS[xeon](gy, w).view(np.uint32))
    assert_close_to_reference(got, direct_input_gradient(gy, w, (26, 26), (1, 1), 2), 32 * 9)


def test_rows_only_not_taken_where_it_does_not_apply(monkeypatch):
    """float64, or an inf in the weight (whose products with the padding's zeros PyTorch forms): the previous
    kernels, whose results are unchanged (float64 direct reference; an inf wherever the inf weight reaches)."""
    calls = _spy(monkeypatch)
    gy, w = arrays(4, 32, 26, 26, 64, (3, 3), (1, 1), 1, seed=5)
    wide = conv.conv2d_backward_input(gy.astype(np.float64), w.astype(np.float64), (26, 26), (1, 1), UNPADDED,
                                      (1, 1), 1)
    np.testing.assert_allclose(wide, direct_input_gradient(gy, w, (26, 26), (1, 1), 1), rtol=1e-12, atol=1e-11)
    w_inf = w.copy()
    w_inf[3, 5, 0, 2] = np.inf
    with_inf = conv.conv2d_backward_input(gy, w_inf, (26, 26), (1, 1), UNPADDED, (1, 1), 1)
    assert calls == []
    # channel 5 meets the inf, times a gy never 0 there, in every cell its tap reaches; the other channels never
    assert np.isinf(with_inf[:, 5, 0:24, 2:26]).all()
    assert np.isfinite(with_inf[:, :5]).all() and np.isfinite(with_inf[:, 6:]).all()


def test_split_flipped_gradient_into_its_parts_is_the_whole(monkeypatch):
    """A split input gradient by another flipped algorithm (gathered columns, padded) writes each part in place:
    the bits of the call on one thread."""
    rng = np.random.default_rng(7)
    gy = rng.standard_normal((16, 16, 20, 20)).astype(np.float32)
    w = rng.standard_normal((16, 32, 3, 3)).astype(np.float32)
    padding = ((1, 1), (1, 1))
    previous = torchless.get_num_threads()
    try:
        torchless.set_num_threads(1)
        whole = conv.conv2d_backward_input(gy, w, (20, 20), (1, 1), padding, (1, 1), 1)
        torchless.set_num_threads(2)
        split = conv.conv2d_backward_input(gy, w, (20, 20), (1, 1), padding, (1, 1), 1)
    finally:
        torchless.set_num_threads(previous)
    np.testing.assert_array_equal(split.view(np.uint32), whole.view(np.uint32))


# --------------------------------------------------------------------------- against PyTorch

TORCH_SHAPES = [
    (8, 32, 26, 26, 64, (3, 3), UNPADDED, (1, 1), 1),
    (4, 6, 12, 14, 4, (3, 2), UNPADDED, (2, 1), 2),
    (3, 8, 16, 12, 8, (5, 5), UNPADDED, (1, 2), 4),
    (8, 32, 14, 14, 64, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),
    (2, 8, 20, 18, 8, (7, 7), ((3, 3), (3, 3)), (1, 1), 1),
    (3, 6, 11, 13, 4, (3, 3), ((2, 2), (1, 1)), (2, 1), 2),
    (16, 5, 14, 14, 10, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),    # the course CNN's second layer
]


@pytest.mark.parametrize("spec", TORCH_SHAPES, ids=_shape_id)
def test_conv2d_input_gradient_matches_torch(spec):
    """F.conv2d's input and weight gradients through autograd against PyTorch's at run time."""
    torch = pytest.importorskip("torch")
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    gy, w = arrays(N, C, H, W, O, kernel_hw, dilation, groups, seed=11, zeros=True, padding=padding)
    x = np.random.default_rng(12).standard_normal((N, C, H, W)).astype(np.float32)
    results = []
    for library in (torchless, torch):
        xt = library.tensor(x, requires_grad=True)
        wt = library.tensor(w, requires_grad=True)
        y = library.nn.functional.conv2d(xt, wt, padding=(padding[0][0], padding[1][0]), dilation=dilation,
                                         groups=groups)
        y.backward(library.tensor(gy))
        results.append((xt.grad.numpy(), wt.grad.numpy()))
    (ours_x, ours_w), (theirs_x, theirs_w) = results
    np.testing.assert_allclose(ours_x, theirs_x, rtol=1.3e-6, atol=1e-5 * np.abs(theirs_x).max())
    np.testing.assert_allclose(ours_w, theirs_w, rtol=1.3e-6, atol=1e-5 * np.abs(theirs_w).max())


def test_mnist_cnn_step_gradients_match_torch():
    """The classic MNIST CNN (conv 1->32, 32->64, ReLU, max pooling, 9216->128->10) on 16 images, without dropout:
    every parameter's gradient against PyTorch's from the same weights."""
    torch = pytest.importorskip("torch")

    def build(library):
        nn = library.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
                self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

            def forward(self, x):
                x = library.nn.functional.max_pool2d(library.relu(self.conv2(library.relu(self.conv1(x)))), 2)
                return self.fc2(library.relu(self.fc1(x.flatten(1))))
        return Net()

    torch.manual_seed(0)
    theirs = build(torch)
    ours = build(torchless)
    ours.load_state_dict({key: torchless.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()})
    rng = np.random.default_rng(38)
    images = rng.random((16, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 16)
    for library, model in ((torchless, ours), (torch, theirs)):
        loss = library.nn.functional.cross_entropy(model(library.tensor(images)), library.tensor(labels))
        loss.backward()
    for (name, ours_p), (_, theirs_p) in zip(ours.named_parameters(), theirs.named_parameters()):
        expected = theirs_p.grad.numpy()
        np.testing.assert_allclose(ours_p.grad.numpy(), expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max(),
                                   err_msg=name)


def test_input_gradient_with_an_inf_weight_matches_torch():
    """An inf in the weight of the MNIST layer: the kernel the rows-only one leaves it to gives PyTorch's infs and
    NaNs (where the inf meets the padding's zeros in its products) and its finite values."""
    torch = pytest.importorskip("torch")
    gy, w = arrays(4, 32, 26, 26, 64, (3, 3), (1, 1), 1, seed=13, zeros=True)
    w[3, 5, 0, 2] = np.inf
    w[7, 9, 2, 1] = -np.inf
    x = np.random.default_rng(14).standard_normal((4, 32, 26, 26)).astype(np.float32)
    results = []
    for library in (torchless, torch):
        xt = library.tensor(x, requires_grad=True)
        library.nn.functional.conv2d(xt, library.tensor(w)).backward(library.tensor(gy))
        results.append(xt.grad.numpy())
    ours, theirs = results
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_array_equal(np.isposinf(ours), np.isposinf(theirs))
    np.testing.assert_array_equal(np.isneginf(ours), np.isneginf(theirs))
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1.3e-6, atol=1e-5 * np.abs(theirs[finite]).max())
