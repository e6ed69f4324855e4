"""``torch.nn.utils.rnn``: batches of sequences of different lengths, padded or packed.

A padded batch is a tensor (T, B, *) (or (B, T, *) when ``batch_first``) whose sequence b is valid for
its first ``lengths[b]`` steps. A :class:`PackedSequence` keeps only the valid steps, time-major: the
sequences sorted by decreasing length, step t holds the first ``batch_sizes[t]`` of them, one row
each, so ``data`` is (sum(lengths), *). The recurrent layers accept one and run each sequence for its
own length.

Packing and padding are one gather or scatter of rows each, so their backward costs O(size) whatever
the number of sequences.
"""
import math
import numbers
import operator
from collections.abc import Iterable
from typing import NamedTuple, Optional

import numpy as np

from ... import _dtype
from ..._creation import arange, as_tensor, empty_like
from ..._functions import cat
from ..._ops import indexing
from ..._ops._util import broadcast_error
from ..._tensor import _LEAF_INPLACE, Tensor
from ...autograd import grad_mode
from .._functional._args import _tp_name

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class _PackedSequenceFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor]
    unsorted_indices: Optional[Tensor]


class PackedSequence(_PackedSequenceFields):
    r"""A batch of variable-length sequences, packed: a named tuple ``(data, batch_sizes, sorted_indices,
    unsorted_indices)``. Made by :func:`pack_padded_sequence` or :func:`pack_sequence` rather than by hand.

    Attributes:
        data (Tensor): (sum(lengths), *): step 0 of every sequence, then step 1 of those that have one, ...;
            within a step the sequences are in decreasing order of length.
        batch_sizes (Tensor): (max(lengths),) int64: how many sequences have step t.
        sorted_indices (Tensor, optional): (B,) int64: the original index of each sorted sequence,
            or None when the batch was packed already sorted.
        unsorted_indices (Tensor, optional): (B,) int64: the inverse permutation, restoring the original order.

    ``batch_sizes`` is *not* the list of lengths: sequences ``abc`` and ``x`` pack to data ``axbc`` with
    ``batch_sizes`` [2, 1, 1].
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), sorted_indices)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        else:
            batch_sizes.device  # (PyTorch checks it is on the CPU: what is not a tensor fails with its AttributeError)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data`` converted as by :meth:`Tensor.to`; ``self`` when nothing changes. The index tensors and
        ``batch_sizes`` stay int64."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cuda(self, *args, **kwargs):
        kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)  # raises, as PyTorch's CPU-only build does

    def cpu(self, *args, **kwargs):
        return self.to(*args, **kwargs)

    def pin_memory(self):
        return type(self)(self.data.pin_memory(), self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def double(self):
        return self.to(dtype=_dtype.float64)

    def float(self):
        return self.to(dtype=_dtype.float32)

    def half(self):
        return self.to(dtype=_dtype.float16)

    def long(self):
        return self.to(dtype=_dtype.int64)

    def int(self):
        return self.to(dtype=_dtype.int32)

    def short(self):
        return self.to(dtype=_dtype.int16)

    def char(self):
        return self.to(dtype=_dtype.int8)

    def byte(self):
        return self.to(dtype=_dtype.uint8)

    @property
    def is_cuda(self):
        """Whether ``data`` is on a GPU: never here."""
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


def invert_permutation(permutation):
    """The inverse of the 1-D int64 tensor ``permutation`` (None for None): ``out[permutation[i]] = i``."""
    if permutation is None:
        return None
    # (a scatter, as PyTorch's: an index out of range or of another dtype is its error)
    return empty_like(permutation).scatter_(0, permutation, arange(0, permutation.numel()))


# ---------------------------------------------------------------------------- packing
def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    r"""Packs a padded batch of variable-length sequences.

    Args:
        input (Tensor): (T, B, *), or (B, T, *) if ``batch_first``: sequence b in its first ``lengths[b]``
            steps; ``*`` is any number of dimensions, none included.
        lengths (Tensor or list(int)): (B,): the length of each sequence, each at least 1.
        batch_first (bool): whether ``input`` is (B, T, *). Default: False.
        enforce_sorted (bool): if True, ``lengths`` must be in decreasing order (a RuntimeError
            otherwise); if False the sequences are sorted here and ``sorted_indices`` records how.
            Default: True.

    Returns:
        a :class:`PackedSequence` whose ``data`` is (sum(lengths), *). Steps past T of a length
        larger than T are left out of ``data`` (PyTorch's behaviour) though counted in ``batch_sizes``.
    """
    lengths = _int64_lengths(lengths)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = lengths.sort(descending=True)
        # (as PyTorch: the batch is then the sequences ``lengths`` names, an index past the batch an IndexError)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack_rows(input, lengths, batch_first)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _int64_lengths(lengths):
    if isinstance(lengths, Tensor):
        return lengths.to(dtype=_dtype.int64)
    return as_tensor(lengths, dtype=_dtype.int64)


def _pack_rows(input, lengths, batch_first):
    """``data`` and ``batch_sizes`` of ``input``, whose sequences have the decreasing ``lengths``, packed."""
    if lengths.dim() != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D cpu Long "
                           "tensor")
    time_major = input.transpose(0, 1) if batch_first else input  # a view, for the sizes (and PyTorch's errors)
    batch, num_steps = time_major.size(1), time_major.size(0)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    sorted_lengths = lengths.numpy()
    _check_packable_lengths(sorted_lengths, batch)
    # (t, k) for each valid step t of the k-th longest sequence, in packed order: t first, then k.
    steps, sequences = np.nonzero(np.arange(num_steps)[:, None] < sorted_lengths[None, :])
    rows = sequences * num_steps + steps if batch_first else steps * batch + sequences
    flat = input.reshape((num_steps * batch,) + tuple(input.shape[2:]))
    data = _PackedRows.apply(flat, key=rows, padded_shape=(num_steps, batch) + tuple(input.shape[2:]),
                             counted_steps=int(sorted_lengths[0]))
    return data, _batch_sizes(sorted_lengths)


class _PackedRows(indexing.Index):
    """The gather of the packed rows. PyTorch's backward writes the gradient of each step ``batch_sizes`` counts
    into the time-major padded one, so a length past the padded steps (packed as far as they go) fails there."""

    def forward(self, a, key=None, padded_shape=None, counted_steps=None):
        self.padded_shape, self.counted_steps = padded_shape, counted_steps
        return super().forward(a, key=key, name="PackPaddedSequenceBackward0")

    def _check_steps(self):
        if self.counted_steps > self.padded_shape[0]:
            raise IndexError(f"select(): index {self.padded_shape[0]} out of range for tensor of size "
                             f"{list(self.padded_shape)} at dimension 0")

    def backward(self, grad):
        self._check_steps()
        return super().backward(grad)

    def backward_graph(self, grad):
        self._check_steps()
        return super().backward_graph(grad)


def _check_packable_lengths(sorted_lengths, batch):
    """PyTorch's checks of the lengths, in its order: one per sequence, positive, decreasing."""
    if sorted_lengths.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {sorted_lengths.size} "
                           f"(batch_size={batch})")
    if sorted_lengths[-1] <= 0:  # in decreasing order, the last length is the smallest
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if np.any(sorted_lengths[1:] > sorted_lengths[:-1]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can "
                           "pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")


