"""``assert_close``: PyTorch's check that tensors (numbers, or sequences and mappings of them) are close, with its
default tolerances and its messages; and its deprecated predecessor ``assert_allclose``."""
import cmath
import collections.abc
import warnings

import numpy as np

# (rtol, atol) by dtype; other dtypes (integers, bool) must be equal
_DTYPE_PRECISIONS = {
    np.dtype(np.float16): (0.001, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
    np.dtype(np.complex64): (1.3e-6, 1e-5),
    np.dtype(np.complex128): (1e-7, 1e-7),
}
# the dtype whose tolerances a Python number gets
_NUMBER_DTYPES = {int: np.dtype(np.int64), float: np.dtype(np.float64), complex: np.dtype(np.complex128)}


class _Failure(Exception):
    """A failed comparison: the exception type and message to raise, and where in nested inputs it happened."""

    def __init__(self, type, message, id=()):
        super().__init__(message)
        self.type, self.message, self.id = type, message, id

    def to_error(self, msg=None):
        if isinstance(msg, str):
            return self.type(msg)
        message = self.message
        if self.id:
            message += f"\n\nThe failure occurred for item {''.join(str([item]) for item in self.id)}"
        return self.type(msg(message) if callable(msg) else message)


class _Unsupported(Exception):
    """This kind of pair does not handle these inputs: the next kind is tried."""


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    r"""Assert that ``actual`` and ``expected`` are close.

    Tensors (and array-likes of the same type) are close when they have the same shape, the same dtype (unless
    ``check_dtype=False``: they are then compared in their promoted dtype), and every element satisfies

    .. math::
        |\text{actual} - \text{expected}| \le \texttt{atol} + \texttt{rtol} \cdot |\text{expected}|

    with infinities close only to themselves, and NaN only to NaN with ``equal_nan=True``. Python numbers are
    compared the same way, bools and None for identity. Sequences and mappings are compared element by element.

    Args:
        actual: the actual input.
        expected: the expected input.
        rtol (float, optional): relative tolerance; given together with ``atol``. Default: by dtype, the loosest of
            the two inputs: float16 1e-3, float32 1.3e-6, float64 1e-7, and 0 for integers and bool.
        atol (float, optional): absolute tolerance; given together with ``rtol``. Default: by dtype, float16 and
            float32 1e-5, float64 1e-7, and 0 for integers and bool.
        equal_nan (bool): whether two NaN are equal.
        check_dtype (bool): whether tensors must have the same dtype.
        check_stride (bool): whether tensors must have the same strides.
        msg (str or Callable[[str], str], optional): replaces the failure message, or makes it from the
            generated one.

    Raises:
        AssertionError: the inputs are not close (the message says how many elements mismatch, and the greatest
            absolute and relative differences and where they are).
        ValueError: only one of ``rtol`` and ``atol`` is given.
        TypeError: the inputs cannot be compared.
    """
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_dtype=check_dtype, check_stride=check_stride)
    try:
        comparisons = _comparisons(actual, expected, (), options)
    except _Failure as failure:
        raise failure.to_error() from None
    for compare in comparisons:
        try:
            compare()
        except _Failure as failure:
            raise failure.to_error(msg) from None


def _comparisons(actual, expected, id, options):
    """One comparison (a function raising _Failure) per pair of leaves of ``actual`` and ``expected``."""
    sequence = collections.abc.Sequence
    if isinstance(actual, sequence) and not isinstance(actual, str) and isinstance(expected, sequence) and \
            not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                           id)
        return [c for i in range(len(actual)) for c in _comparisons(actual[i], expected[i], (*id, i), options)]
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        actual_keys, expected_keys = set(actual.keys()), set(expected.keys())
        if actual_keys != expected_keys:
            missing, additional = sorted(expected_keys - actual_keys), sorted(actual_keys - expected_keys)
            raise _Failure(AssertionError, "The keys of the mappings do not match:\n"
                                           f"Missing keys in the actual mapping: {missing}\n"
                                           f"Additional keys in the actual mapping: {additional}", id)
        try:
            keys = sorted(actual_keys)
        except Exception:  # noqa: BLE001 - keys that do not sort keep their set order, as in PyTorch
            keys = actual_keys
        return [c for key in keys for c in _comparisons(actual[key], expected[key], (*id, key), options)]
    for pair in (_none_pair, _boolean_pair, _number_pair, _tensor_pair):
        try:
            return [pair(actual, expected, id, **options)]
        except _Unsupported:
            continue
    raise _Failure(TypeError, f"No comparison pair was able to handle inputs of type {_type_repr(actual)} and "
                              f"{_type_repr(expected)}.", id)


