"""Transform classes with torchvision's interface: Compose, the conversions (ToTensor, PILToTensor,
ToPILImage, ConvertImageDtype), Normalize, Resize, CenterCrop, FiveCrop, TenCrop, Pad, Grayscale, Lambda,
and the random augmentations (RandomCrop, flips, RandomRotation, RandomAffine, RandomPerspective,
RandomResizedCrop, RandomErasing, RandomApply/Choice/Order, ColorJitter, RandomGrayscale, GaussianBlur,
RandomInvert, RandomPosterize, RandomSolarize, RandomAdjustSharpness, RandomAutocontrast, RandomEqualize),
which draw from torchless's default generator. PIL images in give PIL images out, as in torchvision.

Transforms that can act on a whole batch at once define the private ``_apply_to_batch(batch)``: given the
per-item inputs stacked along a new leading axis, it returns exactly what stacking the per-item results
would, or ``NotImplemented`` when it cannot (then the caller transforms item by item, which also raises
the per-item errors). Datasets with a batched fast path (MNIST) use it through ``Compose``.
"""
import math
import numbers
import random
import warnings
from collections.abc import Sequence

import numpy as np

from ..._creation import as_tensor
from ..._tensor import Tensor
from ..._tensor_methods._arguments import check_uniform_bounds
from ...nn.modules.module import Module
from ...random import stream
from . import functional as F
from ._conversion import hwc_batch_to_tensor
from ._interpolation import InterpolationMode, interpolation_modes_from_int


def _setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


class TransformModule(Module):
    """Makes a transform a ``torchless.nn.Module``, as torchvision's are (``nn.Sequential`` of transforms,
    ``eval()``, ``named_modules()``); listed last among a transform's bases so that the transform's own
    ``__call__``, ``forward`` and ``__repr__`` come first. The module's state is set up on creation, whatever the
    ``__init__`` of the classes before it does."""

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        Module.__init__(self)
        return self


class _Transform(TransformModule):
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


class Resize(_Transform):
    """Resize an image to ``size``: (h, w), or an int to match the smaller edge keeping the aspect ratio.

    Args:
        size (sequence or int): output size.
        interpolation (InterpolationMode): ``BILINEAR`` (default), ``NEAREST`` or ``NEAREST_EXACT`` (PIL images:
            any mode, resampled by Pillow).
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
            interpolation = interpolation_modes_from_int(interpolation)
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


class FiveCrop(_Transform):
    """Crop the four corners and the centre: a tuple of five images of ``size`` ((h, w) or an int)."""

    def __init__(self, size):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class TenCrop(_Transform):
    """``FiveCrop`` of the image and of its mirror image (flipped left to right, or top to bottom with
    ``vertical_flip``): a tuple of ten images."""

    def __init__(self, size, vertical_flip=False):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


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


# ------------------------------------------------------------------------------------------ Random draws
# torchvision's draws from torch's global generator (torch.rand(1), torch.empty(1).uniform_(low, high),
# torch.randint(low, high, (1,))), as torchless's default generator makes them: after the same manual_seed, the same
# transforms draw PyTorch's numbers. (Those torchvision draws from Python's random module stay unmatched.)
def _rand():
    return float(stream().uniform((1,), np.float32)[0])


def _uniform(low, high):
    """A draw from [low, high) as torchvision's ``torch.empty(1).uniform_(low, high).item()``: a float32 value,
    so that equal bounds give the bound rounded to float32 (``ColorJitter(brightness=(1.3, 1.3))`` blends by
    1.2999999523..., not 1.3). uniform_'s errors: bounds that are not numbers, not within float's range (infinite
    or NaN: the logarithm of a ratio of 0), or inverted (``scale=(1.0, 0.5)``)."""
    for position, (name, bound) in enumerate((("from", low), ("to", high)), 1):
        if not isinstance(bound, (numbers.Real, Tensor)):
            from ...nn._functional._args import _tp_name  # the type names torch prints

            raise TypeError(f"uniform_(): argument '{name}' (position {position}) must be float, not {_tp_name(bound)}")
        if not -_FLOAT_MAX <= bound <= _FLOAT_MAX:
            raise RuntimeError(f"{name} is out of bounds for float")
    check_uniform_bounds(low, high)
    return float(stream().uniform((1,), np.float32, low, high)[0])


_FLOAT_MAX = float(np.finfo(np.float32).max)


def _log(ratio):
    """``math.log`` of a ratio bound, -inf or NaN where torchvision's ``torch.log`` gives them (for uniform_ to
    refuse) instead of Python's ValueError."""
    if ratio > 0:
        return math.log(ratio)
    return -math.inf if ratio == 0 else math.nan


