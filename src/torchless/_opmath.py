"""bfloat16 ops as PyTorch's CPU kernels compute them: in float32 (their "opmath" type), each result rounded once
to bfloat16 (to nearest, ties to even).

torchless's ops compute on NumPy arrays; ml_dtypes' bfloat16 arrays would round every intermediate of a reduction
or a product (and its matmul gives float32). So, once bfloat16 tensors exist (``activate``, called when ml_dtypes is
first imported), ``Node.apply`` hands an op whose node computes in float32 for bfloat16 (elementwise ops,
reductions, products, convolutions, normalizations: ``Node.bfloat16_in_float32``) to ``apply_in_float32``: its
bfloat16 operands widened to float32 (exact), the op run as for float32 tensors, and its float32 results rounded to
bfloat16. The conversions are nodes of the graph (PyTorch's graph has none of them: they are listed through), so
gradients flow back in float32 through the op and reach bfloat16 inputs rounded to bfloat16.

Inside ``autocast("cpu")`` (bfloat16, its default), the same place casts the operands of an op on PyTorch's CPU
autocast lists first (``Node.autocast``): float32 (and float16) ones to bfloat16 for the lower-precision list
(convolutions, matrix products, linear), bfloat16 ones to float32 for the float32 list (losses, prod); float64 ones
are left alone, as PyTorch's autocast leaves them.
"""
import numpy as np

_FLOAT32 = np.dtype(np.float32)
# inside: whether this thread runs an op's node of operands apply_in_float32 cast (a threading.local, made by
# activate: nothing of this module is needed before)
_running = None


def activate():
    """Route bfloat16 operands through ``apply_in_float32`` from now on (nothing is checked before: float32 ops pay
    nothing until a bfloat16 tensor can exist)."""
    global _running
    import threading

    from .autograd import graph

    _running = threading.local()
    graph.bfloat16_state[0] = True


# The dtype autocast("cpu") lowers its ops to while one is entered with bfloat16 available (see amp.autocast), else
# None
autocast_state = [None]


def apply_in_float32(cls, inputs, params):
    """``cls.apply(*inputs, **params)`` with bfloat16 operands in float32, the float32 results rounded to bfloat16;
    None when no operand is bfloat16 (``cls`` then runs as usual). Results stay float32 when a float32 or float64
    operand with dimensions took part (its dtype then is the result's, as PyTorch's promotion gives), unless the
    first operand, the data of a normalization with float32 parameters, is bfloat16 (PyTorch's mixed kernels give
    the input's dtype)."""
    if getattr(_running, "inside", False):
        return None
    original = inputs
    if autocast_state[0] is not None and cls.autocast is not None:
        inputs = _autocast(cls.autocast, inputs)
    widened = None
    for index, t in enumerate(inputs):
        if t is not None and t._data.dtype.kind == "V":
            if widened is None:
                widened = list(inputs)
            widened[index] = _widen().apply(t, dtype=_FLOAT32)
    if widened is None:
        return None if inputs is original else _apply(cls, inputs, params)
    first = inputs[0]
    rounds = first is not None and first._data.ndim and first._data.dtype.kind == "V" or not any(
        t is not None and t._data.ndim and t._data.dtype.kind == "f" and t._data.dtype.itemsize >= 4 for t in inputs)
    result = _apply(cls, widened, params)
    if not rounds:
        return result
    if isinstance(result, tuple):
        return tuple(_rounded(r) for r in result)
    return _rounded(result)


def _apply(cls, inputs, params):
    """``cls.apply`` of the operands as cast, without another pass through apply_in_float32 (which would cast them
    again under autocast)."""
    _running.inside = True
    try:
        return cls.apply(*inputs, **params)
    finally:
        _running.inside = False


def autocast_inputs(policy, *inputs):
    """``inputs`` (tensors or None) cast as autocast casts the operands of an op of ``policy`` ("lower" or
    "float32") while a CPU autocast lowers to bfloat16, else unchanged: for the public functions whose checks of
    their operands' dtypes come before their node (PyTorch's autocast casts before the op checks them)."""
    return inputs if autocast_state[0] is None else tuple(_autocast(policy, inputs))


def _autocast(policy, inputs):
    """``inputs`` as autocast casts an op's: to its dtype (``policy`` "lower") or to float32 ("float32"), the
    floating tensors but float64 ones (differentiable casts, PyTorch's ToCopyBackward0 nodes)."""
    target = autocast_state[0] if policy == "lower" else _FLOAT32
    cast = []
    for t in inputs:
        if t is not None and t._data.dtype != target and t._data.dtype.kind in "fV" and t._data.dtype.itemsize < 8:
            t = t.to(_autocast_dtype(target))
        cast.append(t)
    return cast


def _autocast_dtype(np_dtype):
    from . import _dtype

    return _dtype.from_numpy_dtype(np_dtype)


def _rounded(result):
    if result is None or result._data.dtype != _FLOAT32:
        return result
    from ._dtype import bfloat16

    return _widen().apply(result, dtype=bfloat16.numpy)


def _widen():
    """The node of a bfloat16 operand widened to float32 for an op, or of a float32 result rounded back: a
    Promotion, no node of PyTorch's graph (defined on first use: the ops modules import the graph module, which
    imports this one)."""
    if not _WIDEN:
        from ._ops.unary import Promotion

        _WIDEN.append(type("Widen", (Promotion,), {"__doc__": _widen.__doc__, "bfloat16_in_float32": False}))
    return _WIDEN[0]


_WIDEN = []
