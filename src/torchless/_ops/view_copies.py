"""The ``*_copy`` functions (``torch.permute_copy``, ``transpose_copy``, ``split_copy``, ...): the result of a view
op as a new C-contiguous tensor sharing no memory with its input. Each differentiates as its view op, in one node
named as PyTorch's (``PermuteBackward0_copy``): the view op's gradient, replayed on a stand-in of the input's
shape (a view's gradient depends on nothing else)."""
import numpy as np

from .. import _parser_errors
from .._tensor import Tensor
from ..autograd._basic_ops import NotImplementedDerivative
from ..autograd.graph import Node


class _ViewCopy(Node):
    def forward(self, a, view=None, node_name=None):
        from ..autograd.grad_mode import no_grad

        self.view, self.node_name, self.shape, self.dtype = view, node_name, a.shape, a.dtype
        with no_grad():
            viewed = view(Tensor._wrap(a))
        return np.array(viewed._data, order="C", copy=True)

    def _view_gradient(self, grad, create_graph):
        from .. import autograd
        from ..autograd.grad_mode import enable_grad

        stand_in = Tensor._wrap(np.zeros(self.shape, self.dtype))
        stand_in._set_requires_grad(True)
        with enable_grad():
            viewed = self.view(stand_in)
        return autograd.grad(viewed, stand_in, grad, create_graph=create_graph)[0]

    def backward(self, grad):
        return (self._view_gradient(Tensor._wrap(grad), False)._data,)

    def backward_graph(self, grad):
        return (self._view_gradient(grad, True),)

    def name(self):
        return self.node_name


def _renamed_parser_errors(view_name, name, call):
    """``call()``, with the view op's parser TypeErrors naming the copy function instead, as PyTorch's parser of
    the copy function words them."""
    try:
        return call()
    except TypeError as error:
        raise TypeError(str(error).replace(f"{view_name}()", f"{name}()")) from None


def _copy_function(name, view_name, node_name, view):
    """The function ``name(input, *args, out=None)``: ``view(input, *args)`` copied, differentiated as
    ``node_name`` (a function of the call's arguments where PyTorch's view op has several nodes)."""

    def copy(input, *args, out=None, **kwargs):
        _parse(name, input, args, kwargs, out)
        bound = _checked_view(view_name, name, view, input, args, kwargs)
        _refuse_complex_gradient(name, input, bound)
        with _no_grad_if(name == "view_copy" and _reinterprets_dtype(args, kwargs)):
            result = _ViewCopy.apply(input, view=bound, node_name=node_name(args, kwargs))
        return result if out is None else _written_into(out, result)

    copy.__name__ = copy.__qualname__ = name
    copy.__doc__ = f"The same operation as torch.{view_name}, its result freshly created instead of a view."
    return copy


def _parse(name, input, args, kwargs, out):
    """PyTorch's parser's reading of a call of the ``*_copy`` function ``name``, stricter than the view method's
    (no separate ints, no bool for an int): its TypeError where it refuses the call."""
    if not isinstance(input, Tensor) or args or kwargs:
        error = _parser_errors.function_error(name, (input,) + args, kwargs if out is None else {**kwargs, "out": out})
        if error is not None:
            raise error
        if not isinstance(input, Tensor):
            raise _parser_errors.not_tensor(name, "input", 1, input)


def _reinterprets_dtype(args, kwargs):
    """Whether view_copy's argument is a dtype: its result is outside the graph, as view(dtype)'s."""
    from .._dtype import is_argument as is_dtype

    return bool(args) and is_dtype(args[0]) or is_dtype(kwargs.get("dtype"))


def _no_grad_if(condition):
    import contextlib

    from ..autograd.grad_mode import no_grad

    return no_grad() if condition else contextlib.nullcontext()


def _refuse_complex_gradient(name, input, bound):
    """PyTorch's error for a copy function making a complex tensor of a real one in the graph (view_as_complex)."""
    from ..autograd.grad_mode import is_grad_enabled

    if input.requires_grad and is_grad_enabled() and not input.is_complex():
        if bound(input.detach()).is_complex():
            raise RuntimeError(f"{name} does not support automatic differentiation for outputs with complex dtype.")


def _written_into(out, result):
    """``result`` written into ``out``, as PyTorch's out= variants of the copy functions do: the same dtype only,
    ``out`` resized (with its warning) when its shape differs."""
    from .._dtype import CPP_SCALAR_NAMES
    from .._out_argument import _write
    from ..autograd.grad_mode import no_grad

    if not isinstance(out, Tensor):
        from ..nn._functional._args import _tp_name

        raise TypeError(f"argument 'out' must be Tensor, not {_tp_name(out)}")
    if out._data.dtype != result._data.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {CPP_SCALAR_NAMES[result._data.dtype.name]}, but got "
                           f"{CPP_SCALAR_NAMES[out._data.dtype.name]} instead")
    with no_grad():
        _write(out, result.detach())
    return out


def _checked_view(view_name, name, view, input, args, kwargs):
    """``view`` bound to the call's arguments, run once on ``input`` for the view op's errors."""
    def bound(tensor):
        return view(tensor, *args, **kwargs)

    from ..autograd.grad_mode import no_grad

    with no_grad():
        _renamed_parser_errors(view_name, name, lambda: bound(input.detach()))
    return bound


