"""PyTorch's window functions for signal processing: ``bartlett_window``, ``blackman_window``, ``hamming_window``,
``hann_window`` and ``kaiser_window``, computed as PyTorch's factories compute them (an arange scaled and
transformed op by op in the window's dtype, so that float16 and float32 round where PyTorch's kernels do)."""
import math

import numpy as np

from . import _dtype, _parser_errors
from ._creation._common import _finish, check_pin_memory

_FACTORY_KEYWORDS = ("*, dtype? dtype=None, layout? layout=None, device? device=None, bool pin_memory=False, "
                     "bool? requires_grad=False")


def _overloads(*extra_arguments):
    """The schemas of a window function: the length alone, then with each of ``extra_arguments`` in turn."""
    leading = ["int window_length"]
    schemas = [", ".join(leading) + ", " + _FACTORY_KEYWORDS]
    for argument in ("bool periodic",) + extra_arguments:
        leading.append(argument)
        schemas.append(", ".join(leading) + ", " + _FACTORY_KEYWORDS)
    return tuple(schemas)


def _options_text(np_dtype, dtype_given, sparse):
    """How PyTorch prints the window's TensorOptions in its argument checks' messages."""
    name = _dtype.CPP_SCALAR_NAMES.get(np_dtype.name, np_dtype.name) + ("" if dtype_given else " (default)")
    layout = "Sparse" if sparse else "Strided (default)"
    return (f"TensorOptions(dtype={name}, device=cpu, layout={layout}, requires_grad=false (default), "
            "pinned_memory=false, memory_format=(nullopt))")


def _window_arguments(name, overloads, args, kwargs):
    """The parsed call, its window length, periodic flag and NumPy dtype, checked as PyTorch's
    window_function_checks does."""
    parsed = _parser_errors.parse(name, overloads, args, kwargs)
    dtype, layout = parsed.get("dtype"), parsed.get("layout")
    np_dtype = _dtype.argument(dtype, name) if dtype is not None else _dtype.get_default_dtype().numpy
    sparse = layout is not None and str(layout) != "torchless.strided"
    if sparse:
        raise RuntimeError(f"{name} is not implemented for sparse types, got: "
                           f"{_options_text(np_dtype, dtype is not None, sparse)}")
    if np_dtype.kind not in "fc":
        raise RuntimeError(f"{name} expects floating point dtypes, got: "
                           f"{_options_text(np_dtype, dtype is not None, sparse)}")
    length = parsed["window_length"]
    if length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={length}")
    check_pin_memory(parsed.get("pin_memory"))
    if np_dtype.kind == "c" and length > 1:  # (PyTorch's arange has no complex kernel)
        raise NotImplementedError(f"\"arange_cpu\" not implemented for "
                                  f"'{_dtype.from_numpy_dtype(np_dtype).scalar_name}'")
    periodic = parsed.get("periodic")
    return parsed, length, True if periodic is None else periodic, np_dtype


def _compute_dtype(np_dtype):
    """Where PyTorch's CPU kernels compute an op on ``np_dtype`` (float16 in float32, as its opmath does)."""
    return np.dtype(np.float32) if np_dtype.itemsize < 4 else np_dtype


def _step(values, np_dtype, operation):
    """One PyTorch op on the window: computed in ``np_dtype``'s opmath, rounded to ``np_dtype``."""
    with np.errstate(all="ignore"):
        return operation(values.astype(_compute_dtype(np_dtype))).astype(np_dtype)


def _cosine(values):
    """cos as PyTorch's float32 kernels compute it, closest in float64 rounded (SLEEF's is within an ulp, NumPy's
    own float32 cos further off)."""
    return np.cos(values.astype(np.float64)).astype(values.dtype)


def _scalar(value, np_dtype):
    """A Python float scalar operand as PyTorch's kernels take it: rounded to the tensor's dtype (the op's common
    dtype), computed with in the opmath type."""
    return _compute_dtype(np_dtype).type(np_dtype.type(value))