def _type_repr(value):
    from .._tensor import Tensor

    return "<class 'torchless.Tensor'>" if type(value) is Tensor else str(type(value))


def _tolerances(dtypes, rtol, atol, id):
    if (rtol is None) != (atol is None):
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                                   f"{'rtol' if rtol is None else 'atol'}.", id)
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*[_DTYPE_PRECISIONS.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


def _none_pair(actual, expected, id, **options):
    if not (actual is None or expected is None):
        raise _Unsupported

    def compare():
        if not (actual is None and expected is None):
            raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", id)

    return compare


def _boolean_pair(actual, expected, id, **options):
    if not all(isinstance(v, (bool, np.bool_)) for v in (actual, expected)):
        raise _Unsupported
    actual, expected = bool(actual), bool(expected)

    def compare():
        if actual is not expected:
            raise _Failure(AssertionError, f"Booleans mismatch: {actual} is not {expected}", id)

    return compare


def _number_pair(actual, expected, id, rtol, atol, equal_nan, check_dtype, **options):
    if not all(isinstance(v, (int, float, complex, np.number)) for v in (actual, expected)):
        raise _Unsupported
    actual, expected = (v.item() if isinstance(v, np.number) else v for v in (actual, expected))
    rtol, atol = _tolerances([_NUMBER_DTYPES[type(v)] for v in (actual, expected)], rtol, atol, id)

    def compare():
        if check_dtype and type(actual) is not type(expected):
            raise _Failure(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.", id)
        if actual == expected or (equal_nan and cmath.isnan(actual) and cmath.isnan(expected)):
            return
        difference = abs(actual - expected)
        if cmath.isfinite(difference) and difference <= atol + rtol * abs(expected):
            return
        raise _Failure(AssertionError, _scalar_mismatch_message(actual, expected, rtol, atol), id)

    return compare


def _tensor_pair(actual, expected, id, allow_subclasses, rtol, atol, equal_nan, check_dtype, check_stride):
    from .._creation import as_tensor
    from .._tensor import Tensor

    if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
        raise _Unsupported
    if not allow_subclasses and type(actual) is not type(expected):
        raise _Unsupported
    try:
        actual, expected = (v if isinstance(v, Tensor) else as_tensor(v) for v in (actual, expected))
    except Exception:  # noqa: BLE001 - inputs that make no tensor are for another kind of pair
        raise _Unsupported from None
    rtol, atol = _tolerances([actual._data.dtype, expected._data.dtype], rtol, atol, id)

    def compare():
        if actual.shape != expected.shape:
            raise _Failure(AssertionError, f"The values for attribute 'shape' do not match: {actual.shape} != "
                                           f"{expected.shape}.", id)
        if check_stride and actual.stride() != expected.stride():  # (before the dtype, as PyTorch checks them)
            raise _Failure(AssertionError, f"The values for attribute 'stride()' do not match: {actual.stride()} != "
                                           f"{expected.stride()}.", id)
        if check_dtype and actual.dtype != expected.dtype:
            raise _Failure(AssertionError, f"The values for attribute 'dtype' do not match: {actual.dtype} != "
                                           f"{expected.dtype}.", id)
        a, e = _promoted(actual._data, expected._data)
        matches = _isclose(a, e, rtol, atol, equal_nan)
        if matches.all():
            return
        if a.ndim == 0:
            message = _scalar_mismatch_message(a.item(), e.item(), rtol, atol)
        else:
            message = _tensor_mismatch_message(a, e, matches, rtol, atol)
        raise _Failure(AssertionError, message, id)

    return compare


def _promoted(a, b):
    from .._type_promotion import promote

    common = promote(a.dtype, b.dtype)
    return a.astype(common, copy=False), b.astype(common, copy=False)


def _isclose(a, e, rtol, atol, equal_nan):
    """PyTorch's isclose: equal, or (for finite differences) within ``atol + |rtol * e|``."""
    close = a == e
    if equal_nan and a.dtype.kind in "fc":
        close |= np.isnan(a) & np.isnan(e)
    if rtol == 0 and atol == 0:
        return close
    if a.dtype.kind not in "fc":  # PyTorch measures integer errors in the default float dtype
        a, e = a.astype(np.float32), e.astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(a - e)
        allowed = atol + np.abs(rtol * e)
        return close | (np.isfinite(error) & (error <= allowed))


def _mismatch_message(identifier, extra, abs_diff, abs_index, atol, rel_diff, rel_index, rtol):
    equality = rtol == 0 and atol == 0

    def difference(kind, diff, index, tol):
        line = f"{kind.title()} difference: {diff}" if index is None else \
            f"Greatest {kind} difference: {diff} at index {index}"
        return line + ("" if equality else f" (up to {tol} allowed)") + "\n"

    message = f"{identifier} are not {'equal' if equality else 'close'}!\n\n{extra.strip()}\n"
    message += difference("absolute", abs_diff, abs_index, atol) + difference("relative", rel_diff, rel_index, rtol)
    return message.strip()


def _scalar_mismatch_message(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_message("Scalars", f"Expected {expected} but got {actual}.", abs_diff, None, atol, rel_diff,
                             None, rtol)


def _tensor_mismatch_message(actual, expected, matches, rtol, atol):
    total = matches.size
    mismatches = total - int(np.count_nonzero(matches))
    extra = f"Mismatched elements: {mismatches} / {total} ({mismatches / total:.1%})"
    a, e, matched = actual.reshape(-1), expected.reshape(-1), matches.reshape(-1)
    if a.dtype.kind not in "fc":
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[matched] = 0
        # PyTorch divides integers in its default float dtype
        rel_diff = abs_diff / np.abs(e) if a.dtype.kind in "fc" else \
            abs_diff.astype(np.float32) / np.abs(e).astype(np.float32)
    rel_diff[matched] = 0
    abs_index, rel_index = _argmax(abs_diff), _argmax(rel_diff)
    return _mismatch_message("Tensor-likes", extra, abs_diff[abs_index].item(), _unravel(abs_index, matches.shape),
                             atol, rel_diff[rel_index].item(), _unravel(rel_index, matches.shape), rtol)


def _unravel(flat_index, shape):
    return tuple(int(i) for i in np.unravel_index(flat_index, shape))


def _argmax(values):
    """The index of the greatest value, of the first NaN if there is one (PyTorch's max propagates NaN)."""
    if values.dtype.kind in "fc":
        nan = np.flatnonzero(np.isnan(values))
        if nan.size:
            return int(nan[0])
    return int(np.argmax(values))


__all__ = ["assert_close"]


# assert_allclose's looser defaults, by dtype
_ALLCLOSE_PRECISIONS = {np.dtype(np.float16): (1e-3, 1e-3), np.dtype(np.float32): (1e-4, 1e-5),
                        np.dtype(np.float64): (1e-5, 1e-8)}


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated (PyTorch's since 1.12): :func:`assert_close` with looser default tolerances (float32: rtol 1e-4,
    atol 1e-5), NaN equal to NaN, and dtypes not compared; numbers and sequences are made tensors first."""
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future release. "
                  "Please use `torch.testing.assert_close()` instead. You can find detailed upgrade instructions in "
                  "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning, stacklevel=2)
    from .._creation import tensor
    from .._tensor import Tensor

    __tracebackhide__ = True
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = (max(parts) for parts in zip(*(_ALLCLOSE_PRECISIONS.get(t._data.dtype, (0.0, 0.0))
                                                   for t in (actual, expected))))
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False, msg=msg or None)
