"""Regression tests for perfstep38: per-op overhead of the course CNN's step taken out of the kernels (copy_rows'
void row dtype kept per row size, max pooling's lowest value by the dtype's kind, the convolution's bias and
chunked weight-gradient sums through np.add.reduce directly). Each must leave every value as it was: checked
against independent NumPy references and, where installed, PyTorch."""
import numpy as np
import pytest

import torchless
from helpers import course_cnn, course_cnn_batches, direct_conv2d
from torchless._kernels import ROW_DTYPES_KEPT, copy_rows
from torchless._kernels import conv as conv_kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.uint8])
def test_copy_rows_copies_every_row_size(dtype):
    """Strided sources of more distinct row sizes than the kept dtypes (the kept set emptied on the way) are copied
    value for value, as NumPy's element-wise assignment copies them; a row size seen before is copied again after
    the set was emptied."""
    rng = np.random.default_rng(0)
    widths = list(range(2, ROW_DTYPES_KEPT + 40, 1)) + [3, 17]
    for width in widths:
        source_base = (rng.standard_normal((64, 2, 4 * width + 3)) * 100).astype(dtype)
        source = source_base[:, :, 1:1 + width]  # rows contiguous, planes strided (a crop)
        destination = np.empty(source.shape, dtype)
        copy_rows(destination, source)
        expected = np.empty(source.shape, dtype)
        expected[...] = source  # (NumPy's own element-wise copy)
        assert np.array_equal(destination, expected), width


def test_copy_rows_of_negative_zeros_and_nans_keeps_their_bits():
    """Rows are copied as bytes: -0.0 and NaN payloads arrive unchanged."""
    source_base = np.full((128, 3, 40), np.nan, np.float32)
    source_base[::2] = -0.0
    payload = np.array([0x7FC00123], np.uint32).view(np.float32)[0]
    source_base[1, 1, 5] = payload
    source = source_base[:, :, 2:38]
    destination = np.empty(source.shape, np.float32)
    copy_rows(destination, source)
    assert np.array_equal(destination.view(np.uint32), np.ascontiguousarray(source).view(np.uint32))


def _max_pool_reference(x, k):
    """float64 k x k, stride k max pooling and the flat index of each window's first maximum (scan order), by hand."""
    N, C, H, W = x.shape
    Ho, Wo = H // k, W // k
    windows = x[:, :, :Ho * k, :Wo * k].reshape(N, C, Ho, k, Wo, k).transpose(0, 1, 2, 4, 3, 5)
    windows = windows.reshape(N, C, Ho, Wo, k * k)
    tap = windows.argmax(-1)  # the first maximum, as PyTorch's scan keeps it
    rows = np.arange(Ho)[:, None] * k + tap // k
    cols = np.arange(Wo)[None, :] * k + tap % k
    return windows.max(-1), rows * W + cols


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "uint8"])
def test_max_pool_of_every_dtype_keeps_values_and_indices(dtype):
    """Max pooling (the phase layout's scan for a large input, the lowest value picked by the dtype's kind) gives each
    window's maximum and its first tap, ties included, for floating and integer dtypes alike; with PyTorch too."""
    rng = np.random.default_rng(1)
    x = rng.integers(-4, 5, (16, 5, 28, 30)).astype(dtype)  # few distinct values: many ties
    if np.dtype(dtype).kind == "u":
        x = x + 4
    values, indices = torchless.nn.functional.max_pool2d(torchless.tensor(x), 2, return_indices=True)
    expected_values, expected_indices = _max_pool_reference(x.astype(np.float64), 2)
    assert values.dtype == torchless.tensor(x).dtype
    assert np.array_equal(values.numpy().astype(np.float64), expected_values)
    assert np.array_equal(indices.numpy(), expected_indices)
    torch = pytest.importorskip("torch")
    if dtype in ("float16",) or np.dtype(dtype).kind != "f" and dtype != "int64":
        return  # (PyTorch's CPU max_pool2d takes float32/64, bfloat16 and int64 among these)
    theirs, their_indices = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    assert np.array_equal(values.numpy(), theirs.numpy())
    assert np.array_equal(indices.numpy(), their_indices.numpy())


