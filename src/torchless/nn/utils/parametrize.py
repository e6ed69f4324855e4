"""``torch.nn.utils.parametrize``: replace a module's parameter or buffer by a function of unconstrained tensors.

As in PyTorch, the module's class is swapped for a generated subclass ``Parametrized<ClassName>`` holding a
property per parametrized tensor, and the unconstrained tensors live in ``module.parametrizations.<name>``
(``original``, or ``original0``, ``original1``... when ``right_inverse`` returns several tensors).
"""
import collections.abc
import copyreg
from contextlib import contextmanager
from copy import deepcopy

from ..._tensor import Tensor
from ...autograd import grad_mode
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized",
           "remove_parametrizations", "type_before_parametrizations", "transfer_parametrizations_and_params"]

_cache_enabled = 0
_cache = {}  # (id(module), tensor name) -> parametrized tensor, while cached() is active


@contextmanager
def cached():
    r"""Within this block, each parametrized tensor is computed once, on first use, and then reused.

    Without it, every read of a parametrized attribute runs its parametrizations again. Inside the block the first
    read stores the result and later reads return that same tensor; leaving the (outermost) block forgets all the
    stored results. Worth it when one forward pass reads the same parametrized tensor many times, as a weight
    shared between layers or the hidden-to-hidden weight of a recurrent layer does at every step:

    .. code-block:: python

        with parametrize.cached():
            output = model(inputs)
    """
    global _cache, _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _register_parameter_or_buffer(module, name, tensor):
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


def _set_data(dest, src):
    """``dest.set_(src)``: ``dest`` takes ``src``'s values while keeping its identity, so that an optimizer
    holding ``dest`` keeps training it."""
    dest._data = src._data
    dest._version += 1


