"""Geometric transforms: Resize, the crops (CenterCrop, FiveCrop, TenCrop, RandomCrop,
RandomResizedCrop), Pad, the flips, RandomRotation, RandomAffine, RandomPerspective, ElasticTransform.
"""
import numbers
from collections.abc import Sequence

import numpy as np

from ..._tensor import Tensor
from ...random import stream
from . import functional as F
from ._interpolation import InterpolationMode, interpolation_modes_from_int
from ._transform_base import (_check_scale_and_ratio, _check_sequence_input, _checked_fill, _fill_per_channel, _log,
                              _rand_tensor, _randint, _region_sides, _setup_angle, _setup_size, _Transform, _uniform,
                              _WithProbability)


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


class _SizedCrop(_Transform):
    """A crop of ``size`` ((h, w) or an int for a square), shown by its size."""

    def __init__(self, size):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class CenterCrop(_SizedCrop):
    """Crop the centre ``size`` region ((h, w) or an int for a square), zero-padding smaller images."""

    def forward(self, img):
        return F.center_crop(img, self.size)


class FiveCrop(_SizedCrop):
    """Crop the four corners and the centre: a tuple of five images of ``size`` ((h, w) or an int)."""

    def forward(self, img):
        return F.five_crop(img, self.size)


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


class RandomHorizontalFlip(_WithProbability):
    """Flip the image left to right with probability ``p`` (default 0.5)."""

    _draw = staticmethod(_rand_tensor)

    _function = staticmethod(F.hflip)


class RandomVerticalFlip(_WithProbability):
    """Flip the image top to bottom with probability ``p`` (default 0.5)."""

    _draw = staticmethod(_rand_tensor)

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
        self.fill = _checked_fill(fill)

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
        self.fill = _checked_fill(fill)
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
        self.fill = _checked_fill(fill)

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
        if _rand_tensor() < self.p:
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
        _check_scale_and_ratio(scale, ratio)
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
            w, h = _region_sides(area, scale, log_ratio)
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
