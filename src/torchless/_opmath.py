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
    if cls.bfloat16_in_float32 == "kernel":  # (an op computing bfloat16 itself: autocast's casts only)
        return None if inputs is original else _apply(cls, inputs, params)
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
    node = (result[0] if isinstance(result, tuple) else result)._grad_fn
    if node is not None and node._checked_versions:
        _saved_as_given(node, inputs, widened)
    if not rounds or params.get("dtype") == _FLOAT32:  # (or float32 asked for: x.sum(dtype=torch.float32))
        return result
    if isinstance(result, tuple):
        return tuple(_rounded(r) for r in result)
    out = _rounded(result)
    if node is not None and out is not result and out._grad_fn is not None:
        _as_bfloat16_node(node, result, out)
    return out


def _saved_as_given(node, inputs, widened):
    """Point what ``node`` recorded of the widened operands it saved at the bfloat16 operands given, whose in-place
    change before backward PyTorch's node (which saved them) refuses."""
    for saved in node._checked_versions:
        for given, used in zip(inputs, widened):
            if saved.tensor is used and given is not used:
                saved.tensor, saved.counter = given, given._version_counter()
                saved.version = saved.counter[0]


def _as_bfloat16_node(node, result, out):
    """Make ``node``, which computed ``result`` in float32, the node of ``out`` (``result`` rounded), as PyTorch's
    graph has it: no rounding node between, the gradient of ``out`` widened on entering ``node`` (its class now the
    subclass doing so), and what it saved of its result the rounded values (PyTorch's node saves its bfloat16
    result), whose in-place change ``out``'s version counter now reports."""
    for name in node.saved:
        if getattr(node, name, None) is result._data:
            setattr(node, name, out._data.astype(_FLOAT32))
    if node._checked_output is not None:
        out._counter = node._checked_output.counter
        node._checked_output.array = out._data
    out._grad_fn = node
    node.__class__ = _widening_class(node.__class__)


def _widening_class(cls):
    """The subclass of the recorded node class ``cls`` whose backward receives bfloat16 gradients, widened to
    float32 (exact) for ``cls``'s formulas (made on first use, named as ``cls``)."""
    widening = _WIDENING.get(cls)
    if widening is None:
        from .autograd import _graph_backward

        graph_method = _graph_backward.backward_graph_method_of(cls)

        def backward(self, grad):
            if getattr(grad, "dtype", None) is not None and grad.dtype.kind == "V":
                grad = grad.astype(_FLOAT32)
            return cls.backward(self, grad)

        def backward_graph(self, grad):
            if grad is not None and grad._data.dtype.kind == "V":
                grad = _widen().apply(grad, dtype=_FLOAT32)
            return graph_method(self, grad)

        namespace = {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "backward": backward,
                     "backward_graph": backward_graph}
        if "_named_from" in cls.__dict__:
            namespace["_named_from"] = cls.__dict__["_named_from"]
        widening = _WIDENING[cls] = type(cls)(cls.__name__, (cls,), namespace)
        _graph_backward.set_backward_graph_method(widening, backward_graph)
    return widening


_WIDENING = {}  # recorded node class -> its subclass taking bfloat16 gradients (see _widening_class)


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
    if autocast_state[0] is None:
        return inputs
    if policy == "promote":  # (its fallthrough ops: the floating operands cast to the widest of their dtypes)
        arrays = [getattr(t, "_data", None) for t in inputs]
        dtypes = {a.dtype for a in arrays if a is not None and a.dtype.kind in "fV"}
        if len(dtypes) < 2:
            return inputs
        widest = np.result_type(*dtypes)
        return tuple(t.to(_autocast_dtype(widest)) if a is not None and a.dtype in dtypes and a.dtype != widest else t
                     for t, a in zip(inputs, arrays))
    return tuple(_autocast(policy, inputs))


def _autocast(policy, inputs):
    """``inputs`` as autocast casts an op's: to its dtype (``policy`` "lower") or to float32 ("float32"), the
    floating tensors but float64 ones (differentiable casts, PyTorch's ToCopyBackward0 nodes)."""
    target = autocast_state[0] if policy == "lower" else _FLOAT32
    cast = []
    for t in inputs:
        data = getattr(t, "_data", None)  # (a public function's argument may be no tensor: its own error follows)
        if data is not None and data.dtype != target and data.dtype.kind in "fV" and data.dtype.itemsize < 8:
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
