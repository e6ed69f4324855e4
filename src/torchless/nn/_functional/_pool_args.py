"""The argument checks of the pooling functionals, in PyTorch's order and with its messages, and the dispatch of
the functions whose ``return_indices`` picks what they return.
"""
import functools
import math
import operator
from collections.abc import Iterable

from ... import _memory_format
from ..._kernels import pool as kernels
from ._args import _is_list_int, _tp_name, unpack_lone_int
from ._norm_checks import int_list_arg


def _int_list(value, fn, name, position=None):
    """An int or a sequence of ints as a tuple (PyTorch's IntArrayRef), or its TypeError.

    PyTorch's parser looks at the first element of a sequence only, and names that element only for
    an argument given by position (see int_list_arg).
    """
    if _is_list_int(value):
        return (unpack_lone_int(value),)
    if not position and isinstance(value, (tuple, list)) and value and not _is_list_int(value[0]):
        raise TypeError(f"{fn}(): argument '{name}' must be tuple of ints, not {_tp_name(value)}")
    return int_list_arg(value, fn, name, position)


def _int_lists(fn, arguments, flags=()):
    """Several int[] arguments ``(value, name, position)`` as tuples, with the parser's TypeErrors in its order.

    PyTorch's parser first checks every argument's type (a sequence by its first element), bool ``flags``
    ``(value, name, position)`` included; only then are the sequences unpacked, the last argument first (the
    generated C++ evaluates the call's arguments right to left), so of two sequences with a later non-int
    the last is reported.
    """
    for value, name, position in arguments:
        _int_list(value[:1] if isinstance(value, (tuple, list)) else value, fn, name, position)
    for value, name, position in flags:
        _check_bool(value, fn, name, position)
    return tuple(reversed([_int_list(value, fn, name, position) for value, name, position in reversed(arguments)]))


def _check_bool(value, fn, name, position=None):
    """A ``bool`` parameter of PyTorch's parser takes True and False only (not 0, 1, None or a NumPy bool)."""
    if not isinstance(value, bool):
        where = f" (position {position})" if position else ""
        raise TypeError(f"{fn}(): argument '{name}'{where} must be bool, not {_tp_name(value)}")


def _check_c_int(values):
    """PyTorch's 2-D and 3-D pooling kernels take their sizes as C ints (safe_downcast), each argument right
    after its length check: a value beyond 32 bits fails there (where NumPy would allocate for it)."""
    for value in values:
        if not -2 ** 31 <= value < 2 ** 31:
            raise RuntimeError("value cannot be converted to type int without overflow")


_NUMBER_WORDS = {2: "two", 3: "three"}


def _check_window_argument(fn, name, values, dims, wording="must either be", may_omit=False):
    """PyTorch's check that the pooling argument ``name`` holds one int or ``dims`` of them (or none, when it
    ``may_omit`` them: stride, whose default is the kernel size), then that each fits a C int. ``wording``: how
    PyTorch's message for this argument puts it (dilation's says "must be either", avg_pool3d's "must be")."""
    count = len(values)
    if count != 1 and count != dims and (count or not may_omit):
        omitted = "omitted, " if may_omit else ""
        raise RuntimeError(f"{fn}: {name} {wording} {omitted}a single int, or a tuple of {_NUMBER_WORDS[dims]} ints")
    _check_c_int(values)


def _pair(values, default=None):
    if not values:
        return default
    return values * 2 if len(values) == 1 else values


def _c_half(value):
    """value / 2 rounded toward zero, as C++ integer division."""
    return -(-value // 2) if value < 0 else value // 2


def _output_size(size, kernel, padding, stride, dilation, ceil_mode):
    """PyTorch's pooling_output_shape with its checks."""
    if stride == 0:
        raise RuntimeError("stride should not be zero")
    if padding < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {padding}")
    if padding > _c_half((kernel - 1) * dilation + 1):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={padding}, "
                           f"kernel_size={kernel} and dilation={dilation}")
    return kernels.pool_output_size(size, kernel, stride, padding, dilation, ceil_mode)


def _pool2d_shape_check(shape, kernel, stride, padding, dilation, out_hw):
    (kH, kW), (dH, dW), (padH, padW), (dilH, dilW) = kernel, stride, padding, dilation
    if kH <= 0 or kW <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kH} kW: {kW}")
    if dH <= 0 or dW <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {dH} dW: {dW}")
    if dilH <= 0 or dilW <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dilH} dilationW: {dilW}")
    if len(shape) not in (3, 4) or 0 in shape[-3:]:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{list(shape)}")
    if kW // 2 < padW or kH // 2 < padH:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {padW}, "
                           f"padH = {padH}, kW = {kW}, kH = {kH}")
    if out_hw[0] < 1 or out_hw[1] < 1:
        C, H, W = shape[-3:]
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{out_hw[0]}x{out_hw[1]}). "
                           "Output size is too small")


