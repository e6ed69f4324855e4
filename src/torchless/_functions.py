"""Tensor operations in function form (``torchless.max(x, 1)``, ``torchless.cat([a, b])``, ...)."""
import inspect
import numbers
import operator
import re

import numpy as np

from . import _dtype, _out_argument, _parser_errors
from ._parser_errors import NOT_GIVEN, missing_arguments
from ._out_argument import accepts_out, parsed_on_failure, with_out
from ._ops import shape as shape_ops
from ._ops._util import broadcast_error, is_int_argument, normalize_dim, raise_if_not_broadcastable
from ._size import Size
from ._tensor import Tensor
from ._user_warnings import warn_from_user_code
from ._type_promotion import FLOAT, NUMBERS, category, promote, scalar_category
from .autograd import forward_ad
from .autograd.graph import save_tensor_versions
from ._tensor_methods._arguments import arg_extremum_arguments, check_masked_fill_arguments
from ._tensor_methods.shape import repeated_positions


_NO_INPUT = object()  # a function form's input left out (the parser's "missing" error, not Python's)


# The functions whose kernels refuse an empty list in their own name (row_stack is vstack's alias), beside cat's
_STACKING_NAMES = {name: name for name in ("stack", "hstack", "vstack", "dstack", "column_stack")}
_STACKING_NAMES["row_stack"] = "vstack"


def _tensor_list(tensors, name):
    """``tensors`` checked as PyTorch's argument parser and kernels do: a non-empty list or tuple of tensors."""
    if tensors.__class__ in _SEQUENCES and tensors and isinstance(tensors[0], Tensor):  # tensors of one dtype: as
        dtype = tensors[0]._data.dtype  # they are (the checks one by one cost a quarter of a small cat)
        for t in tensors:
            if not (isinstance(t, Tensor) and t._data.dtype == dtype):
                break
        else:
            return list(tensors)
    _parser_errors.check_tensor_list(name, tensors)  # (before emptiness and dtypes, as PyTorch's parser)
    if not tensors:
        if name in _STACKING_NAMES:
            raise RuntimeError(f"{_STACKING_NAMES[name]} expects a non-empty TensorList")
        raise ValueError("torchless.cat(): expected a non-empty list of Tensors")  # concat's and concatenate's too
    common = tensors[0]._data.dtype
    for t in tensors[1:]:
        common = promote(common, t._data.dtype)
    return [t._cast(common) for t in tensors]


_SEQUENCES = (list, tuple)


class _DefaultDim(int):
    """cat/stack's ``dim`` when not given by keyword: 0, told apart from a ``dim=0`` given."""


_DIM_NOT_GIVEN = _DefaultDim(0)


def _dim_argument(name, positional, dim):
    """cat/stack's ``dim`` as PyTorch's parser takes it (positional: a tuple of the arguments after the tensors):
    an integer, not a bool or a float; its error says where dim was given."""
    if positional:
        if len(positional) > 1:
            raise TypeError(f"{name}() takes from 1 to 2 positional arguments but {len(positional) + 1} were given")
        if dim is not _DIM_NOT_GIVEN:
            raise TypeError(f"{name}() got multiple values for argument 'dim'")
        dim = positional[0]
    if type(dim) is not int and not is_int_argument(dim):  # (no bool, float, one-element tensor of rank > 0)
        from .nn._functional._args import _tp_name

        where = " (position 2)" if positional else ""
        raise TypeError(f"{name}(): argument 'dim'{where} must be int, not {_tp_name(dim)}")
    return operator.index(dim)


@accepts_out("cat")
def cat(tensors=NOT_GIVEN, *positional, dim=_DIM_NOT_GIVEN):
    """Join tensors along an existing dimension."""
    return _concatenated("cat", tensors, positional, dim)


@accepts_out("concat")
def concat(tensors=NOT_GIVEN, *positional, dim=_DIM_NOT_GIVEN):
    """cat under another name (which PyTorch's errors give)."""
    return _concatenated("concat", tensors, positional, dim)


@accepts_out("concatenate")
def concatenate(tensors=NOT_GIVEN, *positional, dim=_DIM_NOT_GIVEN):
    """cat under another name (which PyTorch's errors give)."""
    return _concatenated("concatenate", tensors, positional, dim)


def _concatenated(name, tensors, positional, dim):
    """cat, concat and concatenate (``name``, which the errors give), below their out= wrappers: each wrapper
    reports its own parser errors."""
    tensors = _tensor_list(tensors, name)
    if dim is _DIM_NOT_GIVEN and not positional:
        dim = 0
    elif positional or type(dim) is not int:
        dim = _dim_argument(name, positional, dim)
    skipped = False
    for i, t in enumerate(tensors):  # (each at its place in the list given, before any other check)
        if t._data.ndim < 2:
            if t._data.ndim == 0:
                raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
            skipped = skipped or t._data.size == 0
    # PyTorch skips 1-D empty tensors when concatenating; of only such tensors, it wraps no dim (any is taken)
    # and returns an empty one
    kept = [(i, t) for i, t in enumerate(tensors) if not (t._data.ndim == 1 and t._data.size == 0)] if skipped \
        else list(enumerate(tensors))
    if not kept:
        return shape_ops.Cat.apply(*tensors, dim=0, given_dim=dim)
    first = kept[0][1]
    axis = normalize_dim(dim, first._data.ndim)
    for i, t in kept[1:]:  # (numbered at their places in the list given)
        if t._data.shape == first._data.shape:
            continue
        if t._data.ndim != first._data.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {first._data.ndim} and "
                               f"{t._data.ndim}")
        for d, (x, y) in enumerate(zip(first._data.shape, t._data.shape)):
            if d != axis and x != y:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. Expected size {x} but "
                                   f"got size {y} for tensor number {i} in the list.")
    return shape_ops.Cat.apply(*(tensors if not skipped else [t for _, t in kept]), dim=axis, given_dim=dim)


