"""Differentiable operations written by users on tensors: PyTorch's ``torch.autograd.Function``.

A subclass gives ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static methods and is called
as ``MyFunction.apply(*args)``. ``forward`` runs on tensors with gradient recording off and keeps what
``backward`` needs on ``ctx`` (``ctx.save_for_backward(...)`` for tensors); when some tensor argument requires
grad, its outputs get a graph node (``MyFunctionBackward``) that calls ``backward`` with the gradients of the
outputs and takes back one gradient per argument of ``forward`` (None for those that need none).
"""
import collections
import contextlib
import functools
import inspect
import sys
import warnings
import weakref

import numpy as np

from . import anomaly_mode, forward_ad, grad_mode, saved_hooks
from ._basic_ops import delayed_errors
from ._released import FREED_MESSAGE
from ._view_checks import mark_version, propagated
from .graph import (Node, SavedVersion, _edge, _modified_message, _saved_input_modified, share_output,
                    listed_pair)
from .graph import tensor_class as _tensor_class

_LEGACY = ("Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
           "function with static forward method. (Example: https://pytorch.org/docs/stable/autograd.html"
           "#torch.autograd.Function)")


class FunctionCtx:
    """The ``ctx`` that ``forward`` (or ``setup_context``) fills and ``backward`` reads: tensors saved with
    :meth:`save_for_backward`, any other attribute set on it, and ``needs_input_grad``, one bool per argument of
    forward telling whether its gradient is needed."""

    def save_for_backward(self, *tensors):
        """Keep ``tensors`` (or None) for backward, as ``ctx.saved_tensors``; changing one of them in place
        before backward is then an error."""
        Tensor = _tensor_class()
        for position, tensor in enumerate(tensors):
            if tensor is not None and not isinstance(tensor, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {position} is of type "
                                f"{type(tensor).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        """Keep ``tensors`` (or None) for the Function's ``jvp``, which reads them as ``ctx.saved_tensors``."""
        Tensor = _tensor_class()
        for tensor in tensors:
            if tensor is not None and not isinstance(tensor, Tensor):
                raise AssertionError("save_for_forward expects all arguments to be tensors; you should save "
                                     "non-tensors as attributes on ctx.")
        self._saved_for_forward = tensors

    @property
    def saved_tensors(self):
        """The tensors given to :meth:`save_for_backward` (freed after backward unless ``retain_graph``), or in
        ``jvp`` those given to :meth:`save_for_forward`. As in PyTorch, reading them (not backward itself) checks
        that none was changed in place since."""
        if getattr(self, "_in_jvp", False):
            return tuple(getattr(self, "_saved_for_forward", ()))
        if getattr(self, "_released", False):
            raise RuntimeError(FREED_MESSAGE)
        packed = getattr(self, "_packed_saved", None)
        if packed is not None:  # kept by saved_tensors_hooks: unpacked at every read, with no version, as in PyTorch
            return tuple(None if kept is None else kept.unpacked(self) for kept in packed)
        for saved, node in getattr(self, "_saved_versions", ()):
            if saved.counter[0] != saved.version:
                if node is None:
                    raise RuntimeError(_saved_input_modified(saved))
                # one of the Function's outputs: the error names its node, as it was when saved
                raise RuntimeError(_modified_message(saved, node(), saved.tensor._data))
        return tuple(getattr(self, "_to_save", ()))

    def mark_dirty(self, *tensors):
        """Declare that forward changed these input tensors in place (and returns them)."""
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare these outputs not differentiable: they do not require grad, and backward gets zeros for them."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        """Whether backward gets zero tensors (the default) or None for the outputs that received no gradient."""
        self.materialize_grads = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of one call of a Function, and the ``ctx`` its forward and backward get, as in PyTorch (so
    ``y.grad_fn.saved_tensors`` and whatever forward set on ctx are read off the node): calls the Function's
    backward with the gradients of the outputs, checks what it returns against the inputs and passes that on."""

    _forward_cls = None
    saved = ()
    runs_without_gradient = True

    def __init__(self):
        # (shape, dtype) of each tensor output (None for others), for materialised zeros, and of each tensor argument
        # of forward; named so that no attribute a user's forward sets on ctx meets them
        self._output_infos, self._input_infos = (), ()

    def name(self):
        return type(self).__name__

    # a Python class, as in PyTorch: <torch.autograd.function.MyReLUBackward object at 0x...>
    __repr__ = object.__repr__

    @property
    def next_functions(self):  # one entry per tensor argument, as PyTorch lists them
        return tuple(listed_pair(e) for e, info in zip(self.edges, self._input_infos) if info is not None)

    def connect(self, args, edges, output):
        """Make the tensors of ``output`` (a tensor or a tuple) outputs of this node, on ``args``'s ``edges``."""
        Tensor = _tensor_class()
        self.edges = edges
        self.record_sequence()
        self._input_infos = tuple([(a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args])
        outputs = output if isinstance(output, tuple) else (output,)
        self._output_infos = tuple([(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                                    for o in outputs])
        excluded = {id(t) for t in getattr(self, "non_differentiable", ())}
        dirty = {id(t) for t in getattr(self, "dirty_tensors", ())}
        differentiable = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and id(o) not in excluded]
        for index in differentiable:
            tensor = outputs[index]
            if (tensor._view_creation is not None or tensor._view_base is not None) and id(tensor) not in dirty:
                # a view: PyTorch refuses in-place ops on it (see Tensor._view_creation); made in no_grad mode inside
                # forward, it keeps that reason only when the Function is not recorded
                tensor._view_output_nr = index
                tensor._view_creation = propagated(tensor._view_creation,
                                                   "custom_function" if len(differentiable) == 1 else "multi_output")
                mark_version(tensor)
                self.checks_edges = True
            if tensor._grad_fn is None and tensor._requires_grad and id(tensor) in dirty:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            if len(differentiable) == 1:
                tensor._requires_grad, tensor._grad_fn = True, self
            else:
                share_output(self, tensor, index, len(outputs))
        self._single_output = differentiable[0] if len(differentiable) == 1 else None
        self._record_saved_versions()
        if saved_hooks.state.stack and getattr(self, "_to_save", None):
            self._packed_saved = tuple(None if t is None else saved_hooks.packed(t, self) for t in self._to_save)

    def _record_saved_versions(self):
        """Remember the versions of the saved tensors (and which are this node's outputs): reading
        ``saved_tensors`` refuses once one has changed in place."""
        saved = [t for t in getattr(self, "_to_save", ()) if t is not None]
        if saved:
            me = weakref.ref(self)
            self._saved_versions = [
                (SavedVersion(t._version_counter(), t._version_counter()[0], t, False),
                 me if t._grad_fn is self or getattr(t._grad_fn, "node", None) is self else None) for t in saved]

    def backward(self, grad):
        result = self._user_backward()(self, *self._grad_outputs(grad))
        return self._checked_input_grads(result if isinstance(result, tuple) else (result,))

    def _user_backward(self):
        """The Function's backward, or its vjp (PyTorch's other name for it): one of them, as PyTorch requires."""
        cls = self._forward_cls
        if cls.backward is not Function.backward and cls.vjp is not Function.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You "
                               "should only implement one of them.")
        return cls.vjp if cls.vjp is not Function.vjp else cls.backward

    def backward_graph(self, grad):
        """backward for create_graph=True: the user's backward runs on gradient tensors with recording on (the
        engine's), so what it computes with tensor operations is recorded, as PyTorch requires of a backward
        that is to be differentiated."""
        from .._ops._util import unbroadcast_tensor

        result = self._user_backward()(self, *self._grad_outputs(grad))
        grads = result if isinstance(result, tuple) else (result,)
        checked = self._checked_input_grads(grads)
        return tuple(None if array is None else unbroadcast_tensor(g, info[0])._cast(info[1])
                     for g, array, info in zip(grads, checked, self._input_infos))

    def _grad_outputs(self, grad):
        """The gradient tensor of each output, as backward receives it: zeros for an output none reached, unless
        the ctx turned materialize_grads off."""
        Tensor = _tensor_class()
        if self._single_output is not None:
            arrived = [None] * len(self._output_infos)
            arrived[self._single_output] = grad
        else:
            arrived = grad.grads
        materialize = getattr(self, "materialize_grads", True)
        grad_outputs = []
        for g, info in zip(arrived, self._output_infos):
            if g is None and info is not None and materialize:
                g = np.zeros(*info)
            grad_outputs.append(g if g is None or isinstance(g, Tensor) else Tensor._wrap(g))
        return grad_outputs

    def _checked_input_grads(self, grads):
        """The arrays of the gradients backward returned, one per input, with PyTorch's checks: their number,
        their types, None for non-tensor inputs, and shapes that match (or sum to) the input's."""
        Tensor = _tensor_class()
        expected = len(self._input_infos)
        if len(grads) > expected and all(g is None for g in grads[expected:]):
            grads = grads[:expected]
        if len(grads) != expected:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected "
                               f"{expected}, got {len(grads)})")
        arrays = []
        for index, (g, info) in enumerate(zip(grads, self._input_infos)):
            if g is None:
                arrays.append(None)
                continue
            if not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
            if info is None:
                raise RuntimeError(f"function {self.name()} returned a gradient different than None at position "
                                   f"{index + 1}, but the corresponding forward input was not a Variable")
            arrays.append(_fitted(g._data, info, index, self.name()) if self.needs_input_grad[index] else None)
        return arrays

    def release(self):
        if getattr(self, "_to_save", None):
            self._to_save = self._packed_saved = None
            self._released = True
            self._freed = True
        self._saved_versions = ()


