"""Stacking and splitting helpers of the ``torch`` namespace: atleast_3d, column_stack, dstack, block_diag,
hsplit / vsplit / dsplit, ravel and msort.
"""
import numbers

import numpy as np

from .. import _parser_errors
from ..autograd import forward_ad
from ..autograd.graph import Node


def atleast_3d(*tensors):
    """Each tensor viewed with at least 3 dims: (n) as (1, n, 1), (m, n) as (m, n, 1)."""
    def lift(t):
        return t.reshape(1, 1, 1) if t.ndim == 0 else t.unsqueeze(0).unsqueeze(-1) if t.ndim == 1 else \
            t.unsqueeze(-1) if t.ndim == 2 else t  # (PyTorch's ops, whose nodes its graph has)

    from .._functions import _each_lifted

    return _each_lifted("atleast_3d", tensors, lift)


def column_stack(tensors=_parser_errors.NOT_GIVEN):
    """Tensors side by side as columns (0-d and 1-d ones as (n, 1) columns)."""
    from .._functions import _tensor_list, hstack

    tensors = _tensor_list(tensors, "column_stack")
    return hstack([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors])


def dstack(tensors=_parser_errors.NOT_GIVEN):
    """Tensors stacked depthwise (along dim 2, after atleast_3d)."""
    from .._functions import _tensor_list, cat

    return cat(atleast_3d(_tensor_list(tensors, "dstack")), 2)


def _split_along(name, dim, minimum):
    def method(self, indices_or_sections, *more):
        if more or not (type(indices_or_sections) is int or type(indices_or_sections) in (tuple, list) and
                        all(type(i) is int for i in indices_or_sections)):
            # (the indices as separate ints, hsplit(1, 2), as PyTorch's parser takes them for its int[] indices)
            parsed = _parser_errors.method_arguments(name, (indices_or_sections,) + more)
            indices_or_sections = parsed["indices"] if "indices" in parsed else parsed["sections"]
        if self.ndim < minimum:
            raise RuntimeError(f"torchless.{name} requires a tensor with at least {minimum} dimension, but got a tensor "
                               f"with {self.ndim} dimensions!")
        axis = 0 if name == "hsplit" and self.ndim == 1 else dim
        if isinstance(indices_or_sections, numbers.Integral) and (
                indices_or_sections == 0 or self.shape[axis] % indices_or_sections):
            raise RuntimeError(f"torchless.{name} attempted to split along dimension {axis}, but the size of the "
                               f"dimension {self.shape[axis]} is not divisible by the split_size "
                               f"{indices_or_sections}!")
        return self.tensor_split(indices_or_sections, axis)

    method.__name__ = name
    method.__doc__ = f"``tensor_split`` along dim {dim}, sections required to divide it evenly."
    return method


def block_diag(*tensors):
    """The tensors (0-d, 1-d as a row, or 2-d) placed along the diagonal of one matrix."""
    from .._creation import zeros

    _parser_errors.check_tensor_list("block_diag", tensors)
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torchless.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
        mats.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not mats:
        return zeros(1, 0)
    common = mats[0]._data.dtype
    for m in mats[1:]:
        common = np.promote_types(common, m._data.dtype) if common.kind == m._data.dtype.kind else \
            max(common, m._data.dtype, key=lambda d: "biufc".index(d.kind))
    return BlockDiag.apply(*tensors, dtype=common)


class BlockDiag(Node):
    """block_diag as PyTorch's one node (BlockDiagBackward0), its inputs' own edges (0-d and 1-d ones too)."""

    def forward(self, *arrays, dtype):
        self.shapes, self.dtypes = [a.shape for a in arrays], [a.dtype for a in arrays]
        blocks = [a.reshape(1, -1) if a.ndim < 2 else a for a in arrays]
        out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)), dtype)
        top = left = 0
        for block in blocks:
            out[top:top + block.shape[0], left:left + block.shape[1]] = block
            top, left = top + block.shape[0], left + block.shape[1]
        return out

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def _blocks(self):
        """Each input's block of the gradient, as PyTorch's block_diag_backward cuts it: an empty 1-d input takes
        an empty gradient without moving past its row (the next blocks are then read one row up, as in PyTorch's
        backward, though its forward placed them one row down)."""
        top = left = 0
        for shape in self.shapes:
            if shape == (0,):
                yield None
                continue
            height, width = shape if len(shape) == 2 else (1, shape[0] if shape else 1)
            yield (slice(top, top + height), slice(left, left + width))
            top, left = top + height, left + width

    def backward(self, grad):
        grads = []
        for key, shape, dtype in zip(self._blocks(), self.shapes, self.dtypes):
            if key is None:
                grads.append(np.zeros(0, grad.dtype if dtype.kind == "c" or grad.dtype.kind != "c" else dtype))
                continue
            block = grad[key]
            if block.dtype.kind == "c" and dtype.kind != "c":  # (a real input's gradient: the real part)
                block = block.real
            grads.append(block.reshape(shape))
        return tuple(grads)

    def backward_graph(self, grad):
        from .indexing import Index

        grads = []
        for key, shape, dtype, need in zip(self._blocks(), self.shapes, self.dtypes, self.needs_input_grad):
            if not need:
                grads.append(None)
            elif key is None:
                grads.append(grad.new_zeros(0))
            else:
                block = Index.apply(grad.real if grad.is_complex() and dtype.kind != "c" else grad, key=key)
                grads.append(block if tuple(block.shape) == shape else block.reshape(shape))
        return tuple(grads)


def ravel(self):
    """The elements as a 1-D tensor: a view of ``self`` when it is contiguous, else of a contiguous copy."""
    # PyTorch's ravel is contiguous().view(-1): a strided input is copied (CloneBackward0) rather than reshaped,
    # so the result always has stride 1 and a ViewBackward0
    return self.contiguous().view(-1)


def msort(self):
    """``input`` sorted along dim 0."""
    return self.sort(0).values


hsplit, vsplit, dsplit = (_split_along(name, dim, minimum)
                          for name, dim, minimum in (("hsplit", 1, 1), ("vsplit", 0, 2), ("dsplit", 2, 3)))
