"""bfloat16 ops as PyTorch's CPU kernels compute them: in float32 (their "opmath" type), each result rounded once
to bfloat16 (to nearest, ties to even).

torchless's ops compute on NumPy arrays; ml_dtypes' bfloat16 arrays would round every intermediate of a reduction
or a product (and its matmul gives float32). So, once bfloat16 tensors exist (``activate``, called when ml_dtypes is
first imported), ``Node.apply`` hands an op whose node computes in float32 for bfloat16 (elementwise ops,
reductions, products, convolutions, normalizations: ``Node.bfloat16_in_float32``) to ``apply_in_float32``: its
bfloat16 operands widened to float32 (exact), the op run as for float32 tensors, and its float32 results rounded to
bfloat16. The conversions are nodes of the graph (PyTorch's graph has none of them: they are listed through), so
gradients flow back in float32 through the op and reach bfloat16 inputs rounded to bfloat16.
"""
import numpy as np

_FLOAT32 = np.dtype(np.float32)


def activate():
    """Route bfloat16 operands through ``apply_in_float32`` from now on (nothing is checked before: float32 ops pay
    nothing until a bfloat16 tensor can exist)."""
    from .autograd import graph

    graph.bfloat16_state[0] = True


def apply_in_float32(cls, inputs, params):
    """``cls.apply(*inputs, **params)`` with bfloat16 operands in float32, the float32 results rounded to bfloat16;
    None when no operand is bfloat16 (``cls`` then runs as usual). Results stay float32 when a float32 or float64
    operand with dimensions took part (its dtype then is the result's, as PyTorch's promotion gives)."""
    widened = None
    for index, t in enumerate(inputs):
        if t is not None and t._data.dtype.kind == "V":
            if widened is None:
                widened = list(inputs)
            widened[index] = _Widen.apply(t, dtype=_FLOAT32)
    if widened is None:
        return None
    rounds = not any(t is not None and t._data.ndim and t._data.dtype.kind == "f" and t._data.dtype.itemsize >= 4
                     for t in inputs)
    result = cls.apply(*widened, **params)
    if not rounds:
        return result
    if isinstance(result, tuple):
        return tuple(_rounded(r) for r in result)
    return _rounded(result)


def _rounded(result):
    if result is None or result._data.dtype != _FLOAT32:
        return result
    from ._dtype import bfloat16

    return _Widen.apply(result, dtype=bfloat16.numpy)


def _widen_class():
    from ._ops.unary import Promotion

    class Widen(Promotion):
        """A bfloat16 operand widened to float32 for an op, or a float32 result rounded back (no node of PyTorch's
        graph)."""

        bfloat16_in_float32 = False

    return Widen


class _Lazy:
    """The Widen node class, defined on first use (the ops module imports the graph module)."""

    def __getattr__(self, name):
        global _Widen
        _Widen = _widen_class()
        return getattr(_Widen, name)


_Widen = _Lazy()
