"""The functional forms of v2's conversions: ``to_image`` (any single image to a C x H x W tensor, unscaled)
and ``to_dtype`` (a cast that, with ``scale=True``, maps one full-intensity value onto the other)."""
import numpy as np

from .... import _dtype, _memory_format
from ...._creation import as_tensor
from ...._tensor import Tensor
from ..._pillow import is_pil_image
from .._conversion import _scaled, convert_array_dtype, max_value, pil_to_tensor


def to_image(inpt):
    """A tensor, an H x W[ x C] array or a PIL image as a C x H x W tensor of the same dtype, unscaled.

    Like ``torchvision.transforms.v2.functional.to_image``: arrays gain a channel axis when they are H x W,
    tensors are returned as they are (with a channel axis added to an H x W one), PIL images go through
    ``pil_to_tensor``; the result is a ``tv_tensors.Image``.

    Raises:
        TypeError: for any other input.
    """
    from ... import tv_tensors as tv

    return tv.Image(_to_image_tensor(inpt))


def _to_image_tensor(inpt):
    """The tensor of ``to_image``'s Image."""
    if isinstance(inpt, np.ndarray):
        # torch's permute, whose error a 4-D array meets
        return as_tensor(np.atleast_3d(inpt)).permute((2, 0, 1)).contiguous()
    if is_pil_image(inpt):
        return pil_to_tensor(inpt)
    if isinstance(inpt, Tensor):
        # tv_tensors.Image gives an H x W tensor its channel axis, and refuses fewer dimensions
        if inpt.ndim < 2:
            raise ValueError(f"Tensor must be 2D or higher, got {inpt.ndim}D tensor.")
        return inpt.unsqueeze(0) if inpt.ndim < 3 else inpt
    raise TypeError(f"Input can either be a pure Tensor, a numpy array, or a PIL image, but got {type(inpt)} instead.")


def to_dtype(inpt, dtype=_dtype.float32, scale=False):
    """Convert a tensor image to ``dtype``; with ``scale=True`` rescale the values as well.

    Scaling follows ``torchvision.transforms.v2.functional.to_dtype``: integer -> float multiplies by
    ``1 / max`` (v1's ``convert_image_dtype`` divides by ``max``, which can differ in the last bit);
    float -> integer multiplies by ``max + 1 - 0.001`` and truncates; integer -> integer shifts by the
    difference in value bits; float -> float only casts.

    Raises:
        TypeError: for an input that is not a tensor.
        RuntimeError: with ``scale=True``, for float32 -> int32/int64 and float64 -> int64.
    """
    if not isinstance(inpt, Tensor):
        raise TypeError(f"to_dtype expects a tensor image, got {type(inpt)}")
    if inpt.dtype == dtype:
        return inpt
    if not scale:
        return inpt.to(dtype)
    dtype.is_floating_point  # noqa: B018  (torchvision reads it: NumPy's types and names have none)
    source, target = inpt._data.dtype, _dtype.to_numpy_dtype(dtype)
    if source.kind not in "f" and target.kind not in "f":  # integer <-> integer shifts by value bits: none for bool
        for side, kind in ((inpt.dtype, source.kind), (dtype, target.kind)):
            if kind == "b":
                raise TypeError(f"Number of value bits is only defined for integer dtypes, but got {side}.")
    if source.kind == "f" and target.kind not in "fb" and _loses_integers(source, target):
        raise RuntimeError(f"The conversion from {inpt.dtype} to {dtype} cannot be performed safely.")
    with np.errstate(over="ignore", invalid="ignore"):  # PyTorch's out-of-range casts do not warn
        if source.kind != "f" and target.kind == "f":
            converted = _scaled(inpt._data.astype(target), 1.0 / max_value(source), np.multiply)
        else:
            converted = convert_array_dtype(inpt._data, target)
    # torchvision's casts and products lay the result out as the image (a size-1 dim's stride too)
    return Tensor._wrap(_memory_format.preserving(converted, inpt._data))


def convert_image_dtype(image, dtype=_dtype.float32):
    """[DEPRECATED] Use ``to_dtype(image, dtype, scale=True)``: v2's ``convert_image_dtype`` is that, with its
    messages (v1's names a "cast" where v2 names a "conversion", and refuses no bool)."""
    if not isinstance(image, Tensor):
        # v2 calls the tensor kernel without dispatching: it reads what it needs of anything else, failing there
        image.dtype, image.is_floating_point  # noqa: B018
    return to_dtype(image, dtype, scale=True)


def _loses_integers(source, target):
    """Whether the float ``source`` cannot hold every integer of ``target``, as torchvision refuses."""
    return (source == np.float32 and target in (np.int32, np.int64)) or (source == np.float64 and target == np.int64)