def _window(name, overloads, body):
    """A window function ``name`` whose values, for a length of at least 2 (already extended by one when
    periodic), ``body(arange, parsed, np_dtype)`` gives."""

    def window(*args, **kwargs):
        parsed, length, periodic, np_dtype = _window_arguments(name, overloads, args, kwargs)
        if length <= 1:
            values = np.ones(length, np_dtype)
        else:
            full_length = length + 1 if periodic else length
            values = body(np.arange(full_length).astype(np_dtype), parsed, np_dtype)[:length]
            values = np.ascontiguousarray(values)
        return _finish(values, bool(parsed.get("requires_grad")), parsed.get("device"))

    window.__name__ = window.__qualname__ = name
    return window


def _given(parsed, name, default):
    """The parsed argument ``name``, or PyTorch's default for it when the call left it out."""
    value = parsed.get(name)
    return default if value is None else value


def _hamming_values(arange, parsed, np_dtype, alpha=None, beta=None):
    alpha = _given(parsed, "alpha", 0.54) if alpha is None else alpha
    beta = _given(parsed, "beta", 0.46) if beta is None else beta
    scale = _scalar(math.pi * 2.0 / (len(arange) - 1), np_dtype)
    values = _step(arange, np_dtype, lambda v: v * scale)
    values = _step(values, np_dtype, _cosine)
    values = _step(values, np_dtype, lambda v: v * _scalar(-beta, np_dtype))
    return _step(values, np_dtype, lambda v: v + _scalar(alpha, np_dtype))


def _bartlett_values(arange, parsed, np_dtype):
    length = len(arange)
    values = _step(arange, np_dtype, lambda v: v * _scalar(2.0 / (length - 1), np_dtype))
    first_half = ((length - 1) >> 1) + 1
    values[first_half:] = _step(values[first_half:], np_dtype, lambda v: -v + _scalar(2, np_dtype))
    return values


def _blackman_values(arange, parsed, np_dtype):
    base = _step(arange, np_dtype, lambda v: v * _scalar(math.pi / (len(arange) - 1), np_dtype))

    def cosine_term(multiple, weight):
        term = _step(base, np_dtype, lambda v: v * _scalar(multiple, np_dtype))
        term = _step(term, np_dtype, _cosine)
        return _step(term, np_dtype, lambda v: v * _scalar(weight, np_dtype))

    values = _step(cosine_term(4, 0.08), np_dtype, lambda v: v - cosine_term(2, 0.5).astype(v.dtype))
    return _step(values, np_dtype, lambda v: v + _scalar(0.42, np_dtype))


def _kaiser_values(arange, parsed, np_dtype):
    from ._kernels import special_math

    beta = _given(parsed, "beta", 12.0)
    opmath = _compute_dtype(np_dtype)
    alpha = opmath.type((len(arange) - 1) / 2.0)
    beta = opmath.type(beta)
    with np.errstate(all="ignore"):
        ratio = (arange.astype(opmath) - alpha) / alpha
        argument = (beta * np.sqrt(np.abs(opmath.type(1) - ratio * ratio))).astype(opmath)
        values = (special_math.i0(argument).astype(opmath) / opmath.type(special_math.i0(np.array([beta], np.float64))[0]))
    return values.astype(opmath).astype(np_dtype)


hamming_window = _window("hamming_window", _overloads("float alpha", "float beta"), _hamming_values)
hann_window = _window("hann_window", _overloads(),
                      lambda arange, parsed, np_dtype: _hamming_values(arange, parsed, np_dtype, 0.5, 0.5))
bartlett_window = _window("bartlett_window", _overloads(), _bartlett_values)
blackman_window = _window("blackman_window", _overloads(), _blackman_values)
kaiser_window = _window("kaiser_window", _overloads("float beta"), _kaiser_values)

__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"]
