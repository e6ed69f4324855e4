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
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))
