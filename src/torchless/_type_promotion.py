"""PyTorch's type promotion of NumPy dtypes: the category of a dtype or Python number (bool < integer < float <
complex) decides, then the precision; a 0-d tensor beside one with dimensions counts only for a higher category."""
import numbers

import numpy as np

BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3
# What PyTorch's parser takes for a Number: Python's and NumPy's numbers (their subclasses too), not every
# numbers.Number (a Fraction or a Decimal is refused, and the operators return NotImplemented for it)
NUMBERS = (int, float, complex, np.number, np.bool_)


def category(np_dtype):
    kind = np_dtype.kind
    # (kind "V": bfloat16, ml_dtypes' NumPy type, the only one of that kind tensors hold)
    return FLOAT if kind == "f" else BOOL if kind == "b" else COMPLEX if kind == "c" else FLOAT if kind == "V" else INT


def scalar_category(value):
    # (a NumPy bool is no Python bool to PyTorch's parser: it reads it through __float__, as a float; so too a
    # NumPy complex number that is no Python complex, see as_parsed_number)
    return BOOL if isinstance(value, bool) else INT if isinstance(value, numbers.Integral) else \
        FLOAT if isinstance(value, (numbers.Real, np.bool_)) or _read_as_float(value) else COMPLEX


def _read_as_float(value):
    """Whether PyTorch's parser reads the complex ``value`` as a float: a NumPy complex number that is no Python
    complex (complex64), which it reads through its __float__."""
    return isinstance(value, np.complexfloating) and not isinstance(value, complex)


def check_numpy_number(value):
    """PyTorch's parser reads a NumPy unsigned integer as an int64 through ``__index__``: one from 2**63 is
    refused (called off the Python numbers' path, for a NumPy scalar only)."""
    if type(value) is np.uint64 and value >= 2 ** 63:
        raise TypeError("an integer is required")
    return value


def as_parsed_number(value):
    """A number as PyTorch's parser reads it: a NumPy complex number that is no Python complex (complex64) by its
    real part, through its __float__ (NumPy's ComplexWarning said); any other as it is."""
    return float(value) if _read_as_float(value) else value


def promote(a, b):
    """PyTorch's promotion of two NumPy dtypes (e.g. int64 with float32 gives float32, not float64)."""
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if (a.kind == "u" and a.itemsize > 1 or b.kind == "u" and b.itemsize > 1) and ca != FLOAT and cb != FLOAT:
        _refuse_wide_unsigned(a, b)
    if ca != cb:
        if max(ca, cb) == COMPLEX and min(ca, cb) == FLOAT:  # complex64 with float64 gives complex128
            return np.promote_types(a, b)
        return a if ca > cb else b
    return np.promote_types(a, b)


def _refuse_wide_unsigned(a, b):
    """PyTorch's error for promoting uint16, uint32 or uint64 with another dtype that is no float: only floats
    take them ("limited support" dtypes)."""
    from ._dtype import from_numpy_dtype

    raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
                       f"{from_numpy_dtype(a).scalar_name} and {from_numpy_dtype(b).scalar_name}")


def result_dtype(a, a_has_dims, b, b_has_dims):
    """PyTorch's result dtype of an op on tensors of NumPy dtypes a and b: a 0-d tensor beside one with
    dimensions counts only when its category (bool < integer < float < complex) is higher; a complex one beside
    floats gives the complex dtype of their precision."""
    if a_has_dims != b_has_dims:
        ca, cb = category(a), category(b)
        if a_has_dims and ca >= cb:
            return a
        if b_has_dims and cb >= ca:
            return b
        dims, zero = (a, b) if a_has_dims else (b, a)
        if zero.kind == "c" and dims.kind == "f":
            return np.result_type(dims, np.complex64)
        if zero.kind == "c" and dims.kind == "u":  # (a complex number beside uint16 tensors: no promotion asked)
            return zero
    return promote(a, b)

