"""Cutting a tensor into consecutive pieces along dim 0 with a backward linear in its size: the time
steps of a recurrent layer, read from one matrix product over the whole sequence.

``t.unbind(0)`` or ``t.split(sizes)`` gives one node per piece, and each node's backward materialises a
gradient as large as ``t`` (zeros but for its piece) which the engine then adds to the others: L pieces
cost O(L * t.numel()), quadratic in the sequence length. Here each piece's node passes on only its own
gradient, tagged with its rows; one node shared by all pieces writes them into a single array.
"""
import numpy as np

from ..autograd.graph import Node

__all__ = ["split_rows"]


def split_rows(tensor, sizes):
    """``tensor`` cut along dim 0 into consecutive pieces of ``sizes`` rows (which must sum to
    ``tensor.shape[0]``): the same values as ``tensor.split(sizes)``, each piece a view."""
    whole = RowPieces.apply(tensor)
    bounds = np.cumsum([0, *sizes]).tolist()
    return tuple(Rows.apply(whole, rows=slice(lo, hi)) for lo, hi in zip(bounds[:-1], bounds[1:]))


class PieceGradients:
    """Gradients of some row ranges of one array: a sparse stand-in for its full-size gradient.

    The engine sums the gradients reaching a node with ``+``; for these that links the two operands in
    O(1) (a tree whose leaves are ``(rows, gradient)`` pairs) instead of adding two full-size arrays.
    """

    __slots__ = ("pieces", "parts")

    def __init__(self, pieces=(), parts=()):
        self.pieces, self.parts = pieces, parts

    def __add__(self, other):
        return PieceGradients(parts=(self, other))

    def leaves(self):
        """Every ``(rows, gradient)`` pair, walked without recursion (the tree is as deep as the sequence)."""
        pending = [self]
        while pending:
            node = pending.pop()
            yield from node.pieces
            pending.extend(node.parts)

    @property
    def nbytes(self):
        """The bytes of gradient held, as ``ndarray.nbytes`` (what a full-size gradient would cost)."""
        return sum(gradient.nbytes for _, gradient in self.leaves())


class RowPieces(Node):
    """The tensor that ``Rows`` nodes slice: its forward is the identity, its backward gathers the
    pieces' gradients (a ``PieceGradients``) into one array shaped like the input."""

    is_view = True

    def forward(self, a):
        self.shape = a.shape
        return a

    def backward(self, pieces):
        grad = None
        for rows, piece in pieces.leaves():
            if grad is None:
                grad = np.zeros(self.shape, piece.dtype)
            grad[rows] += piece  # += as two pieces of overlapping rows would add up
        return (grad,)

    def backward_graph(self, grad):  # the pieces arrive full-size (see Rows.backward_graph), already summed
        return (grad,)

    def name(self):
        return "AliasBackward0"


class Rows(Node):
    """``a[rows]`` for a slice of rows of a ``RowPieces`` output; its gradient stays piece-sized."""

    is_view = True

    def forward(self, a, rows=None):
        self.rows, self.shape = rows, a.shape
        return a[rows]

    def backward(self, grad):
        return (PieceGradients(pieces=((self.rows, grad),)),)

    def backward_graph(self, grad):
        # a full-size gradient, zeros but for the piece: the engine's tensor sums cannot take PieceGradients
        from .indexing import IndexPut

        return (IndexPut.apply(grad._wrap(np.zeros(self.shape, grad._data.dtype)), grad, key=self.rows),)

    def name(self):
        return "SliceBackward0"
