"""torchless.Size: the shape of a tensor, a tuple that prints like PyTorch's."""


class Size(tuple):
    """A tuple of dimension lengths, printed as ``torchless.Size([16, 1, 28, 28])``."""

    __slots__ = ()

    def __new__(cls, sizes=(), /, *extra, **kwargs):
        if extra or kwargs:  # (PyTorch's Size is built as its base tuple is: tuple's words)
            raise TypeError("tuple() takes no keyword arguments" if kwargs else
                            f"tuple expected at most 1 argument, got {1 + len(extra)}")
        sizes = tuple(sizes)
        if not all(type(n) is int for n in sizes) or sizes and not -2 ** 63 <= min(sizes) <= max(sizes) < 2 ** 63:
            sizes = tuple(_dimension(n, item) for item, n in enumerate(sizes))  # (ints in range need no conversion)
        return tuple.__new__(cls, sizes)

    def __repr__(self):
        return f"torchless.Size({[int(n) for n in self]})"  # (a NumPy integer kept as given prints as an int)

    __str__ = __repr__

    def numel(self, *args, **kwargs):
        """The number of elements in a tensor of this shape."""
        if args or kwargs:  # (CPython's words for PyTorch's METH_NOARGS method)
            raise TypeError("Size.numel() takes no keyword arguments" if kwargs else
                            f"Size.numel() takes no arguments ({len(args)} given)")
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):  # PyTorch concatenates tuples only, as tuple does
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to torch.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        return Size(tuple.__add__(other, self)) if isinstance(other, tuple) else NotImplemented

    def __mul__(self, times):
        if not hasattr(times, "__index__"):  # (the error of tuple's repeat, which PyTorch's Size keeps)
            raise TypeError(f"can't multiply sequence by non-int of type '{type(times).__name__}'")
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__

    def __reduce__(self):
        return Size, (tuple(self),)


def _dimension(n, item):
    """One of torch.Size()'s sizes as PyTorch's constructor takes it: a Python int (bools read as ints), a NumPy
    integer kept as it is, an integer or bool tensor of one element read as its value."""
    import numpy as np

    from ._tensor import Tensor

    if isinstance(n, int):
        if not -2 ** 63 <= n < 2 ** 63:
            raise ValueError("Overflow when unpacking long long")
        return int(n)
    if isinstance(n, np.integer):
        return n
    if isinstance(n, Tensor) and n._data.dtype.kind in "biu" and n._data.size == 1:
        return int(n._data.reshape(()))
    from .nn._functional._args import _tp_name

    raise TypeError(f"torch.Size() takes an iterable of 'int' (item {item} is '{_tp_name(n)}')")
