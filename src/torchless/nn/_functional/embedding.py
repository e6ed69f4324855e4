r"""Embedding lookup: rows of a weight matrix picked by integer indices, with PyTorch's padding_idx, max_norm
and scale_grad_by_freq; and embedding_bag, the sums, means or maxima of bags of such rows.

The lookup is one node, ``EmbeddingBackward0``, whose backward adds each output row's gradient into its
weight row (skipping padding_idx, dividing by the index's count with scale_grad_by_freq). max_norm
renormalises the looked-up weight rows in place first, outside autograd, as PyTorch's embedding_renorm_.
"""
import warnings

import numpy as np

from ..._dtype import type_text
from ..._tensor import Tensor
from ..._type_promotion import promote
from ..._tensor_methods._arguments import refuse_complex_gradient
from ..._threads import get_num_threads
from ...autograd import forward_ad
from ...autograd import grad_mode
from ...autograd._graph_backward import gradient_without_derivative
from ...autograd.graph import Node, save_tensor_versions
from ...autograd.saved_values import Saved, int64
from ._args import _is_index, _is_list_int, _tp_name, check_tensor, unpack_int64, unpack_symint
from ._norm_checks import check_bool_arg, check_float_arg

__all__ = ["embedding", "embedding_bag"]


class Embedding(Node):
    """weight[indices] (indices of any shape, int64 or int32), gradient summed into the picked rows."""

    backward_is_one_op = "EmbeddingDenseBackwardBackward0"
    backward_inputs = ()  # (the backward op reads the indices alone, which are not differentiable)
    saved = ("indices",)
    torch_saved = {"indices": Saved("indices"), "padding_idx": lambda node: int64(node.padding_idx),
                   "scale_grad_by_freq": lambda node: node.scale_grad_by_freq, "sparse": lambda node: False,
                   "weight_sym_argsize_0": lambda node: node.num_weights}

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
    # PyTorch names the tensor's type as ATen prints it: the legacy name (torch.FloatTensor), a bool or complex
    # tensor's backend type (CPUBoolType, CPUComplexFloatType)
    return type_text(indices.dtype)


def _check_indices(indices, position, fn):
    if indices._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #{position} 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got {_index_type_name(indices)} instead (while checking arguments "
                           f"for {fn})")


def _renorm_(weight, indices, max_norm, norm_type):
    """PyTorch's embedding_renorm_: rows of ``weight`` picked by ``indices`` whose norm exceeds max_norm are
    scaled in place to max_norm / (norm + 1e-7) times themselves (each row once), without autograd."""
    if not isinstance(weight, Tensor):
        weight.detach()  # PyTorch renormalises weight.detach(): a non-tensor fails there
    check_tensor(indices, "embedding_renorm_", "indices", 2)
    check_float_arg(max_norm, "embedding_renorm_", "max_norm", 3)
    check_float_arg(norm_type, "embedding_renorm_", "norm_type", 4)
    max_norm, norm_type = float(max_norm), float(norm_type)  # (a 0-d tensor passes the parser as a float)
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
            data = weight._data
            if not data.flags.writeable:  # (an expanded weight: PyTorch scales the row through it, rows sharing memory)
                data = weight._writable_data(target=data[idx])
            with np.errstate(all="ignore"):  # (an infinite norm scales by 0: NaN where the row is inf, silently)
                data[idx] *= max_norm / (norm + 1e-7)
    weight._bump_version()  # (an in-place op, whatever rows it changed)


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
        input = input.contiguous()  # as PyTorch does (a non-tensor's AttributeError)
        _renorm_(weight, input, max_norm, norm_type)
    # the checks of PyTorch's parser of the native embedding, which takes the arguments by position
    check_tensor(weight, "embedding", "weight", 1)
    check_tensor(input, "embedding", "indices", 2)
    if not _is_list_int(padding_idx):  # (a SymInt: a one-element integer tensor of any rank passes)
        raise TypeError(f"embedding(): argument 'padding_idx' (position 3) must be int, not {_tp_name(padding_idx)}")
    check_bool_arg(scale_grad_by_freq, "embedding", "scale_grad_by_freq", 4)
    check_bool_arg(sparse, "embedding", "sparse", 5)
    padding_idx = unpack_symint(padding_idx)
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_indices(input, 1, "embedding")
    indices = input._data
    if indices.size and not weight._data.shape[0]:  # PyTorch's lookup is an index_select of the rows
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if indices.size and (indices.min() < 0 or indices.max() >= weight._data.shape[0]):
        if not weight._data.size:  # index_select's kernel for an empty weight (rows of no columns) has its words
            outside = (indices < 0) | (indices >= weight._data.shape[0])
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={indices.reshape(-1)[np.argmax(outside)]} "
                               f"axis_dim={weight._data.shape[0]}")
        raise IndexError("index out of range in self")
    refuse_complex_gradient("embedding", weight)  # (after the lookup, as PyTorch's autograd wrapper)
    if sparse and weight.requires_grad and grad_mode.is_grad_enabled():
        raise NotImplementedError("torchless does not support sparse gradients: use embedding with sparse=False")
    result = Embedding.apply(weight, indices=indices, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)
    if forward_ad.state.vmap_levels and not forward_ad.batched(result):  # (rows read at batched indices: the
        forward_ad.mark_batched(result, (input,))  # batch where the indices have it)
        forward_ad.mark_batch_rank(result, input.__dict__.get("_vmap_rank", 0))
    return save_tensor_versions(result, input)


