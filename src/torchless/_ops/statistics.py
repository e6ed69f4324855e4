"""Covariance and correlation, membership (isin), the infinity and realness tests, logdet.
"""
import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._tensor import Tensor
from .._type_promotion import result_dtype


def cov(self, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in ``input``'s rows (observations in its columns)."""
    if type(correction) is not int:
        correction = _parser_errors.method_arguments("cov", (), {"correction": correction})["correction"]
    if self.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{self.ndim} dimensions")
    x = self.reshape(1, -1) if self.ndim < 2 else self
    x = x._float_self()
    observations = x.shape[1]
    weights = None
    for w, name in ((fweights, "fweights"), (aweights, "aweights")):
        if w is None:
            continue
        if w.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                               f"{w.ndim} dimensions")
        if w.numel() != observations:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                               f"input but got {w.numel()} != {observations}")
        weights = w if weights is None else weights * w
    if weights is None:
        total = x.new_tensor(float(observations), dtype=x.dtype.to_real())  # (real for a complex input too)
        # (PyTorch's average: the sum divided by the count, unsqueezed, as its graph shows)
        mean = x.sum(1) / total
        norm = total - correction
        centred = x - mean.unsqueeze(1)
        product = centred @ centred.t().conj()
    else:
        total = weights.sum()
        mean = (x * weights).sum(1) / total
        norm = total - correction if aweights is None else \
            total - correction * (weights * aweights).sum() / total
        centred = x - mean.unsqueeze(1)
        product = centred @ (centred * weights).t().conj()
    # squeezed, as PyTorch's: one variable (a 1-D input, or a single row) gives a 0-d tensor
    return (product / norm.clamp(min=0)).squeeze()


def corrcoef(self):
    """Pearson correlation coefficients of the variables in ``input``'s rows, clipped to [-1, 1]."""
    c = cov(self)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    stddev = (d.real if d.is_complex() else d).sqrt()
    c = c / stddev.view(-1, 1) / stddev.view(1, -1)
    if c.is_complex():  # each part clipped, as in PyTorch
        from .complex_ops import complex as make_complex

        return make_complex(c.real.clamp(-1, 1), c.imag.clamp(-1, 1))
    return c.clamp(-1, 1)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number)."""
    operands = (elements, test_elements)
    if not any(isinstance(value, Tensor) for value in operands) or type(assume_unique) is not bool \
            or type(invert) is not bool or not all(_parser_errors.is_operand(value) for value in operands):
        raise TypeError("isin() received an invalid combination of arguments")  # (reworded as the parser's)
    if any(isinstance(value, int) and not -2 ** 63 <= value < 2 ** 63 for value in operands):
        raise OverflowError("int too big to convert")
    a = np.asarray(elements._data if isinstance(elements, Tensor) else elements)
    b = np.asarray(test_elements._data if isinstance(test_elements, Tensor) else test_elements)
    for array in (a, b):  # PyTorch has no bool or complex kernel (a Python bool counts as a bool)
        if array.dtype.kind in "bc":
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{_dtype.from_numpy_dtype(array.dtype).scalar_name}")
    if _dtype.is_wide_unsigned(a.dtype) or _dtype.is_wide_unsigned(b.dtype):
        # PyTorch's kernel runs in the common dtype (a number of test elements is compared by ==, which runs)
        if isinstance(test_elements, Tensor):
            common = result_dtype(a.dtype, a.ndim > 0 and isinstance(elements, Tensor), b.dtype, b.ndim > 0)
            _dtype.refuse_wide_unsigned("isin_default_cpu", common)
    return Tensor._wrap(np.isin(a, b, invert=invert))


def isneginf(self):
    """Whether each element is -inf."""
    self._refuse_complex("isneginf does not support complex inputs.", RuntimeError)
    return Tensor._wrap(np.isneginf(self._data) if self._data.dtype.kind in "fV" else np.zeros(self.shape, bool))


def isposinf(self):
    """Whether each element is +inf."""
    self._refuse_complex("isposinf does not support complex inputs.", RuntimeError)
    return Tensor._wrap(np.isposinf(self._data) if self._data.dtype.kind in "fV" else np.zeros(self.shape, bool))


def isreal(self):
    """Whether each element is real: True for every element of a real tensor, for a complex one where its
    imaginary part is 0."""
    if self._data.dtype.kind == "c":
        # PyTorch's imag(input) == 0: TensorIterator with a wrapped number orders the dims by the input's strides alone
        return Tensor._wrap(_memory_format.iterator_layout(self._data.imag == 0, (self._data, np.zeros(()))))
    # PyTorch's ones_like(input, bool): laid out as empty_like(input)
    return Tensor._wrap(_memory_format.empty_like(self._data, bool, _memory_format.preserve_format, np.ones))


def logdet(self):
    """log det(input): NaN for a negative determinant, -inf for a singular matrix."""
    from ..linalg import slogdet

    sign, logabsdet = slogdet(self)
    if sign._data.dtype.kind == "c":  # log|det| + i arg(det), as PyTorch composes it
        return logabsdet + sign.log()
    # PyTorch's where(sign == -1, nan, logabsdet): no gradient where the determinant is negative
    from .._functions import where

    return where(sign == -1.0, np.nan, logabsdet)
