"""NumPy's floating-point warnings, which PyTorch never gives.

inf and NaN flow through PyTorch's kernels silently (inf * 0 is NaN, 1e38 * 10 is inf); NumPy's ufuncs and matmul
raise their floating-point flags instead, as a RuntimeWarning ("overflow encountered in multiply"). torchless keeps
them from its users in two cheap ways, never touching the user's own NumPy state (``np.seterr``):

* under the default warning filters, one filter installed at import (``FLAG_WARNING``) ignores those attributed to
  torchless's modules;
* under a user's ``warnings.simplefilter("error")`` (or ``-W error`` set after import), NumPy raises the warning
  as an exception from inside the kernel, and under a user's ``np.seterr(all="raise")`` a FloatingPointError
  (``FLAG_ERRORS``): an operation catches it and computes again under ``np.errstate(all="ignore")``
  (``is_flag_warning``). A ``try`` costs nothing until it catches, where ``np.errstate`` around every kernel call
  would cost about a microsecond each.
"""
import re

# What NumPy's floating-point warnings say: "overflow encountered in multiply", "invalid value encountered in add"
FLAG_WARNING = r"(invalid value|divide by zero|overflow|underflow) encountered"

# What NumPy raises for them under a user's 'error' warning filter, or np.seterr(all="raise")
FLAG_ERRORS = (RuntimeWarning, FloatingPointError)

_flag_warning = re.compile(FLAG_WARNING)


def is_flag_warning(warning):
    """Whether ``warning`` (one of ``FLAG_ERRORS``, caught) is one of NumPy's floating-point flags rather than a
    warning of torchless's own."""
    return _flag_warning.match(str(warning)) is not None