def _batch_sizes(sorted_lengths):
    """How many of the sequences (lengths in decreasing order) have step t, for each t."""
    steps = np.arange(sorted_lengths[0])
    return Tensor._wrap(np.count_nonzero(steps[:, None] < sorted_lengths[None, :], axis=1).astype(np.int64))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    r"""Pads a packed batch of variable-length sequences: the inverse of :func:`pack_padded_sequence`.

    Args:
        sequence (PackedSequence): the batch to pad.
        batch_first (bool): if True the output is (B, T, *), else (T, B, *). Default: False.
        padding_value (float): the value of the steps past each sequence's end. Default: 0.
        total_length (int, optional): T, if given; at least the longest length (a ValueError otherwise).
            Default: the longest length.

    Returns:
        ``(padded, lengths)``: the padded batch and the (B,) int64 lengths, both in the order the
        sequences had before packing.
    """
    batch_sizes = sequence.batch_sizes.numpy()
    num_steps = batch_sizes.size
    if total_length is not None:
        if total_length < num_steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {num_steps}")
        num_steps = _int_argument(total_length, "_pad_packed_sequence", "total_length", 5)
    padded, lengths = _padded_from_packed(sequence.data, batch_sizes, batch_first, padding_value, num_steps)
    # put back in the original order as PyTorch does, by index_select (its node and strides)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted)
        lengths = lengths[unsorted.numpy()]
    return padded, Tensor._wrap(lengths)