def _fitted(grad, info, index, name):
    """``grad`` of the input of (shape, dtype) ``info``: summed over broadcast dimensions if it is larger, as
    PyTorch accepts, cast to the input's dtype."""
    shape, dtype = info
    if grad.shape != shape:
        try:
            expandable = np.broadcast_shapes(shape, grad.shape) == grad.shape
        except ValueError:
            expandable = False
        if not expandable:
            raise RuntimeError(f"Function {name} returned an invalid gradient at index {index} - got "
                               f"{list(grad.shape)} but expected shape compatible with {list(shape)}")
        leading = grad.ndim - len(shape)
        kept = tuple(i + leading for i, n in enumerate(shape) if n == 1 and grad.shape[i + leading] != 1)
        grad = grad.sum(axis=tuple(range(leading)) + kept).reshape(shape)
    if grad.dtype.kind == "c" and np.dtype(dtype).kind != "c":  # (PyTorch's engine casts any other gradient)
        raise RuntimeError("Expected isFloatingType(grad.scalar_type()) || (input_is_complex == grad_is_complex) to "
                           "be true, but got false.  (Could this error message be improved?  If so, please report "
                           "an enhancement request to PyTorch.)")
    return grad.astype(dtype, copy=False)


class _FunctionMeta(type):
    """Gives each Function subclass its graph node class, named as PyTorch names it (``MyReLUBackward``)."""

    def __init__(cls, name, bases, namespace):
        backward_class = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        cls._backward_cls = backward_class
        super().__init__(name, bases, namespace)


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """Base class of differentiable operations written with tensor operations (PyTorch's
    ``torch.autograd.Function``)::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                result = x.exp()
                ctx.save_for_backward(result)
                return result

            @staticmethod
            def backward(ctx, grad_output):
                (result,) = ctx.saved_tensors
                return grad_output * result

        y = Exp.apply(x)

    ``forward`` may instead take only the arguments, with ``setup_context(ctx, inputs, output)`` filling ctx.
    """

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions are all static, so "
                      "you should invoke them on the class itself. Instantiating an autograd function will raise an "
                      "error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(_LEGACY)

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    # Under vmap, run forward on the batched tensors (True), or the vmap staticmethod below (False, overridden).
    generate_vmap_rule = False

    @staticmethod
    def vmap(info, in_dims, *args):
        """This Function under :func:`torchless.vmap`: given ``info`` (``batch_size``, ``randomness``), the
        ``in_dims`` of ``args`` (None for an argument not mapped over) and ``args`` with their mapped dimension
        there, returns ``(output, out_dims)``, ``out_dims`` giving where each output has it (None: not there).
        Override it, or set ``generate_vmap_rule = True`` (not both)."""
        raise NotImplementedError("To use autograd.Function with vmap, you must either override the vmap staticmethod "
                                  "or set generate_vmap_rule=True.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on ``args`` and, when some tensor among them requires grad and gradients are being
        recorded, connect its outputs to the graph through this Function's backward."""
        Tensor = _tensor_class()
        if kwargs:
            args, kwargs = _bound_positionally(cls, args, kwargs)
        if forward_ad.state.vmap_levels or _func_transforms_running():
            if cls.setup_context is Function.setup_context:
                raise RuntimeError(_NEEDS_SETUP_CONTEXT)
            level = forward_ad.batch_level([a for a in args if isinstance(a, Tensor)])
            if level is not None and not _vmap_generated(cls):
                return _applied_by_vmap_rule(cls, level, args)
        node = ctx = cls._backward_cls()
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        ctx.needs_input_grad = needs
        recording = grad_mode.state.enabled and any(needs)
        # Taken before forward, which may change inputs in place (mark_dirty) and so move their grad_fn.
        edges = tuple([_edge(a) if need else None for a, need in zip(args, needs)])
        dual = forward_ad.state.level is not None
        tangents = _input_tangents(args) if dual else None
        # (in a dual level, forward's ops see no tangents, as in PyTorch: the Function's jvp gives its outputs')
        with grad_mode.no_grad(), forward_ad.disabled() if dual else contextlib.nullcontext():
            if cls.setup_context is Function.setup_context:
                output = cls.forward(ctx, *args, **kwargs)
            else:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
        dirty = getattr(ctx, "dirty_tensors", ())
        for tensor in dirty:  # (as PyTorch: once for each time a tensor is named)
            tensor._bump_version()
        output = _returned_inputs_replaced(args, output, dirty)
        if tangents is not None:
            output_tangents = _output_tangents(cls, ctx, tangents)
        if recording:
            node.connect(args, edges, output)
            if anomaly_mode.state.enabled:
                node._forward_stack = anomaly_mode.forward_stack()
        else:
            _mark_views(output)
        if tangents is not None:
            outputs = output if isinstance(output, tuple) else (output,)
            for tensor, tangent in zip(outputs, output_tangents):
                if isinstance(tensor, Tensor) and tangent is not None:
                    forward_ad.set_tangent(tensor, tangent)
        return output


_NEEDS_SETUP_CONTEXT = ("In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, jacrev, "
                        "...), it must override the setup_context staticmethod. For more details, please see "
                        "https://pytorch.org/docs/main/notes/extending.func.html")

VmapInfo = collections.namedtuple("VmapInfo", ["batch_size", "randomness"])
VmapInfo.__doc__ = "What a Function's vmap staticmethod is told of the vmap call: its batch size and randomness."


_TRANSFORMS_MODULE = __name__.rsplit(".", 2)[0] + ".func._transforms"


def _func_transforms_running():
    """Whether a torch.func transform (grad, vjp, jacrev, jvp, ...) is running (looked up, not imported: one that
    was never imported has never run)."""
    transforms = sys.modules.get(_TRANSFORMS_MODULE)
    return transforms is not None and bool(transforms._running or transforms._forward_running)


def _vmap_generated(cls):
    """Whether ``cls`` runs under vmap by its forward on batched tensors (else by its vmap staticmethod); PyTorch's
    error if it has neither or both."""
    overridden = cls.vmap is not Function.vmap
    if cls.generate_vmap_rule and overridden:
        raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it has both generate_vmap_rule=True and an "
                           "overridden vmap staticmethod. Please set generate_vmap_rule=False or delete the overridden "
                           "vmap staticmethod to avoid ambiguity. For more details, please see "
                           "https://pytorch.org/docs/main/notes/extending.func.html")
    if not (cls.generate_vmap_rule or overridden):
        raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it does not have vmap support. Please "
                           "override and implement the vmap staticmethod or set generate_vmap_rule=True. For more "
                           "details, please see https://pytorch.org/docs/main/notes/extending.func.html")
    return cls.generate_vmap_rule


