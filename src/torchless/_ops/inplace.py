"""In-place writes recorded in the graph: the new values replace the old ones, which get no gradient; and the
Tensor methods PyTorch has beyond the basic in-place ops (see install)."""
import warnings

import numpy as np

from .. import _dtype, _parser_errors
from .._type_promotion import NUMBERS
from ..autograd import forward_ad
from ..autograd.graph import Node, named_as_pytorch, records
from . import indexing, shape as shape_ops
from ._util import memory_order, memory_owner, normalize_dim, unbroadcast, unbroadcast_tensor


class Overwrite(Node):
    """zero_/fill_/uniform_/normal_/bernoulli_ on a tensor that is part of the graph."""

    def forward(self, a, values=None, kind="FillBackward2"):
        self.kind = kind
        out = np.empty_like(a)
        out[...] = values
        return out

    def backward(self, grad):
        return (np.zeros_like(grad),)

    def backward_graph(self, grad):  # zeros, a constant
        return (grad._wrap(np.zeros_like(grad._data)),)

    def name(self):
        return self.kind


class Copy(Node):
    """``a.copy_(src)``: src broadcast to a's shape and cast to a's dtype (also fill_ by a 0-d tensor, PyTorch's
    FillBackward3, given as ``node_name``)."""

    COPY_NAME = "torch::autograd::CopyBackwards"  # PyTorch's C++ class name, as its name() gives it

    def forward(self, a, src, node_name=COPY_NAME):
        self.src_shape, self.src_dtype, self.node_name = src.shape, src.dtype, node_name
        out = np.empty_like(a)
        out[...] = _dtype.cast_source(src, a.dtype)
        return out

    def backward(self, grad):
        return (np.zeros_like(grad) if self.needs_input_grad[0] else None,
                unbroadcast(grad, self.src_shape).astype(self.src_dtype, copy=False)
                if self.needs_input_grad[1] else None)

    def backward_graph(self, grad):
        return (grad._wrap(np.zeros_like(grad._data)) if self.needs_input_grad[0] else None,
                unbroadcast_tensor(grad, self.src_shape)._cast(self.src_dtype) if self.needs_input_grad[1] else None)

    def name(self):
        return self.node_name


class Compared(Node):
    """eq_/lt_/... with a tensor operand: the comparison's values written into ``a``, a zero gradient for both."""

    def forward(self, a, other, values=None, kind="EqBackward1"):
        self.kind, self.other_shape, self.other_dtype = kind, other.shape, other.dtype
        out = np.empty_like(a)
        out[...] = values
        return out

    def backward(self, grad):
        return (np.zeros_like(grad) if self.needs_input_grad[0] else None,
                np.zeros(self.other_shape, self.other_dtype) if self.needs_input_grad[1] else None)

    def backward_graph(self, grad):
        return tuple(grad._wrap(array) if array is not None else None for array in self.backward(grad._data))

    def name(self):
        return self.kind


# ---------------------------------------------------------------------------- Tensor methods
# Attached by install(), run at the end of _tensor.py: this module is imported while _tensor.py defines Tensor.
Tensor = None
_RANDOM_OVERLOADS = ("*, Generator? generator=None", "int from, int? to, *, Generator? generator=None",
                     "int to, *, Generator? generator=None")
_FLOAT_DIGITS = {"float16": 11, "float32": 24, "float64": 53}  # the integers each float dtype holds exactly


def _restrided(self, view):
    """The tensor itself given the shape and strides of ``view``, its result of the view op, and the op's node."""
    self._data = view._data
    if view._grad_fn is not None:
        if self._view_base is None:  # a base stays one (PyTorch's messages name its node, not AsStrided)
            view._grad_fn.is_view = False
        self._grad_fn = view._grad_fn
    forward_ad.carry_tangent(self, view)  # (its tangent takes the new shape too)
    self._bump_version()
    return self


def _check_leaf(self):
    """PyTorch refuses an in-place op on a leaf requiring grad (or its view) before looking at the arguments."""
    if self._requires_grad:
        self._check_inplace()


