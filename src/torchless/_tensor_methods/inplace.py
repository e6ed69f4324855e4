"""The in-place methods (add_, mul_, copy_, fill_, zero_, clamp_, masked_fill_, uniform_, normal_, ...) and
operators (``+=``, ``<<=``, ...), with PyTorch's version counting and its checks for leaves, views and memory that
overlaps itself.

Methods of torchless.Tensor: see ``_tensor_methods.attach``.
"""
import re
import weakref

import numpy as np

from .. import _dtype, _memory_format, _memory_overlap, _parser_errors
from .._parser_errors import NOT_GIVEN
from .._ops import arithmetic, indexing, inplace, unary
from ..autograd import forward_ad, grad_mode
from ..autograd._view_checks import short_name, view_refusal
from ..autograd.graph import observed, output_node, records
from .._tensor import Tensor, _INTERNAL_OVERLAP, _LEAF_INPLACE
from .._type_promotion import COMPLEX, FLOAT, NUMBERS, category, scalar_category
from .._user_warnings import warn_from_user_code
from .._written_call import in_written_order
from ._arguments import (
    NO_ROUNDING_MODE, check_bound, check_lerp_arguments, check_masked_fill_arguments, check_masked_fill_value_and_mask,
    clamp_bounds, check_uniform_bounds, division_operand,
)
from .._ops._util import broadcast_error, raise_if_not_broadcastable


def _view_inplace_message(view, view_name=None):
    """PyTorch's error for an in-place op on ``view``; ``view_name``: the node of the view of ``view`` that an
    indexed assignment writes through (its output 0)."""
    node = view._grad_fn
    if view_name is not None:
        name, output_nr = re.sub(r"Backward\d*$", "", view_name), 0
    else:
        name, output_nr = (None if node is None else short_name(node)), view._view_output_nr
    return view_refusal(view._view_creation, name, output_nr, indirect=False)


def _carry_retained(tensor, old):
    """After an in-place op gave ``tensor`` a new grad_fn (the old one ``old``): a retain_grad() asked of it moves
    along, as in PyTorch, and ``.grad`` then holds the gradient of its new value."""
    if old is not None and old._retained is not None and old._retained() is tensor and tensor._grad_fn is not old:
        if tensor._grad_fn is not None:
            tensor._grad_fn._retained = old._retained
        old._retained = None


def _has_internal_overlap(array):
    """PyTorch's quick overlap check: a dim of stride 0 holding more than one element (as expand makes); an empty
    array holds none."""
    return array.size > 0 and any(stride == 0 and n > 1 for n, stride in zip(array.shape, array.strides))


def _writable_alias(array):
    """A writable array over the memory of ``array`` (its shape and strides), made from the array that owns the
    memory: NumPy refuses to make writable a view whose bases pass through as_strided's helper object."""
    owner = array
    while getattr(owner, "base", None) is not None:
        owner = owner.base
    if not (isinstance(owner, np.ndarray) and owner.flags.writeable):
        raise ValueError("assignment destination is read-only")
    offset = array.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
    return np.ndarray(array.shape, array.dtype, buffer=owner, offset=offset, strides=array.strides)


def _rshift_operand(tensor, number):
    """The number shifted in ``number << tensor``, in the dtype a Python scalar promotes to with ``tensor``."""
    if not isinstance(number, NUMBERS):
        return NotImplemented
    dtype = tensor._data.dtype
    if scalar_category(number) > category(dtype):
        dtype = _number_result_dtype(dtype, number)
    try:
        return Tensor._wrap(np.asarray(number, dtype))
    except OverflowError:
        return Tensor._wrap(np.asarray(_dtype.wrap_int(number, dtype), dtype))


def _check_broadcast_together(*operands):
    """PyTorch's error where the shapes of ``operands`` (tensors; numbers are left out) do not broadcast
    together, found as its iterator finds it: each shape against those before it, broadcast."""
    shape = None
    for operand in operands:
        if not isinstance(operand, Tensor):
            continue
        if shape is not None and operand._data.shape != shape:
            error = broadcast_error(shape, operand._data.shape)
            if error is not None:
                raise error
            shape = np.broadcast_shapes(shape, operand._data.shape)
        elif shape is None:
            shape = operand._data.shape



def _number_result_dtype(np_dtype, number):
    """The dtype of an op of a tensor of ``np_dtype`` and a Python number of a higher category: the default float
    dtype for a float, int64 for an int, for a complex one the complex dtype of a float tensor's precision (else
    the default float dtype's)."""
    number_category = scalar_category(number)
    if number_category == FLOAT:
        return _dtype.get_default_dtype().numpy
    if number_category != COMPLEX:
        return np.dtype(np.int64)
    if np_dtype.kind == "f":
        return np.result_type(np_dtype, np.complex64)
    return _dtype.get_default_dtype().to_complex().numpy


def _augmented_assignment(in_place):
    """``x op= y`` as PyTorch's: the in-place method ``in_place`` (so x keeps its tensor and dtype, where Python's
    fallback ``x = x op y`` would rebind it), whose TypeError becomes NotImplemented: Python then tries ``x op y``
    and names the operand types it cannot combine."""
    def method(self, other):
        try:
            return getattr(self, in_place)(other)
        except TypeError:
            return NotImplemented

    return method


