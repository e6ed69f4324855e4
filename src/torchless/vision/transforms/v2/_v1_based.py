"""v2's classes that do v1's work: v1's classes taking v2's arguments (interpolation also as a string, as v2's
default ``"bilinear"``) with v2's reprs -- the attributes torchvision's v2 ``__init__`` sets, in its order, in
the layout of ``torch.nn.Module.__repr__``. v1's classes and reprs are unchanged."""
from collections.abc import Sequence

import numpy as np

from ... import tv_tensors as tv
from ..._pillow import is_pil_image as _is_pil_image
from .. import transforms as _v1
from .._interpolation import InterpolationMode
from ._repr import V2Repr, module_repr
from ._transform import SampleTransform, TransformModule
from ._utils import is_pure_tensor, query_size

_MODES = {mode.value: mode for mode in InterpolationMode}


def _v1_interpolation(interpolation):
    """v2's interpolation argument (an InterpolationMode, a Pillow code or its string) for v1's classes."""
    if isinstance(interpolation, str):
        if interpolation not in _MODES:
            raise ValueError(f"Invalid interpolation mode: '{interpolation}'. "
                             f"Supported string values are: {list(_MODES)}.")
        return _MODES[interpolation]
    return interpolation


def _v1_init_interpolation(interpolation):
    """The mode v1's ``__init__`` (whose other checks v2 shares) is handed for v2's interpolation argument, which v2
    keeps as given and checks only when the transform runs (``_check_interpolation``): NEAREST stands in for one
    that check will refuse."""
    try:
        return _check_interpolation(interpolation)
    except (KeyError, ValueError):
        return InterpolationMode.NEAREST


def _check_interpolation(interpolation):
    """v2's functionals' check: an InterpolationMode, its string or a Pillow integer code, as an InterpolationMode;
    anything else is a ValueError (v1's functionals raise a TypeError)."""
    from .._interpolation import interpolation_modes_from_int

    if isinstance(interpolation, str):
        return _v1_interpolation(interpolation)
    if isinstance(interpolation, int) and not isinstance(interpolation, InterpolationMode):
        return interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise ValueError("Argument interpolation should be an `InterpolationMode` or a corresponding Pillow integer "
                         f"constant, but got {interpolation}.")
    return interpolation


def _size_standin(height, width, channels=1):
    """A ``channels`` x ``height`` x ``width`` tensor of no memory, for v1's ``get_params`` that read an image's
    size."""
    import numpy as np

    from ...._tensor import Tensor

    return Tensor._wrap(np.broadcast_to(np.uint8(0), (channels, height, width)))