class ParametrizationList(ModuleList):
    r"""The chain of parametrizations on one tensor of a module, together with the unconstrained tensor(s) it maps.

    :func:`register_parametrization` builds it and stores it as ``module.parametrizations[tensor_name]``; calling it
    (no arguments) runs the parametrizations in order and returns the value ``module.<tensor_name>`` reads. The
    unconstrained tensor is its attribute ``original`` when the first parametrization's ``right_inverse`` returns
    one tensor, or when that parametrization has none (the tensor is then kept as it was); it is ``original0``,
    ``original1``, ... when ``right_inverse`` returns a sequence of tensors.

    .. warning::
        Meant to be built by :func:`register_parametrization` only, not directly.

    Args:
        modules (sequence): the parametrizations, in the order they are applied (at least one)
        original (Parameter or Tensor): the parameter or buffer being parametrized; in the one-tensor case it is
            kept as ``original`` (same object, values replaced by ``right_inverse``'s)
        unsafe (bool): skip the check that the chain gives back a tensor of ``original``'s shape and dtype.
            Default: ``False``
    """

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        original_shape, original_dtype = original.shape, original.dtype
        with grad_mode.no_grad():
            new = original
            for module in reversed(self):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass  # then, as without right_inverse, taken to be the identity
        if not isinstance(new, (Tensor, collections.abc.Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                             f"Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if original.dtype != new.dtype:
                raise ValueError("When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                                 f"original.dtype: {original.dtype}\n"
                                 f"right_inverse(original).dtype: {new.dtype}")
            # The original tensor keeps its identity (and so its place in an optimizer) and takes the new values
            with grad_mode.no_grad():
                _set_data(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, original_i in enumerate(new):
                if not isinstance(original_i, Tensor):
                    raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                                     f"Got element {i} of the sequence with type {type(original_i).__name__}.")
                # New tensors: the user adds them to the optimizer (as documented in PyTorch)
                if isinstance(original, Parameter):
                    original_i = Parameter(original_i, original.requires_grad)
                original_i.requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", original_i)
        if not self.unsafe:
            # forward(right_inverse(original)) must be a tensor like original
            Z = self()
            if not isinstance(Z, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(Z).__name__}.")
            if Z.dtype != original_dtype:
                raise ValueError("Registering a parametrization may not change the dtype of the tensor, unless "
                                 "`unsafe` flag is enabled.\n"
                                 f"unparametrized dtype: {original_dtype}\n"
                                 f"parametrized dtype: {Z.dtype}")
            if Z.shape != original_shape:
                raise ValueError("Registering a parametrization may not change the shape of the tensor, unless "
                                 "`unsafe` flag is enabled.\n"
                                 f"unparametrized shape: {original_shape}\n"
                                 f"parametrized shape: {Z.shape}")

    def right_inverse(self, value):
        r"""Set the unconstrained tensor(s) so that the chain evaluates to ``value`` (``module.<name> = value``).

        ``value`` goes through the ``right_inverse`` of each parametrization, last registered first, and the result
        is written, without gradient tracking, into the existing ``original`` (or ``original0``, ``original1``,
        ...) tensors, whose dtypes it must match.

        Args:
            value (Tensor): the value the parametrized tensor should take
        """
        with grad_mode.no_grad():
            for module in reversed(self):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                if value.dtype != self.original.dtype:
                    raise ValueError(f"The tensor returned by `right_inverse` has dtype {value.dtype} "
                                     f"while `original` has dtype {self.original.dtype}")
                _set_data(self.original, value)
                return
            if not isinstance(value, collections.abc.Sequence):
                raise ValueError(f"'right_inverse' must return a sequence of tensors. Got {type(value).__name__}.")
            if len(value) != self.ntensors:
                raise ValueError(f"'right_inverse' must return a sequence of tensors of length {self.ntensors}. "
                                 f"Got a sequence of length {len(value)}.")
            for i, tensor in enumerate(value):
                original_i = getattr(self, f"original{i}")
                if not isinstance(tensor, Tensor):
                    raise ValueError("'right_inverse' must return a sequence of tensors or reference-type opaques. "
                                     f"Got element {i} of type {type(tensor).__name__}.")
                if original_i.dtype != tensor.dtype:
                    raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype {tensor.dtype} "
                                     f"while `original{i}` has dtype {original_i.dtype}")
                _set_data(original_i, tensor)

    def forward(self):
        parametrizations = iter(self._modules.values())
        first = next(parametrizations)
        if self.is_tensor:
            x = first(self.original)
        else:
            x = first(*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in parametrizations:
            x = module(x)
        return x


def _inject_new_class(module):
    """Swap the class of ``module`` for a new subclass ``Parametrized<ClassName>``, where properties can be added
    without touching the other instances of the class."""
    cls = module.__class__

    def default_deepcopy(self, memo):
        # The generated __getstate__ refuses pickling, which copy.deepcopy would otherwise go through
        replica = memo.get(id(self))
        if replica is not None:
            return replica
        replica = self.__new__(self.__class__)
        memo[id(self)] = replica
        replica.__dict__ = deepcopy(self.__dict__, memo)
        for slot in copyreg._slotnames(self.__class__):
            if hasattr(self, slot):
                setattr(replica, slot, deepcopy(getattr(self, slot), memo))
        return replica

    def getstate(self):
        raise RuntimeError("Serialization of parametrized modules is only supported through state_dict(). See:\n"
                           "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
                           "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training")

    namespace = {"__getstate__": getstate}
    if not hasattr(cls, "__deepcopy__"):
        namespace["__deepcopy__"] = default_deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), namespace)


