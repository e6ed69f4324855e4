"""torchless.Size: the shape of a tensor, a tuple that prints like PyTorch's."""


class Size(tuple):
    """A tuple of dimension lengths, printed as ``torchless.Size([16, 1, 28, 28])``."""

    __slots__ = ()

    def __repr__(self):
        return f"torchless.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        """The number of elements in a tensor of this shape."""
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
