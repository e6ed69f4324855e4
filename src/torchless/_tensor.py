"""The Tensor: a NumPy array plus what autograd needs (requires_grad, grad, grad_fn)."""
import copy
import inspect
import math
import numbers
import operator
import os
import re
import sys
import warnings
import weakref

import numpy as np

from . import _dtype, _memory_format, _parser_errors
from ._kernels import std_sort
from ._ops import arithmetic, indexing, inplace, reduction, shape as shape_ops, unary
from ._ops._util import (INT64, broadcast_error, check_int64, every_dim_if_empty, is_index_argument, is_int_argument,
                        list_elements, normalize_dim, normalize_dims, scan_axis)
from ._size import Size
from .autograd import grad_mode
from .autograd.graph import records, root_gradient, run_backward

_mode_state = grad_mode.state  # per-thread grad and inference modes, read as tensors are made
_INFERENCE_INPLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to "
                      "get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for "
                      "more details.")

_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
_EVERY_DIM = object()  # squeeze's default: PyTorch refuses an explicit dim=None
_NO_ROUNDING_MODE = object()  # div's default: an explicit rounding_mode=None is another overload (DivBackward2)
_INTERNAL_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
                     "location. Please clone() the tensor before performing the operation.")


# How PyTorch explains its refusal to record an in-place op on a view, by how the view was made (see
# Tensor._view_creation)
_VIEW_INPLACE_REASONS = {
    "no_grad": "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
               "moving both the view and the inplace either both inside the no_grad block (if you don't want the "
               "inplace to be tracked) or both outside (if you want the inplace to be tracked).",
    "multi_output": "This view is the output of a function that returns multiple views. Such functions do not allow "
                    "the output views to be modified inplace. You should replace the inplace operation by an "
                    "out-of-place one.",
    "custom_function": "This view was created inside a custom Function (or because an input was returned as-is) and "
                       "the autograd logic to handle view+inplace would override the custom backward associated with "
                       "the custom Function, leading to incorrect gradients. This behavior is forbidden. You can fix "
                       "this by cloning the output of the custom Function.",
}


def _multi_output_views(pieces):
    """The pieces of split/chunk/unbind as a tuple, each marked as such when made with grad mode on."""
    if grad_mode.state.enabled and not _mode_state.inference:
        for index, piece in enumerate(pieces):
            piece._view_creation, piece._view_output_nr = "multi_output", index
    return tuple(pieces)


def _view_inplace_message(view, view_name=None):
    """PyTorch's error for an in-place op on ``view``; ``view_name``: the node of the view of ``view`` that an
    indexed assignment writes through (its output 0)."""
    node = view.grad_fn
    if node is None:
        head = "A view was created in no_grad mode and is being modified inplace with grad mode enabled."
    else:
        name = re.sub(r"Backward\d*$", "", view_name or node.name())
        head = f"Output {0 if view_name else view._view_output_nr} of {name} is a view and is being modified inplace."
    return f"{head} {_VIEW_INPLACE_REASONS[view._view_creation]}"


def _carry_retained(tensor, old):
    """After an in-place op gave ``tensor`` a new grad_fn (the old one ``old``): a retain_grad() asked of it moves
    along, as in PyTorch, and ``.grad`` then holds the gradient of its new value."""
    if old is not None and old._retained is not None and old._retained() is tensor and tensor.grad_fn is not old:
        if tensor.grad_fn is not None:
            tensor.grad_fn._retained = old._retained
        old._retained = None


def _has_internal_overlap(array):
    """PyTorch's quick overlap check: a dim of stride 0 holding more than one element (as expand makes)."""
    return any(stride == 0 and n > 1 for n, stride in zip(array.shape, array.strides))
_DETACH_VIEW_INPLACE = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for training, "
    "and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() cannot be "
    "called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
    "torch/optim/optimizer.py as the solution."
)
_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, "
    "use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
    "the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information. (Triggered internally "
    "at /__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:493.)"  # ATen's source location, as PyTorch's
)
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


def _category(np_dtype):
    kind = np_dtype.kind
    return _FLOAT if kind == "f" else _BOOL if kind == "b" else _COMPLEX if kind == "c" else _INT


def _scalar_category(value):
    # (a NumPy bool is no Python bool to PyTorch's parser: it reads it through __float__, as a float)
    return _BOOL if isinstance(value, bool) else _INT if isinstance(value, numbers.Integral) else \
        _FLOAT if isinstance(value, (numbers.Real, np.bool_)) else _COMPLEX


def number_operand(number, np_dtype, value=None):
    """A Python number as an op's operand: a tensor of ``value`` (the number's own by default) as a 0-d array of
    ``np_dtype``, which remembers the number for what the op's node shows of it (PyTorch's wrapped number: int64,
    float64, bool or complex128 as ``_saved_other``, the number itself as ``_saved_exponent``)."""
    operand = Tensor._wrap(np.asarray(number if value is None else value, np_dtype))
    operand._number = number
    return operand


def _promote(a, b):
    """PyTorch's promotion of two NumPy dtypes (e.g. int64 with float32 gives float32, not float64)."""
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        if max(ca, cb) == _COMPLEX and min(ca, cb) == _FLOAT:  # complex64 with float64 gives complex128
            return np.promote_types(a, b)
        return a if ca > cb else b
    return np.promote_types(a, b)


class _ReturnType(tuple):
    """A (values, indices) pair (or other ``_fields``) printed like ``torch.return_types.max(...)``."""

    __slots__ = ()
    _name = "max"
    _fields = ("values", "indices")

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    def __getnewargs__(self):  # pickled as its two tensors
        return tuple(self)

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])

    def __repr__(self):
        fields = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"torchless.return_types.{self._name}(\n{fields})"


def _return_type(name, fields=_ReturnType._fields):
    namespace = {"__slots__": (), "_name": name, "__module__": "torchless.return_types", "_fields": fields}
    if fields != _ReturnType._fields:
        namespace.update({field: property(operator.itemgetter(i)) for i, field in enumerate(fields)})
    return type(name, (_ReturnType,), namespace)


_RETURN_TYPES = {n: _return_type(n) for n in ("max", "min", "sort", "topk", "mode", "median", "kthvalue")}


# The device types PyTorch's parser knows, in the order its error message lists them.
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
                 "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9][0-9]*|0))?")


class device:
    """A device, ``torch.device``: any device PyTorch names can be described (``device('cuda:0')``), but
    torchless computes on the CPU only, so only CPU devices hold tensors (see :func:`_require_cpu`).

    ``device(type)`` with ``type`` like ``'cpu'`` or ``'cuda:1'``, or ``device(type, index)``.
    """

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if isinstance(type, int) and not isinstance(type, bool):
            # PyTorch reads a bare index as one of the current accelerator, which a CPU-only build lacks.
            raise RuntimeError("Device index must not be negative" if type < 0 else
                               "Cannot access accelerator device when none is available.")
        text = str(type)
        if not text:
            raise RuntimeError("Device string must not be empty")
        # a name of letters and underscores, then optionally ':' and an index without leading zeros
        match = _DEVICE_STRING.fullmatch(text)
        if match is None:
            raise RuntimeError(f"Invalid device string: '{text}'")
        name, number = match.groups()
        if name not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device string: "
                               f"{name}")
        if number is not None:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: "
                                   f"{type}")
            index = int(number)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = name, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented  # as PyTorch: a device never equals a string
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return device, (self.type, self.index)


def _require_cpu(where):
    """The CPU ``device`` named by ``where`` (a string or device), or PyTorch's error for a device this
    CPU-only build has no support for (a CUDA device: 'Torch not compiled with CUDA enabled')."""
    target = where if isinstance(where, device) else device(where)
    if target.type == "cpu":
        return target
    if target.type in ("cuda", "xpu"):
        raise AssertionError(f"Torch not compiled with {target.type.upper()} enabled")
    if target.type == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    raise RuntimeError(f"torchless runs on the CPU only; got device '{target}'")


_CPU = device("cpu")


class layout:
    """A tensor memory layout (``torchless.strided``, the only one torchless's tensors have; ``sparse_coo`` is named,
    as scripts compare against it)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torchless.{self.name}"

    def __reduce__(self):
        return self.name  # the module attribute of that name: unpickled as the same object


strided, sparse_coo = layout("strided"), layout("sparse_coo")


class _Omitted:
    """The default of sum's and mean's dim: PyTorch's overload without dim takes no keepdim."""

    def __repr__(self):
        return "None"  # (as the signature shows it)


_DIM_OMITTED = _Omitted()


# What PyTorch's t[key] = value takes for a number: Python's (NumPy's float64 and complex128 subclass them) and
# NumPy's integers; NumPy's other floats and its bool are refused ("can't assign a numpy.float32 to ...").
_ASSIGNABLE_SCALARS = (int, float, complex, np.integer)


def _shape_arg(args, name="size", arg="size", overloads=None, kind="SymInt[]", keywords=None):
    """Sizes given as ints (``view(2, 3)``), as one sequence (``view((2, 3))``) or by keyword (``keywords``:
    ``reshape(shape=(2, 3))``), with PyTorch's TypeErrors (for no sizes at all too: ``reshape()``; ``reshape(())``
    is the 0-d shape). ``overloads``: the schemas of ``name`` when it has more than the one taking ``kind arg``, for
    PyTorch's message listing them; ``kind``: "int[]" for dims (permute's, which read a bool tensor as 1),
    "SymInt[]" for sizes (which refuse it)."""
    if not keywords and args and all(type(a) is int and a in INT64 for a in args):
        return args  # the common case, without the parser (which refuses an int beyond int64)
    return tuple(_parser_errors.parse(name, overloads or (f"{kind} {arg}",), args, keywords)[arg])


def _infer_shape(shape, numel):
    """Resolve one -1 in ``shape``, with PyTorch's errors for impossible shapes."""
    # One pass for the valid shapes of every forward's view(-1, n); the checks below find the error.
    known, unknown = 1, None
    for i, n in enumerate(shape):
        if n >= 0:
            known *= n
        elif n == -1 and unknown is None:
            unknown = i
        else:
            break
    else:
        if unknown is None:
            if known == numel:
                return shape
        elif known and numel % known == 0:
            return shape[:unknown] + (numel // known,) + shape[unknown + 1:]
    unknown = []
    for i, n in enumerate(shape):  # in order, as PyTorch: whichever of the two errors comes first
        if n == -1:
            if unknown:
                raise RuntimeError("only one dimension can be inferred")
            unknown.append(i)
        elif n < -1:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(shape)}")
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    if unknown:
        if known == 0:
            if numel == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                                   "unspecified dimension size -1 can be any value and is ambiguous")
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1 :]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _plain_part(part):
    cls = type(part)
    return cls is int or cls is slice and (part.step is None or type(part.step) is int and part.step > 0)


def _plain_key(key):
    """Whether ``key`` is made only of ints and forward slices (the common t[i], t[:, j], t[a:b]), which need
    none of the conversions below."""
    if type(key) is tuple:
        return all(_plain_part(part) for part in key)
    return _plain_part(key)


_SEQUENCE_AS_TUPLE_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch 2.9; use "
    "x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, x[torch.tensor(seq)], "
    "which will result either in an error or a different result (Triggered internally at "
    "/__w/pytorch/pytorch/torch/csrc/autograd/python_variable_indexing.cpp:{}.)"
)


def _sequence_as_tuple(key):
    """Whether PyTorch reads the list ``key`` of ``t[key]`` as a tuple of indices (NumPy's old rule, kept with a
    deprecation warning): fewer than 32 items, one of them a tensor, a sequence, a slice, Ellipsis or None.
    Warns as PyTorch does, naming the check that matched first."""
    if len(key) >= 32:
        return False
    for item in key:
        if isinstance(item, (Tensor, slice, list, tuple, str, bytes, range, np.ndarray)):
            line = 349
        elif item is None or item is Ellipsis:
            line = 359
        else:
            continue
        warnings.warn(_SEQUENCE_AS_TUPLE_WARNING.format(line), UserWarning, stacklevel=4)
        return True
    return False


_BYTE_INDEX_WARNING = ("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead. "
                       "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/IndexingUtils.h:37.)")
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _warn_from_user_code(message):
    """A UserWarning pointing at the first caller outside torchless (as PyTorch's C++ warnings do)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


_SCALAR_OF_GRAD_TENSOR = ("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                          "Consider using tensor.detach() first. (Triggered internally at /__w/pytorch/pytorch/torch/"
                          "csrc/autograd/generated/python_variable_methods.cpp:822.)")
_scalar_of_grad_tensor_warned = [False]


def _warn_scalar_of_grad_tensor():
    """PyTorch's warning (once per process) for float() of a tensor that requires grad while grad mode is on."""
    if not _scalar_of_grad_tensor_warned[0] and grad_mode.state.enabled:
        _scalar_of_grad_tensor_warned[0] = True
        _warn_from_user_code(_SCALAR_OF_GRAD_TENSOR)


def _fills_through_byte_mask(shape, key):
    """Whether ``t[key] = one value`` is, in PyTorch, a masked_fill_ by a uint8 mask (which it refuses): the
    key's only index tensor is a byte tensor of the shape of the dims it indexes (else index_put_'s own errors
    come first)."""
    parts = key if isinstance(key, tuple) else (key,)
    indices = [part for part in parts if isinstance(part, (list, np.ndarray)) or isinstance(part, Tensor) and (
        part._data.ndim or part._data.dtype.kind not in "iu")]
    if len(indices) != 1 or not isinstance(indices[0], (Tensor, np.ndarray)) or np.asarray(
            indices[0]._data if isinstance(indices[0], Tensor) else indices[0]).dtype != np.uint8:
        return False  # (a NumPy array becomes an index tensor of its dtype: a uint8 one a byte mask too)
    mask = indices[0]._data if isinstance(indices[0], Tensor) else indices[0]
    if not all(part is None or part is Ellipsis or type(part) in (int, slice) or part is indices[0] or
               isinstance(part, Tensor) and not part._data.ndim and part._data.dtype.kind == "i" for part in parts):
        return False
    consumed = sum(part is not None and part is not Ellipsis for part in parts) - 1 + mask.ndim
    position = 0
    for part in parts:
        if part is indices[0]:
            indexed = shape[position:position + mask.ndim]
            if indexed != mask.shape and all(p is Ellipsis or p == slice(None) or p is part for p in parts):
                # (the tensor indexed is self itself here: PyTorch's check, made before any warning, says so)
                j = next(j for j, n in enumerate(mask.shape) if j >= len(indexed) or indexed[j] != n)
                raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not match the shape "
                                 f"of the indexed tensor {list(shape)} at index {position + j}")
            return indexed == mask.shape
        if part is Ellipsis:
            position += len(shape) - consumed
        elif part is not None:
            position += 1
    return False


def _list_index(key):
    """An index array for a list ``key``, as PyTorch's indexing_tensor_from_data makes it: bools stay a mask, any
    other data becomes int64 (floats truncated, an empty list an empty int64 index)."""
    array = np.asarray([k.item() if isinstance(k, Tensor) else k for k in key])
    if array.dtype.kind in "biu" and array.dtype != np.uint64:
        return array
    if array.dtype.kind in "fc" or array.size == 0:
        return array.astype(np.int64)
    raise TypeError(f"new(): invalid data type '{type(np.ravel(array)[0].item()).__name__}'")


# the dtypes of the index tensors NumPy indexes by as PyTorch does (int8 and int16 ones it refuses, uint8 ones are masks)
_INDEX_DTYPES = frozenset(np.dtype(t) for t in (np.int32, np.int64, np.bool_))


def _index_key(key, subscript=False):
    """A NumPy key for ``key``: tensors inside it become arrays (byte tensors masks, as in PyTorch).

    ``subscript``: the key of ``t[key]``, where PyTorch selects with a 0-d integer tensor as with an int (a view)
    and reads a Python bool as a 0-d mask (advanced indexing, a copy), where NumPy would take a bool for an int.
    """
    if isinstance(key, range):  # a sequence, read as a list is
        key = list(key)
    if subscript and type(key) is list and _sequence_as_tuple(key):
        key = tuple(key)
    if isinstance(key, tuple):
        return tuple(_index_key(list(k) if isinstance(k, (tuple, range)) else k,
                                subscript and not isinstance(k, list)) for k in key)
    if subscript and isinstance(key, np.bool_):  # (unlike a Python bool, no 0-d mask: PyTorch names its type)
        from .nn._functional._args import _tp_name

        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                         f"valid indices (got {_tp_name(key)})")
    if subscript and isinstance(key, bool):
        return np.asarray(key)
    if isinstance(key, Tensor):
        kind = key._data.dtype.kind
        if subscript and kind == "i" and not key._data.ndim:
            return int(key._data)
        if kind == "f" or kind == "i" and key._data.dtype.itemsize < 4:  # (int8 and int16 are no index dtypes)
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if key._data.dtype == np.uint8:
            if key._data.ndim:  # (a 0-d one is read as a bool, without the warning)
                _warn_from_user_code(_BYTE_INDEX_WARNING)
            return key._data.astype(bool)
        return key._data
    if isinstance(key, np.ndarray) and key.dtype.kind in "uf":
        # an array becomes an index tensor as data does: uint8 a (deprecated) byte mask, floats truncated (a 0-d
        # one then selecting as an int does)
        if key.dtype == np.uint8:
            if key.ndim:
                _warn_from_user_code(_BYTE_INDEX_WARNING)
            return key.astype(bool)
        return key.astype(np.int64) if key.ndim or not subscript else int(key)
    if isinstance(key, list):
        return _list_index(key)
    if subscript and not isinstance(key, (int, slice, np.ndarray, np.generic, str)) and key is not None and \
            key is not Ellipsis and hasattr(type(key), "__index__"):
        return operator.index(key)  # (any object __index__ converts selects as its int does)
    return key


def _arg_extremum_arguments(name, args, kwargs, input=()):
    """argmax/argmin's (dim, keepdim): plain ones straight through, others through PyTorch's parser."""
    if len(args) <= 2 and (not kwargs or kwargs.keys() <= {"dim", "keepdim"}):
        dim = args[0] if args else kwargs.get("dim")
        keepdim = args[1] if len(args) > 1 else kwargs.get("keepdim", False)
        if (dim is None or type(dim) is int) and type(keepdim) is bool and \
                not (args and "dim" in kwargs or len(args) > 1 and "keepdim" in kwargs):
            return dim, keepdim
    return _parser_errors.arg_extremum_arguments(name, input + args, kwargs, function=bool(input))


_COMPARISON_SYMBOLS = {np.less: "<", np.less_equal: "<=", np.greater: ">", np.greater_equal: ">="}


# The CPU kernels of the ordering comparisons, which name a complex dtype they refuse
_ORDERING_KERNELS = {np.less: "lt_cpu", np.less_equal: "le_cpu", np.greater: "gt_cpu", np.greater_equal: "ge_cpu"}


def _comparison_method(name, ufunc):
    """Tensor.eq, .lt, ...: the comparison of ``ufunc``, refusing an operand that is neither a tensor nor a number
    with PyTorch's parser TypeError."""
    def compare(self, other):
        if not isinstance(other, (Tensor, numbers.Number, np.bool_)):
            raise _parser_errors.invalid_method_other(name, other)
        return self._compare(other, ufunc)

    compare.__name__ = compare.__qualname__ = name
    return compare



def _dtype_cast(dtype, name):
    """Tensor.float() and its kin: ``self.to(dtype)``, into ``memory_format`` when one is given (PyTorch's check
    of it names the method)."""
    def cast(self, memory_format=None):  # (None: not given, PyTorch's preserve_format)
        if memory_format is None:
            return self.to(dtype)
        _refuse_by_position(name, 0)  # (memory_format is keyword-only: checked here, off the common path)
        return self._cast_in_format(dtype, memory_format, name)

    cast.__name__, cast.__qualname__ = name, f"Tensor.{name}"
    cast.__code__ = cast.__code__.replace(co_name=name)  # (how _written_call finds the call)
    return cast


def _refuse_by_position(name, most, least=None):
    """Raise PyTorch's TypeError where the call of the method ``name`` has more than ``most`` arguments by position:
    its later parameters are keyword-only, but taken by position too in torchless, where a keyword-only parameter
    would cost every call (a keyword-only default is a dict look-up), and Python's TypeError would not be PyTorch's.
    Called only where such a parameter is given."""
    error = _parser_errors.too_many_positional(name, most, least)
    if error is not None:
        raise error

