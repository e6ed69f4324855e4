"""Conversion and normalisation transforms: ToTensor, PILToTensor, ConvertImageDtype, ToPILImage,
LinearTransformation, Normalize.
"""
import numpy as np

from ..._tensor import Tensor
from . import functional as F
from ._conversion import hwc_batch_to_tensor
from ._transform_base import _Transform


class ToTensor:
    """Convert an H x W[ x C] array (or PIL image) to a C x H x W tensor, uint8 scaled to [0.0, 1.0].

    Arrays of other dtypes keep their values and dtype, as in torchvision.
    """

    def __call__(self, pic):
        return F.to_tensor(pic)

    def _apply_to_batch(self, batch):
        if not isinstance(batch, np.ndarray) or batch.ndim not in (3, 4):
            return NotImplemented
        return hwc_batch_to_tensor(batch)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """Convert a PIL image (or H x W[ x C] array standing in for one) to a C x H x W tensor of the same dtype,
    without scaling."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class ConvertImageDtype(_Transform):
    """Convert a tensor image to ``dtype``, rescaling the values (see ``functional.convert_image_dtype``).

    Args:
        dtype (torchless.dtype): the dtype of the output.
    """

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class ToPILImage:
    """Convert a C x H x W tensor or H x W x C array to a PIL image (see ``functional.to_pil_image``).

    Args:
        mode (str, optional): the PIL mode of the input data; by default inferred from the channel count
            (``LA``, ``RGB``, ``RGBA``) or, for one channel, from the dtype (``L``, ``I;16``, ``I``, ``F``).
    """

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self):
        return f"{self.__class__.__name__}(" + (f"mode={self.mode}" if self.mode is not None else "") + ")"


class LinearTransformation(_Transform):
    """Whiten (or otherwise linearly transform) a tensor image: the image (..., C, H, W) flattened to
    ``C * H * W`` values, minus ``mean_vector``, times ``transformation_matrix`` (``C*H*W`` square), reshaped back.

    Raises:
        ValueError: for a matrix that is not square, a mean vector of another length or dtype, or an image with
            another number of values.
    """

    _flatten = "view"

    def __init__(self, transformation_matrix, mean_vector):
        if transformation_matrix.size(0) != transformation_matrix.size(1):
            raise ValueError("transformation_matrix should be square. Got "
                             f"{tuple(transformation_matrix.size())} rectangular matrix.")
        if mean_vector.size(0) != transformation_matrix.size(0):
            raise ValueError(f"mean_vector should have the same length {mean_vector.size(0)} as any one of the "
                             f"dimensions of the transformation_matrix [{tuple(transformation_matrix.size())}]")
        if transformation_matrix.dtype != mean_vector.dtype:
            raise ValueError(f"Input tensors should have the same dtype. Got {transformation_matrix.dtype} and "
                             f"{mean_vector.dtype}")
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def forward(self, tensor):
        shape = tensor.shape
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError("Input tensor and transformation matrix have incompatible shape."
                             f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != {self.transformation_matrix.shape[0]}")
        # v1 views the image (a non-contiguous one is refused, as by torch's view); v2 reshapes it
        flat = getattr(tensor, self._flatten)(-1, n) - self.mean_vector
        # torch.mm of the image's dtype (after the mean's promotion) against the matrix cast to it
        return getattr(flat.mm(self.transformation_matrix.to(flat.dtype)), self._flatten)(shape)

    def __repr__(self):
        return (f"{self.__class__.__name__}(transformation_matrix={self.transformation_matrix.tolist()}, "
                f"mean_vector={self.mean_vector.tolist()})")


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
