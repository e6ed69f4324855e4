"""Padding layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad and CircularPad in 1-D and 2-D."""
from .._functional.padding import pad
from .module import Module


def _widths(padding, count):
    """An int as ``count`` equal widths; a sequence as given: (left, right[, top, bottom])."""
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * count


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
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``: padding = int or (left, right)."""

    _spatial = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``: padding = int or (left, right, top, bottom)."""


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


class ReflectionPad1d(_PadNd):
    """Mirror the last dimension at its edges (without repeating them): padding = int or (left, right)."""

    _mode, _spatial = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Mirror the last two dimensions at their edges: padding = int or (left, right, top, bottom)."""

    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dimension: padding = int or (left, right)."""

    _mode, _spatial = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dimensions: padding = int or (left, right, top, bottom)."""

    _mode = "replicate"


class CircularPad1d(_PadNd):
    """Wrap the last dimension around: padding = int or (left, right)."""

    _mode, _spatial = "circular", 1


class CircularPad2d(_PadNd):
    """Wrap the last two dimensions around: padding = int or (left, right, top, bottom)."""

    _mode = "circular"