# ---------------------------------------------------------------------------- embedding_bag
class EmbeddingBag(Node):
    """Per bag, the sum (optionally weighted per entry), mean or max of the rows of ``weight`` its entries pick;
    PyTorch's single node of that name. ``bag_of`` gives each entry's bag; entries equal to ``padding_idx`` are
    left out of their bag, and an empty bag gives zeros."""

    # PyTorch saves the per-sample weights, and the weight for their gradient
    saves = (0, 1)
    saved_only_for = {0: (1,)}
    saved = ("weight", "per_sample_weights", "all_indices", "indices", "bag_of", "argmax", "bag_sizes", "unsummed")

    def forward(self, weight, per_sample_weights, indices=None, bag_of=None, bags=0, bag_sizes=None, mode="mean",
                padding_idx=-1, scale_grad_by_freq=False, summed=None):
        """``bag_sizes``: PyTorch's (see embedding_bag), a mean's divisors; ``summed``: how many entries, from the
        first, a sum or mean adds up (None: all), the others still in a mean's gradient (see embedding_bag)."""
        keep = indices != padding_idx
        self.all_indices = indices
        indices, bag_of = indices[keep], bag_of[keep]
        self.weight, self.indices, self.bag_of, self.keep = weight, indices, bag_of, keep
        self.unsummed = None if summed is None else np.arange(indices.size) >= summed
        self.per_sample_weights = None if per_sample_weights is None else per_sample_weights.reshape(-1)
        self.mode, self.scale_grad_by_freq, self.bag_sizes = mode, scale_grad_by_freq, bag_sizes
        if mode == "max":
            out, self.argmax = bag_maxima(weight, indices, bag_of, bags)
            return out
        out = np.zeros((bags, weight.shape[1]), weight.dtype)
        rows = weight[indices]
        if weight.dtype == np.float16:  # PyTorch's kernels add float16 rows up in float32, rounded once
            rows, out = rows.astype(np.float32), out.astype(np.float32)
        if self.per_sample_weights is not None:
            rows = rows * self.per_sample_weights[keep][:, None]
        if self.unsummed is not None:
            rows = np.where(self.unsummed[:, None], np.zeros((), rows.dtype), rows)
        np.add.at(out, bag_of, rows)
        out = out.astype(weight.dtype, copy=False)
        if mode == "mean":  # (then divided, in the weight's dtype)
            out /= np.maximum(bag_sizes, 1)[:, None].astype(weight.dtype)
        return out

    jvp = forward_ad.unsupported_jvp  # (PyTorch has no forward AD formula for it)

    def forward_ad_name(self):
        return "_embedding_bag"

    def backward(self, grad):
        weight, indices, bag_of = self.weight, self.indices, self.bag_of
        gw = gpsw = None
        if self.mode == "max":
            gw = np.zeros(weight.shape, grad.dtype)
            # a bag of no entries but of a size other than 0 (decreasing offsets) sends its gradient to row 0,
            # where PyTorch's maxima's indices start
            argmax = np.where((self.argmax < 0) & (self.bag_sizes != 0)[:, None], 0, self.argmax)
            found = argmax >= 0
            columns = np.broadcast_to(np.arange(grad.shape[1]), grad.shape)
            np.add.at(gw, (argmax[found], columns[found]), grad[found])
            return gw, None
        rows = grad[bag_of]
        if self.mode == "mean":  # (divided by the sizes themselves, negative ones too, as PyTorch's backward)
            with np.errstate(divide="ignore", invalid="ignore"):  # (a size 0 of a bag with entries: inf)
                rows = rows / self.bag_sizes[bag_of][:, None].astype(grad.dtype)
        elif self.unsummed is not None:  # (PyTorch's gradient there reads past its own: torchless's is zero)
            rows = np.where(self.unsummed[:, None], np.zeros((), rows.dtype), rows)
        if self.needs_input_grad[1]:
            gpsw = np.zeros(self.keep.shape, grad.dtype)
            gpsw[self.keep] = np.einsum("ij,ij->i", rows, weight[indices])
        if self.needs_input_grad[0]:
            if self.per_sample_weights is not None:
                rows = rows * self.per_sample_weights[self.keep][:, None]
            if self.scale_grad_by_freq:
                rows = rows / _bag_frequency_divisors(self.all_indices, indices)[:, None].astype(grad.dtype)
            gw = np.zeros(weight.shape, grad.dtype)
            np.add.at(gw, indices, rows)
        return gw, gpsw

    def backward_graph(self, grad):
        # PyTorch's backward ops of this one have no derivative; the weight's gradient reads the per-sample weights
        # besides grad, theirs the weight (a gradient requires grad only where what it reads does)
        weight_grad, weights_grad = self.backward(grad._data)
        placeholder = np.zeros((), grad._data.dtype)  # (never read)
        return (gradient_without_derivative(weight_grad, grad, self.graph_input(1, placeholder), _NO_BAG_DERIVATIVE,
                                            "EmbeddingBagBackwardBackward0"),
                gradient_without_derivative(weights_grad, grad, self.graph_input(0, placeholder),
                                            _NO_PER_SAMPLE_WEIGHTS_DERIVATIVE))