def _randint(low, high):
    """An int in [low, high): ``torch.randint(low, high, (1,))``, refusing an empty range as it does."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return int(stream().integers(low, high, (1,))[0])


def _check_sequence_input(x, name, req_sizes):
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join([str(s) for s in req_sizes])
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _setup_angle(x, name, req_sizes=(2,)):
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _fill_per_channel(fill, img):
    """Tensor images get ``fill`` as one float per channel, as torchvision's random geometric transforms pass it
    (they read the image's dimensions first, which refuses what is not an image as "Unexpected type")."""
    channels = F.get_dimensions(img)[0]
    if not isinstance(img, Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    return [float(f) for f in fill]


# ------------------------------------------------------------------------------------- Random geometry
class RandomCrop(_Transform):
    """Crop a random ``size`` region.

    Args:
        size (sequence or int): (h, w) of the crop, or an int for a square.
        padding (int or sequence, optional): padding applied first, as in ``Pad``.
        pad_if_needed (bool): pad images smaller than ``size`` so that a crop exists.
        fill (number or tuple): fill value for ``constant`` padding. Default: 0.
        padding_mode (str): ``constant``, ``edge``, ``reflect`` or ``symmetric``.
    """

    @staticmethod
    def get_params(img, output_size):
        """(top, left, height, width) of a random crop of ``output_size``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = _randint(0, h - th + 1)
        j = _randint(0, w - tw + 1)
        return i, j, th, tw

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = tuple(_setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class _WithProbability(_Transform):
    """Applies ``_apply`` (by default ``_function``) to the image with probability ``p``."""

    _function = None

    def __init__(self, p=0.5):
        self.p = p

    def forward(self, img):
        if _rand() < self.p:
            return self._apply(img)
        return img

    def _apply(self, img):
        return self._function(img)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomHorizontalFlip(_WithProbability):
    """Flip the image left to right with probability ``p`` (default 0.5)."""

    _function = staticmethod(F.hflip)


class RandomVerticalFlip(_WithProbability):
    """Flip the image top to bottom with probability ``p`` (default 0.5)."""

    _function = staticmethod(F.vflip)


class RandomRotation(_Transform):
    """Rotate by an angle drawn uniformly from ``degrees``.

    Args:
        degrees (sequence or number): (min, max) in degrees, or ``d`` for (-d, +d).
        interpolation (InterpolationMode): ``NEAREST`` (default) or ``BILINEAR``.
        expand (bool): enlarge the output to hold the whole rotated image.
        center (sequence, optional): (x, y) centre of rotation; default the image centre.
        fill (sequence or number): value of the pixels outside the image. Default: 0.
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0):
        if isinstance(interpolation, int):
            interpolation = interpolation_modes_from_int(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = interpolation
        self.expand = expand
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill

    @staticmethod
    def get_params(degrees):
        """An angle drawn uniformly from [degrees[0], degrees[1]]."""
        return _uniform(float(degrees[0]), float(degrees[1]))

    def forward(self, img):
        fill = _fill_per_channel(self.fill, img)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self):
        s = f"{self.__class__.__name__}(degrees={self.degrees}, interpolation={self.interpolation.value}"
        s += f", expand={self.expand}"
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomAffine(_Transform):
    """Random rotation, translation, scale and shear about the image centre.

    Args:
        degrees (sequence or number): rotation range (min, max), or ``d`` for (-d, +d); 0 for none.
        translate (tuple, optional): maximum fractions (a, b) of the width and height to shift by.
        scale (tuple, optional): scale range (min, max).
        shear (sequence or number, optional): x shear range (min, max) or ``d`` for (-d, +d); four values
            add a y shear range.
        interpolation (InterpolationMode): ``NEAREST`` (default) or ``BILINEAR``.
        fill (sequence or number): value of the pixels outside the image. Default: 0.
        center (sequence, optional): (x, y) centre; default the image centre.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation=InterpolationMode.NEAREST,
                 fill=0, center=None):
        if isinstance(interpolation, int):
            interpolation = interpolation_modes_from_int(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not (0.0 <= t <= 1.0):
                    raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = None if shear is None else _setup_angle(shear, name="shear", req_sizes=(2, 4))
        self.interpolation = interpolation
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """(angle, (tx, ty), scale, (shear_x, shear_y)) for an image of ``img_size`` = [width, height]."""
        angle = _uniform(float(degrees[0]), float(degrees[1]))
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))), int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        fill = _fill_per_channel(self.fill, img)
        _, height, width = F.get_dimensions(img)
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])
        return F.affine(img, *params, interpolation=self.interpolation, fill=fill, center=self.center)

    def __repr__(self):
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        s += f", interpolation={self.interpolation.value}" if self.interpolation != InterpolationMode.NEAREST else ""
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


class RandomPerspective(_Transform):
    """Warp the image, with probability ``p``, so that its corners move inward by random amounts.

    Args:
        distortion_scale (float): how far (0 to 1, as a fraction of half the width and height) each corner
            may move. Default: 0.5.
        p (float): probability of warping. Default: 0.5.
        interpolation (InterpolationMode): ``BILINEAR`` (default) or ``NEAREST`` (PIL images: also ``BICUBIC``).
        fill (sequence or number): value of the pixels outside the image. Default: 0.
    """

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR, fill=0):
        self.p = p
        if isinstance(interpolation, int):
            interpolation = interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.distortion_scale = distortion_scale
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill

    @staticmethod
    def get_params(width, height, distortion_scale):
        """([four corners of the image], [where they go]), corners listed top-left, top-right, bottom-right,
        bottom-left, each moved into the image by up to ``distortion_scale`` of half the width and height."""
        half_height, half_width = height // 2, width // 2
        dx, dy = int(distortion_scale * half_width), int(distortion_scale * half_height)
        topleft = [_randint(0, dx + 1), _randint(0, dy + 1)]
        topright = [_randint(width - dx - 1, width), _randint(0, dy + 1)]
        botright = [_randint(width - dx - 1, width), _randint(height - dy - 1, height)]
        botleft = [_randint(0, dx + 1), _randint(height - dy - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def forward(self, img):
        fill = _fill_per_channel(self.fill, img)
        _, height, width = F.get_dimensions(img)
        if _rand() < self.p:
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomResizedCrop(_Transform):
    """Crop a random region of random area and aspect ratio, and resize it to ``size``.

    Args:
        size (sequence or int): output (h, w), or an int for a square.
        scale (tuple): range of the crop's area as a fraction of the image's. Default: (0.08, 1.0).
        ratio (tuple): range of the crop's aspect ratio (width / height), drawn log-uniformly.
            Default: (3/4, 4/3).
        interpolation (InterpolationMode): ``BILINEAR`` (default), ``NEAREST`` or ``NEAREST_EXACT`` (PIL images:
            any mode, resampled by Pillow).
        antialias (bool): low-pass filter when downscaling. Default: ``True``.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if isinstance(interpolation, int):
            interpolation = interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio):
        """(top, left, height, width) of a random crop; the central crop if ten draws all fail."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (_log(ratio[0]), _log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = _randint(0, height - h + 1)
                j = _randint(0, width - w + 1)
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self):
        return (f"{self.__class__.__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class RandomErasing(_Transform):
    """Erase a random rectangle of a tensor image with probability ``p`` (Zhong et al., Random Erasing).

    Args:
        p (float): probability of erasing. Default: 0.5.
        scale (tuple): range of the erased area as a fraction of the image's. Default: (0.02, 0.33).
        ratio (tuple): range of the erased region's aspect ratio, drawn log-uniformly. Default: (0.3, 3.3).
        value (number, sequence or "random"): erasing value, one per channel, or standard normal noise for
            ``"random"``. Default: 0.
        inplace (bool): erase the input tensor itself. Default: ``False``.
    """

    _input_word = "input"  # v2 says "inpt"

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """(i, j, h, w, v): the region and its new content; the whole image and itself if ten draws fail."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = (_log(ratio[0]), _log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = Tensor._wrap(stream().normal((img_c, h, w), np.float32))
            else:
                v = as_tensor(value)[:, None, None]  # torch.tensor(value): ints stay int64
            i = _randint(0, img_h - h + 1)
            j = _randint(0, img_w - w + 1)
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def forward(self, img):
        if _rand() < self.p:
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            else:
                value = [float(v) for v in self.value]
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError("If value is a sequence, it should have either a single value or "
                                 f"{img.shape[-3]} (number of {self._input_word} channels)")
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return F.erase(img, x, y, h, w, v, self.inplace)
        return img

    def __repr__(self):
        return (f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


# ---------------------------------------------------------------------------------- Random composition
class RandomApply(_Transform):
    """Apply a list of transforms, all together, with probability ``p`` (default 0.5)."""

    def __init__(self, transforms, p=0.5):
        self.transforms = transforms
        self.p = p

    def forward(self, img):
        if self.p < _rand():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return "\n".join([f"{self.__class__.__name__}(", f"    p={self.p}"] + [f"    {t}" for t in self.transforms]
                         + [")"])


class RandomTransforms:
    """Base class of transforms choosing among a sequence of ``transforms``."""

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, *args, **kwargs):
        raise NotImplementedError()

    def __repr__(self):
        return "\n".join([f"{self.__class__.__name__}("] + [f"    {t}" for t in self.transforms] + [")"])