# The ops PyTorch lets write into expanded memory with a deprecation warning: the indexing its warning names, the
# line of its source
_EXPANDED_WRITES = {"masked_fill_": ("tensor[mask] = scalar", 2450), "index_fill_": ("tensor[mask] = scalar", 1913),
                    "index_put_": ("tensor[indices] = tensor", 976)}


def _transforms():
    """torch.func's transforms module (imported on first use: it imports tensors)."""
    from ..func import _transforms as module

    return module


# In-place add_ / sub_ / mul_ / div_ by a tensor operand written straight into self (see _written_directly)
_DIRECT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class InPlaceMethods:
    def _check_inplace(self, key=None):
        """PyTorch's refusal to overwrite, while recording, a leaf that requires grad or a view of one, or an output
        of split/chunk/unbind (or a view of one). ``key``: the op writes ``self[key]`` (its view, for a basic key)."""
        if not grad_mode.state.enabled:
            return
        if self._view_creation is not None:
            view_name = None
            if key is not None and indexing.is_basic_key(key) and self._requires_grad:
                view_name = indexing._basic_index_name(key, self._data.shape)
            raise RuntimeError(_view_inplace_message(self, view_name))
        if self._grad_fn is None:
            if self._requires_grad:
                raise RuntimeError(self._leaf_inplace_message())
            return
        base = self._view_base
        if base is not None and base._grad_fn is None and self._requires_grad:
            raise RuntimeError("a view of " + _LEAF_INPLACE)

    def _leaf_inplace_message(self):
        """PyTorch's refusal of an in-place op on this leaf requiring grad: worded for a view when it is one (of a
        tensor not requiring grad, whose view then had requires_grad_() called on it: x = t.reshape(2, 3))."""
        return ("a view of " if self._view_base is not None else "") + _LEAF_INPLACE

    def _shared_memory(self):
        """For a recorded in-place op on a tensor sharing its memory (a view, or a base with live views): that memory,
        ``self._data`` becoming a private copy for the op to read (what the op saves must not be overwritten);
        None otherwise. The caller puts the memory back once the op is computed."""
        if self._view_base is None and not self._aliased and not self._live_views():
            return None
        memory = self._data
        self._data = memory.copy()
        return memory

    def _rebind(self, result, memory=None, fills=False):
        """Make this tensor the result of a recorded in-place op (the graph keeps the old value). ``memory``: from
        _shared_memory, the values are written into it, which its other views see, as the base of a view does
        (through a CopySlices node). ``fills``: the op writes one value wherever it writes (see _writable_data),
        so may go into an expanded view, whose base's gradient PyTorch then refuses (only) in backward."""
        if memory is None:
            old = output_node(self)
            data = result._data
            if data.strides != self._data.strides:  # PyTorch writes into the tensor: its layout stays
                data = _memory_format.preserving(data, self._data)
            self._data, self._grad_fn, self._requires_grad = data, result._grad_fn, result._requires_grad
            _carry_retained(self, old)
            forward_ad.carry_tangent(self, result)
            self._bump_version()
            if result._grad_fn is not None and result._grad_fn._saves_tensors:
                result._grad_fn.rebase_saved_versions(self)
            return self
        base = self._view_base
        positions = None
        overlapping = False
        if base is not None:
            positions = indexing.view_positions(base._data, memory)
            if positions is None:
                overlapping = _has_internal_overlap(memory)
                if overlapping and not self._fill_overlapping(fills):
                    raise RuntimeError(_INTERNAL_OVERLAP)
                positions = indexing.view_positions(base._data, memory, repeats=overlapping)
            if positions is None:
                raise NotImplementedError("in-place operation, while recording gradients, on a view whose elements "
                                          "are not all distinct elements of its base (an expanded or overlapping "
                                          "view, or one of another dtype)")
        self._data = memory
        (self._writable_data(True) if overlapping else memory)[...] = result._data
        old = output_node(self)
        self._grad_fn, self._requires_grad = result._grad_fn, result._requires_grad
        _carry_retained(self, old)
        forward_ad.carry_tangent(self, result)
        if base is not None:
            scattered = indexing.ViewScatter.apply(base, result, positions=positions, overlapping=overlapping)
            old = output_node(base)
            base._grad_fn, base._requires_grad = scattered._grad_fn, scattered._requires_grad
            _carry_retained(base, old)
            if self._tangent_base is None:
                forward_ad.carry_tangent(base, scattered)
        self._bump_version()
        if base is not None:  # (the version at which this view's node was last set: see check_saved_versions)
            self.__dict__["_rebased_at"] = self._counter[0]
        if result._grad_fn is not None and result._grad_fn._saves_tensors:
            result._grad_fn.rebase_saved_versions(self)
            if base is not None:
                result._grad_fn._output_view = weakref.ref(self)
        if base is None:
            base = self
        if forward_ad.state.level is not None:
            self._update_view_tangents(base)
        if base._requires_grad:  # every view of the base, this one too, re-reads its values from it
            for view in base._live_views():
                # (a view whose node PyTorch does not rewrite refuses its later use instead: see _view_checks)
                if view is self or (view._requires_grad and view._view_creation is None):
                    # repeats: an expanded or unfolded view re-reads an element of the base in several places
                    view_positions = positions if view is self else \
                        indexing.view_positions(base._data, view._data, repeats=True)
                    if view_positions is None:
                        continue
                    gathered = indexing.ViewGather.apply(base, positions=view_positions)
                    old = output_node(view)
                    view._grad_fn, view._requires_grad = gathered._grad_fn, True
                    _carry_retained(view, old)
        return self

    def _update_view_tangents(self, base):
        """After this in-place op on ``base`` or a view of it, within a forward AD level: the tangents of the tensors
        sharing its memory, as PyTorch's, whose tangent of a view is a view of its base's. The base of a tangent is
        the view base, or the dual tensor the view was made from (make_dual's result owns its tangent: a view for
        values, not for tangents): that base's tangent gets this tensor's over its elements, and each other view
        of it re-reads its own from it."""
        def tangent_base_of(tensor):
            return base if tensor._tangent_base is None else tensor._tangent_base

        tangent_base = tangent_base_of(self)
        tangent = forward_ad.tangent_array(self)
        if tangent_base is not self and tangent_base is not base and tangent is not None:
            positions = indexing.view_positions(tangent_base._data, self._data, repeats=True)
            if positions is not None:
                written = forward_ad.tangent_array(tangent_base)
                written = np.zeros_like(tangent_base._data) if written is None else written.copy()
                written.reshape(-1)[positions] = tangent
                forward_ad.set_tangent(tangent_base, written)
        base_tangent = forward_ad.tangent_array(tangent_base)
        if base_tangent is None:
            return
        for view in base._live_views():
            if view is not self and view is not tangent_base and tangent_base_of(view) is tangent_base:
                positions = indexing.view_positions(tangent_base._data, view._data, repeats=True)
                if positions is not None:
                    forward_ad.set_tangent(view, base_tangent.reshape(-1)[positions])

    def _writable_data(self, fills=False, target=None):
        """Called as NumPy refuses a write into ``self._data`` (``target``, part of it, if given): PyTorch's error
        where the memory written holds one element in several places, unless the op only ``fills`` it with one
        value (True), or is one PyTorch lets write there with a warning (its name, or the names of those that warn
        in turn, as index_put_ and masked_fill_: see _EXPANDED_WRITES); else a writable view of the
        memory (an expanded array is read-only in NumPy, and PyTorch writes through such views). Another ValueError
        than read-only memory is raised again."""
        data = self._data
        if data.flags.writeable:
            raise  # noqa: PLE0704 - the caller's ValueError, which has another cause
        if _has_internal_overlap(data if target is None else target) and not self._fill_overlapping(fills):
            raise RuntimeError(_INTERNAL_OVERLAP) from None
        writable = data.view()
        try:
            writable.flags.writeable = True
        except ValueError:  # a strided view NumPy built over a helper object (an expand keeping size-1 dims)
            writable = _writable_alias(data)
        return writable

    @staticmethod
    def _fill_overlapping(fills):
        """Whether an op that ``fills`` (see _writable_data) may write into memory holding an element in several
        places, with PyTorch's warning for those it deprecates that for."""
        for op in (fills,) if isinstance(fills, str) else fills if isinstance(fills, tuple) else ():
            example, line = _EXPANDED_WRITES[op]
            warn_from_user_code(f"Use of {op} on expanded tensors is deprecated. Please clone() the tensor before "
                                f"performing this operation. This also applies to advanced indexing e.g. {example} "
                                f"(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
                                f"TensorAdvancedIndexing.cpp:{line}.)")
        return bool(fills)

    def _inplace(self, compute, other=None, cpp_type_names=False, fills=False, operand=False, overlap=None, name=None):
        """Apply ``compute`` (tensor -> tensor) in place: recorded when gradients flow, plain otherwise.
        ``other``: an operand (or a list of them) whose requiring grad makes the op recorded. ``cpp_type_names``:
        PyTorch's cast error names the tensor's C++ element type (``long int``). ``fills``: see _writable_data.
        ``operand``: ``other`` is the second operand of an elementwise op, whose broadcast shape PyTorch checks
        against ``self`` before it computes anything (so before a division by zero); "dtype": its promoted dtype
        too (an op whose kernel refuses floats, where PyTorch names the cast it cannot make); "float": that of an
        op computing integers as the default float dtype (atan2, copysign, xlogy). ``overlap``: "partial" or "any",
        the overlap of self's memory with the tensors in ``other`` that PyTorch refuses (see _check_overlap); by
        default "partial" for an ``operand`` op, none for the others; False: none. ``name``: the op's, for vmap's
        refusal of batched operands written into an unbatched self."""
        if grad_mode.state.transform_epoch:
            _transforms().refuse_mutating_captured(self, other)
        if overlap is None and operand:
            overlap = "partial"
        others = other if isinstance(other, (list, tuple)) else (other,)
        if forward_ad.state.vmap_levels and name is not None:
            forward_ad.refuse_writing_batched(self, others, name)
        recorded = records(self, *[o for o in others if isinstance(o, Tensor)])
        memory = None
        if recorded:
            if operand and not isinstance(other, (Tensor, NUMBERS)):
                compute(self)  # (raises the parser's TypeError, which comes before the leaf check)
            self._check_inplace()
        if overlap:
            self._check_overlap(*others, overlap=overlap)
        if operand:
            self._check_inplace_operand(other, cpp_type_names, operand in ("dtype", "float") and operand)
        if recorded:
            memory = self._shared_memory()
            try:
                result = compute(self)
            finally:
                if memory is not None:
                    self._data = memory
        else:
            with grad_mode.no_grad():
                result = compute(Tensor._wrap(self._data))
        out = result._data
        if out.shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                               f"{list(np.broadcast_shapes(self._data.shape, out.shape))}")
        if out.dtype != self._data.dtype and not _dtype.can_cast(out.dtype, self._data.dtype):
            target = _dtype.CPP_TYPE_NAMES[self._data.dtype.name] if cpp_type_names else self.dtype.scalar_name
            raise RuntimeError(f"result type {_dtype.from_numpy_dtype(out.dtype).scalar_name} can't be cast "
                               f"to the desired output type {target}")
        if recorded:
            return self._rebind(result._cast(self._data.dtype), memory, fills)
        try:
            self._data[...] = out
        except ValueError:
            self._writable_data(fills)[...] = out
        self._bump_version()
        return self

    def _written_directly(self, ufunc, other):
        """Whether ``ufunc(self, other)`` (add, subtract, multiply, true divide) could be, and was, written straight
        into self's memory, as PyTorch's kernel writes it: ``other`` a tensor of self's dtype, float32 or float64,
        broadcast to self's shape; self a writable, C-contiguous plain tensor (no subclass); no gradient, tangent
        or transform in play. The same bits as the out-of-place op copied into self (the general path), without its
        result's allocation and copy (measured: 2.4 rather than 5.7 us on 10 elements, 0.5 rather than 1.2 ms on
        1.6M float32)."""
        data = self._data
        if (other.__class__ is not Tensor or self.__class__ is not Tensor or data.dtype not in _DIRECT_DTYPES
                or other._data.dtype != data.dtype):
            return False
        if observed(self, other) or not (data.flags.c_contiguous and data.flags.writeable):
            return False
        operand = other._data
        if operand.shape != data.shape:  # (broadcast to self's shape, or left to the general path's errors)
            extra = data.ndim - operand.ndim
            if extra < 0 or any(n != 1 and n != m for n, m in zip(operand.shape, data.shape[extra:])):
                return False
        if operand is not data and np.may_share_memory(data, operand):  # (the general path's overlap checks)
            return False
        with np.errstate(all="ignore"):  # (inf and NaN silently, as PyTorch)
            ufunc(data, operand, out=data)
        self._bump_version()
        return True

    def _added_directly(self, other, alpha, subtract):
        """``add_(other, alpha=alpha)`` (``sub_``) for a float ``alpha``, as the general path computes it (the
        fused multiply-add of arithmetic._sum_or_difference) and copies it into self, where _written_directly's
        conditions hold and ``other`` has self's shape: without the general path's checks and nodes, none of which
        can then refuse or record anything (an optimizer's step, 1024 floats: 18 -> 8 us)."""
        data = self._data
        if (other.__class__ is not Tensor or self.__class__ is not Tensor or data.dtype not in _DIRECT_DTYPES
                or other._data.dtype != data.dtype or other._data.shape != data.shape):
            return False
        limit = _dtype.FLOAT_MAX[data.dtype]  # (beyond it, or NaN: the general path's checks)
        if not -limit <= alpha <= limit or observed(self, other) or not (data.flags.c_contiguous
                                                                         and data.flags.writeable):
            return False
        operand = other._data
        if operand is not data and np.may_share_memory(data, operand):  # (the general path's overlap checks)
            return False
        with np.errstate(all="ignore"):  # (inf and NaN silently, as PyTorch)
            data[...] = arithmetic._sum_or_difference(data, operand, alpha, subtract)
        self._bump_version()
        return True

    def _scaled_directly(self, number):
        """``mul_(number)`` of a float ``number`` or int one, as the general path computes it (times the number
        as a 0-d array of self's dtype: see Tensor._operands), written straight into self's memory where
        _written_directly's conditions hold (momentum's buf.mul_(0.9), 1024 floats: 9 -> 3 us)."""
        data = self._data
        if self.__class__ is not Tensor or data.dtype not in _DIRECT_DTYPES:
            return False
        limit = _dtype.FLOAT_MAX[data.dtype]  # (beyond it, or NaN: the general path's checks)
        if not (-limit <= number <= limit and (number.__class__ is float or -2 ** 63 <= number < 2 ** 64)):
            return False
        if observed(self) or not (data.flags.c_contiguous and data.flags.writeable):
            return False
        with np.errstate(all="ignore"):  # (inf and NaN silently, as PyTorch)
            np.multiply(data, np.asarray(number, data.dtype), out=data)
        self._bump_version()
        return True

    def _check_leaf_first(self, other):
        """Where the in-place op writing ``other`` into self fails its own checks: PyTorch's refusal to write
        into a leaf requiring grad (or a view of one) while recording, which comes before them."""
        if records(self, other) if isinstance(other, Tensor) else records(self):
            self._check_inplace()

    def _check_overlap(self, *inputs, overlap="partial"):
        """PyTorch's refusal of an input (among ``inputs``, tensors or not) that shares memory with self: only
        partly for an elementwise op (``overlap="partial"``), at all for one writing by index (``"any"``)."""
        check = _memory_overlap.assert_no_overlap if overlap == "any" else _memory_overlap.assert_no_partial_overlap
        for tensor in inputs:
            if isinstance(tensor, Tensor):
                check(self._data, tensor._data)

    def _check_inplace_operand(self, other, cpp_type_names=False, check_dtype=False):
        if isinstance(other, Tensor) and other._data.shape == self._data.shape and \
                other._data.dtype == self._data.dtype:  # the optimizers' case, kept cheap
            return
        shape = self._data.shape
        if isinstance(other, Tensor) and other._data.shape != shape:
            raise_if_not_broadcastable(self, other)
            broadcast = np.broadcast_shapes(shape, other._data.shape)
            if broadcast != shape:
                raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                                   f"{list(broadcast)}")
        if not check_dtype:
            return
        if isinstance(other, Tensor):
            common = self._common_with_tensor(other)
            # (a complex 0-d tensor beside float16 ones: PyTorch's complex32, which torchless computes in complex64)
            complex_half = other._data.dtype.kind == "c" and other._data.ndim == 0 < self._data.ndim
        elif isinstance(other, NUMBERS) and scalar_category(other) > category(self._data.dtype):
            common = _number_result_dtype(self._data.dtype, other)
            complex_half = scalar_category(other) == COMPLEX
        else:
            return
        if check_dtype == "float" and common.kind not in "fc":  # (an op computing integers as floats)
            common = _dtype.get_default_dtype().numpy
        if not _dtype.can_cast(common, self._data.dtype):
            target = _dtype.CPP_TYPE_NAMES[self._data.dtype.name] if cpp_type_names else self.dtype.scalar_name
            result = "ComplexHalf" if complex_half and self._data.dtype == np.float16 else \
                _dtype.from_numpy_dtype(common).scalar_name
            raise RuntimeError(f"result type {result} can't be cast to the desired output type {target}")

    def _refused_inplace_call(self, name, operand, args, kwargs, argument="other", **keywords):
        """A call of the in-place binary method ``name``_ given arguments past its operand (``args``) or keywords
        it has no parameter for (``kwargs``; ``keywords``: its own, NOT_GIVEN where left out), as PyTorch's parser
        takes it: its TypeError under the in-place name, or the call with NumPy's name for the operand read."""
        given = {key: value for key, value in keywords.items() if value is not NOT_GIVEN}
        given.update(kwargs)
        arguments = _parser_errors.refused_operand_call(name, operand, args, in_written_order(given), argument)
        return getattr(self, f"{name}_")(arguments.pop(argument), **arguments)

    # (*args, **kwargs: the parser's TypeErrors for arguments these have no parameter for, as the methods')
    def add_(self, other=NOT_GIVEN, *args, alpha=NOT_GIVEN, **kwargs):
        if args or kwargs:
            return self._refused_inplace_call("add", other, args, kwargs, alpha=alpha)
        if alpha is NOT_GIVEN and self._written_directly(np.add, other):
            return self
        if alpha.__class__ is float and self._added_directly(other, alpha, False):
            return self
        return self._inplace(lambda t: t.add(other, alpha=alpha), other, operand="dtype", name="add_")

    def sub_(self, other=NOT_GIVEN, *args, alpha=NOT_GIVEN, **kwargs):
        if args or kwargs:
            return self._refused_inplace_call("sub", other, args, kwargs, alpha=alpha)
        if alpha is NOT_GIVEN and self._written_directly(np.subtract, other):
            return self
        if alpha.__class__ is float and self._added_directly(other, alpha, True):
            return self
        if isinstance(other, (Tensor, NUMBERS)):
            try:
                self._check_bool_sub(other)  # before the shapes, as PyTorch
            except RuntimeError:
                self._check_leaf_first(other)
                raise
        return self._inplace(lambda t: t.sub(other, alpha=alpha), other, operand="dtype", name="sub_")

    def mul_(self, other=NOT_GIVEN, *args, **kwargs):
        if args or kwargs:
            return self._refused_inplace_call("mul", other, args, kwargs)
        if self._written_directly(np.multiply, other):
            return self
        if (other.__class__ is float or other.__class__ is int) and self._scaled_directly(other):
            return self
        if other.__class__ is np.ndarray:  # (which the operator below takes, as PyTorch's does, and its parser not)
            try:
                self.mul(other)
            except TypeError as error:
                raise _parser_errors.in_place_named("mul", error) from None
        try:
            return self._inplace(lambda t: t * other, other, operand="dtype", name="mul_")
        except TypeError:  # (an operand that is no tensor or number: the parser's error, not Python's)
            self.mul(other)
            raise

    def div_(self, other=NOT_GIVEN, *args, rounding_mode=NO_ROUNDING_MODE, **kwargs):
        if args or kwargs:
            return self._refused_inplace_call("div", other, args, kwargs, rounding_mode=NOT_GIVEN if rounding_mode
                                              is NO_ROUNDING_MODE else rounding_mode)
        if rounding_mode is NO_ROUNDING_MODE and self._written_directly(np.true_divide, other):
            return self
        return self._inplace(lambda t: t.div(other, rounding_mode=rounding_mode), other,
                             operand=division_operand(rounding_mode), name="div_")

    def pow_(self, exponent=NOT_GIVEN, *args, **kwargs):
        if args or kwargs:
            return self._refused_inplace_call("pow", exponent, args, kwargs, "exponent")
        if isinstance(exponent, (int, np.integer)) and exponent < 0 and self._data.dtype.kind in "biu":  # (before
            # the cast's check)
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        try:
            return self._inplace(lambda t: t.pow(exponent), exponent, operand="dtype", name="pow_")
        except TypeError:  # (as mul_)
            try:
                self.pow(exponent)
            except TypeError as error:
                raise _parser_errors.in_place_named("pow", error) from None
            raise

    def floor_divide_(self, other=NOT_GIVEN, *args, **kwargs):
        if args or kwargs:
            return self._refused_inplace_call("floor_divide", other, args, kwargs)
        return self._inplace(lambda t: t.floor_divide(other), other, operand="dtype", name="floor_divide_")

    def remainder_(self, other):
        return self._inplace(lambda t: t.remainder(other), other, operand="dtype", name="remainder_")

    def fmod_(self, other):
        return self._inplace(lambda t: t.fmod(other), other, operand="dtype", name="fmod_")

    def clamp_(self, min=None, max=None):
        return self._clamp_inplace(min, max, "clamp_")

    def clip_(self, min=None, max=None):
        return self._clamp_inplace(min, max, "clip_")

    def clamp_min_(self, min):
        check_bound(min, "clamp_min_", "min")
        return self._clamp_inplace(min, None, "clamp_min_")

    def clamp_max_(self, max):
        check_bound(max, "clamp_max_", "max")
        return self._clamp_inplace(None, max, "clamp_max_")

    def _clamp_inplace(self, min, max, name):
        min, max = clamp_bounds(min, max, name)
        node = {"clamp_min_": "ClampMin", "clamp_max_": "ClampMax"}.get(name)
        if node is None and self._data.dtype.kind in "biu" and (isinstance(min, complex) or isinstance(max, complex)):
            # (clamp_ computes in the complex dtype, then cannot write it; clamp_min_ / clamp_max_ refuse it first)
            raise RuntimeError(f"result type {_dtype.get_default_dtype().to_complex().scalar_name} can't be cast to "
                               f"the desired output type {_dtype.CPP_TYPE_NAMES[self._data.dtype.name]}")
        tensor_bounds = [bound for bound in (min, max) if isinstance(bound, Tensor)]
        if forward_ad.state.vmap_levels:
            forward_ad.refuse_writing_batched(self, tensor_bounds, name)
        try:
            self._check_overlap(*tensor_bounds)
        except RuntimeError:  # (after the refusal to write into a leaf requiring grad)
            self._check_leaf_first(tensor_bounds[0])
            raise

        def clamped(tensor):
            if node or tensor._data.dtype.kind != "c":  # (clamp_'s refusal of a complex self comes first)
                for bound in tensor_bounds:  # shapes and the result's cast before the kernel, as PyTorch
                    tensor._check_inplace_operand(bound, check_dtype=True)
            return tensor._clamp(min, max, "clamp", node)

        return self._inplace(clamped, cpp_type_names=not tensor_bounds)

    def relu_(self, *refused, **refused_keywords):
        if refused or refused_keywords:
            raise _parser_errors.no_arguments_error("relu_", refused, refused_keywords)
        data = self._data
        if (self.__class__ is Tensor and data.dtype in _DIRECT_DTYPES and data.flags.c_contiguous
                and data.flags.writeable and not observed(self)):
            unary.Relu.max_zero_in_place(data)  # (as add_'s _written_directly: no result to copy back)
            self._bump_version()
            return self
        return self._inplace(lambda t: t.relu())

    def sqrt_(self):
        return self._inplace(lambda t: t.sqrt())

    def exp_(self):
        return self._inplace(lambda t: t.exp())

    def neg_(self):
        return self._inplace(lambda t: -t)

    def abs_(self):
        self._refuse_complex("In-place abs is not supported for complex tensors.", RuntimeError)
        return self._inplace(lambda t: t.abs())

    def masked_fill_(self, mask, value):
        check_masked_fill_arguments("masked_fill_", mask, value)
        try:
            # PyTorch's kernel checks the value's dims and the mask's dtype, then its broadcast into self
            check_masked_fill_value_and_mask(value, mask)
            self._check_overlap(mask)  # (not the value, which PyTorch reads as a number)
            self._check_inplace_operand(mask)
            if forward_ad.state.vmap_levels:
                forward_ad.refuse_writing_batched(self, (mask,), "masked_fill_ mask")
            return self._inplace(lambda t: t._masked_filled(mask, value), value, fills="masked_fill_",
                                 name="masked_fill_")
        except RuntimeError:  # (all after the refusal to write into a leaf requiring grad)
            self._check_leaf_first(mask)
            raise

    def lerp_(self, end, weight):
        check_lerp_arguments("lerp_", end, weight)
        if end._data.dtype == self._data.dtype:  # (else lerp's own dtype error comes first)
            try:
                _check_broadcast_together(self, end, weight)  # the shapes of all three, as one iterator's
                self._check_inplace_operand(end)  # the shape, before the kernel
                if isinstance(weight, Tensor) and not weight.ndim:
                    self._check_inplace_operand(weight, check_dtype=True)  # (its promotion: the cast comes first)
            except RuntimeError:
                self._check_leaf_first(end)
                raise
        return self._inplace(lambda t: t.lerp(end, weight), [end, weight], overlap="partial", name="lerp_")

    def copy_(self, other=NOT_GIVEN, non_blocking=False, *args, **kwargs):
        if args or kwargs or other is NOT_GIVEN or non_blocking.__class__ is not bool:
            # (the parser's TypeError for the call as written: no other, a non_blocking that is no bool, extras)
            given = (other, non_blocking, *args) if other is not NOT_GIVEN else ()
            other = _parser_errors.method_arguments("copy_", given, kwargs)["other"]  # (or NumPy's x2=)
        src = other
        if not isinstance(src, Tensor):
            if not isinstance(src, NUMBERS):
                raise _parser_errors.not_tensor("copy_", "other", 1, src)
            src = Tensor._wrap(np.asarray(src))
        source = src
        if _has_internal_overlap(self._data):  # (PyTorch's first check, before the shapes')
            self._check_leaf_first(source)
            raise RuntimeError(_INTERNAL_OVERLAP)
        try:
            self._check_overlap(source)
        except RuntimeError:
            self._check_leaf_first(source)
            raise
        if source._data.shape != self._data.shape:
            try:
                raise_if_not_broadcastable(self, source)
            except RuntimeError:
                self._check_leaf_first(source)
                raise
            if np.broadcast_shapes(self._data.shape, source._data.shape) != self._data.shape:
                self._check_leaf_first(source)
                raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                                   f"{list(np.broadcast_shapes(self._data.shape, source._data.shape))}")
        if grad_mode.state.transform_epoch:
            _transforms().refuse_mutating_captured(self, name="aten::copy_")
        if forward_ad.state.vmap_levels:
            forward_ad.refuse_writing_batched(self, (source,), "copy_")
        if records(self, source):
            return self._record_copy(source)
        return self._write_untracked(_dtype.cast_source(source._data, self._data.dtype))

    def _record_copy(self, source, node_name=inplace.Copy.COPY_NAME):
        """copy_ of ``source`` (of a shape broadcasting to self's) recorded as the node ``node_name``."""
        self._check_inplace()
        memory = self._shared_memory()
        try:
            result = inplace.Copy.apply(self, source, node_name=node_name)
        finally:
            if memory is not None:
                self._data = memory
        return self._rebind(result, memory)

    def _write_untracked(self, values):
        """Write ``values`` over every element and count the version, recording no node (for copy_ outside the
        graph, and the ops PyTorch records none for in place: the logical ones, ...)."""
        try:
            self._data[...] = values
        except ValueError:
            self._writable_data()[...] = values
        self._bump_version()
        return self

    def _overwrite(self, values, kind, other=None):
        """Replace every value; recorded as a node passing no gradient back when self is in the graph. ``other``:
        a tensor operand the values were computed from (eq_'s), which gets a zero gradient too."""
        if grad_mode.state.transform_epoch:
            _transforms().refuse_mutating_captured(self, other)
        if records(self) if other is None else records(self, other):
            self._check_inplace()
            memory = self._shared_memory()
            try:
                result = inplace.Overwrite.apply(self, values=values, kind=kind) if other is None else \
                    inplace.Compared.apply(self, other, values=values, kind=kind)
            finally:
                if memory is not None:
                    self._data = memory
            return self._rebind(result, memory, fills=np.ndim(values) == 0)
        try:
            self._data[...] = values
        except ValueError:  # a value filled in (zero_, fill_) may go where elements share memory, random ones not
            self._writable_data(fills=np.ndim(values) == 0)[...] = values
        self._bump_version()
        return self

    def zero_(self):
        return self._overwrite(0, "ZeroBackward0")

    def fill_(self, value=NOT_GIVEN, *args, **kwargs):
        if args or kwargs:  # (the parser's TypeError, computed only here: no wrapper on the common call)
            _refused_fill(value, args, kwargs)
        if grad_mode.state.transform_epoch:
            _transforms().refuse_mutating_captured(self, value, name="aten::fill_." + (
                "Tensor" if isinstance(value, Tensor) else "Scalar"))
        if isinstance(value, Tensor):
            if forward_ad.state.vmap_levels:
                forward_ad.refuse_writing_batched(self, (value,), "fill_")
            if value._data.ndim:
                self._check_leaf_first(value)
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value._data.ndim} dimensions.")
            if _has_internal_overlap(self._data):  # (PyTorch's fill_ by a tensor is its copy_, which refuses an
                return self.copy_(value)  # expanded self)
            if records(self, value):  # (its node, on self and the value, passes the value the sum of the gradient)
                return self._record_copy(value, "FillBackward3")
            value = value._data
        else:  # (PyTorch writes a single element without its range check for half)
            if not _parser_errors.is_operand(value):  # (a NumPy array, even 0-d, is no Number; or none given)
                _refused_fill(value, args, kwargs)
            value = _dtype.fill_value(value, self._data.dtype, check_half=self._data.size != 1)
        return self._overwrite(value, "FillBackward2")

    def _check_random_fill(self, kernel):  # (also nn.init's)
        """PyTorch's checks, before its random ``kernel`` draws anything into this tensor: the kernel's dtype
        dispatch, then memory holding no element in several places."""
        if self._data.size:  # PyTorch's random kernels, and their dtype dispatch, do not run on an empty tensor
            self._no_kernel_for("biu", kernel)
        self._refuse_internal_overlap()

    def _refuse_internal_overlap(self):
        """PyTorch's error for an op writing values into memory holding an element in several places (an expanded
        tensor), raised before the op computes (or draws) anything."""
        if _has_internal_overlap(self._data):
            raise RuntimeError(_INTERNAL_OVERLAP)

    def _no_kernel_for(self, kinds, kernel):
        """PyTorch's error for a dtype its ``kernel`` has no version for (NumPy kinds ``kinds``, "U" standing for
        uint16, uint32 and uint64 but not uint8)."""
        kind = self._data.dtype.kind
        if kind in kinds or kind == "u" and "U" in kinds and self._data.dtype.itemsize > 1:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{self.dtype.scalar_name}'")

    def _refuse_complex(self, message, error=NotImplementedError):
        """PyTorch's refusal (``error(message)``) of a complex tensor by an op it defines for real numbers only."""
        if self._data.dtype.kind == "c":
            raise error(message)

    def uniform_(self, *bounds, generator=None, **named):
        """Fill with draws from [from, to) (``uniform_(from=0, to=1)``), in memory order as PyTorch's kernel."""
        from ..random import draw_like, draw_values, stream

        if named or generator is not None or len(bounds) > 2 or not all(type(b) in (float, int) for b in bounds):
            parsed = _parser_errors.parse("uniform_", ("float from=0, float to=1, *, Generator? generator=None",),
                                          bounds, {**named, "generator": generator})
            bounds, generator = (parsed["from"], parsed["to"]), parsed["generator"]
        a, b = bounds + (0.0, 1.0)[len(bounds):]
        self._no_kernel_for("biu", "check_uniform_bounds")  # (dispatched on the dtype before the kernel, empty or not)
        check_uniform_bounds(a, b, self._data.dtype)
        self._refuse_internal_overlap()
        draws = stream(generator)
        values = draw_like(self._data, lambda shape: draw_values(draws.uniform, shape, self._data.dtype, a, b))
        return self._overwrite(values, "UniformBackward0")

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from ..random import normal_like

        # (a list, a bool tensor, a generator that is none: refused by the parser)
        if type(mean) not in (float, int) or type(std) not in (float, int) or generator is not None:
            parsed = _parser_errors.parse("normal_", _parser_errors.PARSED_ON_FAILURE["normal_"][0], (mean, std),
                                          {"generator": generator})
            mean, std, generator = parsed["mean"], parsed["std"], parsed["generator"]
        if not std >= 0:  # (NaN too) :g prints a double as C++ streams do (-0.57735, 123457, 1e-07)
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        self._check_random_fill("normal_kernel_cpu")
        return self._overwrite(normal_like(self, mean, std, generator), "NormalBackward0")

    def bernoulli_(self, p=0.5, *, generator=None):
        from ..random import bernoulli_

        return bernoulli_(self, p, generator=generator)

    __iadd__ = _augmented_assignment("add_")
    __isub__ = _augmented_assignment("sub_")
    __imul__ = _augmented_assignment("mul_")
    __ifloordiv__ = _augmented_assignment("floor_divide_")
    __imod__ = _augmented_assignment("remainder_")
    __ipow__ = _augmented_assignment("pow_")
    __iand__ = _augmented_assignment("bitwise_and_")
    __ior__ = _augmented_assignment("bitwise_or_")
    __ixor__ = _augmented_assignment("bitwise_xor_")
    __ilshift__ = _augmented_assignment("bitwise_left_shift_")
    __irshift__ = _augmented_assignment("bitwise_right_shift_")
    __itruediv__ = _augmented_assignment("div_")
    __idiv__ = __itruediv__

    def __lshift__(self, other):
        if not _parser_errors.is_operand(other):  # Python's "unsupported operand type(s) for <<", as PyTorch's
            return NotImplemented
        return self.bitwise_left_shift(other)

    def __rshift__(self, other):
        if not _parser_errors.is_operand(other):
            return NotImplemented
        return self.bitwise_right_shift(other)

    def __rlshift__(self, other):
        number = _rshift_operand(self, other)
        return number if number is NotImplemented else number.bitwise_left_shift(self)

    def __rrshift__(self, other):
        number = _rshift_operand(self, other)
        return number if number is NotImplemented else number.bitwise_right_shift(self)


_FILL_OVERLOADS = ("Tensor value", "Number value")


def _refused_fill(value, args, kwargs):
    """PyTorch's parser's TypeError for a call of fill_ it cannot take (``value``: NOT_GIVEN when left out)."""
    given = args if value is NOT_GIVEN else (value, *args)
    _parser_errors.parse("fill_", _FILL_OVERLOADS, given, kwargs)
    raise _parser_errors.invalid_combination("fill_", _FILL_OVERLOADS, given)