_NO_BAG_DERIVATIVE = NotImplementedError, "the derivative for '_embedding_bag_backward' is not implemented."
_NO_PER_SAMPLE_WEIGHTS_DERIVATIVE = (
    RuntimeError, "derivative for aten::_embedding_bag_per_sample_weights_backward is not implemented")


def _bag_frequency_divisors(all_indices, indices):
    """What PyTorch's CPU embedding_bag backward divides each entry's gradient by with scale_grad_by_freq.

    Its loop over the distinct indices in sorted order reads the count of the index at the *loop position* in the
    sorted entries rather than at the start of that index's run: the g-th distinct index is divided by the count of
    ``sorted(entries)[g]``. That matches the index's own count until a repeated index has been passed (then it is
    an earlier index's count). torchless follows it, so that training gives PyTorch's numbers; F.embedding divides
    by the index's own count.
    """
    ordered = np.sort(all_indices)
    counts = np.bincount(all_indices, minlength=int(ordered[-1]) + 1 if ordered.size else 0)
    distinct = np.unique(ordered)
    divisor = np.ones(counts.size, np.int64)
    divisor[distinct] = counts[ordered[:distinct.size]]
    return divisor[indices]


def _check_fast_kernel(indices, bounds, weight_shape):
    """The error of PyTorch's fast kernel of a sum or mean (fbgemm's) where it fails: on indices out of range, or
    on any entry for rows of no columns. The bags run from bounds[b] to bounds[b + 1]; the kernel splits them
    evenly among its threads, and where a part fails, checks that part's entries again, but reading its absolute
    offsets against its own entries counted from 0: in a part past the first, "i < index_size" fails, or another
    entry is read. (No error: no part failed, or the ones that did passed the check.)"""
    rows, width = weight_shape
    bags = bounds.size - 1
    if bags < 1:
        return
    size = -(-bags // min(get_num_threads(), bags))
    for start in reversed(range(0, bags, size)):  # (where several parts fail, PyTorch reports the last one's,
        end = min(start + size, bags)             # by a race its other thread wins nearly always)
        part = indices[bounds[start]:bounds[end]]
        if not part.size or width and np.all((part >= 0) & (part < rows)):
            continue
        for i in range(bounds[start], bounds[end]):
            if i >= part.size:
                raise RuntimeError("Expected i < index_size to be true, but got false.  (Could this error message be "
                                   "improved?  If so, please report an enhancement request to PyTorch.)")
            if not 0 <= part[i] < rows:
                raise RuntimeError(f"Index {i} of input takes value {part[i]} which is not in the valid range "
                                   f"[0, {rows})")
        if bounds[start]:  # (its last offset, absolute, against the part's size)
            raise RuntimeError("Your input appears to be incorrect: the last offset value should be the size of the "
                               "indices tensor, but it seems not to be the case.")


def _bag_index_check(tensor):
    if tensor._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
                           f"Int; but got {_index_type_name(tensor)} instead (while checking arguments for "
                           "embedding_bag)")


