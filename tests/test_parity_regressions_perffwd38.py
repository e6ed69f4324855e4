"""Session 38, the convolution forward's speed (perffwd38), compared with PyTorch 2.13.0 and with float64 references.

- The gathered columns' chunks of images keep within ``gather.CHUNK_BYTES`` (a rounded-up share of the batch
  once passed it: the classic MNIST CNN's 32x32x26x26->64 shard went in chunks of two 881 KB images), of equal
  sizes where a divisor of the batch allows; every chunking must still give the convolution's values.
"""
import numpy as np
import pytest

import torchless
import torchless.nn.functional as F
from torchless._kernels import conv as conv_kernels
from torchless._kernels import gather

from helpers import direct_conv2d


def _image_bytes(x_shape, w_shape, args):
    """Bytes one image's columns and output take, as image_chunks counts them, found from its behaviour alone:
    half the smallest budget that keeps two images in one chunk (bisection)."""
    saved = gather.CHUNK_BYTES
    low, high = 1, 2 ** 40
    try:
        while low < high:
            middle = (low + high) // 2
            gather.CHUNK_BYTES = middle
            gather._chunks_of.clear()
            whole = gather.image_chunks((2,) + tuple(x_shape[1:]), w_shape, *args, 4) is None
            low, high = (low, middle) if whole else (middle + 1, high)
    finally:
        gather.CHUNK_BYTES = saved
        gather._chunks_of.clear()
    assert low % 2 == 0
    return low // 2


def _chunk_sizes(x_shape, w_shape, args, budget, monkeypatch):
    monkeypatch.setattr(gather, "CHUNK_BYTES", budget)
    gather._chunks_of.clear()
    chunks = gather.image_chunks(tuple(x_shape), w_shape, *args, 4)
    gather._chunks_of.clear()
    if chunks is None:
        return None
    assert chunks[0].start == 0 and chunks[-1].stop == x_shape[0]
    assert all(a.stop == b.start for a, b in zip(chunks, chunks[1:]))
    return [part.stop - part.start for part in chunks]


_LAYOUTS = {  # stride, padding, dilation
    "same": ((1, 1), ((1, 1), (1, 1)), (1, 1)),
    "valid": ((1, 1), ((0, 0), (0, 0)), (1, 1)),
    "strided": ((2, 2), ((1, 1), (1, 1)), (1, 1)),
}


def _args(kind):
    return _LAYOUTS[kind]


@pytest.mark.parametrize("images", [2, 5, 7, 8, 12, 31, 32, 64])
@pytest.mark.parametrize("fraction", [1.0, 1.5, 2.9, 3.2, 4.7, 6.5, 40.0])
@pytest.mark.parametrize("layer", [((32, 26, 26), 64, "valid"), ((5, 14, 14), 10, "same"), ((12, 28, 28), 16, "same"),
                                   ((16, 15, 15), 8, "strided")])