def _applied_by_vmap_rule(cls, level, args):
    """``cls.apply(*args)`` inside the vmap call ``level`` that batched some of ``args``, by ``cls.vmap``.

    torchless's vmap runs one sample at a time, so the rule is given that sample's arguments as a batch of one
    (their mapped dimension first), with the vmap call set aside as PyTorch's rule runs below it; each output is
    taken back at index 0 of the dimension ``out_dims`` names, and marked batched again.
    """
    from .. import random
    from ..utils._pytree import _broadcast_to_and_flatten, tree_flatten, tree_unflatten

    Tensor = _tensor_class()
    mapped = [isinstance(a, Tensor) and a.__dict__.get("_vmap_level") == level for a in args]
    in_dims = tuple([0 if m else None for m in mapped])
    with forward_ad.vmap_lowered(level):
        batch = [a.unsqueeze(0) if m else a for a, m in zip(args, mapped)]
        result = cls.vmap(VmapInfo(1, random.vmap_randomness[-1]), in_dims, *batch)
        if not isinstance(result, tuple) or len(result) != 2:
            raise RuntimeError("Expected the vmap staticmethod to have two returns, an output and out_dims with pytree "
                               "structure compatible with the output. " + (
                                   f"Got {len(result)} returns instead" if isinstance(result, tuple) else
                                   f"Got a {type(result)} instead"))
        output, out_dims = result
        flat_outputs, spec = tree_flatten(output)
        flat_dims = _broadcast_to_and_flatten(out_dims, spec)
        if flat_dims is None:
            raise RuntimeError(f"The Python autograd.Function's vmap staticmethod must return an out_dims with "
                               f"pytree structure compatible with the output. Got out_dims={out_dims!r}.")
        samples = [o if d is None or not isinstance(o, Tensor) else o.select(d, 0)
                   for o, d in zip(flat_outputs, flat_dims)]
    source = args[mapped.index(True)]
    for tensor, dim in zip(samples, flat_dims):
        if isinstance(tensor, Tensor) and dim is not None:
            forward_ad.mark_batched(tensor, [source])
    return tree_unflatten(samples, spec)