def _padded_from_packed(data, batch_sizes, batch_first, padding_value, num_steps):
    """PyTorch's ``_pad_packed_sequence`` kernel: the packed ``data`` padded with ``padding_value`` to ``num_steps``
    steps, time-major (transposed, a view, for ``batch_first``), and the lengths (an int64 array), the sequences in
    their sorted order. ``batch_sizes``: the int64 array."""
    if not batch_sizes.size:
        raise RuntimeError("batch_sizes can not be empty")
    lengths = _lengths(batch_sizes)
    rows = _packed_rows(data, batch_sizes)
    padded = _scatter_rows(rows, _packed_positions(batch_sizes), (num_steps, lengths.size), float(padding_value))
    return (padded.transpose(0, 1) if batch_first else padded), lengths


def _packed_rows(data, batch_sizes):
    """The first sum(batch_sizes) rows of ``data``, those ``batch_sizes`` describe (PyTorch ignores any more).
    Too few rows fail as PyTorch's kernel fails: viewing the run of steps of one batch size where they end."""
    if data.shape[0] >= batch_sizes.sum():
        return data if data.shape[0] == batch_sizes.sum() else data[:int(batch_sizes.sum())]
    run_starts = np.flatnonzero(np.diff(batch_sizes, prepend=-1))
    run_lengths = np.diff(run_starts, append=batch_sizes.size)
    run_ends = np.cumsum(batch_sizes[run_starts] * run_lengths)
    short = int(np.argmax(run_ends > data.shape[0]))
    present = max(0, data.shape[0] - (run_ends[short] - batch_sizes[run_starts[short]] * run_lengths[short]))
    shape = [int(run_lengths[short]), int(batch_sizes[run_starts[short]]), *data.shape[1:]]
    raise RuntimeError(f"shape '{shape}' is invalid for input of size {present * math.prod(data.shape[1:])}")


def _int_argument(value, function, name, position):
    """``value`` as an int, or PyTorch's TypeError of an argument that must be one."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{function}(): argument '{name}' (position {position}) must be int, not "
                        f"{_tp_name(value)}")
    return operator.index(value)


def _lengths(batch_sizes):
    """The length of each sequence, in sorted order, from the batch size of each step."""
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    return np.count_nonzero(batch_sizes[None, :] > np.arange(batch)[:, None], axis=1).astype(np.int64)


def _packed_positions(batch_sizes):
    """For each packed row, its row in the time-major padded output (T, B) flattened, the sequences sorted."""
    steps = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    ranks = np.arange(steps.size) - np.repeat(np.cumsum(batch_sizes) - batch_sizes, batch_sizes)
    return steps * int(batch_sizes[0]) + ranks


def _scatter_rows(rows, positions, leading_shape, padding_value):
    """A tensor of ``leading_shape + rows.shape[1:]`` filled with ``padding_value`` (cast to ``rows``'s dtype,
    as PyTorch does), with row i of ``rows`` at flat position ``positions[i]``; differentiable in ``rows``."""
    trailing = tuple(rows.shape[1:])
    padded = Tensor._wrap(np.full(tuple(leading_shape) + trailing, padding_value).astype(rows._data.dtype))
    # written through a view, as PyTorch's copies into slices of it: its node is CopySlices
    padded.view((math.prod(leading_shape),) + trailing).index_put_((Tensor._wrap(positions),), rows)
    return padded


# ---------------------------------------------------------------------------- lists of sequences
def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    r"""Stacks variable-length sequences into one batch, padded to the longest.

    Args:
        sequences (list[Tensor]): B tensors (L_b, *), all with the trailing dimensions and dtype of the first
            (others are converted to them).
        batch_first (bool): if True the output is (B, T, *), else (T, B, *), T = max(L_b). Default: False.
        padding_value (float): the value of the padding. Default: 0.
        padding_side (str): ``'right'`` (sequences start at step 0) or ``'left'`` (they end at step T - 1).
            Default: ``'right'``.

    Returns:
        Tensor (T, B, *), or (B, T, *) if ``batch_first``.
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    _check_pad_sequence_arguments(sequences, batch_first, padding_value, padding_side)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if sequences[0].dim() == 0:
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")  # PyTorch's words for a 0-d first sequence
    trailing = tuple(sequences[0].shape[1:])
    lengths = np.array([s.size(0) for s in sequences], dtype=np.int64)
    num_steps = int(lengths.max())
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    pieces = [_fitted(s, (int(n),) + trailing, sequences[0].dtype) for s, n in zip(sequences, lengths)]
    positions = _padded_positions(lengths, num_steps, batch_first, padding_side)
    leading = (lengths.size, num_steps) if batch_first else (num_steps, lengths.size)
    return _scatter_rows(_rows_of(pieces, trailing), positions, leading, float(padding_value))