def _type_name(tensor):
    """A tensor's type as PyTorch's argument checks name it: its legacy type (torch.FloatTensor), or for a bool
    tensor, which the legacy names miss there, its backend type."""
    return "CPUBoolType" if tensor.dtype.name == "bool" else tensor.type()


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    r"""Sums, means or maxima of bags of embeddings, without building the looked-up rows as a tensor.

    ``input`` is either a 2-D (B, N) tensor of indices, B bags of N each, or a 1-D tensor of the bags one after
    another with ``offsets`` (1-D) giving where each bag starts (``include_last_offset``: and, as a last entry,
    where the last one ends). ``mode`` is 'sum', 'mean' or 'max'; ``per_sample_weights`` (like ``input``, 'sum'
    only) weights each looked-up row. Entries equal to ``padding_idx`` do not count; an empty bag gives zeros.
    ``max_norm``, ``norm_type`` and ``scale_grad_by_freq`` as for :func:`embedding`.

    Shape: output (B, embedding_dim).
    """
    if weight.dtype.name == "int64" and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, "
                      "...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it must "
                         f"have the same shape as the input ({input.shape})")
    if not weight.dim() == 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        # PyTorch's offsets are arange(0, numel, N) of the input's dtype
        if input.dtype.name == "bool" or input.dtype.is_complex:
            raise NotImplementedError(f"\"arange_cpu\" not implemented for '{input.dtype.scalar_name}'")
        if input.size(1) == 0:
            raise RuntimeError("step must be nonzero")
        offsets = Tensor._wrap(np.arange(0, input.numel(), input.size(1), dtype=input._data.dtype))
        include_last_offset = False  # (PyTorch's offsets of a 2-D input have none)
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::embedding_bag.padding_idx", (weight, input, offsets, per_sample_weights),
                                 stacklevel=1)
    return native_embedding_bag(weight, input, offsets, scale_grad_by_freq, _BAG_MODES.index(mode), sparse,
                                per_sample_weights, include_last_offset, padding_idx)[0]


_BAG_MODES = ("sum", "mean", "max")  # the native embedding_bag's modes 0, 1 and 2


