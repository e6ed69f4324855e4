"""Regressions of session 32's layouts helper: result layouts (strides) and graph node names, against PyTorch.

* torchvision's tensor ``pad``: v1 pads constant, edge and reflect with ``torch.nn.functional.pad`` on the image
  batched to 4-D (a channels-last batch stays channels last), symmetric by indexing (C order, empty too); v2
  reshapes to (N, C, H, W) first (a single image's batch stride rewritten, so it comes out contiguous) and back.
  torchvision is not installed: its tensor code is replayed here on torch's own ops.
* ``sort`` of an empty 1-D tensor lays its values out as its input (NumPy's zero stride), as its indices.
"""
import math

import numpy as np
import pytest

import torchless
from torchless.vision.transforms import functional as F1
from torchless.vision.transforms.v2 import functional as F2

torch = pytest.importorskip("torch")


# ------------------------------------------------------------------------------------- torchvision's pad
def _torch_padding(padding):
    """torchvision's [left, top, right, bottom] (or all; or left/right, top/bottom) as torch's [l, r, t, b]."""
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    left, top, right, bottom = padding
    return [left, right, top, bottom]


def _symmetric_reference(img, padding):
    """torchvision's ``_pad_symmetric``: crop for negative amounts, then gather mirrored rows and columns."""
    crop_left, crop_right, crop_top, crop_bottom = (-min(amount, 0) for amount in padding)
    img = img[..., crop_top:img.shape[-2] - crop_bottom, crop_left:img.shape[-1] - crop_right]
    left, right, top, bottom = (max(amount, 0) for amount in padding)
    columns = torch.tensor(list(range(left - 1, -1, -1)) + list(range(img.shape[-1]))
                           + [-(i + 1) for i in range(right)])
    rows = torch.tensor(list(range(top - 1, -1, -1)) + list(range(img.shape[-2]))
                        + [-(i + 1) for i in range(bottom)])
    return img[..., rows[:, None], columns[None, :]]


def _v1_reference(img, padding, fill, mode):
    """torchvision v1's tensor ``pad`` (``_functional_tensor.pad``) on torch's ops."""
    padding = _torch_padding(padding)
    if mode == "symmetric":
        return _symmetric_reference(img, padding)
    batched = img.ndim < 4
    out = img.unsqueeze(0) if batched else img
    cast = mode != "constant" and out.dtype not in (torch.float32, torch.float64)
    if cast:
        out = out.to(torch.float32)
    if mode == "constant":
        out = torch.nn.functional.pad(out, padding, value=float(fill))
    else:
        out = torch.nn.functional.pad(out, padding, mode="replicate" if mode == "edge" else mode)
    out = out.squeeze(0) if batched else out
    return out.to(img.dtype) if cast else out


def _v2_reference(img, padding, fill, mode):
    """torchvision v2's ``pad_image`` (``_pad_with_scalar_fill``) on torch's ops."""
    padding = _torch_padding(padding)
    channels, height, width = img.shape[-3:]
    out = img.reshape(math.prod(img.shape[:-3]), channels, height, width)
    if mode == "constant":
        out = torch.nn.functional.pad(out, padding, value=float(fill))
    elif mode == "symmetric":
        out = _symmetric_reference(out, padding)
    else:
        cast = not out.is_floating_point()
        padded = torch.nn.functional.pad(out.float() if cast else out, padding,
                                         mode="replicate" if mode == "edge" else mode)
        out = padded.to(out.dtype) if cast else padded
    return out.reshape(img.shape[:-3] + out.shape[-3:])


def _laid_out(library, array, layout):
    tensor = library.from_numpy(array)
    if layout == "channels_last":
        return tensor.contiguous(memory_format=library.channels_last)
    if layout == "channels_moved":  # channels innermost, whatever the number of dimensions
        return library.from_numpy(np.ascontiguousarray(np.moveaxis(array, -3, -1))).movedim(-1, -3)
    return tensor


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("shape,layout", [((2, 3, 5, 6), "channels_last"), ((1, 3, 4, 4), "channels_last"),
                                          ((2, 3, 5, 6), "channels_moved"), ((3, 5, 6), "channels_moved"),
                                          ((2, 2, 3, 5, 6), "channels_moved"), ((2, 3, 5, 6), "contiguous"),
                                          ((0, 5, 6), "contiguous"), ((2, 0, 5, 6), "contiguous")])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_tensor_pad_values_and_strides_are_torchvisions(version, mode, shape, layout, dtype):
    if version == "v1" and len(shape) > 4:
        pytest.skip("v1 pads at most 4-D tensors this way")
    if 0 in shape and mode in ("edge", "reflect"):
        pytest.skip("torch's pad refuses empty planes")
    array = (np.random.default_rng(len(shape)).random(shape) * 200).astype(dtype)
    reference, ours = {"v1": (_v1_reference, F1.pad), "v2": (_v2_reference, F2.pad)}[version]
    for padding in ([1], [2, 1], [1, 2, 0, 1], [-1, 1, 2, 0], [0, 0, 0, 0]):
        fill = 7 if mode == "constant" else 0
        want = reference(_laid_out(torch, array, layout), padding, fill, mode)
        got = ours(_laid_out(torchless, array, layout), padding, fill, mode)
        assert got.stride() == want.stride(), padding
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_v1_constant_pad_writes_a_fill_just_below_the_next_integer_truncated():
    # (torchvision 0.29's recording: its PyTorch wrote 255.9 into uint8 as 255; the crop-only fill is never written)
    image = torchless.zeros(3, 2, 2, dtype=torchless.uint8).contiguous()
    padded = F1.pad(image, 1, fill=255.9)
    assert padded[0, 0].tolist() == [255] * 4 and padded[0, 1].tolist() == [255, 0, 0, 255]
    assert F1.pad(image, [0, 0, 0, -1], fill=300).shape == (3, 1, 2)


