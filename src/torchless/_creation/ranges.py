"""Ranges: ``arange``, ``range`` (deprecated), ``linspace`` and ``logspace``, their values computed as PyTorch's
kernels compute them (vectorised steps, fused multiply-adds)."""
import math
import numbers
import warnings

import numpy as np

from .. import _dtype, _parser_errors
from .._tensor import Tensor
from .._type_promotion import FLOAT, as_parsed_number, scalar_category
from .._kernels import fma, parallel
from ._common import (_accepts_out, _dtype_argument, _FACTORY_KEYWORDS, _finish, _is_number_argument,
                      _memory_keywords, _UNGIVEN)

_ARANGE_OVERLOADS = (f"Number end, *, {_FACTORY_KEYWORDS}",
                     f"Number start, Number end, *, {_FACTORY_KEYWORDS.removeprefix('Tensor? out=None, ')}",
                     f"Number start, Number end, Number step=1, *, {_FACTORY_KEYWORDS}")
_LINSPACE_OVERLOADS = tuple(f"{start} start, {end} end, int steps, *, {_FACTORY_KEYWORDS}"
                            for end in ("Tensor", "Number") for start in ("Tensor", "Number"))
_LOGSPACE_OVERLOADS = tuple(f"{start} start, {end} end, int steps, float base=10.0, *, {_FACTORY_KEYWORDS}"
                            for end in ("Tensor", "Number") for start in ("Tensor", "Number"))


def _real_bound(value):
    """A bound or step of arange as PyTorch reads it, as a double: a complex number by its real part, refused with
    an imaginary part."""
    if isinstance(value, complex):
        if value.imag:
            raise RuntimeError("value cannot be converted to type double without overflow")
        return value.real
    return value


