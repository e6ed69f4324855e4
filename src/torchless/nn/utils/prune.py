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
from .convert_parameters import parameters_to_vector

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]


class BasePruningMethod(ABC):
    """Base class to derive a pruning method from.

    A subclass implements :meth:`compute_mask` (and usually a :meth:`apply` classmethod with its own
    arguments). It sets ``PRUNING_TYPE`` to ``"unstructured"``, ``"structured"`` (and then has a
    ``dim`` attribute) or ``"global"``, which tells :class:`PruningContainer` what part of an already pruned
    tensor the method acts on.
    """

    _tensor_name: str

    def __call__(self, module, inputs):
        """Forward pre-hook: recompute ``module.<name>`` before the forward pass.

        The attribute is set to ``<name>_orig * <name>_mask``, as :meth:`apply_mask` computes it.

        Args:
            module (nn.Module): the module owning the pruned tensor.
            inputs: the forward inputs (ignored).
        """
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """Return the mask this method would apply to ``t``.

        Entries (or channels) already zeroed by ``default_mask`` stay zeroed; the method's rule decides which
        further ones are zeroed.

        Args:
            t (Tensor): importance scores of the tensor being pruned (often the tensor itself).
            default_mask (Tensor): mask left by earlier pruning (all ones for a tensor not pruned yet),
                shaped like ``t``.

        Returns:
            mask (Tensor): the new mask, shaped like ``t``.
        """

    def apply_mask(self, module):
        """Return the pruned tensor, ``module.<name>_orig`` times ``module.<name>_mask``.

        Args:
            module (nn.Module): the module owning the pruned tensor.

        Returns:
            pruned_tensor (Tensor): the original tensor with the masked entries zeroed.
        """
        # _tensor_name is set by apply(): a method never applied fails here with PyTorch's AttributeError
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with a new instance of this method and return that method.

        On the first pruning, the parameter moves to ``<name>_orig``; a buffer ``<name>_mask`` holds the mask, and
        ``<name>`` becomes a plain attribute refreshed by a forward pre-hook before every forward. A tensor
        already pruned gets its methods combined in a :class:`PruningContainer`.

        Args:
            module (nn.Module): the module owning the tensor to prune.
            name (str): name of the parameter of ``module`` to prune.
            args: positional arguments for the method's constructor.
            importance_scores (Tensor): scores, shaped like the parameter, that the mask is computed from
                (larger means more important). If ``None`` (default), the parameter itself is used.
            kwargs: keyword arguments for the method's constructor.
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
        """Return ``t`` times the mask :meth:`compute_mask` gives for it.

        Args:
            t (Tensor): the tensor to prune, shaped like ``default_mask``.
            default_mask (Tensor, optional): mask left by earlier pruning, which limits what this method may
                still prune. Default: ``None`` (all ones).
            importance_scores (Tensor): scores, shaped like ``t``, that the mask is computed from.
                Default: ``None`` (``t`` itself).

        Returns:
            the pruned tensor.
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
        """Make the pruning of ``module.<name>`` permanent.

        ``<name>`` becomes a parameter again, holding the pruned values; the parameter ``<name>_orig`` and the
        buffer ``<name>_mask`` are deleted.

        Note:
            The zeroed entries stay zero: this does not restore the values pruned away.
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
    """Sequence of pruning methods applied one after another to the same tensor.

    Built by :meth:`BasePruningMethod.apply` when a tensor is pruned a second time; each further method only
    acts on what the earlier masks left.

    Args:
        *args: a :class:`BasePruningMethod` (or several, whose ``_tensor_name`` must already be set).
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
        """Append ``method`` to the container.

        Args:
            method (BasePruningMethod): the method to add; it must act on the container's tensor.
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
        """Combine ``default_mask`` with the mask of the last method added.

        That method only sees the part of ``t`` still unpruned, as its ``PRUNING_TYPE`` defines it:

        * ``'unstructured'``: the entries ``default_mask`` keeps, flattened;
        * ``'structured'``: the channels along the method's ``dim`` not fully zeroed yet;
        * ``'global'``: the whole tensor.

        Args:
            t (Tensor): the tensor (or importance scores) being pruned, shaped like ``default_mask``.
            default_mask (Tensor): the mask from the earlier pruning.

        Returns:
            mask (Tensor): ``default_mask`` with the newly pruned entries also zeroed, shaped like ``t``.
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
    """A pruning method that prunes nothing: it sets up the ``_orig``/``_mask`` reparametrization with a mask of
    all ones.
    """

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        """Set up the pruning reparametrization of ``module.<name>`` without zeroing anything.

        Args:
            module (nn.Module): the module owning the tensor.
            name (str): name of the parameter of ``module`` to reparametrize.
        """
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Zero randomly chosen entries of a tensor, among those not pruned yet.

    Args:
        amount (int or float): how many entries to prune: a ``float`` in [0, 1] is a fraction of the entries,
            an ``int`` >= 0 is a count.
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
        """Prune ``module.<name>`` at random, in place, and return the method.

        Args:
            module (nn.Module): the module owning the tensor to prune.
            name (str): name of the parameter of ``module`` to prune.
            amount (int or float): fraction (``float``) or count (``int``) of entries to prune.
        """
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Zero the entries of a tensor with the smallest absolute value, among those not pruned yet.

    Args:
        amount (int or float): how many entries to prune: a ``float`` in [0, 1] is a fraction of the entries,
            an ``int`` >= 0 is a count.
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
        """Prune the smallest-magnitude entries of ``module.<name>``, in place, and return the method.

        Args:
            module (nn.Module): the module owning the tensor to prune.
            name (str): name of the parameter of ``module`` to prune.
            amount (int or float): fraction (``float``) or count (``int``) of entries to prune.
            importance_scores (Tensor): scores, shaped like the parameter, ranked in its place.
                Default: ``None`` (the parameter itself).
        """
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Zero whole channels of a tensor chosen at random, among those not pruned yet.

    Args:
        amount (int or float): how many channels to prune: a ``float`` in [0, 1] is a fraction of the channels,
            an ``int`` >= 0 is a count.
        dim (int, optional): the dimension whose slices are the channels. Default: -1.
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        """Return ``default_mask`` with ``amount`` randomly chosen channels along ``dim`` also zeroed.

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
        """Prune random channels of ``module.<name>``, in place, and return the method.

        Args:
            module (nn.Module): the module owning the tensor to prune.
            name (str): name of the parameter of ``module`` to prune.
            amount (int or float): fraction (``float``) or count (``int``) of channels to prune.
            dim (int, optional): the dimension whose slices are the channels. Default: -1.
        """
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    r"""Zero the whole channels of a tensor with the smallest L\ ``n``-norm, among those not pruned yet.

    Args:
        amount (int or float): how many channels to prune: a ``float`` in [0, 1] is a fraction of the channels,
            an ``int`` >= 0 is a count.
        n (int, float, inf, -inf, 'fro', 'nuc'): the order of the norm, any ``p`` that
            :func:`torchless.norm` accepts.
        dim (int, optional): the dimension whose slices are the channels. Default: -1.
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        r"""Return ``default_mask`` with the ``amount`` channels along ``dim`` of smallest L\ ``n``-norm also zeroed.

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
        r"""Prune the channels of ``module.<name>`` with the smallest L\ ``n``-norm, in place, and return the method.

        Args:
            module (nn.Module): the module owning the tensor to prune.
            name (str): name of the parameter of ``module`` to prune.
            amount (int or float): fraction (``float``) or count (``int``) of channels to prune.
            n (int, float, inf, -inf, 'fro', 'nuc'): the order of the norm, as ``p`` of :func:`torchless.norm`.
            dim (int): the dimension whose slices are the channels.
            importance_scores (Tensor): scores, shaped like the parameter, whose channel norms are ranked in its
                place. Default: ``None`` (the parameter itself).
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
        """Prune ``module.<name>`` with the given mask, in place, and return the method.

        Args:
            module (nn.Module): the module owning the tensor to prune.
            name (str): name of the parameter of ``module`` to prune.
            mask (Tensor): binary mask, shaped like the parameter (0 prunes an entry).
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
    """Set up the pruning reparametrization of ``module.<name>`` without pruning anything.

    ``module`` is changed in place and returned:

    1) a buffer ``<name>_mask`` holds the mask (here all ones);
    2) the parameter moves to ``<name>_orig``, and ``<name>`` becomes the masked tensor
       ``<name>_orig * <name>_mask``, recomputed before every forward.

    Args:
        module (nn.Module): the module owning the tensor.
        name (str): name of the parameter of ``module`` to reparametrize.

    Returns:
        module (nn.Module): ``module`` itself, now pruned.

    Examples:
        >>> m = prune.identity(nn.Linear(2, 3), "bias")
        >>> print(m.bias_mask)
        tensor([1., 1., 1.])
    """
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` randomly chosen entries of ``module.<name>`` (among those not pruned yet).

    ``module`` is changed in place, as with :func:`identity`, and returned; the mask zeroes the chosen
    entries.

    Args:
        module (nn.Module): the module owning the tensor to prune.
        name (str): name of the parameter of ``module`` to prune.
        amount (int or float): how many entries to prune: a ``float`` in [0, 1] is a fraction of the entries,
            an ``int`` >= 0 is a count.

    Returns:
        module (nn.Module): ``module`` itself, now pruned.

    Examples:
        >>> m = prune.random_unstructured(nn.Linear(2, 3), "weight", amount=1)
        >>> torchless.sum(m.weight_mask == 0)
        tensor(1)
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` entries of ``module.<name>`` with the smallest absolute value (among those not pruned
    yet).

    ``module`` is changed in place, as with :func:`identity`, and returned; the mask zeroes the chosen
    entries.

    Args:
        module (nn.Module): the module owning the tensor to prune.
        name (str): name of the parameter of ``module`` to prune.
        amount (int or float): how many entries to prune: a ``float`` in [0, 1] is a fraction of the entries,
            an ``int`` >= 0 is a count.
        importance_scores (Tensor): scores, shaped like the parameter, ranked in its place.
            Default: ``None`` (the parameter itself).

    Returns:
        module (nn.Module): ``module`` itself, now pruned.

    Examples:
        >>> m = prune.l1_unstructured(nn.Linear(2, 3), "weight", amount=0.2)
        >>> m.state_dict().keys()
        odict_keys(['bias', 'weight_orig', 'weight_mask'])
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` randomly chosen channels of ``module.<name>`` along ``dim`` (among those not pruned yet).

    ``module`` is changed in place, as with :func:`identity`, and returned; the mask zeroes the chosen
    channels.

    Args:
        module (nn.Module): the module owning the tensor to prune.
        name (str): name of the parameter of ``module`` to prune.
        amount (int or float): how many channels to prune: a ``float`` in [0, 1] is a fraction of the
            channels, an ``int`` >= 0 is a count.
        dim (int): the dimension whose slices are the channels.

    Returns:
        module (nn.Module): ``module`` itself, now pruned.

    Examples:
        >>> m = prune.random_structured(nn.Linear(5, 3), "weight", amount=3, dim=1)
        >>> columns_pruned = int(sum(torchless.sum(m.weight, dim=0) == 0))
        >>> print(columns_pruned)
        3
    """
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    r"""Prune the ``amount`` channels of ``module.<name>`` along ``dim`` with the smallest L\ ``n``-norm (among
    those not pruned yet).

    ``module`` is changed in place, as with :func:`identity`, and returned; the mask zeroes the chosen
    channels.

    Args:
        module (nn.Module): the module owning the tensor to prune.
        name (str): name of the parameter of ``module`` to prune.
        amount (int or float): how many channels to prune: a ``float`` in [0, 1] is a fraction of the
            channels, an ``int`` >= 0 is a count.
        n (int, float, inf, -inf, 'fro', 'nuc'): the order of the norm, any ``p`` that
            :func:`torchless.norm` accepts.
        dim (int): the dimension whose slices are the channels.
        importance_scores (Tensor): scores, shaped like the parameter, whose channel norms are ranked in its
            place. Default: ``None`` (the parameter itself).

    Returns:
        module (nn.Module): ``module`` itself, now pruned.

    Examples:
        >>> m = prune.ln_structured(nn.Conv2d(5, 3, 2), "weight", amount=0.3, dim=1, n=float("-inf"))
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune several tensors together, ranking all their entries as one with ``pruning_method``.

    The entries to prune are chosen across all the tensors at once (so one tensor may lose more than another);
    each tensor is then pruned with its slice of the mask, by :func:`custom_from_mask`.

    Args:
        parameters (Iterable of (module, name) tuples): the parameters to prune together; ``module`` is an
            :class:`nn.Module` and ``name`` a string.
        pruning_method (function): a pruning method class, from this module or user-defined, whose
            ``PRUNING_TYPE`` is ``'unstructured'``.
        importance_scores (dict): maps ``(module, name)`` to a scores tensor shaped like that parameter,
            ranked in its place. A parameter missing from it (or ``None``, the default) uses its own values.
        kwargs: arguments for ``pruning_method``, such as
            amount (int or float): how many entries to prune over all the parameters: a ``float`` in [0, 1]
            is a fraction, an ``int`` >= 0 is a count.

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
    """Prune ``module.<name>`` with a mask computed beforehand.

    ``module`` is changed in place, as with :func:`identity`, and returned.

    Args:
        module (nn.Module): the module owning the tensor to prune.
        name (str): name of the parameter of ``module`` to prune.
        mask (Tensor): binary mask, shaped like the parameter (0 prunes an entry).

    Returns:
        module (nn.Module): ``module`` itself, now pruned.

    Examples:
        >>> m = prune.custom_from_mask(nn.Linear(5, 3), name="bias", mask=torchless.tensor([0, 1, 0]))
        >>> print(m.bias_mask)
        tensor([0., 1., 0.])
    """
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent and drop its forward pre-hook.

    ``<name>`` becomes a parameter again, holding the pruned values; the parameter ``<name>_orig`` and the
    buffer ``<name>_mask`` are deleted.

    Note:
        The zeroed entries stay zero: this does not restore the values pruned away.

    Args:
        module (nn.Module): the module owning the pruned tensor.
        name (str): name of the pruned parameter.

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
    """Tell whether ``module`` or any of its submodules has a tensor pruned.

    A module counts as pruned when one of its modules has a :class:`BasePruningMethod` among its forward
    pre-hooks.

    Args:
        module (nn.Module): the module to inspect.

    Returns:
        ``True`` if something in ``module`` is pruned, ``False`` otherwise.

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