def _parse_pad_padding(padding):
    """``[left, right, top, bottom]`` of a padding argument, as v2's ``RandomCrop`` stores it."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    if len(padding) == 4:
        return [padding[0], padding[2], padding[1], padding[3]]
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple or list. Found {len(padding)}")


class Resize(SampleTransform, V2Repr, _v1.Resize, TransformModule):
    __doc__ = _v1.Resize.__doc__

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        # v2's own size check, a ValueError for any other type or length (v1 raises a TypeError for a float)
        if not (isinstance(size, int) or size is None or (isinstance(size, Sequence) and len(size) in (1, 2))):
            raise ValueError(f"size can be an integer, a sequence of one or two integers, or None, but got {size} "
                             "instead.")
        if size is None:  # v2 only: the longer edge resized to max_size
            if not isinstance(max_size, int):
                raise ValueError(f"max_size must be an integer when size is None, but got {max_size} instead.")
            super().__init__(1, _v1_init_interpolation(interpolation), None, antialias)  # v1's checks but size's
            self.size, self.max_size = None, max_size
        else:
            super().__init__(size, _v1_init_interpolation(interpolation), max_size, antialias)
        self.interpolation = interpolation  # kept as given, as v2 keeps it (checked when the transform runs)
        shown = [size] if isinstance(size, int) else list(size) if isinstance(size, Sequence) else size
        self._v2_repr_attrs = [("size", shown), ("interpolation", interpolation), ("max_size", max_size),
                               ("antialias", antialias)]

    def forward(self, img):
        from . import functional as F2

        return F2.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def transform(self, inpt, params):
        from . import functional as F2

        return self._call_kernel(F2.resize, inpt, self.size, interpolation=self.interpolation,
                                 max_size=self.max_size, antialias=self.antialias)


class CenterCrop(SampleTransform, V2Repr, _v1.CenterCrop, TransformModule):
    __doc__ = _v1.CenterCrop.__doc__

    def __init__(self, size):
        super().__init__(size)
        self._v2_repr_attrs = [("size", _v1._setup_size(size, "Please provide only two dimensions (h, w) for size."))]

    def transform(self, inpt, params):
        from . import functional as F2

        return self._call_kernel(F2.center_crop, inpt, output_size=self.size)


def _check_padding_arg(padding):
    if not (isinstance(padding, int) or (isinstance(padding, (tuple, list)) and len(padding) in (1, 2, 4)
                                         and all(isinstance(p, int) for p in padding))):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element of tuple or list, got {padding}.")


def _check_padding_mode_arg(padding_mode):
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


class RandomCrop(SampleTransform, V2Repr, _v1.RandomCrop, TransformModule):
    __doc__ = _v1.RandomCrop.__doc__

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        from ._auto_augment import _setup_fill_arg

        super().__init__(size, padding, pad_if_needed, fill, padding_mode)
        if pad_if_needed or padding is not None:
            if padding is not None:
                _check_padding_arg(padding)
            _check_padding_mode_arg(padding_mode)
        self._fill = _setup_fill_arg(fill)  # v2 takes a fill per input type, and None
        self._v2_repr_attrs = [
            ("size", _v1._setup_size(size, "Please provide only two dimensions (h, w) for size.")),
            ("padding", _parse_pad_padding(padding) if padding else None), ("pad_if_needed", pad_if_needed),
            ("fill", fill), ("padding_mode", padding_mode)]

    def forward(self, img):
        return self(img)

    def make_params(self, flat_inputs):
        # v2 works out the whole padding (the given one, then the shortfall on both sides) and checks the size
        # before padding anything, with its own wording; the crop's corner is drawn only along a dimension
        # larger than the crop
        height, width = query_size(flat_inputs)
        left, right, top, bottom = _parse_pad_padding(self.padding) if self.padding else (0, 0, 0, 0)
        height, width = height + top + bottom, width + left + right
        if self.pad_if_needed and height < self.size[0]:
            shortfall = self.size[0] - height
            top, bottom, height = top + shortfall, bottom + shortfall, height + 2 * shortfall
        if self.pad_if_needed and width < self.size[1]:
            shortfall = self.size[1] - width
            left, right, width = left + shortfall, right + shortfall, width + 2 * shortfall
        if height < self.size[0] or width < self.size[1]:
            raise ValueError(f"Required crop size {tuple(self.size)} is larger than "
                             f"{'padded ' if self.padding else ''}input image size {(height, width)}.")
        crop_top = _v1._randint(0, height - self.size[0] + 1) if height > self.size[0] else 0
        crop_left = _v1._randint(0, width - self.size[1] + 1) if width > self.size[1] else 0
        padding = [left, top, right, bottom]
        return {"needs_crop": height > self.size[0] or width > self.size[1], "top": crop_top, "left": crop_left,
                "height": self.size[0], "width": self.size[1], "needs_pad": any(padding), "padding": padding}

    def transform(self, inpt, params):
        from . import functional as F2
        from ._auto_augment import _get_fill

        if params["needs_pad"]:
            inpt = self._call_kernel(F2.pad, inpt, params["padding"], fill=_get_fill(self._fill, type(inpt)),
                                     padding_mode=self.padding_mode)
        if params["needs_crop"]:
            inpt = self._call_kernel(F2.crop, inpt, params["top"], params["left"], params["height"], params["width"])
        return inpt


class RandomResizedCrop(SampleTransform, V2Repr, _v1.RandomResizedCrop, TransformModule):
    __doc__ = _v1.RandomResizedCrop.__doc__

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation="bilinear",
                 antialias=True):
        _v1._setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence) or len(scale) != 2:
            raise TypeError("Scale should be a sequence of two floats.")
        if not isinstance(ratio, Sequence) or len(ratio) != 2:
            raise TypeError("Ratio should be a sequence of two floats.")
        super().__init__(size, scale, ratio, _v1_init_interpolation(interpolation), antialias)
        self.interpolation = interpolation  # kept as given (v2's resize takes modes, their strings and Pillow codes)
        self._v2_repr_attrs = [
            ("size", _v1._setup_size(size, "Please provide only two dimensions (h, w) for size.")), ("scale", scale),
            ("ratio", ratio), ("interpolation", interpolation), ("antialias", antialias)]

    def forward(self, img):
        return self(img)

    def make_params(self, flat_inputs):
        return dict(zip(("top", "left", "height", "width"),
                        self.get_params(_size_standin(*query_size(flat_inputs)), self.scale, self.ratio)))

    def transform(self, inpt, params):
        from . import functional as F2

        return self._call_kernel(F2.resized_crop, inpt, **params, size=self.size, interpolation=self.interpolation,
                                 antialias=self.antialias)


class Pad(SampleTransform, V2Repr, _v1.Pad, TransformModule):
    __doc__ = _v1.Pad.__doc__

    def __init__(self, padding, fill=0, padding_mode="constant"):
        from ._auto_augment import _setup_fill_arg

        # v2's checks and messages (a fill per input type, and None, allowed), not v1's
        _check_padding_arg(padding)
        _check_padding_mode_arg(padding_mode)
        self.padding = padding if isinstance(padding, int) else list(padding)
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        self.padding_mode = padding_mode
        self._v2_repr_attrs = [("padding", self.padding), ("fill", fill), ("padding_mode", padding_mode)]

    def forward(self, img):
        from . import functional as F2
        from ._auto_augment import _get_fill

        return F2.pad(img, self.padding, _get_fill(self._fill, type(img)), self.padding_mode)

    def transform(self, inpt, params):
        from . import functional as F2
        from ._auto_augment import _get_fill

        return self._call_kernel(F2.pad, inpt, self.padding, fill=_get_fill(self._fill, type(inpt)),
                                 padding_mode=self.padding_mode)


class Normalize(SampleTransform, V2Repr, _v1.Normalize, TransformModule):
    __doc__ = _v1.Normalize.__doc__

    def __init__(self, mean, std, inplace=False):
        super().__init__(list(mean), list(std), inplace)
        self._v2_repr_attrs = [("mean", self.mean), ("std", self.std), ("inplace", inplace)]

    def forward(self, tensor):
        from . import functional as F2

        if _is_pil_image(tensor):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")
        return F2.normalize(tensor, self.mean, self.std, self.inplace)

    def check_inputs(self, flat_inputs):
        if any(_is_pil_image(inpt) for inpt in flat_inputs):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt, params):
        from . import functional as F2

        return self._call_kernel(F2.normalize, inpt, mean=self.mean, std=self.std, inplace=self.inplace)


class ColorJitter(SampleTransform, V2Repr, _v1.ColorJitter, TransformModule):
    __doc__ = _v1.ColorJitter.__doc__

    def __init__(self, brightness=None, contrast=None, saturation=None, hue=None):
        super().__init__(brightness, contrast, saturation, hue)
        self._v2_repr_attrs = [(name, getattr(self, name)) for name in ("brightness", "contrast", "saturation", "hue")]

    def _check_input(self, value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        # v2's checks: None for "no change", any sequence of two, and its own wording
        if value is None:
            return None
        if isinstance(value, (int, float)):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - value, center + value]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, Sequence) and len(value) == 2:
            value = [float(v) for v in value]
        else:
            raise TypeError(f"{name}={value} should be a single number or a sequence with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound} and increasing, but got {value}.")
        return None if value[0] == value[1] == center else (float(value[0]), float(value[1]))

    def forward(self, img):
        return self(img)

    _FACTORS = ("brightness_factor", "contrast_factor", "saturation_factor", "hue_factor")

    def make_params(self, flat_inputs):
        # torchvision's: the order as drawn (a tensor), each factor under its name (None for no change)
        fn_idx, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        return {"fn_idx": fn_idx, **dict(zip(self._FACTORS, factors))}

    def transform(self, inpt, params):
        from . import functional as F2

        adjust = (F2.adjust_brightness, F2.adjust_contrast, F2.adjust_saturation, F2.adjust_hue)
        for fn_id in params["fn_idx"]:
            factor = params[self._FACTORS[int(fn_id)]]
            if factor is not None:
                inpt = self._call_kernel(adjust[int(fn_id)], inpt, factor)
        return inpt


def _v2_fill(transform, fill):
    """v2 keeps ``fill`` as given and, for the kernels, a dict from input type (or "others") to its fill."""
    from ._auto_augment import _setup_fill_arg

    transform.fill = fill
    transform._fill = _setup_fill_arg(fill)


def _fill_for(transform, inpt):
    from ._auto_augment import _get_fill

    return _get_fill(transform._fill, type(inpt))


class RandomRotation(SampleTransform, V2Repr, _v1.RandomRotation, TransformModule):
    __doc__ = _v1.RandomRotation.__doc__

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0):
        super().__init__(degrees, _v1_init_interpolation(interpolation), expand, center, 0)
        self.interpolation = interpolation  # kept as given, as v2 keeps it (checked when the transform runs)
        _v2_fill(self, fill)
        self._v2_repr_attrs = [("degrees", self.degrees), ("interpolation", interpolation), ("expand", expand),
                               ("fill", fill), ("center", center)]

    def forward(self, img):
        # v2's rotate: its fill blending, exact quarter turns, any number of batch dimensions
        from . import functional as F2

        angle = self.get_params(self.degrees)
        return F2.rotate(img, angle, self.interpolation, self.expand, self.center, _fill_for(self, img))

    def make_params(self, flat_inputs):
        return {"angle": self.get_params(self.degrees)}

    def transform(self, inpt, params):
        from . import functional as F2

        return self._call_kernel(F2.rotate, inpt, params["angle"], interpolation=self.interpolation,
                                 expand=self.expand, center=self.center, fill=_fill_for(self, inpt))


class RandomAffine(SampleTransform, V2Repr, _v1.RandomAffine, TransformModule):
    __doc__ = _v1.RandomAffine.__doc__

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation="nearest", fill=0,
                 center=None):
        super().__init__(degrees, translate, scale, shear, _v1_init_interpolation(interpolation), 0, center)
        self.interpolation = interpolation  # kept as given, as v2 keeps it (checked when the transform runs)
        _v2_fill(self, fill)
        self._v2_repr_attrs = [("degrees", self.degrees), ("translate", translate), ("scale", scale),
                               ("shear", self.shear), ("interpolation", interpolation), ("fill", fill),
                               ("center", center)]

    def forward(self, img):
        from . import functional as F2

        _, height, width = _v1.F.get_dimensions(img)
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])
        return F2.affine(img, *params, interpolation=self.interpolation, fill=_fill_for(self, img), center=self.center)

    def make_params(self, flat_inputs):
        height, width = query_size(flat_inputs)
        return dict(zip(("angle", "translate", "scale", "shear"),
                        self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])))

    def transform(self, inpt, params):
        from . import functional as F2

        return self._call_kernel(F2.affine, inpt, **params, interpolation=self.interpolation,
                                 fill=_fill_for(self, inpt), center=self.center)


class RandomPerspective(SampleTransform, V2Repr, _v1.RandomPerspective, TransformModule):
    __doc__ = _v1.RandomPerspective.__doc__

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation="bilinear", fill=0):
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        if not 0 <= distortion_scale <= 1:
            raise ValueError("Argument distortion_scale value should be between 0 and 1")
        super().__init__(distortion_scale, p, _v1_init_interpolation(interpolation), 0)
        self.interpolation = interpolation  # kept as given, as v2 keeps it (checked when the transform runs)
        _v2_fill(self, fill)
        self._v2_repr_attrs = [("p", p), ("distortion_scale", distortion_scale), ("interpolation", interpolation),
                               ("fill", fill)]

    def forward(self, img):
        from . import functional as F2

        _, height, width = _v1.F.get_dimensions(img)
        if _v1._rand() < self.p:
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return F2.perspective(img, startpoints, endpoints, self.interpolation, _fill_for(self, img))
        return img

    _v2_random_apply = True

    def make_params(self, flat_inputs):
        from .._warp import _get_perspective_coeffs

        # torchvision's: the corners drawn, then the homography's eight coefficients
        height, width = query_size(flat_inputs)
        return {"coefficients": _get_perspective_coeffs(*self.get_params(width, height, self.distortion_scale))}

    def transform(self, inpt, params):
        from . import functional as F2

        return self._call_kernel(F2.perspective, inpt, None, None, interpolation=self.interpolation,
                                 fill=_fill_for(self, inpt), coefficients=params["coefficients"])


class ElasticTransform(SampleTransform, V2Repr, _v1.ElasticTransform, TransformModule):
    __doc__ = _v1.ElasticTransform.__doc__

    def __init__(self, alpha=50.0, sigma=5.0, interpolation="bilinear", fill=0):
        # v2 takes ints and one-element sequences too, with its own messages, and a fill per input type
        self.alpha = _number_or_pair(alpha, "alpha")
        self.sigma = _number_or_pair(sigma, "sigma")
        self.interpolation = interpolation
        _v2_fill(self, fill)
        self._v2_repr_attrs = [("alpha", self.alpha), ("sigma", self.sigma), ("interpolation", interpolation),
                               ("fill", fill)]

    def forward(self, img):
        from . import functional as F2

        _, height, width = _v1.F.get_dimensions(img)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return F2.elastic(img, displacement, self.interpolation, _fill_for(self, img))

    def make_params(self, flat_inputs):
        return {"displacement": self.get_params(self.alpha, self.sigma, list(query_size(flat_inputs)))}

    def transform(self, inpt, params):
        from . import functional as F2

        return self._call_kernel(F2.elastic, inpt, params["displacement"], interpolation=self.interpolation,
                                 fill=_fill_for(self, inpt))


def _number_or_pair(value, name):
    if not isinstance(value, (int, float, Sequence)):
        raise TypeError(f"{name} should be a number or a sequence of numbers. Got {type(value)}")
    if isinstance(value, Sequence) and len(value) not in (1, 2):
        raise ValueError(f"If {name} is a sequence its length should be 1 or 2. Got {len(value)}")
    if isinstance(value, Sequence):
        for element in value:
            if not isinstance(element, (int, float)):
                raise ValueError(f"{name} should be a sequence of numbers. Got {type(element)}")
        return [float(value[0]), float(value[-1])]
    return [float(value), float(value)]


class RandomErasing(SampleTransform, V2Repr, _v1.RandomErasing, TransformModule):
    __doc__ = _v1.RandomErasing.__doc__

    _input_word = "inpt"

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0, inplace=False):
        if not 0.0 <= p <= 1.0:  # v2 checks p first, in its own words
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__(p, scale, ratio, value, inplace)
        if isinstance(value, (int, float)):
            shown = [float(value)]
        elif isinstance(value, str):
            shown = None
        elif isinstance(value, (list, tuple)):
            shown = [float(v) for v in value]
        else:
            shown = value
        self._v2_repr_attrs = [("p", p), ("scale", scale), ("ratio", ratio), ("value", shown), ("inplace", inplace)]

    def forward(self, img):
        return self(img)

    _v2_random_apply = True

    def make_params(self, flat_inputs):
        from ._utils import query_chw

        channels, height, width = query_chw(flat_inputs)
        value = self._erasing_value(channels)
        standin = _size_standin(height, width, channels)
        i, j, h, w, v = self.get_params(standin, scale=self.scale, ratio=self.ratio, value=value)
        # ten failed draws leave the images as they are
        return {"i": i, "j": j, "h": h, "w": w, "v": None if v is standin else v}

    def transform(self, inpt, params):
        import warnings

        from ... import tv_tensors as tv
        from . import functional as F2

        if isinstance(inpt, (tv.BoundingBoxes, tv.KeyPoints, tv.Mask)):
            warnings.warn(f"{type(self).__name__}() is currently passing through inputs of type "
                          f"tv_tensors.{type(inpt).__name__}. This will likely change in the future.")
            return inpt
        if params["v"] is None:
            return inpt
        return self._call_kernel(F2.erase, inpt, params["i"], params["j"], params["h"], params["w"], params["v"],
                                 inplace=self.inplace)


class Lambda(_v1.Lambda, TransformModule):
    """Apply a user-defined function as a transform, to the inputs that are instances of ``types`` (all by

    def forward(self, *inputs):
        return self(*inputs)
    default), as torchvision's v2 ``Lambda`` (which, unlike v1's, does not check that ``lambd`` is callable).

    Args:
        lambd (callable): the function.
        *types (type): the input types to apply it to; others pass through. Default: ``object``.
    """

    def __init__(self, lambd, *types):
        self.lambd = lambd
        self.types = types or (object,)

    def __call__(self, *inputs):
        return SampleTransform.__call__(self, *inputs)

    _transformed_types = (object,)
    check_inputs = SampleTransform.check_inputs
    make_params = SampleTransform.make_params
    _needs_transform_list = SampleTransform._needs_transform_list
    _draw_applies = SampleTransform._draw_applies

    def transform(self, inpt, params):
        return self.lambd(inpt) if isinstance(inpt, self.types) else inpt

    def extra_repr(self):
        extras = []
        name = getattr(self.lambd, "__name__", None)
        if name:
            extras.append(name)
        extras.append(f"types={[kind.__name__ for kind in self.types]}")
        return ", ".join(extras)

    def __repr__(self):
        return module_repr(self)


class _Container:
    """``v2.Transform``'s interface on the containers, which run their transforms in ``forward``: nothing to check,
    no parameters of their own, no transform of one input (NotImplementedError, as torchvision's base)."""

    def check_inputs(self, flat_inputs):
        pass

    def make_params(self, flat_inputs):
        return {}

    def transform(self, inpt, params):
        raise NotImplementedError


class _ListedTransforms(_Container):
    """v2's repr of ``Compose`` and ``RandomApply``: one ``    {transform}`` line per transform."""

    def extra_repr(self):
        return "\n".join(f"    {t}" for t in self.transforms)

    def __repr__(self):
        return module_repr(self)


class Compose(_ListedTransforms, _v1.Compose, TransformModule):
    __doc__ = _v1.Compose.__doc__

    def forward(self, *inputs):
        return self(*inputs)

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        super().__init__(transforms)

    def __call__(self, *inputs):
        # several inputs go from transform to transform as a tuple, one input as itself
        return _chain(self.transforms, inputs)


class RandomApply(_ListedTransforms, _v1.RandomApply, TransformModule):
    __doc__ = _v1.RandomApply.__doc__

    def __init__(self, transforms, p=0.5):
        from ....nn import ModuleList

        if not isinstance(transforms, (Sequence, ModuleList)):
            raise TypeError("Argument transforms should be a sequence of callables or a `nn.ModuleList`")
        _check_some(transforms)
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__(transforms, p)

    def __call__(self, *inputs):
        if _v1._rand() >= self.p:
            return inputs if len(inputs) > 1 else inputs[0]
        return _chain(self.transforms, inputs)


class RandomChoice(_Container, V2Repr, _v1.RandomChoice, TransformModule):
    __doc__ = _v1.RandomChoice.__doc__

    def forward(self, *inputs):
        return self(*inputs)

    def __init__(self, transforms, p=None):
        _check_sequence_of_some(transforms)
        if p is not None and len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}")
        super().__init__(transforms, p)
        weights = [1] * len(transforms) if p is None else p
        total = sum(weights)
        self.p = [w / total for w in weights]  # normalised, as torchvision's v2 keeps them
        self._v2_repr_attrs = [("transforms", transforms), ("p", self.p)]

    def __call__(self, *inputs):
        # torch.multinomial's draw (from torch's stream), not v1's random.choices
        from ...._creation import tensor
        from ....random import multinomial

        return self.transforms[int(multinomial(tensor(self.p), 1))](*inputs)


