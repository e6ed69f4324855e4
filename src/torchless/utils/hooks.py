"""Hook handles, and the graph nodes behind ``nn.Module``'s full backward hooks (PyTorch's ``torch.utils.hooks``).

A module with backward hooks passes its input tensors, and then its output tensors, through an identity node
(``BackwardHookFunction``). The output node sees the gradients with respect to the outputs (``grad_output``,
handed to the backward pre-hooks); the input node sees those with respect to the inputs (``grad_input``), and
calls the backward hooks with both.
"""
import warnings
import weakref
from collections import OrderedDict

import numpy as np

from .._user_warnings import warn_from_user_code
from ..autograd._hook_calls import checked_hook_result
from ..autograd._view_checks import mark_version, propagated
from ..autograd.graph import Node, _edge, share_output

_NO_INPUT_GRAD_WARNING = (
    "Full backward hook is firing when gradients are computed with respect to module outputs since no inputs "
    "require gradients. See https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
    "#torch.nn.Module.register_full_backward_hook for more details."
)


class _StrongRef:
    """A reference to a registry that cannot be weakly referenced (a plain dict, as torchless's tensors and graph
    nodes keep their hooks in): called, it returns the registry, as a weakref.ref would."""

    __slots__ = ("registry",)

    def __init__(self, registry):
        self.registry = registry

    def __call__(self):
        return self.registry


def _ref(registry):
    try:
        return weakref.ref(registry)
    except TypeError:
        return _StrongRef(registry)