def t_(self, *args, **kwargs):
    if kwargs:  # (CPython's METH_NOARGS: the keywords first)
        raise TypeError("TensorBase.t_() takes no keyword arguments")
    if args:
        raise TypeError(f"TensorBase.t_() takes no arguments ({len(args)} given)")
    _check_leaf(self)
    ndim = self._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return _restrided(self, shape_ops.PermuteInPlace.apply(self, axes=tuple(range(ndim))[::-1], kind="T"))


def _transpose_inplace(name):
    def method(self, *args, **kwargs):
        if len(args) == 2 and not kwargs and type(args[0]) is int and type(args[1]) is int:
            dim0, dim1 = args
        else:
            dim0, dim1 = _parser_errors.method_arguments(name, args, kwargs).values()
        _check_leaf(self)
        ndim = self._data.ndim
        a, b = normalize_dim(dim0, ndim), normalize_dim(dim1, ndim)
        axes = list(range(ndim))
        if ndim:
            axes[a], axes[b] = axes[b], axes[a]
        return _restrided(self, shape_ops.PermuteInPlace.apply(self, axes=tuple(axes), kind="Transpose",
                                                               given=(dim0, dim1)))

    method.__name__ = method.__qualname__ = name
    return method


def unsqueeze_(self, *args, **kwargs):
    dim = args[0] if len(args) == 1 and not kwargs and type(args[0]) is int else \
        _parser_errors.method_arguments("unsqueeze_", args, kwargs)["dim"]
    _check_leaf(self)
    view = self.unsqueeze(dim)
    if view._grad_fn is not None:
        view._grad_fn.node_name = "UnsqueezeBackward1"
        named_as_pytorch(view._grad_fn)  # (its class, named at recording, takes the new name)
    return _restrided(self, view)


def squeeze_(self, *args, **kwargs):
    if not args and not kwargs:
        _check_leaf(self)
        view, name = self.squeeze(), "SqueezeBackward3"
    else:
        dim = args[0] if len(args) == 1 and not kwargs and type(args[0]) is int else \
            _parser_errors.method_arguments("squeeze_", args, kwargs)["dim"]
        _check_leaf(self)
        view, name = self.squeeze(dim), "SqueezeBackward4" if isinstance(dim, int) else "SqueezeBackward5"
    if view._grad_fn is not None:
        view._grad_fn.node_name = name
        named_as_pytorch(view._grad_fn)  # (its class, named at recording, takes the new name)
    return _restrided(self, view)


def _storage(array):
    """``array``'s storage as PyTorch sees it: the 1-D array (of array's dtype) over the memory of the array owning
    it, and array's offset in it, in elements. An array not found inside its owner's memory is its own storage."""
    root = memory_owner(array)
    itemsize = array.itemsize
    flat = memory_order(root)
    if flat is not None:
        if flat.dtype != array.dtype and flat.nbytes % itemsize == 0:
            flat = flat.view(np.uint8).view(array.dtype)
        offset, misaligned = divmod(array.__array_interface__["data"][0] - flat.__array_interface__["data"][0],
                                    itemsize)
        if flat.dtype == array.dtype and not misaligned and 0 <= offset <= flat.size:
            return flat, offset
    return np.ascontiguousarray(array).reshape(-1), 0


def _positions(shape, strides, start):
    """The storage position of each element of an array of ``shape`` and ``strides`` (in elements) from ``start``."""
    positions = np.full(shape, start, np.int64)
    for dim, (size, stride) in enumerate(zip(shape, strides)):
        step = [1] * len(shape)
        step[dim] = size
        positions = positions + (np.arange(size, dtype=np.int64) * stride).reshape(step)
    return positions


def checked_storage_window(array, size, stride, storage_offset):
    """(the flat memory ``array`` lies in, the offset into it) for a strided window (``size``, ``stride``,
    ``storage_offset``: None for the array's own), after PyTorch's checks that the window fits that memory."""
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    flat, own_offset = _storage(array)
    offset = own_offset if storage_offset is None else storage_offset
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and strides={list(stride)}")
    itemsize = array.itemsize
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if needed > flat.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {itemsize} requiring a storage size of {needed * itemsize} are out of bounds for "
                           f"storage of size {flat.size * itemsize}")
    return flat, offset


