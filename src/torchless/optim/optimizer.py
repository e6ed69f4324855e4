"""Optimizer: the base class holding parameter groups, per-parameter state and their state_dict."""
import copy
import functools
import numbers
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain
from typing import Callable, Iterable, Optional, Union

import numpy as np

from .. import _dtype, _memory_format
from .._creation.filled import full_like
from .._ops._util import broadcast_error
from .._tensor import Tensor, typename
from ..autograd import grad_mode
from ..autograd._accumulate_grad import reset_grads
from ..utils.hooks import RemovableHandle
from ._fused_layout import as_fused_kernel_pairs

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


_PLAIN_SCALARS = frozenset((float, int, bool))


def _is_real_scalar(value):
    """A real number (a bool too: PyTorch's ops take it as one), or a tensor of one element (as an update uses it)."""
    if isinstance(value, Tensor):
        return value._data.size == 1 and not value.dtype.is_complex
    return isinstance(value, numbers.Real)


class _RequiredParameter:
    """Marks a hyper-parameter that every parameter group must give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _scalar_dtype():
    """The dtype of the ``step`` counters: float32, or float64 when that is the default dtype."""
    return np.dtype(np.float64) if _dtype.get_default_dtype() is _dtype.float64 else np.dtype(np.float32)


def _new_step(fused=False):
    """A fresh ``step`` counter: a 0-d tensor of :func:`_scalar_dtype` (float32 for fused kernels), as PyTorch
    keeps it on the CPU."""
    return Tensor._wrap(np.zeros((), np.float32 if fused else _scalar_dtype()))


def _check_state_steps(state_steps):
    """The functional API's refusal of ``state_steps`` holding anything but tensors (once Python numbers)."""
    if not all(isinstance(step, Tensor) for step in state_steps):
        raise RuntimeError("API has changed, `state_steps` argument must contain a list of singleton tensors")


def _check_no_grad_scaling(grad_scale, found_inf):
    """The functional API's refusal of gradient scaling where only a fused kernel takes it."""
    if grad_scale is not None or found_inf is not None:
        raise AssertionError("Expected grad_scale and found_inf to be None")


def _refuse_capturable(capturable, params, devices):
    """PyTorch's refusal of ``capturable`` for parameters on the CPU (``devices``: those its kernel supports)."""
    if capturable and params:
        raise AssertionError(f"If capturable=True, params and state_steps must be on supported devices: {devices}.")


def _refuse_foreach_differentiable(differentiable):
    if differentiable:
        raise AssertionError("_foreach ops don't support autograd")


def _refuse_functional_flags(optimizer_class, params, *, foreach, capturable, differentiable,
                             differentiable_before_empty=False):
    """PyTorch's CPU refusals of a functional update's flags (NAdam's, RAdam's...), in its kernels' order: the foreach
    kernel refuses ``differentiable`` once it has parameters (or before looking, ``differentiable_before_empty``),
    then ``capturable``; the for-loop refuses ``capturable`` at its first parameter. The messages are the class's
    (see :meth:`Optimizer._capturable_error`)."""
    if foreach and (params or differentiable_before_empty):
        _refuse_foreach_differentiable(differentiable)
    if capturable and params:
        raise optimizer_class._capturable_error(foreach)


def _functional_update(function):
    """A functional optimizer update (``torchless.optim.adam.adam``, ...): silent on inf and NaN, as the optimizers'
    steps are (see Optimizer.profile_hook_step)."""
    @functools.wraps(function)
    def update(*args, **kwargs):
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)

    return update


def _advance(step):
    """``step += 1`` on a functional call's ``step`` tensor, in place; its new count (as ``_steps`` counts)."""
    count = step._data
    count += 1
    step._version += 1
    return float(count)


def _zeros_like(p, *names):
    """A fresh state entry of zeros shaped like ``p`` for each of ``names``: PyTorch's ``zeros_like(p,
    memory_format=torch.preserve_format)``, with ``p``'s strides, those of its size-1 dims too (a channels-last
    weight of shape (2, 3, 1, 1) keeps (3, 1, 3, 3), which NumPy's zeros_like would make (3, 1, 1, 1))."""
    return {name: Tensor._wrap(_memory_format.empty_like(p, p.dtype, _memory_format.preserve_format))
            for name in names}