class Tensor:
    """A multi-dimensional array of one dtype, with reverse-mode automatic differentiation.

    Create tensors with the factories (``torchless.tensor``, ``torchless.zeros``, ``torchless.rand``,
    ...). ``Tensor(data)`` builds a float tensor from data, ``Tensor(*sizes)`` an uninitialised one.
    """

    # _counter: the version counter ([n]) shared with the tensor's views, made on first need (see _version).
    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_hooks", "_counter", "__weakref__", "__dict__")
    # Above NumPy's own, as PyTorch's is: np.float64(2) * t and np.float32(lr) * t leave it to t.__rmul__ and give
    # a tensor (with its graph), where NumPy would have read t as an array and returned one.
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None):
        if len(args) == 1 and isinstance(args[0], Tensor):
            # PyTorch aliases a tensor given to a legacy constructor, which must be of that constructor's dtype
            source = args[0]._data
            if dtype is not None and source.dtype != dtype.numpy:
                raise TypeError(f"expected {_tensor_options(dtype.numpy)} (got {_tensor_options(source.dtype)})")
            array = source
        elif len(args) == 1 and not isinstance(args[0], numbers.Integral):
            if isinstance(args[0], (numbers.Number, set, frozenset, dict)) or args[0] is None:
                raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
            from ._creation import _infer_array  # data read as torchless.tensor reads it (range checks included)

            # (an array of the dtype already is shared, as PyTorch shares it)
            array = _infer_array(args[0], dtype or _dtype.get_default_dtype(), "tensor")
        else:  # Tensor() is empty, of shape (0,)
            shape = _shape_arg(args) if args else 0
            for n in shape if args else ():
                if n < 0:
                    raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
            array = np.empty(shape, dtype=_dtype.to_numpy_dtype(dtype or _dtype.get_default_dtype()))
        Tensor._init(self, array)

    def _init(self, array, requires_grad=False):
        self._data = array
        self._requires_grad = requires_grad
        self._grad = None
        self.grad_fn = None
        self._hooks = None
        self._counter = None
        if _mode_state.inference:
            self._inference = True

    @classmethod
    def _wrap(cls, array):
        """A new tensor around ``array`` (no copy); arrays NumPy returns as scalars become 0-d arrays."""
        t = object.__new__(cls)
        if not isinstance(array, np.ndarray):
            array = np.asarray(array)
        t._data = array
        t._requires_grad = False
        t._grad = None
        t.grad_fn = None
        t._hooks = None
        t._counter = None
        if _mode_state.inference:
            t._inference = True
        return t

    # ------------------------------------------------------------------ version counter
    # Every in-place op bumps the version; a graph node remembers the versions of the tensors it saved and
    # backward refuses to use a changed one (autograd.graph.SavedVersion). Views share their base's counter,
    # a list [n] made only once a tensor is saved, viewed or changed: most tensors never need one.
    @property
    def _version(self):
        counter = self._counter
        return 0 if counter is None else counter[0]

    @_version.setter
    def _version(self, value):  # the optimizers' ``param._version += 1``
        self._version_counter()[0] = value

    def _version_counter(self):
        counter = self._counter
        if counter is None:
            counter = self._counter = [0]
        return counter

    # Made inside inference_mode() (set on the instance only then): an inference tensor, which outside inference
    # mode cannot be saved for backward (autograd.graph) nor changed in place (_bump_version). Its views and
    # detach() are inference tensors too, a normal tensor's never.
    _inference = False

    def is_inference(self):
        return self._inference

    # A view's base (the tensor whose memory it shares, not itself a view), which a recorded in-place op on the view
    # writes through to (PyTorch's CopySlices); a base's views, whose nodes such an op re-reads from the base: weak
    # references in a plain list, pruned of the dead ones each time it doubles (at _views_prune_at). A WeakSet's
    # Python-level bookkeeping (its constructor, add, a callback as each view dies) cost a batch-1 forward's
    # x.view(-1, n) 2 us, a twentieth of the course CNN's latency.
    _view_base = None
    _views = None
    _views_prune_at = 8
    # Set on a tensor and on what detach() or .data made of it: they share memory untracked by the graph, so a
    # recorded in-place op on either writes its result into that memory (as on a base with views) rather than
    # rebinding the tensor to a new array, which the other would not see (a forward hook's output.detach() then
    # ReLU(inplace=True)).
    _aliased = False

    # How a view was made when PyTorch refuses to record an in-place op on it (see _VIEW_INPLACE_REASONS), and its
    # output number in the op that made it: "no_grad" (grad mode off), "multi_output" (split/chunk/unbind, or a
    # Function with several outputs: they share one gradient), "custom_function" (a view an autograd.Function
    # returned, whose backward an in-place op would bypass). A view of such a view is one too, its output 0.
    _view_creation = None
    _view_output_nr = 0

    def _as_view(self, view):
        """``view``, a tensor sharing this one's memory, marked as its view: one version counter for both."""
        view._counter = self._version_counter()
        if not _mode_state.enabled and not _mode_state.inference:
            view._view_creation = "no_grad"
            if self._requires_grad and view.grad_fn is None:
                # PyTorch's view of a tensor requiring grad requires grad too: ops on it are recorded, but their
                # gradient reaches neither it (a view) nor its base (the view was not recorded)
                view._requires_grad = True
        elif self._view_creation is not None:
            view._view_creation = self._view_creation
        base = self._view_base
        if base is None:
            base = self
        view._view_base = base
        base._add_view(view)
        if view._inference is not self._inference:
            view._inference = self._inference
        return view

    def _add_view(self, view):
        """Remember ``view`` among this base's views (see _views)."""
        refs = self._views
        if refs is None:
            self._views = [weakref.ref(view)]
            return
        if len(refs) >= self._views_prune_at:
            refs[:] = [ref for ref in refs if ref() is not None]
            self._views_prune_at = max(Tensor._views_prune_at, 2 * len(refs))
        refs.append(weakref.ref(view))

    def _live_views(self):
        """This base's views that are still alive."""
        views = [ref() for ref in self._views or ()]
        return [view for view in views if view is not None]

    def _bump_version(self):
        counter = self._counter
        if counter is None:
            self._counter = [1]
        else:
            counter[0] += 1
        if self._inference and not _mode_state.inference and "_detached_inference" not in self.__dict__:
            raise RuntimeError(_INFERENCE_INPLACE)  # PyTorch, too, refuses after writing; it lets detach()'s through

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape as a ``torchless.Size``, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        if dim.__class__ is not int and not is_int_argument(dim):
            raise _parser_errors.wrong_type("size", "dim", 1, dim, "int")
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[normalize_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return _CPU

    is_cuda = False
    is_sparse = False
    is_quantized = False
    layout = strided

    def __reversed__(self):
        # PyTorch's: the tensor flipped along dim 0 (a 0-d tensor itself), not an iterator
        return self if self._data.ndim == 0 else self.flip(0)

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is not None and type(dim) is not int:
            dim = _parser_errors.method_arguments("stride", (dim,))["dim"]
        return strides if dim is None else strides[normalize_dim(dim, self._data.ndim)]

    def is_contiguous(self, *positional, memory_format=_memory_format.contiguous_format):
        """Whether the elements lie in memory densely in ``memory_format``'s order (size-1 dims aside)."""
        if positional:
            _no_positional("is_contiguous", positional)
        if memory_format is _memory_format.contiguous_format:
            return self._data.flags.c_contiguous
        return _memory_format.is_contiguous(self._data, _memory_format.check(memory_format, "is_contiguous"))

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        # PyTorch's attribute refuses any assignment to a computed tensor (requires_grad_(True) lets it pass), and
        # words its dtype error apart from the factories' and Parameter's
        if isinstance(value, (bool, np.bool_)) and value and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype can require gradients")

    def _set_requires_grad(self, value,
                           not_floating="Only Tensors of floating point and complex dtype can require gradients"):
        """Set requires_grad with PyTorch's checks; ``not_floating``: the error for an integer or bool tensor."""
        if not isinstance(value, (bool, np.bool_)):
            raise RuntimeError("requires_grad must be a bool")
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if value and not (self.is_floating_point() or self.is_complex()):
            raise RuntimeError(not_floating)
        if value and self._inference and not _mode_state.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        self._requires_grad = bool(value)

    @property
    def grad(self):
        if self.grad_fn is not None and self.grad_fn._retained is None and self._grad is None:  # (a set one: no)
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        # PyTorch's checks of an assigned gradient: a wrong one would only fail (or silently broadcast) later,
        # inside an optimizer's step.
        if value is not None:
            self._check_assigned_grad(value)
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    def _check_assigned_grad(self, grad):
        if not isinstance(grad, Tensor):
            cls = type(grad)
            name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
            raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {name}")
        if grad is self:
            raise RuntimeError("can't assign Variable as its own grad")
        if grad._data.dtype != self._data.dtype:
            raise RuntimeError(
                f"attempting to assign a gradient with dtype '{_cpp_type_name(grad.dtype)}' to a tensor with "
                f"grad_dtype '{self.dtype.scalar_name}'. The gradient must match the tensor's grad_dtype (defaults "
                "to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None "
                "to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient "
                "may break downstream systems that assume they match.")
        if grad._data.shape != self._data.shape:
            raise RuntimeError(f"attempting to assign a gradient of size '{list(grad.shape)}' to a tensor of size "
                               f"'{list(self.shape)}'. Please ensure that the gradient and the tensor are the same size")

    def requires_grad_(self, requires_grad=True):
        if requires_grad.__class__ is not bool:  # (no NumPy bool either, as PyTorch's parser)
            raise _parser_errors.wrong_type("requires_grad_", "requires_grad", 1, requires_grad, "bool")
        if requires_grad and not (self.is_floating_point() or self.is_complex()):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._set_requires_grad(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def data(self):
        """The same values, detached from the graph (shares memory)."""
        data = Tensor._wrap(self._data)
        self._aliased = data._aliased = True
        return data

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            kind = type(value)
            name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
            raise TypeError(f"Variable data has to be a tensor, but got {name}")
        # a tensor requiring grad must stay floating or complex (Module.type(torch.int64) fails here, as in PyTorch)
        if self._requires_grad and value._data.dtype.kind not in "fc":
            raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex dtype")
        self._data = value._data

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def get_device(self):
        return -1  # PyTorch's answer for a CPU tensor

    @property
    def T(self):
        if self._data.ndim != 2:
            _warn_reversing_t(self._data.ndim)
        return self.permute(tuple(range(self._data.ndim))[::-1])

    @property
    def mT(self):
        return self._matrix_transpose("mT")

    def _matrix_transpose(self, name):
        """mT/mH: the last two dims swapped. PyTorch refuses a 1-D tensor and gives a 0-D one back unchanged."""
        if self._data.ndim == 1:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. Got 1-D tensor.")
        return self.transpose(-2, -1) if self._data.ndim else self

    # ------------------------------------------------------------------ conversion
    @property
    def H(self):
        """The conjugate transpose of a matrix (of a real one, its transpose)."""
        if self._data.ndim in (0, 2):
            return (self.transpose(0, 1) if self._data.ndim == 2 else self).conj()  # (TransposeBackward0)
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self._data.ndim}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if self._data.ndim > 2 else ""))

    @property
    def mH(self):
        return self._matrix_transpose("mH").conj()

    def numpy(self, force=None):
        """The underlying array (shared memory). Refused for a tensor that requires grad, as in PyTorch."""
        if force is not None:  # (None: not given, PyTorch's False)
            _refuse_by_position("numpy", 0)  # (force is keyword-only: checked off the common path)
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None):
        # PyTorch's takes no ``copy``: NumPy 2 then copies as needed itself, with its DeprecationWarning (np.array
        # of a tensor, matplotlib's imshow) or its ValueError (copy=False), as for a torch tensor
        array = self.numpy()  # refused for a tensor that requires grad, as in PyTorch
        if dtype is not None and np.dtype(dtype) != array.dtype:
            return array.astype(dtype)
        return array

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """A NumPy ufunc's result on a tensor (``np.exp(t)``) comes back as a tensor, as PyTorch's does (a bool
        result as uint8, PyTorch's byte tensor)."""
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        return Tensor._wrap(np.asarray(array))

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def as_subclass(self, cls):
        """This tensor as an instance of the Tensor subclass ``cls``, sharing its values; one that requires grad is
        aliased (a view), so that gradients reach this tensor."""
        if not isinstance(cls, type):
            raise TypeError(f"cls must be a type (got {type(cls).__name__})")
        if not issubclass(cls, Tensor):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                            "possible. Make sure your class inherits from Tensor.")
        source = self.view_as(self) if self._requires_grad else self
        out = object.__new__(cls)
        for name in Tensor.__slots__:
            if name not in ("__weakref__", "__dict__") and hasattr(source, name):
                setattr(out, name, getattr(source, name))
        out.__dict__.update(source.__dict__)
        return out

    def detach(self):
        """A tensor sharing this one's values (and version counter: changing it in place invalidates what
        backward saved of this one), outside the graph."""
        detached = Tensor._wrap(self._data)
        detached._counter = self._version_counter()
        self._aliased = detached._aliased = True
        if detached._inference is not self._inference:  # made in inference mode from a normal tensor, or out of it
            detached._inference = self._inference
        if self._inference:
            detached._detached_inference = True
        return detached

    def detach_(self):
        if self._view_base is not None:  # a view's (PyTorch refuses to detach one in place)
            raise RuntimeError(_DETACH_VIEW_INPLACE)
        self.grad_fn = None
        self._requires_grad = False
        return self

    def clone(self, *positional, memory_format=_memory_format.preserve_format):
        """A copy, laid out in ``memory_format`` (by default as this tensor is, if dense)."""
        if positional:
            _no_positional("clone", positional)
        if memory_format is _memory_format.preserve_format or memory_format is None:
            return unary.Clone.apply(self)
        _memory_format.check(memory_format, "clone")
        _memory_format.check_rank(self._data.ndim, memory_format)
        return unary.Clone.apply(self, memory_format=memory_format)

    def contiguous(self, *positional, memory_format=_memory_format.contiguous_format):
        """This tensor if it is contiguous in ``memory_format``, else a copy that is."""
        if positional:
            _no_positional("contiguous", positional)
        if memory_format is _memory_format.contiguous_format:
            return self if self._data.flags.c_contiguous else unary.Clone.apply(self, contiguous=True)
        if _memory_format.is_contiguous(self._data, _memory_format.check(memory_format, "contiguous")):
            return self
        if memory_format is _memory_format.preserve_format:
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        return self.clone(memory_format=memory_format)

    def to(self, *args, **kwargs):
        """Convert dtype (device 'cpu' is accepted and ignored): ``to(dtype)``, ``to('cpu')``, ``to(other)``."""
        leading = _to_leading_arguments(args, kwargs)
        if leading is None:
            from .nn._functional._args import _describe_call

            raise TypeError(f"to() received an invalid combination of arguments - got {_describe_call(args, kwargs)}, "
                            "but expected one of:\n" + "".join(f" * ({overload})\n" for overload in _TO_OVERLOADS))
        copy = args[leading + 1] if len(args) > leading + 1 else kwargs.get("copy", False)
        dtype = kwargs.get("dtype")
        for a in args[:leading] + tuple(v for k, v in kwargs.items() if k == "device"):
            if _dtype.is_argument(a):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device)):
                _require_cpu(a)
            elif type(a) is int:  # an accelerator's index
                raise RuntimeError("Device index must not be negative" if a < 0 else
                                   "Cannot access accelerator device when none is available.")
        if dtype is not None and not isinstance(dtype, _dtype.dtype):  # Python's float, int or bool
            dtype = _dtype.from_numpy_dtype(_dtype.to_numpy_dtype(dtype))
        memory_format = kwargs.get("memory_format")
        if memory_format is not None and memory_format is not _memory_format.preserve_format:
            return self._to_memory_format(dtype, memory_format, copy)
        if dtype is None or dtype.numpy == self._data.dtype:
            return self.clone() if copy else self
        if not (dtype.is_floating_point or dtype.is_complex):  # no gradient flows into integer or bool values
            # nan and inf convert to arbitrary integers, silently as in PyTorch; a complex number converts its real
            # part (bool: its being nonzero)
            data = _dtype.cast_source(self._data, dtype.numpy)
            with np.errstate(invalid="ignore"):
                out = data.astype(dtype.numpy)
                return Tensor._wrap(_memory_format.preserving(out, self._data))
        return unary.Cast.apply(self, dtype=dtype.numpy)

    def _cast_in_format(self, dtype, memory_format, name):
        """``float(memory_format=...)`` and kin: the cast into ``memory_format`` (None: preserve_format)."""
        if memory_format is not None:
            _memory_format.check(memory_format, name)
        return self.to(dtype, memory_format=memory_format)

    def _to_memory_format(self, dtype, memory_format, copy):
        """``to(dtype, memory_format=...)``: this tensor when it has the dtype and its strides suggest the format
        (PyTorch's test for an alias), else a copy in the format."""
        _memory_format.check_rank(self._data.ndim, memory_format)
        np_dtype = self._data.dtype if dtype is None else dtype.numpy
        if np_dtype == self._data.dtype and not copy and _memory_format.suggest(self._data) is memory_format:
            return self
        if np_dtype.kind not in "fc":
            with np.errstate(invalid="ignore"):
                return Tensor._wrap(_memory_format.copy_as(self._data, memory_format, np_dtype))
        return unary.Cast.apply(self, dtype=np_dtype, memory_format=memory_format)

    def type(self, dtype=None, non_blocking=False):
        """The legacy type string (``'torchless.FloatTensor'``) without an argument; else a conversion to a
        dtype, a type string (``'torch.LongTensor'``) or a legacy type class (``torchless.LongTensor``)."""
        if dtype is None:
            return "torchless." + _dtype.TENSOR_TYPE_NAMES.get(self.dtype, f"{self.dtype.scalar_name}Tensor")
        if isinstance(dtype, _CudaLegacyTensorType):
            raise RuntimeError(_dtype.NO_CUDA_LIBRARY)
        if isinstance(dtype, str):
            dtype = _dtype.from_tensor_type_name(dtype)
        elif isinstance(dtype, _LegacyTensorType):
            dtype = dtype.dtype
        elif dtype is Tensor:
            dtype = _dtype.get_default_dtype()
        elif isinstance(dtype, type):
            raise ValueError(f"invalid type: '{dtype.__name__}'")
        elif not isinstance(dtype, _dtype.dtype):
            raise TypeError("dtype must be a type, str, or dtype object")
        return self.to(dtype)

    def type_as(self, other):
        if not isinstance(other, Tensor):
            raise _parser_errors.not_tensor("type_as", "other", 1, other)
        return self.to(other.dtype)

    def cpu(self, memory_format=_memory_format.preserve_format):
        return self if memory_format is _memory_format.preserve_format else \
            self._cast_in_format(None, memory_format, "cpu")

    def pin_memory(self, device=None):
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def is_pinned(self, device=None):
        return False

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        _require_cpu("cuda" if device is None else device)  # raises: no CUDA here
        return self

    float = _dtype_cast(_dtype.float32, "float")
    double = _dtype_cast(_dtype.float64, "double")
    half = _dtype_cast(_dtype.float16, "half")
    cfloat = _dtype_cast(_dtype.complex64, "cfloat")
    cdouble = _dtype_cast(_dtype.complex128, "cdouble")
    long = _dtype_cast(_dtype.int64, "long")
    int = _dtype_cast(_dtype.int32, "int")
    short = _dtype_cast(_dtype.int16, "short")
    char = _dtype_cast(_dtype.int8, "char")
    byte = _dtype_cast(_dtype.uint8, "byte")
    bool = _dtype_cast(_dtype.bool, "bool")

    def bfloat16(self):
        return self.to(_dtype.bfloat16)  # TypeError: torchless has no bfloat16 tensors

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf it depends on (of ``inputs``
        alone when given); ``gradient`` is the gradient with respect to this tensor (None for a scalar's 1)."""
        if gradient is None and inputs is None and not create_graph:
            # a training step's loss.backward(), straight to the engine
            run_backward([(self, root_gradient(self, None))], retain_graph=bool(retain_graph))
            return
        from .autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward."""
        import weakref

        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn._retained = weakref.ref(self)

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self.grad_fn._retained is not None

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever the gradient with respect to this tensor is computed; a tensor it returns
        (of the same shape and dtype) replaces that gradient.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        from .utils.hooks import RemovableHandle

        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        else:
            # Kept by the node: a later in-place op rebinds this tensor to a new node, and the hook still sees
            # the gradient of the value it was registered on, as in PyTorch.
            node = self.grad_fn
            if node._tensor_hooks is None:
                node._tensor_hooks = {}
            hooks = node._tensor_hooks
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    _post_accumulate_grad_hooks = None  # {handle id: hook}, set on the instance by the first registration

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` on this leaf each time backward has accumulated its ``.grad`` (as an optimizer
        stepping per parameter would); the hook must return None.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        from .utils.hooks import RemovableHandle

        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_accumulate_grad_hooks is None:
            self._post_accumulate_grad_hooks = {}
        handle = RemovableHandle(self._post_accumulate_grad_hooks)
        self._post_accumulate_grad_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ printing
    def __repr__(self):
        from ._tensor_str import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:  # (as object.__format__: only the empty spec for a tensor with dims)
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return str(self)

    # ------------------------------------------------------------------ Python protocol
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))  # as PyTorch's: the rows are unbind's (UnbindBackward0, one version counter)

    def __contains__(self, element):
        """``x in t``: whether ``element`` (a number, or a tensor broadcast against t) equals any element."""
        if not isinstance(element, (Tensor, numbers.Number, np.bool_)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(element)}.")
        return bool((element == self).any())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with " + ("no values" if self._data.size == 0 else
                                                                 "more than one value") + " is ambiguous")
        return bool(self._data.reshape(()))

    def _python_scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self):
        if self._requires_grad:
            _warn_scalar_of_grad_tensor()
        return float(_real_scalar(self._python_scalar(), "double"))

    def __int__(self):
        return int(_real_scalar(self._python_scalar(), "int64_t"))

    def __complex__(self):
        if self._requires_grad:
            _warn_scalar_of_grad_tensor()
        return complex(self._python_scalar())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        """PyTorch's deepcopy of a tensor: leaves only; the copy brings its grad and Python attributes along, and
        tensors sharing memory in one deepcopy (a tensor and its views) share the copied memory too."""
        if self.grad_fn is not None:
            raise RuntimeError(_DEEPCOPY_NON_LEAF)
        if id(self) in memo:
            return memo[id(self)]
        new = Tensor._wrap(_deepcopied_array(self._data, memo))
        new._requires_grad = self._requires_grad
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        if self.__dict__:
            # (the copy's views, if the deepcopy makes them, add themselves to it: the references to this one's are
            # not copied)
            new.__dict__.update(copy.deepcopy({k: v for k, v in self.__dict__.items() if k not in _OWN_VIEWS}, memo))
            if new._view_base is not None:
                new._view_base._add_view(new)
        return new

    # ------------------------------------------------------------------ type promotion
    def _operands(self, other):
        """``self`` and ``other`` as tensors of PyTorch's common dtype."""
        a = self._data.dtype
        if isinstance(other, Tensor):
            b = other._data.dtype
            if a == b:
                return self, other
            common = self._common_with_tensor(other)
            return self._promoted(common), other._promoted(common)
        if not isinstance(other, (numbers.Number, np.bool_)):  # an array too: NumPy computes tensor + array
            return NotImplemented, None
        if not isinstance(other, (numbers.Real, np.bool_)):  # a complex number: the complex dtype of self's precision
            real = a if a.kind == "f" else _dtype.get_default_dtype().numpy if a.kind != "c" else None
            common = a if real is None else np.result_type(real, np.complex64)
            return self._cast(common), number_operand(other, common)
        if _scalar_category(other) > _category(a):
            common = _dtype.get_default_dtype().numpy if _scalar_category(other) == _FLOAT else \
                np.dtype(np.int64)
            try:
                with np.errstate(over="ignore"):  # a float beyond float32 becomes inf, silently as in PyTorch
                    return self._cast(common), number_operand(other, common)
            except OverflowError:  # an int from 2**63 with a bool tensor: PyTorch reads it as uint64
                _dtype.wrap_int(other, common)
                raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to "
                                   "promote Bool and UInt64") from None
        if a.kind == "f" and type(other) is int and not -2**63 <= other < 2**64:  # PyTorch's Scalar holds no more
            raise OverflowError("int too big to convert" if other > 0 else "can't convert negative int to unsigned")
        try:
            if a.kind == "f" and not -_dtype.FLOAT_MAX[a] <= other <= _dtype.FLOAT_MAX[a]:
                with np.errstate(over="ignore"):  # inf, silently as in PyTorch (errstate is too slow to always use)
                    return self, number_operand(other, a)
            return self, number_operand(other, a)
        except OverflowError:  # an int beyond the integer dtype's range: PyTorch wraps it (uint8 + -1 adds 255)
            return self, number_operand(other, a, _dtype.wrap_int(other, a))

    def _common_with_tensor(self, other):
        return result_dtype(self._data.dtype, self._data.ndim > 0, other._data.dtype, other._data.ndim > 0)

    def _cast(self, np_dtype):
        return self if self._data.dtype == np_dtype else unary.Cast.apply(self, dtype=np_dtype)

    def _promoted(self, np_dtype):
        """This tensor as an operand of an op computing in ``np_dtype`` (no node of PyTorch's graph, see Promotion)."""
        return self if self._data.dtype == np_dtype else unary.Promotion.apply(self, dtype=np_dtype)

    def _binary(self, other, fn, **params):
        a, b = self._operands(other)
        if a is NotImplemented:
            return NotImplemented
        try:
            return fn.apply(a, b, **params)
        except ValueError:
            _raise_if_not_broadcastable(a, b)
            raise

    def _half_scalar_binary(self, other, fn, reverse=False, **params):
        """``fn`` of a float16 tensor and a Python float or int as PyTorch computes it: the scalar converted to
        float32, the result rounded once to float16; None for any other operand (left to ``_binary``)."""
        if type(other) is not float and not (type(other) is int and -2**63 <= other < 2**63):
            return None
        with np.errstate(over="ignore"):  # a float beyond float32 becomes inf, silently as in PyTorch
            scalar = number_operand(other, np.float32)
        node = arithmetic.HALF_WITH_OPMATH_SCALAR[fn]
        return node.apply(scalar, self, **params) if reverse else node.apply(self, scalar, **params)

    def _rbinary(self, other, fn, **params):
        a, b = self._operands(other)
        if a is NotImplemented:
            return NotImplemented
        try:
            return fn.apply(b, a, **params)
        except ValueError:
            _raise_if_not_broadcastable(b, a)
            raise

    def _float_operands(self, other):
        """Operands of true division: integers divide as the default float dtype."""
        a, b = self._operands(other)
        if a is NotImplemented or a._data.dtype.kind in "fc":
            return a, b
        f = _dtype.get_default_dtype().numpy
        if not isinstance(other, Tensor):  # a scalar's own value, not its wrap into a's dtype: uint8 / -2 is -0.5
            return a._cast(f), number_operand(other, f)
        # each integer tensor straight to float, not through their common integer dtype (where an int8 0-d -1
        # beside a uint8 tensor would divide as 255)
        return self._cast(f), other._cast(f)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return self._binary(other, arithmetic.Add)

    def __radd__(self, other):
        if isinstance(other, np.ndarray):  # array + tensor: PyTorch's reflected operators take no arrays
            return NotImplemented
        # PyTorch's reflected add and mul are add(self, other) and mul(self, other): the tensor is the node's
        # first input (next_functions, _saved_self / _saved_other), the sum and product being the same
        return self._binary(other, arithmetic.Add)

    def _check_bool_sub(self, other):
        """PyTorch refuses subtraction involving bools (NumPy would promote them silently)."""
        other_bool = other._data.dtype.kind == "b" if isinstance(other, Tensor) else isinstance(other, bool)
        self_bool = self._data.dtype.kind == "b"
        if self_bool and other_bool:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        if self_bool or other_bool:
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")

    def __sub__(self, other):
        if (self._data.dtype.kind == "b" or not isinstance(other, (Tensor, float, int)) or isinstance(other, bool)
                or (isinstance(other, Tensor) and other._data.dtype.kind == "b")) and \
                _parser_errors.is_operand(other):  # (anything else is no operand: _binary's NotImplemented)
            self._check_bool_sub(other)
        return self._binary(other, arithmetic.Sub)

    def __rsub__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        if self._data.dtype.kind == "b" or isinstance(other, bool):
            self._check_bool_sub(other)
        return self._rbinary(other, arithmetic.Sub, scalar_minuend=True)

    def __mul__(self, other):
        if self._data.dtype == np.float16:
            out = self._half_scalar_binary(other, arithmetic.Mul)
            if out is not None:
                return out
        return self._binary(other, arithmetic.Mul)

    def __rmul__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        if self._data.dtype == np.float16:
            out = self._half_scalar_binary(other, arithmetic.Mul)
            if out is not None:
                return out
        return self._binary(other, arithmetic.Mul)  # mul(self, other), as __radd__

    def __truediv__(self, other, **params):
        """``params``: Div's, for div's forms with a rounding_mode of None."""
        if self._data.dtype == np.float16:
            out = self._half_scalar_binary(other, arithmetic.Div, **params)
            if out is not None:
                return out
        a, b = self._float_operands(other)
        return NotImplemented if a is NotImplemented else a._binary(b, arithmetic.Div, **params)

    def __rtruediv__(self, other):
        # PyTorch's number / x is x.reciprocal() * number, whose backward reads the reciprocal, an intermediate no
        # in-place op can reach: the node keeps its own copy of x when recording (x's memory may later be written
        # through a view of it, which no version check then reports)
        private = records(self)
        if self._data.dtype == np.float16:
            out = self._half_scalar_binary(other, arithmetic.Div, reverse=True, scalar_numerator=True,
                                           private_divisor=private)
            if out is not None:
                return out
        a, b = self._float_operands(other)
        return NotImplemented if a is NotImplemented else a._rbinary(b, arithmetic.Div, scalar_numerator=True,
                                                                     private_divisor=private)

    def _checked_binary(self, other, fn, kernel, refused_kinds, reverse=False, divides=False, node=None, **params):
        """``fn(self, other)`` for ``//``, ``%`` and bitwise ops, refusing dtypes PyTorch has no kernel for. When
        gradients are recorded, ``node`` (a Function taking ``kernel=fn`` and ``params``) computes it instead."""
        a, b = self._operands(other)
        if a is NotImplemented:
            return NotImplemented
        _raise_if_not_broadcastable(a, b)  # PyTorch checks the shapes first
        if a._data.dtype.kind in refused_kinds:
            raise NotImplementedError(f'"{kernel}" not implemented for \'{a.dtype.scalar_name}\'')
        if reverse:
            a, b = b, a
        # PyTorch's integer kernels refuse a zero divisor (NumPy gives 0), unless there is nothing to compute.
        if divides and a._data.dtype.kind in "iu" and a._data.size and not b._data.all():
            raise RuntimeError("ZeroDivisionError")
        # x // 0 is nan or inf for floats, INT_MIN // -1 wraps: silently, as in PyTorch
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if node is not None and records(a, b):
                return node.apply(a, b, kernel=fn, **params)
            return Tensor._wrap(_memory_format.iterator_layout(fn(a._data, b._data), (a._data, b._data)))

    # PyTorch records // without a derivative: the result requires grad, and backward through it raises.
    def __floordiv__(self, other):
        return self._checked_binary(other, np.floor_divide, "div_floor_cpu", "bc", divides=True,
                                    node=arithmetic.NotDifferentiable, op="floor_divide")

    def __rfloordiv__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self._checked_binary(other, np.floor_divide, "div_floor_cpu", "bc", reverse=True, divides=True,
                                    node=arithmetic.NotDifferentiable, op="floor_divide")

    def __mod__(self, other):
        return self._checked_binary(other, np.mod, "remainder_cpu", "bc", divides=True, node=arithmetic.Remainder,
                                    scalar_divisor=not isinstance(other, Tensor))

    def __rmod__(self, other):  # a Python scalar dividend: PyTorch has no derivative for that overload
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self._checked_binary(other, np.mod, "remainder_cpu", "bc", reverse=True, divides=True,
                                    node=arithmetic.NotDifferentiable, op="remainder")

    def __pow__(self, exponent):
        if self._data.dtype.kind in "fc":
            if self._data.dtype == np.float16 and isinstance(exponent, numbers.Real) and \
                    not isinstance(exponent, (bool, np.bool_)):  # a number exponent is converted to half, checked
                _dtype.scalar_argument(exponent, self._data.dtype)
            return self._binary(exponent, arithmetic.Pow, number=not isinstance(exponent, Tensor))
        return self._exact_pow(exponent, reverse=False)

    def __rpow__(self, base):
        if isinstance(base, np.ndarray):
            return NotImplemented
        if self._data.dtype.kind in "fc":
            return self._rbinary(base, arithmetic.Pow, scalar_base=True)
        return self._exact_pow(base, reverse=True)

    def _exact_pow(self, other, reverse):
        """Powers of integer and bool tensors, with PyTorch's rules where NumPy's differ."""
        a, b = self._operands(other)
        if a is NotImplemented:
            return NotImplemented
        _raise_if_not_broadcastable(a, b)
        base, exponent = (b, a) if reverse else (a, b)
        kind = a._data.dtype.kind
        if kind in "fc":  # (an integer tensor and a complex number: complex)
            return arithmetic.Pow.apply(base, exponent, scalar_base=reverse, number=not isinstance(other, Tensor))
        if kind == "b":
            if not reverse and isinstance(other, (bool, np.bool_)):
                return Tensor._wrap(self._data | (not other))
            raise NotImplementedError('"pow" not implemented for \'Bool\'')
        if not reverse and not isinstance(other, Tensor):
            if other < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            # An exponent is range-checked (read as int64 first), not wrapped: uint8 ** 300 raises.
            _dtype.fill_value(other, np.dtype(np.int64))
            _dtype.fill_value(other, a._data.dtype)
        x, e = np.broadcast_arrays(base._data, exponent._data)
        out = np.power(x, np.maximum(e, 0))
        negative = e < 0
        if negative.any():
            # Only 1 and -1 have integer reciprocals; every other base truncates to 0.
            unit = np.where(x == 1, 1, np.where(x == -1, np.where(e % 2 == 0, 1, -1), 0))
            out = np.where(negative, unit, out).astype(out.dtype)
        if isinstance(other, Tensor):
            return Tensor._wrap(_memory_format.iterator_layout(out, (base._data, exponent._data)))
        # PyTorch's Scalar overloads: pow(Scalar, Tensor) allocates its result C-contiguous, pow(Tensor, Scalar) is
        # a pointwise op of the base alone
        return Tensor._wrap(_memory_format.c_ordered(out)) if reverse else base._pointwise(out)

    def __matmul__(self, other):
        if not isinstance(other, Tensor):
            return NotImplemented
        return self.matmul(other)

    def __rmatmul__(self, other):
        return NotImplemented

    def __neg__(self):
        if self._data.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return arithmetic.Neg.apply(self)

    def __pos__(self):
        return self.positive()  # (PyTorch's +x: itself, but refused for bool)

    def __abs__(self):
        return self.abs()

    def __invert__(self):
        if self._data.dtype.kind not in "biu":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return self._pointwise(~self._data)

    def __and__(self, other):
        return self._checked_binary(other, np.bitwise_and, "bitwise_and_cpu", "fc")

    def __or__(self, other):
        return self._checked_binary(other, np.bitwise_or, "bitwise_or_cpu", "fc")

    def __xor__(self, other):
        return self._checked_binary(other, np.bitwise_xor, "bitwise_xor_cpu", "fc")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    @staticmethod
    def _check_other_operand(other, method):
        """PyTorch's parser error for a method's ``other`` that is neither a tensor nor a number (a tuple, a list,
        an array, None): the operators would return NotImplemented, or repeat a sequence, instead."""
        if not isinstance(other, (Tensor, numbers.Number, np.bool_)):
            raise _parser_errors.not_tensor(method, "other", 1, other)

    # alpha=1 (an int: PyTorch checks a float or bool 1 like any alpha) is the plain operator.
    def add(self, other, *, alpha=1):
        self._check_other_operand(other, "add")
        return self + other if type(alpha) is int and alpha == 1 else self._alpha_binary(other, arithmetic.Add, alpha)

    def sub(self, other, *, alpha=1):
        self._check_other_operand(other, "sub")
        if type(alpha) is int and alpha == 1:
            return self - other
        alpha = _alpha_number("sub", alpha)
        self._check_bool_sub(other)
        return self._alpha_binary(other, arithmetic.Sub, alpha)

    def _alpha_binary(self, other, fn, alpha):
        """``self + alpha * other`` (or ``-``), alpha checked against the result's dtype as in PyTorch: a bool
        only for a bool result, no float for an integer or bool one. An integer result takes alpha range-checked
        like a fill value, a bool result as a bool."""
        alpha = _alpha_number("add" if fn is arithmetic.Add else "sub", alpha)
        a, b = self._operands(other)
        if a is NotImplemented:
            return NotImplemented
        kind = a._data.dtype.kind
        if isinstance(alpha, bool) and kind != "b":
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
        if kind != "f":
            if kind != "c":  # (a complex result takes any number; PyTorch reads NumPy's bool as a float)
                if not isinstance(alpha, numbers.Integral):
                    raise RuntimeError("For integral input tensors, argument alpha must not be a floating point "
                                       "number.")
                alpha = bool(alpha) if kind == "b" else _dtype.fill_value(alpha, a._data.dtype)
        elif isinstance(alpha, numbers.Real):  # converted to a float result's dtype too, range-checked
            _dtype.scalar_argument(alpha, a._data.dtype)
        elif isinstance(alpha, numbers.Complex):
            raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex number.")
        return a._binary(b, fn, alpha=alpha)

    def mul(self, other):
        self._check_other_operand(other, "mul")
        return self * other

    def div(self, other, *, rounding_mode=_NO_ROUNDING_MODE):
        if rounding_mode is _NO_ROUNDING_MODE:
            self._check_other_operand(other, "div")
            return self / other
        if rounding_mode is None:  # PyTorch's overload taking a mode: a true division, its node DivBackward2
            self._check_other_operand(other, "div")
            return self.__truediv__(other, mode_given=True)
        if rounding_mode == "floor":
            return self._checked_binary(other, np.floor_divide, "div_floor_cpu", "bc", divides=True,
                                        node=arithmetic.DivRounded, rounding_mode="floor")
        if rounding_mode == "trunc":
            return self._checked_binary(other, _trunc_divide, "div_trunc_cpu", "bc", divides=True,
                                        node=arithmetic.DivRounded, rounding_mode="trunc")
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")

    multiply, subtract, divide, true_divide = mul, sub, div, __truediv__

    def remainder(self, other):
        if not isinstance(other, (Tensor, numbers.Number, np.bool_, np.ndarray)):
            raise _parser_errors.invalid_binary_method("remainder", "other", other)
        return self % other

    def fmod(self, other):
        """The remainder of division rounded toward zero (it has the dividend's sign; ``%`` has the divisor's)."""
        if not isinstance(other, (Tensor, numbers.Number, np.bool_, np.ndarray)):
            raise _parser_errors.invalid_binary_method("fmod", "other", other)
        return self._checked_binary(other, np.fmod, "fmod_cpu", "bc", divides=True, node=arithmetic.Remainder,
                                    scalar_divisor=not isinstance(other, Tensor), truncated=True)

    floor_divide = __floordiv__

    def logical_and(self, other):
        return self._logical(other, np.logical_and)

    def logical_or(self, other):
        return self._logical(other, np.logical_or)

    def logical_xor(self, other):
        return self._logical(other, np.logical_xor)

    def _logical(self, other, fn):
        if not isinstance(other, Tensor):  # PyTorch has no number overload for these
            raise _parser_errors.not_tensor(fn.__name__, "other", 1, other)
        _raise_if_not_broadcastable(self, other)
        return Tensor._wrap(fn(self._data, other._data))

    def lerp(self, end, weight):
        """``self + weight * (end - self)``; ``end`` (and a tensor ``weight``) of self's dtype."""
        _check_lerp_arguments("lerp", end, weight)
        names = _dtype.CPP_SCALAR_NAMES
        for name, value in (("end", end), ("weight", weight)):
            if isinstance(value, Tensor) and value._data.dtype != self._data.dtype and (name == "end" or value.ndim):
                raise RuntimeError(f"expected dtype {names[self._data.dtype.name]} for `{name}` but got dtype "
                                   f"{names[value._data.dtype.name]}")
        if isinstance(weight, Tensor) and not weight.ndim:
            # A 0-d weight promotes with the input as a 0-d operand does (an integer input with a float weight
            # interpolates in that float dtype); only a floating result has a kernel.
            common = result_dtype(self._data.dtype, self._data.ndim > 0, weight._data.dtype, False)
            if common.kind != "f":
                raise NotImplementedError(
                    f"\"lerp_kernel_tensor\" not implemented for '{_dtype.from_numpy_dtype(common).scalar_name}'")
            self, end, weight = self._cast(common), end._cast(common), weight._cast(common)
        self._no_kernel_for("biu", "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar")
        _raise_if_not_broadcastable(self, end)
        if isinstance(weight, Tensor):
            return arithmetic.Lerp.apply(self, end, weight)
        return arithmetic.Lerp.apply(self, end, None, weight=weight)

    def pow(self, exponent):
        if not isinstance(exponent, (Tensor, numbers.Number, np.bool_, np.ndarray)):
            raise _parser_errors.invalid_binary_method("pow", "exponent", exponent)
        return self ** exponent

    def matmul(self, other):
        if not isinstance(other, Tensor):
            raise _parser_errors.not_tensor("matmul", "other", 1, other)
        a, b = self._data, other._data
        # PyTorch multiplies only tensors of one dtype (no promotion), and has no bool kernels.
        if a.dtype == b.dtype and a.dtype.kind != "b" and a.ndim and b.ndim:
            try:
                return arithmetic.MatMul.apply(self, other)
            except ValueError:
                pass
        raise arithmetic.matmul_error(a, b)

    def mm(self, other):
        if self._data.ndim != 2:
            raise RuntimeError("self must be a matrix")
        if other._data.ndim != 2:
            raise RuntimeError("mat2 must be a matrix")
        return self.matmul(other)

    def bmm(self, other):
        if self._data.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if other._data.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        a, b = self._data, other._data
        error = arithmetic.bmm_error(a.shape[1:], b.shape[1:], a.shape[0], b.shape[0], self.dtype.scalar_name,
                                     other.dtype.scalar_name)
        if error is not None:
            raise error
        return arithmetic.MatMul.apply(self, other, batched=True)

    def dot(self, other):
        if self._data.ndim != 1 or other._data.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self._data.ndim}D and {other._data.ndim}D tensors")
        return self.matmul(other)

    # ------------------------------------------------------------------ comparisons (no gradient)
    def _compare(self, other, fn):
        a, b = self._operands(other)
        if a is NotImplemented:
            if isinstance(other, np.ndarray):  # PyTorch leaves arrays to NumPy, whose == alone compares them
                if fn is np.equal:
                    return Tensor._wrap(np.equal(self._data, other))
                if fn is not np.not_equal:
                    raise TypeError(f"'{_COMPARISON_SYMBOLS[fn]}' not supported between instances of 'Tensor' and "
                                    "'numpy.ndarray'")
            return NotImplemented
        _raise_if_not_broadcastable(a, b)
        if a._data.dtype.kind == "c" and fn in _ORDERING_KERNELS:  # (a and b share the common dtype)
            raise NotImplementedError(f"\"{_ORDERING_KERNELS[fn]}\" not implemented for '{a.dtype.scalar_name}'")
        return Tensor._wrap(_memory_format.iterator_layout(fn(a._data, b._data), (a._data, b._data)))

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    # The methods raise PyTorch's parser TypeError where the operators return NotImplemented (``t == 'a'`` is False)
    eq, ne = _comparison_method("eq", np.equal), _comparison_method("ne", np.not_equal)
    lt, le = _comparison_method("lt", np.less), _comparison_method("le", np.less_equal)
    gt, ge = _comparison_method("gt", np.greater), _comparison_method("ge", np.greater_equal)

    greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne

    def equal(self, other):
        _check_tensor_other(other, "equal")
        return self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        rtol, atol, equal_nan = self._closeness_arguments("allclose", other, rtol, atol, equal_nan)
        return bool(np.allclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        rtol, atol, equal_nan = self._closeness_arguments("isclose", other, rtol, atol, equal_nan)
        return Tensor._wrap(np.isclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def _closeness_arguments(self, name, other, rtol, atol, equal_nan):
        """(rtol, atol, equal_nan) of isclose/allclose as PyTorch's parser reads them (floats: a number, a 0-d
        tensor outside the graph; a Python bool), after its checks of the operands and the tolerances."""
        if rtol.__class__ is not float or atol.__class__ is not float or equal_nan.__class__ is not bool:
            parsed = _parser_errors.method_arguments(name, (other, rtol, atol, equal_nan))
            rtol, atol, equal_nan = parsed["rtol"], parsed["atol"], parsed["equal_nan"]
        _check_tensor_other(other, name)
        if other._data.dtype != self._data.dtype:
            raise RuntimeError(f"{self.dtype.scalar_name} did not match {other.dtype.scalar_name}")
        for tolerance, value in (("rtol", rtol), ("atol", atol)):
            if not value >= 0:  # (NaN too; C++ prints the double as %g does)
                raise RuntimeError(f"{tolerance} must be greater than or equal to zero, but got {value:g}")
        _raise_if_not_broadcastable(self, other)
        return rtol, atol, equal_nan

    def logical_not(self):
        return self._pointwise(np.logical_not(self._data))

    def isnan(self):
        return self._pointwise(np.isnan(self._data))

    def isinf(self):
        return self._pointwise(np.isinf(self._data))

    def isfinite(self):
        return self._pointwise(np.isfinite(self._data))

    def all(self, dim=None, keepdim=False):
        return self._all_any(np.all, dim, keepdim, "all")

    def any(self, dim=None, keepdim=False):
        return self._all_any(np.any, dim, keepdim, "any")

    def _all_any(self, fn, dim, keepdim, name):
        axes = None if dim is None else _reduced_axes(name, dim, keepdim, self._data.ndim)
        out = np.asarray(fn(self._data, axis=axes, keepdims=keepdim))
        # PyTorch answers in uint8 for uint8 input (a legacy of byte masks), in bool for every other dtype.
        return Tensor._wrap(_memory_format.c_ordered(out.astype(np.uint8) if self._data.dtype == np.uint8 else out))

    # ------------------------------------------------------------------ elementwise functions
    def _float_self(self):
        return self if self._data.dtype.kind in "fc" else self._cast(_dtype.get_default_dtype().numpy)

    def exp(self):
        return unary.Exp.apply(self._float_self())

    def log(self):
        return unary.Log.apply(self._float_self())

    def sqrt(self):
        return unary.Sqrt.apply(self._float_self())

    def rsqrt(self):
        return unary.Rsqrt.apply(self._float_self())

    def neg(self):
        return -self

    negative = neg

    def abs(self):
        self._no_kernel_for("b", "abs_cpu")
        return unary.Abs.apply(self)

    absolute = abs

    def square(self):
        return self ** 2

    def clamp(self, min=None, max=None):
        return self._clamp(min, max, "clamp")

    def clip(self, min=None, max=None):
        return self._clamp(min, max, "clip")

    def _clamp(self, min, max, name, node=None):
        """``node``: "ClampMin" / "ClampMax" for clamp_min / clamp_max, whose nodes PyTorch names apart."""
        min, max = _clamp_bounds(min, max, name)
        if min is None and max is None:
            raise RuntimeError("torchless.clamp: At least one of 'min' or 'max' must not be None")
        self._refuse_complex("clamp is not supported for complex types")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            source, shape = self, self._data.shape
            for bound in (min, max):
                if bound is not None:
                    source, _ = source._operands(bound)  # the dtype of all three
                    error = broadcast_error(shape, bound._data.shape)
                    if error is not None:
                        raise error
                    shape = np.broadcast_shapes(shape, bound._data.shape)
            bounds = [None if b is None else b._promoted(source._data.dtype) for b in (min, max)]
            if node:  # clamp_min / clamp_max: a node of the input and that bound
                return arithmetic.ClampTensor.apply(source, bounds[node == "ClampMax"], node=f"{node}Backward1")
            return arithmetic.ClampTensor.apply(source, *bounds)
        source = self
        for bound in (min, max):
            if bound is not None:
                source = source._operands(bound)[0]  # a float bound makes an integer tensor float
        np_dtype = source._data.dtype
        source._no_kernel_for("b", "clamp_scalar_cpu" if min is not None and max is not None else
                              "clamp_min_scalar_cpu" if min is not None else "clamp_max_scalar_cpu")
        # range-checked: uint8 clamp(min=-1) is 255, float32 refuses 1e40
        bounds = min, max
        min, max = (None if v is None else _dtype.scalar_argument(v, np_dtype) for v in bounds)
        return unary.Clamp.apply(source, min=min, max=max, node=f"{node}Backward0" if node else "ClampBackward1",
                                 bounds=bounds)

    def clamp_min(self, min):
        _check_bound(min, "clamp_min", "min")
        return self._clamp(min, None, "clamp", "ClampMin")

    def clamp_max(self, max):
        _check_bound(max, "clamp_max", "max")
        return self._clamp(None, max, "clamp", "ClampMax")

    def relu(self):
        if self._data.dtype.kind in "bc":
            _refuse_relu(self)
        return unary.Relu.apply(self)

    def hardshrink(self, lambd=0.5):
        from .nn._functional.piecewise import hardshrink

        return hardshrink(self, lambd)

    def positive(self):
        if self._data.dtype == np.bool_:
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    def angle(self):
        """The argument of each (real) element: 0 where it is >= 0, pi where negative, NaN at NaN; integers and
        bools give the default float dtype."""
        return self._float_self()._step(lambda a: np.where(
            np.isnan(a), a, np.where(a < 0, np.asarray(np.pi, a.dtype), np.zeros((), a.dtype))).astype(a.dtype),
            "AngleBackward0")

    def sigmoid(self):
        return unary.Sigmoid.apply(self._float_self())

    def tanh(self):
        return unary.Tanh.apply(self._float_self())

    def _smooth(self, op):
        return unary.Smooth.apply(self._float_self(), op=op)

    def log2(self):
        return self._smooth("log2")

    def log10(self):
        return self._smooth("log10")

    def log1p(self):
        return self._smooth("log1p")

    def expm1(self):
        return self._smooth("expm1")

    def reciprocal(self):
        return self._smooth("reciprocal")

    def sin(self):
        return self._smooth("sin")

    def cos(self):
        return self._smooth("cos")

    def frac(self):
        self._no_kernel_for("biuc", "frac_cpu")
        return self._smooth("frac")

    def trunc(self):
        self._no_kernel_for("b", "trunc_vml_cpu")
        self._refuse_complex("trunc is not supported for complex inputs")
        return self._step(np.trunc, "TruncBackward0")

    fix = trunc

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default the dtype's extremes); in
        a complex tensor, in the real and imaginary parts apart (without a gradient, as in PyTorch)."""
        if self._data.dtype.kind != "f":
            if self._data.dtype.kind != "c":
                return self.clone()
            refuse_complex_gradient("nan_to_num", self)
            out = np.empty_like(self._data)
            for part in ("real", "imag"):
                setattr(out, part, Tensor._wrap(getattr(self._data, part)).nan_to_num(nan, posinf, neginf)._data)
            return Tensor._wrap(out)
        return unary.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    def softmax(self, dim, dtype=None):
        from .nn._functional.activation import tensor_softmax

        return tensor_softmax(self, dim, dtype, "softmax")

    def log_softmax(self, dim, dtype=None):
        from .nn._functional.activation import tensor_softmax

        return tensor_softmax(self, dim, dtype, "log_softmax")

    def maximum(self, other):
        _check_tensor_other(other, "maximum")
        return _elementwise_extremum(self, other, largest=True)

    def minimum(self, other):
        _check_tensor_other(other, "minimum")
        return _elementwise_extremum(self, other, largest=False)

    def _step(self, fn, name):
        """A piecewise-constant function: PyTorch records it (node ``name``) with a zero gradient."""
        if records(self):
            return arithmetic.ZeroGradient.apply(self, kernel=fn, name=name)
        return self._pointwise(fn(self._data))

    def _pointwise(self, out):
        """``out``, NumPy's result of a pointwise function of this tensor, laid out as PyTorch's kernel lays it out
        (TensorIterator: a dense input's strides, size-1 dims' too, else dense in its dims' order)."""
        return Tensor._wrap(_memory_format.iterator_layout(out, (self._data,)))

    def sign(self):
        self._refuse_complex("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                             "torch.sgn instead.")
        if self._data.dtype.kind == "b":  # the values themselves (NumPy has no bool sign)
            return Tensor._wrap(self._data.copy())
        return self._step(unary.sign, "SignBackward0")

    def floor(self):
        self._no_kernel_for("b", "floor_vml_cpu")
        self._refuse_complex("floor is not supported for complex inputs")
        return self._step(np.floor, "FloorBackward0")

    def ceil(self):
        self._no_kernel_for("b", "ceil_vml_cpu")
        self._refuse_complex("ceil is not supported for complex inputs")
        return self._step(np.ceil, "CeilBackward0")

    def round(self, decimals=None):
        if decimals is None:
            self._no_kernel_for("bc", "round_vml_cpu")
            return self._step(np.round, "RoundBackward0")
        _refuse_by_position("round", 0, least=1)  # (decimals is keyword-only; "from 1 to 0", sic, as PyTorch's)
        self._no_kernel_for("biuc", "round_vml_cpu" if decimals == 0 else "round_cpu")  # (0 takes the plain kernel)
        # (laid out as the input, as PyTorch's unary kernel: NumPy's round with decimals answers in C order)
        return self._step(lambda x: _memory_format.preserving(x.round(decimals), x), "RoundBackward1")

    def masked_fill(self, mask, value):
        _check_masked_fill_arguments("masked_fill", mask, value)
        mask = mask._data
        # PyTorch's order: the shapes, a value tensor's rank, then the mask's dtype (by its C++ name)
        if mask.shape != self._data.shape:
            error = broadcast_error(mask.shape, self._data.shape)
            if error is not None:
                raise error
        if isinstance(value, Tensor) and value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                               f"{_dtype.CPP_TYPE_NAMES.get(mask.dtype.name, _C_FLOAT_NAMES.get(mask.dtype.name))}")
        fill = value if isinstance(value, Tensor) else \
            Tensor._wrap(np.asarray(_dtype.fill_value(value, self._data.dtype), self._data.dtype))
        # (PyTorch names the node of its overload taking a value tensor MaskedFillBackward1)
        return shape_ops.Where.apply(fill._cast(self._data.dtype), self, condition=mask,
                                     name="MaskedFillBackward1" if isinstance(value, Tensor) else "MaskedFillBackward0")

    # ------------------------------------------------------------------ reductions
    def _accumulation_dtype(self, dtype):
        """The NumPy dtype sum and prod compute in: ``dtype``, else int64 for integers and bools (NumPy would
        take uint64 for uint8 and bool). PyTorch refuses an integer ``dtype`` while recording a gradient."""
        if dtype is None:
            return np.int64 if self._data.dtype.kind in "biu" else None
        if not isinstance(dtype, _dtype.dtype):  # Python's float, int or bool
            dtype = _dtype.from_numpy_dtype(_dtype.to_numpy_dtype(dtype))
        if not (dtype.is_floating_point or dtype.is_complex) and records(self):
            raise RuntimeError(f"Autograd not support dtype: {dtype.scalar_name}")
        return dtype.numpy

    def sum(self, dim=_DIM_OMITTED, keepdim=False, dtype=None):
        omitted = dim is _DIM_OMITTED  # (dim=None is the dims overload of PyTorch's, with its node)
        if omitted:
            dim = _every_dim_unless_keepdim("sum", keepdim, dtype)
        if dtype is not None:
            _refuse_by_position("sum", 2, least=1)  # (dtype is keyword-only)
        axes = _reduced_axes("sum", every_dim_if_empty(dim), keepdim, self._data.ndim, dtype=dtype)  # (): every dim
        return reduction.Sum.apply(self, axes=axes, keepdim=keepdim, dtype=self._accumulation_dtype(dtype),
                                   all_dims=omitted, dims=dim)

    def mean(self, dim=_DIM_OMITTED, keepdim=False, dtype=None):
        omitted = dim is _DIM_OMITTED
        if omitted:
            dim = _every_dim_unless_keepdim("mean", keepdim, dtype)
        if dtype is not None:
            _refuse_by_position("mean", 2, least=1)  # (dtype is keyword-only)
            if not _dtype.is_argument(dtype):
                _reduced_axes("mean", dim, keepdim, self._data.ndim, dtype=dtype)  # (raises the parser's error)
        source = self if dtype is None else self.to(dtype)
        if source._data.dtype.kind not in "fc":
            error = _parser_errors.reduction_error("mean", dim, keepdim, dtype)  # (the parser's errors come first)
            if error is not None:
                raise error
            raise RuntimeError(
                f"mean(): could not infer output dtype. {'Input' if dtype is None else 'Optional'} dtype must be "
                f"either a floating point or complex dtype. Got: {source.dtype.scalar_name}"
            )
        axes = _reduced_axes("mean", every_dim_if_empty(dim), keepdim, self._data.ndim, dtype=dtype)  # (): every dim
        return reduction.Mean.apply(source, axes=axes, keepdim=keepdim, all_dims=omitted, dims=dim)

    def _check_std_var(self):
        if self._data.dtype.kind not in "fc":  # checked before the dims, as in PyTorch
            raise RuntimeError("std and var only support floating point and complex dtypes")

    def var(self, *args, **kwargs):
        """``var(dim, unbiased=True, keepdim=False)``, ``var(dim=None, *, correction=None, keepdim=False)`` or
        ``var(unbiased=True)``."""
        return self._spread(reduction.Var, *variance_arguments("var", args, kwargs))

    def std(self, *args, **kwargs):
        """As ``var``: its square root."""
        return self._spread(reduction.Std, *variance_arguments("std", args, kwargs))

    def _spread(self, node, dim, correction, keepdim, shown_correction):
        self._check_std_var()
        every = every_dim_if_empty(dim)  # dim=(): every dim, as in PyTorch
        axes = normalize_dims(every, self._data.ndim)
        return node.apply(self, axes=axes, correction=correction, keepdim=keepdim,
                          all_dims=every is None or not self._data.ndim, dims=dim, shown_correction=shown_correction)

    def prod(self, *args, **kwargs):
        """The product of all elements, or along one ``dim`` (``prod(dim, keepdim=False, *, dtype=None)``)."""
        dim, keepdim, dtype = None, False, None
        if args or kwargs:  # one dim only, as in PyTorch
            parsed = _parser_errors.method_arguments("prod", args, kwargs)
            dim, keepdim, dtype = parsed.get("dim"), parsed.get("keepdim", False), parsed["dtype"]
        axes = None if dim is None else normalize_dims(dim, self._data.ndim)
        return reduction.Prod.apply(self, axes=axes, keepdim=keepdim, dtype=self._accumulation_dtype(dtype))

    def _check_nonempty(self, name, dims):
        """PyTorch refuses max/min/argmax/... over a dimension of size 0, or over all of an empty tensor. The
        message names the dim as given in ``dims`` (amax/amin echo the caller's, the others normalise it)."""
        if dims is None:
            message = f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            if name.startswith("arg"):
                raise IndexError(message)
            raise RuntimeError(message + " Specify the reduction dim with the 'dim' argument.")
        for dim in dims:
            if self._data.shape[normalize_dim(dim, self._data.ndim)] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")

    def _extremum(self, dim, keepdim, largest, name):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        if dim is None:
            self._no_kernel_for("c", f"{name}_all")
        else:
            self._refuse_complex(f"{name}(): does not support complex input", RuntimeError)
        if self._data.size == 0:
            self._check_nonempty(name, None if dim is None else normalize_dims(dim, self._data.ndim))
        if dim is None:
            return reduction.Extremum.apply(self, axes=tuple(range(self._data.ndim)), keepdim=False, largest=largest,
                                            amax=False)
        axis = normalize_dim(dim, self._data.ndim)
        if self._data.ndim == 0:  # (its value, recorded as PyTorch's MaxBackward0/MinBackward0, and index 0)
            indices = np.zeros((), np.int64)
            values = reduction.ExtremumAlongDim.apply(self, indices=indices, dim=axis, keepdim=keepdim,
                                                      largest=largest)
            return _RETURN_TYPES[name](values, Tensor._wrap(indices))
        indices = (np.argmax if largest else np.argmin)(self._data, axis=axis, keepdims=True).astype(np.int64)
        values = reduction.ExtremumAlongDim.apply(self, indices=indices, dim=axis, keepdim=keepdim, largest=largest)
        indices = _memory_format.c_ordered(indices if keepdim else np.squeeze(indices, axis))  # (a new result)
        return _RETURN_TYPES[name](values, Tensor._wrap(indices))

    def max(self, *args, **kwargs):
        """max over all elements; ``max(dim)`` gives ``(values, indices)``; ``max(other)`` the elementwise max."""
        if not args and not kwargs:
            return self._extremum(None, False, True, "max")
        return self._extremum_call("max", args, kwargs, True)

    def min(self, *args, **kwargs):
        if not args and not kwargs:
            return self._extremum(None, False, False, "min")
        return self._extremum_call("min", args, kwargs, False)

    def _extremum_call(self, name, args, kwargs, largest, function=False):
        """max/min given arguments: ``(dim[, keepdim])`` of plain types goes straight through, anything else
        (a tensor, a NumPy int, a bad argument) through PyTorch's overload resolution."""
        if len(args) <= 2 and (not kwargs or kwargs.keys() <= {"dim", "keepdim"} and not (args and "dim" in kwargs)):
            dim = args[0] if args else kwargs.get("dim")
            keepdim = args[1] if len(args) > 1 else kwargs.get("keepdim", False)
            if type(dim) is int and type(keepdim) is bool and (len(args) < 2 or "keepdim" not in kwargs):
                return self._extremum(dim, keepdim, largest, name)
        parsed = _parser_errors.extremum_arguments(name, ((self,) if function else ()) + args, kwargs, function)
        if parsed[0] == "other":
            return self.maximum(parsed[1]) if largest else self.minimum(parsed[1])
        return self._extremum(parsed[1], parsed[2], largest, name)

    def amax(self, dim=(), keepdim=False):
        return self._amax_amin(dim, keepdim, True, "amax")

    def amin(self, dim=(), keepdim=False):
        return self._amax_amin(dim, keepdim, False, "amin")

    def _amax_amin(self, dim, keepdim, largest, name):
        self._no_kernel_for("c", "max_values_cpu" if largest else "min_values_cpu")
        every = dim is None or isinstance(dim, (tuple, list)) and not dim  # (a NumPy int dim compares as an array)
        if self._data.size == 0:  # checked before repeated dims, as in PyTorch (after the parser's checks)
            try:
                self._check_nonempty(name, None if every else dim if isinstance(dim, (tuple, list)) else (dim,))
            except TypeError:
                _reduced_axes(name, dim, keepdim, self._data.ndim)  # (raises the parser's error)
                raise
        axes = _reduced_axes(name, None if every else dim, keepdim, self._data.ndim)
        return reduction.Extremum.apply(self, axes=axes, keepdim=keepdim, largest=largest, dims=dim)

    def argmax(self, *args, **kwargs):
        dim, keepdim = _arg_extremum_arguments("argmax", args, kwargs)
        return self._arg_extremum(np.argmax, dim, keepdim, "argmax")

    def argmin(self, *args, **kwargs):
        dim, keepdim = _arg_extremum_arguments("argmin", args, kwargs)
        return self._arg_extremum(np.argmin, dim, keepdim, "argmin")

    def _arg_extremum(self, fn, dim, keepdim, name):
        if self._data.dtype.kind in "bc":
            raise RuntimeError(f"{name}(): does not support {'bool' if self._data.dtype.kind == 'b' else 'complex'} "
                               "input")
        if self._data.size == 0:
            self._check_nonempty(name, None if dim is None else normalize_dims(dim, self._data.ndim))
        if dim is None:
            out = fn(self._data)
            return Tensor._wrap(np.asarray(out, np.int64).reshape((1,) * self._data.ndim if keepdim else ()))
        axis = normalize_dim(dim, self._data.ndim)
        if self._data.ndim == 0:
            return Tensor._wrap(np.zeros((), np.int64))
        return Tensor._wrap(_memory_format.c_ordered(fn(self._data, axis=axis, keepdims=keepdim).astype(np.int64,
                                                                                                       copy=False)))

    def topk(self, k, dim=-1, largest=True, sorted=True):
        if type(k) is not int or type(dim) is not int or largest.__class__ is not bool or \
                sorted.__class__ is not bool:
            parsed = _parser_errors.method_arguments("topk", (k, dim, largest, sorted))
            k, dim = parsed["k"], parsed["dim"]
        axis = normalize_dim(dim, self._data.ndim)
        if not 0 <= k <= (self._data.shape[axis] if self._data.ndim else 1):
            check_int64(k)  # (the parser's failure first)
            raise RuntimeError("selected index k out of range")
        if self._data.dtype.kind == "b":
            raise RuntimeError("topk does not support bool dtypes on CPU")
        self._refuse_complex(" topk does not support complex dtypes on CPU", RuntimeError)  # (sic: the space)
        if self._data.ndim == 0:  # k of 0 or 1: the value itself, as in PyTorch
            indices = np.zeros((), np.int64)
            values = self._gather(axis, None, "TopkBackward0", {"dim": dim, "indices": indices})
            return _RETURN_TYPES["topk"](values, Tensor._wrap(indices))
        order = std_sort.topk_order(self._data, axis, k, largest, sorted, self._sort_order(axis, largest))
        indices = _memory_format.c_ordered(order.astype(np.int64, copy=False))
        values = self._gather(axis, indices, "TopkBackward0", {"dim": dim, "indices": indices})
        return _RETURN_TYPES["topk"](values, Tensor._wrap(indices))

    def sort(self, dim=-1, descending=False, stable=None):
        # (None: not given. PyTorch's overload taking ``stable`` names its node SortBackward1)
        node = "SortBackward0" if stable is None else "SortBackward1"
        if stable is not None or descending.__class__ is not bool or type(dim) is not int:
            # (the overload taking stable takes the others by keyword only; stable is keyword-only, taken by
            # position too here where a keyword-only default would cost every call, and refused here)
            _refuse_as_written("sort", (("dim", dim), ("descending", descending), ("stable", stable)))
            dim = operator.index(dim)  # (a NumPy integer or a 0-d integer tensor the parser took)
        axis = normalize_dim(dim, self._data.ndim)
        self._refuse_complex(" Sort does not support complex dtypes on CPU", RuntimeError)  # (sic: the space)
        if self._data.ndim == 0:
            order = np.zeros((), np.int64)
        else:
            order = self._sort_order(axis, descending)
            if not stable:  # PyTorch's std::sort: ties as it leaves them
                order = std_sort.unstable_sort_order(self._data, axis, descending, order)
            order = order.astype(np.int64, copy=False)
        if order.ndim > 1 or not order.size:  # PyTorch's sort lays both results out as its input (preserve_format)
            order = _memory_format.preserving(order, self._data)
        values = self._gather(axis, order if order.ndim else None, node, {"dim": dim, "indices": order})
        if order.ndim > 1:
            values._data = _memory_format.preserving(values._data, self._data)
        return _RETURN_TYPES["sort"](values, Tensor._wrap(order))

    def _sort_order(self, axis, descending):
        """Stable sorting indices along ``axis``. Descending is the ascending order of the reversed values,
        reversed: ties keep their order and NaN comes first, as in PyTorch (negating would wrap uint8
        and fail on bool, and would put NaN last)."""
        if not descending:
            return np.argsort(self._data, axis=axis, kind="stable")
        ascending = np.argsort(np.flip(self._data, axis), axis=axis, kind="stable")
        return self._data.shape[axis] - 1 - np.flip(ascending, axis)

    def argsort(self, dim=-1, descending=False, stable=None):
        if stable is not None or descending.__class__ is not bool or type(dim) is not int:
            _refuse_as_written("argsort", (("dim", dim), ("descending", descending), ("stable", stable)))
            dim = operator.index(dim)  # (a NumPy integer or a 0-d integer tensor the parser took)
        return self.sort(dim, descending, stable)[1]

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The k-th smallest element along ``dim`` (NaN counts as the largest) and its index."""
        if type(k) is not int or type(dim) is not int or keepdim.__class__ is not bool:
            parsed = _parser_errors.method_arguments("kthvalue", (k, dim, keepdim))
            k, dim = parsed["k"], parsed["dim"]
        axis = normalize_dim(dim, self._data.ndim)
        if self._data.size == 0:
            self._check_nonempty("kthvalue", (axis,))
        if not 1 <= k <= (self._data.shape[axis] if self._data.ndim else 1):
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
        if self._data.ndim:  # (a 0-d tensor is its own value, without the kernel)
            self._no_kernel_for("bc", "kthvalue_cpu")
        return self._select(axis, k - 1, keepdim, "kthvalue", "KthvalueBackward0", dim)

    def median(self, dim=_EVERY_DIM, keepdim=False):
        """The lower median of all elements, or ``(values, indices)`` along ``dim``; NaN wins where there is one."""
        if dim is _EVERY_DIM:  # (PyTorch's overload without dim takes nothing: dim=None is refused below)
            if keepdim is not False:
                raise _parser_errors.method_error("median", (), {"keepdim": keepdim})
            if self._data.size:  # (an empty tensor never reaches the kernel)
                self._no_kernel_for("bc", "median_cpu")
            return reduction.Median.apply(self)
        if type(dim) is not int or keepdim.__class__ is not bool:
            error = _parser_errors.reduction_error("median", dim, keepdim)
            if error is not None:
                raise error
        axis = normalize_dim(dim, self._data.ndim)
        if self._data.size == 0:
            self._check_nonempty("median", (axis,))
        self._no_kernel_for("bc", "median_out")  # (the kernel along a dim has its own name)
        n = self._data.shape[axis] if self._data.ndim else 1
        return self._select(axis, (n - 1) // 2, keepdim, "median", "MedianBackward1", dim)

    def _select(self, axis, position, keepdim, name, node, dim):
        """The element at ``position`` of the ascending order along ``axis`` (``dim`` as given), with its index; a
        NaN (the first one) is chosen wherever there is one."""
        if not self._data.ndim:
            index = np.zeros((), np.int64)
            shown = {"dim": dim, "indices": index, "keepdim": keepdim}
            return _RETURN_TYPES[name](self._gather(axis, None, node, shown), Tensor._wrap(index))
        index = np.take(self._sort_order(axis, False), [position], axis=axis)
        if name == "kthvalue":
            index = reduction.kthvalue_ties_as_pytorch(self._data, axis, position, index)
        if name == "median" and self._data.dtype.kind == "f":
            nan = np.isnan(self._data)
            index = np.where(nan.any(axis, keepdims=True), np.argmax(nan, axis, keepdims=True), index)
        key = list(np.indices(index.shape, sparse=True))
        key[axis] = index
        if not keepdim:
            key, index = [np.squeeze(k, axis) for k in key], np.squeeze(index, axis)
        index = _memory_format.c_ordered(index.astype(np.int64, copy=False))
        values = indexing.Index.apply(self, key=tuple(key), name=node,
                                      shown={"dim": dim, "indices": index, "keepdim": keepdim})
        return _RETURN_TYPES[name](values, Tensor._wrap(index))

    def cumsum(self, dim, dtype=None):
        """Running sums along ``dim``; integers and bools sum in int64."""
        if dtype is not None:
            _refuse_by_position("cumsum", 1)  # (dtype is keyword-only)
        axis = scan_axis(dim, self._data.ndim, "cumsum")
        if dtype is _dtype.bool:  # PyTorch has no bool kernel to accumulate in
            raise NotImplementedError("\"cumsum_out_cpu\" not implemented for 'Bool'")
        return reduction.Cumsum.apply(self, axis=axis, dtype=self._accumulation_dtype(dtype), dim=dim)

    def cumsum_(self, dim, dtype=None):
        self._no_kernel_for("b", "cumsum_out_cpu")  # (in place, a bool tensor cannot hold the int64 sums)
        if dtype is not None:
            _refuse_by_position("cumsum_", 1)  # (dtype is keyword-only)
        if dtype is not None and _dtype.to_numpy_dtype(dtype) != self._data.dtype:
            from ._ops.tensor_extras import in_place_dtype_mismatch

            raise in_place_dtype_mismatch(self._data.dtype, _dtype.to_numpy_dtype(dtype))
        return self._inplace(lambda t: t.cumsum(dim, dtype=dtype))

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) over ``dim``, computed without overflow; integers give the default float dtype."""
        if dim is None:
            raise _parser_errors.method_error("logsumexp", (dim,))
        shown = dim  # (the node shows the dims as given)
        if every_dim_if_empty(dim) is None:
            # dim=() reduces every dim (the legacy meaning), into a result with every dim kept, which PyTorch's
            # logsumexp then copies into its output: of the dims-dropped shape unless keepdim (an empty input
            # takes another path, log(sum(exp)), which fails at nothing)
            if not keepdim and self._data.ndim and self._data.size:
                raise RuntimeError(f"output with shape [] doesn't match the broadcast shape "
                                   f"[{', '.join(['1'] * self._data.ndim)}]")
            dim = tuple(range(self._data.ndim))
        axes = _reduced_axes("logsumexp", dim, keepdim, self._data.ndim)
        return reduction.Logsumexp.apply(self._float_self(), axes=axes, keepdim=keepdim, dims=shown)

    def count_nonzero(self, dim=None, *more):
        if more or dim.__class__ is not int and not is_int_argument(dim) and is_index_argument(dim):
            # the dims as separate ints, as PyTorch's parser takes them for its int[] dim (a one-element tensor too,
            # but only by position: by keyword it is neither an int nor an int list)
            error = None if more else _parser_errors.written_error("count_nonzero", (("dim", dim),), {})
            if error is not None:
                raise error
            dim = _parser_errors.method_arguments("count_nonzero", (dim,) + more)["dim"]
        dim = every_dim_if_empty(dim)  # dim=(): every dim, as in PyTorch
        axes = _reduced_axes("count_nonzero", dim, False, self._data.ndim)
        return Tensor._wrap(_memory_format.c_ordered(np.asarray(np.count_nonzero(self._data, axis=axes), np.int64)))

    def bincount(self, weights=None, minlength=0):
        """How often each value 0, 1, ..., max occurs in a 1-D tensor of non-negative integers (with ``weights``:
        their sums, float64 unless the weights are float32)."""
        if type(minlength) is not int:
            minlength = _parser_errors.method_arguments("bincount", (weights, minlength))["minlength"]
        self._no_kernel_for("fbc", "bincount_cpu")
        if minlength < 0:
            raise RuntimeError("minlength should be >= 0")
        if self._data.ndim != 1 or (self._data < 0).any():
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        if weights is None or not self._data.size:  # (an empty input counts in int64 even with weights, as torch)
            return Tensor._wrap(np.bincount(self._data, minlength=minlength).astype(np.int64))
        out = np.bincount(self._data, weights._data, minlength=minlength)
        return Tensor._wrap(out.astype(np.float32 if weights._data.dtype == np.float32 else np.float64))

    def histc(self, bins=100, min=0, max=0):
        """Counts in ``bins`` equal bins over [min, max] (the data's range when both are 0), in self's dtype;
        values outside are ignored."""
        # in PyTorch's order: the arguments, the range, the bin edges (made in self's dtype), the kernel
        if type(bins) is not int:
            bins = _parser_errors.method_arguments("histc", (bins, min, max))["bins"]
        if bins <= 0:
            raise RuntimeError(f"torchless.histogram(): bins must be > 0, but got {bins} for dimension 0")
        if min > max:
            raise RuntimeError("torchless.histc: max must be larger than min")
        if self._data.size:  # (complex: the data's range, else the histogram, has no kernel)
            self._no_kernel_for("c", "aminmax_cpu" if min == max else "histogram_cpu")
        if min == max and self._data.size:
            min, max = self._data.min().item(), self._data.max().item()
        if min == max:  # a range of one value: PyTorch widens it by 1 on each side
            min, max = min - 1, max + 1
        if not (np.isfinite(min) and np.isfinite(max)):
            # (C++ prints the NaN that the min/max of data with a NaN give as -nan)
            shown = ["-nan" if np.isnan(v) else f"{float(v):g}" for v in (min, max)]
            raise RuntimeError(f"torchless.histc: range of [{shown[0]}, {shown[1]}] is not finite")
        self._no_kernel_for("b", "linspace_cpu")
        if self._data.dtype == np.uint8 and min < 0:
            raise RuntimeError("value cannot be converted to type uint8_t without overflow")
        self._no_kernel_for("biu", "histogram_cpu")
        return Tensor._wrap(np.histogram(self._data, bins, (min, max))[0].astype(self._data.dtype))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), optionally with the inverse indices and the counts."""
        from ._ops.extra_math import unique_axis, unique_dim_argument, without_derivative

        if dim is not None:  # (the parser's checks, in the order of its signature)
            dim = unique_dim_argument(dim)
        _parser_errors.check_bools("_unique2" if dim is None else "unique_dim", sorted=sorted,
                                   return_inverse=return_inverse, return_counts=return_counts)
        self._no_kernel_for("c", "unique" if dim is None else "unique_dim")
        axis = None if dim is None else unique_axis(self, dim)
        # each NaN is a value of its own in PyTorch, where NumPy merges them
        values, inverse, counts = np.unique(self._data, return_inverse=True, return_counts=True, axis=axis,
                                            equal_nan=False)
        out = (without_derivative(self, values, "_unique2", "Unique2Backward0") if axis is None else
               without_derivative(self, values, "unique_dim", "UniqueDimBackward0"),)
        if return_inverse:
            out += (Tensor._wrap(inverse.reshape(self._data.shape if axis is None else -1).astype(np.int64)),)
        if return_counts:
            out += (Tensor._wrap(counts.astype(np.int64)),)
        return out[0] if len(out) == 1 else out

    def gather(self, dim, index, *, sparse_grad=False):
        if type(dim) is not int:
            dim = _parser_errors.method_arguments("gather", (dim, index))["dim"]
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        axis = normalize_dim(dim, self._data.ndim)
        _check_index_along(self._data.shape, axis, idx, "gather", "input")
        if sparse_grad and self._requires_grad and grad_mode.is_grad_enabled():
            raise NotImplementedError("torchless does not support sparse gradients: use gather with sparse_grad=False")
        shown = {"dim": dim, "index": idx, "sparse_grad": sparse_grad}
        if not self._data.ndim or not idx.ndim:  # PyTorch takes a 0-d tensor or index as one element
            return self.reshape(-1)._gather(0, idx.reshape(-1), "GatherBackward0", shown).reshape(idx.shape)
        return self._gather(axis, idx, "GatherBackward0", shown)

    def _gather(self, axis, indices, name, shown=None):
        """The entries at ``indices`` along ``axis`` (indices already checked; None: a 0-d tensor's value);
        ``shown``: the arguments the node ``name`` shows (see indexing.Index)."""
        if indices is None:  # a 0-d tensor: its one value
            return indexing.Index.apply(self, key=(), name=name, shown=shown)
        key = list(np.indices(indices.shape, sparse=True))
        key[axis] = indices
        return indexing.Index.apply(self, key=tuple(key), name=name, shown=shown)

    def index_select(self, dim, index):
        """The entries at ``index`` (a vector of int64 or int32) along ``dim``."""
        if type(dim) is not int:
            dim = _parser_errors.method_arguments("index_select", (dim, index))["dim"]
        if not isinstance(index, Tensor):
            raise _parser_errors.not_tensor("index_select", "index", 2, index)
        idx = index._data
        axis = normalize_dim(dim, self._data.ndim)  # the dim first, as in PyTorch
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        if not self._data.ndim and idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        if idx.dtype not in (np.int64, np.int32):
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if not self._data.ndim:
            if idx.reshape(-1)[0] != 0:
                raise IndexError("index out of range in self")
            return indexing.Index.apply(self, key=(Ellipsis,), name="IndexSelectBackward0",
                                        shown={"dim": dim, "index": idx})
        n = self._data.shape[axis]
        outside = (idx < 0) | (idx >= n)
        if idx.size and not n:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        if outside.any():
            if axis == 1 or not self._data.size:  # PyTorch's kernels for dim 1 and an empty self have their own words
                raise RuntimeError(f"INDICES element is out of DATA bounds, id={idx.reshape(-1)[np.argmax(outside)]} "
                                   f"axis_dim={n}")
            raise IndexError("index out of range in self")
        # (into a contiguous result, as PyTorch's index_select resizes an empty tensor)
        return _memory_format.in_c_order(indexing.Index.apply(
            self, key=(slice(None),) * axis + (idx.reshape(-1),), name="IndexSelectBackward0",
            shown={"dim": dim, "index": idx}))

    def masked_select(self, mask):
        """The elements where the bool ``mask`` (broadcast with self) is True, as a vector."""
        if mask._data.dtype != np.bool_:
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        _raise_if_not_broadcastable(mask, self)
        shape = np.broadcast_shapes(self._data.shape, mask._data.shape)
        shown = {"mask": mask._data}
        if self._data.shape == shape:
            return indexing.Index.apply(self, key=mask._data if mask._data.shape == shape else
                                        np.broadcast_to(mask._data, shape), name="MaskedSelectBackward0", shown=shown)
        # a self broadcast to the mask: the positions in self of the selected ones (one node on self, as PyTorch's)
        selected, lead = np.nonzero(np.broadcast_to(mask._data, shape)), len(shape) - self._data.ndim
        key = tuple(np.zeros_like(selected[lead + d]) if n == 1 else selected[lead + d]
                    for d, n in enumerate(self._data.shape))
        return indexing.Index.apply(self, key=key, name="MaskedSelectBackward0", shown=shown)

    def take(self, index):
        """The elements at ``index`` of the flattened tensor, in index's shape."""
        idx, n = index._data, self._data.size
        if idx.dtype != np.int64:  # int64 only (NumPy would index with any integer, or mask with bools)
            raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype.scalar_name}")
        if not n and idx.size:
            raise IndexError("take(): tried to take from an empty tensor")
        outside = (idx < -n) | (idx >= n)
        if outside.any():
            raise IndexError(f"out of range: tried to access index {idx[outside].flat[0]} on a tensor of {n} "
                             "elements.")
        shown = {"index": idx}
        if not self._data.ndim or not n:
            return indexing.Index.apply(self.reshape(-1), key=idx, name="TakeBackward0", shown=shown)
        # the flat positions as one index per dim: one node on self itself, as PyTorch's (no view before it)
        return indexing.Index.apply(self, key=np.unravel_index(idx % n, self._data.shape), name="TakeBackward0",
                                    shown=shown)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """A copy with ``src[i][j]`` written at ``[index[i][j]][j]`` (for dim 0; likewise for other dims), or the
        number ``value`` (also accepted in src's place); ``reduce`` ('add' or 'multiply') combines them with the
        values there instead (PyTorch's legacy form, without a derivative)."""
        if type(dim) is not int:
            given = {key: v for key, v in (("value", value), ("reduce", reduce)) if v is not None}
            dim = _parser_errors.method_arguments("scatter", (dim, index) + ((src,) if src is not None else ()),
                                                  given)["dim"]
        src = src if value is None else value
        if reduce is None:
            return self._scatter(dim, index, src, add=False, name="scatter")
        return self._scatter_reduced_legacy(dim, index, src, reduce)

    def _scatter_reduced_legacy(self, dim, index, src, reduce):
        if not isinstance(reduce, str):
            from .nn._functional._args import _describe_call

            got = _describe_call((dim, index, src), {"reduce": reduce})
            raise TypeError(f"scatter() received an invalid combination of arguments - got {got}, but expected one "
                            "of:\n * (int dim, Tensor index, Tensor src)\n * (int dim, Tensor index, Tensor src, *, "
                            "str reduce)\n * (int dim, Tensor index, Number value)\n * (int dim, Tensor index, "
                            "Number value, *, str reduce)\n")
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if isinstance(src, Tensor):
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
                          "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options. "
                          "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
                          "TensorAdvancedIndexing.cpp:225.)", UserWarning, stacklevel=3)
        with grad_mode.no_grad():
            base = self.detach()
            source = src.detach() if isinstance(src, Tensor) else \
                Tensor._wrap(np.full(index._data.shape, _dtype.fill_value(src, self._data.dtype), self._data.dtype))
            if reduce == "add":
                out = base._scatter(dim, index, source, add=True, name="scatter")
            else:
                if source._data.dtype != self._data.dtype:
                    raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
                out = inplace.scatter_reduce(base, dim, index, source, "prod")
        inputs = (self, src) if isinstance(src, Tensor) else (self,)
        return arithmetic.NotDifferentiable.apply(*inputs, kernel=lambda *arrays: out._data, op="scatter")

    def scatter_add(self, dim, index, src):
        """As scatter, but adding ``src`` at the indexed positions (repeated indices add up)."""
        if type(dim) is not int:
            dim = _parser_errors.method_arguments("scatter_add", (dim, index, src))["dim"]
        return self._scatter(dim, index, src, add=True, name="scatter_add")

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._inplace(lambda t: t.scatter(dim, index, src, value=value, reduce=reduce), src)

    def scatter_add_(self, dim, index, src):
        return self._inplace(lambda t: t.scatter_add(dim, index, src), src)

    def _scatter(self, dim, index, src, add, name):
        axis = normalize_dim(dim, self._data.ndim)
        idx = index._data
        if idx.dtype not in (np.int64, np.int32):  # the index dtype, the source's, then the rest of the index
            raise RuntimeError(f"{'scatter' if name == 'scatter_add' else name}(): Expected dtype int32/int64 for index")
        if isinstance(src, Tensor) and src._data.dtype != self._data.dtype:
            raise RuntimeError(f"{'scatter' if name == 'scatter_add' else name}(): Expected self.dtype to be equal "
                               "to src.dtype")  # (scatter_add shares scatter's check, and its name)
        source = src._data.shape if isinstance(src, Tensor) else None
        _check_index_along(self._data.shape, axis, idx, name, "self", source)
        if not self._data.ndim or not idx.ndim:  # PyTorch scatters into a 0-d tensor as into one element
            source = src.reshape(-1) if isinstance(src, Tensor) else src
            return self.reshape(-1)._scatter(0, index.reshape(-1), source, add, name).reshape(self.shape)
        key = list(np.indices(idx.shape, sparse=True))
        key[axis] = idx
        if isinstance(src, Tensor):
            return indexing.Scatter.apply(self, src, key=tuple(key), add=add, dim=dim)
        return indexing.Scatter.apply(self, None, key=tuple(key), value=_dtype.fill_value(src, self._data.dtype),
                                      dim=dim)

    def nonzero(self, *, as_tuple=False):
        """The indices of the nonzero elements: one row per element (or a tuple of index vectors, one per dim)."""
        _parser_errors.check_bool("nonzero", "as_tuple", as_tuple)
        if as_tuple:  # a 0-d tensor counts as one of one element
            return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(self._data)))
        if not self._data.ndim:  # a row without columns, if nonzero
            return Tensor._wrap(np.zeros((int(bool(self._data)), 0), np.int64))
        # (N, ndim) with strides (1, N), as PyTorch's kernel writes the indices dim after dim: its transpose
        return Tensor._wrap(np.stack(np.nonzero(self._data)).astype(np.int64, copy=False).T)

    def argwhere(self):
        return self.nonzero()

    def where(self, condition, other):
        from ._functions import where

        if not (isinstance(condition, Tensor) and isinstance(other, (Tensor, numbers.Number, np.bool_))):
            raise _parser_errors.invalid_where((condition, other), method=True)
        return where(condition, self, other)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        if dtype is not None:  # PyTorch's checks of the input and dtype: linalg's
            from .linalg._checks import check_float, norm_input

            name = "linalg.matrix_norm" if isinstance(p, str) and p != "fro" else "linalg.vector_norm"
            if p == "nuc":  # (half is refused by the input's dtype, whatever the dtype argument)
                check_float(name, self._data)
            return norm_input(name, self, dtype).norm(p, dim, keepdim)
        if isinstance(p, str) and not (p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2)):
            # as torch.norm: the nuclear norm, or a Frobenius one over other than two dims, is matrix_norm's (and
            # its error)
            from .linalg import matrix_norm

            return matrix_norm(self, p, list(range(self._data.ndim)) if dim is None else dim, keepdim)
        if p is None:
            p = 2.0
        if type(p) not in (int, float, str) or keepdim.__class__ is not bool or not (
                dim is None or type(dim) is int or isinstance(dim, (tuple, list))):  # linalg.vector_norm's parser
            _parser_errors.parse("linalg_vector_norm", _parser_errors.VECTOR_NORM,
                                 (self, 2 if p == "fro" else p, dim, keepdim))  # (as torch.norm passes them on)
        dim = every_dim_if_empty(dim)  # dim=(): every dim, as in PyTorch
        if self._data.dtype.kind != "f":
            if self._data.dtype.kind == "c":  # the norm of the magnitudes (real, differentiable through abs)
                return self.abs().norm(p, dim, keepdim)
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                               f"{self.dtype.scalar_name}")
        axes = normalize_dims(dim, self._data.ndim)
        if p == 0:  # the number of nonzeros (the general form would take a 1/0-th power)
            return reduction.CountNonzero.apply(self, axes=axes, keepdim=keepdim, shown=(p, dim))
        if self._data.size == 0 and p != "fro":
            from .linalg.norms import check_empty_norm  # (here: linalg imports this module)

            check_empty_norm(p, self._data.shape, None if dim is None else axes)
        return reduction.VectorNorm.apply(self, p=2.0 if p == "fro" else float(p), axes=axes, keepdim=keepdim,
                                          shown=(2 if p == "fro" else p, dim))

    # ------------------------------------------------------------------ shape
    def _view_as_dtype(self, dtype):
        """view(dtype): the same memory read as another dtype, with PyTorch's checks where the element sizes differ
        (the last dim is the one that shrinks or grows)."""
        target, a = _dtype.to_numpy_dtype(dtype), self._data
        if target.itemsize != a.itemsize and (a.size or a.ndim == 0):  # (an empty tensor's strides are moot)
            names = (f"{self.dtype.scalar_name} as {_dtype.from_numpy_dtype(target).scalar_name} (different element "
                     "sizes)")
            if a.ndim == 0:
                raise RuntimeError(f"self.dim() cannot be 0 to view {names}")
            strides = self.stride()
            ratio = target.itemsize // a.itemsize
            if ratio > 1:
                from ._ops.tensor_extras import storage_offset

                if a.shape[-1] % ratio:
                    raise RuntimeError(f"self.size(-1) must be divisible by {ratio} to view {names}, but got "
                                       f"{a.shape[-1]}")
                offset = storage_offset(self)
                if offset % ratio:
                    raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} to view {names}, but got "
                                       f"{offset}")
            if strides[-1] != 1:
                raise RuntimeError(f"self.stride(-1) must be 1 to view {names}, but got {strides[-1]}")
            for i, stride in enumerate(strides[:-1] if ratio > 1 else ()):
                if stride % ratio:
                    raise RuntimeError(f"self.stride({i}) must be divisible by {ratio} to view {names}, but got "
                                       f"{stride}")
        return self._as_view(Tensor._wrap(a.view(target)))

    def view(self, *shape, **keywords):
        """A tensor sharing this one's memory with the shape ``shape`` (one size may be -1), or its bytes read as
        ``dtype`` (``view(dtype)``)."""
        data = self._data
        # The common call, sizes as ints of a contiguous tensor, outside a graph: NumPy resolves a -1 as PyTorch does
        # and refuses what PyTorch refuses (but reads any negative size as -1), whose error the checks below give.
        if shape and not keywords and _INT_ONLY.issuperset(map(type, shape)) and min(shape) >= -1 \
                and data.flags.c_contiguous and not records(self):
            try:
                return self._as_view(Tensor._wrap(data.reshape(shape)))
            except ValueError:
                pass
        if keywords:
            parsed = _parser_errors.parse("view", _parser_errors.METHOD_OVERLOADS["view"], shape, keywords)
            if "dtype" in parsed:  # view(dtype=...)
                return self._view_as_dtype(parsed["dtype"])
            shape = tuple(parsed["size"])
        elif len(shape) == 1 and _dtype.is_argument(shape[0]):
            return self._view_as_dtype(shape[0])
        else:
            shape = _shape_arg(shape, "view", overloads=_parser_errors.METHOD_OVERLOADS["view"])
        shape = _infer_shape(shape, self._data.size)
        if not self._data.flags.c_contiguous:
            try:
                np.reshape(self._data, shape, copy=False)
            except ValueError:
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least one dimension "
                    "spans across two contiguous subspaces). Use .reshape(...) instead."
                ) from None
        if not records(self):  # no graph node to record
            return self._as_view(Tensor._wrap(self._data.reshape(shape)))
        return shape_ops.Reshape.apply(self, shape=shape)

    def _reshaped(self, shape):
        """This tensor reshaped to ``shape`` (of its size), as reshape: a view where the layout allows, a copy
        otherwise. Without a graph to record, a contiguous tensor's view skips Node.apply, whose bookkeeping cost
        a batch-1 forward's flatten a microsecond."""
        data = self._data
        if data.flags.c_contiguous and not records(self):
            return self._as_view(Tensor._wrap(data.reshape(shape)))
        return shape_ops.Reshape.apply(self, shape=shape, name=None)  # (the node named as PyTorch's reshape's)

    def view_as(self, other):
        if not isinstance(other, Tensor):
            raise _parser_errors.not_tensor("view_as", "other", 1, other)
        return self.view(other.shape)

    def reshape(self, *shape, **keywords):
        return self._reshaped(_infer_shape(_shape_arg(shape, "reshape", "shape", keywords=keywords), self._data.size))

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        ndim = self._data.ndim
        try:
            start, end = normalize_dim(start_dim, ndim), normalize_dim(end_dim, ndim)  # a 0-d tensor takes -1 and 0
        except TypeError as error:
            raise _parser_errors.method_error("flatten", (start_dim, end_dim)) or error from None
        if ndim == 0:
            return self.reshape(1)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if start == end:
            return self  # PyTorch returns the input itself: nothing to merge
        shape = self._data.shape
        # PyTorch's flatten is its reshape (a copy for a layout no view can merge)
        return self._reshaped(shape[:start] + (math.prod(shape[start : end + 1]),) + shape[end + 1 :])

    def unflatten(self, dim, sizes):
        if not sizes:  # PyTorch's Tensor.unflatten, Python code, checks this before its parser reads dim
            raise RuntimeError("unflatten: sizes must be non-empty")
        parsed = _parser_errors.method_arguments("unflatten", (dim, sizes))
        sizes = tuple(parsed["sizes"])
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        axis = normalize_dim(parsed["dim"], self._data.ndim)
        if not self._data.ndim:
            raise RuntimeError(f"unflatten got an unexpected error:\nDimension specified as {axis} but tensor has no "
                               "dimensions")
        shape = self._data.shape
        try:
            sizes = _infer_shape(sizes, shape[axis])
        except RuntimeError as error:  # PyTorch rewords a size mismatch and prefixes the other errors
            if "is invalid for input of size" not in str(error):
                raise RuntimeError(f"unflatten got an unexpected error:\n{error}") from None
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {axis} "
                               f"({shape[axis]}) in the input tensor") from None
        return self.reshape(shape[:axis] + sizes + shape[axis + 1 :])

    def squeeze(self, dim=_EVERY_DIM, *more):
        shape = self._data.shape
        if dim is _EVERY_DIM:
            new = tuple(n for n in shape if n != 1)
            dim = None
        else:
            if more or not (type(dim) is int or type(dim) in (tuple, list)):
                # (the dims as separate ints, squeeze(0, 1), as PyTorch's parser takes them for its int[] dim)
                dim = _parser_errors.method_arguments("squeeze", (dim,) + more)["dim"]
            try:
                if dim is None:  # (which normalize_dims reads as every dim)
                    raise TypeError
                axes = normalize_dims(dim, self._data.ndim)
            except TypeError as error:
                raise _parser_errors.method_error("squeeze", (dim,)) or error from None
            new = tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1))
        name = "SqueezeBackward0" if dim is None else "SqueezeBackward2" if isinstance(dim, (tuple, list)) else \
            "SqueezeBackward1"
        return shape_ops.Reshape.apply(self, shape=new, name=name, dim=tuple(dim) if name[-1] == "2" else dim)

    def unsqueeze(self, dim):
        try:
            axis = normalize_dim(dim, self._data.ndim + 1)
        except TypeError as error:
            raise _parser_errors.method_error("unsqueeze", (dim,)) or error from None
        shape = self._data.shape
        return shape_ops.Reshape.apply(self, shape=shape[:axis] + (1,) + shape[axis:], name="UnsqueezeBackward0",
                                       dim=dim, new_axis=axis)

    def permute(self, *dims, **keywords):
        dims = _shape_arg(dims, "permute", "dims", kind="int[]", keywords=keywords)
        ndim = self._data.ndim
        if len(dims) != ndim:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
                f"desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to len(dims) = {len(dims)}"
            )
        axes = tuple(normalize_dim(d, ndim) for d in dims)
        if len(set(axes)) != ndim:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return shape_ops.Permute.apply(self, axes=axes, given=tuple(dims))

    def transpose(self, dim0, dim1):
        ndim = self._data.ndim
        axes = list(range(ndim))
        try:
            a, b = normalize_dim(dim0, ndim), normalize_dim(dim1, ndim)  # a 0-d tensor takes -1 and 0
        except TypeError as error:
            raise _parser_errors.method_error("transpose", (dim0, dim1)) or error from None
        if ndim:
            axes[a], axes[b] = axes[b], axes[a]
        return shape_ops.Permute.apply(self, axes=tuple(axes), kind="Transpose", given=(dim0, dim1))

    def swapaxes(self, axis0, axis1):
        _parser_errors.method_arguments("swapaxes", (axis0, axis1))
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0, dim1):
        _parser_errors.method_arguments("swapdims", (dim0, dim1))
        return self.transpose(dim0, dim1)

    def t(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
        # (a view even of a 0-d or 1-d tensor, as PyTorch's: not the tensor itself)
        return shape_ops.Permute.apply(self, axes=tuple(range(self._data.ndim))[::-1], kind="T")

    def expand(self, *sizes, **keywords):
        # (PyTorch's implicit=True only marks the expansion for its tracer)
        sizes = _shape_arg(sizes, "expand", overloads=("SymInt[] size, *, bool implicit=False",), keywords=keywords)
        ndim = self._data.ndim
        if len(sizes) < ndim:
            # (PyTorch prints a bool tensor by its backend type name, the others by their legacy tensor type)
            shown = "CPUBoolType" if self._data.dtype == np.bool_ else self.type()
            raise RuntimeError(
                f"expand({shown}{{{list(self.shape)}}}, size={list(sizes)}): the number of sizes provided "
                f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({ndim})"
            )
        leading = len(sizes) - ndim
        own = (1,) * leading + self._data.shape
        target = tuple(o if s == -1 and i >= leading else s for i, (s, o) in enumerate(zip(sizes, own)))
        for i in range(len(target) - 1, -1, -1):  # PyTorch reports the rightmost mismatch
            s, o = target[i], own[i]
            if s == -1 and ndim:  # -1 keeps an existing size; a new leading dim has none
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            if o != 1 and s != o:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({o}) at non-singleton "
                    f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(self._data.shape)}"
                )
        if any(s < 0 for s in target):  # other negative sizes (any -1 of a 0-d tensor): PyTorch's size overflow
            raise RuntimeError("numel: integer multiplication overflow")
        return shape_ops.Expand.apply(self, shape=target)

    def expand_as(self, other):
        if not isinstance(other, Tensor):
            raise _parser_errors.method_error("expand_as", (other,))
        return self.expand(other.shape)

    def repeat(self, *sizes, **keywords):
        sizes = _shape_arg(sizes, "repeat", "repeats", keywords=keywords)
        if len(sizes) < self._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                               "tensor")
        shape = (1,) * (len(sizes) - self._data.ndim) + self._data.shape
        target = [n * size for n, size in zip(sizes, shape)]
        for size in target:
            if size < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {target}")
        return shape_ops.Repeat.apply(self, repeats=sizes)

    def chunk(self, chunks, dim=0):
        if type(chunks) is not int or type(dim) is not int:
            parsed = _parser_errors.method_arguments("chunk", (chunks, dim))
            chunks, dim = parsed["chunks"], parsed["dim"]
        if not self._data.ndim:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        axis = normalize_dim(dim, self._data.ndim)
        n = self._data.shape[axis]
        if not n:  # an empty dim still gives `chunks` (empty) pieces
            return self.split([0] * chunks, dim)
        return self.split(-(-n // chunks), dim)

    def split(self, split_size_or_sections, dim=0):
        if isinstance(split_size_or_sections, Tensor):  # PyTorch's Tensor.split reads one element as the size
            try:
                split_size_or_sections = int(split_size_or_sections)
            except ValueError:
                pass
        if not isinstance(split_size_or_sections, int):  # PyTorch's Tensor.split passes these to split_with_sizes
            split_size_or_sections = _parser_errors.method_arguments(
                "split_with_sizes", (self, split_size_or_sections, dim))["split_sizes"]
        elif type(dim) is not int or type(split_size_or_sections) is not int:  # (a bool size is refused)
            # (PyTorch's Tensor.split, Python code, passes them on by position whatever the caller wrote)
            dim = _parser_errors.parse("split", _parser_errors.METHOD_OVERLOADS["split"],
                                       (self, split_size_or_sections, dim))["dim"]
        if not self._data.ndim:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        if isinstance(split_size_or_sections, int) and split_size_or_sections < 0:  # before the dim, as PyTorch
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size_or_sections}")
        axis = normalize_dim(dim, self._data.ndim)
        n = self._data.shape[axis]
        if isinstance(split_size_or_sections, int):
            size = split_size_or_sections
            if size == 0 and n:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
            bounds = list(range(0, n, size)) + [n] if n else [0, 0]  # an empty dim splits into one empty piece
        else:
            sizes = list(split_size_or_sections)
            if any(size < 0 for size in sizes):
                raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                                   f"split_sizes={sizes}")
            if sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                                   f"at dimension {dim}), but got split_sizes={sizes}")
            bounds = [0] + list(np.cumsum(sizes))
        prefix = (slice(None),) * axis
        name = "SplitBackward0" if isinstance(split_size_or_sections, int) else "SplitWithSizesBackward0"
        return _multi_output_views([indexing.Index.apply(self, key=prefix + (slice(lo, hi),), name=name)
                                    for lo, hi in zip(bounds[:-1], bounds[1:])])

    def unbind(self, dim=0):
        try:
            axis = normalize_dim(dim, self._data.ndim)
        except TypeError as error:
            raise _parser_errors.method_error("unbind", (dim,)) or error from None
        if not self._data.ndim:  # (dims 0 and -1 pass normalize_dim, a 0-d tensor taking them elsewhere)
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        prefix = (slice(None),) * axis
        return _multi_output_views([indexing.Index.apply(self, key=prefix + (i,), name="UnbindBackward0")
                                    for i in range(self._data.shape[axis])])

    def flip(self, *args, **kwargs):
        """Reversed along ``dims`` (a list of dims, or the dims as separate arguments)."""
        dims = args[0] if len(args) == 1 and not kwargs and type(args[0]) in (tuple, list) and \
            all(type(d) is int for d in args[0]) else \
            _parser_errors.method_arguments("flip", args, kwargs)["dims"]
        return shape_ops.Flip.apply(self, axes=normalize_dims(list(dims), self._data.ndim))

    def fliplr(self):
        if self._data.ndim < 2:
            raise RuntimeError("Input must be >= 2-d.")
        return self.flip(1)

    def flipud(self):
        if self._data.ndim < 1:
            raise RuntimeError("Input must be >= 1-d.")
        return self.flip(0)

    def rot90(self, k=1, dims=(0, 1)):
        """Rotated by ``k`` quarter turns in the plane of ``dims``, from the first dim towards the second."""
        if type(k) is not int or type(dims) not in (tuple, list) or not _all_ints(dims):
            parsed = _parser_errors.method_arguments("rot90", (k, dims))
            k, dims = parsed["k"], parsed["dims"]
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if self._data.ndim < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = {self._data.ndim}")
        axes = tuple(normalize_dim(d, self._data.ndim) for d in dims)
        if axes[0] == axes[1]:
            raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
        return shape_ops.Rot90.apply(self, k=k % 4, axes=axes, given=(k, dims))

    def roll(self, shifts, dims=None):
        """Elements shifted cyclically by ``shifts`` along ``dims`` (without dims: over the flattened tensor)."""
        if not (_all_ints(shifts) and (dims is None or _all_ints(dims))):
            parsed = _parser_errors.method_arguments("roll", (shifts, dims))
            shifts, dims = parsed["shifts"], parsed["dims"]
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = () if dims is None else tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if not shifts:
            raise RuntimeError("`shifts` required")
        if not dims and len(shifts) == 1:  # (dims=() too, as in PyTorch)
            return shape_ops.Roll.apply(self, shifts=shifts[0])
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
        if not self._data.size:  # nothing to move: PyTorch looks no further at the dims
            return shape_ops.Roll.apply(self, shifts=0, axes=None)
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        return shape_ops.Roll.apply(self, shifts=shifts, axes=tuple(normalize_dim(d, self._data.ndim) for d in dims))

    def movedim(self, source, destination):
        """Dims ``source`` moved to positions ``destination``; the others keep their order."""
        return self._moved_dims(source, destination, "movedim")

    def moveaxis(self, source, destination):
        return self._moved_dims(source, destination, "moveaxis")

    def _moved_dims(self, source, destination, name):
        if isinstance(source, (tuple, list)) != isinstance(destination, (tuple, list)):  # no overload takes them
            error = _parser_errors.method_error(name, (source, destination))
            if error is not None:
                raise error
        try:  # (an int list's elements: what __index__ converts, a one-element tensor of any rank too)
            src = list_elements(source) if isinstance(source, (tuple, list)) else [source]
            dst = list_elements(destination) if isinstance(destination, (tuple, list)) else [destination]
        except TypeError as error:
            raise _parser_errors.method_error(name, (source, destination)) or error from None
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                               f"same number of dims as destination ({dst} dims)")
        ndim = self._data.ndim
        given = {"source": src, "destination": dst}
        try:
            src, dst = [normalize_dim(d, ndim) for d in src], [normalize_dim(d, ndim) for d in dst]
        except TypeError as error:
            raise _parser_errors.method_error(name, (source, destination)) or error from None
        for name, dims in (("source", src), ("destination", dst)):
            if len(set(dims)) != len(dims):  # (the dims named as given)
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({given[name]})")
        if not ndim:  # nothing to move: an alias, as in PyTorch
            return indexing.Index.apply(self, key=(Ellipsis,))
        axes = [None] * ndim
        for s, d in zip(src, dst):
            axes[d] = s
        rest = iter(d for d in range(ndim) if d not in src)
        return shape_ops.Permute.apply(self, axes=tuple(next(rest) if a is None else a for a in axes))


    def select(self, dim, index):
        """The slice at ``index`` along ``dim``, that dim removed (a view; ``x.select(0, i)`` is ``x[i]``)."""
        if type(dim) is not int or type(index) is not int:
            parsed = _parser_errors.method_arguments("select", (dim, index))
            dim, index = parsed["dim"], parsed["index"]
        if not self._data.ndim:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        axis = normalize_dim(dim, self._data.ndim)
        size = self._data.shape[axis]
        if not -size <= index < size:
            check_int64(index)
            raise IndexError(f"select(): index {index} out of range for tensor of size {list(self._data.shape)} at "
                             f"dimension {dim}")
        return self[(slice(None),) * axis + (index,)]

    def narrow(self, dim, start, length):
        """``length`` elements along ``dim`` from ``start`` on (a negative start counts from the end)."""
        if type(dim) is not int or type(start) is not int or type(length) is not int:
            parsed = _parser_errors.method_arguments("narrow", (dim, start, length))
            dim, start, length = parsed["dim"], parsed["start"], parsed["length"]
            if isinstance(start, Tensor):  # (the overload taking a tensor start wants a 0-d integer one)
                if start._data.ndim or start._data.dtype.kind not in "iu":
                    raise RuntimeError("start must be an 0-dim integral Tensor.")
            start = operator.index(start)
        if not self._data.ndim:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        if length < 0:
            check_int64(length)
            raise RuntimeError("narrow(): length must be non-negative.")
        axis = normalize_dim(dim, self._data.ndim)
        n = self._data.shape[axis]
        if not -n <= start <= n:
            check_int64(start)
            raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
        start = start + n if start < 0 else start
        if start + length > n:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
        # a slice even when it covers the dim (PyTorch's node is SliceBackward0 then too)
        return indexing.Index.apply(self, key=(slice(None),) * axis + (slice(start, start + length),),
                                    name="SliceBackward0")

    def tensor_split(self, indices_or_sections, dim=0):
        """Pieces along ``dim``: ``sections`` pieces of near-equal size (the first ones one larger), or split
        before each of the ``indices``."""
        if not (_all_ints(indices_or_sections) or isinstance(indices_or_sections, Tensor)) or type(dim) is not int:
            given = (indices_or_sections,) if type(dim) is int and dim == 0 else (indices_or_sections, dim)
            overload, parsed = _parser_errors.parse_overload("tensor_split", _parser_errors.METHOD_OVERLOADS[
                "tensor_split"], given)
            dim = parsed["dim"]
            indices_or_sections = parsed[("indices", "tensor_indices_or_sections", "sections")[overload]]
        if isinstance(indices_or_sections, Tensor):  # a 0-d int64 tensor of sections, a vector of indices
            split = indices_or_sections._data
            if split.dtype != np.int64:
                raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                                   f"{indices_or_sections.dtype.scalar_name}")
            if split.ndim > 1:
                raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                                   f"one-dimensional tensor, but got a tensor with {split.ndim} dims")
            indices_or_sections = split.tolist()
        if not self._data.ndim:
            raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
        axis = normalize_dim(dim, self._data.ndim)
        n = self._data.shape[axis]
        if isinstance(indices_or_sections, (tuple, list)):
            bounds = [0] + [min(max(i + n if i < 0 else i, 0), n) for i in indices_or_sections] + [n]
        else:
            sections = indices_or_sections
            if sections <= 0:
                raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
            bounds = [i * (n // sections) + min(i, n % sections) for i in range(sections + 1)]
        prefix = (slice(None),) * axis
        return tuple(indexing.Index.apply(self, key=prefix + (slice(lo, max(lo, hi)),), name="SliceBackward0")
                     for lo, hi in zip(bounds[:-1], bounds[1:]))

    def tile(self, *args, **kwargs):
        """Repeated ``dims[i]`` times along each dim; missing leading counts are 1 (unlike repeat). ``dims`` is a
        sequence, or ints as separate arguments (not one int by keyword, as PyTorch's parser has it)."""
        if kwargs:
            dims = tuple(_parser_errors.method_arguments("tile", args, kwargs)["dims"])
        elif len(args) == 1 and type(args[0]) in (tuple, list, Size) and all(type(d) is int for d in args[0]):
            dims = tuple(args[0])  # the common case, without the parser
        else:
            dims = _shape_arg(args, "tile", "dims")
        return self.repeat((1,) * (self._data.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element repeated ``repeats`` times (an int, or a tensor of counts) along ``dim`` (default: of the
        flattened tensor), the copies side by side."""
        if not (type(repeats) is int or isinstance(repeats, Tensor)) or not (dim is None or type(dim) is int):
            given = {} if output_size is None else {"output_size": output_size}
            parsed = _parser_errors.method_arguments("repeat_interleave", (repeats, dim), given)
            repeats, dim = parsed["repeats"], parsed["dim"]
        source, axis = (self.reshape(-1), 0) if dim is None else (self, normalize_dim(dim, self._data.ndim))
        if isinstance(repeats, Tensor) and repeats._data.dtype not in (np.int32, np.int64):  # (its kernel's dtypes)
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{repeats.dtype.scalar_name}'")
        n = source._data.shape[axis] if source._data.ndim else 1
        counts = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
        if counts.ndim == 1 and counts.size not in (1, n):
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.size} and input.size({axis}) = {n}")
        if (counts < 0).any():
            raise RuntimeError("Repeats must be non-negative")
        index = np.repeat(np.arange(n), np.broadcast_to(counts.reshape(-1), (n,)) if counts.ndim else counts)
        picked = _memory_format.in_c_order(  # (contiguous: index_select's result)
            indexing.Index.apply(source, key=(slice(None),) * axis + (index,), name="IndexSelectBackward0"))
        # With an int count PyTorch returns a view of its index_select (ViewBackward0)
        return picked if isinstance(repeats, Tensor) else picked.view(picked.shape)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The n-th forward difference along ``dim`` (for bools: whether neighbours differ)."""
        if type(n) is not int or type(dim) is not int:
            parsed = _parser_errors.method_arguments("diff", (n, dim, prepend, append))
            n, dim = parsed["n"], parsed["dim"]
        if not self._data.ndim:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        axis = normalize_dim(dim, self._data.ndim)
        from ._functions import cat

        out = cat([t for t in (prepend, self, append) if t is not None], axis) if prepend is not None or \
            append is not None else self
        for _ in range(n):
            length = max(out._data.shape[axis] - 1, 0)
            later, earlier = out.narrow(axis, min(1, length), length), out.narrow(axis, 0, length)
            out = later != earlier if out._data.dtype.kind == "b" else later - earlier
        return out

    @property
    def real(self):
        """The real part: the tensor itself (torchless has no complex dtypes)."""
        return self

    @property
    def imag(self):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The ``offset``-th diagonal of the planes (dim1, dim2) as the last dim (above the main one for offset > 0)."""
        if type(offset) is not int or type(dim1) is not int or type(dim2) is not int:
            parsed = _parser_errors.method_arguments("diagonal", (offset, dim1, dim2))
            offset, dim1, dim2 = parsed["offset"], parsed["dim1"], parsed["dim2"]
        dims = normalize_dim(dim1, self._data.ndim), normalize_dim(dim2, self._data.ndim)
        if dims[0] == dims[1]:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return shape_ops.Diagonal.apply(self, offset=offset, dims=dims, given=(dim1, dim2))

    def diag(self, diagonal=0):
        """For a vector, the square matrix with it on the ``diagonal``-th diagonal; for a matrix, that diagonal."""
        if type(diagonal) is not int:
            diagonal = _parser_errors.method_arguments("diag", (diagonal,))["diagonal"]
        if self._data.ndim == 1:
            return shape_ops.DiagEmbed.apply(self, offset=diagonal)
        if self._data.ndim != 2:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self._data.ndim}D")
        return shape_ops.Diagonal.apply(self, offset=diagonal, name="DiagonalBackward0_copy")

    def trace(self):
        self._no_kernel_for("b", "trace")  # (before the rank, as in PyTorch)
        if self._data.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self._data.ndim}")
        return reduction.Trace.apply(self)

    def tril(self, diagonal=0):
        if type(diagonal) is not int:
            diagonal = _parser_errors.method_arguments("tril", (diagonal,))["diagonal"]
        return self._triangle(diagonal, True)

    def triu(self, diagonal=0):
        if type(diagonal) is not int:
            diagonal = _parser_errors.method_arguments("triu", (diagonal,))["diagonal"]
        return self._triangle(diagonal, False)

    def _triangle(self, k, lower):
        if self._data.ndim < 2:
            raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 dimensions")
        return shape_ops.Triangle.apply(self, k=k, lower=lower)

    def outer(self, vec2):
        """The matrix of products self[i] * vec2[j] of two vectors."""
        for name, t in (("self", self), ("vec2", vec2)):
            if t._data.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
        return self.reshape(-1, 1) * vec2

    def mv(self, vec):
        """Matrix times vector: (n, m) @ (m,) -> (n,)."""
        if self._data.ndim != 2 or vec._data.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got 1, {self._data.ndim}, {vec._data.ndim}")
        return self.matmul(vec)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, key):
        if _plain_key(key):  # ints and forward slices: NumPy reads them as PyTorch does
            try:
                return indexing.Index.apply(self, key=key)
            except (IndexError, OverflowError) as err:
                raise indexing.index_error(self._data.shape, key, err) from None
        if isinstance(key, Tensor) and key._data.ndim and key._data.dtype in _INDEX_DTYPES:  # t[index], t[mask]
            try:
                return indexing.Index.apply(self, key=key._data)
            except IndexError:
                pass  # (the general path below words the error, or finds nothing to read)
        # (a lone tensor as a one-part key: a 0-d integer one selects, but is not the lone int that a 0-d
        # tensor's error message is about)
        key = indexing.single_ellipsis(self._data.ndim,
                                       _index_key((key,) if isinstance(key, Tensor) else key, subscript=True))
        try:
            indexing.check_steps(self._data.shape, key)
            staged = indexing.select_first(key)
            if staged is not None:
                return indexing.Index.apply(indexing.Index.apply(self, key=staged[0]), key=staged[1])
            return indexing.Index.apply(self, key=key)
        except IndexError as err:
            for item in key if isinstance(key, tuple) else (key,):
                if isinstance(item, str):  # PyTorch reads it as data for an index tensor
                    raise TypeError(f"new(): invalid data type '{type(item).__name__}'") from None
            error = indexing.index_error(self._data.shape, key, err)
            zeroed = getattr(error, "in_index_values", False) and indexing.zeroed_if_empty(self._data.shape, key)
            if zeroed:  # an empty result: PyTorch reads no index, so finds none out of range
                return self[zeroed]
            raise error from None

    def __setitem__(self, key, value):
        if isinstance(value, Tensor):
            value_t = value
        elif isinstance(value, _ASSIGNABLE_SCALARS):
            if isinstance(value, (int, np.integer)) and not -2**63 <= value < 2**63:  # read as an int64
                raise ValueError("Overflow when unpacking long long")
            # Range-checked like a fill value (uint8 takes -1 as 255, refuses 300), not wrapped like an operand.
            value_t = Tensor._wrap(np.asarray(_dtype.fill_value(value, self._data.dtype, check_half=False),
                                              self._data.dtype))
        else:
            from .nn._functional._args import _tp_name

            raise TypeError(f"can't assign a {_tp_name(value)} to a {self.type()}")
        if isinstance(key, bool):  # (a NumPy bool is refused, as the key is read below)
            # A lone bool is no mask here: PyTorch does nothing for False and copies into t.unsqueeze(0) for True
            # (a view, converting the value's dtype), though t[True] reads through a mask.
            if key:
                self.unsqueeze(0)[...] = value_t
            return
        if _plain_key(key):  # ints and forward slices: no conversion, nothing to select first
            try:
                return self._put_item(key, value_t, plain=True)
            except OverflowError as err:  # an int index beyond int64
                raise indexing.index_error(self._data.shape, key, err) from None
        if isinstance(key, Tensor) and key._data.ndim and key._data.dtype in _INDEX_DTYPES:  # t[index] = v, t[mask] = v
            try:
                return self._put_item(key._data, value_t, plain=True)
            except IndexError:
                pass  # (the general path below words the error, or finds nothing to write)
        if value_t._data.size == 1 and _fills_through_byte_mask(self._data.shape, key):
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
        key = indexing.single_ellipsis(self._data.ndim,
                                       _index_key((key,) if isinstance(key, Tensor) else key, subscript=True))
        for item in key if isinstance(key, tuple) else (key,):
            if isinstance(item, str):  # PyTorch reads it as data for an index tensor
                raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
        try:
            self._put_item(key, value_t)
        except IndexError as error:
            zeroed = getattr(error, "in_index_values", False) and indexing.zeroed_if_empty(self._data.shape, key)
            if not zeroed:
                raise
            self._put_item(zeroed, value_t)  # nothing to write: PyTorch reads no index (the value is still checked)

    def __delitem__(self, key):
        raise TypeError("Tensor does not support deleting items")

    def _put_item(self, key, value_t, plain=False):
        """``self[key] = value_t`` for a NumPy ``key`` and a tensor value (``plain``: see _plain_key)."""
        if not plain:
            indexing.check_steps(self._data.shape, key)
        staged = None if plain else indexing.select_first(key)
        if staged is not None:
            # PyTorch selects with the ints first and index_puts into that view
            try:
                view = indexing.Index.apply(self, key=staged[0])
            except IndexError as err:
                raise indexing.index_error(self._data.shape, key, err) from None
            try:
                view[staged[1]] = value_t
            except IndexError as err:
                raise indexing.index_error(self._data.shape, key, err) from None
            return
        value_shape = value_t._data.shape
        if value_shape[:1] == (1,):  # PyTorch drops every leading size-1 dim of the value (a[0] = tensor([5]))
            leading = next((i for i, n in enumerate(value_shape) if n != 1), len(value_shape))
            value_t = value_t.view(value_shape[leading:])
        source = value_t  # its dtype names it in PyTorch's shape errors
        recorded = records(self, value_t)
        if recorded and self.grad_fn is None and self._requires_grad:
            raise RuntimeError("a view of " + _LEAF_INPLACE if indexing.is_basic_key(key) else
                               self._leaf_inplace_message())
        if value_t._data.dtype != self._data.dtype:
            if indexing.needs_same_dtype(key, value_t._data.size):
                self._raise_index_put_dtype_error(key, value_t)
            value_t = value_t._cast(self._data.dtype)
        if recorded:
            self._check_inplace(key)
            memory = self._shared_memory()
            try:
                result = indexing.IndexPut.apply(self, value_t, key=key)
            except IndexError as err:
                raise indexing.index_error(self._data.shape, key, err) from None
            except (ValueError, TypeError):  # NumPy's TypeError: a mask given a value of too many dims
                self._raise_setitem_shape_error(key, source)
                raise
            finally:
                if memory is not None:
                    self._data = memory
            self._rebind(result, memory)
        else:
            try:
                try:
                    self._data[key] = value_t._data
                except ValueError:
                    target = self._data[key] if indexing.is_basic_key(key) else None
                    self._writable_data(target=target)[key] = value_t._data
            except IndexError as err:
                raise indexing.index_error(self._data.shape, key, err) from None
            except (ValueError, TypeError):  # NumPy's TypeError: a mask given a value of too many dims
                self._raise_setitem_shape_error(key, source)
                raise
            self._bump_version()

    def _raise_index_put_dtype_error(self, key, value):
        # PyTorch checks the key (its length, the ints, the masks, how the index tensors broadcast) and the value's
        # shape before the dtypes, and the values inside the index tensors only after them: check the key with
        # those values zeroed.
        parts = key if isinstance(key, tuple) else (key,)
        parts = tuple(np.zeros(p.shape, np.intp) if isinstance(p, np.ndarray) and p.ndim and p.dtype != np.bool_
                      else p for p in parts)
        checked = parts if isinstance(key, tuple) else parts[0]
        try:
            self._raise_setitem_shape_error(checked, value)
        except IndexError as err:
            raise indexing.index_error(self._data.shape, checked, err) from None
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {self.dtype.scalar_name} "
                           f"for the destination and {value.dtype.scalar_name} for the source.")

    def _raise_setitem_shape_error(self, key, value):
        """PyTorch's RuntimeError for a value that does not fit ``self[key]``: a basic key expands the value
        to the destination's shape, an advanced key (index_put) checks that it broadcasts."""
        try:
            target = np.shape(self._data[key])
        except IndexError as err:  # NumPy may check the value's shape first, PyTorch the key
            raise indexing.index_error(self._data.shape, key, err) from None
        if indexing.is_basic_key(key):
            value.expand(target)
        elif value._data.ndim > len(target) or any(v not in (1, t) for v, t in zip(value._data.shape[::-1],
                                                                                  target[::-1])):
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(value._data.shape)} cannot be broadcast "
                               f"to indexing result of shape {list(target)}")

    # ------------------------------------------------------------------ in-place
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
        if self.grad_fn is None:
            if self._requires_grad:
                raise RuntimeError(self._leaf_inplace_message())
            return
        node = self.grad_fn
        while getattr(node, "is_view", False):
            (node,) = node.edges
            if isinstance(node, Tensor):
                raise RuntimeError("a view of " + _LEAF_INPLACE)
        if hasattr(node, "modified_inplace_error"):  # an output of a module with backward hooks
            raise RuntimeError(node.modified_inplace_error(self.grad_fn))

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
            old = self.grad_fn
            data = result._data
            if data.strides != self._data.strides:  # PyTorch writes into the tensor: its layout stays
                data = _memory_format.preserving(data, self._data)
            self._data, self.grad_fn, self._requires_grad = data, result.grad_fn, result._requires_grad
            _carry_retained(self, old)
            self._bump_version()
            if result.grad_fn is not None and result.grad_fn._saves_tensors:
                result.grad_fn.rebase_saved_versions(self)
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
        old = self.grad_fn
        self.grad_fn, self._requires_grad = result.grad_fn, result._requires_grad
        _carry_retained(self, old)
        if base is not None:
            scattered = indexing.ViewScatter.apply(base, result, positions=positions, overlapping=overlapping)
            old = base.grad_fn
            base.grad_fn, base._requires_grad = scattered.grad_fn, scattered._requires_grad
            _carry_retained(base, old)
        self._bump_version()
        if result.grad_fn is not None and result.grad_fn._saves_tensors:
            result.grad_fn.rebase_saved_versions(self)
            if base is not None:
                result.grad_fn._output_view = weakref.ref(self)
        if base is None:
            base = self
        if base._requires_grad:  # every view of the base, this one too, re-reads its values from it
            for view in base._live_views():
                if view is self or view._requires_grad:
                    # repeats: an expanded or unfolded view re-reads an element of the base in several places
                    view_positions = positions if view is self else \
                        indexing.view_positions(base._data, view._data, repeats=True)
                    if view_positions is None:
                        continue
                    gathered = indexing.ViewGather.apply(base, positions=view_positions)
                    old = view.grad_fn
                    view.grad_fn, view._requires_grad = gathered.grad_fn, True
                    _carry_retained(view, old)
        return self

    def _writable_data(self, fills=False, target=None):
        """Called as NumPy refuses a write into ``self._data`` (``target``, part of it, if given): PyTorch's error
        where the memory written holds one element in several places, unless the op only ``fills`` it with one
        value (True, or the name of an op PyTorch warns of doing so, masked_fill_); else a writable view of the memory (an expanded array is read-only in NumPy, and PyTorch writes
        through such views). Another ValueError than read-only memory is raised again."""
        data = self._data
        if data.flags.writeable:
            raise  # noqa: PLE0704 - the caller's ValueError, which has another cause
        if _has_internal_overlap(data if target is None else target) and not self._fill_overlapping(fills):
            raise RuntimeError(_INTERNAL_OVERLAP) from None
        writable = data.view()
        writable.flags.writeable = True
        return writable

    @staticmethod
    def _fill_overlapping(fills):
        """Whether an op that ``fills`` (see _writable_data) may write into memory holding an element in several
        places, with PyTorch's warning for those it deprecates that for."""
        if isinstance(fills, str):
            warnings.warn(f"Use of {fills} on expanded tensors is deprecated. Please clone() the tensor before "
                          "performing this operation. This also applies to advanced indexing e.g. tensor[mask] = "
                          "scalar", UserWarning, stacklevel=5)
        return bool(fills)

    def _inplace(self, compute, other=None, cpp_type_names=False, fills=False, operand=False):
        """Apply ``compute`` (tensor -> tensor) in place: recorded when gradients flow, plain otherwise.
        ``other``: an operand (or a list of them) whose requiring grad makes the op recorded. ``cpp_type_names``:
        PyTorch's cast error names the tensor's C++ element type (``long int``). ``fills``: see _writable_data.
        ``operand``: ``other`` is the second operand of an elementwise op, whose broadcast shape PyTorch checks
        against ``self`` before it computes anything (so before a division by zero); "dtype": its promoted dtype
        too (an op whose kernel refuses floats, where PyTorch names the cast it cannot make)."""
        others = other if isinstance(other, (list, tuple)) else (other,)
        recorded = records(self, *[o for o in others if isinstance(o, Tensor)])
        memory = None
        if recorded:
            if operand and not isinstance(other, (Tensor, numbers.Number, np.bool_)):
                compute(self)  # (raises the parser's TypeError, which comes before the leaf check)
            self._check_inplace()
        if operand:
            self._check_inplace_operand(other, cpp_type_names, operand == "dtype")
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

    def _check_leaf_first(self, other):
        """Where the in-place op writing ``other`` into self fails its own checks: PyTorch's refusal to write
        into a leaf requiring grad (or a view of one) while recording, which comes before them."""
        if records(self, other) if isinstance(other, Tensor) else records(self):
            self._check_inplace()

    def _check_inplace_operand(self, other, cpp_type_names=False, check_dtype=False):
        if isinstance(other, Tensor) and other._data.shape == self._data.shape and \
                other._data.dtype == self._data.dtype:  # the optimizers' case, kept cheap
            return
        shape = self._data.shape
        if isinstance(other, Tensor) and other._data.shape != shape:
            _raise_if_not_broadcastable(self, other)
            broadcast = np.broadcast_shapes(shape, other._data.shape)
            if broadcast != shape:
                raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                                   f"{list(broadcast)}")
        if not check_dtype:
            return
        if isinstance(other, Tensor):
            common = self._common_with_tensor(other)
        elif isinstance(other, (numbers.Real, np.bool_)) and _scalar_category(other) > _category(self._data.dtype):
            common = _dtype.get_default_dtype().numpy if _scalar_category(other) == _FLOAT else np.dtype(np.int64)
        else:
            return
        if not _dtype.can_cast(common, self._data.dtype):
            target = _dtype.CPP_TYPE_NAMES[self._data.dtype.name] if cpp_type_names else self.dtype.scalar_name
            raise RuntimeError(f"result type {_dtype.from_numpy_dtype(common).scalar_name} can't be cast "
                               f"to the desired output type {target}")

    def add_(self, other, *, alpha=1):
        return self._inplace(lambda t: t.add(other, alpha=alpha), other, operand=True)

    def sub_(self, other, *, alpha=1):
        if isinstance(other, (Tensor, numbers.Number, np.bool_)):
            try:
                self._check_bool_sub(other)  # before the shapes, as PyTorch
            except RuntimeError:
                self._check_leaf_first(other)
                raise
        return self._inplace(lambda t: t.sub(other, alpha=alpha), other, operand=True)

    def mul_(self, other):
        try:
            return self._inplace(lambda t: t * other, other, operand="dtype")
        except TypeError:  # (an operand that is no tensor or number: the parser's error, not Python's)
            self.mul(other)
            raise


    def div_(self, other, *, rounding_mode=_NO_ROUNDING_MODE):
        return self._inplace(lambda t: t.div(other, rounding_mode=rounding_mode), other, operand=True)

    def pow_(self, exponent):
        try:
            return self._inplace(lambda t: t ** exponent, exponent, operand=True)
        except TypeError:  # (as mul_)
            try:
                self.pow(exponent)
            except TypeError as error:
                raise _parser_errors.in_place_named("pow", error) from None
            raise

    def floor_divide_(self, other):
        return self._inplace(lambda t: t // other, other, operand="dtype")

    def remainder_(self, other):
        return self._inplace(lambda t: t.remainder(other), other, operand="dtype")

    def fmod_(self, other):
        return self._inplace(lambda t: t.fmod(other), other, operand="dtype")

    def clamp_(self, min=None, max=None):
        return self._clamp_inplace(min, max, "clamp_")

    def clip_(self, min=None, max=None):
        return self._clamp_inplace(min, max, "clip_")

    def clamp_min_(self, min):
        _check_bound(min, "clamp_min_", "min")
        return self._clamp_inplace(min, None, "clamp_min_")

    def clamp_max_(self, max):
        _check_bound(max, "clamp_max_", "max")
        return self._clamp_inplace(None, max, "clamp_max_")

    def _clamp_inplace(self, min, max, name):
        min, max = _clamp_bounds(min, max, name)
        node = {"clamp_min_": "ClampMin", "clamp_max_": "ClampMax"}.get(name)
        return self._inplace(lambda t: t._clamp(min, max, "clamp", node),
                             cpp_type_names=not isinstance(min, Tensor) and not isinstance(max, Tensor))

    def relu_(self):
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
        _check_masked_fill_arguments("masked_fill_", mask, value)
        try:
            return self._inplace(lambda t: t.masked_fill(mask, value), value, fills="masked_fill_")
        except RuntimeError:  # (PyTorch checks the mask's broadcast into self before converting the value)
            self._check_leaf_first(mask)
            self._check_inplace_operand(mask)
            raise

    def lerp_(self, end, weight):
        _check_lerp_arguments("lerp_", end, weight)
        if end._data.dtype == self._data.dtype:  # (else lerp's own dtype error comes first)
            self._check_inplace_operand(end)  # the shape, before the kernel
            if isinstance(weight, Tensor) and not weight.ndim:
                self._check_inplace_operand(weight, check_dtype=True)  # (its promotion: the cast comes first)
        return self._inplace(lambda t: t.lerp(end, weight), [end, weight])

    def copy_(self, src, non_blocking=False):
        if not isinstance(src, Tensor):
            if not isinstance(src, (numbers.Number, np.bool_)):
                raise _parser_errors.not_tensor("copy_", "other", 1, src)
            src = Tensor._wrap(np.asarray(src))
        source = src
        if source._data.shape != self._data.shape:
            try:
                _raise_if_not_broadcastable(self, source)
            except RuntimeError:
                self._check_leaf_first(source)
                raise
            if np.broadcast_shapes(self._data.shape, source._data.shape) != self._data.shape:
                self._check_leaf_first(source)
                raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                                   f"{list(np.broadcast_shapes(self._data.shape, source._data.shape))}")
        if records(self, source):
            self._check_inplace()
            memory = self._shared_memory()
            try:
                result = inplace.Copy.apply(self, source)
            finally:
                if memory is not None:
                    self._data = memory
            return self._rebind(result, memory)
        values = _dtype.cast_source(source._data, self._data.dtype)
        try:
            self._data[...] = values
        except ValueError:
            self._writable_data()[...] = values
        self._bump_version()
        return self

    def _overwrite(self, values, kind, other=None):
        """Replace every value; recorded as a node passing no gradient back when self is in the graph. ``other``:
        a tensor operand the values were computed from (eq_'s), which gets a zero gradient too."""
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

    def fill_(self, value):
        if isinstance(value, Tensor):
            if value._data.ndim:
                self._check_leaf_first(value)
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value._data.ndim} dimensions.")
            if records(value):
                return self.copy_(value)
            value = value._data
        else:  # (PyTorch writes a single element without its range check for half)
            if not _parser_errors.is_operand(value):  # (a NumPy array, even 0-d, is no Number)
                raise _parser_errors.invalid_combination("fill_", ("Tensor value", "Number value"), (value,))
            value = _dtype.fill_value(value, self._data.dtype, check_half=self._data.size != 1)
        return self._overwrite(value, "FillBackward2")

    def _check_random_fill(self, kernel):  # (also nn.init's)
        if self._data.size:  # PyTorch's random kernels, and their dtype dispatch, do not run on an empty tensor
            self._no_kernel_for("biu", kernel)

    def _no_kernel_for(self, kinds, kernel):
        """PyTorch's error for a dtype its ``kernel`` has no version for (NumPy kinds ``kinds``)."""
        if self._data.dtype.kind in kinds:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{self.dtype.scalar_name}'")

    def _refuse_complex(self, message, error=NotImplementedError):
        """PyTorch's refusal (``error(message)``) of a complex tensor by an op it defines for real numbers only."""
        if self._data.dtype.kind == "c":
            raise error(message)

    def uniform_(self, *bounds, generator=None, **named):
        """Fill with draws from [from, to) (``uniform_(from=0, to=1)``)."""
        from .random import draw_values, stream

        if named or generator is not None or len(bounds) > 2 or not all(type(b) in (float, int) for b in bounds):
            parsed = _parser_errors.parse("uniform_", ("float from=0, float to=1, *, Generator? generator=None",),
                                          bounds, {**named, "generator": generator})
            bounds, generator = (parsed["from"], parsed["to"]), parsed["generator"]
        a, b = bounds + (0.0, 1.0)[len(bounds):]
        self._no_kernel_for("biu", "check_uniform_bounds")  # (dispatched on the dtype before the kernel, empty or not)
        check_uniform_bounds(a, b, self._data.dtype)
        values = draw_values(stream(generator).uniform, self._data.shape, self._data.dtype, a, b)
        return self._overwrite(values, "UniformBackward0")

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from .random import draw_values, stream

        self._check_random_fill("normal_kernel_cpu")
        if not std >= 0:  # (NaN too) :g prints a double as C++ streams do (-0.57735, 123457, 1e-07)
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        if self._data.dtype.kind == "c":  # each part's spread, as in PyTorch
            std = std / math.sqrt(2)
        values = draw_values(stream(generator).normal, self._data.shape, self._data.dtype, mean, std)
        return self._overwrite(values, "NormalBackward0")

    def bernoulli_(self, p=0.5, *, generator=None):
        from .random import bernoulli_

        return bernoulli_(self, p, generator=generator)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    # Python falls back to ``x = x // y`` without these, which would rebind x to a new tensor (of the promoted
    # dtype) instead of writing into it as PyTorch does.
    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

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

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # ------------------------------------------------------------------ factories from a tensor
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._creation import _copy_construct_warning, check_requires_grad, tensor

        check_requires_grad("new_tensor", requires_grad, none_taken=False)
        if isinstance(data, Tensor):
            _copy_construct_warning("tensor.new_tensor")
            data = data._data
        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    # (device, layout and pin_memory as PyTorch's factories take them: the CPU, strided, unpinned)
    def new_zeros(self, *sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return _new_filled(self, sizes, 0, dtype, requires_grad, "new_zeros", device, pin_memory, size)

    def new_ones(self, *sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return _new_filled(self, sizes, 1, dtype, requires_grad, "new_ones", device, pin_memory, size)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        if not isinstance(size, (tuple, list)):  # (one int is no size here: new_full takes no ints as arguments)
            raise _parser_errors.wrong_type("new_full", "size", 1, size, "tuple of ints")
        return _new_filled(self, (size,), fill_value, dtype, requires_grad, "new_full", device, pin_memory)

    def new_empty(self, *sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return _new_filled(self, sizes, 0, dtype, requires_grad, "new_empty", device, pin_memory, size)

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False, layout=None,
                          pin_memory=False):
        """:func:`torchless.empty_strided` in this tensor's dtype unless ``dtype`` is given."""
        from ._creation import empty_strided

        if not (isinstance(size, (tuple, list)) and _all_ints(size) and isinstance(stride, (tuple, list)) and
                _all_ints(stride)):  # (the parser's errors name this method)
            parsed = _parser_errors.parse("new_empty_strided", ("SymInt[] size, SymInt[] stride",), (size, stride))
            size, stride = parsed["size"], parsed["stride"]
        return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype, device=device,
                             requires_grad=requires_grad)


_TO_OVERLOADS = tuple(f"{first}bool non_blocking = False, bool copy = False, *, torchless.memory_format memory_format = None"
                      for first in ("torchless.device device = None, torchless.dtype dtype = None, ",
                                    "torchless.dtype dtype, ", "Tensor tensor, "))
_TO_KEYWORDS = frozenset(("device", "dtype", "non_blocking", "copy", "memory_format"))


def _no_positional(name, args):
    """PyTorch's TypeError for a method taking only keywords called with positional arguments."""
    raise TypeError(f"{name}() takes 0 positional arguments but {len(args)} "
                    f"{'was' if len(args) == 1 else 'were'} given")


def _to_leading_arguments(args, kwargs):
    """How many of ``Tensor.to``'s positional arguments are its device, dtype or tensor (the rest are its
    non_blocking and copy flags), or None where PyTorch's parser takes none of its overloads: (device, dtype,
    flags), (dtype, flags), (tensor, flags), flags given by position only after a dtype or tensor; Python bools
    only for the flags, at most one dtype (a NumPy one refused); only its keywords."""
    if not _TO_KEYWORDS.issuperset(kwargs):
        return None
    dtype = kwargs.get("dtype")
    if dtype is not None and not _dtype.is_argument(dtype):
        return None
    memory_format = kwargs.get("memory_format")
    if memory_format is not None and type(memory_format) is not _memory_format.memory_format:
        return None
    if kwargs.get("non_blocking", False).__class__ is not bool or kwargs.get("copy", False).__class__ is not bool:
        return None
    leading = _to_target_count(args)
    flags = args[leading:]
    if len(flags) > 2 or any(flag.__class__ is not bool for flag in flags) or (
            flags and leading == 1 and not (_dtype.is_argument(args[0]) or isinstance(args[0], Tensor))):
        return None  # (flags after a device alone: the device overload's second argument is its dtype)
    dtypes = (dtype is not None) + sum(_dtype.is_argument(a) for a in args[:leading])
    return leading if dtypes <= 1 else None


def _to_target_count(args):
    """How many arguments from the first are a device (a name, index or None) and a dtype, or a dtype, or a
    tensor."""
    if not args:
        return 0
    first = args[0]
    if _dtype.is_argument(first) or isinstance(first, Tensor):
        return 1
    if first is None or isinstance(first, (str, device)) or type(first) is int:
        return 2 if len(args) > 1 and (args[1] is None or _dtype.is_argument(args[1])) else 1
    return 0


def _new_filled(like, size, value, dtype, requires_grad, name, device=None, pin_memory=False, keyword_size=None):
    """``keyword_size``: the size given by keyword (``new_zeros(size=(2, 3))``), else None."""
    from ._creation import check_pin_memory, check_requires_grad, full_array

    if device is not None:
        _require_cpu(device)
    check_pin_memory(pin_memory)
    check_requires_grad(name, requires_grad)
    if name == "new_full" and not _parser_errors.is_number_argument(value):
        from .nn._functional._args import _tp_name

        raise TypeError(f"new_full(): argument 'fill_value' (position 2) must be Number, not {_tp_name(value)}")
    np_dtype = like._data.dtype if dtype is None else _dtype.argument(dtype, name)
    shape = _shape_arg(size, name, keywords=None if keyword_size is None else {"size": keyword_size})
    for n in shape:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
    out = Tensor._wrap(_memory_format.c_ordered(full_array(shape, value, np_dtype)))  # (an empty one's strides too)
    if requires_grad:
        out._set_requires_grad(True)  # a factory's checks: an integer tensor cannot require grad
    return out


def _all_ints(value):
    """An int, or a tuple or list of ints only: no parser needed."""
    return type(value) is int or isinstance(value, (tuple, list)) and all(type(v) is int for v in value)


def _check_lerp_arguments(name, end, weight):
    """lerp's overloads take a tensor ``end`` and a tensor or number ``weight``."""
    if not isinstance(end, Tensor) or not isinstance(weight, (Tensor, numbers.Real, np.bool_)):
        raise _parser_errors.invalid_combination(name, ("Tensor end, Tensor weight", "Tensor end, Number weight"),
                                                 (end, weight))


def _alpha_number(name, alpha):
    """``alpha`` as a number, as PyTorch's parser reads a ``Number`` (a 0-d tensor outside the graph too)."""
    if isinstance(alpha, (numbers.Number, np.bool_)):
        return alpha
    if not _parser_errors.is_number_argument(alpha):  # (keyword-only: no position in the message)
        from .nn._functional._args import _tp_name

        raise _parser_errors.in_place_named(name, TypeError(f"{name}(): argument 'alpha' must be Number, not "
                                                            f"{_tp_name(alpha)}"))
    return alpha.item()


def _check_tensor_other(other, name):
    """PyTorch's methods without a number overload (maximum, logical_and, isclose, ...) refuse numbers too."""
    if not isinstance(other, Tensor):
        raise _parser_errors.not_tensor(name, "other", 1, other)


def _rshift_operand(tensor, number):
    """The number shifted in ``number << tensor``, in the dtype a Python scalar promotes to with ``tensor``."""
    if not isinstance(number, (numbers.Real, np.bool_)):
        return NotImplemented
    dtype = tensor._data.dtype
    if _scalar_category(number) > _category(dtype):
        dtype = _dtype.get_default_dtype().numpy if _scalar_category(number) == _FLOAT else np.dtype(np.int64)
    try:
        return Tensor._wrap(np.asarray(number, dtype))
    except OverflowError:
        return Tensor._wrap(np.asarray(_dtype.wrap_int(number, dtype), dtype))


def _cpp_type_name(dtype):
    """The C++ name PyTorch prints for a dtype's element type ('float', 'double', 'c10::Half', 'long int')."""
    return {"float16": "c10::Half", "float32": "float", "float64": "double"}.get(dtype.name) \
        or _dtype.CPP_TYPE_NAMES[dtype.name]


def _trunc_divide(x, y):
    """x / y rounded toward zero; integers exactly (through floats they would lose digits beyond 2**53)."""
    if x.dtype.kind == "f":
        return np.trunc(x / y)
    q = np.floor_divide(x, y)
    return q + ((q < 0) & (q * y != x)).astype(q.dtype)  # floor and trunc differ for inexact negative quotients


# The C++ names of the floating element types, which some PyTorch messages print (integers: _dtype.CPP_TYPE_NAMES).
_C_FLOAT_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double"}


def _check_index_along(shape, axis, idx, name, role, source_shape=None):
    """PyTorch's gather / scatter checks of an index array ``idx`` along ``axis`` of an array of ``shape``
    (a 0-d array or index counts as one element): dtype, rank, sizes, then each index in range."""
    if idx.dtype not in (np.int64, np.int32):  # (scatter_add shares scatter's check, and its name)
        raise RuntimeError(f"{'scatter' if name == 'scatter_add' else name}(): Expected dtype int32/int64 for index")
    if max(idx.ndim, 1) != max(len(shape), 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {role} tensor")
    if len(shape) and idx.ndim:
        too_large = [d for d in range(idx.ndim) if d != axis and idx.shape[d] > shape[d]]
        if source_shape is not None and len(source_shape) == idx.ndim:
            too_large += [d for d in range(idx.ndim) if idx.shape[d] > source_shape[d]]
        if too_large:
            if role == "input":
                raise RuntimeError(f"Size does not match at dimension {too_large[0]} expected index {list(idx.shape)} "
                                   f"to be no larger than self {list(shape)} apart from dimension {axis}")
            larger_than_source = "" if source_shape is None else \
                f" and to be no larger size than src {list(source_shape)}"
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart from "
                               f"dimension {axis}{larger_than_source}")
    size = shape[axis] if len(shape) else 1
    outside = (idx < 0) | (idx >= size)
    if outside.any():
        raise RuntimeError(f"index {idx.reshape(-1)[np.argmax(outside.reshape(-1))]} is out of bounds for dimension "
                           f"{axis} with size {size}")


def _no_overload_matches(name, got, overloads, marked=None):
    """PyTorch's TypeError when no overload of ``name`` takes the arguments ``got``: each overload listed, with
    the arguments again, the mismatching ones in !...!, under each (``marked``; None: no such line)."""
    why = "\n" if marked is None else \
        f"\n      didn't match because some of the arguments have invalid types: ({marked})\n"
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     + "".join(f" * {overload}{why}" for overload in overloads))