def as_strided(self, *args, **kwargs):
    parsed = _parser_errors.method_arguments("as_strided", args, kwargs)
    size, stride = tuple(parsed["size"]), tuple(parsed["stride"])
    flat, offset = checked_storage_window(self._data, size, stride, parsed["storage_offset"])
    itemsize = self._data.itemsize
    view = np.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * itemsize for s in stride),
                                           writeable=flat.flags.writeable)
    inputs = outputs = None
    if records(self):  # the positions backward needs
        base_strides = tuple(s // itemsize for s in self._data.strides)
        inputs = _positions(self._data.shape, base_strides, _storage(self._data)[1])
        outputs = _positions(size, stride, offset)
    return shape_ops.AsStrided.apply(self, view=view, storage_size=flat.size, input_positions=inputs,
                                     output_positions=outputs)


# ---------------------------------------------------------------------------- random fills
def _check_int64(*values):
    for value in values:
        if value is not None and not -2**63 <= value < 2**63:
            raise ValueError("Overflow when unpacking long long")


def _check_random_bound(self, value, label):
    """PyTorch's check of random_'s ``from`` / ``to - 1`` against the dtype: an error outside its range, for
    floats a warning outside the integers they hold exactly."""
    dtype = self._data.dtype
    if dtype.kind == "c":
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")
    if dtype.kind == "f":
        digits = _FLOAT_DIGITS[dtype.name]
        name = _dtype.CPP_SCALAR_NAMES[dtype.name]
        if abs(value) > float(np.finfo(dtype).max):  # (as a Python float: NumPy's float16 max would overflow)
            raise RuntimeError(f"{label} is out of bounds for {name}")
        if abs(value) > 2**digits:
            warnings.warn(f"{label} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations {name} "
                          "can support discrete uniform distribution only within this range. This warning will become "
                          "an error in version 1.7 release, please fix the code in advance", UserWarning, stacklevel=3)
        return
    low, high = (0, 1) if dtype.kind == "b" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
    if not low <= value <= high:
        raise RuntimeError(f"{label} is out of bounds for {_dtype.CPP_TYPE_NAMES[dtype.name]}")


def _in_float_range(dtype, *values):
    """Whether ``dtype`` is a float type whose finite range holds ``values`` (beyond it PyTorch's bound check
    fails, before its float bounds move: _check_random_bound)."""
    return dtype.kind == "f" and all(abs(value) <= float(np.finfo(dtype).max) for value in values)


def _random_top(dtype):
    """One past the largest value random_ draws by default: the dtype's largest integer (held exactly)."""
    if dtype.kind == "f":
        return 2**_FLOAT_DIGITS[dtype.name] + 1
    return 2 if dtype.kind == "b" else int(np.iinfo(dtype).max) + 1


def random_(self, *args, **kwargs):
    from ..random import draw_like, float_random_range, stream

    parsed = _parser_errors.parse("random_", _RANDOM_OVERLOADS, args, kwargs)
    low, high = parsed.get("from"), parsed.get("to")
    _check_int64(low, high)
    _check_leaf(self)
    self._refuse_internal_overlap()  # (before the bounds: PyTorch's TensorIterator is built first)
    kind = "RandomBackward2" if "to" not in parsed else "RandomBackward1" if "from" not in parsed else "RandomBackward0"
    dtype = self._data.dtype
    wide_from = 2**28  # PyTorch's random_from_to: 64-bit words for ranges from 2**28 on
    if high is not None:
        low = low or 0
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        if _in_float_range(dtype, low, high - 1):  # (PyTorch moves the bounds a float cannot tell apart first)
            low, high = float_random_range(low, high, _FLOAT_DIGITS[dtype.name])
        if "from" in parsed:
            _check_random_bound(self, low, "from")
        _check_random_bound(self, high - 1, "to - 1")
    elif low == -2**63:  # random_(int64's lowest): the full range of 64-bit words
        if dtype.kind in "iu" and dtype != np.int64:
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")
        if dtype not in (np.int64, np.float32, np.float64):
            raise NotImplementedError(f"\"random_full_64_bits_range_kernel_cpu\" not implemented for "
                                      f"'{_dtype.from_numpy_dtype(dtype).scalar_name}'")
        high = 2**63
    else:
        if low is not None:
            if dtype.kind == "c":
                raise RuntimeError("random_from_to_impl handles only integral, floating-point and boolean types")
            if _in_float_range(dtype, low):
                low = float_random_range(low, None, _FLOAT_DIGITS[dtype.name])[0]
            _check_random_bound(self, low, "from")
        self._no_kernel_for("c" if low is not None else "cU", "random_kernel_cpu")  # (from-to kernels have uint16)
        # random_(from) draws [from, the dtype's largest integer] as a range given; random_() has its own rule, by
        # dtype: 64-bit words for int64 and float64 only (whose ranges alone reach 2**32)
        if low is None:
            wide_from = 2**32
        low, high = low or 0, _random_top(dtype)
    draws = stream(parsed["generator"])
    values = draw_like(self._data, lambda shape: draws.integers(low, high, shape, wide_from))
    return self._overwrite(values, kind)


def _continuous_only(self, distribution, type_name):
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"{distribution} distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {type_name}")


