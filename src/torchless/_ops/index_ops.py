"""Writes through a vector of indices along one dim (index_add, index_copy, index_fill) and masked_scatter."""
import numpy as np

from .. import _memory_format
from ..autograd.graph import Node
from ..autograd.saved_values import Saved, SavedInput, int64
from ._util import unbroadcast, unbroadcast_tensor
from .unary import copy_preserving_layout


def _along(ndim, axis, index):
    """The key selecting positions ``index`` along ``axis`` of an array of ``ndim`` dims (0-d: the element)."""
    if not ndim:  # (an empty index selects nothing: a False 0-d mask)
        return () if index is None or np.size(index) else (np.array(False),)
    return (slice(None),) * axis + (index,)


_ALONG_DIM = {"dim": lambda node: int64(node.shown["dim"]), "index": Saved(lambda node: node.shown["index"])}
_WRITTEN = {**_ALONG_DIM, "source": SavedInput(1, "source"), "source_dim": lambda node: len(node.src_shape)}


class IndexWrite(Node):
    """``out = a.copy()`` then, at ``index`` along ``axis``: ``+= alpha * src`` (index_add), ``= src``
    (index_copy), or ``= value`` / ``= src`` 0-d (index_fill, ``fill``). ``shown``: the call's dim, index tensor
    and alpha as given, which PyTorch's node shows."""

    saved = ("source",)
    torch_saved = {"IndexAddBackward0": {**_WRITTEN, "alpha": lambda node: node.shown["alpha"]},
                   "IndexCopyBackward0": _WRITTEN, "IndexFillBackward0": _ALONG_DIM, "IndexFillBackward1": _ALONG_DIM}

    def forward(self, a, src, axis=0, index=None, mode="add", alpha=1, value=None, shown=None, wide=False):
        """``wide``: index_add adds in float32 into a 16-bit float tensor (PyTorch's slice-wise kernel), rounding
        each sum once, rather than after each addend."""
        self.axis, self.index, self.mode, self.alpha, self.ndim = axis, index, mode, alpha, a.ndim
        self.src_shape, self.shown = None if src is None else src.shape, shown
        self.source = None if mode == "fill" else src  # (PyTorch saves it, for its sizes)
        if src is None:
            self.listed_inputs = (0,)  # (a number value: no edge)
        key = _along(a.ndim, axis, index)
        # (PyTorch's index_fill writes into a clone in self's layout, index_add and index_copy into a contiguous one)
        out = copy_preserving_layout(a) if mode == "fill" else a.copy()
        if not out.size:  # (nothing to write: an empty self's index_add reads no index)
            return out
        if mode == "add":
            addend = src if alpha == 1 else alpha * src
            if wide and out.dtype.kind == "f" and out.itemsize == 2:
                sums = out.astype(np.float32)
                np.add.at(sums, key, addend.reshape(out[key].shape).astype(np.float32))
                return sums.astype(out.dtype)
            np.add.at(out, key, addend.reshape(out[key].shape) if a.ndim else addend)
        elif mode == "copy":  # (a repeated index: the last value written stays, as in PyTorch's loop)
            out[key] = src.reshape(out[key].shape) if a.ndim else src.reshape(-1)[-1] if src.size else src
        else:
            out[key] = value if src is None else src
        return out

    def backward(self, grad):
        key = _along(self.ndim, self.axis, self.index)
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = grad if self.mode == "add" else np.array(grad)  # (a copy, an array even of a 0-d gradient)
            if self.mode != "add":
                ga[key] = 0
        if self.src_shape is not None and self.needs_input_grad[1]:
            self._check_scalar_index()
            if self.mode == "fill":  # the sum over the distinct filled positions
                gs = np.asarray(grad[_along(self.ndim, self.axis, np.unique(self.index))].sum(), grad.dtype)
            elif not grad.size and self.ndim:
                gs = self._selected_from_empty(grad)
            else:
                selected = grad[key] * (self.alpha if self.mode == "add" else 1)
                # (PyTorch's grad.index_select(dim, index): C-contiguous, where NumPy's indexing along a later
                # axis lays the selection out transposed)
                gs = _memory_format.c_ordered(np.asarray(selected, grad.dtype).reshape(self.src_shape))
        return ga, gs

    def backward_graph(self, grad):
        from .indexing import Index, IndexPut

        key = _along(self.ndim, self.axis, self.index)
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = grad if self.mode == "add" else IndexPut.apply(grad, grad._wrap(np.zeros((), grad._data.dtype)),
                                                                key=key)
        if self.src_shape is not None and self.needs_input_grad[1]:
            self._check_scalar_index()
            if self.mode == "fill":
                gs = Index.apply(grad, key=_along(self.ndim, self.axis, np.unique(self.index))).sum()
            else:
                if not grad._data.size and self.ndim:  # (as in backward)
                    selected = grad.index_select(self.axis, grad._wrap(np.asarray(self.index)))
                else:
                    selected = Index.apply(grad, key=key) if key else grad
                gs = (selected * self.alpha if self.mode == "add" and self.alpha != 1 else selected)
                gs = gs.reshape(self.src_shape)
        return ga, gs

    def _selected_from_empty(self, grad):
        """The source's gradient from an empty gradient: PyTorch's ``grad.index_select(dim, index)``, with its
        errors for an index the forward never read (see index_add)."""
        from .._tensor import Tensor

        selected = Tensor._wrap(grad).index_select(self.axis, Tensor._wrap(np.asarray(self.index)))._data
        return (selected * self.alpha if self.mode == "add" else selected).reshape(self.src_shape)

    def _check_scalar_index(self):
        """The source's gradient selects the gradient at the index (index_select), which a 0-d gradient refuses for
        more than one position."""
        if not self.ndim and self.mode != "fill" and np.size(self.index) > 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {np.size(self.index)} "
                               f"value(s)")

    def name(self):
        if self.mode == "fill":
            return "IndexFillBackward1" if self.src_shape is not None else "IndexFillBackward0"
        return "IndexAddBackward0" if self.mode == "add" else "IndexCopyBackward0"


