r"""Embedding lookup: rows of a weight matrix picked by integer indices, with PyTorch's padding_idx, max_norm
and scale_grad_by_freq.

The lookup is one node, ``EmbeddingBackward0``, whose backward adds each output row's gradient into its
weight row (skipping padding_idx, dividing by the index's count with scale_grad_by_freq). max_norm
renormalises the looked-up weight rows in place first, outside autograd, as PyTorch's embedding_renorm_.
"""
import numpy as np

from ..._tensor import Tensor, _promote, typename
from ...autograd import grad_mode
from ...autograd.graph import Node
from ._args import check_tensor

__all__ = ["embedding", "embedding_bag"]


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



# ---------------------------------------------------------------------------- embedding_bag
class EmbeddingBag(Node):
    """Per bag, the sum, mean or max of the weight rows its indices pick (padding_idx rows left out, an empty
    bag giving zeros); in 'sum' mode each row first scaled by its per-sample weight (the second input)."""

    saved = ("indices", "bags", "weight", "scales", "argmax")

    def forward(self, weight, scales, indices=None, bags=None, count=0, mode="mean", scale_grad_by_freq=False):
        # indices: the looked-up rows, bags: the bag of each (-1 for those left out)
        self.indices, self.bags, self.mode, self.count = indices, bags, mode, count
        self.num_weights, self.scale_grad_by_freq = weight.shape[0], scale_grad_by_freq
        self.weight, self.scales, self.argmax = weight, scales, None
        keep = bags >= 0
        rows, owners = indices[keep], bags[keep]
        out = np.zeros((count, weight.shape[1]), weight.dtype)
        if mode == "max":
            self.argmax = np.full((count, weight.shape[1]), -1, np.int64)
            for bag in np.unique(owners):
                members = rows[owners == bag]
                picked = weight[members]
                best = picked.argmax(axis=0)  # the first of equal maxima, as PyTorch
                self.argmax[bag] = members[best]
                out[bag] = picked[best, np.arange(weight.shape[1])]
            return out
        # half precision accumulates in float32 and rounds once, as PyTorch's kernel does
        wide = np.float32 if weight.dtype == np.float16 else weight.dtype
        total = np.zeros(out.shape, wide)
        values = weight[rows].astype(wide, copy=False)
        if scales is not None:
            values = values * scales[keep][:, None].astype(wide, copy=False)
        np.add.at(total, owners, values)
        if mode == "mean":
            sizes = np.bincount(owners, minlength=count)
            self.sizes = sizes
            total /= np.maximum(sizes, 1)[:, None].astype(wide)
        return total.astype(weight.dtype, copy=False)

    def backward(self, grad):
        gw = gs = None
        keep = self.bags >= 0
        rows, owners = self.indices[keep], self.bags[keep]
        if self.needs_input_grad[0]:
            gw = np.zeros((self.num_weights, grad.shape[1]), grad.dtype)
            if self.mode == "max":
                bag, column = np.nonzero(self.argmax >= 0)
                np.add.at(gw, (self.argmax[bag, column], column), grad[bag, column])
            else:
                contributions = grad[owners]
                if self.mode == "mean":
                    contributions = contributions / self.sizes[owners][:, None].astype(grad.dtype)
                if self.scales is not None:
                    contributions = contributions * self.scales[keep][:, None]
                if self.scale_grad_by_freq:
                    frequency = np.bincount(self.indices, minlength=self.num_weights)
                    contributions = contributions / frequency[rows][:, None].astype(grad.dtype)
                np.add.at(gw, rows, contributions)
        if len(self.needs_input_grad) > 1 and self.needs_input_grad[1]:
            gs = np.zeros(self.indices.shape, self.scales.dtype)
            gs[keep] = (self.weight[rows] * grad[owners]).sum(axis=1)
        return gw, gs


_EMBEDDING_BAG_MODES = ("sum", "mean", "max")