class RandomOrder(RandomTransforms):
    """Apply ``transforms`` in a random order.

    As torchvision's, the order is drawn by Python's ``random`` module (seeded by ``random.seed``, not by
    ``manual_seed``), leaving torch's random stream alone.
    """

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one of ``transforms``, picked with weights ``p`` (uniformly by default).

    As torchvision's, the pick is ``random.choices`` of Python's ``random`` module, leaving torch's random stream
    alone.
    """

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        return random.choices(self.transforms, weights=self.p)[0](*args)

    def __repr__(self):
        return f"{super().__repr__()}(p={self.p})"


# ------------------------------------------------------------------------------------------ Random colour
class ColorJitter(_Transform):
    """Randomly change the brightness, contrast, saturation and hue, in a random order.

    Args:
        brightness (float or (min, max)): factor drawn from [max(0, 1 - b), 1 + b] or the given range.
        contrast (float or (min, max)): likewise.
        saturation (float or (min, max)): likewise.
        hue (float or (min, max)): shift drawn from [-h, h] (0 <= h <= 0.5) or the given range in [-0.5, 0.5].
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    def _check_input(self, value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:  # the identity: skip it
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order of the four adjustments, brightness, contrast, saturation, hue factors or None)."""
        fn_idx = Tensor._wrap(stream().permutation(4))
        b = None if brightness is None else _uniform(brightness[0], brightness[1])
        c = None if contrast is None else _uniform(contrast[0], contrast[1])
        s = None if saturation is None else _uniform(saturation[0], saturation[1])
        h = None if hue is None else _uniform(hue[0], hue[1])
        return fn_idx, b, c, s, h

    def forward(self, img):
        fn_idx, brightness_factor, contrast_factor, saturation_factor, hue_factor = self.get_params(
            self.brightness, self.contrast, self.saturation, self.hue)
        for fn_id in fn_idx.tolist():
            if fn_id == 0 and brightness_factor is not None:
                img = F.adjust_brightness(img, brightness_factor)
            elif fn_id == 1 and contrast_factor is not None:
                img = F.adjust_contrast(img, contrast_factor)
            elif fn_id == 2 and saturation_factor is not None:
                img = F.adjust_saturation(img, saturation_factor)
            elif fn_id == 3 and hue_factor is not None:
                img = F.adjust_hue(img, hue_factor)
        return img

    def __repr__(self):
        return (f"{self.__class__.__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class RandomGrayscale(_Transform):
    """Convert the image to grayscale with probability ``p`` (default 0.1), keeping its number of channels
    (an RGB image gives three equal channels)."""

    def __init__(self, p=0.1):
        self.p = p

    def forward(self, img):
        num_output_channels, _, _ = F.get_dimensions(img)
        if _rand() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class GaussianBlur(_Transform):
    """Blur with a Gaussian kernel whose sigma is drawn uniformly from ``sigma``.

    Args:
        kernel_size (int or sequence): odd, positive (kx, ky), or an int for both.
        sigma (float or (min, max)): the standard deviation, or its range. Default: (0.1, 2.0).
    """

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        """A sigma drawn uniformly from [sigma_min, sigma_max]."""
        return _uniform(sigma_min, sigma_max)

    def forward(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self):
        return f"{self.__class__.__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomInvert(_WithProbability):
    """Invert the colours with probability ``p`` (default 0.5)."""

    _function = staticmethod(F.invert)


class RandomAutocontrast(_WithProbability):
    """Autocontrast the image with probability ``p`` (default 0.5)."""

    _function = staticmethod(F.autocontrast)


class _WithProbabilityAndSetting(_WithProbability):
    """A ``_WithProbability`` whose function takes one setting, named ``_setting``, after the image."""

    _setting = None

    def __init__(self, setting, p=0.5):
        super().__init__(p)
        setattr(self, self._setting, setting)

    def _apply(self, img):
        return self._function(img, getattr(self, self._setting))

    def __repr__(self):
        return f"{self.__class__.__name__}({self._setting}={getattr(self, self._setting)},p={self.p})"


class RandomPosterize(_WithProbabilityAndSetting):
    """Posterize the image (keep ``bits`` bits per channel) with probability ``p`` (default 0.5)."""

    _function, _setting = staticmethod(F.posterize), "bits"

    def __init__(self, bits, p=0.5):
        super().__init__(bits, p)


class RandomSolarize(_WithProbabilityAndSetting):
    """Solarize the image (invert the pixels at or above ``threshold``) with probability ``p`` (default 0.5)."""

    _function, _setting = staticmethod(F.solarize), "threshold"

    def __init__(self, threshold, p=0.5):
        super().__init__(threshold, p)


class RandomAdjustSharpness(_WithProbabilityAndSetting):
    """Adjust the sharpness by ``sharpness_factor`` with probability ``p`` (default 0.5)."""

    _function, _setting = staticmethod(F.adjust_sharpness), "sharpness_factor"

    def __init__(self, sharpness_factor, p=0.5):
        super().__init__(sharpness_factor, p)


class RandomEqualize(_WithProbability):
    """Equalize the histogram of the image with probability ``p`` (default 0.5)."""

    _function = staticmethod(F.equalize)


class ElasticTransform(_Transform):
    """Displace each pixel by a smooth random field and resample (torchvision's ``ElasticTransform``).

    The field is uniform noise in [-1, 1] per pixel and direction, blurred with a Gaussian of ``sigma`` (kernel
    ``int(8 * sigma + 1)``, made odd) and scaled by ``alpha`` over the width (x) or height (y).

    Args:
        alpha (float or sequence of two floats): strength in x and y. Default: 50.0.
        sigma (float or sequence of two floats): smoothness in x and y. Default: 5.0.
        interpolation (InterpolationMode): ``BILINEAR`` (default), ``NEAREST`` or ``BICUBIC``.
        fill (number or sequence): value of the pixels moved in from outside. Default: 0.
    """

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0):
        self.alpha = self._two_floats(alpha, "alpha")
        self.sigma = self._two_floats(sigma, "sigma")
        if isinstance(interpolation, int) and not isinstance(interpolation, InterpolationMode):
            interpolation = interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        if isinstance(fill, (int, float)):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError(f"fill should be int or float or a list or tuple of them. Got {type(fill)}")
        self.fill = fill

    @staticmethod
    def _two_floats(value, name):
        # torchvision v1 takes only floats here (an int is refused), a sequence of exactly two
        if not isinstance(value, (float, Sequence)):
            raise TypeError(f"{name} should be float or a sequence of floats. Got {type(value)}")
        if isinstance(value, Sequence) and len(value) != 2:
            raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(value)}")
        if isinstance(value, Sequence):
            for element in value:
                if not isinstance(element, float):
                    raise TypeError(f"{name} should be a sequence of floats. Got {type(element)}")
            return list(value)
        return [float(value), float(value)]

    @staticmethod
    def get_params(alpha, sigma, size):
        """A random displacement field of shape 1 x H x W x 2 for an image of ``size`` [H, W]."""
        fields = []
        for axis in range(2):
            field = Tensor._wrap(stream().uniform([1, 1] + list(size), np.float32) * 2 - 1)
            if sigma[axis] > 0.0:
                kernel = int(8 * sigma[axis] + 1)
                kernel += 1 - kernel % 2  # odd
                field = F.gaussian_blur(field, [kernel, kernel], list(sigma))
            fields.append(field * alpha[axis] / size[1 - axis])
        return Tensor._wrap(np.concatenate([f._data for f in fields], 1).transpose(0, 2, 3, 1).copy())

    def forward(self, tensor):
        _, height, width = F.get_dimensions(tensor)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return F.elastic_transform(tensor, displacement, self.interpolation, self.fill)

    def __repr__(self):
        return (f"{self.__class__.__name__}(alpha={self.alpha}, sigma={self.sigma}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