def _pieces_copy_function(name, view_name, node_name, view, out_name):
    """A ``*_copy`` function of a view op giving several views (split, unbind): a tuple of copies; with ``out``
    (a sequence of as many tensors), written into those, returning None as PyTorch's does."""

    def copy(input, *args, out=None, **kwargs):
        _parse(name, input, args, kwargs, out)
        from ..autograd.grad_mode import no_grad

        with no_grad():
            count = len(_renamed_parser_errors(view_name, name, lambda: view(input.detach(), *args, **kwargs)))
        results = tuple(_ViewCopy.apply(input, view=_piece(view, args, kwargs, index), node_name=node_name)
                        for index in range(count))
        if out is None:
            return results
        _written_into_each(name, out_name, out, results)
        return None

    copy.__name__ = copy.__qualname__ = name
    copy.__doc__ = f"The same operation as torch.{view_name}, its results freshly created instead of views."
    return copy


def _written_into_each(name, out_name, out, results):
    from ..autograd.grad_mode import no_grad
    from ..nn._functional._args import _tp_name

    if not isinstance(out, (tuple, list)) or not all(isinstance(t, Tensor) for t in out):
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not {_tp_name(out)}")
    if len(out) != len(results):
        raise RuntimeError(f"{out_name} expected an out= argument of size {len(results)}, got size {len(out)}")
    with no_grad():
        for target, result in zip(out, results):
            target.copy_(result)


def _piece(view, args, kwargs, index):
    return lambda tensor: view(tensor, *args, **kwargs)[index]


def _slice(input, dim=0, start=None, end=None, step=1):
    """torch.slice_copy's view: ``input[start:end:step]`` along ``dim``."""
    from ._util import normalize_dim

    if step <= 0:
        raise RuntimeError("slice step must be positive")
    return input[(slice(None),) * normalize_dim(dim, input.dim()) + (slice(start, end, step),)]


def _view_as_complex(input):
    if input.requires_grad:
        raise RuntimeError("view_as_complex_copy does not support automatic differentiation for outputs with complex "
                           "dtype.")
    import torchless

    return torchless.view_as_complex(input)


def detach_copy(input, *, out=None):
    """torch.detach_copy: a copy of ``input``; PyTorch's graph keeps a node without a derivative when it requires
    grad."""
    if not isinstance(input, Tensor):
        raise _parser_errors.not_tensor("detach_copy", "input", 1, input)
    result = NotImplementedDerivative.apply(input, kernel=_fresh_copy, op="detach_copy")
    return result if out is None else _written_into(out, result)


def _fresh_copy(array):
    return np.array(array, order="C", copy=True)


def _view_of_size(tensor, *size):
    """view_copy's view: one size (or dtype) argument, as its schema, rather than view's separate ints."""
    from .._dtype import is_argument as is_dtype

    if len(size) != 1 or not (isinstance(size[0], (tuple, list)) or is_dtype(size[0])):
        raise _parser_errors.invalid_combination(
            "view_copy", ("Tensor input, torch.dtype dtype, *, Tensor out = None",
                          "Tensor input, tuple of ints size, *, Tensor out = None"), (tensor,) + size)
    return tensor.view(size[0])


def _squeeze_node(args, kwargs):
    """SqueezeBackward0 without dims, 1 with one dim, 2 with a list of them."""
    dim = args[0] if args else kwargs.get("dim")
    return "SqueezeBackward0_copy" if dim is None else \
        "SqueezeBackward2_copy" if isinstance(dim, (tuple, list)) else "SqueezeBackward1_copy"


def functions(namespace):
    """The ``*_copy`` functions by name, over the view ops of the torch namespace ``namespace``."""
    torch = _Namespace(namespace)
    single = {
        "permute_copy": ("permute", "PermuteBackward0", torch.permute),
        "transpose_copy": ("transpose", "TransposeBackward0", torch.transpose),
        "t_copy": ("t", "TBackward0", torch.t),
        "expand_copy": ("expand", "ExpandBackward0", lambda t, size, implicit=False: t.expand(size)),
        "squeeze_copy": ("squeeze", _squeeze_node, torch.squeeze),
        "unsqueeze_copy": ("unsqueeze", "UnsqueezeBackward0", torch.unsqueeze),
        "select_copy": ("select", "SelectBackward0", torch.select),
        "slice_copy": ("slice", "SliceBackward0", _slice),
        "diagonal_copy": ("diagonal", "DiagonalBackward0", torch.diagonal),
        "alias_copy": ("alias", "AliasBackward0", lambda t: t.view(t.shape)),
        "view_as_real_copy": ("view_as_real", "ViewAsRealBackward0", torch.view_as_real),
        "view_as_complex_copy": ("view_as_complex", "ViewAsComplexBackward0", _view_as_complex),
        "unfold_copy": ("unfold", "UnfoldBackward0", lambda t, dimension, size, step: t.unfold(dimension, size, step)),
        "view_copy": ("view", "ViewBackward0", _view_of_size),
        "as_strided_copy": ("as_strided", "AsStridedBackward0", torch.as_strided),
    }
    pieces = {
        "split_copy": ("split", "SplitBackward0", torch.split, "split_copy_Tensor_out()"),
        "split_with_sizes_copy": ("split_with_sizes", "SplitWithSizesBackward0",
                                  lambda t, split_sizes, dim=0: t.split_with_sizes(split_sizes, dim),
                                  "split_with_sizes_copy_out"),
        "unbind_copy": ("unbind", "UnbindBackward0", torch.unbind, "unbind_copy_int_out"),
    }
    copies = {name: _copy_function(name, view_name, node if callable(node) else _named(f"{node}_copy"), view)
                 for name, (view_name, node, view) in single.items()}
    copies.update({name: _pieces_copy_function(name, view_name, f"{node}_copy", view, out_name)
                      for name, (view_name, node, view, out_name) in pieces.items()})
    copies["detach_copy"] = detach_copy
    return copies


def _named(node_name):
    return lambda args, kwargs: node_name


class _Namespace:
    """The namespace dict read as a module."""

    def __init__(self, namespace):
        self.__dict__.update(namespace)