@accepts_out("stack")
def stack(tensors=NOT_GIVEN, *positional, dim=_DIM_NOT_GIVEN):
    """Join tensors of one shape along a new dimension."""
    tensors = _tensor_list(tensors, "stack")
    if dim is _DIM_NOT_GIVEN and not positional:
        dim = 0
    elif positional or type(dim) is not int:
        dim = _dim_argument("stack", positional, dim)
    axis = normalize_dim(dim, tensors[0]._data.ndim + 1)  # (the dim's range first, as PyTorch)
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != tensors[0]._data.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    return shape_ops.Stack.apply(*tensors, dim=axis, given_dim=dim)


@accepts_out("where")
def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other``; with one argument, the indices."""
    if not isinstance(condition, Tensor):
        raise _parser_errors.not_tensor("where", "condition", 1, condition)
    cond = condition._data
    if input is None and other is None:  # (nonzero(as_tuple=True): a 0-d condition counts as one element)
        return condition.nonzero(as_tuple=True)
    if not (isinstance(input, (Tensor, NUMBERS)) and isinstance(other, (Tensor, NUMBERS))):
        raise _parser_errors.invalid_where((condition, input, other))
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):  # two numbers: one as a 0-d tensor of its
        # kind's dtype (a NumPy float64 too gives the default float dtype, as PyTorch's wrapped numbers do)
        from ._info import scalar_dtype

        np_dtype = scalar_dtype(input)
        input = Tensor._wrap(np.asarray(_dtype.fill_value(input, np_dtype, check_half=False), np_dtype))
    if isinstance(input, Tensor):
        a, b = _where_operands(input, other)
    else:
        b, a = _where_operands(other, input)
    if cond.dtype == np.uint8:  # (checked after the numbers are converted, as PyTorch wraps them first)
        _warn_uint8_condition()
        cond = cond.astype(np.bool_)
    elif cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dtype.from_numpy_dtype(cond.dtype).scalar_name}")
    shape = cond.shape
    if a._data.shape != shape or b._data.shape != shape:  # (equal shapes, the common call, broadcast as they are)
        for operand in (a._data.shape, b._data.shape):
            error = broadcast_error(shape, operand)
            if error is not None:
                raise error
            shape = np.broadcast_shapes(shape, operand)
    result = save_tensor_versions(shape_ops.Where.apply(a, b, condition=cond), condition)
    if forward_ad.state.vmap_levels and forward_ad.batched(condition):  # (the condition, batched alone, makes
        # the result batched; its layout leads TensorIterator's as the first input)
        if not forward_ad.batched(result):
            forward_ad.mark_batched(result, (condition,))
        result.__dict__["_vmap_own_layout"] = True
    return result


# PyTorch still takes a uint8 condition, warning once per process (TORCH_WARN_ONCE)
_UINT8_CONDITION_WARNING = ("where received a uint8 condition tensor. This behavior is deprecated and will be removed in a "
                            "future version of PyTorch. Use a boolean condition instead. (Triggered internally at "
                            "/__w/pytorch/pytorch/aten/src/ATen/native/TensorCompare.cpp:621.)")
_uint8_condition_warned = [False]


def _warn_uint8_condition():
    if not _uint8_condition_warned[0]:
        _uint8_condition_warned[0] = True
        warn_from_user_code(_UINT8_CONDITION_WARNING)


def _where_operands(tensor, value):
    """``tensor`` and ``value`` (a tensor or a number) in the dtype where() computes in. Beside a number the
    tensor is converted by ``.to()``, as PyTorch's where.ScalarOther does (a ToCopyBackward0 in its graph);
    beside a tensor, by the kernel (no node)."""
    a, b = tensor._operands(_scalar_as_fill(value, tensor))
    return (a, b) if isinstance(value, Tensor) else (tensor._cast(a._data.dtype), b)


def _scalar_as_fill(value, like):
    """A Python number beside the tensor ``like``, as where() converts it to the result's dtype: range-checked
    like a fill value (uint8 takes -1 as 255, refuses 300; float32 refuses 1e40), not wrapped like an operand."""
    if not isinstance(value, NUMBERS):
        return value
    np_dtype = like._data.dtype
    value_category = scalar_category(value)
    if value_category > category(np_dtype):
        if value_category != FLOAT:  # an int beside bools: promoted (or refused) as an arithmetic operand is
            return value
        np_dtype = _dtype.get_default_dtype().numpy
    return Tensor._wrap(np.asarray(_dtype.fill_value(value, np_dtype, check_half=False), np_dtype))


def is_tensor(obj):
    """is_tensor(obj) -> bool

    Returns ``True`` if ``obj`` is a torchless tensor (a :class:`~torchless.Tensor` or a subclass such as
    :class:`~torchless.nn.Parameter`): ``isinstance(obj, torchless.Tensor)``.

    Args:
        obj (object): the object to test

    Examples::

        >>> torch.is_tensor(torch.tensor([1, 2]))
        True
        >>> torch.is_tensor([1, 2])
        False
    """
    return isinstance(obj, Tensor)


def numel(*args, **kwargs):
    """numel(input) -> int

    Returns the total number of elements of ``input``: the product of its sizes (1 for a 0-d tensor).

    Args:
        input (Tensor): the input tensor

    Examples::

        >>> torch.numel(torch.zeros(1, 2, 3, 4))
        24
        >>> torch.numel(torch.tensor(5.0))
        1
    """
    if len(args) != 1 or kwargs or not isinstance(args[0], Tensor):  # (input by keyword, or the parser's error)
        return _parser_errors.parse("numel", ("Tensor input",), args, kwargs)["input"].numel()
    return args[0].numel()


_NO_REPEATS = object()  # (the overload taking only a tensor of counts: ``repeats=None`` is refused)


def repeat_interleave(input, repeats=_NO_REPEATS, dim=None, *, output_size=None):
    """``input.repeat_interleave(repeats, dim)``; with a tensor of counts alone, each index repeated that often."""
    try:
        if repeats is None:  # (given so: no overload takes it)
            raise TypeError
        if repeats is _NO_REPEATS:  # (the indices, in the counts' dtype)
            return Tensor._wrap(repeated_positions(input, output_size))
        return input.repeat_interleave(repeats, dim, output_size=output_size)
    except TypeError:  # the parser's, for the function's overloads
        given = {key: value for key, value in (("dim", dim), ("output_size", output_size)) if value is not None}
        _parser_errors.parse("repeat_interleave", _parser_errors.FUNCTION_OVERLOADS["repeat_interleave"],
                             (input,) if repeats is _NO_REPEATS else (input, repeats), given)
        raise


def broadcast_shapes(*shapes):
    """The shape that tensors of ``shapes`` (ints, or sequences of them; None is skipped) broadcast to, found
    as PyTorch's reference implementation does: dim by dim from the last, each shape against the common shape of
    those before it."""
    shapes = [(shape,) if isinstance(shape, numbers.Integral) else shape for shape in shapes if shape is not None]
    for shape in shapes:
        if not isinstance(shape, (tuple, list)):
            raise RuntimeError(f"Input shapes should be of type ints, a tuple of ints, or a list of ints, got {shape}")
    common = [1] * max((len(shape) for shape in shapes), default=0)
    for index, shape in enumerate(shapes):
        for i in range(-1, -1 - len(shape), -1):
            if shape[i] == common[i]:
                continue
            if common[i] == 1:
                if shape[i] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[i] = shape[i]
            if shape[i] != 1 and common[i] != shape[i]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shape[i]} at {i}! Mismatching "
                                   f"argument at index {index} had {shape}; but expected shape should be "
                                   f"broadcastable to {common}")
    return Size(common)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape; one already of that shape is returned itself, as PyTorch's
    expand_outplace does (no view, no ExpandBackward0 node)."""
    _parser_errors.check_tensor_list("broadcast_tensors", tensors)
    shape = ()
    for t in tensors:
        error = broadcast_error(shape, t._data.shape)
        if error is not None:
            raise error
        shape = np.broadcast_shapes(shape, t._data.shape)
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in tensors)