class RemovableHandle:
    r"""Returned by ``register_*_hook``; ``remove()`` unregisters the hook (PyTorch's class, with its
    constructor, attributes and pickled form).

    Args:
        hooks_dict (dict): a dictionary of hooks, indexed by hook ``id``.
        extra_dict (Union[dict, List[dict]]): an additional dictionary or list of dictionaries whose keys are
            deleted when the same keys are removed from ``hooks_dict``.

    The handle refers to the dictionaries weakly (a module's registries do not outlive the module because of it).
    """

    id: int
    next_id: int = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = _ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        self.extra_dict_ref = ()
        if isinstance(extra_dict, dict):
            self.extra_dict_ref = (_ref(extra_dict),)
        elif isinstance(extra_dict, list):
            self.extra_dict_ref = tuple(_ref(d) for d in extra_dict)

    def remove(self):
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            registry = ref()
            if registry is not None:
                registry.pop(self.id, None)

    def __getstate__(self):
        return self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref)

    def __setstate__(self, state):
        # a registry that is gone by pickling time comes back as a dead reference
        self.hooks_dict_ref = _ref(OrderedDict() if state[0] is None else state[0])
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        self.extra_dict_ref = () if len(state) < 3 or state[2] is None else tuple(_ref(d) for d in state[2])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _MultiHandle(RemovableHandle):
    """The handle of ``autograd.graph.register_multi_grad_hook``: ``remove()`` removes the hook it put on each
    tensor."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for handle in self.handles:
            handle.remove()

    def __getstate__(self):
        return self.handles

    def __setstate__(self, state):
        self.handles = state


def unserializable_hook(f):
    """Mark ``f`` as a tensor hook that is not meant to be saved: :func:`warn_if_has_hooks` keeps quiet about it."""
    f.__torch_unserializable__ = True
    return f


def warn_if_has_hooks(tensor):
    """PyTorch's warning for each hook on ``tensor`` that saving it would lose (those not marked with
    :func:`unserializable_hook`)."""
    # (Tensor.register_hook keeps a leaf's hooks on the tensor, another tensor's on the node that made it)
    hooks = tensor._hooks if tensor._grad_fn is None else getattr(tensor._grad_fn, "_tensor_hooks", None)
    for hook in (hooks or {}).values():
        if not hasattr(hook, "__torch_unserializable__"):
            warnings.warn(f"backward hook {hook!r} on tensor will not be serialized.  If this is expected, you can "
                          "decorate the function with @torch.utils.hooks.unserializable_hook to suppress this warning",
                          stacklevel=2)


class BackwardHookFunctionBackward(Node):
    """PyTorch's BackwardHookFunction node: an identity of several tensors as one node of the graph, the grad_fn of
    all its outputs, calling ``on_grads`` with the gradients of all its outputs together (a list with None where
    none arrived); ``on_grads`` returns the gradients to pass on."""

    # PyTorch's node is the class autograd.Function makes for BackwardHookFunction: graph drawings label it with
    # type(grad_fn).__name__, and it prints as <torch.autograd.function.BackwardHookFunctionBackward object at 0x..>
    __module__ = "torchless.autograd.function"
    __repr__ = object.__repr__

    def __init__(self, tensors, on_grads):
        self.needs_input_grad = tuple(t._requires_grad for t in tensors)
        self.edges = tuple(_edge(t) if need else None for t, need in zip(tensors, self.needs_input_grad))
        self.on_grads = on_grads
        self.record_sequence()

    @classmethod
    def wrap(cls, tensors, on_grads):
        """New tensors with the values of ``tensors``, whose gradients go through one such node."""
        from .._tensor import Tensor

        node = cls(tensors, on_grads)
        # (the tensors not requiring grad are its non-differentiable outputs, which PyTorch does not count)
        creation = "custom_function" if sum(node.needs_input_grad) == 1 else "multi_output"
        outputs = []
        for index, t in enumerate(tensors):
            # PyTorch's output is a view of the input (a custom Function returning it as-is): changing its base in
            # place afterwards makes its use in autograd an error, as changing it does
            out = t._as_view(Tensor._wrap(t._data))
            if t._requires_grad:
                share_output(node, out, index, len(tensors))
                out._view_creation = propagated(out._view_creation, creation)
                out._view_output_nr = index
                mark_version(out)
            outputs.append(out)
        return outputs

    def backward(self, gathered):
        return tuple(self.on_grads(gathered.grads))

    def name(self):
        return "BackwardHookFunctionBackward"


class BackwardHook:
    """The backward hooks and pre-hooks of one call of ``module``: ``setup_input_hook`` and
    ``setup_output_hook`` route the gradients of forward's positional tensor arguments and of its output
    (a tensor or a tuple) through BackwardHookFunctions that call the hooks."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_tensors_index = self.output_tensors_index = None
        self.input_tensors = self.output_tensors = ()

    def setup_input_hook(self, args):
        self.n_inputs = len(args)
        args, self.input_tensors_index, self.input_tensors = self._wrap_tensors(args, self._on_input_grads)
        return args

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        self.n_outputs = len(outputs)
        outputs, self.output_tensors_index, self.output_tensors = self._wrap_tensors(outputs, self._on_output_grads)
        return outputs[0] if single else outputs

    @staticmethod
    def _wrap_tensors(args, on_grads):
        """``args`` with its tensors replaced by a BackwardHookFunction's outputs, their positions and the
        tensors themselves; ``args`` unchanged (positions None) when no gradient will flow through them."""
        from ..autograd import grad_mode
        from .._tensor import Tensor

        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in index]
        if not (grad_mode.state.enabled and any(t._requires_grad for t in tensors)):
            return args, None, ()
        replaced = list(args)
        for i, out in zip(index, BackwardHookFunctionBackward.wrap(tensors, on_grads)):
            replaced[i] = out
        return (tuple(replaced) if type(args) is tuple else type(args)(*replaced)), index, tensors

    @staticmethod
    def _pack_with_none(indices, values, size):
        packed = [None] * size
        for i, value in zip(indices, values):
            packed[i] = value
        return tuple(packed)

    def _on_output_grads(self, grads):
        from .._tensor import Tensor

        self.grad_outputs = self._pack_with_none(
            self.output_tensors_index, [None if g is None else Tensor._wrap(g) for g in grads], self.n_outputs)
        for pre_hook in self.user_pre_hooks:
            replaced = pre_hook(self.module, self.grad_outputs)
            if replaced is None:
                continue
            if len(replaced) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(replaced)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = replaced
        grad_outputs = self.grad_outputs
        if self.input_tensors_index is None:
            # No gradient will reach the inputs: the hooks are called now, with no grad_input.
            warn_from_user_code(_NO_INPUT_GRAD_WARNING)  # at the backward() call, as PyTorch's stacklevel puts it
            no_grad_inputs = (None,) * self.n_inputs
            for hook in self.user_hooks:
                result = hook(self.module, no_grad_inputs, self.grad_outputs)
                if result is not None and not (isinstance(result, tuple) and all(r is None for r in result)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
            self.grad_outputs = None
        return [_checked(grad_outputs[i], t) for i, t in zip(self.output_tensors_index, self.output_tensors)]

    def _on_input_grads(self, grads):
        from .._tensor import Tensor

        # PyTorch's identity node fills in zeros for the inputs no gradient reached.
        grads = [np.zeros(t._data.shape, t._data.dtype) if g is None else g for g, t in zip(grads, self.input_tensors)]
        if self.grad_outputs is None:
            # The gradient reached the inputs without passing through the outputs.
            return grads
        grad_inputs = self._pack_with_none(self.input_tensors_index, [Tensor._wrap(g) for g in grads], self.n_inputs)
        for hook in self.user_hooks:
            replaced = hook(self.module, grad_inputs, self.grad_outputs)
            if replaced is None:
                continue
            if len(replaced) != len(grad_inputs):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(replaced)}, but expected {len(grad_inputs)}")
            grad_inputs = replaced
        self.grad_outputs = None
        return [_checked(grad_inputs[i], t) for i, t in zip(self.input_tensors_index, self.input_tensors)]


def _checked(grad, tensor):
    """The array of a gradient a hook gave for ``tensor`` (None stays None), with PyTorch's checks."""
    return None if grad is None else checked_hook_result("hook", grad, tensor._data)
