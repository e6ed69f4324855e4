"""Result strides that differed from PyTorch 2.13.0's (session 31), checked against torch at run time."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _views(lib, dtype):
    """Inputs whose layouts tell empty_like(input) and TensorIterator's allocation apart: size-1 dims with odd
    strides, transposed, channels-last, expanded, sliced and empty views."""
    def full(shape):
        return lib.full(shape, 0.5, dtype=getattr(lib, dtype))

    return [
        full((1, 2))[:, ::2],
        full((4, 1)).t(),
        full((3, 2)).t()[:, :1],
        full((1, 2, 1, 3))[:, ::2],
        full((2, 6))[:1, ::2],
        full((3, 1, 4))[:, :, ::2],
        full((2, 3, 4, 5)).permute(0, 2, 3, 1),
        full((2, 1, 3)).expand(2, 4, 3),
        full((3, 4))[::2],
        full((0, 3)).t(),
        full((10,)).as_strided((2, 1, 3), (1, 7, 2)),
    ]


INTO_EMPTY_LIKE = {
    "hardtanh": lambda lib, x: lib.nn.functional.hardtanh(x, -0.25, 0.25),
    "relu6": lambda lib, x: lib.nn.functional.relu6(x),
    "deg2rad": lambda lib, x: lib.deg2rad(x),
    "rad2deg": lambda lib, x: lib.rad2deg(x),
    "nan_to_num": lambda lib, x: lib.nan_to_num(x, 1.0),
    "isreal": lambda lib, x: lib.isreal(x),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(INTO_EMPTY_LIKE))
@pytest.mark.parametrize("index", range(len(_views(torch, "float32"))))
def test_ops_writing_into_empty_like_keep_the_input_strides(name, index, dtype):
    op = INTO_EMPTY_LIKE[name]
    expected = op(torch, _views(torch, dtype)[index])
    got = op(torchless, _views(torchless, dtype)[index])
    assert got.stride() == expected.stride()
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["hardtanh", "relu6", "deg2rad", "rad2deg", "nan_to_num"])
@pytest.mark.parametrize("index", [0, 2, 3, 6])
def test_ops_writing_into_empty_like_keep_strides_under_autograd(name, index):
    op = INTO_EMPTY_LIKE[name]
    results = []
    for lib in (torch, torchless):
        x = _views(lib, "float64")[index].requires_grad_()
        y = op(lib, x)
        grad, = lib.autograd.grad(y, x, lib.ones_like(y))
        results.append((y.stride(), grad.stride(), grad.numpy().copy()))
    (y_strides, grad_strides, grad), (y_strides_l, grad_strides_l, grad_l) = results
    assert (y_strides_l, grad_strides_l) == (y_strides, grad_strides)
    np.testing.assert_allclose(grad_l, grad, rtol=1e-12)


@pytest.mark.parametrize("name", ["nan_to_num", "isreal"])
@pytest.mark.parametrize("index", range(len(_views(torch, "float32"))))
def test_complex_nan_to_num_and_isreal_strides(name, index):
    view = _views(torch, "float32")[index]
    shape, strides = tuple(view.shape), view.stride()
    expected = getattr(torch, name)(torch.zeros(200, dtype=torch.complex64).as_strided(shape, strides))
    got = getattr(torchless, name)(torchless.zeros(200, dtype=torchless.complex64).as_strided(shape, strides))
    assert got.stride() == expected.stride()
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def _torchvision_grayscale(img, num_output_channels):
    """torchvision's tensor rgb_to_grayscale (v1), written with torch's ops."""
    r, g, b = img.unbind(dim=-3)
    luma = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    return luma.expand(img.shape) if num_output_channels == 3 else luma


@pytest.mark.parametrize("shape", [(3, 0, 5), (3, 4, 0), (2, 3, 0, 5), (0, 3, 4, 5), (1, 3, 2, 2), (1, 1, 3, 2, 2),
                                   (1, 3, 0, 2), (2, 3, 4, 5)])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("num_output_channels", [1, 3])
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_rgb_to_grayscale_strides(shape, dtype, num_output_channels, version):
    from torchless.vision.transforms import functional as v1
    from torchless.vision.transforms.v2 import functional as v2

    values = np.random.default_rng(0).integers(0, 256, shape).astype(dtype)
    expected = _torchvision_grayscale(torch.from_numpy(values), num_output_channels)
    functional = v1 if version == "v1" else v2
    got = functional.rgb_to_grayscale(torchless.from_numpy(values), num_output_channels)
    assert (tuple(got.shape), got.stride()) == (tuple(expected.shape), expected.stride())
    np.testing.assert_allclose(got.numpy().astype(np.float64), expected.numpy().astype(np.float64), atol=1)