def native_embedding_bag(weight, input, offsets, scale_grad_by_freq, mode, sparse, per_sample_weights,
                         include_last_offset, padding_idx):
    """torch.embedding_bag (``mode`` 0 'sum', 1 'mean', 2 'max'; 1-D ``input`` with ``offsets``; no
    ``max_norm``): (output, offset2bag, bag_size, max_indices) as PyTorch's kernel gives them: offset2bag each
    entry's bag (empty from the fast sum), bag_size the bags' sizes (zeros for a sum), max_indices the row each
    maximum came from (the sizes for a mean, zeros for a sum)."""
    # the checks of PyTorch's parser of the native embedding_bag, which F.embedding_bag calls by position
    check_bool_arg(scale_grad_by_freq, "embedding_bag", "scale_grad_by_freq", 4)
    check_bool_arg(sparse, "embedding_bag", "sparse", 6)
    check_bool_arg(include_last_offset, "embedding_bag", "include_last_offset", 8)
    if padding_idx is not None:
        if not _is_index(padding_idx):
            raise TypeError(f"embedding_bag(): argument 'padding_idx' (position 9) must be int, not "
                            f"{_tp_name(padding_idx)}")
        padding_idx = unpack_int64(padding_idx)
    rows = weight.size(0)  # (the native's first check, padding_idx's)
    if padding_idx is None:
        padding_idx = -1
    elif -rows <= padding_idx < rows:
        padding_idx %= rows
    else:
        raise RuntimeError(f"padding_idx must be within the number of embeddings, -{rows} through {rows - 1}, but got "
                           f"{padding_idx}")
    # PyTorch brings indices and offsets to their promoted dtype before checking it: int16, uint8 or bool
    # indices beside int64 offsets are read as int64, float offsets make the indices fail as floats
    common = promote(input._data.dtype, offsets._data.dtype)
    saved = (input, offsets)  # (PyTorch's node saves them as given: see save_tensor_versions below)
    input, offsets = (t if t._data.dtype == common else Tensor._wrap(t._data.astype(common)) for t in (input, offsets))
    _bag_index_check(input)
    _bag_index_check(offsets)
    if not weight.is_floating_point():
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, "
                           f"BFloat16, Float, Double; but got {_type_name(weight)} instead (while checking arguments "
                           "for embedding_bag)")
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type {_type_name(weight)} does not equal "
                           f"{_type_name(per_sample_weights)} (while checking arguments for embedding_bag)")
    if mode not in (0, 1, 2):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    if per_sample_weights is not None and mode != 0:
        raise RuntimeError("embedding_bag: per_sample_weights only supported with mode='sum'")
    mode = _BAG_MODES[mode]
    indices, starts = input._data.astype(np.int64), offsets._data.astype(np.int64)
    if include_last_offset:
        if starts.size < 1:
            raise RuntimeError("include_last_offset: number of offset should be at least 1")
        starts, ends = starts[:-1], starts[1:]
    else:
        ends = np.append(starts[1:], indices.size)
    first = offsets._data[:1].astype(np.int64)  # (the one ending the last bag too, with include_last_offset)
    if first.size and first[0] != 0:
        # PyTorch's message shows offsets[0] as the C++ printout of a 0-d tensor, on a line of its own
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {first[0]}\n[ {offsets.type()}{{}} ]")
    if offsets.numel() and offsets._data[-1] > indices.size:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {indices.size} but got offsets[-1] of "
                           f"{offsets._data[-1]}")
    # PyTorch's kernel of a sum or mean of contiguous float rows without padding_idx, fbgemm's, is another
    fast_kernel = mode != "max" and weight.dtype.name in ("float32", "float16") and weight.stride(1) == 1 and \
        padding_idx < 0
    given = offsets._data.astype(np.int64)
    bad = np.flatnonzero((indices < 0) | (indices >= rows))
    if fast_kernel and (bad.size or not weight.size(1)):
        _check_fast_kernel(indices, given if include_last_offset else np.append(given, indices.size), weight.shape)
    if bad.size:
        raise RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be "
                           f"{indices[bad[0]]}")
    if sparse and weight.requires_grad and grad_mode.is_grad_enabled():
        raise NotImplementedError("torchless does not support sparse gradients: use embedding_bag with sparse=False")
    summed = None
    if np.any(given[1:] < given[:-1]):
        # PyTorch does not sort decreasing offsets: its fast kernel fails on them, the others read each entry's bag
        # from the running count of offsets up to it
        if fast_kernel and include_last_offset and given[-1] < given[-2]:  # (its last offset reported wrong)
            raise RuntimeError("Your input appears to be incorrect: the last offset value should be the size of the "
                               "indices tensor, but it seems not to be the case.")
        if fast_kernel:
            raise RuntimeError("Expected i < index_size to be true, but got false.  (Could this error message be "
                               "improved?  If so, please report an enhancement request to PyTorch.)")
        bag_of = np.cumsum(np.bincount(starts[starts >= 0], minlength=indices.size + 1)[:indices.size]) - 1
    else:
        bag_of = np.repeat(np.arange(starts.size), np.maximum(ends - starts, 0))  # the bag of each entry
        if include_last_offset and starts.size and given[-1] < indices.size:
            # the entries past the last offset are in the last bag, but PyTorch's fast kernel leaves them out of
            # the sum (while counting them in the mean)
            bag_of = np.append(bag_of, np.full(indices.size - bag_of.size, starts.size - 1))
            summed = int(given[-1]) if fast_kernel else None
    covered = bag_of.size
    # PyTorch's bag sizes, the mean's divisors: the offsets' differences (the last bag's up to the input's end, even
    # decreasing ones, negative), less the entries of padding_idx
    sizes = np.diff(np.append(starts, indices.size)) - np.bincount(bag_of[indices[:covered] == padding_idx],
                                                                   minlength=starts.size)
    weights = per_sample_weights
    if weights is not None and (weights.dim() != 1 or weights.numel() != covered):  # (entries left out of every bag)
        weights = weights.reshape(-1)[:covered]
    output = save_tensor_versions(EmbeddingBag.apply(weight, weights, indices=indices[:covered], bag_of=bag_of,
                                                     bags=starts.size, bag_sizes=sizes, mode=mode,
                                                     padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq,
                                                     summed=summed), *saved)
    return (output,) + _bag_bookkeeping(weight, indices[:covered], bag_of, sizes, mode, padding_idx, fast_kernel,
                                        given.size)