def exponential_(self, *args, **kwargs):
    from ..random import draw_like, stream

    parsed = _parser_errors.method_arguments("exponential_", args, kwargs)
    _check_leaf(self)
    lambd = parsed["lambd"]
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    self._refuse_internal_overlap()
    if self._data.size:  # (a check of PyTorch's kernel, which does not run on an empty tensor)
        _continuous_only(self, "Exponential", self.dtype.scalar_name)
    draws = stream(parsed["generator"])
    values = draw_like(self._data, lambda shape: draws.exponential(shape, self._data.dtype, lambd))
    return self._overwrite(values, "ExponentialBackward0")


def geometric_(self, *args, **kwargs):
    from ..random import draw_like, stream

    parsed = _parser_errors.method_arguments("geometric_", args, kwargs)
    _check_leaf(self)
    p = parsed["p"]
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    self._refuse_internal_overlap()
    if self._data.size:  # (PyTorch's kernel, and its dtype dispatch, do not run on an empty tensor)
        self._no_kernel_for("bU", "geometric_cpu")
    draws = stream(parsed["generator"])
    return self._overwrite(draw_like(self._data, lambda shape: draws.geometric(shape, p)), "GeometricBackward0")


def cauchy_(self, *args, **kwargs):
    from ..random import draw_like, stream

    parsed = _parser_errors.method_arguments("cauchy_", args, kwargs)
    _check_leaf(self)
    median, sigma = parsed["median"], parsed["sigma"]
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    _continuous_only(self, "Cauchy", _dtype.cpp_name(self._data.dtype))
    self._refuse_internal_overlap()
    draws = stream(parsed["generator"])
    return self._overwrite(draw_like(self._data, lambda shape: draws.cauchy(shape, median, sigma)), "CauchyBackward0")


def log_normal_(self, *args, **kwargs):
    from ..random import draw_like, stream

    parsed = _parser_errors.method_arguments("log_normal_", args, kwargs)
    _check_leaf(self)
    mean, std = parsed["mean"], parsed["std"]
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    self._refuse_internal_overlap()
    if self._data.size:  # (PyTorch's kernel, and its dtype dispatch, do not run on an empty tensor)
        self._no_kernel_for("biu", "log_normal_cpu")
    draws = stream(parsed["generator"])
    values = draw_like(self._data, lambda shape: draws.log_normal(shape, mean, std))
    return self._overwrite(values, "LogNormalBackward0")


# ---------------------------------------------------------------------------- comparisons and logical ops
def _broadcast_into(self, values):
    if values.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(values.shape)}")
    return values


