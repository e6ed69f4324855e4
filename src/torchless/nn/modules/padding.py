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


# The Args and Shape entries of the padding layers, by how many trailing dimensions they pad, each as it stands in
# their docstrings (stripped: it is filled in at its indentation)
_PADDING_DOCS = {
    1: {
        "padding": """
        padding (int or tuple): the same width on every side, or
            (padding_left, padding_right)
        """.strip(),
        "shape": """
        - Input: (N, C, W_in) or (C, W_in)
        - Output: (N, C, W_out) or (C, W_out), where

          W_out = W_in + padding_left + padding_right
        """.strip(),
    },
    2: {
        "padding": """
        padding (int or tuple): the same width on every side, or
            (padding_left, padding_right, padding_top, padding_bottom)
        """.strip(),
        "shape": """
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output: (N, C, H_out, W_out) or (C, H_out, W_out), where

          H_out = H_in + padding_top + padding_bottom
          W_out = W_in + padding_left + padding_right
        """.strip(),
    },
    3: {
        "padding": """
        padding (int or tuple): the same width on every side, or
            (padding_left, padding_right,
            padding_top, padding_bottom, padding_front, padding_back)
        """.strip(),
        "shape": """
        - Input: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in)
        - Output: (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out), where

          D_out = D_in + padding_front + padding_back
          H_out = H_in + padding_top + padding_bottom
          W_out = W_in + padding_left + padding_right
        """.strip(),
    },
}


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
        # PyTorch's layers set value before padding: their attribute order (vars, state of a copy) follows
        Module.__init__(self)
        self.value = value
        self.padding = _widths(padding, 2 * self._spatial)

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroFilled:
    """ZeroPad1d/2d/3d: their ConstantPad layer with value 0, which their repr leaves out."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


@owns("__init__")
class ConstantPad1d(_ConstantPadNd):
    __doc__ = """Pads the last dimension of the input with a constant.

    The new border entries are ``value``.

    Args:
        {padding}
        value (float): the fill value

    Shape:
        {shape}

    Examples::

        >>> m = nn.ConstantPad1d(1, 3.5)
        >>> m(torch.arange(3.0).reshape(1, 1, 3))
        tensor([[[3.5000, 0.0000, 1.0000, 2.0000, 3.5000]]])
    """.format(**_PADDING_DOCS[1])

    _spatial = 1


@owns("__init__")
class ConstantPad2d(_ConstantPadNd):
    __doc__ = """Pads the last two dimensions of the input with a constant.

    The new border entries are ``value``.

    Args:
        {padding}
        value (float): the fill value

    Shape:
        {shape}

    Examples::

        >>> m = nn.ConstantPad2d(1, 3.5)
        >>> m(torch.arange(4.0).reshape(1, 2, 2))
        tensor([[[3.5000, 3.5000, 3.5000, 3.5000],
                 [3.5000, 0.0000, 1.0000, 3.5000],
                 [3.5000, 2.0000, 3.0000, 3.5000],
                 [3.5000, 3.5000, 3.5000, 3.5000]]])
    """.format(**_PADDING_DOCS[2])
    __constants__ = ["padding", "value"]


@owns("__init__")
class ConstantPad3d(_ConstantPadNd):
    __doc__ = """Pads the last three dimensions of the input with a constant.

    The new border entries are ``value``.

    Args:
        {padding}
        value (float): the fill value

    Shape:
        {shape}

    Examples::

        >>> m = nn.ConstantPad3d(1, 3.5)
        >>> m(torch.ones(1, 1, 2, 2, 2)).shape
        torchless.Size([1, 1, 4, 4, 4])
    """.format(**_PADDING_DOCS[3])

    _spatial = 3


@owns("__init__", "extra_repr")
class ZeroPad1d(_ZeroFilled, ConstantPad1d):
    __doc__ = """Pads the last dimension of the input with zeros.

    The new border entries are 0.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.ZeroPad1d(1)
        >>> m(torch.arange(3.0).reshape(1, 1, 3))
        tensor([[[0., 0., 1., 2., 0.]]])
    """.format(**_PADDING_DOCS[1])


@owns("__init__", "extra_repr")
class ZeroPad2d(_ZeroFilled, ConstantPad2d):
    __doc__ = """Pads the last two dimensions of the input with zeros.

    The new border entries are 0.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.ZeroPad2d(1)
        >>> m(torch.arange(4.0).reshape(1, 2, 2))
        tensor([[[0., 0., 0., 0.],
                 [0., 0., 1., 0.],
                 [0., 2., 3., 0.],
                 [0., 0., 0., 0.]]])
    """.format(**_PADDING_DOCS[2])


@owns("__init__", "extra_repr")
class ZeroPad3d(_ZeroFilled, ConstantPad3d):
    __doc__ = """Pads the last three dimensions of the input with zeros.

    The new border entries are 0.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.ZeroPad3d(1)
        >>> m(torch.ones(1, 1, 2, 2, 2)).shape
        torchless.Size([1, 1, 4, 4, 4])
    """.format(**_PADDING_DOCS[3])


@owns("forward")
class _ReflectionPadNd(_PadNd):
    __constants__ = ["padding"]
    _mode = "reflect"


@owns("__init__")
class ReflectionPad1d(_ReflectionPadNd):
    __doc__ = """Pads the last dimension of the input with its own reflection.

    The border mirrors the input about its edge values, which are not repeated:
    each padding must be smaller than the size of its dimension.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.ReflectionPad1d(1)
        >>> m(torch.arange(3.0).reshape(1, 1, 3))
        tensor([[[1., 0., 1., 2., 1.]]])
    """.format(**_PADDING_DOCS[1])

    _spatial = 1


@owns("__init__")
class ReflectionPad2d(_ReflectionPadNd):
    __doc__ = """Pads the last two dimensions of the input with its own reflection.

    The border mirrors the input about its edge values, which are not repeated:
    each padding must be smaller than the size of its dimension.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.ReflectionPad2d(1)
        >>> m(torch.arange(4.0).reshape(1, 2, 2))
        tensor([[[3., 2., 3., 2.],
                 [1., 0., 1., 0.],
                 [3., 2., 3., 2.],
                 [1., 0., 1., 0.]]])
    """.format(**_PADDING_DOCS[2])


@owns("__init__")
class ReflectionPad3d(_ReflectionPadNd):
    __doc__ = """Pads the last three dimensions of the input with its own reflection.

    The border mirrors the input about its edge values, which are not repeated:
    each padding must be smaller than the size of its dimension.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.ReflectionPad3d(1)
        >>> m(torch.ones(1, 1, 2, 2, 2)).shape
        torchless.Size([1, 1, 4, 4, 4])
    """.format(**_PADDING_DOCS[3])

    _spatial = 3


@owns("forward")
class _ReplicationPadNd(_PadNd):
    __constants__ = ["padding"]
    _mode = "replicate"


@owns("__init__")
class ReplicationPad1d(_ReplicationPadNd):
    __doc__ = """Pads the last dimension of the input by repeating its edge values.

    Every new entry copies the nearest edge value of the input.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.ReplicationPad1d(1)
        >>> m(torch.arange(3.0).reshape(1, 1, 3))
        tensor([[[0., 0., 1., 2., 2.]]])
    """.format(**_PADDING_DOCS[1])

    _spatial = 1


@owns("__init__")
class ReplicationPad2d(_ReplicationPadNd):
    __doc__ = """Pads the last two dimensions of the input by repeating its edge values.

    Every new entry copies the nearest edge value of the input.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.ReplicationPad2d(1)
        >>> m(torch.arange(4.0).reshape(1, 2, 2))
        tensor([[[0., 0., 1., 1.],
                 [0., 0., 1., 1.],
                 [2., 2., 3., 3.],
                 [2., 2., 3., 3.]]])
    """.format(**_PADDING_DOCS[2])


@owns("__init__")
class ReplicationPad3d(_ReplicationPadNd):
    __doc__ = """Pads the last three dimensions of the input by repeating its edge values.

    Every new entry copies the nearest edge value of the input.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.ReplicationPad3d(1)
        >>> m(torch.ones(1, 1, 2, 2, 2)).shape
        torchless.Size([1, 1, 4, 4, 4])
    """.format(**_PADDING_DOCS[3])

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
    __doc__ = """Pads the last dimension of the input by wrapping it around.

    The left border takes the input's last values and the right border its first
    (periodic boundary conditions); each padding must not exceed the size of its dimension.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.CircularPad1d(1)
        >>> m(torch.arange(3.0).reshape(1, 1, 3))
        tensor([[[2., 0., 1., 2., 0.]]])
    """.format(**_PADDING_DOCS[1])

    _spatial = 1


@owns("__init__")
class CircularPad2d(_CircularPadNd):
    __doc__ = """Pads the last two dimensions of the input by wrapping it around.

    The left border takes the input's last values and the right border its first
    (periodic boundary conditions); each padding must not exceed the size of its dimension.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.CircularPad2d(1)
        >>> m(torch.arange(4.0).reshape(1, 2, 2))
        tensor([[[3., 2., 3., 2.],
                 [1., 0., 1., 0.],
                 [3., 2., 3., 2.],
                 [1., 0., 1., 0.]]])
    """.format(**_PADDING_DOCS[2])


@owns("__init__")
class CircularPad3d(_CircularPadNd):
    __doc__ = """Pads the last three dimensions of the input by wrapping it around.

    The left border takes the input's last values and the right border its first
    (periodic boundary conditions); each padding must not exceed the size of its dimension.

    Args:
        {padding}

    Shape:
        {shape}

    Examples::

        >>> m = nn.CircularPad3d(1)
        >>> m(torch.ones(1, 1, 2, 2, 2)).shape
        torchless.Size([1, 1, 4, 4, 4])
    """.format(**_PADDING_DOCS[3])

    _spatial = 3