def _bag_bookkeeping(weight, indices, bag_of, sizes, mode, padding_idx, fast_kernel, offset_count):
    """The native embedding_bag's offset2bag, bag_size and max_indices (see native_embedding_bag); a sum's are
    zeros, one per offset (the last one given by include_last_offset too)."""
    as_tensor = Tensor._wrap
    offset2bag = np.zeros(0, np.int64) if mode == "sum" and fast_kernel else bag_of.astype(np.int64)
    if mode == "sum":
        zeros = np.zeros(offset_count, np.int64)
        return as_tensor(offset2bag), as_tensor(zeros), as_tensor(zeros.copy())
    if mode == "mean":
        return as_tensor(offset2bag), as_tensor(sizes.astype(np.int64)), as_tensor(sizes.astype(np.int64))
    keep = indices != padding_idx
    _, argmax = bag_maxima(weight._data, indices[keep], bag_of[keep], sizes.size)
    return as_tensor(offset2bag), as_tensor(sizes.astype(np.int64)), as_tensor(np.maximum(argmax, 0))


def bag_maxima(weight, indices, bag_of, bags):
    """Each bag's largest value per column of the rows of ``weight`` at ``indices``, the first of equal ones (as
    PyTorch), and the row it came from (-1 for an empty bag)."""
    width = weight.shape[1]
    out, argmax = np.zeros((bags, width), weight.dtype), np.full((bags, width), -1, np.int64)
    rows = weight[indices]
    for bag in np.unique(bag_of):
        members = np.flatnonzero(bag_of == bag)
        picked = members[np.argmax(rows[members], axis=0)]
        out[bag] = rows[picked, np.arange(width)]
        argmax[bag] = indices[picked]
    return out, argmax
