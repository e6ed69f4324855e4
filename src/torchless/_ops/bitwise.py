"""Bitwise and integer ops of tensors: and, or, xor, shifts (with PyTorch's results for shifts past the width),
not, gcd and lcm.
"""

import numpy as np

from .. import _parser_errors
from .._tensor import Tensor
from .._type_promotion import NUMBERS
from ._util import as_tensor


def _bitwise(name, fn, refused="f"):
    def method(self, other):
        if not isinstance(self, Tensor):  # a number first (torchless.bitwise_and(1, t)): the tensor's dtype rules
            return getattr(other, name)(self) if name not in _SHIFTS else as_tensor(self).__getattribute__(name)(
                other)
        if not isinstance(other, (Tensor, NUMBERS)) or name in _TENSOR_ONLY and \
                not isinstance(other, Tensor):
            raise _parser_errors.not_tensor(name, "other", 1, other)
        kernel = {"bitwise_left_shift": "lshift_cpu", "bitwise_right_shift": "rshift_cpu"}.get(name, f"{name}_cpu")
        return self._checked_binary(other, fn, kernel, refused)

    method.__name__ = name
    method.__doc__ = f"Elementwise ``{name}`` of integer (or bool) tensors."
    return method


_SHIFTS = ("bitwise_left_shift", "bitwise_right_shift")
_TENSOR_ONLY = ("gcd", "lcm")  # no number overload in PyTorch


def _shift(fn):
    def shifted(a, b):
        # PyTorch shifts by the type's width or more give 0 (or -1 for negatives shifted right), where C is undefined
        bits = a.dtype.itemsize * 8
        b = b.astype(a.dtype, copy=False)
        too_far = (b >= bits) | (b < 0)
        out = fn(a, np.where(too_far, 0, b))
        fill = (np.where(a < 0, -1, 0) if fn is np.right_shift else 0)
        return np.where(too_far, fill, out).astype(a.dtype, copy=False)

    return shifted


def bitwise_not(self):
    """~input for integer and bool tensors."""
    self._no_kernel_for("fcVU", "bitwise_not_cpu")
    return self._pointwise(~self._data)


_BINARY_INT = {  # ("V": bfloat16, refused as the other floating dtypes)
    "bitwise_and": (np.bitwise_and, "fcV"), "bitwise_or": (np.bitwise_or, "fcV"),
    "bitwise_xor": (np.bitwise_xor, "fcV"), "bitwise_left_shift": (_shift(np.left_shift), "fbcVU"),
    "bitwise_right_shift": (_shift(np.right_shift), "fbcVU"), "gcd": (np.gcd, "fbcVU"), "lcm": (np.lcm, "fbcVU"),
}
METHODS = {name: _bitwise(name, fn, refused) for name, (fn, refused) in _BINARY_INT.items()}
METHODS["bitwise_not"] = bitwise_not