def _check_bound(value, name, arg):
    """PyTorch's TypeError for a clamp_min/clamp_max bound that is neither a tensor nor a number (None too)."""
    if not isinstance(value, (Tensor, numbers.Number, np.bool_)):
        got = type(value).__name__
        raise _no_overload_matches(name, got, [f"(Tensor {arg})", f"(Number {arg})"], f"!{got}!")


def _clamp_bounds(min, max, name):
    """The bounds of clamp as PyTorch's overloads read them: (Tensor min, Tensor max) or (Number min, Number max),
    None fitting either. A 0-d tensor that does not require grad passes as a Number beside a number, so it is
    read as one (its dtype then counts as a number's); a tensor with dims beside a number fits neither."""
    bounds = (min, max)
    if not all(b is None or _parser_errors.is_operand(b) for b in bounds):  # (read back as given by position)
        raise _parser_errors.invalid_combination(name, ("Tensor min = None, Tensor max = None",
                                                        "Number min = None, Number max = None"),
                                                 bounds if max is not None else (min,))
    if not any(isinstance(b, Tensor) for b in bounds) or all(b is None or isinstance(b, Tensor) for b in bounds):
        return min, max
    if all(not isinstance(b, Tensor) or (not b._data.ndim and not b.requires_grad) for b in bounds):
        return tuple(b.item() if isinstance(b, Tensor) else b for b in bounds)
    got = ", ".join("Tensor" if isinstance(b, Tensor) else type(b).__name__ for b in bounds)
    marked = ", ".join("!Tensor!" if isinstance(b, Tensor) else f"!{type(b).__name__}!" for b in bounds)
    raise _no_overload_matches(name, got, ["(Tensor min = None, Tensor max = None)",
                                           "(Number min = None, Number max = None)"], marked)