def _comparison_inplace(name):
    kind = name.capitalize()

    def method(self, *args, **kwargs):
        if len(args) + len(kwargs) != 1 or (kwargs and "other" not in kwargs):  # (NumPy's x2 read as the parser)
            other = _parser_errors.comparison_operand(f"{name}_", _parser_errors.NOT_GIVEN, args, kwargs)
        else:
            other = args[0] if args else kwargs["other"]
        if not isinstance(other, (Tensor, NUMBERS)):
            raise _parser_errors.invalid_method_other(f"{name}_", other)
        _check_leaf(self)
        self._check_overlap(other)
        self._check_inplace_operand(other)  # (the shapes before the kernel's dtypes, as PyTorch)
        values = _broadcast_into(self, getattr(self, name)(other)._data)
        if isinstance(other, Tensor):
            return self._overwrite(values, f"{kind}Backward1", other)
        return self._overwrite(values, f"{kind}Backward0")

    method.__name__ = method.__qualname__ = f"{name}_"
    return method


def _logical_inplace(name):
    def method(self, other):
        if not isinstance(other, Tensor):
            raise _parser_errors.not_tensor(f"{name}_", "other", 1, other)
        self._check_overlap(other)
        return self._write_untracked(_broadcast_into(self, getattr(self, name)(other)._data))

    method.__name__ = method.__qualname__ = f"{name}_"
    return method


def logical_not_(self):
    return self._write_untracked(np.logical_not(self._data))  # (no node, as PyTorch: a leaf that requires grad too)


# ---------------------------------------------------------------------------- index_put, put, scatter_reduce
def _index_put_arguments(name, indices, values, positional, accumulate, shape=None):
    """(the NumPy key of ``indices``, accumulate) checked as PyTorch's parser does; ``positional``: the
    arguments after values (accumulate, if given so, which its TypeError tells); with self's ``shape``, PyTorch's
    count of the indices too."""
    _parser_errors.check_tensor_list(name, indices, "indices")
    if not isinstance(values, Tensor):
        raise _parser_errors.not_tensor(name, "values", 2, values)
    if positional:
        if len(positional) > 1:
            raise TypeError(f"{name}() takes from 2 to 3 positional arguments but {len(positional) + 2} were given")
        accumulate = positional[0]
    _parser_errors.check_bool(name, "accumulate", accumulate, 3 if positional else None)
    if shape is not None:
        _check_index_count(indices, shape)
    return index_key(tuple(indices)), accumulate


def _check_index_count(indices, shape):
    """index_put's checks of the number of indices: one index tensor per dim at most (a mask counts as one, unlike
    t[key]'s count), then the dims each takes (a mask its sizes, which must be self's there), in PyTorch's order."""
    ndim = len(shape)
    if len(indices) > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim} (got {len(indices)})")
    position = 0
    for index in indices:
        is_mask = index._data.dtype in (np.bool_, np.uint8)
        for j, size in enumerate(index._data.shape if is_mask else (None,)):
            if position >= ndim:
                raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got "
                                 f"{position})")
            if is_mask and size != shape[position]:
                raise IndexError(f"The shape of the mask {list(index._data.shape)} at index {j} does not match the "
                                 f"shape of the indexed tensor {list(shape)} at index {position}")
            position += 1


def _fills_through_mask(indices, values):
    """Whether PyTorch's index_put_ (not accumulating) writes ``values`` as masked_fill_ does: one value, the only
    index a mask. Its value is then converted to self's dtype, where index_put_ otherwise wants the same dtype."""
    return values._data.size == 1 and len(indices) == 1 and indices[0]._data.dtype in (np.bool_, np.uint8)