def _rows_of(pieces, trailing):
    """The pieces (n_i, *trailing) joined along dim 0. Each is flattened to 2-D first: ``cat`` would skip a
    1-D empty piece (PyTorch's legacy rule), leaving an empty sequence without a gradient."""
    width = int(np.prod(trailing))
    joined = cat([piece.reshape(piece.shape[0], width) for piece in pieces])
    return joined.reshape((joined.shape[0],) + trailing)


def _padded_positions(lengths, num_steps, batch_first, padding_side):
    """For each step of each sequence, sequence after sequence, its row in the padded output flattened to
    (T * B) or (B * T)."""
    starts = num_steps - lengths if padding_side == "left" else np.zeros_like(lengths)
    steps = np.concatenate([np.arange(start, start + n) for start, n in zip(starts, lengths)])
    columns = np.repeat(np.arange(lengths.size), lengths)
    return columns * num_steps + steps if batch_first else steps * lengths.size + columns


def _check_pad_sequence_arguments(sequences, batch_first, padding_value, padding_side):
    """PyTorch's TypeErrors for arguments of the wrong type, in the order of its argument parser."""
    for index, sequence in enumerate(sequences):
        if not isinstance(sequence, Tensor):
            raise TypeError(f"expected Tensor as element {index} in argument 0, but got {_tp_name(sequence)}")
    arguments = [("batch_first", 2, "bool", batch_first, isinstance(batch_first, bool)),
                 ("padding_value", 3, "float", padding_value, isinstance(padding_value, (numbers.Real, Tensor))),
                 ("padding_side", 4, "str", padding_side, isinstance(padding_side, str))]
    for name, position, kind, value, accepted in arguments:
        if not accepted:
            raise TypeError(f"pad_sequence(): argument '{name}' (position {position}) must be {kind}, not "
                            f"{_tp_name(value)}")


def _fitted(sequence, shape, dtype):
    """``sequence`` broadcast to ``shape`` and converted to ``dtype``, as ``copy_`` into a slice of that shape
    would (with its errors)."""
    error = broadcast_error(shape, tuple(sequence.shape))
    if error is not None:
        raise error
    broadcast = np.broadcast_shapes(shape, tuple(sequence.shape))
    if broadcast != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(broadcast)}")
    return sequence.to(dtype).expand(shape)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    r"""Splits a padded batch into its sequences: the inverse of :func:`pad_sequence`.

    Args:
        padded_sequences (Tensor): (T, B, *), or (B, T, *) if ``batch_first``.
        lengths (Tensor): (B,): the length of each sequence.
        batch_first (bool): whether the batch is (B, T, *). Default: False.

    Returns:
        a list of B tensors (lengths[b], *).

    PyTorch transposes a (T, B, *) ``padded_sequences`` in place (so refuses a leaf that requires grad);
    here it is left as it is.
    """
    if not batch_first:
        if padded_sequences.requires_grad and padded_sequences._grad_fn is None and grad_mode.is_grad_enabled():
            raise RuntimeError(_LEAF_INPLACE)
        padded_sequences = padded_sequences.transpose(0, 1)
    steps = arange(padded_sequences.shape[1], device=lengths.device)
    return [sequence[steps < length] for sequence, length in zip(padded_sequences.unbind(0), lengths, strict=True)]


def pack_sequence(sequences, enforce_sorted=True):
    r"""Packs a list of variable-length sequences: :func:`pad_sequence` then :func:`pack_padded_sequence`.

    Args:
        sequences (list[Tensor]): B tensors (L_b, *) with the same trailing dimensions.
        enforce_sorted (bool): if True, the sequences must come in decreasing order of length. Default: True.

    Returns:
        a :class:`PackedSequence`.
    """
    lengths = as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    r"""Unpacks a :class:`PackedSequence` into the list of its B sequences (L_b, *), in their original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