def _every_dim_unless_keepdim(name, keepdim, dtype):
    """None (every dim) for a sum or mean called without dim, or PyTorch's TypeError where keepdim was given."""
    if keepdim is not False:
        raise _parser_errors.reduction_error(name, None, keepdim, dtype) or TypeError(
            f"{name}() missing 1 required positional arguments: \"dim\"")
    return None


def _reduced_axes(name, dim, keepdim, ndim, dtype=None, **keywords):
    """normalize_dims for the reduction ``name``, whose bad dim or non-bool keepdim is PyTorch's parser's
    TypeError (read back from the arguments by reduction_error)."""
    if keepdim.__class__ is not bool or dtype is not None and not _dtype.is_argument(dtype) or \
            type(dim) is not int and isinstance(dim, Tensor):  # (a one-element tensor is no lone int[]? dim)
        error = _parser_errors.reduction_error(name, dim, keepdim, dtype, **keywords)
        if error is not None:
            raise error
    try:
        return normalize_dims(dim, ndim)
    except TypeError as error:
        raise _parser_errors.reduction_error(name, dim, keepdim, dtype, **keywords) or error from None


def _refuse_as_written(name, params, **keywords):
    """Raise PyTorch's parser TypeError for the call of the method ``name`` as its caller wrote it (see
    _parser_errors.written_call), where it has one."""
    error = _parser_errors.written_error(name, params, keywords)
    if error is None and _parser_errors.written_call(name, params, keywords) is None:  # not readable: by keyword
        error = _parser_errors.method_error(name, (), {**dict(params), **{key: value for key, value in
                                                                          keywords.items() if value is not None}})
    if error is not None:
        raise error


