r"""``torch.nn.utils.prune``: pruning methods.

Pruning ``module.<name>`` moves the parameter to ``<name>_orig``, adds a buffer ``<name>_mask`` (ones where
entries are kept) and makes ``<name>`` a plain attribute, ``<name>_orig * <name>_mask``, recomputed by a
forward pre-hook (the pruning method itself) before every forward. Pruning the same tensor again combines the
masks through a :class:`PruningContainer`; :func:`remove` makes the pruning permanent.

Masks are computed with torchless's own operations, as PyTorch computes them with its own: the L1 and Ln
methods keep the same entries as PyTorch's when the magnitudes have no ties (see :meth:`L1Unstructured.compute_mask`),
and the random methods draw from torchless's generator.
"""
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ... import _creation
from ..._tensor import Tensor
from .convert_parameters import parameters_to_vector

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]


class BasePruningMethod(ABC):
    r"""Abstract base class for creation of new pruning techniques.

    Provides a skeleton for customization requiring the overriding of methods such as :meth:`compute_mask`
    and :meth:`apply`. A subclass sets ``PRUNING_TYPE`` to ``"unstructured"``, ``"structured"`` (and then has a
    ``dim`` attribute) or ``"global"``, which tells :class:`PruningContainer` what part of an already pruned
    tensor the method acts on.
    """

    _tensor_name: str

    def __call__(self, module, inputs):
        r"""Multiply the mask into original tensor and store the result.

        Multiplies the mask (stored in ``module[name + '_mask']``) into the original tensor (stored in
        ``module[name + '_orig']``) and stores the result into ``module[name]`` by using :meth:`apply_mask`.

        Args:
            module (nn.Module): module containing the tensor to prune
            inputs: not used.
        """
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        r"""Compute and returns a mask for the input tensor ``t``.

        Starting from a base ``default_mask`` (which should be a mask of ones if the tensor has not been pruned
        yet), generate a mask to apply on top of the ``default_mask`` according to the specific pruning method
        recipe.

        Args:
            t (Tensor): tensor representing the importance scores of the parameter to prune.
            default_mask (Tensor): Base mask from previous pruning iterations, that need to be respected after
                the new mask is applied. Same dims as ``t``.

        Returns:
            mask (Tensor): mask to apply to ``t``, of same dims as ``t``
        """

    def apply_mask(self, module):
        r"""Simply handles the multiplication between the parameter being pruned and the generated mask.

        Fetches the mask and the original tensor from the module and returns the pruned version of the tensor.

        Args:
            module (nn.Module): module containing the tensor to prune

        Returns:
            pruned_tensor (Tensor): pruned version of the input tensor
        """
        # _tensor_name is set by apply(): a method never applied fails here with PyTorch's AttributeError
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        r"""Add pruning on the fly and reparameterization of a tensor.

        Adds the forward pre-hook that enables pruning on the fly and the reparameterization of a tensor in
        terms of the original tensor and the pruning mask.

        Args:
            module (nn.Module): module containing the tensor to prune
            name (str): parameter name within ``module`` on which pruning will act.
            args: arguments passed on to a subclass of :class:`BasePruningMethod`
            importance_scores (Tensor): tensor of importance scores (of same shape as module parameter) used to
                compute mask for pruning. The values in this tensor indicate the importance of the
                corresponding elements in the parameter being pruned. If unspecified or None, the parameter
                will be used in its place.
            kwargs: keyword arguments passed on to a subclass of a :class:`BasePruningMethod`
        """
        method = _combined_method(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(f"importance_scores should have the same shape as parameter {name} of "
                                     f"{module}, got {importance_scores.shape} vs {orig.shape}")
        else:
            importance_scores = orig

        first_pruning = not isinstance(method, PruningContainer)
        if first_pruning:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = _creation.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()

        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            # a failed first pruning gives the module its parameter back (a container keeps its state as it is)
            if first_pruning:
                module.register_parameter(name, getattr(module, name + "_orig"))
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        r"""Compute and returns a pruned version of input tensor ``t``.

        According to the pruning rule specified in :meth:`compute_mask`.

        Args:
            t (Tensor): tensor to prune (of same dimensions as ``default_mask``).
            importance_scores (Tensor): tensor of importance scores (of same shape as ``t``) used to compute
                mask for pruning ``t``. If unspecified or None, the tensor ``t`` will be used in its place.
            default_mask (Tensor, optional): mask from previous pruning iteration, if any. To be considered
                when determining what portion of the tensor that pruning should act on. If None, default to a
                mask of ones.

        Returns:
            pruned version of tensor ``t``.
        """
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError("importance_scores should have the same shape as tensor t, "
                                     f"got {importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else _creation.ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        r"""Remove the pruning reparameterization from a module.

        The pruned parameter named ``name`` remains permanently pruned, and the parameter named
        ``name+'_orig'`` is removed from the parameter list. Similarly, the buffer named ``name+'_mask'`` is
        removed from the buffers.

        Note:
            Pruning itself is NOT undone or reversed!
        """
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        # the original Parameter object stays (optimizers hold it), now holding the pruned values
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _combined_method(cls, module, name, *args, **kwargs):
    """A new ``cls(*args, **kwargs)`` acting on ``module.<name>``, combined in a :class:`PruningContainer` with
    the method already pruning that tensor, if any (whose forward pre-hook is removed)."""
    old_keys = [key for key, hook in module._forward_pre_hooks.items()
                if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    if len(old_keys) > 1:
        raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}. "
                             "Use a PruningContainer.")
    old_method = module._forward_pre_hooks[old_keys[0]] if old_keys else None
    for key in old_keys:
        del module._forward_pre_hooks[key]

    method = cls(*args, **kwargs)
    method._tensor_name = name
    if isinstance(old_method, PruningContainer):
        old_method.add_pruning_method(method)
        return old_method
    if old_method is not None:
        container = PruningContainer(old_method)
        container.add_pruning_method(method)
        return container
    return method


class PruningContainer(BasePruningMethod):
    """Container holding a sequence of pruning methods for iterative pruning.

    Keeps track of the order in which pruning methods are applied and handles combining successive pruning
    calls.

    Accepts as argument an instance of a BasePruningMethod or an iterable of them.
    """

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            # as in PyTorch, the methods are only accepted once _tensor_name has been set by hand
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        r"""Add a child pruning ``method`` to the container.

        Args:
            method (subclass of BasePruningMethod): child pruning method to be added to the container.
        """
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' "
                             f"to PruningContainer {self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        r"""Apply the latest ``method`` by computing the new partial masks and returning its combination with
        the ``default_mask``.

        The new partial mask is computed on the entries or channels that were not zeroed out by the
        ``default_mask``. Which portions of the tensor ``t`` the new mask will be calculated from depends on
        the ``PRUNING_TYPE`` of the method:

        * for 'unstructured', the mask will be computed from the raveled list of nonmasked entries;
        * for 'structured', the mask will be computed from the nonmasked channels in the tensor;
        * for 'global', the mask will be computed across all entries.

        Args:
            t (Tensor): tensor representing the parameter to prune (of same dimensions as ``default_mask``).
            default_mask (Tensor): mask from previous pruning iteration.

        Returns:
            mask (Tensor): new mask that combines the effects of the ``default_mask`` and the new mask from the
            current pruning ``method`` (of same dimensions as ``default_mask`` and ``t``).
        """
        method = self._pruning_methods[-1]
        # .to() of the same dtype returns default_mask itself, which PyTorch then updates in place
        new_mask = default_mask.to(dtype=t.dtype)
        slc = _unpruned_part(method, t, default_mask)
        partial_mask = method.compute_mask(t[slc], default_mask=default_mask[slc])
        new_mask[slc] = partial_mask.to(dtype=new_mask.dtype)
        return new_mask


def _unpruned_part(method, t, mask):
    """The index of the part of ``t`` that ``method`` prunes further: the entries ``mask`` keeps (unstructured),
    the channels along ``method.dim`` it has not fully pruned (structured), or everything (global)."""
    if method.PRUNING_TYPE == "unstructured":
        return mask == 1
    if method.PRUNING_TYPE == "structured":
        if not hasattr(method, "dim"):
            raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute `dim` '
                                 "defined.")
        n_dims = t.dim()
        dim = method.dim + n_dims if method.dim < 0 else method.dim
        if dim < 0:
            raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
        keep_channel = mask.sum(dim=[d for d in range(n_dims) if d != dim]) != 0
        slc = [slice(None)] * n_dims
        slc[dim] = keep_channel
        return tuple(slc)
    if method.PRUNING_TYPE == "global":
        return (slice(None),) * len(t.shape)
    raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")


class Identity(BasePruningMethod):
    r"""Utility pruning method that does not prune any units but generates the pruning parametrization with a
    mask of ones."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        r"""Add pruning on the fly and reparameterization of a tensor.

        Args:
            module (nn.Module): module containing the tensor to prune
            name (str): parameter name within ``module`` on which pruning will act.
        """
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    r"""Prune (currently unpruned) units in a tensor at random.

    Args:
        amount (int or float): quantity of parameters to prune. If ``float``, should be between 0.0 and 1.0
            and represent the fraction of parameters to prune. If ``int``, it represents the absolute number
            of parameters to prune.
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        nparams_toprune = _nparams_toprune(self.amount, t.nelement())
        if nparams_toprune != 0:
            scores = _creation.rand_like(t)
            mask.view(-1)[scores.view(-1).topk(nparams_toprune).indices] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount):
        r"""Add pruning on the fly and reparameterization of a tensor.

        Args:
            module (nn.Module): module containing the tensor to prune
            name (str): parameter name within ``module`` on which pruning will act.
            amount (int or float): quantity of parameters to prune (a fraction if ``float``, a number if
                ``int``).
        """
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    r"""Prune (currently unpruned) units in a tensor by zeroing out the ones with the lowest L1-norm.

    Args:
        amount (int or float): quantity of parameters to prune. If ``float``, should be between 0.0 and 1.0
            and represent the fraction of parameters to prune. If ``int``, it represents the absolute number
            of parameters to prune.
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        """The ``default_mask`` with the ``amount`` entries of smallest magnitude in ``t`` also zeroed.

        Entries of equal magnitude are taken in the order of :meth:`Tensor.topk` (the first ones first);
        PyTorch's CPU selection algorithm may take others among them.
        """
        mask = default_mask.clone()
        nparams_toprune = _nparams_toprune(self.amount, t.nelement())
        if nparams_toprune != 0:
            mask.view(-1)[t.abs().view(-1).topk(nparams_toprune, largest=False).indices] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        r"""Add pruning on the fly and reparameterization of a tensor.

        Args:
            module (nn.Module): module containing the tensor to prune
            name (str): parameter name within ``module`` on which pruning will act.
            amount (int or float): quantity of parameters to prune (a fraction if ``float``, a number if
                ``int``).
            importance_scores (Tensor): tensor of importance scores (of same shape as module parameter) used to
                compute mask for pruning. If unspecified or None, the module parameter will be used in its
                place.
        """
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    r"""Prune entire (currently unpruned) channels in a tensor at random.

    Args:
        amount (int or float): quantity of channels to prune. If ``float``, should be between 0.0 and 1.0 and
            represent the fraction of channels to prune. If ``int``, it represents the absolute number of
            channels to prune.
        dim (int, optional): index of the dim along which we define channels to prune. Default: -1.
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        r"""Compute and returns a mask for the input tensor ``t``, zeroing out random channels along ``dim`` on
        top of ``default_mask``.

        Raises:
            IndexError: if ``self.dim >= len(t.shape)``
        """
        nchannels, nchannels_toprune = _structured_sizes(t, self.dim, self.amount)
        if nchannels_toprune == 0:
            return default_mask
        scores = _creation.rand(nchannels)
        # the channels drawing the k smallest scores are pruned
        threshold = scores.kthvalue(k=nchannels_toprune).values
        mask = _channel_mask(t, self.dim, scores > threshold)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        r"""Add pruning on the fly and reparameterization of a tensor.

        Args:
            module (nn.Module): module containing the tensor to prune
            name (str): parameter name within ``module`` on which pruning will act.
            amount (int or float): quantity of channels to prune (a fraction if ``float``, a number if ``int``).
            dim (int, optional): index of the dim along which we define channels to prune. Default: -1.
        """
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    r"""Prune entire (currently unpruned) channels in a tensor based on their L\ ``n``-norm.

    Args:
        amount (int or float): quantity of channels to prune. If ``float``, should be between 0.0 and 1.0 and
            represent the fraction of channels to prune. If ``int``, it represents the absolute number of
            channels to prune.
        n (int, float, inf, -inf, 'fro', 'nuc'): See documentation of valid entries for argument ``p`` in
            :func:`torchless.norm`.
        dim (int, optional): index of the dim along which we define channels to prune. Default: -1.
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        r"""Compute and returns a mask for the input tensor ``t``, zeroing out the channels along ``dim`` of
        lowest L\ ``n``-norm on top of ``default_mask``.

        Raises:
            IndexError: if ``self.dim >= len(t.shape)``
        """
        nchannels, nchannels_toprune = _structured_sizes(t, self.dim, self.amount)
        dim = self.dim + t.dim() if self.dim < 0 else self.dim
        norm = t.norm(p=self.n, dim=[d for d in range(t.dim()) if d != dim])
        kept = norm.topk(nchannels - nchannels_toprune, largest=True).indices
        if nchannels_toprune == 0:
            return default_mask
        mask = _channel_mask(t, self.dim, kept)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        r"""Add pruning on the fly and reparameterization of a tensor.

        Args:
            module (nn.Module): module containing the tensor to prune
            name (str): parameter name within ``module`` on which pruning will act.
            amount (int or float): quantity of channels to prune (a fraction if ``float``, a number if ``int``).
            n (int, float, inf, -inf, 'fro', 'nuc'): See documentation of valid entries for argument ``p`` in
                :func:`torchless.norm`.
            dim (int): index of the dim along which we define channels to prune.
            importance_scores (Tensor): tensor of importance scores (of same shape as module parameter) used to
                compute mask for pruning. If unspecified or None, the module parameter will be used in its
                place.
        """
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prune with a mask given in advance (``PRUNING_TYPE = "global"``).

    Args:
        mask (Tensor): binary mask, of the shape of the tensor to prune.
    """

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match self.mask shape "
                                 f"{self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        r"""Add pruning on the fly and reparameterization of a tensor.

        Args:
            module (nn.Module): module containing the tensor to prune
            name (str): parameter name within ``module`` on which pruning will act.
            mask (Tensor): binary mask to be applied to the parameter.
        """
        return super().apply(module, name, mask=mask)


def _channel_mask(t, dim, channels):
    """A mask shaped like ``t``: ones in the ``channels`` (indices or booleans) along ``dim``, zeros elsewhere."""
    mask = _creation.zeros_like(t)
    slc = [slice(None)] * len(t.shape)
    slc[dim] = channels
    mask[tuple(slc)] = 1
    return mask


def _structured_sizes(t, dim, amount):
    """The number of channels of ``t`` along ``dim`` and how many of them ``amount`` prunes, with PyTorch's
    checks in its order."""
    _validate_structured_pruning(t)
    _validate_pruning_dim(t, dim)
    nchannels = t.shape[dim]
    return nchannels, _nparams_toprune(amount, nchannels)


def _nparams_toprune(amount, tensor_size):
    """How many of ``tensor_size`` units ``amount`` prunes (a count, or a fraction rounded half to even), checked
    not to exceed ``tensor_size``."""
    nparams = amount if isinstance(amount, numbers.Integral) else round(amount * tensor_size)
    if isinstance(nparams, numbers.Integral) and nparams > tensor_size:
        raise ValueError(f"amount={nparams} should be smaller than the number of parameters to "
                         f"prune={tensor_size}")
    return nparams


def _validate_pruning_amount_init(amount):
    """Check ``amount`` when a method is built: a real number, either an int >= 0 or a float in [0, 1]."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _validate_structured_pruning(t):
    """Channels only make sense for a tensor of two or more dimensions."""
    shape = t.shape
    if len(shape) <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. Found tensor of "
                         f"shape {shape} with {len(shape)} dims")


