"""Transform classes with torchvision's interface: Compose, ToTensor, Normalize, Resize, CenterCrop, Pad,
Grayscale, Lambda.

Transforms that can act on a whole batch at once define the private ``_apply_to_batch(batch)``: given the
per-item inputs stacked along a new leading axis, it returns exactly what stacking the per-item results
would, or ``NotImplemented`` when it cannot (then the caller transforms item by item, which also raises
the per-item errors). Datasets with a batched fast path (MNIST) use it through ``Compose``.
"""
import numbers
from collections.abc import Sequence

import numpy as np

from ..._tensor import Tensor
from . import functional as F
from .functional import InterpolationMode


def _setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


class _Transform:
    """Calling a transform runs ``forward``, like the ``nn.Module`` transforms of torchvision."""

    def __call__(self, img):
        return self.forward(img)


class Compose:
    """Chain transforms: ``Compose([ToTensor(), Normalize(mean, std)])``.

    Args:
        transforms (list of transforms): applied in order.
    """

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def _apply_to_batch(self, batch):
        for t in self.transforms:
            apply = getattr(t, "_apply_to_batch", None)
            if apply is None:
                return NotImplemented
            batch = apply(batch)
            if batch is NotImplemented:
                return NotImplemented
        return batch

    def __repr__(self):
        lines = [f"{self.__class__.__name__}("] + [f"    {t}" for t in self.transforms] + [")"]
        return "\n".join(lines)


class ToTensor:
    """Convert an H x W[ x C] array (or PIL image) to a C x H x W tensor, uint8 scaled to [0.0, 1.0].

    Arrays of other dtypes keep their values and dtype, as in torchvision.
    """

    def __call__(self, pic):
        return F.to_tensor(pic)

    def _apply_to_batch(self, batch):
        if not isinstance(batch, np.ndarray) or batch.ndim not in (3, 4):
            return NotImplemented
        return F._hwc_batch_to_tensor(batch)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class Normalize(_Transform):
    """``output[c] = (input[c] - mean[c]) / std[c]`` for a float tensor image (..., C, H, W).

    Args:
        mean (sequence): per-channel means.
        std (sequence): per-channel standard deviations (a zero raises ValueError when applied).
        inplace (bool): normalise the input tensor in place. Default: ``False``.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def _apply_to_batch(self, batch):
        if not isinstance(batch, Tensor) or not batch.is_floating_point() or batch.ndim < 4:
            return NotImplemented
        try:
            mean, std = F._channel_stats(self.mean, self.std, batch.dtype)
        except ValueError:
            return NotImplemented
        item_shape = tuple(batch.shape[1:])
        if np.broadcast_shapes(item_shape, tuple(mean.shape), tuple(std.shape)) != item_shape:
            return NotImplemented
        return F.normalize(batch, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Resize(_Transform):
    """Resize an image to ``size``: (h, w), or an int to match the smaller edge keeping the aspect ratio.

    Args:
        size (sequence or int): output size.
        interpolation (InterpolationMode): ``BILINEAR`` (default), ``NEAREST`` or ``NEAREST_EXACT``.
        max_size (int, optional): bound on the longer edge when ``size`` is an int.
        antialias (bool): low-pass filter when downscaling with bilinear interpolation. Default: ``True``.
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        if isinstance(interpolation, int):
            interpolation = F._interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (f"{self.__class__.__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop(_Transform):
    """Crop the centre ``size`` region ((h, w) or an int for a square), zero-padding smaller images."""

    def __init__(self, size):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(_Transform):
    """Pad the image borders.

    Args:
        padding (int or sequence): all borders; (left/right, top/bottom); or (left, top, right, bottom).
        fill (number or tuple): fill value for ``constant`` mode. Default: 0.
        padding_mode (str): ``constant``, ``edge``, ``reflect`` or ``symmetric``.
    """

    def __init__(self, padding, fill=0, padding_mode="constant"):
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in [1, 2, 4]:
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} "
                             "element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return (f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class Grayscale(_Transform):
    """Convert an RGB image to grayscale (ITU-R 601-2 luma) with 1 or 3 output channels."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self):
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class Lambda:
    """Apply a user-defined function as a transform.

    Args:
        lambd (callable): the function.
    """

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{self.__class__.__name__}()"