def broadcast_to(input, size):
    """broadcast_to(input, size) -> Tensor

    Broadcasts ``input`` to the shape ``size``: ``input.expand(size)``, a view whose expanded dimensions have
    stride 0 (no memory is copied). -1 keeps a dimension's size.

    Args:
        input (Tensor): the input tensor
        size (list, tuple or torchless.Size): the new shape

    Shape:
        - Input: (*), broadcastable to ``size``: each dimension 1 or equal to its counterpart, aligned right
        - Output: ``size``

    Examples::

        >>> torch.broadcast_to(torch.tensor([1, 2, 3]), (2, 3))
        tensor([[1, 2, 3],
                [1, 2, 3]])
    """
    return input.expand(size)


def atleast_1d(*tensors):
    """atleast_1d(*tensors) -> Tensor or tuple of Tensors

    Returns a view of each input with at least one dimension: a 0-d tensor becomes a one-element 1-D tensor,
    others are returned as they are.

    Args:
        *tensors (Tensor or list/tuple of Tensors): the inputs

    Shape:
        - Input: () or (*)
        - Output: (1) for a 0-d input, else the input's shape

    Examples::

        >>> torch.atleast_1d(torch.tensor(1.5))
        tensor([1.5000])
        >>> torch.atleast_1d(torch.tensor(1), torch.tensor([2, 3]))
        (tensor([1]), tensor([2, 3]))
    """
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    """atleast_2d(*tensors) -> Tensor or tuple of Tensors

    Returns a view of each input with at least two dimensions: a 0-d tensor becomes (1, 1) and a 1-D tensor of
    size n becomes (1, n); others are returned as they are.

    Args:
        *tensors (Tensor or list/tuple of Tensors): the inputs

    Shape:
        - Input: (), (n) or (*)
        - Output: (1, 1), (1, n) or the input's shape

    Examples::

        >>> torch.atleast_2d(torch.tensor([1.0, 2.0]))
        tensor([[1., 2.]])
        >>> torch.atleast_2d(torch.tensor(3)).shape
        torchless.Size([1, 1])
    """
    return _atleast(tensors, 2)


def _atleast(tensors, ndim):
    """Each tensor with dims of size 1 added in front up to ``ndim`` dims (one tensor alone, or a tuple of them):
    a 0-d one reshaped, a 1-d one unsqueezed, as PyTorch (whose graph then has its nodes)."""
    def lift(t):
        return t if t.ndim >= ndim else t.reshape((1,) * ndim) if not t.ndim else t.unsqueeze(0)

    return _each_lifted(f"atleast_{ndim}d", tensors, lift)


def _each_lifted(name, tensors, lift):
    """atleast_Nd's result: one tensor for one, a tuple for several or for one list or tuple of them (even of one
    tensor); PyTorch's parser errors for what is neither."""
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        if not isinstance(tensors[0], (tuple, list)):
            raise _parser_errors.invalid_combination(name, ("Tensor input", "tuple of Tensors tensors"), tensors)
        _parser_errors.check_tensor_list(name, tensors[0])
        return tuple(lift(t) for t in tensors[0])
    _parser_errors.check_tensor_list(name, tensors)
    out = tuple(lift(t) for t in tensors)
    return out[0] if len(out) == 1 else out


def hstack(tensors=NOT_GIVEN):
    """Concatenated along dim 1 (dim 0 for vectors)."""
    tensors = atleast_1d(_tensor_list(tensors, "hstack"))
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors=NOT_GIVEN, *, _name="vstack"):
    """Concatenated along dim 0, vectors taken as rows."""
    return cat(atleast_2d(_tensor_list(tensors, _name)), 0)


def row_stack(tensors=NOT_GIVEN):
    """vstack under another name (which PyTorch's errors give)."""
    return vstack(tensors, _name="row_stack")