@_memory_keywords
@_accepts_out(keeps_shape=True, warns_on_resize=True)
def arange(start=_UNGIVEN, end=_UNGIVEN, step=_UNGIVEN, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` up to (not including) ``end`` in steps of ``step``; int64 unless a bound is a float."""
    if dtype is None and type(start) is int and (end is _UNGIVEN and step is _UNGIVEN or type(end) is int and (
            step is _UNGIVEN or type(step) is int)):  # the usual call, by ints: int64, refused as below otherwise
        first, last, step_by = (0, start, 1) if end is _UNGIVEN else (start, end, 1 if step is _UNGIVEN else step)
        if step_by and (last - first) * step_by >= 0 and all(-2**62 < v < 2**62 for v in (first, last, step_by)):
            return _finish(_int64_arange(first, last, step_by), requires_grad, device)
    given = tuple(v for v in (start, end, step) if v is not _UNGIVEN)
    if step is not _UNGIVEN and (start is _UNGIVEN or end is _UNGIVEN):  # (arange(1, step=2), arange(end=4,
        # step=2): no overload takes them)
        _parse_as_written("arange", _ARANGE_OVERLOADS, {"start": start, "end": end, "step": step, "dtype": dtype})
    if not given or not all(_is_number_argument(v) for v in given):  # PyTorch's parser refuses the call
        _parser_errors.parse("arange", _ARANGE_OVERLOADS, given, {} if dtype is None else {"dtype": dtype})
    if start is _UNGIVEN:  # (arange(end=5))
        start = 0
    elif end is _UNGIVEN:
        start, end = 0, start
    step = 1 if step is _UNGIVEN else step
    values = [v.item() if isinstance(v, Tensor) else as_parsed_number(v) for v in (start, end, step)]
    for value in values:
        if type(value) is int:  # (the parser reads an int as int64, or uint64 if positive)
            _dtype.check_64_bits(value)
    if dtype is None:
        floating = any(scalar_category(v) >= FLOAT for v in values)  # (NumPy's floats and bool too)
        dtype = _dtype.get_default_dtype() if floating else _dtype.int64
    np_dtype = _dtype_argument(dtype, "arange", _ARANGE_OVERLOADS, given)
    if np_dtype.kind in "bcu":
        _dtype.refuse_wide_unsigned("arange_cpu", np_dtype)
        if np_dtype.kind != "u":
            raise NotImplementedError(f"\"arange_cpu\" not implemented for "
                                      f"'{_dtype.from_numpy_dtype(np_dtype).scalar_name}'")
    values = [_real_bound(v) for v in values]
    if values[2] == 0 or values[2] != values[2]:  # a NaN step is as unusable as 0, and PyTorch says so
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in values[:2]):
        # (PyTorch checks the bounds as doubles, whatever the dtype, and prints them as an ostream does: 6
        # significant digits)
        raise RuntimeError(f"unsupported range: {float(values[0]):g} -> {float(values[1]):g}")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if np_dtype == np.int64 and any(type(v) is int and v >= 2**63 for v in values):  # (an int read as uint64)
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    if abs(values[1] - values[0]) / abs(values[2]) > 2**63 - 1:
        raise RuntimeError("invalid size, possible overflow?")
    if math.isinf(values[2]):  # PyTorch counts ceil((end - start) / step) = 0 values; an integer step overflows
        if np_dtype.kind not in "fV":  # ("V": bfloat16)
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        array = np.empty(0)
    elif np_dtype.kind in "fV":
        array = _float_arange(*values, np_dtype)
    else:
        # PyTorch truncates start and step to integers (its int64 kernel the end too, and refuses a step that
        # truncates to 0); the other integer dtypes count the values in floating point.
        first, step = int(values[0]), int(values[2])
        if np_dtype == np.int64:
            if step == 0:
                raise ValueError("step must be nonzero")
            array = _int64_arange(first, int(values[1]), step)
        else:
            array = first + step * np.arange(max(math.ceil((values[1] - values[0]) / values[2]), 0), dtype=np.int64)
    with np.errstate(over="ignore"):  # beyond float16: inf, silently as in PyTorch
        return _finish(array.astype(np_dtype), requires_grad, device)


def _int64_arange(first, last, step):
    """arange's int64 values: as many as PyTorch's kernel counts, (last - first) / step rounded up in integers."""
    size = _trunc_div(last - first + step - (1 if step > 0 else -1), step)
    return first + step * np.arange(max(size, 0), dtype=np.int64)


# PyTorch's arange kernel fills one 256-bit vector register of the dtype at a time; at::parallel_for gives a thread
# no fewer values than its grain size
_ARANGE_VECTOR_BYTES = 32
_GRAIN_SIZE = 32768


def _parse_as_written(name, overloads, arguments):
    """PyTorch's parser's reading of the call of ``name`` given ``arguments`` (by name, _UNGIVEN or None where
    left out), those given by keyword as the user wrote them (by position where that cannot be read)."""
    from .._written_call import written_keywords

    keywords = written_keywords() or ()
    given = {key: value for key, value in arguments.items() if value is not _UNGIVEN and value is not None}
    _parser_errors.parse(name, overloads, tuple(value for key, value in given.items() if key not in keywords),
                         {key: value for key, value in given.items() if key in keywords})


def _float_arange(start, end, step, np_dtype):
    """arange's floating values to the last bit, as PyTorch's CPU kernel computes them.

    It steps in the accumulate type (double; float for float16) with fused multiply-adds: in each thread's range it
    fills vectors two at a time, each from its head ``start + step * i`` rounded to the dtype, lane ``k`` being
    ``head + step * k``, then the values after the last pair of vectors one by one as ``start + step * i``. So a
    value may differ in the last bit from ``start + step * i`` (``arange(-5., 8., .1, dtype=float64)[35]``).
    """
    size = max(math.ceil((float(end) - float(start)) / float(step)), 0)
    half = np_dtype.itemsize == 2  # float16 or bfloat16, whose accumulate type is float
    accumulate = np.float32 if half else np.float64
    fused = fma.fused_multiply_add32 if half else fma.fused_multiply_add64
    start, step = accumulate(start), accumulate(step)
    if _exact_steps(start, step, size, np_dtype):  # no rounding then: any order of operations gives the same
        return (start + step * np.arange(size, dtype=accumulate)).astype(np_dtype)
    lanes = _ARANGE_VECTOR_BYTES // np_dtype.itemsize
    values = np.empty(size, np_dtype)
    for begin, stop in _thread_ranges(size):
        paired_end = begin + (stop - begin) // (2 * lanes) * (2 * lanes)
        heads = fused(step, np.arange(begin, paired_end, lanes).astype(accumulate), start).astype(np_dtype)
        vectors = values[begin:paired_end].reshape(-1, lanes)
        vectors[:, 0] = heads  # (lane 0 is the head itself, not head + 0)
        lane_steps = np.arange(1, lanes, dtype=accumulate)
        vectors[:, 1:] = fused(lane_steps, step, heads[:, None].astype(accumulate))
        values[paired_end:stop] = fused(step, np.arange(paired_end, stop).astype(accumulate), start)
    return values


def _exact_steps(start, step, size, np_dtype):
    """Whether every ``start + step * i`` (``i < size``) and every partial sum on the way is exact in ``np_dtype``
    (so in the accumulate type too): start and step are multiples of one power of two, and the values, in that
    unit, fit the dtype's mantissa."""
    (start_numerator, start_denominator), (step_numerator, step_denominator) = (
        float(v).as_integer_ratio() for v in (start, step))
    unit = max(start_denominator, step_denominator)
    largest = abs(start_numerator) * (unit // start_denominator) + abs(step_numerator) * (unit // step_denominator) * size
    return largest < 2 ** (np.finfo(np_dtype).nmant + 1)


def _thread_ranges(size):
    """The (begin, end) ranges at::parallel_for (OpenMP) splits range(size) into over torchless's threads."""
    threads = min(parallel.get_num_threads(), -(-size // _GRAIN_SIZE))
    if size <= _GRAIN_SIZE or threads < 2:
        return [(0, size)]
    chunk = -(-size // threads)
    return [(begin, min(begin + chunk, size)) for begin in range(0, size, chunk)]


def deprecated_range(start=None, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """PyTorch's deprecated ``torch.range`` (``torchless.range``): ``start`` to ``end`` *inclusive* in steps of
    ``step``, as the default float dtype unless ``dtype`` says otherwise, whatever the bounds' types."""
    if start is None or end is None:
        # (PyTorch's parser writes "arguments" for one missing and "argument" for two)
        missing = 'argument: "start", "end"' if start is None else 'arguments: "end"'
        raise TypeError(f"range() missing {2 if start is None else 1} required positional {missing}")
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    np_dtype = _dtype.to_numpy_dtype(dtype or _dtype.get_default_dtype())
    _dtype.refuse_wide_unsigned("range_cpu", np_dtype)  # (PyTorch's checks of the bounds run in the kernel)
    if values[2] == 0 or values[2] != values[2]:
        raise RuntimeError("step must be nonzero")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if np_dtype == np.int64 and any(type(v) is int and v >= 2**63 for v in values):  # (an int read as uint64)
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    count = math.floor((values[1] - values[0]) / values[2]) + 1  # the end itself included when reached
    array = values[0] + values[2] * np.arange(count, dtype=np.float64)
    with np.errstate(over="ignore"):
        return _finish(array.astype(np_dtype), requires_grad, device)


def _trunc_div(a, b):
    """Integer division rounding toward zero, as in C."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


_FUSED_MULTIPLY_ADD = {np.dtype(np.float32): fma.fused_multiply_add32, np.dtype(np.float64): fma.fused_multiply_add64}


def _float_linspace(start, end, steps, np_dtype):
    """PyTorch's floating linspace to the last bit: the step computed in the dtype, each value stepped from the
    nearer end, ``start + step * i`` in the first half and ``end - step * (steps - 1 - i)`` in the second, with a
    fused multiply-add for float32 and float64 (one rounding, ``i`` converted to the dtype) and plain
    half-precision arithmetic for float16 (complex: plain complex arithmetic)."""
    kind = np_dtype.type
    first, last = kind(start), kind(end)
    if steps <= 1:
        return np.full(steps, first, np_dtype)
    step = kind(last - first) / kind(steps - 1)
    half = steps // 2
    index = np.arange(steps)
    fused = _FUSED_MULTIPLY_ADD.get(np_dtype)
    if fused is None:
        return np.concatenate([first + step * index[:half].astype(kind),
                               last - step * (steps - 1 - index[half:]).astype(kind)]).astype(np_dtype)
    # one fused pass over both halves: start + step * i, then end + (-step) * (steps - 1 - i)
    index[half:] = steps - 1 - index[half:]
    step_by, add_to = np.full(steps, step), np.full(steps, first)
    step_by[half:], add_to[half:] = -step, last
    return fused(step_by, index.astype(kind), add_to).astype(np_dtype)


@_memory_keywords
@_accepts_out(keeps_shape=True)
def linspace(start, end, steps=_UNGIVEN, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    steps = _checked_space_arguments("linspace", _LINSPACE_OVERLOADS, (start, end, steps), dtype)
    start, end = _scalar_ends("linspace", start, end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    np_dtype = _dtype_argument(dtype, "linspace", _LINSPACE_OVERLOADS, (start, end, steps)) if dtype is not None else _dtype.get_default_dtype().numpy
    np_dtype = _space_dtype("linspace", start, end, dtype, np_dtype)
    if np_dtype.kind == "b" and steps > 1:  # PyTorch has no bool kernel, but fills 0 or 1 values without it
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if steps > 1:
        _dtype.refuse_wide_unsigned("linspace_cpu", np_dtype)
    if steps <= 1:  # PyTorch fills in start (fill_'s checks, float16's skipped for one element) or nothing
        start = start.item() if isinstance(start, Tensor) else start
        values = [_dtype.fill_value(start, np_dtype, check_half=False)] if steps else []
        return _finish(np.array(values, np_dtype), requires_grad, device)
    if np_dtype.kind in "fV":  # the ends are converted to the dtype first, with its range check
        start, end = (_dtype.fill_value(v, np_dtype) for v in (start, end))
    if np_dtype.kind not in "iu":
        return _finish(_float_linspace(start, end, steps, np_dtype), requires_grad, device)
    # PyTorch converts the ends to the integer dtype first (range-checked: uint8 reads -1 as 255), then steps in
    # double from the start for the first half of the values and from the end for the others (fused multiply-adds),
    # truncating.
    first, last = (int(_dtype.fill_value(v, np_dtype)) for v in (start, end))
    step = (last - first) / (steps - 1) if steps > 1 else 0.0
    index = np.arange(steps)
    halfway = steps // 2 if steps > 1 else 1
    values = np.where(index < halfway, fma.fused_multiply_add64(step, index, first),
                      fma.fused_multiply_add64(-step, steps - 1 - index, last))
    return _finish(values.astype(np_dtype), requires_grad, device)


def _space_dtype(name, start, end, dtype, np_dtype):
    """linspace's / logspace's dtype: with a complex end, the default complex dtype unless ``dtype`` is given
    (PyTorch's error for a real one)."""
    if type(start) in _PLAIN_NUMBERS and type(end) in _PLAIN_NUMBERS or not any(
            isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real) for v in (start, end)):
        return np_dtype
    inferred = _dtype.get_default_dtype().to_complex()
    if dtype is None:
        return inferred.numpy
    if np_dtype.kind != "c":
        precision = "float" if inferred is _dtype.complex64 else "double"
        raise RuntimeError(f"torchless.{name}(): inferred dtype c10::complex<{precision}> can't be safely cast to "
                           f"passed dtype {_dtype.from_numpy_dtype(np_dtype).scalar_name}")
    return np_dtype


_PLAIN_NUMBERS = (int, float)  # (the arguments needing no more look at them than their type)


def _checked_space_arguments(name, overloads, given, dtype):
    """linspace's / logspace's steps, after PyTorch's parser's checks of the call (its ends numbers or tensors,
    steps an int, logspace's base a float)."""
    if type(given[2]) is int and all(type(v) in _PLAIN_NUMBERS for v in given[:2] + given[3:]):  # (the usual call)
        return given[2]
    given = tuple(v for v in given if v is not _UNGIVEN)
    start, end, steps = (given + (None,))[:3]
    if len(given) < 3 or type(steps) is not int or not all(
            isinstance(v, Tensor) or _is_number_argument(v) for v in (start, end)) or \
            len(given) > 3 and not isinstance(given[3], (int, float, np.number, np.bool_)):
        steps = _parser_errors.parse(name, overloads, given, {} if dtype is None else {"dtype": dtype})["steps"]
    return steps


def _scalar_ends(name, start, end):
    """linspace's / logspace's ends as numbers: a tensor end must be 0-d (PyTorch's message names the ends given as
    tensors), and is read as its value."""
    if type(start) in _PLAIN_NUMBERS and type(end) in _PLAIN_NUMBERS:
        return start, end
    tensors = [(label, v) for label, v in (("start", start), ("end", end)) if isinstance(v, Tensor)]
    if any(v._data.ndim for _, v in tensors):
        got = " and ".join(f"{label} with {v._data.ndim} dimension(s)" for label, v in tensors)
        raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got {got}.")
    return tuple(v._data.item() if isinstance(v, Tensor) else as_parsed_number(v) for v in (start, end))


def _complex_powers(base, exponents):
    """``base ** exponents`` (complex, in their dtype) as the C library's cpow computes them. NumPy's power calls
    it, but multiplies its way to whole powers up to 100, where cpow takes exp(exponent * log(base))."""
    with np.errstate(all="ignore"):
        powers = np.power(base, exponents)
        whole = (exponents.imag == 0) & (exponents.real == np.round(exponents.real)) & (abs(exponents.real) <= 100)
        powers[whole] = np.exp(exponents[whole] * np.log(base))
    return powers


def _complex_pow_of_real(base, exponent):
    """A real ``base`` to a complex power as C++'s std::pow(double, complex<double>) computes it: in polar form for
    a positive base, through the complex logarithm otherwise."""
    with np.errstate(all="ignore"):
        if base > 0:
            modulus, angle = _c_pow(base, exponent.real), np.float64(exponent.imag) * math.log(base)
            return complex(modulus * np.cos(angle), modulus * np.sin(angle))
        return np.power(np.complex128(base), np.complex128(exponent))


def _c_pow(base, exponent):
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf
    except ValueError:  # a negative base to a fractional power
        return math.nan


@_memory_keywords
@_accepts_out(keeps_shape=True)
def logspace(start, end, steps=_UNGIVEN, base=_UNGIVEN, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values ``base ** e`` for ``e`` evenly spaced from ``start`` to ``end`` inclusive."""
    steps = _checked_space_arguments("logspace", _LOGSPACE_OVERLOADS, (start, end, steps, base), dtype)
    start, end = _scalar_ends("logspace", start, end)
    base = 10.0 if base is _UNGIVEN else base
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    np_dtype = (_dtype_argument(dtype, "logspace", _LOGSPACE_OVERLOADS, (start, end, steps)) if dtype is not None
                else _dtype.get_default_dtype().numpy)
    np_dtype = _space_dtype("logspace", start, end, dtype, np_dtype)
    if np_dtype.kind == "c":
        if steps == 1:  # PyTorch fills in the one value, computed in double
            return _finish(np.array([_complex_pow_of_real(base, complex(start))], np_dtype), requires_grad, device)
        # base ** the complex linspace's exponents, in the dtype (complex64's pow in single precision)
        return _finish(_complex_powers(np_dtype.type(base), _float_linspace(start, end, steps, np_dtype)),
                       requires_grad, device)
    if steps == 0:
        return _finish(np.empty(0, np_dtype), requires_grad, device)
    if np_dtype.kind == "b" and steps > 1:  # as linspace: no bool kernel, but one value is filled in without it
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    if steps > 1:
        _dtype.refuse_wide_unsigned("logspace_cpu", np_dtype)
    if steps == 1:
        exponents = [float(start)]
    else:
        # As PyTorch's kernel: the ends converted to the dtype first (their difference taken there), the step in
        # double, exponents stepped from the start for the first half and from the end for the others
        if np_dtype.kind in "iub":
            first, last = (int(_dtype.fill_value(v, np_dtype)) for v in (start, end))
        else:
            first, last = (np_dtype.type(_dtype.fill_value(v, np_dtype)) for v in (start, end))
        step = float(last - first) / (steps - 1)
        exponents = [float(first) + step * i if i < steps // 2 else float(last) - step * (steps - 1 - i)
                     for i in range(steps)]
    # the C library's pow, as PyTorch calls it (NumPy's vectorised power differs in the last bit); an integer
    # result raises a float32 base (PyTorch avoids promoting it), a floating one a double
    base = float(np.float32(base)) if np_dtype.kind in "iub" else float(base)
    values = np.array([_c_pow(base, e) for e in exponents], np.float64)
    if steps == 1:  # PyTorch fills the one value in, with fill_'s range check (float16's skipped for one element)
        values = np.array([_dtype.fill_value(values[0], np_dtype, check_half=False)])
    if np_dtype == np.float16:  # PyTorch's double result becomes a float, then a half
        values = values.astype(np.float32)
    with np.errstate(all="ignore"):  # (inf or NaN cast to an integer dtype: whatever the cast gives, silently)
        values = values.astype(np_dtype)
    return _finish(values, requires_grad, device)