def _validate_pruning_dim(t, dim):
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")


def identity(module, name):
    r"""Apply pruning reparameterization without pruning any units.

    Applies pruning reparameterization to the tensor corresponding to the parameter called ``name`` in
    ``module`` without actually pruning any units. Modifies module in place (and also return the modified
    module) by:

    1) adding a named buffer called ``name+'_mask'`` corresponding to the binary mask applied to the parameter
       ``name`` by the pruning method.
    2) replacing the parameter ``name`` by its pruned version, while the original (unpruned) parameter is
       stored in a new parameter named ``name+'_orig'``.

    Note:
        The mask is a tensor of ones.

    Args:
        module (nn.Module): module containing the tensor to prune.
        name (str): parameter name within ``module`` on which pruning will act.

    Returns:
        module (nn.Module): modified (i.e. pruned) version of the input module

    Examples:
        >>> m = prune.identity(nn.Linear(2, 3), "bias")
        >>> print(m.bias_mask)
        tensor([1., 1., 1.])
    """
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    r"""Prune tensor by removing random (currently unpruned) units.

    Prunes tensor corresponding to parameter called ``name`` in ``module`` by removing the specified
    ``amount`` of (currently unpruned) units selected at random. Modifies module in place (and also return the
    modified module) as :func:`identity` does, with a mask zeroing the pruned units.

    Args:
        module (nn.Module): module containing the tensor to prune
        name (str): parameter name within ``module`` on which pruning will act.
        amount (int or float): quantity of parameters to prune. If ``float``, should be between 0.0 and 1.0
            and represent the fraction of parameters to prune. If ``int``, it represents the absolute number
            of parameters to prune.

    Returns:
        module (nn.Module): modified (i.e. pruned) version of the input module

    Examples:
        >>> m = prune.random_unstructured(nn.Linear(2, 3), "weight", amount=1)
        >>> torchless.sum(m.weight_mask == 0)
        tensor(1)
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    r"""Prune tensor by removing units with the lowest L1-norm.

    Prunes tensor corresponding to parameter called ``name`` in ``module`` by removing the specified `amount`
    of (currently unpruned) units with the lowest L1-norm. Modifies module in place (and also return the
    modified module) as :func:`identity` does, with a mask zeroing the pruned units.

    Args:
        module (nn.Module): module containing the tensor to prune
        name (str): parameter name within ``module`` on which pruning will act.
        amount (int or float): quantity of parameters to prune. If ``float``, should be between 0.0 and 1.0
            and represent the fraction of parameters to prune. If ``int``, it represents the absolute number
            of parameters to prune.
        importance_scores (Tensor): tensor of importance scores (of same shape as module parameter) used to
            compute mask for pruning. If unspecified or None, the module parameter will be used in its place.

    Returns:
        module (nn.Module): modified (i.e. pruned) version of the input module

    Examples:
        >>> m = prune.l1_unstructured(nn.Linear(2, 3), "weight", amount=0.2)
        >>> m.state_dict().keys()
        odict_keys(['bias', 'weight_orig', 'weight_mask'])
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    r"""Prune tensor by removing random channels along the specified dimension.

    Prunes tensor corresponding to parameter called ``name`` in ``module`` by removing the specified
    ``amount`` of (currently unpruned) channels along the specified ``dim`` selected at random. Modifies module
    in place (and also return the modified module) as :func:`identity` does, with a mask zeroing the pruned
    channels.

    Args:
        module (nn.Module): module containing the tensor to prune
        name (str): parameter name within ``module`` on which pruning will act.
        amount (int or float): quantity of channels to prune. If ``float``, should be between 0.0 and 1.0 and
            represent the fraction of channels to prune. If ``int``, it represents the absolute number of
            channels to prune.
        dim (int): index of the dim along which we define channels to prune.

    Returns:
        module (nn.Module): modified (i.e. pruned) version of the input module

    Examples:
        >>> m = prune.random_structured(nn.Linear(5, 3), "weight", amount=3, dim=1)
        >>> columns_pruned = int(sum(torchless.sum(m.weight, dim=0) == 0))
        >>> print(columns_pruned)
        3
    """
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    r"""Prune tensor by removing channels with the lowest L\ ``n``-norm along the specified dimension.

    Prunes tensor corresponding to parameter called ``name`` in ``module`` by removing the specified
    ``amount`` of (currently unpruned) channels along the specified ``dim`` with the lowest L\ ``n``-norm.
    Modifies module in place (and also return the modified module) as :func:`identity` does, with a mask
    zeroing the pruned channels.

    Args:
        module (nn.Module): module containing the tensor to prune
        name (str): parameter name within ``module`` on which pruning will act.
        amount (int or float): quantity of channels to prune. If ``float``, should be between 0.0 and 1.0 and
            represent the fraction of channels to prune. If ``int``, it represents the absolute number of
            channels to prune.
        n (int, float, inf, -inf, 'fro', 'nuc'): See documentation of valid entries for argument ``p`` in
            :func:`torchless.norm`.
        dim (int): index of the dim along which we define channels to prune.
        importance_scores (Tensor): tensor of importance scores (of same shape as module parameter) used to
            compute mask for pruning. If unspecified or None, the module parameter will be used in its place.

    Returns:
        module (nn.Module): modified (i.e. pruned) version of the input module

    Examples:
        >>> m = prune.ln_structured(nn.Conv2d(5, 3, 2), "weight", amount=0.3, dim=1, n=float("-inf"))
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    r"""Globally prunes tensors corresponding to all parameters in ``parameters`` by applying the specified
    ``pruning_method``.

    The units to prune are chosen across all the tensors at once; each tensor is then pruned with its part of
    the mask, by :func:`custom_from_mask`.

    Args:
        parameters (Iterable of (module, name) tuples): parameters of the model to prune in a global fashion,
            i.e. by aggregating all weights prior to deciding which ones to prune. module must be of type
            :class:`nn.Module`, and name must be a string.
        pruning_method (function): a valid pruning function from this module, or a custom one implemented by
            the user that satisfies the implementation guidelines and has ``PRUNING_TYPE='unstructured'``.
        importance_scores (dict): a dictionary mapping (module, name) tuples to the corresponding parameter's
            importance scores tensor. The tensor should be the same shape as the parameter, and is used for
            computing mask for pruning. If unspecified or None, the parameter will be used in place of its
            importance scores.
        kwargs: other keyword arguments such as:
            amount (int or float): quantity of parameters to prune across the specified parameters. If
            ``float``, should be between 0.0 and 1.0 and represent the fraction of parameters to prune. If
            ``int``, it represents the absolute number of parameters to prune.

    Raises:
        TypeError: if ``PRUNING_TYPE != 'unstructured'``

    Examples:
        >>> parameters_to_prune = ((net.first, "weight"), (net.second, "weight"))
        >>> prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=10)
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")

    scores = parameters_to_vector([importance_scores.get((module, name), getattr(module, name))
                                   for module, name in parameters])
    default_mask = parameters_to_vector([getattr(module, name + "_mask", _creation.ones_like(getattr(module, name)))
                                         for module, name in parameters])

    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = container.compute_mask(scores, default_mask)

    pointer = 0
    for module, name in parameters:
        param = getattr(module, name)
        num_param = param.numel()
        custom_from_mask(module, name, mask=final_mask[pointer:pointer + num_param].view_as(param))
        pointer += num_param