def _filled_like(tensor, value):
    """A state tensor like ``tensor`` filled with ``value`` as PyTorch's optimizers make one, through ``full_like``
    (whose argument parser refuses a tensor of more than zero dimensions, or one requiring grad); a complex tensor's
    real and imaginary parts both take ``value``, as the pairs of reals it is updated as."""
    return full_like(tensor, complex(value, value) if tensor.is_complex() else value)


def _scalar_state(value):
    """``value`` as a 0-d tensor of :func:`_scalar_dtype` (``step``, ``mu_product``, ``eta``... of old checkpoints)."""
    if isinstance(value, Tensor):
        return value
    return Tensor._wrap(np.array(float(value), _scalar_dtype()))


# The device types PyTorch lists for its foreach, fused and capturable kernels (torch.utils._foreach_utils,
# torch.optim.optimizer); its CPU error messages name them.
def _get_foreach_kernels_supported_devices():
    """The device types of PyTorch's foreach kernels (not the CPU, where optimizers loop over the tensors)."""
    return ["cuda", "xpu", "mtia", "privateuseone"]


def _get_fused_kernels_supported_devices():
    """The device types of PyTorch's fused optimizer kernels."""
    return ["mps", "cuda", "xpu", "hpu", "cpu", "mtia", "privateuseone"]


def _get_capturable_supported_devices(supports_xla=True):
    """The device types on which PyTorch's optimizers take ``capturable=True`` (none of them the CPU)."""
    return ["cuda", "xpu", "hpu", "privateuseone"] + (["xla"] if supports_xla else [])


_CAPTURABLE_DEVICES = str(_get_capturable_supported_devices())
_CAPTURABLE_DEVICES_NO_XLA = str(_get_capturable_supported_devices(supports_xla=False))


def _device_dtype_check_for_fused(p, cuda_unsupported=False):
    """PyTorch's check of a parameter for a fused kernel: a floating-point tensor of a supported device."""
    devices = _get_fused_kernels_supported_devices()
    if cuda_unsupported:
        devices.remove("cuda")
    if not (p.device.type in devices and p.is_floating_point()):
        raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported devices: "
                           f"{devices} but {p.dtype} and {p.device.type}")


# PyTorch's helpers for optimizers written in its style, which custom optimizers import from this module.
def _default_to_fused_or_foreach(params, differentiable, use_fused=False):
    """PyTorch's choice of kernel when ``foreach`` and ``fused`` are left None: ``(fused, foreach)``, fused for
    floating-point tensors when ``use_fused``, foreach only on the devices of foreach kernels (never the CPU)."""
    if differentiable:
        return False, False
    supported_types = _foreach_tensor_types()
    fused = use_fused and all(p is None or (type(p) in supported_types and p.device.type in
                                            _get_fused_kernels_supported_devices() and p.is_floating_point())
                              for p in params)
    foreach = not fused and all(p is None or (type(p) in supported_types and p.device.type in
                                              _get_foreach_kernels_supported_devices()) for p in params)
    return fused, foreach


def _foreach_tensor_types():
    """The tensor types foreach and fused kernels take: Tensor and Parameter (imported when first asked for, as
    ``import torchless.optim`` does not load torchless.nn)."""
    from ..nn.parameter import Parameter

    return [Tensor, Parameter]


def __getattr__(name):
    # PyTorch's module-level list of those types, made when imported (see _foreach_tensor_types)
    if name == "_foreach_supported_types":
        return _foreach_tensor_types()
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


def _stack_if_compiling(x):
    """``x`` as it is: PyTorch stacks the scalars only while torch.compile traces."""
    return x


def _disable_dynamo_if_unsupported(single_tensor_fn=None):
    """A decorator leaving the function as it is: PyTorch's routes it around TorchDynamo in some cases."""
    def wrapper(func):
        return func

    return wrapper


def _view_as_real(params, *state_and_grads):
    """Replace, in the lists given, each complex parameter and its state and gradient entries by their real views."""
    from .._ops.complex_ops import view_as_real

    for i, p in enumerate(params):
        if p.is_complex():
            params[i] = view_as_real(p)
            for entries in state_and_grads:
                entries[i] = view_as_real(entries[i])


_UNIMPROVED = "  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)"


