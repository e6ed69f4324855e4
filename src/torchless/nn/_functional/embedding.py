r"""Embedding lookup: rows of a weight matrix picked by integer indices, with PyTorch's padding_idx, max_norm
and scale_grad_by_freq.

The lookup is one node, ``EmbeddingBackward0``, whose backward adds each output row's gradient into its
weight row (skipping padding_idx, dividing by the index's count with scale_grad_by_freq). max_norm
renormalises the looked-up weight rows in place first, outside autograd, as PyTorch's embedding_renorm_.
"""
import numpy as np

from ..._tensor import typename
from ...autograd import grad_mode
from ...autograd.graph import Node
from ._args import check_tensor

__all__ = ["embedding"]


class Embedding(Node):
    """weight[indices] (indices of any shape, int64 or int32), gradient summed into the picked rows."""

    saved = ("indices",)

    def forward(self, weight, indices=None, padding_idx=-1, scale_grad_by_freq=False):
        self.indices, self.num_weights = indices, weight.shape[0]
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(self, grad):
        flat = self.indices.reshape(-1).astype(np.intp, copy=False)
        row_shape = grad.shape[self.indices.ndim:]
        width = int(np.prod(row_shape))
        rows = grad.reshape(flat.size, width)
        if self.scale_grad_by_freq:
            counts = np.bincount(flat, minlength=self.num_weights)
            rows = rows / counts[flat][:, None].astype(grad.dtype)
        if self.padding_idx >= 0:
            keep = flat != self.padding_idx
            flat, rows = flat[keep], rows[keep]
        gw = np.zeros((self.num_weights,) + row_shape, grad.dtype)
        np.add.at(gw.reshape(self.num_weights, width), flat, rows)  # repeated indices add up
        return (gw,)

    def backward_graph(self, grad):
        from ..._ops.indexing import Index, Scatter

        flat = self.indices.reshape(-1).astype(np.intp, copy=False)
        row_shape = grad._data.shape[self.indices.ndim:]
        rows = grad.reshape(flat.size, -1)
        counts = np.bincount(flat, minlength=self.num_weights)
        if self.padding_idx >= 0:
            keep = flat != self.padding_idx
            flat, rows = flat[keep], Index.apply(rows, key=(np.flatnonzero(keep),))
        width = rows._data.shape[1]
        zeros = grad._wrap(np.zeros((self.num_weights, width), grad._data.dtype))
        gw = Scatter.apply(zeros, rows, key=(flat[:, None], np.arange(width)[None, :]), add=True)
        if self.scale_grad_by_freq:
            # The division by the counts is a constant offset of the graph, as in PyTorch's
            # embedding_dense_double_backward: the gradient of the lookup's output, which the second derivative
            # flows through too, is this backward itself, already divided once.
            scaled = gw._data / np.maximum(counts, 1)[:, None].astype(gw._data.dtype)
            gw = gw + gw._wrap(scaled - gw._data)
        return (gw.reshape((self.num_weights,) + row_shape),)


def _index_type_name(indices):
    # PyTorch names a bool tensor by its legacy type here, every other one as torch.typename does.
    return "CPUBoolType" if indices.dtype.name == "bool" else typename(indices)


def _check_indices(indices, position, fn):
    if indices._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #{position} 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got {_index_type_name(indices)} instead (while checking arguments "
                           f"for {fn})")


def _renorm_(weight, indices, max_norm, norm_type):
    """PyTorch's embedding_renorm_: rows of ``weight`` picked by ``indices`` whose norm exceeds max_norm are
    scaled in place to max_norm / (norm + 1e-7) times themselves (each row once), without autograd."""
    if weight.dim() != 2:
        raise RuntimeError(f"Expected 2-dimensional tensor, but got {weight.dim()}-dimensional tensor for argument "
                           "#1 'self' (while checking arguments for embedding_renorm_)")
    _check_indices(indices, 2, "embedding_renorm_")
    rows = weight._data.shape[0]
    for idx in np.unique(indices._data):
        if not -rows <= idx < rows:
            raise IndexError(f"select(): index {idx} out of range for tensor of size {list(weight.shape)} at "
                             "dimension 0")
        if not weight.is_floating_point():
            raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                               f"{weight.dtype.scalar_name} instead.")
        with grad_mode.no_grad():
            norm = weight.detach()[int(idx)].norm(norm_type).item()
        if norm > max_norm:
            weight._data[idx] *= max_norm / (norm + 1e-7)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    r"""Look up the rows of ``weight`` at the indices ``input``: ``out[i..., :] = weight[input[i...], :]``.

    Args:
        input (LongTensor or IntTensor): indices into the rows of ``weight``, any shape.
        weight (Tensor): the embedding matrix, (num_embeddings, embedding_dim).
        padding_idx (int, optional): a row that gets no gradient (negative counts from the end).
        max_norm (float, optional): rows looked up whose ``norm_type``-norm exceeds it are first rescaled
            to norm max_norm, modifying ``weight`` in place.
        norm_type (float): the p of the norm for ``max_norm``. Default: 2.
        scale_grad_by_freq (bool): divide each row's gradient by its index's count in ``input``.
        sparse (bool): sparse gradients are not supported by torchless; with True, recording a graph
            through ``weight`` is a NotImplementedError.

    Shape: input (*) gives an output of (*, embedding_dim).
    """
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    check_tensor(weight, "embedding", "weight", 1)
    check_tensor(input, "embedding", "indices", 2)
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_indices(input, 1, "embedding")
    indices = input._data
    if indices.size and (indices.min() < 0 or indices.max() >= weight._data.shape[0]):
        raise IndexError("index out of range in self")
    if sparse and weight.requires_grad and grad_mode.is_grad_enabled():
        raise NotImplementedError("torchless does not support sparse gradients: use embedding with sparse=False")
    return Embedding.apply(weight, indices=indices, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)

