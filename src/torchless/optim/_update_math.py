"""The arithmetic of optimizers' updates on NumPy arrays, rounded as PyTorch's CPU kernels round it: float16
computed in float32 (PyTorch's "opmath" type) and rounded once per op, scalars cast to the compute type, a
multiply followed by an add fused where PyTorch's vectorized kernels fuse them (add with alpha, addcmul, lerp),
complex parameters updated as the pairs of reals they hold. No autograd here: the optimizers call these on
``.data``."""
import contextlib

import numpy as np

from .. import _dtype
from .._cpu_features import has as has_cpu_feature
from .._kernels.fma import fused_multiply_add32, fused_multiply_add64
from .._tensor import Tensor
from .._type_promotion import NUMBERS


_FLOAT32 = np.dtype(np.float32)


_NO_CONTEXT = contextlib.nullcontext()  # (reusable: it holds nothing)


def opmath(dtype):
    """The dtype PyTorch's CPU kernels compute an elementwise op of ``dtype`` in (its "opmath" type): float32 for
    float16 and bfloat16 (char "E"), whose results are rounded to their dtype once per op, else ``dtype`` itself.
    Scalars of an op are cast to it, not to ``dtype``."""
    return _FLOAT32 if dtype.char in "eE" else dtype  # (the char: cheaper than comparing dtypes, once per update)


def in_float32(update, arrays, written, **hyper):
    """Run ``update(*arrays, **hyper)`` on float32 copies of float16 ``arrays`` and store those at the positions
    ``written`` back, rounded once: PyTorch's fused CPU kernels compute a float16 step whole in float32 (None
    entries stay None)."""
    wide = [None if array is None else array.astype(np.float32) for array in arrays]
    update(*wide, **hyper)
    for index in written:
        if arrays[index] is not None:
            arrays[index][...] = wide[index]


def silent_float16_division(dtype):
    """A context for an update's division by its denominator: silent for float16, where eps may round to 0 and a
    zero denominator give inf or nan without a word, as in PyTorch (errstate costs too much to enter always)."""
    return np.errstate(divide="ignore", invalid="ignore") if dtype.char in "eE" else _NO_CONTEXT


def _fused(x, y, z, dtype):
    """``x * y + z`` rounded once in the :func:`opmath` dtype of ``dtype`` (float32 or float64), as PyTorch's
    vectorized kernels compute a multiply-add; for a complex ``dtype`` (SGD updates complex parameters as they
    are) the product and the sum are rounded each, as PyTorch's complex kernels do."""
    if dtype.kind == "c":
        return x * y + z
    return fused_multiply_add64(x, y, z) if dtype.char == "d" else fused_multiply_add32(x, y, z)


def _check_alpha(alpha, name, a, b):
    kind = type(alpha)
    if kind is int:
        return
    if kind is float or isinstance(alpha, np.floating):
        # (PyTorch's alpha_check on the sum's dtype: an SGD or LBFGS step of an integer parameter stops here)
        if a.dtype.kind not in "fcV" and b.dtype.kind not in "fcV":  # ("V": bfloat16)
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        return
    # (a weight_decay=True reaches PyTorch's add as a bool alpha, which only a bool tensor takes)
    if kind is bool:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if not isinstance(alpha, (NUMBERS, Tensor)):  # (a param group's weight_decay=None or a string: its parser's)
        from ..nn._functional._args import _tp_name

        raise TypeError(f"{name}(): argument 'alpha' must be Number, not {_tp_name(alpha)}")


def refuse_integral_result(array, number, cpp_names=False):
    """PyTorch's in-place op (mul_, clamp_) of the integer (or bool) ``array`` with a float ``number``: the result
    type, the default dtype, cannot be written back (clamp_ names the target as C++ does). Called where an update's
    first such op is, guarded by the array's dtype kind (the check costs nothing for floating-point parameters)."""
    if type(number) is float or isinstance(number, np.floating):
        target = _dtype.CPP_TYPE_NAMES[array.dtype.name] if cpp_names else \
            _dtype.from_numpy_dtype(array.dtype).scalar_name
        raise RuntimeError(f"result type {_dtype.get_default_dtype().scalar_name} can't be cast to the desired "
                           f"output type {target}")