def _group_tensors_by_device_and_dtype(tensorlistlist, with_indices=False):
    """PyTorch's grouping of parallel tensor lists by the device and dtype of the first list's tensors:
    ``{(device, dtype): (the lists' entries of that group, their indices or [])}``, the groups in PyTorch's order
    (the last key to appear first). The other lists may hold None, or nothing at all."""
    first = tensorlistlist[0]
    if not first:
        raise RuntimeError("Expected !nested_tensorlist[0].empty() to be true, but got false." + _UNIMPROVED)
    if any(len(tensors) not in (len(first), 0) for tensors in tensorlistlist):
        raise RuntimeError("Expected std::all_of( nested_tensorlist.cbegin(), nested_tensorlist.cend(), [&](const "
                           "auto& tensorlist) -> bool { return tensorlist.size() == num_tensors || tensorlist.size() "
                           "== 0; }) to be true, but got false." + _UNIMPROVED)
    groups = {}
    for index, tensor in enumerate(first):
        if tensor is None:
            raise RuntimeError("Tensors of the first list of nested Tensor lists are supposed to be defined but the "
                               f"{index}-th Tensor is not.")
        lists, indices = groups.setdefault((tensor.device, tensor.dtype), ([[] for _ in tensorlistlist], []))
        for target, tensors in zip(lists, tensorlistlist):
            if tensors:
                target.append(tensors[index])
        if with_indices:
            indices.append(index)
    return dict(reversed(groups.items()))


# The descriptions of the common flags, which optimizers' docstrings written in PyTorch's style embed.
_params_doc = r"""params (iterable): iterable of parameters or named_parameters to optimize
            or iterable of dicts defining parameter groups. When using named_parameters,
            all parameters in all groups should be named"""

_foreach_doc = r"""foreach (bool, optional): whether foreach implementation of optimizer
            is used. If unspecified by the user (so foreach is None), we will try to use
            foreach over the for-loop implementation on CUDA, since it is usually
            significantly more performant. Note that the foreach implementation uses
            ~ sizeof(params) more peak memory than the for-loop version due to the intermediates
            being a tensorlist vs just one tensor. If memory is prohibitive, batch fewer
            parameters through the optimizer at a time or switch this flag to False (default: None)"""

_fused_doc = r"""fused (bool, optional): whether the fused implementation is used.
            Currently, `torch.float64`, `torch.float32`, `torch.float16`, and `torch.bfloat16`
            are supported. (default: None)

    .. note:: The foreach and fused implementations are typically faster than the for-loop,
              single-tensor implementation, with fused being theoretically fastest with both
              vertical and horizontal fusion. As such, if the user has not specified either
              flag (i.e., when foreach = fused = None), we will attempt defaulting to the foreach
              implementation when the tensors are all on CUDA. Why not fused? Since the fused
              implementation is relatively new, we want to give it sufficient bake-in time.
              To specify fused, pass True for fused. To force running the for-loop
              implementation, pass False for either foreach or fused. """

_capturable_doc = r"""capturable (bool, optional): whether this instance is safe to
            capture in a graph, whether for CUDA graphs or for torch.compile support.
            Tensors are only capturable when on supported :ref:`accelerators<accelerators>`.
            Passing True can impair ungraphed performance, so if you don't intend to graph
            capture this instance, leave it False (default: False)"""

_differentiable_doc = r"""differentiable (bool, optional): whether autograd should
            occur through the optimizer step in training. Otherwise, the step()
            function runs in a torch.no_grad() context. Setting to True can impair
            performance, so leave it False if you don't intend to run autograd
            through this instance (default: False)"""

_maximize_doc = r"""maximize (bool, optional): maximize the objective with respect to the
            params, instead of minimizing (default: False)"""


# The type aliases PyTorch's optimizer module defines, which custom optimizers annotate with
# (``from torch.optim.optimizer import ParamsT``).
Args = tuple
Kwargs = dict
StateDict = dict
ParamsT = Union[Iterable[Tensor], Iterable[dict], Iterable[tuple]]
GlobalOptimizerPreHook = Callable[..., Optional[tuple]]
GlobalOptimizerPostHook = Callable[..., None]