def _scalar_type_error(position, argument, allowed, tensor):
    return RuntimeError(f"Expected tensor for argument #{position} '{argument}' to have one of the following scalar "
                        f"types: {allowed}; but got {_index_type_name(tensor)} instead (while checking arguments for "
                        "embedding_bag)")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    r"""Sums, means or maxima of bags of embedding rows, without building the (indices, dim) lookup.

    Args:
        input (LongTensor or IntTensor): 1-D, the indices of all bags one after another, with ``offsets``
            the position where each bag starts; or 2-D (B, L), B bags of L indices each (``offsets`` None).
        weight (Tensor): the embedding matrix (num_embeddings, embedding_dim), floating point.
        offsets (LongTensor or IntTensor, optional): 1-D bag starts for a 1-D input, the first 0. With
            ``include_last_offset`` the last entry is the end of the last bag, not a bag of its own.
        max_norm (float, optional): looked-up rows whose ``norm_type``-norm exceeds it are first rescaled
            to norm max_norm, modifying ``weight`` in place.
        scale_grad_by_freq (bool): divide each row's gradient by its index's count in ``input``.
        mode (str): 'sum', 'mean' (default) or 'max' per bag; an empty bag gives zeros.
        per_sample_weights (Tensor, optional): like ``input``, scaling each looked-up row ('sum' mode only).
        padding_idx (int, optional): indices equal to it are left out of their bag (and of its mean's count).

    Shape: output (B, embedding_dim), B the number of bags.
    """
    check_tensor(input, "embedding_bag", "input", 1)
    check_tensor(weight, "embedding_bag", "weight", 2)
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        if input._data.dtype == np.bool_:
            raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
        length = input.shape[1]
        starts = np.arange(0, input.numel(), length, dtype=input._data.dtype) if length else \
            np.zeros(0, input._data.dtype)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = None
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in _EMBEDDING_BAG_MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if padding_idx is not None and (isinstance(padding_idx, bool) or not hasattr(padding_idx, "__index__")):
        raise TypeError(f"embedding_bag(): argument 'padding_idx' (position 9) must be int, not "
                        f"{type(padding_idx).__name__}")
    return _embedding_bag(weight, input, starts if starts is not None else offsets, scale_grad_by_freq, mode,
                          sparse, per_sample_weights, include_last_offset, padding_idx)


def _embedding_bag(weight, input, offsets, scale_grad_by_freq, mode, sparse, per_sample_weights,
                   include_last_offset, padding_idx):
    """The checks of PyTorch's kernel, then the node."""
    if weight._data.dtype.kind != "f":
        raise _scalar_type_error(1, "weight", "Half, BFloat16, Float, Double", weight)
    bounds = offsets if isinstance(offsets, np.ndarray) else offsets._data
    # indices and offsets are first promoted to one dtype (bool or uint8 indices with int64 offsets become int64),
    # which must then be an index type
    common = _promote(input._data.dtype, bounds.dtype)
    if common not in (np.int64, np.int32):
        raise _scalar_type_error(1, "indices", "Long, Int", Tensor._wrap(np.zeros(0, common)))
    bounds = bounds.astype(np.int64)
    if per_sample_weights is not None and per_sample_weights._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type {typename(weight)} does not equal "
                           f"{typename(per_sample_weights)} (while checking arguments for embedding_bag)")
    rows = weight._data.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{rows} through {rows - 1}, "
                               f"but got {padding_idx}")
        padding_idx = int(padding_idx) % rows
    indices = input._data.astype(np.int64).reshape(-1)
    total = indices.size
    if bounds.size:
        if bounds[0] != 0:
            # (PyTorch's message prints the offset as a 0-d tensor, with its type line: offsets and indices are
            # promoted to one dtype first, int32 only if both are)
            legacy = "Int" if common == np.int32 else "Long"
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {bounds[0]}\n[ torchless.{legacy}Tensor{{}} ]")
        if bounds[-1] > total:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {total} but got offsets[-1] of "
                               f"{bounds[-1]}")
        if (np.diff(bounds) < 0).any():
            raise RuntimeError("Your input appears to be incorrect: the last offset value should be the size of the "
                               "indices tensor, but it seems not to be the case." if include_last_offset else
                               "Expected i < index_size to be true, but got false.  (Could this error message be "
                               "improved?  If so, please report an enhancement request to PyTorch.)")
    outside = (indices < 0) | (indices >= rows)
    if outside.any():
        where = int(np.flatnonzero(outside)[0])
        raise RuntimeError(f"Index {where} of input takes value {indices[where]} which is not in the valid range "
                           f"[0, {rows})")
    if include_last_offset:
        count = max(bounds.size - 1, 0)
        ends = bounds[1:]
    else:
        count = bounds.size
        ends = np.append(bounds[1:], total)
    bags = np.full(total, -1, np.int64)
    for bag in range(count):
        bags[bounds[bag]:ends[bag]] = bag
    if padding_idx is not None:
        bags[indices == padding_idx] = -1
    if sparse and weight.requires_grad and grad_mode.is_grad_enabled():
        raise NotImplementedError("torchless does not support sparse gradients: use embedding_bag with sparse=False")
    return EmbeddingBag.apply(weight, per_sample_weights, indices=indices, bags=bags, count=count, mode=mode,
                              scale_grad_by_freq=scale_grad_by_freq)


