"""``torch.utils.checkpoint``: activation checkpointing, which trades compute for memory.

With ``use_reentrant=True`` (PyTorch's default, with a warning, when the argument is not given), the function
runs without recording a graph and is run again, with the same random state, by the backward pass of a
``CheckpointFunction`` node, as in PyTorch. With ``use_reentrant=False`` PyTorch keeps the graph but drops the
saved activations, recomputing them when backward needs them; torchless keeps the activations and records the
graph as usual (the values and gradients are the same, only the memory saving is not made), and runs the function
again when PyTorch does, for the side effects that rerun has (batch norm's running statistics, hooks).
"""
import contextlib
import enum
import warnings

from .. import random as _random
from .._tensor import Tensor
from ..autograd import backward as _backward
from ..autograd import grad_mode, saved_hooks
from ..autograd._engine import checkpoint_valid, current_backward
from ..autograd.function import Function

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction", "CheckpointPolicy",
           "check_backward_validity", "create_selective_checkpoint_contexts", "DefaultDeviceType", "detach_variable",
           "get_device_states", "noop_context_fn", "set_checkpoint_debug_enabled", "set_checkpoint_early_stop",
           "set_device_states"]

_DEFAULT_DETERMINISM_MODE = "default"
_DETERMINISM_CHECKS = ("default", "none")


def noop_context_fn():
    """The default ``context_fn`` of :func:`checkpoint`: two context managers that do nothing."""
    return contextlib.nullcontext(), contextlib.nullcontext()


class CheckpointError(RuntimeError):
    """A checkpointed function whose recomputation differs from its first run (PyTorch's determinism check)."""


class CheckpointPolicy(enum.Enum):
    """What selective checkpointing does with an op's output: save it or recompute it (MUST_ wins over PREFER_)."""

    MUST_SAVE = 0
    PREFER_SAVE = 1
    MUST_RECOMPUTE = 2
    PREFER_RECOMPUTE = 3
    MUST_CPU_OFFLOAD = 4
    PREFER_CPU_OFFLOAD = 5


# Overrides of checkpoint's early_stop and debug arguments while set_checkpoint_early_stop /
# set_checkpoint_debug_enabled are active (None: each call's own)
_early_stop = [None]
_debug = [None]


@contextlib.contextmanager
def set_checkpoint_early_stop(enable):
    """Non-reentrant checkpoints made within the block stop their recomputation once every tensor needed is back
    (``enable``) or recompute the whole function, whatever their ``early_stop``."""
    previous, _early_stop[0] = _early_stop[0], enable
    try:
        yield
    finally:
        _early_stop[0] = previous


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled):
    """Within the block, ``enabled`` (a bool, or None for each call's own) overrides checkpoint's ``debug``."""
    previous, _debug[0] = _debug[0], enabled
    try:
        yield
    finally:
        _debug[0] = previous


def create_selective_checkpoint_contexts(policy_fn_or_list, allow_cache_entry_mutation=False):
    """The pair of contexts for checkpoint's ``context_fn`` that save the outputs of the ops a policy chooses (a
    function of ``(ctx, op, *args, **kwargs)`` returning a CheckpointPolicy, or a list of ops to save) and recompute
    the others. torchless's non-reentrant checkpoint keeps every activation, so both contexts leave the run as it
    is: the values and gradients are those of any policy."""
    if not isinstance(policy_fn_or_list, list) and not callable(policy_fn_or_list):
        raise TypeError("policy_fn_or_list must be either a function or a list of ops.")
    return contextlib.nullcontext(), contextlib.nullcontext()


class DefaultDeviceType:
    """The device type whose random states checkpointing saves when no input is on an accelerator: the current
    accelerator's until set (the CPU here, which has none)."""

    _default_device_type = None

    @staticmethod
    def set_device_type(device="cuda"):
        """Set the default device type for checkpointing (``"cuda"`` unless given)."""
        DefaultDeviceType._default_device_type = device

    @staticmethod
    def get_device_type():
        """The current default device type for checkpointing."""
        if not DefaultDeviceType._default_device_type:
            DefaultDeviceType._default_device_type = "cpu"
        return DefaultDeviceType._default_device_type


def get_device_states(*args):
    """The ids of the accelerator devices the tensors among ``args`` are on, and their random states: none here,
    every tensor being on the CPU (``([], [])``)."""
    return [], []