def _check_masked_fill_arguments(name, mask, value, input=()):
    """PyTorch's parser TypeError for a mask that is no tensor or a value that is neither a tensor nor a number
    (``input``: the function form's tensor, listed first)."""
    if not isinstance(mask, Tensor) or not _parser_errors.is_operand(value):
        first = "Tensor input, " if input else ""
        raise _parser_errors.invalid_combination(
            name, [f"{first}Tensor mask, Tensor value", f"{first}Tensor mask, Number value"], input + (mask, value))


def variance_arguments(name, args, kwargs, overloads=None):
    """The arguments of var/std (var_mean/std_mean with their function ``overloads``, ``input`` left out) as
    PyTorch's parser takes them: (dim, correction, keepdim, shown), ``shown`` the correction its node saves, which
    tells the overloads apart: None from the correction one given none (``x.var()``), else the correction given,
    1 or 0 from the unbiased ones (``x.var(None)``, ``x.var(unbiased=False)``)."""
    if not args and not kwargs:
        return None, 1, False, None
    index, bound = _parser_errors.parse_overload(name, overloads or _parser_errors.METHOD_OVERLOADS[name], args,
                                                 kwargs)
    if index == 1:
        shown = bound["correction"]
        if isinstance(shown, Tensor):  # (a 0-d tensor is a Number to the parser: its value)
            shown = shown.item()
        return bound["dim"], 1 if shown is None else shown, bound["keepdim"], shown
    correction = int(bound["unbiased"])
    return bound.get("dim"), correction, bound.get("keepdim", False), correction


