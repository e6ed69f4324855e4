"""Conversions between image kinds and dtypes, as torchvision's ``to_tensor``, ``pil_to_tensor``,
``to_pil_image`` and ``convert_image_dtype``."""
import sys

import numpy as np

from ... import _dtype, _memory_format
from ..._creation import as_tensor, from_numpy
from ..._tensor import Tensor
from .._pillow import is_pil_image, require_pil_image


def max_value(dtype):
    """The value of full intensity for a NumPy dtype: 1.0 for floats, the maximum for integers, else 1."""
    if dtype.kind == "f":
        return 1.0
    if dtype.kind in "iu":
        return int(np.iinfo(dtype).max)
    return 1  # bool, and torchvision's fallback for any other type (complex)


# ---------------------------------------------------------------------------------------------- to_tensor
def to_tensor(pic):
    """A PIL image or H x W[ x C] array as a C x H x W tensor.

    uint8 data (and 8-bit PIL modes) are scaled to [0, 1] in the default float dtype; other dtypes are
    returned unscaled, as torchvision does.
    """
    if is_pil_image(pic):
        return _pil_to_tensor_scaled(pic)
    if not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    return _chw_scaled(pic[:, :, None] if pic.ndim == 2 else pic)


def hwc_batch_to_tensor(batch):
    """(N, H, W[, C]) arrays as the (N, C, H, W) stack of their ``to_tensor`` results."""
    if batch.ndim == 3:
        batch = batch[..., None]
    chw = np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
    if chw.dtype == np.uint8:
        float_type = _dtype.get_default_dtype().numpy.type
        chw = chw.astype(float_type) / float_type(255)
    return as_tensor(chw)


def _pil_to_tensor_scaled(pic):
    wide_modes = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16, "F": np.float32}
    array = np.array(pic, wide_modes.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        array = 255 * array
    return _chw_scaled(array.reshape(pic.size[1], pic.size[0], len(pic.getbands())))


def _chw_scaled(hwc):
    """torchvision's last steps of ``to_tensor``, in its tensor operations: the H x W x C array ``hwc`` (through
    torch.from_numpy, which refuses negative strides) as a contiguous C x H x W tensor -- so a one-channel image keeps
    its strides, (1, W, 1) -- and uint8 scaled to [0, 1] in the default float dtype."""
    image = from_numpy(hwc).permute(2, 0, 1).contiguous()
    if image.dtype == _dtype.uint8:
        return image.to(_dtype.get_default_dtype()).div(255)
    return image


def pil_to_tensor(pic):
    """A PIL image (or H x W[ x C] array standing in for one) as a C x H x W tensor of the same dtype, unscaled.

    Like torchvision's, the result is a channels-first view of a copy of the pixels (not contiguous).
    PIL modes whose NumPy dtype torchless has no tensor dtype for (``I;16`` is uint16) raise TypeError.
    """
    if is_pil_image(pic):
        array = np.array(pic, copy=True).reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = np.array(pic[:, :, None] if pic.ndim == 2 else pic, copy=True)
    else:
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    return as_tensor(array).permute(2, 0, 1)


def pil_through_tensor(pic, kernel, mode=None):
    """What torchvision's kernels for PIL images that work on tensors give: ``to_pil_image(kernel(
    pil_to_tensor(pic)), mode)``. A 16-bit image (``I;16``, uint16, which torchless has no tensor dtype for) goes
    through ``kernel`` as int32, which holds its values, and comes back as uint16, which ``to_pil_image`` refuses
    as torchvision's does (with ``pic``'s mode as with none)."""
    pixels = np.array(pic, copy=True).reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    if pixels.dtype != np.uint16:
        return to_pil_image(kernel(as_tensor(pixels).permute(2, 0, 1)), mode)
    out = kernel(as_tensor(pixels.astype(np.int32)).permute(2, 0, 1))
    return to_pil_image(out.numpy(force=True).transpose(1, 2, 0).astype(np.uint16), mode)


# ------------------------------------------------------------------------------------------- to_pil_image
_PERMITTED_MODES = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}
_DEFAULT_MODES = {2: "LA", 3: "RGB", 4: "RGBA"}
_SINGLE_CHANNEL_MODES = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16" if sys.byteorder == "little" else "I;16B",
                         np.dtype(np.int32): "I", np.dtype(np.float32): "F"}