def _bound_positionally(cls, args, kwargs):
    """``(args, kwargs)`` of a call of apply with keyword arguments, as PyTorch passes them to forward: with a
    setup_context, bound to forward's signature (defaults applied); else each placed at the position of the
    parameter of forward (after ctx) it names, so that every argument is an input of the node."""
    if cls.setup_context is not Function.setup_context:
        bound = inspect.signature(cls.forward).bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.args, bound.kwargs
    parameters = list(inspect.signature(cls.forward).parameters.values())[1:]
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for name in kwargs:
        if name not in names:
            raise TypeError(f"forward() got an unexpected keyword argument '{name}'")
        if names.index(name) < len(args):
            raise TypeError(f"forward() got multiple values for argument '{name}'")
    positional = list(args)
    for position in range(len(args), max(names.index(name) for name in kwargs) + 1):
        if names[position] not in kwargs:
            raise TypeError(f"forward() missing required argument: '{names[position]}' (position {position})")
        positional.append(kwargs[names[position]])
    return tuple(positional), {}


def _returned_inputs_replaced(args, output, dirty):
    """forward's ``output`` as PyTorch's apply returns it: an input returned as it is (not marked dirty) becomes a
    new tensor on its memory, its view while grad mode is on (a view of the Function, see connect); and an input
    marked dirty must be among the outputs."""
    Tensor = _tensor_class()
    outputs = output if isinstance(output, tuple) else (output,)
    if any(all(t is not o for o in outputs) for t in dirty):
        raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. The "
                           "inputs that are modified inplace must all be outputs of the Function.")
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    if not any(id(o) in inputs for o in outputs):
        return output
    replaced = []
    for tensor in outputs:
        if isinstance(tensor, Tensor) and id(tensor) in inputs and all(tensor is not t for t in dirty):
            fresh = Tensor._wrap(tensor._data)
            tensor = tensor._as_view(fresh) if grad_mode.state.enabled else fresh
        replaced.append(tensor)
    return tuple(replaced) if isinstance(output, tuple) else replaced[0]


