"""What a node keeps of its saved values once backward has freed them: their layout, not their values. PyTorch's
nodes keep the sizes, strides and numbers of their formulas after backward (only saved tensors are freed), so that
``next_functions``, ``name()`` and ``_saved_<sizes>`` stay readable while reading a freed tensor raises
FREED_MESSAGE."""
import math

import numpy as np

from .. import _memory_format

_ndarray = np.ndarray

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward."
)


class ReleasedArray:
    """What a node keeps of a saved array once backward has freed it: its layout, not its values. PyTorch's nodes
    keep the sizes, strides and numbers of their formulas after backward (only saved tensors are freed), so what
    ``next_functions``, ``name()`` and ``_saved_<sizes>`` read off a node's arrays stays readable, through the
    layout-only parts of NumPy's interface (shape, strides, ``T``, ``reshape``); reading the values (a saved
    tensor) raises PyTorch's error (see saved_values.read)."""

    __slots__ = ("shape", "strides", "dtype", "_value")

    def __init__(self, array, shape=None, strides=None):
        self.dtype = array.dtype
        self.shape = array.shape if shape is None else tuple(shape)
        self.strides = array.strides if strides is None else tuple(strides)
        # a 0-d array is a number of the formula (pow's exponent, div's divisor), which PyTorch's node keeps
        self._value = array.item() if not self.shape and isinstance(array, (_ndarray, np.generic)) else None

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def T(self):
        return ReleasedArray(self, self.shape[::-1], self.strides[::-1])

    def reshape(self, *shape):
        """The layout of ``reshape``: a view's strides (c10's computeStride), else a copy's (C order)."""
        shape = list(shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)
        if -1 in shape:
            known = math.prod(n for n in shape if n != -1)
            shape[shape.index(-1)] = self.size // known if known else 0
        itemsize = self.itemsize
        element_strides = [s // itemsize for s in self.strides]
        strides = _memory_format.view_strides(self.shape, element_strides, shape)
        if strides is None:
            strides = _memory_format.strides_for(shape, _memory_format.contiguous_format)
        return ReleasedArray(self, shape, [s * itemsize for s in strides])

    def item(self):
        if self.shape:
            raise RuntimeError(FREED_MESSAGE)
        return self._value


class _ReleasedObject:
    """A saved object of which a node keeps nothing after backward: not None (which says none was saved), and
    without attributes (reading one raises AttributeError, which saved_values.read reports as freed)."""

    __slots__ = ()

    def __repr__(self):
        return "<released>"


RELEASED_OBJECT = _ReleasedObject()
_KEPT_AS_THEY_ARE = frozenset({type(None), bool, int, float, complex, str, slice, type(Ellipsis)})


def released(value):
    """A saved value as its node keeps it after backward: an array's layout (ReleasedArray), tuples and lists of
    them element by element, None, numbers, strings, slices and dtypes as they are; an object holding arrays gives
    what its ``released()`` method returns; anything else RELEASED_OBJECT."""
    kind = type(value)
    if kind in _KEPT_AS_THEY_ARE:
        return value
    if kind is _ndarray or isinstance(value, np.generic):
        return ReleasedArray(value)
    if kind is tuple or kind is list:
        return kind([released(v) for v in value])
    if isinstance(value, np.dtype):
        return value
    keep = getattr(value, "released", None)
    return keep() if callable(keep) else RELEASED_OBJECT