def refuse_integral_lerp(start):
    """PyTorch's lerp_ of an integer (or bool) ``start`` with a number: no kernel (the first op of the Adam family's
    step on an integer parameter)."""
    raise NotImplementedError(f'"lerp_kernel_scalar" not implemented for '
                              f"'{_dtype.from_numpy_dtype(start.dtype).scalar_name}'")


def added_scalar(dtype, value, op="add_"):
    """``value`` in ``dtype``, as PyTorch's ``op`` (``add_`` or ``add``) adds a number to a tensor of that dtype;
    its parser's TypeError for a value that is no number or tensor (a param group's ``eps=None``, which would make
    NaNs)."""
    if value.__class__ is not float and not isinstance(value, (NUMBERS, Tensor)):
        from ..nn._functional._args import _tp_name

        raise TypeError(f"{op}(): argument 'other' (position 1) must be Tensor, not {_tp_name(value)}")
    return dtype.type(value)


def added(a, b, alpha):
    """``a.add(b, alpha=alpha)``: a new array of ``a``'s dtype, ``alpha`` first rounded to ``a``'s dtype (as
    PyTorch's vectorized float16 kernel takes it), multiplied and added in one rounding."""
    _check_alpha(alpha, "add", a, b)
    if alpha == 1:
        return np.add(a, b, out=np.empty_like(a), casting="same_kind")
    if a.dtype.char in "eE":
        return _half_added(a, b, alpha)
    return _fused(b, opmath(a.dtype).type(a.dtype.type(alpha)), a, a.dtype).astype(a.dtype, copy=False)


def _half_added(a, b, alpha):
    """``a + alpha * b`` for float16 or bfloat16 ``a`` as PyTorch's kernel computes it (measured): alpha rounded to
    ``a``'s dtype; over whole vectors a fused multiply-add in float32, rounded once; over the last
    ``a.size % lanes`` elements (its scalar loop) the product rounded to ``a``'s dtype first, then the sum."""
    alpha = a.dtype.type(alpha)
    out = fused_multiply_add32(b.astype(_FLOAT32), np.float32(alpha), a.astype(_FLOAT32)).astype(a.dtype)
    tail = a.size % (32 if has_cpu_feature("AVX512F") else 16)  # (16-bit lanes of a 512- or 256-bit vector)
    if tail:
        flat, b = out.reshape(-1), np.broadcast_to(b, a.shape).reshape(-1)
        flat[-tail:] = a.reshape(-1)[-tail:] + (b[-tail:] * alpha).astype(a.dtype)
    return out


def add_scaled_(a, b, alpha):
    """``a.add_(b, alpha=alpha)``, computed as :func:`added`."""
    _check_alpha(alpha, "add_", a, b)
    if alpha == 1:
        np.add(a, b, out=a, casting="same_kind")
    elif a.dtype.char in "eE":
        a[...] = _half_added(a, b, alpha)
    else:
        a[...] = _fused(b, opmath(a.dtype).type(a.dtype.type(alpha)), a, a.dtype)


def scaled(a, factor, divide=False):
    """``a * factor`` (or ``a / factor``) for a number ``factor``: a new array of ``a``'s dtype, computed in its
    :func:`opmath` dtype (the factor too) and rounded once."""
    operation = np.divide if divide else np.multiply
    return operation(a, opmath(a.dtype).type(factor), out=np.empty_like(a), casting="same_kind")