class MaskedScatter(Node):
    """``out = a.copy(); out[mask] = src.flatten()[:mask.sum()]`` (a and mask broadcast together first)."""

    torch_saved = {"mask": Saved("given_mask"), "source_sym_sizes": lambda node: node.src_shape}

    def forward(self, a, src, mask=None):
        self.given_mask = mask
        shape = np.broadcast_shapes(a.shape, mask.shape)
        self.a_shape, self.src_shape = a.shape, src.shape
        self.mask = np.broadcast_to(mask, shape)
        out = np.broadcast_to(a, shape).copy()
        out[self.mask] = src.reshape(-1)[:int(self.mask.sum())]
        return out

    def backward(self, grad):
        ga = gs = None
        if self.needs_input_grad[0]:
            # (PyTorch's grad.masked_fill(mask, 0): a C-ordered copy)
            kept = _memory_format.c_ordered(np.where(self.mask, np.zeros((), grad.dtype), grad))
            ga = unbroadcast(kept, self.a_shape)
        if self.needs_input_grad[1]:
            flat = np.zeros(int(np.prod(self.src_shape)), grad.dtype)
            chosen = grad[self.mask]
            flat[:chosen.size] = chosen
            gs = flat.reshape(self.src_shape)
        return ga, gs

    def backward_graph(self, grad):
        from ..autograd._graph_backward import BackwardOfBackward
        from ..autograd.graph import _edge, shown_edge
        from .indexing import Index, Scatter

        ga = gs = None
        if self.needs_input_grad[0]:
            ga = unbroadcast_tensor(grad.masked_fill(grad._wrap(self.mask), 0.0), self.a_shape)
        if self.needs_input_grad[1]:
            chosen = Index.apply(grad, key=self.mask)  # the written values, in order, go back to src's first ones
            flat = grad._wrap(np.zeros(int(np.prod(self.src_shape)), grad._data.dtype))
            gs = Scatter.apply(flat, chosen, key=(np.arange(chosen._data.size),)).reshape(self.src_shape)
            # (PyTorch's masked_scatter_backward, an op of its own listing the gradient alone)
            listed = ((shown_edge(_edge(grad)) if grad._requires_grad else None, 0),)
            gs = BackwardOfBackward.apply(gs, node_name="MaskedScatterBackwardBackward0", listed=listed)
        return ga, gs

    def name(self):
        return "MaskedScatterBackward0"