class RandomOrder(_Container, V2Repr, _v1.RandomOrder, TransformModule):
    __doc__ = _v1.RandomOrder.__doc__

    def forward(self, *inputs):
        return self(*inputs)

    def __init__(self, transforms):
        _check_sequence_of_some(transforms)
        super().__init__(transforms)
        self._v2_repr_attrs = [("transforms", transforms)]

    def __call__(self, *inputs):
        from ._extra_transforms import _permutation

        return _chain([self.transforms[i] for i in _permutation(len(self.transforms)).tolist()], inputs)


def _check_sequence_of_some(transforms):
    """v2's RandomChoice / RandomOrder checks, in their order and words (v1 says only "a sequence")."""
    if not isinstance(transforms, Sequence):
        raise TypeError("Argument transforms should be a sequence of callables")
    _check_some(transforms)


def _check_some(transforms):
    if not transforms:
        raise ValueError("Pass at least one transform")


def _chain(transforms, inputs):
    """v2's containers: the inputs through each transform in turn, unpacked when there are several."""
    needs_unpacking = len(inputs) > 1
    outputs = inputs if needs_unpacking else inputs[0]
    for transform in transforms:
        outputs = transform(*inputs)
        inputs = outputs if needs_unpacking else (outputs,)
    return outputs


class _RandomFlip:
    """v2's flips: ``p`` checked and drawn once per sample, every image, box and mask flipped by ``_kernel``."""

    _v2_random_apply = True
    _kernel = None  # the name of the v2 functional

    def __init__(self, p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__(p)

    def transform(self, inpt, params):
        from . import functional as F2

        return self._call_kernel(getattr(F2, self._kernel), inpt)


class RandomHorizontalFlip(_RandomFlip, SampleTransform, _v1.RandomHorizontalFlip, TransformModule):
    __doc__ = _v1.RandomHorizontalFlip.__doc__
    _kernel = "horizontal_flip"


class RandomVerticalFlip(_RandomFlip, SampleTransform, _v1.RandomVerticalFlip, TransformModule):
    __doc__ = _v1.RandomVerticalFlip.__doc__
    _kernel = "vertical_flip"


class PILToTensor(SampleTransform, _v1.PILToTensor, TransformModule):
    __doc__ = _v1.PILToTensor.__doc__

    def forward(self, *inputs):
        return self(*inputs)
    _transformed_types = (_is_pil_image,)

    def transform(self, inpt, params):
        return _v1.F.pil_to_tensor(inpt)


class ToPILImage(SampleTransform, _v1.ToPILImage, TransformModule):
    __doc__ = _v1.ToPILImage.__doc__

    # as v2's: plain tensors, Images and NumPy arrays (H x W[ x C]) become PIL images
    _transformed_types = (is_pure_tensor, tv.Image, np.ndarray)

    def forward(self, *inputs):
        return self(*inputs)

    def transform(self, inpt, params):
        return _v1.F.to_pil_image(tv._pure(inpt) if isinstance(inpt, tv.Image) else inpt, mode=self.mode)


class _CropsOfImages(V2Repr, SampleTransform):
    """v2's FiveCrop / TenCrop: the crops of each image (an Image's crops Images too); boxes and masks refused."""

    _repr_names = ("size",)

    @property
    def _v2_repr_attrs(self):
        return [(name, getattr(self, name)) for name in self._repr_names]

    def check_inputs(self, flat_inputs):
        from ... import tv_tensors as tv

        if any(isinstance(inpt, (tv.BoundingBoxes, tv.Mask)) for inpt in flat_inputs):
            raise TypeError(f"BoundingBoxes'es and Mask's are not supported by {type(self).__name__}()")

    def transform(self, inpt, params):
        import warnings

        from ... import tv_tensors as tv

        if isinstance(inpt, tv.TVTensor):
            if not isinstance(inpt, (tv.Image, tv.Video)):
                if isinstance(inpt, tv.KeyPoints):  # (boxes and masks were refused by check_inputs)
                    warnings.warn(f"{type(self).__name__}() is currently passing through inputs of type "
                                  f"tv_tensors.{type(inpt).__name__}. This will likely change in the future.")
                return inpt
            return tuple(tv.wrap(crop, like=inpt) for crop in self.forward(tv._pure(inpt)))
        return self.forward(inpt)


class FiveCrop(_CropsOfImages, _v1.FiveCrop, TransformModule):
    __doc__ = _v1.FiveCrop.__doc__


class TenCrop(_CropsOfImages, _v1.TenCrop, TransformModule):
    __doc__ = _v1.TenCrop.__doc__
    _repr_names = ("size", "vertical_flip")