def to_pil_image(pic, mode=None):
    """A C x H x W tensor or H x W x C array (or an H x W one of either) as a PIL image.

    Float data is multiplied by 255 and truncated to uint8 unless ``mode`` is ``"F"``. Without ``mode``,
    1 channel gives ``L`` (uint8), ``I;16`` (int16), ``I`` (int32) or ``F`` (float32); 2 channels ``LA``,
    3 ``RGB`` and 4 ``RGBA`` (uint8 only).

    Raises:
        TypeError: for another input type, or data of a dtype with no mode.
        ValueError: for other than 2 or 3 dimensions, more than 4 channels, or a ``mode`` that does not fit
            the channel count (or, for 1 channel, the dtype).
    """
    if isinstance(pic, Tensor):
        if pic.ndim == 3:
            pic = pic.permute(1, 2, 0)
        pic = pic.numpy(force=True)
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    if np.issubdtype(pic.dtype, np.floating) and mode != "F":
        pic = (pic * 255).astype(np.uint8)
    channels = pic.shape[2]
    if channels == 1:
        pic = pic[:, :, 0]
        expected_mode = _SINGLE_CHANNEL_MODES.get(pic.dtype)
        if mode is not None and mode != expected_mode:
            # torchvision's message names np.dtype (the class), not the array's dtype
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. Should be {expected_mode}")
        mode = expected_mode
    else:
        # (torchvision takes anything but 1, 2 or 4 channels -- 0 too -- for 3)
        shown_channels = channels if channels in _PERMITTED_MODES else 3
        permitted = _PERMITTED_MODES[shown_channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {shown_channels}D inputs")
        if mode is None and pic.dtype == np.uint8:
            mode = _DEFAULT_MODES[shown_channels]
    if mode is None:
        raise TypeError(f"Input type {pic.dtype} is not supported")
    return _image_from_array(require_pil_image("converting to a PIL image"), pic, mode)


def _image_from_array(image_module, array, mode):
    """``array``'s bytes read as a PIL image of ``mode``, whatever mode Pillow would infer from its dtype.

    Pillow 11.3 deprecated ``fromarray``'s ``mode`` and Pillow 13 rejects modes that disagree with the dtype
    (int16 data as ``I;16``); ``frombuffer`` with the raw decoder of ``mode`` still reinterprets the bytes, which
    is what torchvision's ``_Image_fromarray`` falls back to.
    """
    height, width = array.shape[:2]
    return image_module.frombuffer(mode, (width, height), np.ascontiguousarray(array).tobytes(), "raw", mode, 0, 1)


# ------------------------------------------------------------------------------------- convert_image_dtype
def convert_image_dtype(image, dtype=_dtype.float32):
    """Convert a tensor image to ``dtype``, rescaling its values from one full-intensity value to the other.

    Integer -> float divides by the integer maximum; float -> integer multiplies by ``max + 1 - 0.001`` and
    truncates, so that [0, 1] spreads evenly over the integers; integer -> integer shifts by whole bits
    (the maxima of a smaller to a larger type are not mapped onto each other, as in torchvision).

    Raises:
        TypeError: for an input that is not a tensor.
        RuntimeError: for float32 -> int32/int64 and float64 -> int64, which the float cannot represent
            exactly.
    """
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    if dtype is not None and not _dtype.is_argument(dtype):  # torchvision builds torch.tensor(0, dtype=dtype)
        from ...nn._functional._args import _tp_name  # the type names torch prints (numpy.int64)

        raise TypeError(f"tensor(): argument 'dtype' must be torchless.dtype, not {_tp_name(dtype)}")
    if dtype is None:
        return _convert_to_no_dtype(image)
    if image.is_floating_point() and dtype.is_floating_point:
        return image.to(dtype)  # as torchvision's: a tv_tensor stays one (the other conversions compute plain tensors)
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range casts: PyTorch's casts do not warn either
        converted = convert_array_dtype(image._data, _dtype.to_numpy_dtype(dtype))
    # torchvision's casts and products lay the result out as the image (a size-1 dim's stride too)
    return Tensor._wrap(_memory_format.preserving(converted, image._data))


def _convert_to_no_dtype(image):
    # torchvision takes None for an integer dtype of full intensity 1 (its _max_value's fallback), which its last
    # cast, .to(None), leaves as the image's: floats are scaled by 1 + 1 - 0.001, integers floor-divided by half
    # their range, and bool (full intensity 1 already) multiplied by 1, which makes int64
    if image.is_floating_point():
        return image.mul(1.0 + 1.0 - 1e-3)
    if image.dtype == _dtype.bool:
        return image * 1
    return image.div(int((max_value(_dtype.to_numpy_dtype(image.dtype)) + 1) // 2), rounding_mode="floor")


def convert_array_dtype(array, target):
    """``convert_image_dtype`` on a NumPy array, to the NumPy dtype ``target``."""
    if array.dtype == target:
        return array
    if array.dtype.kind == "f":
        if target.kind == "f":
            # PyTorch casts double to half through float (two roundings), as its Half is made from a float
            return array.astype(np.float32).astype(target) if target == np.float16 else array.astype(target)
        if (array.dtype == np.float32 and target in (np.int32, np.int64)) or \
                (array.dtype == np.float64 and target == np.int64):
            raise RuntimeError(f"The cast from {_dtype.from_numpy_dtype(array.dtype)} to "
                               f"{_dtype.from_numpy_dtype(target)} cannot be performed safely.")
        eps = 1e-3  # max + 1 - eps: each integer gets an equal share of [0, 1], and 1.0 the maximum
        return _scaled(array, float(max_value(target)) + 1.0 - eps, np.multiply).astype(target)
    input_max = float(max_value(array.dtype))
    if target.kind == "f":
        return _scaled(array.astype(target), input_max, np.divide)
    output_max = float(max_value(target))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return (array // factor).astype(target)
    factor = int((output_max + 1) // (input_max + 1))
    return array.astype(target) * target.type(factor)


def _scaled(array, scalar, op):
    """``op(array, scalar)`` rounded to the array's float dtype; PyTorch computes float16 in float32."""
    if array.dtype == np.float16:
        return op(array.astype(np.float32), np.float32(scalar)).astype(np.float16)
    return op(array, array.dtype.type(scalar))