def _use_grad_for_differentiable(func):
    """Decorate an optimizer's ``step``: run it with gradients recorded only for ``differentiable=True`` (PyTorch's
    helper, which custom optimizers written in its style use)."""
    @functools.wraps(func)
    def _use_grad(*args, **kwargs):
        previous = grad_mode.is_grad_enabled()
        try:
            grad_mode.set_grad_enabled(args[0].defaults["differentiable"])
            return func(*args, **kwargs)
        finally:
            grad_mode.set_grad_enabled(previous)

    return _use_grad


def _reads_defaults_first(step):
    """Mark a built-in ``step`` that PyTorch wraps in ``_use_grad_for_differentiable``. torchless's steps set grad
    mode themselves, sparing every step the wrapper's call; arguments a step pre-hook put in place of the step's own
    meet the wrapper, as in PyTorch (its ``args[0].defaults``: an IndexError for no arguments)."""
    step.reads_defaults_first = True
    return step


def _get_value(x):
    """A 0-d tensor's number (``step`` counters), anything else as it is."""
    return x.item() if isinstance(x, Tensor) else x


def _to_scalar(x):
    """A one-element tensor squeezed to 0-d (a tensor ``lr``), anything else as it is."""
    return x.squeeze() if isinstance(x, Tensor) and x.dim() != 0 else x


def _scalar_lr(value, op, argument):
    """``lr`` where the step's first op using it takes a number (``op``'s ``argument``): a tensor of several
    elements is refused there, as PyTorch's parser refuses it (its _to_scalar squeezes a one-element one only).
    ASGD's ``op`` None: PyTorch reads its value (as .item() would)."""
    if isinstance(value, Tensor) and value._data.size != 1:
        if op is None:
            raise RuntimeError(f"a Tensor with {value._data.size} elements cannot be converted to Scalar")
        raise TypeError(f"{op}(): argument '{argument}' must be Number, not Tensor")
    return value


def _hyper_value(value, as_double=False):
    """A hyper-parameter (``lr``, a beta) for an update's scalar arithmetic: a tensor as a NumPy scalar of its dtype,
    so that step sizes computed from it round as PyTorch's 0-d tensor arithmetic does (a float32 ``lr`` gives float32
    step sizes, even for float64 parameters); a number, or any value ``as_double`` (for the kernels that read a
    tensor's value as a double: fused ones, some foreach ones), as a Python float."""
    return value._data.reshape(-1)[0] if isinstance(value, Tensor) and not as_double else float(value)


def _weight_decay(group):
    """A group's ``weight_decay`` as its update takes it: a fused kernel reads it as a double (True as 1.0), the
    others give it to ``add`` as its alpha, which refuses a bool (see _update_math)."""
    return float(group["weight_decay"]) if group["fused"] else group["weight_decay"]


def _get_scalar_dtype(is_fused=None):
    """The dtype of ``step`` counters: float32 for fused kernels, else float64 when that is the default dtype."""
    return _dtype.float32 if is_fused else _dtype.from_numpy_dtype(_scalar_dtype())


# Hooks run around every optimizer's step (register_optimizer_step_pre_hook / _post_hook): the pre-hooks before
# each optimizer's own, the post-hooks after them.
_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()

_HOOK_REGISTRIES = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                    "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                    "_optimizer_load_state_dict_post_hooks")


def register_optimizer_step_pre_hook(hook):
    """Register ``hook(optimizer, args, kwargs)``, run before every optimizer's ``step``; it may return a new
    ``(args, kwargs)`` pair for the step.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """Register ``hook(optimizer, args, kwargs)``, run after every optimizer's ``step``.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _add_hook(registry, hook, prepend=False):
    handle = RemovableHandle(registry)
    registry[handle.id] = hook
    if prepend:
        registry.move_to_end(handle.id, last=False)
    return handle


# Flags every optimizer's param groups carry since PyTorch 2.x, with their defaults.
COMMON_FLAGS = (("foreach", None), ("maximize", False), ("differentiable", False), ("capturable", False))