def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 1-D tensors: grid i varies along dim i ('ij'; 'xy' swaps the first two dims)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    _parser_errors.check_tensor_list("meshgrid", tensors)
    if indexing is None:
        _warn_meshgrid_indexing()
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if any(t._data.dtype != tensors[0]._data.dtype for t in tensors[1:]):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torchless.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torchless.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    swap = indexing == "xy" and len(tensors) >= 2
    ordered = (tensors[1], tensors[0]) + tensors[2:] if swap else tensors
    shape = tuple(t.numel() for t in ordered)
    grids = [t.reshape((1,) * i + (-1,) + (1,) * (len(shape) - i - 1)).expand(shape) for i, t in enumerate(ordered)]
    if swap:  # back in the order of the arguments
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


_meshgrid_warned = False


def _warn_meshgrid_indexing():
    """PyTorch's TORCH_WARN_ONCE (once per process, whatever the filters), with ATen's source location, naming
    meshgrid's line (the Python frame that called the kernel) as PyTorch's names torch/functional.py."""
    global _meshgrid_warned
    if not _meshgrid_warned:
        _meshgrid_warned = True
        import warnings

        warnings.warn("torchless.meshgrid: in an upcoming release, it will be required to pass the indexing argument. "
                      "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4215.)",
                      UserWarning, stacklevel=2)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, one per row (a vector for one tensor)."""
    _parser_errors.check_tensor_list("cartesian_prod", tensors)
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)




def _named(fn, name, doc):
    """``fn`` named ``name`` (its qualified name too, which Python's TypeErrors for a call it cannot bind give, as
    PyTorch's parser gives the op's name: "exp() got multiple values for argument 'input'")."""
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def _method(name, checked=True):
    """The function form calling the method ``name`` of its input (``checked``: with the refusal of
    _without_varargs where it applies, in the same function, so as to add no call)."""

    if checked and name in _NO_VARARGS and len(_NO_VARARGS[name]) == 1:
        def fn(input=_NO_INPUT, *args, **kwargs):  # (one sequence of ints, the common call, passes)
            if len(args) != 1 or kwargs or not isinstance(args[0], (tuple, list)):
                args, kwargs = _without_varargs(name, input, args, kwargs)
            if not isinstance(input, Tensor):
                raise _parser_errors.not_tensor(name, "input", 1, input)
            return getattr(input, name)(*args, **kwargs)
    elif checked and name in _NO_VARARGS:
        def fn(input=_NO_INPUT, *args, **kwargs):
            if len(args) > 1 or args and not (type(args[0]) is int or isinstance(args[0], (tuple, list))):
                _without_varargs(name, input, args, kwargs)  # (raises, but for one int the function takes)
            if input is _NO_INPUT:
                raise _missing_input(name, kwargs)
            if not isinstance(input, Tensor):
                raise _parser_errors.not_tensor(name, "input", 1, input)
            return getattr(input, name)(*args, **kwargs)
    else:
        def fn(input=_NO_INPUT, *args, **kwargs):
            if not isinstance(input, Tensor):
                raise _input_error(name, input, args, kwargs)
            try:
                return getattr(input, name)(*args, **kwargs)
            except TypeError as error:  # (free unless raised)
                raise _as_function_binding_error(name, error, input, args, kwargs)

    return _named(fn, name, f"Function form of ``Tensor.{name}``.")


def _given(input, args):
    """The arguments a function form was given by position."""
    return args if input is _NO_INPUT else (input,) + args


def _input_error(name, input, args, kwargs):
    """PyTorch's parser's TypeError for the function form ``name`` given no tensor as its input: the count of the
    arguments given by position is checked first, then the input."""
    if name in _parser_errors.OPERAND_FUNCTIONS:
        return _parser_errors.function_operands_error(name, _given(input, args), kwargs)
    if args and _takes_no_arguments(name):
        return _parser_errors.too_many_positional(name, 1, nargs=len(args) + (input is not _NO_INPUT))
    if input is _NO_INPUT:
        return _missing_input(name, kwargs)
    return _parser_errors.not_tensor(name, "input", 1, input)


def _takes_no_arguments(name):
    """Whether the method ``name`` takes nothing but self (its function form then nothing but its input), as the
    in-place form of such a method does."""
    out_of_place = getattr(Tensor, name[:-1], None) if name.endswith("_") else None
    return _parser_errors.takes_no_arguments(getattr(Tensor, name)) or \
        (out_of_place is not None and _parser_errors.takes_no_arguments(out_of_place))


def _missing_input(name, kwargs):
    """PyTorch's parser's TypeError for the function form ``name`` called without its input: the listing of its
    overloads where it has several, else its "missing" message naming every required parameter of the op."""
    overloads = _parser_errors.FUNCTION_OVERLOADS.get(name) or _parser_errors.FUNCTION_FORM_OVERLOADS.get(name)
    if overloads:
        try:
            _parser_errors.parse_overload(name, overloads, (), kwargs)
        except TypeError as error:
            return error
    return missing_arguments(name, ["input"] + _required_parameters(getattr(Tensor, name)))


def _required_parameters(method):
    """The names of the parameters after self that ``method`` requires (positional ones without a default, or
    whose default stands for an argument not given)."""
    inner = inspect.unwrap(method)
    code, defaults = inner.__code__, inner.__defaults__ or ()
    required = code.co_argcount - len(defaults) + sum(default is _parser_errors.NOT_GIVEN for default in defaults)
    return list(code.co_varnames[1:required])


def _as_function_binding_error(name, error, input, args, kwargs):
    """``error`` as the function form ``name`` raises it: where its method refused the call's arguments, the
    parser's TypeError for the function (which counts those given by position before it looks at the keywords);
    where Python refused to bind its method's call (no frame of the method's), its message as PyTorch's parser
    words it for the function, whose positions count the input as the method's count self, under the function's
    name (not that of the method an alias shares, ``Tensor.asin()`` for arcsin); else ``error``."""
    parsed = _parser_errors.function_operands_error(name, (input,) + args, kwargs)
    if parsed is not None:
        return parsed
    if (args or kwargs) and _takes_no_arguments(name):
        if args:
            return _parser_errors.too_many_positional(name, 1, nargs=len(args) + 1)
        return TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    bound = re.match(r"^[\w.<>]+\(\) (.*)$", str(error))
    if error.__traceback__.tb_next is not None or not bound:
        return error
    missing = re.match(r"missing \d+ required positional arguments?: (.*)$", bound[1])
    if missing:
        return missing_arguments(name, re.findall(r"'(\w+)'", missing[1]))
    if re.match(r"takes .* positional arguments? but \d+ (?:was|were) given$", bound[1]):
        method = getattr(Tensor, name)  # (the counts as the function has them: input, and the operands required)
        most = inspect.unwrap(method).__code__.co_argcount
        return _parser_errors.too_many_positional(name, most, 1 + len(_required_parameters(method)), len(args) + 1)
    return TypeError(f"{name}() {bound[1]}")


# The function forms of the methods that also take their ints as separate arguments (x.permute(0, 2, 1)), which
# PyTorch's functions never do (their int list is never their only positional parameter): a call with more than one
# argument after the input is refused with the parser's TypeError for these schemas
_NO_VARARGS = {
    "permute": ("Tensor input, int[] dims",), "reshape": ("Tensor input, int[] shape",),
    "tile": ("Tensor input, int[] dims",), "count_nonzero": _parser_errors.FUNCTION_FORM_OVERLOADS["count_nonzero"],
    "squeeze": _parser_errors.FUNCTION_OVERLOADS["squeeze"],
    **{name: ("Tensor input, int sections", "Tensor input, int[] indices") for name in ("hsplit", "vsplit", "dsplit")},
}

# The code of the function forms calling their input's method, which tells _written_call a call came through one
FUNCTION_FORM_CODES = frozenset(_method(name).__code__ for name in ("abs", "permute", "squeeze"))


def _without_varargs(name, input, args, kwargs):
    """The arguments after ``input`` of a call of the function form ``name`` of _NO_VARARGS, or the parser's TypeError
    for the ints as separate arguments. A sole int list also refuses one int, and takes its keyword."""
    schemas, given = _NO_VARARGS[name], args if input is _NO_INPUT else (input,) + args
    if len(schemas) == 1:
        if len(args) != 1 or kwargs or not isinstance(args[0], (tuple, list)):
            return (_parser_errors.parse(name, schemas, given, kwargs).popitem()[1],), {}
    elif len(args) > 1 or args and not (type(args[0]) is int or isinstance(args[0], (tuple, list))):
        _parser_errors.parse(name, schemas, given, kwargs)  # (raises for more than one; a lone tensor of one element
        # is no int list of the function, as it is of the method's ints given separately)
    return args, kwargs


_FUNCTION_FORMS = (
    "max min amax amin argmax argmin sum mean var std prod exp log sqrt rsqrt abs clamp clip relu sigmoid tanh "
    "softmax log_softmax matmul mm bmm dot flatten unflatten reshape transpose swapaxes permute squeeze unsqueeze "
    "t allclose isclose equal isnan isinf isfinite maximum minimum topk sort argsort gather sign floor ceil "
    "round chunk unbind flip add sub mul div pow neg square clone detach logical_not all any "
    "eq ne lt le gt ge multiply subtract divide true_divide nonzero argwhere log2 log10 log1p expm1 reciprocal sin "
    "cos frac trunc fix nan_to_num remainder fmod floor_divide logical_and logical_or logical_xor lerp kthvalue "
    "median cumsum logsumexp count_nonzero bincount histc unique fliplr flipud rot90 roll movedim moveaxis narrow select "
    "tensor_split tile diff diagonal diag trace tril triu outer mv index_select masked_select take scatter "
    "scatter_add clamp_min clamp_max absolute negative swapdims as_strided index_put index_put_ put scatter_reduce "
    # math ops of _ops/math_methods.py
    "erf erfc erfinv tan asin acos atan sinh cosh asinh acosh atanh arcsin arccos arctan arcsinh arccosh arctanh "
    "deg2rad rad2deg sinc logit sgn signbit copysign addmm addbmm baddbmm addmv addr cumprod cummax cummin "
    "logcumsumexp nansum nanmean aminmax quantile nanquantile index_add index_copy index_fill "
    "masked_scatter take_along_dim "
    # comparisons under their long names, and more in-place function forms PyTorch has (torch.sigmoid_(x), ...)
    "greater less greater_equal less_equal not_equal is_inference get_device "
    "sigmoid_ tanh_ abs_ ceil_ floor_ clamp_ clamp_min_ clamp_max_ clip_ exp_ expm1_ log_ log1p_ log2_ sqrt_ "
    "square_ sin_ cos_ round_ neg_ nan_to_num_ zero_ fill_ detach_ "
    # in-place function forms PyTorch has
    "erf_ erfc_ tan_ asin_ acos_ atan_ sinh_ cosh_ asinh_ acosh_ atanh_ arcsin_ arccos_ arctan_ arcsinh_ arccosh_ "
    "arctanh_ deg2rad_ rad2deg_ sinc_ logit_ xlogy_ log10_ rsqrt_ reciprocal_ trunc_ frac_ fix_ addmv_ "
    # the methods installed by _ops/extra_math.py
    "lgamma digamma exp2 float_power ldexp heaviside bitwise_not bitwise_and bitwise_or bitwise_xor "
    "bitwise_left_shift bitwise_right_shift gcd lcm inner vdot ravel msort diag_embed diagflat cov corrcoef isneginf "
    "isposinf isreal logdet unique_consecutive nanmedian mode hsplit vsplit dsplit is_complex is_signed is_same_size "
    "exp2_ gcd_ lcm_ ldexp_ "
    # the methods of _ops/tensor_extras.py
    "split_with_sizes unsafe_split_with_sizes unsafe_chunk unsafe_split renorm positive inverse det slogdet pinverse "
    "matrix_power matrix_exp cross dist frexp conj resolve_conj resolve_neg conj_physical adjoint angle narrow_copy "
    "index_reduce slice_scatter select_scatter diagonal_scatter as_strided_scatter nextafter is_conj is_neg "
    "negative_ conj_physical_ resize_as_"
).split()

# function forms of methods whose parser errors name an argument's position (one further in the function form)
POSITIONS_SHIFTED = frozenset("as_strided index_put index_put_ put scatter_reduce cumsum cumprod cummax cummin "
                                "logcumsumexp reshape".split())

# binary ops whose ``other`` must be a tensor: PyTorch's TypeError names its position in the function form
_TENSOR_OTHER = ("atan2 arctan2 hypot logaddexp logaddexp2 fmax fmin maximum minimum logical_and logical_or "
                 "logical_xor ldexp gcd lcm heaviside isclose allclose equal").split()


# function forms whose non-tensor, non-number operand gets PyTorch's parser message: the comparisons list their
# overloads ("invalid combination"), the others name ``other`` at position 2 (position 1 in the method form)
_COMPARISONS = frozenset("eq ne lt le gt ge greater less greater_equal less_equal not_equal".split())
_OTHER_AT_POSITION_2 = frozenset("add sub mul div multiply subtract divide true_divide".split())


_MISSING = object()

# binary ops whose function forms also take a Python number first (PyTorch's ``Number self, Tensor other``)
_NUMBER_FIRST = frozenset("bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift "
                          "float_power".split())


def _checked_binary(name):
    method = _method(name)

    def fn(input, *args, **kwargs):
        other = args[0] if args else kwargs.get("other", _MISSING)
        if other is _MISSING:
            if name in _COMPARISONS:  # no overload without other: the parser's listing of them
                raise _parser_errors.invalid_function_call(name, (input,))
            other = 0
        if not isinstance(other, (Tensor, NUMBERS, np.ndarray)) or not isinstance(input, Tensor):
            if name in _COMPARISONS:
                if not (_parser_errors.is_operand(input) and _parser_errors.is_operand(other)) or \
                        not isinstance(input, Tensor):
                    raise _parser_errors.invalid_function_call(name, (input, other) + tuple(args[1:]))
            elif isinstance(input, Tensor):
                raise _parser_errors.not_tensor(name, "other", 2, other)
        return method(input, *args, **kwargs)

    return _named(fn, name, method.__doc__)



# The functions whose tensor operands PyTorch's parser also takes as Python numbers (torch.mul(0.5, x),
# torch.sub(1, x), torch.add(1, 2)): such a number is a wrapped number, promoted as a number operand is. Each
# with a number first and only other is its operator with the number on the left, but for the divisions: Python's
# 2.5 / x is PyTorch's x.reciprocal() * 2.5, torch.div(2.5, x) a division (which float16 rounds otherwise).
_REFLECTED = {"add": "__radd__", "sub": "__rsub__", "subtract": "__rsub__", "mul": "__rmul__", "multiply": "__rmul__",
              "div": None, "divide": None, "true_divide": None, "floor_divide": "__rfloordiv__"}


def _numbers_as_tensors(function):
    reflected = _REFLECTED[function.__name__]

    def fn(input=_NO_INPUT, *args, **kwargs):
        try:  # (free unless raised)
            if isinstance(input, NUMBERS) and not isinstance(input, Tensor):
                by_keyword = not args and "other" in kwargs
                other = kwargs["other"] if by_keyword else args[0] if args else None
                if isinstance(other, Tensor) and len(args) + len(kwargs) == 1 and reflected:
                    return getattr(other, reflected)(input)
                if isinstance(other, Tensor) and reflected is None and kwargs.get("rounding_mode") is None:
                    other, input = other._float_operands(input)  # a true division: in the float dtype of the result
                elif isinstance(other, Tensor):
                    other, input = other._operands(input)  # the number in the dtype of the result
                elif isinstance(other, NUMBERS):
                    from ._creation import tensor as make

                    if type(input) is int:  # (read into PyTorch's Scalar first: int64, or uint64 if positive)
                        _dtype.check_64_bits(input)
                    input = make(input)
                elif function.__name__ in _OTHER_AT_POSITION_2 and (args or by_keyword):
                    # the number matched as input: the parser then blames other (by position if given so)
                    if by_keyword:
                        raise TypeError(f"{function.__name__}(): argument 'other' must be Tensor, not "
                                        f"{type(other).__name__}")
                    raise _parser_errors.not_tensor(function.__name__, "other", 2, other)
                if by_keyword:
                    kwargs["other"] = other
                elif args:
                    args = (other,) + args[1:]
            return function(input, *args, **kwargs)
        except TypeError as error:  # the parser's error for the function's overloads, where it has one
            parsed = _parser_errors.function_operands_error(function.__name__, _given(input, args), kwargs)
            raise error if parsed is None else parsed from None

    return _named(fn, function.__name__, function.__doc__)


def _parsed_function(name):
    """A function form whose method's TypeError becomes the one PyTorch's parser gives for the function."""
    method = _method(name)

    def fn(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except TypeError:
            _parser_errors.parse(name, _parser_errors.FUNCTION_OVERLOADS[name], args, kwargs)
            raise

    return _named(fn, name, method.__doc__)


def masked_fill(input, mask, value):
    """Function form of ``Tensor.masked_fill``."""
    if not isinstance(input, Tensor):  # (listed with the others as a bad mask or value would be)
        raise _parser_errors.invalid_combination("masked_fill", ["Tensor input, Tensor mask, Tensor value",
                                                                 "Tensor input, Tensor mask, Number value"],
                                                 (input, mask, value))
    check_masked_fill_arguments("masked_fill", mask, value, (input,))
    return input.masked_fill(mask, value)


def _parsed_first(name):
    """A function form whose arguments PyTorch's parser checks before its method could take them otherwise
    (torchless.flip(x, 0) is refused though x.flip(0) is not)."""
    method = _method(name)

    def fn(*args, **kwargs):
        _parser_errors.parse(name, _parser_errors.FUNCTION_PARSED_FIRST[name], args, kwargs)
        return method(*args, **kwargs)

    return _named(fn, name, method.__doc__)


def _shifted_positions(name):
    """A function form whose method's parser TypeError counts positions from its first argument after self: the
    function's counts input too."""
    method, checked = _method(name, checked=False), name in _NO_VARARGS

    def fn(input=_NO_INPUT, *args, **kwargs):
        # (the TypeErrors of _without_varargs count the function's positions already; one sequence passes)
        if checked and (len(args) != 1 or kwargs or not isinstance(args[0], (tuple, list))):
            args, kwargs = _without_varargs(name, input, args, kwargs)
        try:
            return method(input, *args, **kwargs)
        except TypeError as error:
            shifted = _parser_errors.function_positions(error)
            if shifted is error:
                raise
            raise shifted from None

    return _named(fn, name, method.__doc__)