def _view_2d(shape, spatial):
    """The shape PyTorch checks: a 1-D pooling's (..., L) runs as 2-D over (..., 1, L)."""
    return tuple(shape) if spatial > 1 else tuple(shape)[:-1] + (1, shape[-1])


def _check_pool2d(shape, kernel, stride, padding, dilation, ceil_mode):
    out_hw = tuple(_output_size(n, k, p, s, d, ceil_mode)
                   for n, k, p, s, d in zip(shape[-2:], kernel, padding, stride, dilation))
    _pool2d_shape_check(shape, kernel, stride, padding, dilation, out_hw)


def _as_parsed(value, size=2):
    """An int[2] argument as PyTorch's parser hands it on (and its node shows it): a lone int repeated, a sequence
    as given, None as ()."""
    if value is None:
        return ()
    if _is_list_int(value):
        return (operator.index(value),) * size
    return tuple(operator.index(v) for v in value)


def _check_not_bool(input, spatial=2):
    """PyTorch's max pooling kernel takes numbers of every type but bool and complex (even for an empty batch)."""
    if input._data.dtype.kind in "bc":
        kernel = _memory_format.kernel_name("max_pool2d", input._data, unsqueezed=spatial == 1)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")


def _one_value(values, fn, what):
    if len(values) != 1:
        raise RuntimeError(f"{fn}() {what} of size 1 but got size {len(values)}")
    return values[0]


def _one_int(value, fn, name, position=None):
    values = _int_list(value, fn, name, position)
    if len(values) != 1:
        raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got {len(values)})")
    return values[0]


def _check_rank_2_to_3(input, fn):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {fn})")


def _one_list_int(values, fn, name):
    if len(values) != 1:
        raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got {len(values)})")
    return values[0]


_INT64_MAX = 2 ** 63 - 1


def _check_output_storage(sizes, input):
    """The size check of PyTorch's allocation of an output of ``sizes`` and the input's dtype (at::empty),
    before the kernel's dtype check: a sensible error, where NumPy would try to allocate (or its taps) first."""
    if math.prod(sizes) * input._data.dtype.itemsize > _INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(sizes)}")


def _check_output_resize(sizes, input):
    """As _check_output_storage, for an output PyTorch resizes instead (adaptive average pooling): its element
    count is checked first."""
    if math.prod(sizes) > _INT64_MAX:
        raise RuntimeError("numel: integer multiplication overflow")
    _check_output_storage(sizes, input)


def _check_float(input, fn, spatial=None):
    """``spatial``: that of a kernel with a channels-last variant (see _memory_format.kernel_name), 1 for a 1-D input
    it runs as 2-D."""
    if not input.is_floating_point():
        if spatial is not None:
            fn = _memory_format.kernel_name(fn, input._data, unsqueezed=spatial == 1)
        raise NotImplementedError(f"\"{fn}\" not implemented for '{input.dtype.scalar_name}'")


def _torch_ntuple(value, n):
    """PyTorch's Python-level _ntuple(n): a sequence as a tuple (any length), anything else n times."""
    return tuple(value) if isinstance(value, Iterable) else (value,) * n


def _torch_single(value):
    return _torch_ntuple(value, 1)


def _torch_pair(value):
    return _torch_ntuple(value, 2)


def _torch_triple(value):
    return _torch_ntuple(value, 3)


def dispatch_on_return_indices(index, with_indices, without_indices):
    """PyTorch's F.max_pool2d & co. (its boolean_dispatch): the call goes as written to ``with_indices``
    (max_pool2d_with_indices, ...) where ``return_indices`` (by keyword, else the ``index``-th argument) is true,
    else to ``without_indices``, renamed as PyTorch's private function (F._max_pool2d, ...), so that an argument
    error Python raises names the function PyTorch would have called."""
    def dispatched(*args, **kwargs):
        if not kwargs:  # (a layer's call: no dictionary to pass on)
            return (with_indices if index < len(args) and args[index] else without_indices)(*args)
        flag = kwargs["return_indices"] if "return_indices" in kwargs else index < len(args) and args[index]
        return (with_indices if flag else without_indices)(*args, **kwargs)

    public = without_indices.__name__
    functools.update_wrapper(dispatched, without_indices)  # its docstring and signature, for help()
    without_indices.__name__ = without_indices.__qualname__ = f"_{public}"
    return dispatched