def index_put_(self, indices, values, *positional, accumulate=False):
    key, accumulate = _index_put_arguments("index_put_", indices, values, positional, accumulate, self._data.shape)
    _check_leaf(self)
    if forward_ad.state.vmap_levels:
        forward_ad.refuse_writing_batched(self, (values, *indices), "index_put_")
    fills_through_mask = not accumulate and _fills_through_mask(indices, values)
    if not fills_through_mask:
        # (its value must broadcast to the indexed shape as it is: unlike t[key] = value, no leading size-1 dim
        # is dropped, and a 0-d index tensor is an index, not an int; checked before the index values)
        self._check_key_and_value_shape(key, values)
    if self._data.dtype.kind == "u":
        _dtype.refuse_wide_unsigned("masked_fill" if fills_through_mask else "index_put", self._data.dtype)
    if not accumulate:
        if fills_through_mask:
            if indices[0]._data.dtype == np.uint8:
                raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
            _dtype.fill_value(values.item(), self._data.dtype)  # (the value's conversion, with its overflow error)
            values = values._cast(self._data.dtype)  # (which t[key] = values makes too, but for a 0-d mask)
        elif values._data.dtype != self._data.dtype:
            self._raise_index_put_dtype_error(key, values)
        self[tuple(indices)] = values
        return self
    if values._data.dtype != self._data.dtype:
        self._raise_index_put_dtype_error(key, values)
    try:
        return self._inplace(lambda t: indexing.IndexPutAccumulate.apply(t, values, key=key), values, overlap="any")
    except IndexError as err:
        error = indexing.index_error(self._data.shape, key, err)
        zeroed = getattr(error, "in_index_values", False) and indexing.zeroed_if_empty(self._data.shape, key)
        if not zeroed:
            raise error from None
    except ValueError:
        self._raise_setitem_shape_error(key, values)
        raise
    # nothing to add to: PyTorch reads no index, so finds none out of range
    return self._inplace(lambda t: indexing.IndexPutAccumulate.apply(t, values, key=zeroed), values)


def index_put(self, indices, values, *positional, accumulate=False):
    _, accumulate = _index_put_arguments("index_put", indices, values, positional, accumulate, self._data.shape)
    copy = self.clone()
    if forward_ad.state.vmap_levels:  # (PyTorch's rule writes into self expanded to the batch: the batch in front)
        forward_ad.batched_copy(copy, (values, *indices))
        return index_put_(copy, indices, values, accumulate=accumulate)
    clone_node = copy._grad_fn
    out = index_put_(copy, indices, values, accumulate=accumulate)
    node = out._grad_fn
    if clone_node is not None and node is not None and node.edges and node.edges[0] is clone_node:
        # PyTorch's index_put is one out-of-place op: its node leads to self's own (no CloneBackward0 between)
        node.edges = (clone_node.edges[0],) + tuple(node.edges[1:])
    out._counter = None  # (a new tensor, not one written in place: version 0)
    return out


def _put(self, index, source, accumulate, name):
    if not isinstance(index, Tensor):
        raise _parser_errors.not_tensor(name, "index", 1, index)
    if not isinstance(source, Tensor):
        raise _parser_errors.not_tensor(name, "source", 2, source)
    idx, n = index._data, self._data.size
    if idx.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {index.dtype.scalar_name}")
    if source._data.dtype != self._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{self.dtype.scalar_name} and source.dtype = {source.dtype.scalar_name}")
    if idx.size != source._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source._data.size}, index.numel() = {idx.size}")
    if not n and idx.size:
        raise IndexError("put_(): Tried to put elements into an empty tensor")  # (put is put_ into a copy)
    outside = (idx < -n) | (idx >= n)
    if outside.any():
        raise IndexError(f"out of range: tried to access index {idx[outside].flat[0]} on a tensor of {n} elements.")
    self._no_kernel_for("U", "take_put_cpu")
    return idx.reshape(-1)


def put_(self, index, source, accumulate=False):
    if isinstance(index, Tensor) and isinstance(source, Tensor):
        _check_leaf(self)
    idx = _put(self, index, source, accumulate, "put_")
    if forward_ad.state.vmap_levels:
        forward_ad.warn_fallback("aten::put_", (self, index, source))
    return self._inplace(lambda t: indexing.Put.apply(t, source, index=idx, accumulate=accumulate,
                                                      given_index=index._data), source, overlap="any", name="put_")


def put(self, index, source, accumulate=False):
    idx = _put(self, index, source, accumulate, "put")
    if forward_ad.state.vmap_levels:
        forward_ad.warn_fallback("aten::put", (self, index, source))
    return indexing.Put.apply(self, source, index=idx, accumulate=accumulate, given_index=index._data)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(self, *args, **kwargs):
    parsed = _parser_errors.method_arguments("scatter_reduce", args, kwargs)
    return reduce_scattered(self, parsed["dim"], parsed["index"], parsed["src"], parsed["reduce"],
                            parsed["include_self"])