def test_chunks_keep_within_the_budget(monkeypatch, images, fraction, layer):
    (C, H, W), O, kind = layer
    w_shape, args = (O, C, 3, 3), _args(kind)
    per_image = _image_bytes((2, C, H, W), w_shape, args)
    budget = int(fraction * per_image)
    sizes = _chunk_sizes((images, C, H, W), w_shape, args, budget, monkeypatch)
    if images * per_image <= budget:
        assert sizes is None
        return
    assert sizes is not None and len(sizes) >= 2
    assert all(size == sizes[0] for size in sizes[:-1]) and 1 <= sizes[-1] <= sizes[0]
    if sizes[0] > 1:
        assert sizes[0] * per_image <= budget
    # no more chunks than the budget needs, give or take the halving that equal chunks may cost
    needed = max(-(-images * per_image // budget), -(-images // max(1, budget // per_image)))
    assert len(sizes) <= 2 * needed


def test_mnist_conv2_shard_goes_one_image_a_chunk():
    # 881 KB a 32x26x26 image into 64 channels: two would be 1.7 MB, past the 1 MiB budget
    w_shape, args = (64, 32, 3, 3), _args("valid")
    per_image = _image_bytes((2, 32, 26, 26), w_shape, args)
    assert 2 * per_image > gather.CHUNK_BYTES >= per_image
    chunks = gather.image_chunks((32, 32, 26, 26), w_shape, *args, 4)
    assert [part.stop - part.start for part in chunks] == [1] * 32


def test_course_cnn_chunks_unchanged():
    # the course CNN's layers were within the budget: their four chunks of 16 images stay
    for x_shape, w_shape in (((64, 1, 28, 28), (5, 1, 3, 3)), ((64, 5, 14, 14), (10, 5, 3, 3))):
        chunks = gather.image_chunks(x_shape, w_shape, *_args("same"), 4)
        assert [part.stop - part.start for part in chunks] == [16] * 4


# --------------------------------------------------------------------------- values under every chunking

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("images,fraction", [(8, 2.9), (7, 2.9), (12, 4.7), (6, 1.0), (9, 6.5)])
@pytest.mark.parametrize("layer", [((12, 11, 9), 16, "same"), ((6, 10, 12), 10, "valid"), ((5, 13, 13), 8, "strided")])
def test_chunked_forward_and_weight_gradient_match_float64(monkeypatch, dtype, images, fraction, layer):
    (C, H, W), O, kind = layer
    w_shape, (stride, padding, dilation) = (O, C, 3, 3), _args(kind)
    per_image = _image_bytes((2, C, H, W), w_shape, (stride, padding, dilation))
    sizes = _chunk_sizes((images, C, H, W), w_shape, (stride, padding, dilation), int(fraction * per_image),
                         monkeypatch)
    assert sizes is not None and len(sizes) >= 2
    rng = np.random.default_rng(images * 31 + C)
    x = rng.standard_normal((images, C, H, W)).astype(dtype)
    w = (rng.standard_normal(w_shape) / np.sqrt(C * 9)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    expected = direct_conv2d(x, w, stride, padding, dilation)
    tolerance = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    y = gather.conv2d_forward_gather(x, w, stride, padding, dilation, 1)
    np.testing.assert_allclose(y, expected, **tolerance)
    out = np.full(expected.shape, np.nan, dtype)
    assert gather.conv2d_forward_gather(x, w, stride, padding, dilation, 1, out=out, bias=b) is out
    np.testing.assert_allclose(out, expected + b.reshape(1, -1, 1, 1), **tolerance)
    gy = rng.standard_normal(expected.shape).astype(dtype)
    # gw[o, c, i, j] = the sum over images and positions of gy times the input under tap (i, j) of channel c
    gw = gather.conv2d_backward_weight_gather(gy, x, (3, 3), stride, padding, dilation, 1)
    reference = np.zeros(w_shape)
    for c in range(C):
        for i in range(3):
            for j in range(3):
                unit = np.zeros((1, C, 3, 3))
                unit[0, c, i, j] = 1.0
                under_tap = direct_conv2d(x, unit, stride, padding, dilation)[:, 0]
                reference[:, c, i, j] = np.einsum("nohw,nhw->o", gy.astype(np.float64), under_tap)
    np.testing.assert_allclose(gw, reference, rtol=tolerance["rtol"] * 10, atol=tolerance["atol"] * 10)
    gather.release_plans()


def test_chunked_results_do_not_depend_on_the_thread_count():
    # a split call's shards are chunked as their own batches: the same values as the whole batch on one thread
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 32, 14, 14)).astype(np.float32)
    w = (rng.standard_normal((64, 32, 3, 3)) / 17).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    threads = torchless.get_num_threads()
    try:
        torchless.set_num_threads(1)
        whole = conv_kernels.conv2d_forward(x, w, *args, bias=b)
        torchless.set_num_threads(2)
        split = conv_kernels.conv2d_forward(x, w, *args, bias=b)
    finally:
        torchless.set_num_threads(threads)
    np.testing.assert_array_equal(whole, split)
    np.testing.assert_allclose(whole, direct_conv2d(x, w, (1, 1), (1, 1)) + b.reshape(1, -1, 1, 1),
                               rtol=1e-5, atol=2e-5)


# --------------------------------------------------------------------------- against PyTorch

@pytest.mark.parametrize("shape,out_channels,padding", [((32, 32, 26, 26), 64, 0), ((32, 12, 28, 28), 16, 1),
                                                        ((33, 16, 14, 14), 32, 1), ((7, 32, 24, 24), 64, 1)])
def test_chunked_layers_match_torch(shape, out_channels, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    w = (rng.standard_normal((out_channels, shape[1], 3, 3)) / np.sqrt(shape[1] * 9)).astype(np.float32)
    b = rng.standard_normal(out_channels).astype(np.float32)
    gy = None
    results = []
    for lib, functional in ((torchless, F), (torch, torch.nn.functional)):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = functional.conv2d(xt, wt, lib.tensor(b), padding=padding)
        if gy is None:
            gy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(lib.tensor(gy))
        results.append([t.detach().numpy() for t in (y, xt.grad, wt.grad)])
    # (float32 sums of up to 18,432 products in another order: off by a few ulps of the largest value)
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5 * np.abs(theirs).max())