class Optimizer:
    """Base class for all optimizers.

    Args:
        params (iterable): an iterable of :class:`Tensor` s, of ``(name, Tensor)`` pairs, or of dicts
            (parameter groups) holding ``'params'`` and per-group hyper-parameters.
        defaults (dict): default values of the hyper-parameters, used by groups that do not set them.

    Subclasses implement :meth:`step`; state lives in ``self.state[param]`` (a dict per parameter).
    """

    OptimizerPreHook = Callable[..., Optional[tuple]]
    OptimizerPostHook = Callable[..., None]

    def __init__(self, params, defaults):
        self.defaults = defaults
        for name in _HOOK_REGISTRIES:
            setattr(self, name, OrderedDict())
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {typename(params)}")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    # What unpickling an optimizer saved by an older version fills in (see _fill_missing): each optimizer
    # names its group keys with their defaults, and its per-parameter counters.
    _group_defaults = ()
    _counters = ("step",)

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in _HOOK_REGISTRIES:  # hooks are not pickled: a copy starts without them
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()
        if self._group_defaults:
            self._fill_missing(self._group_defaults, self._counters)

    def _fill_missing(self, group_defaults, counters=("step",)):
        """After unpickling an optimizer saved by an older version: the group keys it lacked, with their
        defaults, and its per-parameter ``counters`` as 0-d tensors (as newer PyTorch keeps them)."""
        for group in self.param_groups:
            for key, default in group_defaults:
                group.setdefault(key, default)
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0:  # (PyTorch's test: a state that is no dict fails here, as there)
                    for key in counters:
                        p_state[key] = _scalar_state(p_state[key])

    @staticmethod
    def profile_hook_step(func):
        """``func`` (a ``step``) wrapped to run the step pre-hooks before it and the post-hooks after it."""
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self, step = args[0], func
            for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"{func} must return None or a tuple of (new_args, new_kwargs), but got "
                                           f"{result}.")
                    args, kwargs = result
                    if getattr(func, "reads_defaults_first", False):
                        step = _use_grad_for_differentiable(func)  # meeting new arguments as PyTorch's step does
            # inf and NaN pass through PyTorch's updates without a word (inf * 0, inf - inf), where NumPy's flags
            # would warn, and raise under a user's "error" filter, which overrides torchless's own (see __init__)
            with np.errstate(all="ignore"):
                out = step(*args, **kwargs)
            self._optimizer_step_code()
            for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
                post_hook(self, args, kwargs)
            return out

        return wrapper

    def _patch_step_function(self):
        # As PyTorch: the class of the first instance built gets its step wrapped, once; a subclass whose step
        # calls super().step() of a class also instantiated runs the hooks twice there too.
        if not getattr(self.__class__.step, "hooked", None):
            self.__class__.step = self.profile_hook_step(self.__class__.step)
            self.__class__.step.hooked = True

    @staticmethod
    def _group_tensors_by_device_and_dtype(tensorlistlist, with_indices=False):
        """See the module's :func:`_group_tensors_by_device_and_dtype` (PyTorch's foreach-style optimizers call
        this one)."""
        return _group_tensors_by_device_and_dtype(tensorlistlist, with_indices)

    def _accelerator_graph_capture_health_check(self):
        """Nothing to check: PyTorch checks accelerator graph capture here, which the CPU never does."""

    def _cuda_graph_capture_health_check(self):
        """Deprecated: :meth:`_accelerator_graph_capture_health_check`."""
        warnings.warn("Use _accelerator_graph_capture_health_check instead", DeprecationWarning, stacklevel=2)
        self._accelerator_graph_capture_health_check()

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        """A loaded state tensor ``value`` of parameter ``param_id``, cast as :meth:`load_state_dict` casts it."""
        return _cast_state(param, value, _float32_step(param_id, param_groups), key)

    def _optimizer_step_code(self):
        """Runs after each step, before the post-hooks; a place for profilers to hook into (nothing here)."""

    def register_step_pre_hook(self, hook):
        """Register ``hook(optimizer, args, kwargs)``, run before this optimizer's ``step`` (after the global ones);
        it may return a new ``(args, kwargs)`` pair for the step.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Register ``hook(optimizer, args, kwargs)``, run after this optimizer's ``step`` (before the global ones).

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """Register ``hook(optimizer)``, run when :meth:`state_dict` starts.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """Register ``hook(optimizer, state_dict)``, run on the dict :meth:`state_dict` built; a non-None result is
        returned instead.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """Register ``hook(optimizer, state_dict)``, run on (a shallow copy of) the dict given to
        :meth:`load_state_dict`; a non-None result is loaded instead.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """Register ``hook(optimizer)``, run once :meth:`load_state_dict` has loaded the state.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``'params'`` and optional hyper-parameters).

        Useful for fine-tuning, to make frozen layers trainable as training goes on. Hyper-parameters the
        group does not set take the optimizer's defaults.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)

        names = [p[0] for p in params if isinstance(p, tuple)]
        param_group["params"] = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {typename(param)}")
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                          "an error; see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)

        existing = set()
        for group in self.param_groups:
            existing.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not existing.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none (bool): set the grads to ``None`` instead of filling them with zeros (default). A
                parameter whose grad is ``None`` is skipped by :meth:`step`; one with a zero grad is not (weight
                decay and momentum still move it).
        """
        reset_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    def _evaluate(self, closure):
        """Run ``closure`` with gradients recorded, as PyTorch's optimizers do before updating."""
        differentiable = self.defaults.get("differentiable", False)
        if differentiable.__class__ is not bool:  # PyTorch's steps start setting grad mode to it: its TypeError
            grad_mode.set_grad_enabled(differentiable)
        if closure is None:
            return None
        with grad_mode.enable_grad():
            return closure()

    def _params_with_grad(self, group):
        """The group's parameters that received a gradient, as (param, param array, grad array)."""
        found = []
        fused = group.get("fused")
        for p in group["params"]:
            if p.grad is not None:
                grad = p.grad._data
                found.append((p, p._data, as_fused_kernel_pairs(grad, p._data) if fused else grad))
        if found and (group.get("capturable") or group.get("differentiable") or group.get("fused")
                      or self.defaults.get("differentiable")):
            self._check_step_flags(group, found)
        if self._misfit_states:
            for p, _, _ in found:
                if p in self._misfit_states:
                    raise broadcast_error(*self._misfit_states[p])
        return found

    # A loaded state that does not fit its parameter's shape fails at the update, where PyTorch's first in-place
    # op on that state and the gradient does not broadcast: {param: (shape a, shape b)} of that op (set by
    # load_state_dict; nothing to check on the steps of an optimizer that has none).
    _misfit_states = {}
    _grad_first = False  # whether that op is grad.op(state) (Rprop's grad.mul(prev)) rather than state.op_(grad)

    def _misfits(self, state):
        """The (param: shapes) of ``state`` whose first tensor of the parameter's kind (not a 0-d counter or
        product) cannot broadcast with the parameter's shape."""
        misfits = {}
        for param, entries in state.items():
            first = next((v for v in entries.values() if isinstance(v, Tensor) and v.dim()), None) \
                if isinstance(param, Tensor) and isinstance(entries, dict) else None
            if first is not None and first.shape != param.shape:
                shapes = (tuple(param.shape), tuple(first.shape)) if self._grad_first else \
                    (tuple(first.shape), tuple(param.shape))
                if broadcast_error(*shapes) is not None:
                    misfits[param] = shapes
        return misfits

    # PyTorch's CPU errors for ``capturable=True`` name what must be on an accelerator: the for-loop kernel's
    # message, the foreach kernel's, and whether the foreach kernel refuses ``differentiable`` before
    # ``capturable`` (set by each optimizer).
    _capturable_what = "params and state_steps"
    _capturable_devices = (_CAPTURABLE_DEVICES, _CAPTURABLE_DEVICES_NO_XLA)
    _capturable_what_foreach = None
    _foreach_differentiable_first = True
    _foreach_refuses_differentiable = True
    _fused_check_first = False
    _fused_check_fresh = True

    def _check_step_flags(self, group, found):
        """Raise PyTorch's CPU error for a group's ``capturable``/``differentiable``/``fused`` flags, if any.

        On the CPU, PyTorch's ``capturable=True`` fails with an AssertionError (fused Adam excepted), ``foreach``
        refuses ``differentiable`` with another, and ``differentiable=True`` updates in place under autograd,
        which fails for leaves that require grad. Optimizers with a ``_recorded_step`` (SGD, Adam, AdamW,
        Adamax, Adagrad, RMSprop, NAdam, RAdam, Rprop, ASGD, Adadelta) record it as PyTorch does; the others update
        parameters and grads that do not require grad as usual and refuse to record the update in the autograd graph.
        """
        fused, foreach = group.get("fused"), group.get("foreach")
        if fused:
            for param, _, _ in found:
                # SGD and Adagrad check the first parameter they ever update; Adagrad and Adam each new state's
                if self._fused_check_first and getattr(self, "_need_device_dtype_check_for_fused", True):
                    _device_dtype_check_for_fused(param)
                    self._need_device_dtype_check_for_fused = False
                if self._fused_check_fresh and not self.state.get(param):
                    _device_dtype_check_for_fused(param)
            return
        capturable, differentiable = group.get("capturable"), group.get("differentiable")
        foreach_differentiable = foreach and differentiable and self._foreach_refuses_differentiable
        if foreach_differentiable and self._foreach_differentiable_first:
            raise AssertionError("_foreach ops don't support autograd")
        if capturable and "capturable" in self.defaults:  # (a group's key an optimizer has no flag for is ignored)
            raise self._capturable_error(foreach)
        if foreach_differentiable:
            raise AssertionError("_foreach ops don't support autograd")
        if self.defaults.get("differentiable") and not self._records_updates(group):
            # PyTorch's step records gradients when the optimizer's default says so (its decorator reads
            # ``defaults``), whatever the group's own flag: the in-place update of a leaf that requires grad fails
            # (a recorded step's own in-place ops refuse it, a complex parameter's through its real view)
            for param, _, _ in found:
                if param.requires_grad and param.is_leaf:
                    raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            if any(param.requires_grad or param.grad.requires_grad for param, _, _ in found):
                raise RuntimeError("torchless optimizers do not support differentiable=True for parameters or "
                                   "gradients that require grad (the update is not recorded by autograd)")

    @classmethod
    def _capturable_error(cls, foreach):
        """PyTorch's CPU error for ``capturable=True``, of its foreach kernel or its for-loop."""
        what = (cls._capturable_what_foreach or cls._capturable_what) if foreach else cls._capturable_what
        devices = cls._capturable_devices[1 if foreach else 0]
        return AssertionError(f"If capturable=True, {what} must be on supported devices: {devices}.")

    # Whether the optimizer can run PyTorch's for-loop on tensors under autograd (``differentiable=True``), in
    # its ``_recorded_step``
    _records_differentiable_updates = False

    def _records_updates(self, group):
        """Whether ``group``'s step runs PyTorch's for-loop on tensors (see :meth:`_recording`), for an optimizer
        that can: under autograd for ``differentiable=True`` (the optimizer's default, as PyTorch's decorator reads
        it; not with foreach, whose kernels do not record, SGD's excepted), or without recording for a for-loop
        group whose hyperparameters are not all numbers, so that they fail where PyTorch's for-loop meets them."""
        if not self._records_differentiable_updates:
            return False
        if self.defaults.get("differentiable"):
            return not (group.get("foreach") and self._foreach_refuses_differentiable)
        return not (group.get("foreach") or group.get("fused")) and self._malformed_hyperparameters(group)

    def _malformed_hyperparameters(self, group):
        """Whether a hyperparameter of ``group`` whose default is a number (or a pair of numbers, betas) is no real
        number nor a one-element tensor: a string, None, a list or a complex number meets Python's arithmetic or an
        op's parser in PyTorch's for-loop (the fast updates would convert it, or fail in NumPy)."""
        for key, default in self.defaults.items():
            value = group.get(key)
            if value is default or value.__class__ in _PLAIN_SCALARS:  # (the common cases, checked cheaply)
                continue
            if default.__class__ is tuple:
                if value.__class__ in (tuple, list) and not [
                        item for item in value if item.__class__ not in _PLAIN_SCALARS and not _is_real_scalar(item)]:
                    continue
                if any(_is_real_scalar(item) or isinstance(item, Tensor) for item in default):
                    return True
            elif _is_real_scalar(default) and not _is_real_scalar(value):
                return True
        return False

    def _recording(self):
        """The grad mode of PyTorch's for-loop run on tensors: its step sets grad mode to the optimizer's
        ``differentiable`` default."""
        return grad_mode.set_grad_enabled(bool(self.defaults.get("differentiable")))

    def _recorded_states(self, group, fresh_state):
        """For ``_recorded_step``: each parameter of ``group`` with a gradient and its state, a new state holding
        ``step`` and then the entries ``fresh_state(p, g)`` returns, as for :meth:`_steps` (the flags checked first,
        as for any step)."""
        for param, p, g in self._params_with_grad(group):
            state = self.state[param]
            if not state:
                state["step"] = _new_step()
                state.update(fresh_state(p, g))
            yield param, state

    def _step_each_parameter(self, closure, fresh_state):
        """The whole of ``step`` for an optimizer whose update is PyTorch's for-loop over the parameters:
        ``closure`` evaluated, then each group either recorded under autograd by ``_recorded_step``
        (``differentiable=True``) or each of its parameters with a gradient, as :meth:`_steps` yields them, given to
        the optimizer's ``_update(group, p, g, state, step)``."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            if self._records_updates(group):
                self._recorded_step(group)
                continue
            for p, g, state, step in self._steps(group, fresh_state):
                self._update(group, p, g, state, step)
        return loss

    def _steps(self, group, fresh_state):
        """For each parameter of ``group`` with a gradient, (param array, grad array, state, step number) for its
        update, the step counted from 1.

        A parameter's first step gives its state ``step`` and then the entries ``fresh_state(p, g)`` returns (in
        PyTorch's order); the step counter goes up before each update, and the parameter's version after it
        (when the loop asks for the next parameter).
        """
        for param, p, g in self._params_with_grad(group):
            state = self.state[param]
            if not state:
                state["step"] = _new_step(group.get("fused"))
                state.update(fresh_state(p, g))
            step_count = state["step"]._data
            step_count += 1
            yield p, g, state, float(step_count)
            param._version += 1

    def state_dict(self):
        """The optimizer's state as a dict of ``'state'`` and ``'param_groups'``.

        Parameters are replaced by their position in the groups (counting across groups), so the dict holds
        only tensors, numbers and lists: ``{'state': {0: {'momentum_buffer': tensor(...)}, ...},
        'param_groups': [{'lr': 0.01, ..., 'params': [0, 1]}, ...]}``. The state tensors are shared with the
        optimizer, as in PyTorch.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index_of = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            # a parameter listed twice in the group gets the index of its last occurrence, as in PyTorch
            index_of.update({id(p): i for i, p in enumerate(group["params"], start) if id(p) not in index_of})
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(index_of[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Load state produced by :meth:`state_dict` (of an optimizer over parameters of the same shapes).

        Groups are matched by position and must hold as many parameters as the saved ones. Floating-point
        state is cast to its parameter's dtype (``step`` counters excepted); as in PyTorch, a tensor already of
        that dtype is taken as it is, not copied.
        """
        state_dict = state_dict.copy()  # PyTorch's first step: what has no copy() fails with its AttributeError
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        param_of = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                            chain.from_iterable(g["params"] for g in groups)))

        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in param_of:
                param = param_of[key]
                state[param] = _cast_state(param, value, _float32_step(key, state_dict["param_groups"]))
            else:
                state[key] = value

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        self.__setstate__({"state": state, "param_groups": [update_group(g, s) for g, s in zip(groups, saved_groups)]})
        self._misfit_states = self._misfits(self.state)
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)


def _float32_step(param_id, saved_groups):
    """Whether the saved group of parameter ``param_id`` is fused or capturable: its ``step`` then loads as float32."""
    group = next((g for g in saved_groups if param_id in g["params"]), {})
    return bool(group.get("fused", False) or group.get("capturable", False))


def _cast_state(param, value, float32_step, key=None):
    """``value`` with its tensors cast as PyTorch casts loaded state: floating-point state to ``param``'s dtype when
    ``param`` is floating-point, ``step`` kept as it is (or made float32 for fused or capturable groups).

    As PyTorch's ``Tensor.to``, a tensor that needs no cast is the loaded tensor itself, not a copy: an optimizer
    loading another's ``state_dict()`` shares its state tensors, as in PyTorch. Containers are rebuilt.
    """
    if isinstance(value, Tensor):
        if key == "step":
            return value.to(_dtype.float32) if float32_step else value
        return value.to(param.dtype) if param.is_floating_point() else value
    if isinstance(value, dict):
        return {k: _cast_state(param, v, float32_step, key=k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v, float32_step) for v in value)
    return value