def custom_from_mask(module, name, mask):
    r"""Prune tensor corresponding to parameter called ``name`` in ``module`` by applying the pre-computed mask
    in ``mask``.

    Modifies module in place (and also return the modified module) as :func:`identity` does.

    Args:
        module (nn.Module): module containing the tensor to prune
        name (str): parameter name within ``module`` on which pruning will act.
        mask (Tensor): binary mask to be applied to the parameter.

    Returns:
        module (nn.Module): modified (i.e. pruned) version of the input module

    Examples:
        >>> m = prune.custom_from_mask(nn.Linear(5, 3), name="bias", mask=torchless.tensor([0, 1, 0]))
        >>> print(m.bias_mask)
        tensor([0., 1., 0.])
    """
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    r"""Remove the pruning reparameterization from a module and the pruning method from the forward hook.

    The pruned parameter named ``name`` remains permanently pruned, and the parameter named ``name+'_orig'`` is
    removed from the parameter list. Similarly, the buffer named ``name+'_mask'`` is removed from the buffers.

    Note:
        Pruning itself is NOT undone or reversed!

    Args:
        module (nn.Module): module containing the tensor to prune
        name (str): parameter name within ``module`` on which pruning will act.

    Examples:
        >>> m = random_unstructured(nn.Linear(5, 7), name="weight", amount=0.2)
        >>> m = remove(m, name="weight")
    """
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    r"""Check if a module is pruned by looking for pruning pre-hooks.

    Check whether ``module`` is pruned by looking for ``forward_pre_hooks`` in its modules that inherit from
    the :class:`BasePruningMethod`.

    Args:
        module (nn.Module): object that is either pruned or unpruned

    Returns:
        binary answer to whether ``module`` is pruned.

    Examples:
        >>> m = nn.Linear(5, 7)
        >>> print(prune.is_pruned(m))
        False
        >>> prune.random_unstructured(m, name="weight", amount=0.2)
        >>> print(prune.is_pruned(m))
        True
    """
    return any(isinstance(hook, BasePruningMethod)
               for _, submodule in module.named_modules() for hook in submodule._forward_pre_hooks.values())