def reduce_scattered(self, dim, index, src, reduce, include_self, opmath=True):
    """scatter_reduce of arguments read; ``opmath``: whether float16 accumulates in float32 (see
    indexing.accumulate_at)."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # (PyTorch takes the legacy names, unlisted)
    # PyTorch's order: the dim, the index dtype, the source dtype, the shapes, the reduction's name, the kernel,
    # the index values
    axis = normalize_dim(dim, self._data.ndim)
    idx = index._data
    check_scatter_arguments(self._data, axis, idx, src._data, "scatter")
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if not include_self and idx.size:  # (filling the written places first, a kernel uint16 and wider have not)
        self._no_kernel_for("U", "scatter_reduce_exclude_input_init")
    if reduce == "mean":  # (an empty index skips the kernel: its division by the counts refuses bools then)
        self._no_kernel_for("bU", "scatter_gather_tensor_cpu_reduce_mean" if idx.size else "div_floor_cpu")
    elif reduce in ("amax", "amin"):
        self._no_kernel_for("cU", f"scatter_gather_tensor_cpu_reduce_{reduce}")
    elif idx.size:
        self._no_kernel_for("U", "scatter_gather_tensor_cpu")
    check_index_values(self._data.shape, axis, idx)
    if not idx.size and not idx.ndim == self._data.ndim == src._data.ndim:  # nothing to reduce: an empty index
        # of any dtype and rank, a source of any shape (one of self's rank is kept for its gradient: see Scatter)
        empty = (0,) * max(self._data.ndim, 1)
        index, src = Tensor._wrap(np.zeros(empty, np.int64)), src.reshape(-1)[:0].reshape(empty)
        idx = index._data
    if not self._data.ndim or not idx.ndim:  # PyTorch scatters into a 0-d tensor as into one element (a copy of it
        # rather than a view, which scatter_reduce_ would change under the node that saved it)
        flat = reduce_scattered(self.reshape(-1).clone(), 0, index.reshape(-1), src.reshape(-1), reduce,
                                include_self, opmath)
        return flat.reshape(self._data.shape)
    key = list(np.indices(idx.shape, sparse=True))
    key[axis] = idx
    out = indexing.ScatterReduce.apply(self, src, key=tuple(key), reduce=reduce, include_self=include_self, dim=dim,
                                       opmath=opmath)
    if out._grad_fn is not None:
        from .._tensor_methods._arguments import refuse_complex_gradient

        refuse_complex_gradient("scatter_reduce", out)
    return out


def scatter_reduce_(self, *args, **kwargs):
    parsed = _parser_errors.method_arguments("scatter_reduce_", args, kwargs)
    _check_leaf(self)
    return self._inplace(lambda t: scatter_reduce(t, **parsed), parsed["src"], overlap="any")


def install(cls):
    """Attach the methods above to the Tensor class ``cls``."""
    global Tensor, check_index_values, check_scatter_arguments, index_key
    from .._tensor_methods._arguments import check_index_values, check_scatter_arguments
    from .._tensor_methods._index_keys import index_key

    Tensor = cls
    methods = dict(t_=t_, unsqueeze_=unsqueeze_, squeeze_=squeeze_, as_strided=as_strided, random_=random_,
                   exponential_=exponential_, geometric_=geometric_, cauchy_=cauchy_, log_normal_=log_normal_,
                   logical_not_=logical_not_, index_put_=index_put_, index_put=index_put, put_=put_, put=put,
                   scatter_reduce=scatter_reduce, scatter_reduce_=scatter_reduce_)
    for name in ("transpose_", "swapaxes_", "swapdims_"):
        methods[name] = _transpose_inplace(name)
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        methods[f"{name}_"] = _comparison_inplace(name)
    for name in ("logical_and", "logical_or", "logical_xor"):
        methods[f"{name}_"] = _logical_inplace(name)
    for name, method in methods.items():
        setattr(cls, name, method)
