"""The v2-only conversion transforms: ``ToImage``, ``ToDtype``, ``ToPureTensor``, plus v2's
``ConvertImageDtype`` (``ToDtype(dtype, scale=True)``) and its deprecated ``ToTensor``."""
import warnings

import numpy as np

from .... import _dtype
from ...._tensor import Tensor
from ..._pillow import is_pil_image
from .. import functional as _v1_functional
from ... import tv_tensors as tv
from ._transform import Transform
from ._utils import is_pure_tensor


class ToImage(Transform):
    """Convert a tensor, an H x W[ x C] array or a PIL image to a C x H x W tensor, keeping its dtype and values.

    Follow with ``ToDtype(torchless.float32, scale=True)`` for floats in [0, 1]. Other inputs pass through, and
    so do pure tensors when the sample holds a ``tv_tensors.Image`` (v2's heuristic).
    """

    _transformed_types = (is_pure_tensor, is_pil_image, np.ndarray)

    def _transform(self, inpt):
        from . import functional as F

        return F.to_image(inpt)


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
        if isinstance(dtype, dict) and Tensor in dtype and any(cls in dtype for cls in (tv.Image, tv.Video)):
            warnings.warn(
                "Got `dtype` values for `torch.Tensor` and either `tv_tensors.Image` or `tv_tensors.Video`. "
                "Note that a plain `torch.Tensor` will *not* be transformed by this (or any other transformation) "
                "in case a `tv_tensors.Image` or `tv_tensors.Video` is present in the input.")
        self.dtype = dtype
        self.scale = scale

    _transformed_types = (Tensor,)

    def transform(self, inpt, params):
        from . import functional as F

        image_like = is_pure_tensor(inpt) or isinstance(inpt, (tv.Image, tv.Video))
        if not isinstance(self.dtype, dict):
            if not image_like:  # a plain dtype is for images and videos, as ConvertImageDtype's
                return inpt
            dtype = self.dtype
        elif type(inpt) in self.dtype:
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
            if self.scale and image_like:
                warnings.warn("scale was set to True but no dtype was specified for images or videos: no scaling "
                              "will be done.")
            return inpt
        if not image_like:  # masks and boxes are cast, never scaled
            return inpt.to(dtype)
        return self._call_kernel(F.to_dtype, inpt, dtype=dtype, scale=self.scale)


class ConvertImageDtype(Transform):
    """[DEPRECATED] Use ``ToDtype(dtype, scale=True)``: convert a tensor image to ``dtype`` and rescale its values.

    Args:
        dtype (torchless.dtype): the dtype of the output. Default: ``torchless.float32``.
    """

    def __init__(self, dtype=_dtype.float32):
        self.dtype = dtype

    def transform(self, inpt, params):
        from . import functional as F

        if is_pil_image(inpt):  # v2 has no to_dtype kernel for PIL images: they pass through
            return inpt
        return self._call_kernel(F.to_dtype, inpt, dtype=self.dtype, scale=True)


class ToPureTensor(Transform):
    """Turn the ``tv_tensors`` of a sample into plain tensors (sharing their values)."""

    _transformed_types = (tv.TVTensor,)

    def transform(self, inpt, params):
        return tv._pure(inpt)


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

    _transformed_types = (is_pil_image, np.ndarray)

    def _transform(self, inpt):
        return _v1_functional.to_tensor(inpt)