def _input_tangents(args):
    """The tangent of each argument (None for one without, or no tensor), or None if none has one."""
    Tensor = _tensor_class()
    tangents = [forward_ad.tangent_of(a) if isinstance(a, Tensor) else None for a in args]
    return tangents if any(t is not None for t in tangents) else None


def _output_tangents(cls, ctx, tangents):
    """The tangents of the outputs: the Function's ``jvp`` of the inputs' (PyTorch's error if it has none)."""
    ctx._in_jvp = True
    try:
        with forward_ad.disabled():
            result = cls.jvp(ctx, *tangents)
    finally:
        ctx._in_jvp = False
    return result if isinstance(result, tuple) else (result,)


def _mark_views(output):
    """Views among the outputs of a Function not recorded are still the Function's (see Tensor._view_creation):
    an in-place op recorded later on one would bypass its backward."""
    Tensor = _tensor_class()
    outputs = output if isinstance(output, tuple) else (output,)
    views = [(i, o) for i, o in enumerate(outputs) if isinstance(o, Tensor) and o._view_base is not None]
    tensors = sum(isinstance(o, Tensor) for o in outputs)
    for index, view in views:
        view._view_creation = propagated(view._view_creation, "custom_function" if tensors == 1 else "multi_output")
        view._view_output_nr = index
        mark_version(view)


def once_differentiable(backward):
    """Mark a Function's backward as not itself differentiable (PyTorch's decorator): it runs with gradient
    recording off; under create_graph=True its gradients then raise PyTorch's error when differentiated, rather
    than silently counting as constants."""

    @functools.wraps(backward)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            result = backward(ctx, *args)
        Tensor = _tensor_class()
        if not grad_mode.is_grad_enabled() or not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return result
        return _differentiated_once(result)

    return wrapper


def _differentiated_once(result):
    """The gradients ``result`` of a once_differentiable backward under create_graph=True, as PyTorch's wrapper
    gives them: each a leaf requiring grad (so that it has a grad_fn) passed through one DelayedError."""
    Tensor = _tensor_class()
    gradients = result if isinstance(result, tuple) else (result,)
    fake_leaves = [g.detach().requires_grad_() if isinstance(g, Tensor) else None for g in gradients]
    errors = delayed_errors(fake_leaves, "trying to differentiate twice a function that was marked with "
                                         "@once_differentiable")
    gradients = tuple(error if isinstance(g, Tensor) else g for g, error in zip(gradients, errors))
    return gradients if isinstance(result, tuple) else gradients[0]

