"""The v2-only conversion transforms: ``ToImage``, ``ToDtype``, ``ToPureTensor``, plus v2's
``ConvertImageDtype`` (``ToDtype(dtype, scale=True)``) and its deprecated ``ToTensor``."""
import warnings

import numpy as np

from .... import _dtype
from ...._tensor import Tensor
from ..._pillow import is_pil_image
from .. import functional as _v1_functional
from ._transform import Transform
from ._type_conversion import to_dtype, to_image


class ToImage(Transform):
    """Convert a tensor, an H x W[ x C] array or a PIL image to a C x H x W tensor, keeping its dtype and values.

    Follow with ``ToDtype(torchless.float32, scale=True)`` for floats in [0, 1]. Other inputs pass through.
    """

    def _transforms(self, inpt):
        return isinstance(inpt, (Tensor, np.ndarray)) or is_pil_image(inpt)

    def _transform(self, inpt):
        return to_image(inpt)


class ToDtype(Transform):
    """Convert a tensor image to ``dtype``, and with ``scale=True`` rescale its values (see ``functional.to_dtype``).

    Args:
        dtype (torchless.dtype or dict): the dtype of the output; or a dict from input type (``torchless.Tensor``,
            or ``"others"`` for any type not named) to a dtype, or to None to pass that type through. torchless has
            no ``tv_tensors``: the types that can meet are plain tensors and whatever else passes through.
        scale (bool): rescale from one full-intensity value to the other (255 <-> 1.0). Default: False.
    """

    def __init__(self, dtype, scale=False):
        if not isinstance(dtype, (dict, _dtype.dtype)):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        self.dtype = dtype
        self.scale = scale

    def forward(self, inpt):
        if not isinstance(self.dtype, dict):
            return super().forward(inpt)
        if type(inpt) in self.dtype:
            dtype = self.dtype[type(inpt)]
        elif "others" in self.dtype:
            dtype = self.dtype["others"]
        else:
            raise ValueError(
                f"No dtype was specified for type {type(inpt)}. If you only need to convert the dtype of images or "
                "videos, you can just pass e.g. dtype=torch.float32. If you're passing a dict as dtype, you can use "
                '"others" as a catch-all key e.g. dtype={tv_tensors.Mask: torch.int64, "others": None} to '
                "pass-through the rest of the inputs.")
        if dtype is None:
            if self.scale and isinstance(inpt, Tensor):
                warnings.warn("scale was set to True but no dtype was specified for images or videos: no scaling "
                              "will be done.")
            return inpt
        # a dtype for a type v2 has no to_dtype kernel for (a PIL image) leaves the input as it is
        return to_dtype(inpt, dtype, scale=self.scale) if isinstance(inpt, Tensor) else inpt

    def _transform(self, inpt):
        return to_dtype(inpt, self.dtype, scale=self.scale)


class ConvertImageDtype(Transform):
    """[DEPRECATED] Use ``ToDtype(dtype, scale=True)``: convert a tensor image to ``dtype`` and rescale its values.

    Args:
        dtype (torchless.dtype): the dtype of the output. Default: ``torchless.float32``.
    """

    def __init__(self, dtype=_dtype.float32):
        self.dtype = dtype

    def _transform(self, inpt):
        return to_dtype(inpt, self.dtype, scale=True)


class ToPureTensor(Transform):
    """Turn ``tv_tensors`` into plain tensors; torchless has only plain tensors, so this returns its input."""

    def _transform(self, inpt):
        return inpt


class ToTensor(Transform):
    """[DEPRECATED] Use ``Compose([ToImage(), ToDtype(torchless.float32, scale=True)])``.

    Convert a PIL image or H x W[ x C] array to a C x H x W tensor, uint8 scaled to [0.0, 1.0], as v1's
    ``ToTensor``. Tensors and other inputs pass through.
    """

    def __init__(self):
        warnings.warn(
            "The transform `ToTensor()` is deprecated and will be removed in a future release. "
            "Instead, please use `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])`."
            "Output is equivalent up to float precision."
        )

    def _transforms(self, inpt):
        return isinstance(inpt, np.ndarray) or is_pil_image(inpt)

    def _transform(self, inpt):
        return _v1_functional.to_tensor(inpt)
