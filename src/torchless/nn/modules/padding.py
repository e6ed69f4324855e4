"""Padding layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad and CircularPad in 1-D, 2-D and 3-D."""
from .._functional.padding import pad
from ._owned import owns
from .module import Module
from .utils import _ntuple


# What a star-import gives (PyTorch's list)
__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]


def _widths(padding, count):
    """An int as ``count`` equal widths; any iterable (a range, an array, a tensor) as its items: (left, right[,
    top, bottom]), as PyTorch's _pair / _quadruple / _ntuple(6) read it."""
    return _ntuple(count)(padding)


class _PadNd(Module):
    _mode = "constant"
    _spatial = 2

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, 2 * self._spatial)

    def forward(self, input):
        return pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


@owns("__init__")
class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``: padding = int or (left, right)."""

    _spatial = 1


@owns("__init__")
class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``: padding = int or (left, right, top, bottom)."""
    __constants__ = ["padding", "value"]


@owns("__init__")
class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``: padding = int or (left, right, top, bottom, front, back)."""

    _spatial = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dimension with zeros: padding = int or (left, right)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dimensions with zeros: padding = int or (left, right, top, bottom)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dimensions with zeros: padding = int or (left, right, top, bottom, front, back)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


@owns("forward")
class _ReflectionPadNd(_PadNd):
    __constants__ = ["padding"]
    _mode = "reflect"


@owns("__init__")
class ReflectionPad1d(_ReflectionPadNd):
    """Mirror the last dimension at its edges (without repeating them): padding = int or (left, right)."""

    _spatial = 1


@owns("__init__")
class ReflectionPad2d(_ReflectionPadNd):
    """Mirror the last two dimensions at their edges: padding = int or (left, right, top, bottom)."""


@owns("__init__")
class ReflectionPad3d(_ReflectionPadNd):
    """Mirror the last three dimensions at their edges: padding = int or (left, right, top, bottom, front, back)."""

    _spatial = 3


@owns("forward")
class _ReplicationPadNd(_PadNd):
    __constants__ = ["padding"]
    _mode = "replicate"


@owns("__init__")
class ReplicationPad1d(_ReplicationPadNd):
    """Repeat the edge values of the last dimension: padding = int or (left, right)."""

    _spatial = 1


@owns("__init__")
class ReplicationPad2d(_ReplicationPadNd):
    """Repeat the edge values of the last two dimensions: padding = int or (left, right, top, bottom)."""


@owns("__init__")
class ReplicationPad3d(_ReplicationPadNd):
    """Repeat the edge values of the last three dimensions: padding = int or (left, right, top, bottom, front,
    back)."""

    _spatial = 3


class _CircularPadNd(_PadNd):
    __constants__ = ["padding"]
    _mode = "circular"

    def _check_input_dim(self, input):
        """PyTorch's circular layers check the rank themselves, before F.pad's own checks (a hook subclasses
        override, as PyTorch's)."""
        ranks = (self._spatial + 1, self._spatial + 2)
        if input.dim() not in ranks:
            raise ValueError(f"expected {ranks[0]}D or {ranks[1]}D input (got {input.dim()}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        return super().forward(input)


@owns("__init__")
class CircularPad1d(_CircularPadNd):
    """Wrap the last dimension around: padding = int or (left, right). Input (N, C, L) or (C, L)."""

    _spatial = 1


@owns("__init__")
class CircularPad2d(_CircularPadNd):
    """Wrap the last two dimensions around: padding = int or (left, right, top, bottom). Input (N, C, H, W) or
    (C, H, W)."""


@owns("__init__")
class CircularPad3d(_CircularPadNd):
    """Wrap the last three dimensions around: padding = int or (left, right, top, bottom, front, back). Input
    (N, C, D, H, W) or (C, D, H, W)."""

    _spatial = 3