def test_max_pool_with_padding_pads_with_the_lowest_value():
    """Padding cells never win: for float the pad is -inf (an all -inf window reports its first tap inside the
    input), for integers the dtype's minimum."""
    x = np.full((2, 3, 5, 5), -np.inf, np.float32)
    x[0, 0, 0, 0] = -3.0
    values, indices = torchless.nn.functional.max_pool2d(torchless.tensor(x), 3, stride=2, padding=1,
                                                         return_indices=True)
    assert values.numpy()[0, 0, 0, 0] == -3.0 and indices.numpy()[0, 0, 0, 0] == 0
    assert np.all(np.isneginf(values.numpy()[1]))
    ints = np.full((1, 1, 4, 4), np.iinfo(np.int64).min, np.int64)
    ints[0, 0, 3, 3] = 7
    int_values = torchless.nn.functional.max_pool2d(torchless.tensor(ints), 3, stride=2, padding=1).numpy()
    assert int_values[0, 0, 1, 1] == 7 and int_values[0, 0, 0, 0] == np.iinfo(np.int64).min
    torch = pytest.importorskip("torch")
    for array in (x, ints):
        mine, my_indices = torchless.nn.functional.max_pool2d(torchless.tensor(array), 3, stride=2, padding=1,
                                                               return_indices=True)
        theirs, their_indices = torch.nn.functional.max_pool2d(torch.from_numpy(array), 3, stride=2, padding=1,
                                                               return_indices=True)
        assert np.array_equal(mine.numpy(), theirs.numpy())
        assert np.array_equal(my_indices.numpy(), their_indices.numpy())


@pytest.mark.parametrize("batch", [1, 3, 64])
def test_conv_bias_and_weight_gradients_match_float64(batch):
    """The convolution's bias gradient (sums over the batch, then each plane) and its weight gradient (the gathered
    chunks' per-image products summed over the images) equal float64 sums of the same gradient to float32
    precision, for one image and for batches split into chunks."""
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, 5, 14, 14)).astype(np.float32)
    w = (rng.standard_normal((10, 5, 3, 3)) * 0.3).astype(np.float32)
    gy = rng.standard_normal((batch, 10, 14, 14)).astype(np.float32)
    weight = torchless.tensor(w, requires_grad=True)
    bias = torchless.zeros(10, requires_grad=True)
    torchless.nn.functional.conv2d(torchless.tensor(x), weight, bias, padding=1).backward(torchless.tensor(gy))
    np.testing.assert_allclose(bias.grad.numpy(), gy.astype(np.float64).sum(axis=(0, 2, 3)), rtol=1e-5, atol=1e-4)
    # the weight gradient as the correlation of the padded input with the output gradient, tap by tap, in float64
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.empty((10, 5, 3, 3))
    for i in range(3):
        for j in range(3):
            expected[:, :, i, j] = np.einsum("nohw,nchw->oc", gy.astype(np.float64), xp[:, :, i:i + 14, j:j + 14])
    np.testing.assert_allclose(weight.grad.numpy(), expected, rtol=1e-4, atol=1e-4)
    # and the kernel's weight gradient is its forward's adjoint: <conv(x, v), gy> = <v, gw> for any v
    v = rng.standard_normal(w.shape)
    lhs = np.sum(direct_conv2d(x, v, (1, 1), (1, 1)) * gy.astype(np.float64))
    np.testing.assert_allclose(lhs, np.sum(v * weight.grad.numpy().astype(np.float64)), rtol=1e-4)


def test_chunked_weight_gradient_equals_the_whole_batch_sum():
    """The weight gradient of a batch large enough for several image chunks (the kernel sums the chunks' per-image
    products) is close to the float64 total and is the same, bit for bit, on a second call (a fixed order)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((256, 5, 14, 14)).astype(np.float32)
    gy = rng.standard_normal((256, 10, 14, 14)).astype(np.float32)
    args = (1, 1), ((1, 1), (1, 1)), (1, 1), 1
    first = conv_kernels.conv2d_backward_weight(gy, x, (3, 3), *args)
    second = conv_kernels.conv2d_backward_weight(gy, x, (3, 3), *args)
    assert np.array_equal(first, second)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.empty((10, 5, 3, 3))
    for i in range(3):
        for j in range(3):
            expected[:, :, i, j] = np.einsum("nohw,nchw->oc", gy.astype(np.float64), xp[:, :, i:i + 14, j:j + 14])
    np.testing.assert_allclose(first, expected, rtol=1e-4, atol=1e-3)


def _train(lib, model, batches):
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    criterion = lib.nn.CrossEntropyLoss()
    losses = []
    for images, labels in batches:
        optimizer.zero_grad()
        loss = criterion(model(lib.tensor(images)), lib.tensor(labels))
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    return losses, [p.grad.detach().numpy().copy() for p in model.parameters()]


def test_course_cnn_steps_match_pytorch():
    """Four Adam steps of the course CNN from PyTorch's initial weights: the losses, the last step's gradients and
    the parameters agree with PyTorch's to float32 precision."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = course_cnn(torch.nn)
    ours = course_cnn(torchless.nn)
    ours.load_state_dict({k: torchless.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    batches = course_cnn_batches(4, seed=38)
    my_losses, my_grads = _train(torchless, ours, batches)
    their_losses, their_grads = _train(torch, theirs, batches)
    np.testing.assert_allclose(my_losses, their_losses, rtol=1e-5)
    for mine, reference in zip(my_grads, their_grads):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)
    for mine, reference in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=1e-5, atol=1e-6)