def _elementwise_extremum(a, b, largest):
    a, b = a._operands(b)
    a._refuse_complex(f"{'maximum' if largest else 'minimum'} not implemented for complex tensors.", RuntimeError)
    try:
        return arithmetic.Extremum.apply(a, b, largest=largest)
    except ValueError:
        _raise_if_not_broadcastable(a, b)
        raise


def _real_scalar(value, c_type):
    """A Python number as PyTorch converts it to the real C++ type ``c_type``: a complex one with no imaginary
    part as its real part, refused with one."""
    if value.__class__ is complex:
        if value.imag:
            raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
        return value.real
    return value


def refuse_complex_gradient(name, tensor):
    """PyTorch's refusal to record ``name`` (an op it computes for complex tensors without a derivative) on a
    complex ``tensor`` while gradients are recorded."""
    if tensor._data.dtype.kind == "c" and records(tensor):
        raise RuntimeError(f"{name} does not support automatic differentiation for outputs with complex dtype.")


def _refuse_relu(tensor):
    """PyTorch's refusal of a bool or complex tensor by relu (called only for those)."""
    if tensor._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    raise NotImplementedError("clamp is not supported for complex types")


def _raise_if_not_broadcastable(a, b):
    if a._data.shape != b._data.shape:
        error = broadcast_error(a._data.shape, b._data.shape)
        if error is not None:
            raise error


