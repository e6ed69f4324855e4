"""``torch.gradient``: numerical derivatives by central differences (one-sided at the edges, of first or second
order), composed of PyTorch's own slicing and arithmetic as its ATen implementation is, so that autograd, dtype
promotion and broadcasting follow from those ops."""
import numbers

from .. import _parser_errors
from .._tensor import Tensor
from ._util import normalize_dim, normalize_dims

_PRINTED_OVERLOADS = (
    "Tensor input, *, tuple of ints dim, int edge_order = 1",
    "Tensor input, *, Number spacing, tuple of ints dim, int edge_order = 1",
    "Tensor input, *, Number spacing = None, int dim = None, int edge_order = 1",
    "Tensor input, *, tuple of Scalars spacing, int dim = None, int edge_order = 1",
    "Tensor input, *, tuple of Scalars spacing, tuple of ints dim, int edge_order = 1",
    "Tensor input, *, tuple of Tensors spacing, int dim = None, int edge_order = 1",
    "Tensor input, *, tuple of Tensors spacing, tuple of ints dim, int edge_order = 1",
)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value):
    return _parser_errors.is_number_argument(value)


def _is_number_or_tensor(value):
    return isinstance(value, Tensor) or _is_number(value)


def _arguments(args, kwargs):
    """(input, spacing as given, dims or None, edge_order), or PyTorch's parser TypeError."""
    input, *rest = args if args else (kwargs.get("input"),)
    extra = set(kwargs) - {"input", "spacing", "dim", "edge_order"}
    spacing, dim, edge_order = kwargs.get("spacing"), kwargs.get("dim"), kwargs.get("edge_order", 1)
    valid = (not rest and not extra and isinstance(input, Tensor) and _is_int(edge_order)
             and (dim is None or _is_int(dim) or isinstance(dim, (tuple, list)) and all(map(_is_int, dim)))
             and (spacing is None or _is_number(spacing)
                  or isinstance(spacing, (tuple, list)) and all(map(_is_number_or_tensor, spacing))))
    if valid and isinstance(spacing, (tuple, list)) and any(isinstance(s, Tensor) for s in spacing):
        # (a list holding a tensor is a tensor list, whose other items PyTorch's parser refuses one by one)
        for index, step in enumerate(spacing):
            if not isinstance(step, Tensor):
                raise _parser_errors.element_not_tensor(index, 1, step)
    if not valid or (spacing is None and isinstance(dim, (tuple, list)) and "spacing" in kwargs):
        raise _parser_errors.invalid_combination("gradient", _PRINTED_OVERLOADS, args, kwargs)
    dims = None if dim is None else [dim] if _is_int(dim) else list(dim)
    return input, spacing, dims, edge_order


def _check(input, spacing_size, dims, edge_order):
    """PyTorch's pre_check_gradient."""
    if str(input.dtype).endswith("uint8"):
        raise RuntimeError("torch.gradient does not support uint8 input.")
    if spacing_size is not None and dims is None and spacing_size != input.dim():
        raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to "
                           f"'self.dim() = {input.dim()}', since dim argument was not given, but got a list of length "
                           f"{spacing_size}")
    if spacing_size is not None and dims is not None and spacing_size != len(dims):
        raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                           f"arguments to have the same length, but got a spacing argument of length {spacing_size} "
                           f"and a dim argument of length {len(dims)}.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    for dim in _wrapped(dims, input.dim()):
        if input.shape[dim] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")


def _wrapped(dims, ndim):
    """The non-negative dims, in the order given (every one when None), with PyTorch's errors for a repeated one or
    one out of range."""
    if dims is None:
        return list(range(ndim))
    normalize_dims(dims, ndim)  # (its errors)
    return [normalize_dim(dim, ndim) for dim in dims]


def _slice(tensor, dim, start, stop=None):
    return tensor[(slice(None),) * dim + (slice(start, stop),)]


def _uniform(input, dim, step, edge_order):
    """The derivative along ``dim`` of samples ``step`` apart (a Python number or a 0-d tensor)."""
    center = (_slice(input, dim, 2) - _slice(input, dim, 0, -2)) / step
    if edge_order == 1:
        first = (_slice(input, dim, 1, 2) - _slice(input, dim, 0, 1)) / step
        last = (_slice(input, dim, -1) - _slice(input, dim, -2, -1)) / step
    else:
        first = (_slice(input, dim, 0, 1) * -1.5 + _slice(input, dim, 1, 2) * 2 - _slice(input, dim, 2, 3) * 0.5) / step
        last = (_slice(input, dim, -3, -2) * 0.5 + _slice(input, dim, -2, -1) * -2 + _slice(input, dim, -1) * 1.5) / step
    return _joined(first, center / 2, last, dim)


def _coordinates(input, dim, coordinates, edge_order):
    """The derivative along ``dim`` of samples at the 1-d ``coordinates``."""
    if coordinates.dim() != 1:
        raise RuntimeError("torch.gradient expected each element of spacing to have one dimension, but got an element "
                           f"with {coordinates.dim()} dimensions!")
    shape = [1] * input.dim()
    shape[dim] = -1
    dx = coordinates.diff(1, 0)
    dx1, dx2 = dx[:-1], dx[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * _slice(input, dim, 0, -2) + b * _slice(input, dim, 1, -1) + c * _slice(input, dim, 2)
    if edge_order == 1:
        first = (_slice(input, dim, 1, 2) - _slice(input, dim, 0, 1)) / dx[0]
        last = (_slice(input, dim, -1) - _slice(input, dim, -2, -1)) / dx[-1]
    else:
        a = -(2.0 * dx[0] + dx[1]) / (dx[0] * (dx[0] + dx[1]))
        b = (dx[0] + dx[1]) / (dx[0] * dx[1])
        c = (-dx[0]) / (dx[1] * (dx[0] + dx[1]))
        first = a * _slice(input, dim, 0, 1) + b * _slice(input, dim, 1, 2) + c * _slice(input, dim, 2, 3)
        a = dx[-1] / (dx[-2] * (dx[-1] + dx[-2]))
        b = -(dx[-1] + dx[-2]) / (dx[-1] * dx[-2])
        c = (2 * dx[-1] + dx[-2]) / (dx[-1] * (dx[-1] + dx[-2]))
        last = a * _slice(input, dim, -3, -2) + b * _slice(input, dim, -2, -1) + c * _slice(input, dim, -1)
    return _joined(first, center, last, dim)


def _joined(first, center, last, dim):
    from .._functions import cat

    return cat([first, center, last], dim)


def gradient(*args, **kwargs):
    """torch.gradient(input, *, spacing=1, dim=None, edge_order=1): a tuple of the derivatives of ``input``
    along each of ``dim`` (every dimension by default), samples ``spacing`` apart (a number, one per dimension, or
    each dimension's coordinates as 1-d tensors)."""
    input, spacing, dims, edge_order = _arguments(args, kwargs)
    listed = isinstance(spacing, (tuple, list))
    _check(input, len(spacing) if listed else None, dims, edge_order)
    dims = _wrapped(dims, input.dim())
    steps = list(spacing) if listed else [1.0 if spacing is None else spacing] * len(dims)
    derivative = _coordinates if listed and steps and isinstance(steps[0], Tensor) else _uniform
    return tuple(derivative(input, dim, step, edge_order) for dim, step in zip(dims, steps))
