"""split, split_with_sizes, chunk and unbind (and their unsafe_ forms): the pieces of a tensor along one dim, all
outputs of one node, as PyTorch records them (the ``grad_fn`` of every piece, its ``output_nr`` its position). The node's backward writes the gradients that reached the pieces into one array of the input's shape,
so taking a tensor apart row by row (``for row in x``) costs one pass backward, not one per row."""
import numpy as np

from ..autograd import forward_ad, grad_mode
from ..autograd._view_checks import mark_version, propagated
from ..autograd.graph import Node, _edge, renamed, share_among, tensor_class
from ..autograd.saved_values import int64
from .indexing import basic_view


def _dim(node):
    return int64(node.dim)


def _sizes(node):
    return node.shape


def _shown(node):
    return node.shown


class Pieces(Node):
    """The node of the pieces of an input of shape ``shape`` cut along ``axis``: ``keys`` index each piece (a slice
    of the axis, or for unbind one index, the axis dropped). ``dim`` is the call's (as given: -1 shows as PyTorch's
    unsigned 18446744073709551615)."""

    torch_saved = {
        **{name: {"dim": _dim, "self_sym_sizes": _sizes, "split_size": _shown}
           for name in ("SplitBackward0", "UnsafeSplitBackward0")},
        **{name: {"dim": _dim, "self_sym_sizes": _sizes, "split_sizes": _shown}
           for name in ("SplitWithSizesBackward0", "UnsafeSplitWithSizesBackward0")},
        "UnbindBackward0": {"dim": _dim},
    }

    def __init__(self, shape, axis, keys, dim, shown, node_name):
        self.shape, self.axis, self.keys, self.dim, self.shown = shape, axis, keys, dim, shown
        self.node_name = node_name
        self.unbinds = node_name == "UnbindBackward0"

    def backward(self, grad):
        reached = grad.reached
        dtype = next(iter(reached.values())).dtype
        out = np.empty(self.shape, dtype) if len(reached) == len(self.keys) else np.zeros(self.shape, dtype)
        for index, piece_grad in reached.items():
            out[self.keys[index]] = piece_grad
        return (out,)

    def backward_graph(self, grad):
        """PyTorch's formula, recorded: the pieces' gradients (zeros for those none reached) stacked (unbind) or
        concatenated (split) back together."""
        from .. import _functions

        Tensor = tensor_class()
        grads = grad.grads
        like = next(g for g in grads if g is not None)
        pieces = []
        for key, piece_grad in zip(self.keys, grads):
            if piece_grad is None:
                piece_shape = np.empty(self.shape, np.bool_)[key].shape
                piece_grad = Tensor._wrap(np.zeros(piece_shape, like._data.dtype))
            pieces.append(piece_grad)
        join = _functions.stack if self.unbinds else _functions.cat
        return (join(pieces, self.axis),)

    def name(self):
        return self.node_name


def pieces_of(tensor, keys, axis, dim, shown, node_name, unsafe=False):
    """The tuple of ``tensor[key]`` for each of ``keys`` (basic keys along ``axis``): views of ``tensor`` (for
    ``unsafe``, PyTorch's unsafe_split, tensors sharing its memory that autograd does not track as views), the
    outputs of one Pieces node when recorded. ``dim`` and ``shown`` are the call's dim and split size(s), as the
    node shows them."""
    Tensor = tensor_class()
    data = tensor._data
    pieces = tuple([Tensor._wrap(basic_view(data, key)) for key in keys])
    if not unsafe:
        marks = grad_mode.state.enabled and not grad_mode.state.inference
        for index, piece in enumerate(pieces):
            tensor._as_view(piece)
            if marks:  # PyTorch refuses in-place ops on them (and on their views): they share one node
                piece._view_creation = propagated(tensor._view_creation, "multi_output")
                piece._view_output_nr = index
                mark_version(piece)
    if forward_ad.state.tracing:
        _carry_tangents(tensor, pieces, keys)
    if grad_mode.state.enabled and tensor._requires_grad and pieces:
        node = Pieces(data.shape, axis, keys, dim, shown, node_name)
        node.edges, node.needs_input_grad = (_edge(tensor),), (True,)
        node.record_sequence()
        renamed(node, node_name)
        share_among(node, pieces)
    return pieces


def _carry_tangents(tensor, pieces, keys):
    """Forward AD and vmap: each piece's tangent is that piece of the input's tangent, and the pieces of a batched
    sample are batched."""
    if forward_ad.state.vmap_levels:
        for piece in pieces:
            forward_ad.mark_batched(piece, (tensor,))
    tangent = forward_ad.tangent_array(tensor)
    if tangent is not None and tensor._data.dtype.kind in "fc":
        for piece, key in zip(pieces, keys):
            forward_ad.set_tangent(piece, tangent[key])