def scaled_(a, factor, foreach=False):
    """``a.mul_(factor)`` for a number ``factor``, computed in ``a``'s :func:`opmath` dtype and rounded once; with
    ``foreach``, PyTorch's ``_foreach_mul_``, whose C++ ``mul_`` makes the factor the product's first operand, a
    tensor of ``a``'s dtype: the factor is first rounded to that dtype (float16 and bfloat16 differ)."""
    if foreach:
        factor = a.dtype.type(factor)
    a *= opmath(a.dtype).type(factor)


def addcmul(a, t1, t2, value, out=None):
    """``a + value * t1 * t2`` (PyTorch's addcmul, or addcmul_ with ``out=a``), computed in ``a``'s :func:`opmath`
    dtype: ``value * t1`` rounded, then multiplied by ``t2`` and added in one rounding."""
    work = np.multiply(t1, opmath(a.dtype).type(value), dtype=opmath(a.dtype))
    result = _fused(work, t2, a, a.dtype)
    if out is None:
        return result.astype(a.dtype, copy=False)
    out[...] = result
    return out


def addcdiv_(a, t1, t2, value):
    """``a.addcdiv_(t1, t2, value=value)``: ``a + value * t1 / t2`` computed in ``a``'s :func:`opmath` dtype and
    rounded once."""
    if a.dtype.kind not in "fcV":  # (Adagrad's step on an integer parameter, whose std is of the default dtype)
        refuse_integral_result(a, 0.0)
    work = np.multiply(t1, opmath(a.dtype).type(value), dtype=opmath(a.dtype))
    with silent_float16_division(a.dtype):
        work /= t2
    np.add(a, work, out=a, casting="same_kind")


def lerp_(start, end, weight):
    """``start.lerp_(end, weight)`` for a Python ``weight``, computed in ``start``'s :func:`opmath` dtype.

    PyTorch switches formulas at ``|weight| = 0.5`` so that ``weight = 1`` gives ``end`` exactly; the rounding
    differs between the two, hence both are kept.
    """
    if start.dtype.kind not in "fcV":  # ("V": bfloat16)
        refuse_integral_lerp(start)
    compute = opmath(start.dtype).type
    weight = compute(weight)
    diff = np.subtract(end, start, dtype=compute)
    if abs(weight) < 0.5:
        start[...] = _fused(weight, diff, start, start.dtype)
    else:
        np.negative(diff, out=diff)
        start[...] = _fused(diff, compute(1) - weight, end, start.dtype)


_REAL_DTYPES = {np.dtype(np.complex64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.float64)}


def real_view(array):
    """``array`` at least 1-d, a complex one viewed as the float array of its real and imaginary parts (PyTorch's
    ``view_as_real``): the elementwise optimizers update a complex parameter as the pairs of real numbers it holds,
    its state and gradient alike (0-d arrays would turn ufunc results into NumPy scalars, hence 1-d). None stays
    None (state an option leaves out)."""
    if array is None:
        return None
    array = np.atleast_1d(array)
    return array.view(_REAL_DTYPES[array.dtype]) if array.dtype.kind == "c" else array


def real_views(*arrays):
    """:func:`real_view` of each of ``arrays``."""
    return [real_view(array) for array in arrays]


def real_views_with_decayed_gradient(p, g, *state, weight_decay, maximize, foreach):
    """:func:`real_views` of ``p``, ``g`` and the ``state`` arrays, the gradient first negated when ``maximize`` and
    given the weight decay (``grad.add(param, alpha=weight_decay)``) as PyTorch's elementwise optimizers give it: for a
    complex parameter their for-loops add it in complex arithmetic (product and sum rounded each) before viewing the
    tensors as reals, their foreach kernels to the real views (in one rounding, as for a real parameter)."""
    def decayed(p, g):
        if maximize:
            g = np.negative(g)
        return added(g, p, weight_decay) if weight_decay != 0 else g

    if p.dtype.kind == "c" and not foreach:
        return real_views(p, decayed(p, g), *state)
    p, g, *state = real_views(p, g, *state)
    return [p, decayed(p, g), *state]
