"""Shared pieces of the transform classes: the module base (``_Transform``), the argument checks
(sizes, angles, sequences, fills), the probability wrappers, and the random draws matching torchvision's.

Transforms that can act on a whole batch at once define the private ``_apply_to_batch(batch)``: given the
per-item inputs stacked along a new leading axis, it returns exactly what stacking the per-item results
would, or ``NotImplemented`` when it cannot (then the caller transforms item by item, which also raises
the per-item errors). Datasets with a batched fast path (MNIST) use it through ``Compose``.
"""
import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

from ..._tensor import Tensor
from ..._tensor_methods._arguments import check_uniform_bounds
from ...nn.modules.module import Module
from ...random import stream
from . import functional as F


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


# torchvision's draws from torch's global generator (torch.rand(1), torch.empty(1).uniform_(low, high),
# torch.randint(low, high, (1,))), as torchless's default generator makes them: after the same manual_seed, the same
# transforms draw PyTorch's numbers. (Those torchvision draws from Python's random module stay unmatched.)
def _rand():
    return float(stream().uniform((1,), np.float32)[0])


def _rand_tensor():
    """The draw as the tensor ``torch.rand(1)``, for the transforms torchvision compares it with ``p`` as one: a
    ``p`` that is not a number then raises the tensor comparison's TypeError, and ``p`` is rounded to float32."""
    return Tensor._wrap(stream().uniform((1,), np.float32))


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


def _checked_fill(fill):
    """A geometric transform's ``fill``: a number or a sequence (None is 0), torchvision's TypeError otherwise."""
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def _check_scale_and_ratio(scale, ratio):
    """torchvision's checks of a random region's ``scale`` and ``ratio`` ranges (a warning for inverted ones)."""
    if not isinstance(scale, Sequence):
        raise TypeError("Scale should be a sequence")
    if not isinstance(ratio, Sequence):
        raise TypeError("Ratio should be a sequence")
    if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
        warnings.warn("Scale and ratio should be of kind (min, max)")


def _region_sides(area, scale, log_ratio):
    """(sqrt(a * r), sqrt(a / r)) rounded, for an area ``a`` (a fraction ``scale`` of ``area``) and an aspect ratio
    ``r`` (log-uniform in ``log_ratio``) drawn in torchvision's order: the random crops' and erasing's regions."""
    target = area * _uniform(scale[0], scale[1])
    aspect = math.exp(_uniform(log_ratio[0], log_ratio[1]))
    return int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))


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


class _WithProbability(_Transform):
    """Applies ``_apply`` (by default ``_function``) to the image with probability ``p``."""

    _function = None
    _draw = staticmethod(_rand)  # torch.rand(1).item(), or torch.rand(1) itself (_rand_tensor)

    def __init__(self, p=0.5):
        self.p = p

    def forward(self, img):
        if self._draw() < self.p:
            return self._apply(img)
        return img

    def _apply(self, img):
        return self._function(img)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


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
