"""``make_tensor``: a random tensor for tests, with PyTorch's default ranges per dtype and its draws."""
import collections.abc
import math
import warnings

_DEFAULT_RANGES = {"b": (0, 2), "i": (-9, 10), "u": (-9, 10), "f": (-9, 9), "c": (-9, 9)}


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    r"""A tensor of ``shape`` filled with values drawn uniformly from ``[low, high)``.

    Args:
        shape (ints or a sequence of ints): the shape.
        dtype (torchless.dtype): bool, an integer, floating or complex dtype.
        device (str or torchless.device): the device (the CPU).
        low (number, optional): the inclusive lower bound, clamped to the dtype's finite range. Default: 0 for
            bool and unsigned integers, -9 otherwise.
        high (number, optional): the exclusive upper bound, clamped likewise. Default: 2 for bool, 10 for
            integers, 9 for floating and complex dtypes.
        requires_grad (bool): floating and complex dtypes only. Default: ``False``.
        noncontiguous (bool): every other element of a tensor twice as wide (with more than one element).
            Default: ``False``.
        exclude_zero (bool): zeros replaced by 1 (bool and integers) or the dtype's smallest normal number.
            Default: ``False``.
        memory_format (torchless.memory_format, optional): the layout, exclusive with ``noncontiguous``.
    """
    from .. import _creation, _dtype, view_as_real
    from .._info import finfo, iinfo

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(f"The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
                         f"noncontiguous={noncontiguous!r} and memory_format={memory_format!r}")
    kind = dtype.numpy.kind if isinstance(dtype, _dtype.dtype) else None
    exact = kind in ("b", "i", "u")
    if requires_grad and exact:
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral dtypes, but got "
                         f"dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:  # twice as wide, so that the elements left are not neighbours
        shape = (*shape[:-1], 2 * shape[-1])
    if kind == "b":
        low, high = _bounds(dtype, low, high, 0, 2, (0, 2))
        result = _creation.randint(low, high, shape, dtype=dtype, device=device)
    elif exact:
        info = iinfo(dtype)
        top = info.max + (1 if dtype != _dtype.int64 else 0)  # (randint cannot reach int64's maximum)
        low, high = _bounds(dtype, low, high, info.min, top, _DEFAULT_RANGES[kind])
        result = _creation.randint(low, high, shape, dtype=dtype, device=device)
    elif kind in ("f", "c"):
        info = finfo(dtype)
        low, high = _bounds(dtype, low, high, info.min, info.max, _DEFAULT_RANGES[kind])
        result = _creation.empty(shape, dtype=dtype, device=device)
        drawn = view_as_real(result) if kind == "c" else result
        if high - low >= info.max:  # (uniform_ refuses a range wider than the dtype's largest value)
            drawn.uniform_(low / 2, high / 2).mul_(2)
        else:
            drawn.uniform_(low, high)
    else:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by torch.testing.make_tensor(). To request "
                        "support, file an issue at: https://github.com/pytorch/pytorch/issues")
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = 1 if exact else finfo(dtype).tiny
    if kind in ("f", "c"):
        result.requires_grad = requires_grad
    return result


def _bounds(dtype, low, high, lowest, highest, defaults):
    """``low`` and ``high`` (their defaults where None) checked and clamped to [lowest, highest); integer bounds
    rounded up, so that no value falls below ``low``."""
    low = defaults[0] if low is None else low
    high = defaults[1] if high is None else high
    if any(isinstance(value, float) and math.isnan(value) for value in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    floating = dtype.is_floating_point or dtype.is_complex
    if low == high and floating:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex types is deprecated "
                      "since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.", FutureWarning,
                      stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), but {dtype} only "
                         f"supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    return (low, high) if floating else (math.ceil(low), math.ceil(high))