def _tensor_options(np_dtype):
    """How PyTorch prints the options of a CPU tensor of ``np_dtype`` in its errors."""
    return (f"TensorOptions(dtype={_dtype.CPP_SCALAR_NAMES[np_dtype.name]}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), memory_format=(nullopt))")


def result_dtype(a, a_has_dims, b, b_has_dims):
    """PyTorch's result dtype of an op on tensors of NumPy dtypes a and b: a 0-d tensor beside one with
    dimensions counts only when its category (bool < integer < float < complex) is higher; a complex one beside
    floats gives the complex dtype of their precision."""
    if a_has_dims != b_has_dims:
        ca, cb = _category(a), _category(b)
        if a_has_dims and ca >= cb:
            return a
        if b_has_dims and cb >= ca:
            return b
        dims, zero = (a, b) if a_has_dims else (b, a)
        if zero.kind == "c" and dims.kind == "f":
            return np.result_type(dims, np.complex64)
    return _promote(a, b)


def check_uniform_bounds(a, b, np_dtype=None):
    """PyTorch's refusal of an inverted range, and for a float ``np_dtype`` of bounds outside its range (NaN and inf
    too) or of a range wider than its largest value; numbers printed as C++ streams print doubles."""
    largest = _dtype.FLOAT_MAX.get(np_dtype)
    if largest is not None:
        for name, bound in (("from", a), ("to", b)):
            if not -largest <= bound <= largest:
                raise RuntimeError(f"{name} is out of bounds for {_dtype.CPP_SCALAR_NAMES[np_dtype.name]}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    if largest is not None and b - a > largest:
        limits = f"std::numeric_limits<{_dtype.from_numpy_dtype(np_dtype).scalar_name}>::max()"
        raise RuntimeError(f"uniform_ expects to-from <= {limits}, but found to={b:g} and from={a:g} which result in "
                           "to-from to exceed the limit")


# PyTorch's TORCH_WARN_ONCE texts for x.T off matrices, with ATen's source location: once per process each,
# whatever the warning filters say.
_T_WARNINGS = {
    "reverse": "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
               "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
               "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor. (Triggered "
               "internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4314.)",
    "0-D": "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases. (Triggered "
           "internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4321.)",
}
_t_warned = set()


def _warn_reversing_t(ndim):
    kind = "0-D" if ndim == 0 else "reverse"
    if kind not in _t_warned:
        _t_warned.add(kind)
        warnings.warn(_T_WARNINGS[kind], UserWarning, stacklevel=3)


class _LegacyTensorType(type):
    """``torchless.FloatTensor`` and kin, as in PyTorch: an instance is a tensor of that dtype, and calling the
    type builds one (``torchless.LongTensor([1, 2])``, ``torchless.FloatTensor(2, 3)``)."""

    is_cuda = False

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.numpy

    def __call__(cls, *args):
        return Tensor(*args, dtype=cls.dtype)

    def __repr__(cls):
        return f"<class 'torchless.{cls.__name__}'>"


LEGACY_TYPES = {name: _LegacyTensorType(name, (), {"dtype": d}) for d, name in _dtype.TENSOR_TYPE_NAMES.items()}


class _CudaLegacyTensorType(_LegacyTensorType):
    """``torchless.cuda.FloatTensor`` and kin, as a CPU-only PyTorch has them: scripts name them
    (``Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor``), no tensor is one, and building one or
    converting to one fails."""

    is_cuda = True

    def __instancecheck__(cls, obj):
        return False

    def __call__(cls, *args):
        raise TypeError(f"type torchless.cuda.{cls.__name__} not available. Torch not compiled with CUDA enabled.")

    def __repr__(cls):
        return f"<class 'torchless.cuda.{cls.__name__}'>"


CUDA_LEGACY_TYPES = {name: _CudaLegacyTensorType(name, (), {"dtype": d})
                     for d, name in _dtype.TENSOR_TYPE_NAMES.items()}


_INT_ONLY = frozenset({int})

# A base's record of its views (Tensor._views), which its deepcopy does not take over
_OWN_VIEWS = ("_views", "_views_prune_at")

_DEEPCOPY_NON_LEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment.  If you "
    "were attempting to deepcopy a module, this may be because of a torch.nn.utils.weight_norm usage, see "
    "https://github.com/pytorch/pytorch/pull/103001"
)