def _extremum(name):
    """torchless.max / min: the method's overloads, listed as the function form's in a TypeError."""
    largest = name == "max"

    def fn(*args, **kwargs):
        if args and isinstance(args[0], Tensor):
            if len(args) == 1 and not kwargs:
                return args[0]._extremum(None, False, largest, name)
            return args[0]._extremum_call(name, args[1:], kwargs, largest, function=True)
        return _parser_errors.extremum_arguments(name, args, kwargs, function=True)

    return _named(fn, name, f"Function form of ``Tensor.{name}``.")


def _arg_extremum(name):
    def fn(input=_NO_INPUT, *args, **kwargs):
        if not isinstance(input, Tensor):
            _parser_errors.arg_extremum_arguments(name, () if input is _NO_INPUT else (input,) + args, kwargs,
                                                  function=True)
        dim, keepdim = arg_extremum_arguments(name, args, kwargs, (input,))
        return input._arg_extremum(np.argmax if name == "argmax" else np.argmin, dim, keepdim, name)

    return _named(fn, name, f"Function form of ``Tensor.{name}``.")


def _number_or_tensor(name):
    """pow / remainder / fmod: a Number first operand where PyTorch has that overload, else its TypeError."""
    method = _method(name)
    reverse = {"pow": "__rpow__", "remainder": "__rmod__"}.get(name)

    def fn(input, *args, **kwargs):
        other = args[0] if args else kwargs.get("exponent" if name == "pow" else "other")
        if not isinstance(input, Tensor) or not isinstance(other, (Tensor, NUMBERS, np.ndarray)):
            if reverse and isinstance(input, NUMBERS) and isinstance(other, Tensor) and \
                    len(args) + len(kwargs) == 1:
                return getattr(other, reverse)(input)
            raise _parser_errors.invalid_binary_function(name, (input,) + args, kwargs)
        return method(input, *args, **kwargs)

    return _named(fn, name, method.__doc__)


