"""Searching sorted sequences and bucketing: searchsorted, bucketize, histogram.
"""
import numpy as np

from .. import _dtype, _parser_errors
from .._info import scalar_dtype
from .._memory_format import with_c_strides
from .._out_argument import accepts_out
from .._tensor import Tensor
from .._type_promotion import result_dtype
from ..return_types import _RETURN_TYPES


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input``'s values would be inserted in each innermost row of ``sorted_sequence`` to keep
    it sorted (after equal values when ``right`` or ``side='right'``)."""
    if out_int32.__class__ is not bool or right.__class__ is not bool:
        raise _invalid_search_flags("searchsorted", (sorted_sequence, input), out_int32=out_int32, right=right,
                                    side=side, sorter=sorter)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torchless.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torchless.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    if scalar and not _parser_errors.is_number_argument(input):
        raise TypeError(f"searchsorted(): expected a Tensor or a Number, not {type(input).__name__}")  # (the
        # parser's, on the failure path)
    values = np.asarray(input, scalar_dtype(input)) if scalar else input._data
    # searchsorted_pre_check's order: the sorter, a scalar input, the boundaries' dims
    if sorter is not None:
        _check_sorter(seq, sorter._data)
    if not values.ndim and seq.ndim != 1:
        raise RuntimeError(f"torchless.searchsorted(): input value can be a scalar only when boundaries tensor "
                           f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's "
                           f"dim(0) numel(1)")
    if not seq.ndim:
        raise RuntimeError("torchless.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if seq.ndim > 1 and seq.shape[:-1] != values.shape[:-1]:
        raise RuntimeError(f"torchless.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    out_dtype = np.int32 if out_int32 else np.int64
    if not values.size:  # (PyTorch's kernel returns before its dtypes: a new empty tensor)
        return Tensor._wrap(with_c_strides(np.empty(values.shape, out_dtype)))
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    seq, values = _promoted(seq, values, scalar)
    _no_bool_search(seq, values)
    _dtype.refuse_wide_unsigned("searchsorted_out_cpu", seq.dtype)
    rows = seq.reshape(int(np.prod(seq.shape[:-1])), seq.shape[-1])
    out = bounds(rows, values.reshape(rows.shape[0], -1), right)
    return Tensor._wrap(out.reshape(values.shape).astype(out_dtype))


def _check_sorter(seq, sorter):
    if sorter.shape != seq.shape:
        raise RuntimeError(f"torchless.searchsorted(): boundary and sorter must have the same size, but got boundary "
                           f"tensor {list(seq.shape)}and got sorter tensor {list(sorter.shape)}")  # (sic: no space)
    if sorter.dtype != np.int64:
        raise RuntimeError("torchless.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                           f"{_dtype.from_numpy_dtype(sorter.dtype).scalar_name}")
    if sorter.size:
        if not sorter.ndim:  # (the check of the indices reads the size of the last dim, of which a 0-d one has none)
            raise RuntimeError("ArrayRef: attempted to access back() of empty list")
        if sorter.min() < 0 or sorter.max() >= sorter.shape[-1]:
            raise RuntimeError("torchless.searchsorted(): sorter index out of range")


def bounds(rows, values, right):
    """Each value's insertion point in its row (``rows`` (R, n), ``values`` (R, m)), by PyTorch's binary search
    (cus_lower_bound / cus_upper_bound): a NaN among the boundaries reads as lower than every value, a NaN value goes
    past every boundary, where NumPy's searchsorted orders NaN last."""
    start = np.zeros(values.shape, np.int64)
    end = np.full(values.shape, rows.shape[-1], np.int64)
    row = np.arange(rows.shape[0])[:, None]
    searching = start < end
    while searching.any():
        middle = start + ((end - start) >> 1)
        middle_value = rows[row, np.minimum(middle, rows.shape[-1] - 1)]
        with np.errstate(invalid="ignore"):
            after = ~(middle_value > values) if right else ~(middle_value >= values)
        start = np.where(searching & after, middle + 1, start)
        end = np.where(searching & ~after, middle, end)
        searching = start < end
    return start


_SEARCH_OVERLOADS = {
    "searchsorted": tuple(f"Tensor sorted_sequence, {values}, *, bool out_int32 = False, bool right = False, "
                          "str side = None, Tensor sorter = None, Tensor out = None"
                          for values in ("Tensor input", "Number self")),
    "bucketize": ("Tensor input, Tensor boundaries, *, bool out_int32 = False, bool right = False, Tensor out = None",
                  "Number self, Tensor boundaries, *, bool out_int32 = False, bool right = False"),
}


_SEARCH_DEFAULTS = {"out_int32": False, "right": False}


def _invalid_search_flags(name, args, **keywords):
    """PyTorch's TypeError for a flag of searchsorted/bucketize that is not a Python bool: the keywords given
    (those off their defaults, as the call can no longer tell) listed after the two tensors."""
    given = {key: value for key, value in keywords.items() if value is not _SEARCH_DEFAULTS.get(key)}
    return _parser_errors.invalid_combination(name, _SEARCH_OVERLOADS[name], args, given)


def _promoted(seq, values, scalar):
    """The boundaries and the values in their result dtype, as PyTorch's kernel searches: a number or a 0-d tensor
    counts only for a higher category (an int beside int16 boundaries is cast to int16, wrapping around)."""
    common = result_dtype(seq.dtype, seq.ndim > 0, values.dtype, values.ndim > 0 and not scalar)
    with np.errstate(over="ignore", invalid="ignore"):
        return seq.astype(common, copy=False), values.astype(common, copy=False)


def _no_bool_search(seq, values):
    """(after the shape checks) PyTorch's kernel has no bool (both) or complex (either) version."""
    if seq.dtype == np.bool_ and values.dtype == np.bool_ or seq.dtype.kind == "c" or values.dtype.kind == "c":
        name = _dtype.from_numpy_dtype(seq.dtype if seq.dtype.kind == "c" or values.dtype.kind != "c" else
                                       values.dtype).scalar_name
        raise NotImplementedError(f"\"searchsorted_out_cpu\" not implemented for '{name}'")


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` among the 1-D ``boundaries``: i with boundaries[i-1] < x <=
    boundaries[i] (< when ``right``)."""
    if out_int32.__class__ is not bool or right.__class__ is not bool:
        raise _invalid_search_flags("bucketize", (input, boundaries), out_int32=out_int32, right=right)
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


_HISTOGRAM_OVERLOADS = (
    "Tensor input, Tensor bins, *, Tensor weight = None, bool density = False, tuple of Tensors out = None",
    "Tensor input, int bins = 100, *, tuple of floats range = None, Tensor weight = None, bool density = False, "
    "tuple of Tensors out = None")


@accepts_out("histogram")
def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """``(hist, bin_edges)`` of ``input``'s values: ``bins`` equal bins over ``range`` (the data's span by
    default) or the given edges, weighted by ``weight``, normalised to a density when ``density``."""
    from .histogramdd import histogram_of_points

    if isinstance(bins, Tensor) and range is not None:  # (the overload of bin edges takes no range)
        given = dict({"range": range}, **({} if weight is None else {"weight": weight}),
                     **({"density": density} if density else {}))
        raise _parser_errors.invalid_combination("histogram", _HISTOGRAM_OVERLOADS, (input, bins), given)
    # PyTorch's histogramdd of the values as points of one coordinate, the weights flattened alike
    hist, edges = histogram_of_points(input.reshape(-1, 1), [bins], range, None if weight is None else
                                      weight.reshape(-1), density, edges_first=False)
    return _RETURN_TYPES["histogram"](hist.reshape(-1), edges[0])