# ------------------------------------------------------------------------------------------- sort
@pytest.mark.parametrize("stable", [None, True])
@pytest.mark.parametrize("source", ["numpy", "factory"])
def test_sort_of_an_empty_vector_keeps_its_strides(stable, source):
    def sorted_strides(library):
        vector = library.from_numpy(np.zeros(0)) if source == "numpy" else library.zeros(0)
        values, indices = library.sort(vector, 0) if stable is None else library.sort(vector, stable=stable)
        return values.stride(), indices.stride(), vector.msort().stride(), library.tensor(np.zeros(0)).stride()

    assert sorted_strides(torchless) == sorted_strides(torch)


@pytest.mark.parametrize("squeeze", [lambda t: t.squeeze(0), lambda t: t.squeeze(), lambda t: t.squeeze((0, 2))])
def test_squeeze_of_an_empty_tensor_keeps_the_kept_dims_strides(squeeze):
    # (NumPy's empty arrays have zero strides, which PyTorch's from_numpy keeps and its squeeze keeps too)
    def strides(library):
        return squeeze(library.from_numpy(np.zeros((1, 0, 1, 5), np.float32))).stride()

    assert strides(torchless) == strides(torch)


# -------------------------------------------------------------------- second-order layouts and node names
def _layout(tensor):
    return tensor.stride(), tensor.grad_fn.name() if tensor.grad_fn is not None else None


def _twice(library, build, arrays, order=2):
    """The gradients of ``build``'s scalar w.r.t. its leaves, then those of their squares' sum (create_graph)."""
    leaves = [library.from_numpy(array.copy()).requires_grad_() for array in arrays]
    gradients = library.autograd.grad(build(library, *leaves), leaves, create_graph=True)
    second = library.autograd.grad(sum((g * g).sum() for g in gradients), leaves, create_graph=True)
    return [(g.detach().numpy(), _layout(g)) for g in gradients + second]


def _assert_twice_as_torch(build, arrays, compare=None):
    got, want = _twice(torchless, build, arrays), _twice(torch, build, arrays)
    for position, ((got_values, got_layout), (want_values, want_layout)) in enumerate(zip(got, want)):
        np.testing.assert_allclose(got_values, want_values, rtol=1e-10, atol=1e-12)
        if compare is None or position in compare:
            assert got_layout == want_layout, position


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
@pytest.mark.parametrize("function", ["det", "slogdet"])
def test_det_and_slogdet_gradients_under_create_graph_are_a_solve(function, shape):
    # (PyTorch's formulas: linalg.solve(A^H, diag(g det)) made F-transposed: LinalgSolveExBackward0, column-major)
    matrix = np.random.default_rng(3).random(shape) + 2 * np.eye(shape[-1])

    def build(library, a):
        return (library.linalg.det(a) if function == "det" else library.linalg.slogdet(a)[1]).sum()

    _assert_twice_as_torch(build, [matrix])


def test_det_of_a_complex_matrix_has_torchs_second_derivative():
    rng = np.random.default_rng(4)
    matrix = rng.random((3, 3)) + 2 * np.eye(3) + 1j * rng.random((3, 3))
    values = []
    for library in (torch, torchless):
        a = library.from_numpy(matrix.copy()).requires_grad_()
        g, = library.autograd.grad(library.linalg.det(a).abs(), a, create_graph=True)
        gg, = library.autograd.grad(g.abs().pow(2).sum(), a)
        values.append((g.detach().numpy(), gg.numpy()))
    for got, want in zip(values[1], values[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10)


@pytest.mark.parametrize("leading", [(3,), (2, 3), ()])
def test_bilinear_weight_gradient_is_a_trilinear(leading):
    rng = np.random.default_rng(5)
    arrays = [rng.random(leading + (4,)), rng.random(leading + (5,)), rng.random((2, 4, 5))]

    def build(library, x1, x2, weight):
        return (library.nn.functional.bilinear(x1, x2, weight) ** 2).sum()

    # (the inputs' second-order gradients: PyTorch sums them before its view of the rows, here after: see report)
    _assert_twice_as_torch(build, arrays, compare=(0, 1, 2, 5))


@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_gradient_with_zeros_is_written_slice_by_slice(dim):
    values = np.array([[1.0, 0.0, 2.0, 3.0], [2.0, 3.0, 0.0, 0.0]])

    def build(library, x):
        return library.cumprod(x, dim).sum()

    _assert_twice_as_torch(build, [values], compare=(0,))