def _number_first(name):
    """The function form of a binary op whose parser also takes a Python number first (``Number self, Tensor
    other``: torchless.bitwise_and(2, x)): the number as PyTorch wraps it, in the tensor's dtype where of no
    higher category (bitwise_xor(300, uint8 tensor) wraps to 44); float_power's in double, as it computes. That
    overload has no ``out=``, which the others take."""
    def fn(input=_NO_INPUT, *args, out=None, **kwargs):
        if not isinstance(input, Tensor) and _parser_errors.is_number_argument(input) and out is None and \
                len(args) + len(kwargs) == 1 and isinstance((args or tuple(kwargs.values()))[0], Tensor):
            other = (args or tuple(kwargs.values()))[0]
            if name == "float_power":  # (its number base: a Python number, as the method's own float_power takes)
                from ._ops.special_functions import float_power

                return float_power(input, other)
            other, input = other._operands(input)
            return getattr(input, name)(other)
        if not isinstance(input, Tensor):
            raise _input_error(name, input, args, kwargs)
        if out is None:
            return getattr(input, name)(*args, **kwargs)
        return _out_argument.call_into(name, out, getattr(Tensor, name), (input,) + args, kwargs)

    return _named(fn, name, f"Function form of ``Tensor.{name}``.")


def _tensor_other(name):
    argument = "values" if name == "heaviside" else "other"

    def fn(input=_NO_INPUT, other=_NO_INPUT, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise missing_arguments(name, ["input", argument]) if input is _NO_INPUT else \
                _parser_errors.not_tensor(name, "input", 1, input)
        if not isinstance(other, Tensor):
            raise missing_arguments(name, [argument]) if other is _NO_INPUT else \
                _parser_errors.not_tensor(name, argument, 2, other)
        return getattr(input, name)(other, *args, **kwargs)

    return _named(fn, name, f"Function form of ``Tensor.{name}``.")


def xlogy(input, other):
    """input * log(other), 0 where input is 0; either (not both) may be a Python number."""
    from ._ops.math_methods import xlogy_impl

    return xlogy_impl(input, other, function=True)


def var_mean(*args, **kwargs):
    """(var, mean) over ``dim``, as one node of PyTorch's (VarMeanBackward0); the arguments as ``Tensor.var``'s."""
    from ._ops.math_methods import var_mean_impl

    return var_mean_impl("var_mean", args, kwargs)


def std_mean(*args, **kwargs):
    """(std, mean) over ``dim``."""
    from ._ops.math_methods import var_mean_impl

    return var_mean_impl("std_mean", args, kwargs)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    from ._ops.math_methods import addcmul_impl

    return addcmul_impl(input, tensor1, tensor2, value, position=2)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2."""
    from ._ops.math_methods import addcmul_impl

    return addcmul_impl(input, tensor1, tensor2, value, divide=True, position=2)


def _rsub(input, other, alpha, overload):
    """other - alpha * input, PyTorch's rsub (its Tensor overload first, then its Scalar one)."""
    from ._ops import arithmetic

    if input._data.dtype.kind == "b" or isinstance(other, (bool, np.bool_)) or \
            isinstance(other, Tensor) and other._data.dtype.kind == "b":
        input._check_bool_sub(other)
    if isinstance(other, Tensor):  # (PyTorch's sub(other, input): its shapes named in that order)
        raise_if_not_broadcastable(other, input)
    return input._alpha_binary(other, arithmetic.Rsub, alpha, scalar_other=overload == 1)


rsub = _parser_errors.native_entry("rsub", ("Tensor input, Tensor other, *, Number alpha=1",
                                            "Tensor input, Number other, Number alpha=1"), _rsub)


# torch.split and torch.norm are Python code in PyTorch (torch.functional): Python binds their calls (its TypeErrors,
# its AttributeError for an input that is no tensor), then the tensor's method or linalg's norms take the arguments
# by position.
def split(tensor, split_size_or_sections, dim=0):
    """The pieces of ``tensor`` along ``dim``: of ``split_size_or_sections`` elements each (the last one shorter), or
    of each of its sizes."""
    return tensor.split(split_size_or_sections, dim)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The (Frobenius or ``p``-) norm of ``input`` over ``dim``: linalg's vector norm, or its matrix norm for
    ``p="nuc"`` and a Frobenius norm over more than two dims, which ``out`` (written into) is passed on to."""
    input.layout  # (PyTorch's first look at its input)
    if out is None:
        return input.norm(p, dim, keepdim, dtype)
    from . import _out_argument

    vector = not isinstance(p, str) or p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2)
    if not vector and not isinstance(out, Tensor):  # (matrix_norm's overloads both take out: neither matches)
        dims = list(range(input.ndim)) if dim is None else [dim] if isinstance(dim, int) else dim
        _parser_errors.parse("linalg_matrix_norm", _parser_errors.MATRIX_NORM, (input, p, dims, keepdim),
                             {"dtype": dtype, "out": out})
    return _out_argument.call_into("linalg_vector_norm" if vector else "linalg_matrix_norm", out, Tensor.norm,
                                    (input, p, dim, keepdim, dtype), {})


def real(input):
    """The real part of ``input``: ``input`` itself (torchless has no complex dtypes)."""
    return input.real


def imag(input):
    """The imaginary part: PyTorch's error, as torchless has no complex dtypes."""
    return input.imag


def _of_namespace(function, namespace):
    """A function form made here as a function of the namespace it is installed in (``torchless.exp``), which is
    where pickle looks it up by its name, as it finds PyTorch's."""
    function.__module__ = namespace["__name__"]
    return function


def _install(namespace):
    for name in _FUNCTION_FORMS:
        function = _checked_binary(name) if name in _COMPARISONS or name in _OTHER_AT_POSITION_2 else \
            _extremum(name) if name in ("max", "min") else _arg_extremum(name) if name in ("argmax", "argmin") else \
            _number_or_tensor(name) if name in ("pow", "remainder", "fmod") else \
            _number_first(name) if name in _NUMBER_FIRST else \
            _parsed_function(name) if name in _parser_errors.FUNCTION_OVERLOADS else \
            _parsed_first(name) if name in _parser_errors.FUNCTION_PARSED_FIRST else \
            _shifted_positions(name) if name in POSITIONS_SHIFTED else _method(name)
        if name in _REFLECTED:
            function = _numbers_as_tensors(function)
        # in-place function forms write into their input; the others take out= as PyTorch's do
        namespace[name] = _of_namespace(function if name.endswith("_") or name in _NUMBER_FIRST else
                                        with_out(name, function), namespace)
    for name in _TENSOR_OTHER:
        namespace[name] = _of_namespace(with_out(name, _tensor_other(name)), namespace)
    namespace.update(split=_of_namespace(split, namespace), norm=_of_namespace(norm, namespace))
    namespace.update(xlogy=xlogy, addcmul=addcmul, addcdiv=addcdiv, var_mean=var_mean, std_mean=std_mean, real=real,
                     imag=imag, masked_fill=with_out("masked_fill", masked_fill),
                     rsub=_of_namespace(rsub, namespace))
    from ._ops import complex_ops, extra_math

    namespace.update(extra_math.FUNCTIONS, is_nonzero=_of_namespace(_method("is_nonzero"), namespace))
    namespace.update(complex_ops.FUNCTIONS)


_WITH_OUT_CODE = with_out("", None).__code__


def parse_failures(namespace):
    """Each function of ``namespace`` that PyTorch's parser binds (_function_signatures) raises its parser's TypeError
    for a failing call it refuses: with_out's forms do already; the others are wrapped (the in-place forms, and
    those PyTorch takes no ``out=`` in, which then refuse it as it does)."""
    from ._function_signatures import FUNCTION_SIGNATURES

    for name in FUNCTION_SIGNATURES:
        if name in namespace:
            namespace[name] = parsing_failures(name, namespace[name], namespace)


def parsing_failures(name, function, namespace):
    """``function``, the function ``name`` of ``namespace`` (one loaded on first use too), as ``parse_failures``
    leaves it."""
    from ._function_signatures import FUNCTION_SIGNATURES

    if name not in FUNCTION_SIGNATURES or not inspect.isfunction(function):
        return function
    takes_out = _parser_errors.takes_out(name) and not name.endswith("_")
    if function.__code__ is _WITH_OUT_CODE:
        if takes_out:
            return function
        function = function.__wrapped__
    wrapped = with_out(name, function) if takes_out and not _reads_out(function) else \
        parsed_on_failure(name, function)
    return _of_namespace(wrapped, namespace)


def _reads_out(function):
    """Whether ``function`` takes ``out=`` itself (by name, or among keywords it reads), or one of the wrappers it
    is made of does (the factories' out= decorator)."""
    while function is not None:
        code = getattr(function, "__code__", None)
        if code is not None and "out" in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]:
            return True
        inner = getattr(function, "__wrapped__", None)
        if inner is None:
            return code is not None and bool(code.co_flags & inspect.CO_VARKEYWORDS)
        function = inner
    return False
