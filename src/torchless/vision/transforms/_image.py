"""The three kinds of image the functional transforms take, and the helpers that tell them apart.

* tensors of shape (..., C, H, W), transformed with torchvision's tensor formulas;
* NumPy arrays H x W[ x C], standing in for PIL images (``MNIST`` returns them), which keep their layout
  and dtype and go through the tensor formulas on their C x H x W view;
* PIL images, handed to Pillow by ``_functional_pil`` as torchvision does, and returned as PIL images.
"""
import numpy as np

from ... import _memory_format
from ..._tensor import Tensor
from .._pillow import is_pil_image


def pil_functional():
    """The Pillow implementations, imported when the first PIL image arrives so that torchless needs no Pillow."""
    from . import _functional_pil
    return _functional_pil


PIL_EXPECTED = "img should be PIL Image"  # what torchvision's Pillow functions say when handed something else


def as_image(img, expected=None):
    """``img`` if it is a tensor, an array or a PIL image; TypeError otherwise, as torchvision raises.

    The message is ``"Unexpected type ..."`` (torchvision's ``get_dimensions``), or ``"{expected}. Got ..."``
    for the functions whose non-tensor input torchvision hands to a Pillow function that says so.
    """
    if isinstance(img, (Tensor, np.ndarray)) or is_pil_image(img):
        return img
    if expected is not None:
        raise TypeError(f"{expected}. Got {type(img)}")
    raise TypeError(f"Unexpected type {type(img)}")


def assert_image_tensor(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    """[channels, height, width] of a tensor (..., C, H, W), array (H, W[, C]) or PIL image."""
    img = as_image(img)
    if isinstance(img, Tensor):
        assert_image_tensor(img)
        return [1 if img.ndim == 2 else img.shape[-3], img.shape[-2], img.shape[-1]]
    if isinstance(img, np.ndarray):
        return [img.shape[2] if img.ndim == 3 else 1, img.shape[0], img.shape[1]]
    width, height = img.size
    return [len(img.getbands()), height, width]


def compute_dtype(dtype):
    """The NumPy float type torchvision's tensor formulas compute an image of ``dtype`` in."""
    return dtype.type if dtype.kind == "f" else np.float32


def on_hw_axes(img, fn):
    """Apply ``fn`` (an array function over the last two axes) to a tensor or H x W[ x C] array image.

    When ``fn`` hands back its input untouched, so is the image itself, as torchvision returns ``img``.
    """
    if isinstance(img, Tensor):
        assert_image_tensor(img)
        out = fn(img._data)
        return img if out is img._data else Tensor._wrap(out)
    chw = img[None] if img.ndim == 2 else np.moveaxis(img, 2, 0)
    out = fn(chw)
    if out is chw:
        return img
    return out[0] if img.ndim == 2 else np.moveaxis(out, 0, 2)


def is_channels_last(array, v2=False):
    """Whether interpolate, handed the (..., C, H, W) ``array`` as torchvision hands it over, takes it for channels
    last (torch's ``suggest_memory_format``): v1 unsqueezes a 3-D image, whose batch stride is then the channels'
    span, v2 reshapes it to (N, C, H, W), which torch does not hold against it."""
    if array.ndim == 4:
        return _memory_format.strides_like_channels_last(array.shape, array.strides)
    if array.ndim != 3:
        return False
    batch_stride = array.size * array.itemsize if v2 else array.shape[0] * array.strides[0]
    return _memory_format.strides_like_channels_last((1,) + array.shape, (batch_stride,) + array.strides)


def in_memory_format(array, channels_last):
    """``array`` (..., C, H, W) stored as PyTorch's kernels leave their outputs: channels last, or contiguous."""
    if channels_last:
        return np.moveaxis(np.ascontiguousarray(np.moveaxis(array, -3, -1)), -1, -3)
    return np.ascontiguousarray(array)


def in_layout_of(image, result):
    """``result`` (of ``image``'s shape) laid out as PyTorch's preserve_format lays out a result like ``image``: with
    its strides where it is dense, else densely in its dims' memory order (an expanded batch outermost, where
    NumPy's order "K" puts it innermost)."""
    return _memory_format.preserving(result, image)