def set_device_states(devices, states, *, device_type=None):
    """Set the random states of the accelerator ``devices`` to ``states`` (as get_device_states gave them), for
    devices of ``device_type`` (by default DefaultDeviceType's)."""
    if device_type is None:
        device_type = DefaultDeviceType.get_device_type()
    if device_type == "meta":
        return
    import torchless

    device_module = getattr(torchless, device_type)  # (PyTorch's device modules: torch.cuda, torch.cpu...)
    for device, state in zip(devices, states):
        with device_module.device(device):
            device_module.set_rng_state(state)


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


@contextlib.contextmanager
def _random_state(forward_state):
    """Within the block, the generator is at ``forward_state`` (unless None), so that a recomputation draws the
    forward's random numbers (dropout masks...); it is left where it was."""
    if forward_state is None:
        yield
        return
    surrounding_state = _random.get_rng_state()
    _random.set_rng_state(forward_state)
    try:
        yield
    finally:
        _random.set_rng_state(surrounding_state)


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
        if not checkpoint_valid():  # (gradients for some inputs only: the rerun's own backward would fill .grad)
            raise RuntimeError("When use_reentrant=True, torchless.utils.checkpoint is incompatible with .grad() or "
                               "passing an `inputs` parameter to .backward(). To resolve this error, you can either "
                               "set use_reentrant=False, or call .backward() without passing the `inputs` "
                               "argument.")
        inputs = list(ctx.inputs)
        for index, tensor in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[index] = tensor
        detached_inputs = detach_variable(tuple(inputs))
        with _random_state(ctx.fwd_cpu_state if ctx.preserve_rng_state else None), grad_mode.enable_grad():
            outputs = ctx.run_function(*detached_inputs)

        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [(output, grad) for output, grad in zip(outputs, args)
                 if isinstance(output, Tensor) and output.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        _backward([output for output, _ in pairs], [grad for _, grad in pairs])
        return (None, None) + tuple(inp.grad if isinstance(inp, Tensor) else None for inp in detached_inputs)


class _StopRecomputation(Exception):
    """Ends a recomputation once it has saved as many tensors as the forward (``early_stop``)."""


class _Recomputation:
    """A non-reentrant checkpoint's function, run again as PyTorch runs it: when a backward first needs one of the
    tensors it saved (once per backward), with the forward's random state, stopping, with ``early_stop``, after
    the op saving its last tensor. torchless keeps the tensors the forward saved (the values and gradients are the
    same), but the rerun's side effects are PyTorch's: batch norm's running statistics updated again, hooks and
    prints run again."""

    def __init__(self, function, args, kwargs, preserve_rng_state, recompute_context, early_stop):
        self.function, self.kwargs = function, kwargs
        self.args = self._saved_arguments(args)
        self.forward_rng_state = _random.get_rng_state() if preserve_rng_state else None
        self.recompute_context, self.early_stop = recompute_context, early_stop
        self.saved_count = 0
        self.recomputed_in = set()  # the backward runs (current_backward()) that have rerun the function

    @staticmethod
    def _saved_arguments(args):
        """``args`` as the rerun gets them: PyTorch saves the tensors among them for backward (its
        ``_NoopSaveInputs``), so that saved_tensors_hooks active around the checkpoint pack them now and unpack
        them for each rerun; (unpack_hook, packed) pairs stand for those."""
        if not saved_hooks.state.stack:
            return args
        pack_hook, unpack_hook = saved_hooks.state.stack[-1]
        return tuple(_PackedArgument(unpack_hook, pack_hook(arg)) if isinstance(arg, Tensor) else arg for arg in args)

    def pack(self, tensor):
        self.saved_count += 1
        return tensor

    def unpack(self, tensor):
        backward_run = current_backward()
        if backward_run not in self.recomputed_in:
            self.recomputed_in.add(backward_run)
            self._rerun()
        return tensor

    def _rerun(self):
        saved_again = 0

        def count_saved(tensor):
            nonlocal saved_again
            saved_again += 1
            if self.early_stop and saved_again == self.saved_count:
                raise _StopRecomputation
            return None

        try:
            with _random_state(self.forward_rng_state):
                args = [arg.unpacked() if isinstance(arg, _PackedArgument) else arg for arg in self.args]
                with (grad_mode.enable_grad(), self.recompute_context,
                      saved_hooks.saved_tensors_hooks(count_saved, _unused)):
                    self.function(*args, **self.kwargs)
        except _StopRecomputation:
            pass


class _PackedArgument:
    """A tensor argument of a checkpoint as a saved_tensors_hooks pack_hook kept it."""

    def __init__(self, unpack_hook, packed):
        self.unpack_hook, self.packed = unpack_hook, packed

    def unpacked(self):
        return self.unpack_hook(self.packed)


def _unused(packed):  # (what a rerun saves is dropped: backward uses the forward's tensors)
    return packed


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check=_DEFAULT_DETERMINISM_MODE, debug=False, early_stop=True, **kwargs):
    """Run ``function(*args)`` under activation checkpointing.

    Checkpointing spends compute to save memory: the intermediate tensors of :attr:`function` are not kept for
    the backward pass but recomputed then, by running :attr:`function` a second time.

    .. warning::
        Pass ``use_reentrant`` explicitly: when it is omitted a warning is emitted and ``use_reentrant=True``
        is assumed. In the reentrant variant, gradients only flow if at least one tensor input requires grad
        (otherwise the parameters used inside :attr:`function` get none), and keyword arguments for
        :attr:`function` are rejected.

    .. note::
        In torchless, ``use_reentrant=False`` records the graph of :attr:`function` as usual (same values and
        gradients, without the memory saving) and runs it again, for its side effects, when PyTorch recomputes
        it; ``determinism_check`` and ``debug`` are checked as in PyTorch and otherwise have no effect.

    Args:
        function: the callable to run (a module or part of a model).
        preserve_rng_state(bool, optional): save the RNG state before the forward and restore it for the
            recomputation, so that random operations (dropout...) draw the same values. Default: ``True``
        use_reentrant(bool): ``True`` for the reentrant (autograd Function based) variant, ``False`` for the
            other one (recommended). Should be given explicitly.
        context_fn(Callable, optional): returns two context managers, entered around the forward run and
            around the recomputation respectively. Only with ``use_reentrant=False``.
        determinism_check(str, optional): ``"default"`` or ``"none"``. Only with ``use_reentrant=False``.
        debug(bool, optional): in PyTorch, adds the traces of both runs to errors. Only with
            ``use_reentrant=False``. Default: ``False``
        early_stop(bool, optional): stop the non-reentrant recomputation once every tensor needed has been
            produced (what comes after in :attr:`function` is not run again). Default: ``True``.
        args: the positional inputs of :attr:`function`

    Returns:
        what :attr:`function` returns for :attr:`*args`
    """
    if use_reentrant is None:
        # (stacklevel=1: PyTorch's names its dynamo wrapper around checkpoint, a library line, so by the default
        # filters it shows once per process, not once per calling line)
        warnings.warn("torchless.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
                      "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between "
                      "the two variants.", stacklevel=1)
        use_reentrant = True

    # preserve_rng_state is taken out of the function's keyword arguments, as in PyTorch
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))

    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)

    if _debug[0] is not None:
        debug = _debug[0]
    if debug and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    if determinism_check not in _DETERMINISM_CHECKS:
        raise ValueError(f"determinism_check should be one of {list(_DETERMINISM_CHECKS)}, but got "
                         f"{determinism_check}")
    forward_context, recompute_context = context_fn()
    if not grad_mode.is_grad_enabled():
        return function(*args, **kwargs)
    if _early_stop[0] is not None:
        early_stop = _early_stop[0]
    recomputation = _Recomputation(function, args, kwargs, preserve, recompute_context, early_stop)
    suppressed = True
    with forward_context, saved_hooks.saved_tensors_hooks(recomputation.pack, recomputation.unpack):
        result = function(*args, **kwargs)
        suppressed = False
    if suppressed:
        raise RuntimeError("torchless.utils.checkpoint: the forward context provided by context_fn suppressed an "
                           "exception raised during the checkpointed forward. This is not supported because "
                           "checkpoint cannot return a value for a failed forward.")
    return result


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a sequence of modules or functions, checkpointing it chunk by chunk.

    The sequence is split into ``segments`` consecutive chunks; each chunk but the last runs through
    :func:`checkpoint` (the last one's outputs are needed by backward anyway).

    .. warning::
        Pass ``use_reentrant`` explicitly: when it is omitted a warning is emitted and ``use_reentrant=True``
        is assumed.

    Args:
        functions: a :class:`torchless.nn.Sequential`, or a list of modules or functions applied one after
            another.
        segments: how many chunks to split ``functions`` into.
        input: the tensor given to the first of :attr:`functions`.
        preserve_rng_state(bool, optional): restore the RNG state for the recomputation, as in
            :func:`checkpoint`. Default: ``True``
        use_reentrant(bool): which variant of :func:`checkpoint` to use. Should be given explicitly.

    Returns:
        the output of the last of :attr:`functions`

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