def _deepcopied_array(array, memo):
    """A copy of ``array`` for one deepcopy: the memory it lies in is copied once (memoized by that owner's id, as
    copy.deepcopy memoizes objects), and the result is the same window into the copy."""
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not (root.flags.c_contiguous or root.flags.f_contiguous):
        return array.copy()
    copied = memo.get(id(root))
    if copied is None:
        copied = memo[id(root)] = root.copy(order="K")
        memo.setdefault(id(memo), []).append(root)  # copy.deepcopy's keep-alive list: the id stays this array's
    offset = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return np.ndarray(array.shape, array.dtype, buffer=copied, offset=offset, strides=array.strides)


def _rebuild(array, requires_grad):
    t = Tensor._wrap(array)
    t._requires_grad = requires_grad
    return t


def typename(obj):
    """PyTorch's ``torch.typename``: a tensor's legacy type (``torchless.FloatTensor``), else the qualified
    name of the object's type, or of the object if it is a class or function (``int``, ``collections.OrderedDict``)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname is None:
        module, qualname = obj.__class__.__module__ or "", obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


# The math ops beyond the basics (erf, atan2, addmm, cumprod, quantile, index_add, ...), kept in their own module.
from ._ops import math_methods as _math_methods  # noqa: E402 - needs the Tensor class defined above

_math_methods.install(Tensor)

from ._ops.kron import kron as _kron  # noqa: E402
from ._ops.unfold import unfold as _unfold  # noqa: E402

Tensor.unfold = _unfold
Tensor.kron = _kron

# torch-namespace extras (lgamma, bitwise ops, cov, nanmedian, ...) and bernoulli/multinomial methods.
from ._ops import extra_math as _extra_math  # noqa: E402

_extra_math.install(Tensor)
from ._ops import tensor_extras as _tensor_extras  # noqa: E402

_tensor_extras.install(Tensor)  # legacy spellings, aliases, linalg method forms, out-of-place scatters
from ._ops import complex_ops as _complex_ops  # noqa: E402

_complex_ops.install(Tensor)  # complex tensors' real, imag, angle and conj

# In-place shape changes, comparisons and logical ops, more random fills, index_put/put/scatter_reduce, as_strided.
inplace.install(Tensor)

# Last, once every method is on the class: NumPy's keyword names (axis=, keepdims=) as PyTorch's parser takes them,
# and its TypeErrors for calls those methods (and the ones marked parser_arity) cannot bind.
from . import _numpy_names  # noqa: E402

for _name in ("transpose", "flatten", "type", "roll", "diagonal", "isclose", "allclose"):
    getattr(Tensor, _name).parser_arity = True
for _name in ("view", "reshape", "permute", "expand", "repeat"):  # (unwrapped: their **keywords are sizes' names)
    getattr(Tensor, _name).own_keywords = True
_numpy_names.install_methods(Tensor, _parser_errors.method_binding_error)


def name_methods(cls):
    """Methods made by a factory (``_smooth_method.<locals>.method``) named as methods of ``cls``: Python's own
    TypeError for a bad number of arguments names the function by its qualified name, as PyTorch's names
    Tensor.acos(). (Those also bound in the torchless namespace keep the function's name.)"""
    import torchless

    for name, value in list(vars(cls).items()):
        for function in {value, inspect.unwrap(value)} if inspect.isfunction(value) else ():
            if "<locals>" in function.__qualname__ and getattr(torchless, name, None) is not value:
                function.__name__, function.__qualname__ = name, f"{cls.__name__}.{name}"
                # (its frames too, by which _written_call finds a failing call)
                function.__code__ = function.__code__.replace(co_name=name, co_qualname=function.__qualname__) \
                    if sys.version_info >= (3, 11) else function.__code__.replace(co_name=name)