def _inject_property(module, tensor_name):
    """Add to the (generated) class of ``module`` a property ``tensor_name`` that evaluates its parametrizations
    on reading and calls their ``right_inverse`` on assignment."""
    if hasattr(module, tensor_name):
        raise AssertionError(f"Module already has an attribute named '{tensor_name}'")

    def get_parametrized(self):
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(module), tensor_name)
        tensor = _cache.get(key)
        if tensor is None:
            tensor = _cache[key] = parametrization()
        return tensor

    def set_original(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def _check_appended_parametrization(module, tensor_name, parametrization):
    """A parametrization added to a parametrized tensor must map (and right-invert) tensors of its shape and
    dtype to tensors of the same shape and dtype."""
    Y = getattr(module, tensor_name)
    X = parametrization(Y)
    if not isinstance(X, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(X).__name__}.")
    if X.dtype != Y.dtype:
        raise ValueError("Registering a parametrization may not change the dtype of the tensor, unless the `unsafe` "
                         "flag is enabled.\n"
                         f"module.{tensor_name}.dtype: {Y.dtype}\n"
                         f"parametrization(module.{tensor_name}).dtype: {X.dtype}")
    if X.shape != Y.shape:
        raise ValueError("Registering a parametrization may not change the shape of the tensor, unless the `unsafe` "
                         "flag is enabled.\n"
                         f"module.{tensor_name}.shape: {Y.shape}\n"
                         f"parametrization(module.{tensor_name}).shape: {X.shape}")
    if not hasattr(parametrization, "right_inverse"):
        return  # taken to be the identity
    try:
        Z = parametrization.right_inverse(X)
    except NotImplementedError:
        return
    if not isinstance(Z, Tensor):
        raise ValueError(f"parametrization.right_inverse must return a tensor. Got: {type(Z).__name__}")
    if Z.dtype != Y.dtype:
        raise ValueError("The tensor returned by parametrization.right_inverse must have the same dtype as "
                         f"module.{tensor_name}, unless the `unsafe` flag is enabled.\n"
                         f"module.{tensor_name}.dtype: {Y.dtype}\n"
                         f"returned dtype: {Z.dtype}")
    if Z.shape != Y.shape:
        raise ValueError("The tensor returned by parametrization.right_inverse must have the same shape as "
                         f"module.{tensor_name}, unless the `unsafe` flag is enabled.\n"
                         f"module.{tensor_name}.shape: {Y.shape}\n"
                         f"returned shape: {Z.shape}")


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    r"""Make ``module.<tensor_name>`` the output of ``parametrization`` applied to a hidden, unconstrained tensor.

    The parameter or buffer ``tensor_name`` is moved into ``module.parametrizations[tensor_name]`` (a
    :class:`ParametrizationList`, where it is ``original``; but see ``right_inverse`` below), and reading
    ``module.<tensor_name>`` from then on computes ``parametrization(original)``; gradients flow through
    ``parametrization`` back to ``original``, which is what an optimizer trains. Registering more parametrizations
    on the same name chains them: each applies to the output of the ones registered before it.
    ``parametrization`` is put in the module's train or eval mode.

    To do this, the module's class is replaced by a generated subclass, ``Parametrized<ClassName>`` (the other
    instances of the class are unaffected). Such a module can be saved with ``state_dict()`` but not pickled whole.

    ``parametrization`` may define ``right_inverse(X)``, returning a tensor or a sequence of tensors: a way back
    from a value of the parametrized tensor to unconstrained tensor(s) that produce it. It is used twice:

    - when the first parametrization is registered, to compute the unconstrained tensor(s) from the current value.
      One tensor is written into the existing parameter, which thus stays in any optimizer that holds it; a
      sequence becomes new tensors ``original0``, ``original1``, ... (to be added to an optimizer by hand).
      Without ``right_inverse``, or when it raises ``NotImplementedError``, the current tensor is used unchanged;
    - on assignment, ``module.<tensor_name> = X``, through every parametrization on the name, the last registered
      first; all of them must then define it.

    Args:
        module (nn.Module): the module owning the tensor
        tensor_name (str): name of a parameter or buffer of ``module``, or of a tensor already parametrized
        parametrization (nn.Module): the module computing the new value from the unconstrained tensor(s)

    Keyword args:
        unsafe (bool): allow ``parametrization`` to change the shape or dtype of the tensor, and skip the checks
            that it does not. Once set for a name, it stays set for its later parametrizations. Default: ``False``

    Returns:
        Module: ``module``, changed in place

    Raises:
        ValueError: when ``module`` has neither a parameter nor a buffer nor a parametrized tensor ``tensor_name``,
            or (without ``unsafe``) when the checks of shape and dtype fail

    Example::

        >>> class Doubled(nn.Module):
        ...     def forward(self, X):
        ...         return 2 * X
        ...     def right_inverse(self, W):
        ...         return W / 2
        >>> m = nn.Linear(3, 2)
        >>> w = m.weight.detach().clone()
        >>> m = parametrize.register_parametrization(m, "weight", Doubled())
        >>> torchless.allclose(m.weight, w), torchless.allclose(m.parametrizations.weight.original, w / 2)
        (True, True)
        >>> type(m).__name__
        'ParametrizedLinear'
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_appended_parametrization(module, tensor_name, parametrization)
        parametrizations = module.parametrizations[tensor_name]
        parametrizations.append(parametrization)
        parametrizations.unsafe |= unsafe  # unsafe once, unsafe for good
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        # Built before touching the module, so that a failing check leaves it as it was
        parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = parametrizations
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    return module


def is_parametrized(module, tensor_name=None):
    r"""Tell whether ``module`` carries parametrizations, on ``tensor_name`` or, without it, on any tensor.

    Args:
        module (nn.Module): the module to look at
        tensor_name (str, optional): the one tensor to ask about; ``None`` asks about all of them. Default: ``None``

    Returns:
        bool: ``True`` when ``module.parametrizations`` has an entry for ``tensor_name`` (any entry, when it is
        ``None``), ``False`` otherwise
    """
    parametrizations = getattr(module, "parametrizations", None)
    if not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    r"""Undo :func:`register_parametrization` for one tensor: ``module.<tensor_name>`` becomes a plain parameter or
    buffer again, with every parametrization on it dropped.

    What the tensor holds afterwards depends on ``leave_parametrized``:

    - ``True``: the value the parametrizations computed last, frozen. When they worked on a single unconstrained
      tensor, that same tensor object receives the value, so an optimizer that holds it keeps training it; with
      several, a new tensor is made (a parameter if the value requires grad).
    - ``False``: the unconstrained tensor ``original`` itself, as the parametrizations last saw it. Refused when
      there are several unconstrained tensors.

    When the last parametrized tensor of the module goes, ``module.parametrizations`` is deleted and the module
    gets back its own class.

    Args:
        module (nn.Module): the module to change
        tensor_name (str): the parametrized tensor to turn back into a plain one
        leave_parametrized (bool, optional): keep the computed value (``True``) or the unconstrained one
            (``False``). Default: ``True``

    Returns:
        Module: ``module``, changed in place

    Raises:
        ValueError: when ``tensor_name`` is not parametrized, or when ``leave_parametrized=False`` meets several
            unconstrained tensors
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with grad_mode.no_grad():
                _set_data(original, getattr(module, tensor_name))
    elif leave_parametrized:
        # Outside no_grad: whether the result requires grad says whether the originals did
        t = getattr(module, tensor_name)
        original = Parameter(t.detach()) if t.requires_grad else t.detach()
    else:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                         "that is parametrized in terms of a sequence of tensors.")
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module):
    r"""The class ``module`` had before :func:`register_parametrization` swapped it (its class, if never swapped).

    Args:
        module (nn.Module): the module whose own class is wanted
    """
    if is_parametrized(module):
        return module.__class__.__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    r"""Register on ``to_module`` the parametrizations of ``from_module`` (all of them, or those of ``tensor_name``),
    with the tensors they parametrize.

    A tensor ``to_module`` lacks is first created there as a Parameter of ``from_module``'s parametrized value; the
    same parametrization modules are then registered on ``to_module``, whose ``original`` (or ``original0``,
    ``original1``, ...) become those of ``from_module``: both modules then share them.

    Args:
        from_module (nn.Module): the module whose parametrizations are transferred.
        to_module (nn.Module): the module receiving them.
        tensor_name (str, optional): the one parametrized tensor to transfer (default: all of them).

    Returns:
        ``to_module``.
    """
    if is_parametrized(from_module):
        names = from_module.parametrizations if tensor_name is None else [tensor_name]
        for name in names:
            if not hasattr(to_module, name):
                setattr(to_module, name, Parameter(getattr(from_module, name)))
            source = from_module.parametrizations[name]
            for parametrization in source:
                register_parametrization(to_module, name, parametrization)
            target = to_module.parametrizations[name]
            if hasattr(source, "original"):
                target.original = source.original
            else:
                index = 0
                while hasattr(source, f"original{index}"):
                    setattr(target, f"original{index}", getattr(source, f"original{index}"))
                    index += 1
    return to_module
