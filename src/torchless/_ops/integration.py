"""The trapezoidal rule: trapezoid, trapz and cumulative_trapezoid, with PyTorch's overloads.
"""
import numpy as np

from .. import _dtype, _parser_errors
from .._tensor import Tensor
from . import arithmetic
from ._util import normalize_dim


_TRAPEZOID_OVERLOADS = ("Tensor y, Tensor x, *, int dim=-1", "Tensor y, *, Number dx=1, int dim=-1")
_TRAPZ_OVERLOADS = ("Tensor y, *, float dx=1, int dim=-1", "Tensor y, Tensor x, *, int dim=-1")


def _trapezoid_spacing(name, y, x, dx, dim):
    """(dim as an axis, the spacing): ``x``'s differences along ``dim`` (a 1-D ``x`` laid along it, a shorter one
    padded with leading dims, then broadcast against ``y``'s, as NumPy does), or ``dx`` as a float; with
    PyTorch's checks, in its order."""
    axis = normalize_dim(dim, y.dim())
    if x is None:
        if y._data.dtype == np.bool_:
            raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
        if isinstance(dx, (complex, np.complexfloating, bool, np.bool_)) or \
                (isinstance(dx, Tensor) and (dx.is_complex() or dx.dtype == _dtype.bool)):
            raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
        return axis, float(dx)
    if y._data.dtype == np.bool_ or x._data.dtype == np.bool_:
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not supported")
    if x.dim() == 1:
        if x.shape[0] != y.shape[axis]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.dim()
        shape[axis] = x.shape[0]
        x = x.view(shape)
    elif x.dim() < y.dim():
        x = x.view([1] * (y.dim() - x.dim()) + list(x.shape))
    return axis, x.narrow(axis, 1, x.shape[axis] - 1) - x.narrow(axis, 0, x.shape[axis] - 1)


_UNGIVEN = object()


def _given(y, x, dx, dim):
    """The call's arguments as PyTorch's parser sees them (those given)."""
    args = (y,) if x is _UNGIVEN else (y, x)
    return args, {k: v for k, v in (("dx", dx), ("dim", dim)) if v is not _UNGIVEN}


def trapezoid(y, x=_UNGIVEN, *, dx=_UNGIVEN, dim=_UNGIVEN):
    """trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor

    The trapezoidal rule's integral of ``y`` along ``dim``, at the points ``x`` or spaced ``dx`` (default 1)
    apart."""
    return _trapezoid("trapezoid", _TRAPEZOID_OVERLOADS, *_given(y, x, dx, dim))


def trapz(y, x=_UNGIVEN, *, dx=_UNGIVEN, dim=_UNGIVEN):
    """trapz(y, x, *, dim=-1) -> Tensor; trapz(y, *, dx=1, dim=-1) -> Tensor

    Alias of :func:`trapezoid` (its ``dx`` a float)."""
    return _trapezoid("trapz", _TRAPZ_OVERLOADS, *_given(y, x, dx, dim))


def _trapezoid(name, overloads, args, kwargs):
    given = _parser_errors.parse(name, overloads, args, kwargs)
    y, x, dx = given["y"], given.get("x"), given.get("dx")
    axis = normalize_dim(given["dim"], y.dim())
    if not y.dim():
        raise IndexError(f"Dimension specified as {given['dim']} but tensor has no dimensions")
    if not y.shape[axis]:  # no samples: NumPy's (and PyTorch's) integral 0, before any other check
        return y.new_zeros(y.shape[:axis] + y.shape[axis + 1:])
    axis, spacing = _trapezoid_spacing("trapezoid", y, x, dx, given["dim"])
    n = y.shape[axis]
    # composed as PyTorch's C++ does, whose products and quotients by numbers are MulBackward1 and DivBackward1
    if x is None:
        edges = (y.select(axis, 0) + y.select(axis, -1))._binary(0.5, arithmetic.MulScalar)
        return (y.sum(axis) - edges)._binary(spacing, arithmetic.MulScalar)
    pairs = y.narrow(axis, 1, n - 1) + y.narrow(axis, 0, n - 1)
    return (pairs * spacing).sum(axis)._binary(2.0, arithmetic.Div, scalar_divisor=True)


def cumulative_trapezoid(y, x=_UNGIVEN, *, dx=_UNGIVEN, dim=_UNGIVEN):
    """cumulative_trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor

    The running trapezoidal-rule integral of ``y`` along ``dim`` (one element fewer along it than ``y``)."""
    given = _parser_errors.parse("cumulative_trapezoid", _TRAPEZOID_OVERLOADS, *_given(y, x, dx, dim))
    y, x = given["y"], given.get("x")
    if x is None:  # (PyTorch checks the dim of y only as it slices it, after dx)
        spacing = _trapezoid_spacing("cumulative_trapezoid", y, None, given.get("dx"), 0)[1]
        if not y.dim():
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        axis = normalize_dim(given["dim"], y.dim())
    else:
        axis, spacing = _trapezoid_spacing("cumulative_trapezoid", y, x, None, given["dim"])
    n = y.shape[axis]
    pairs = y.narrow(axis, min(1, n), max(n - 1, 0)) + y.narrow(axis, 0, max(n - 1, 0))
    if x is None:
        return pairs._binary(spacing / 2.0, arithmetic.MulScalar).cumsum(axis)
    return (pairs * spacing).cumsum(axis)._binary(2.0, arithmetic.Div, scalar_divisor=True)
