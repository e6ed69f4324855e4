"""``torch.utils.checkpoint``: activation checkpointing, which trades compute for memory.

With ``use_reentrant=True`` (PyTorch's default, with a warning, when the argument is not given), the function
runs without recording a graph and is run again, with the same random state, by the backward pass of a
``CheckpointFunction`` node, as in PyTorch. With ``use_reentrant=False`` PyTorch keeps the graph but drops the
saved activations, recomputing them when backward needs them; torchless keeps the activations and records the
graph as usual: the values and gradients are the same, only the memory saving is not made.
"""
import contextlib
import warnings

from .. import random as _random
from .._tensor import Tensor
from ..autograd import backward as _backward
from ..autograd import grad_mode
from ..autograd.custom import Function

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointFunction", "check_backward_validity",
           "detach_variable", "noop_context_fn"]

_DEFAULT_DETERMINISM_MODE = "default"
_DETERMINISM_CHECKS = ("default", "none")


def noop_context_fn():
    """The default ``context_fn`` of :func:`checkpoint`: two context managers that do nothing."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs):
    """The tuple ``inputs`` with each tensor detached, keeping its ``requires_grad``."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}")
    out = []
    for inp in inputs:
        if isinstance(inp, Tensor):
            detached = inp.detach()
            detached.requires_grad = inp.requires_grad
            out.append(detached)
        else:
            out.append(inp)
    return tuple(out)


def check_backward_validity(inputs):
    """Warn when no tensor among ``inputs`` requires grad: a reentrant checkpoint then records nothing."""
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)


class CheckpointFunction(Function):
    """The reentrant checkpoint: forward runs ``run_function`` without recording a graph; backward runs it again
    with gradients recorded (and the random state of the forward) and backpropagates through it."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = _random.get_rng_state()
        ctx.inputs = [None if isinstance(arg, Tensor) else arg for arg in args]
        ctx.tensor_indices = [i for i, arg in enumerate(args) if isinstance(arg, Tensor)]
        ctx.save_for_backward(*[arg for arg in args if isinstance(arg, Tensor)])
        with grad_mode.no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *args):
        inputs = list(ctx.inputs)
        for index, tensor in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[index] = tensor
        # the recomputation draws the forward's random numbers (dropout masks...), and leaves the generator
        # where it was
        surrounding_state = _random.get_rng_state() if ctx.preserve_rng_state else None
        try:
            if ctx.preserve_rng_state:
                _random.set_rng_state(ctx.fwd_cpu_state)
            detached_inputs = detach_variable(tuple(inputs))
            with grad_mode.enable_grad():
                outputs = ctx.run_function(*detached_inputs)
        finally:
            if surrounding_state is not None:
                _random.set_rng_state(surrounding_state)

        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [(output, grad) for output, grad in zip(outputs, args)
                 if isinstance(output, Tensor) and output.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        _backward([output for output, _ in pairs], [grad for _, grad in pairs])
        return (None, None) + tuple(inp.grad if isinstance(inp, Tensor) else None for inp in detached_inputs)


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check=_DEFAULT_DETERMINISM_MODE, debug=False, early_stop=True, **kwargs):
    r"""Checkpoint a model or part of the model.

    Activation checkpointing is a technique that trades compute for memory: instead of keeping the tensors
    computed inside :attr:`function` until backward uses them, they are recomputed by running
    :attr:`function` again during backward.

    .. warning::
        The ``use_reentrant`` parameter should be passed explicitly: without it, a warning is given and
        ``use_reentrant=True`` is used. With ``use_reentrant=True``, gradients only flow when some tensor input
        requires grad (the parameters of :attr:`function` get none otherwise), and keyword arguments of
        :attr:`function` are refused.

    .. note::
        In torchless, ``use_reentrant=False`` runs :attr:`function` once and records its graph as usual (same
        values and gradients, without the memory saving); ``determinism_check``, ``debug`` and ``early_stop``
        are checked as in PyTorch and otherwise have no effect.

    Args:
        function: describes what to run in the forward pass of the model or part of the model.
        preserve_rng_state(bool, optional): Omit stashing and restoring the RNG state during each checkpoint.
            Note that under torch.compile, this flag doesn't take effect and we always preserve RNG state.
            Default: ``True``
        use_reentrant(bool): specify whether to use the activation checkpoint variant that requires reentrant
            autograd. This parameter should be passed explicitly. ``use_reentrant=False`` is recommended.
        context_fn(Callable, optional): A callable returning a tuple of two context managers. The function and
            its recomputation will be run under the first and second context managers respectively. This
            argument is only supported if ``use_reentrant=False``.
        determinism_check(str, optional): ``"default"`` or ``"none"``. This argument is only supported if
            ``use_reentrant=False``.
        debug(bool, optional): If ``True``, error messages will also include a trace of the operators ran during
            the original forward computation as well as the recomputation. This argument is only supported if
            ``use_reentrant=False``.
        early_stop(bool, optional): If ``True``, non-reentrant checkpoint stops recomputation as soon as it has
            computed all needed Tensors. Default: ``True``.
        args: tuple containing inputs to the :attr:`function`

    Returns:
        Output of running :attr:`function` on :attr:`*args`
    """
    if use_reentrant is None:
        warnings.warn("torchless.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
                      "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between "
                      "the two variants.", stacklevel=2)
        use_reentrant = True

    # preserve_rng_state is taken out of the function's keyword arguments, as in PyTorch
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))

    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)

    if debug and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    if determinism_check not in _DETERMINISM_CHECKS:
        raise ValueError(f"determinism_check should be one of {list(_DETERMINISM_CHECKS)}, but got "
                         f"{determinism_check}")
    forward_context, _ = context_fn()
    if not grad_mode.is_grad_enabled():
        return function(*args, **kwargs)
    suppressed = True
    with forward_context:
        result = function(*args, **kwargs)
        suppressed = False
    if suppressed:
        raise RuntimeError("torchless.utils.checkpoint: the forward context provided by context_fn suppressed an "
                           "exception raised during the checkpointed forward. This is not supported because "
                           "checkpoint cannot return a value for a failed forward.")
    return result


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    r"""Checkpoint a sequential model to save memory.

    The modules or functions, run in order, are divided in ``segments`` chunks; every chunk but the last is run
    through :func:`checkpoint` (the last one's outputs are needed by backward anyway).

    .. warning::
        The ``use_reentrant`` parameter should be passed explicitly: without it, a warning is given and
        ``use_reentrant=True`` is used.

    Args:
        functions: A :class:`torchless.nn.Sequential` or the list of modules or functions (comprising the model)
            to run sequentially.
        segments: Number of chunks to create in the model
        input: A Tensor that is input to :attr:`functions`
        preserve_rng_state(bool, optional): Omit stashing and restoring the RNG state during each checkpoint.
            Default: ``True``
        use_reentrant(bool): specify whether to use the activation checkpoint variant that requires reentrant
            autograd. This parameter should be passed explicitly.

    Returns:
        Output of running :attr:`functions` sequentially on :attr:`*inputs`

    Example:
        >>> model = nn.Sequential(...)
        >>> input_var = checkpoint_sequential(model, chunks, input_var, use_reentrant=False)
    """
    if use_reentrant is None:
        warnings.warn("torchless.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
                      "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between "
                      "the two variants.", stacklevel=2)
        use_reentrant = True

    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input

        return forward

    from ..nn.modules.container import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())

    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)
