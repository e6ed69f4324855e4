r"""The hook-based ``torch.nn.utils.spectral_norm`` (Spectral Normalization, https://arxiv.org/abs/1802.05957):
a ``<name>_orig`` parameter, singular-vector estimates in the ``<name>_u`` and ``<name>_v`` buffers, and the
weight recomputed from them by a forward pre-hook. :func:`torchless.nn.utils.parametrizations.spectral_norm`
is its newer form."""
from ... import _creation, linalg
from ...autograd import grad_mode
from ..functional import normalize
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..parameter import Parameter, UninitializedParameter

__all__ = ["SpectralNorm", "SpectralNormLoadStateDictPreHook", "SpectralNormStateDictHook", "spectral_norm",
           "remove_spectral_norm"]


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name>`` as ``<name>_orig`` divided by its spectral norm."""

    # Version 1 stores <name>_v, so that sigma can be recomputed without a power iteration (in eval mode).
    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        """The weight as a (size of dim, everything else) matrix, dim first. Unlike the parametrization's flatten,
        PyTorch's legacy reshape(height, -1) makes a vector a column and refuses an empty weight."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.reshape(weight.size(0), -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            # In place, as PyTorch: a DataParallel replica's update reaches the module's own buffers. This order
            # (v, then u) is the legacy one; the parametrization updates u first.
            with grad_mode.no_grad():
                detached = weight_mat.detach()
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(detached.t().mv(u), dim=0, eps=self.eps))
                    u.copy_(normalize(detached.mv(v), dim=0, eps=self.eps))
            # Copies, so that the next forward's in-place update cannot change what this one's backward uses
            u, v = u.clone(), v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def remove(self, module):
        with grad_mode.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    def _solve_v_and_rescale(self, weight_mat, u, target_sigma):
        # v such that u = normalize(W v) and u^T W v = target_sigma (a least-squares solve, through
        # pinv(W^T W) W^T u, as PyTorch)
        v = linalg.multi_dot([linalg.pinv(weight_mat.t().mm(weight_mat)), weight_mat.t(), u.unsqueeze(1)]).squeeze(1)
        return v.mul_(target_sigma / u.dot(weight_mat.mv(v)))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized parameters. "
                             "Make sure to run the dummy forward before applying spectral normalization")
        with grad_mode.no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            # random starts, u then v, from the default generator (PyTorch's own draws are not reproduced)
            u = normalize(_creation.randn(h, dtype=weight.dtype), dim=0, eps=fn.eps)
            v = normalize(_creation.randn(w, dtype=weight.dtype), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # A plain attribute until the first forward replaces it: the weight's data, so that code reading
        # module.weight before any forward sees a tensor.
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        module.register_state_dict_post_hook(SpectralNormStateDictHook(fn))
        module._register_load_state_dict_pre_hook(SpectralNormLoadStateDictPreHook(fn))
        return fn


class SpectralNormLoadStateDictPreHook:
    """Loads a version-0 state dict (with ``<name>``, without ``<name>_v``): v is solved for from the saved
    weight's sigma."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        fn = self.fn
        version = local_metadata.get("spectral_norm", {}).get(fn.name + ".version", None)
        if version is None or version < 1:
            weight_key = prefix + fn.name
            if version is None and all(weight_key + s in state_dict for s in ("_orig", "_u", "_v")) \
                    and weight_key not in state_dict:
                # a state dict of this version saved without its metadata: nothing to convert
                return
            has_missing_keys = False
            for suffix in ("_orig", "", "_u"):
                key = weight_key + suffix
                if key not in state_dict:
                    has_missing_keys = True
                    if strict:
                        missing_keys.append(key)
            if has_missing_keys:
                return
            with grad_mode.no_grad():
                weight_orig = state_dict[weight_key + "_orig"]
                weight = state_dict.pop(weight_key)
                sigma = (weight_orig / weight).mean()
                weight_mat = fn.reshape_weight_to_matrix(weight_orig)
                u = state_dict[weight_key + "_u"]
                state_dict[weight_key + "_v"] = fn._solve_v_and_rescale(weight_mat, u, sigma)


class SpectralNormStateDictHook:
    """Records the format version in the state dict's metadata (``spectral_norm``: ``<name>.version``)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata):
        if "spectral_norm" not in local_metadata:
            local_metadata["spectral_norm"] = {}
        key = self.fn.name + ".version"
        if key in local_metadata["spectral_norm"]:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        local_metadata["spectral_norm"][key] = self.fn._version


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    r"""Reparametrize ``module.<name>`` as the weight divided by its spectral norm (legacy hook-based version).

    .. math::
        \mathbf{W}_{SN} = \dfrac{\mathbf{W}}{\sigma(\mathbf{W})},
        \sigma(\mathbf{W}) = \max_{\mathbf{h}: \mathbf{h} \ne 0} \dfrac{\|\mathbf{W} \mathbf{h}\|_2}{\|\mathbf{h}\|_2}

    The weight, reshaped to a (size of :attr:`dim`, rest) matrix, is divided by its largest singular value,
    estimated by power iteration from the buffers ``<name>_u`` (of the matrix's height) and ``<name>_v`` (of its
    width): before every forward in training mode, :attr:`n_power_iterations` steps update them in place; in
    eval mode they are used as they are. The original weight becomes the parameter ``<name>_orig``. The
    random start of u and v comes from torchless's generator, so it differs from PyTorch's.

    Args:
        module (nn.Module): the module owning the weight.
        name (str, optional): name of the weight parameter. Default: ``"weight"``
        n_power_iterations (int, optional): power-iteration steps per training forward. Default: ``1``
        eps (float, optional): added to norms before dividing by them. Default: ``1e-12``
        dim (int, optional): the dimension of the outputs, which becomes the rows of the matrix. Default:
            ``None``, meaning ``1`` for ConvTranspose{1,2,3}d and ``0`` for any other module.

    Returns:
        ``module`` itself, with the hook registered

    .. note::
        :func:`torchless.nn.utils.parametrizations.spectral_norm` reimplements this with
        :func:`~torchless.nn.utils.parametrize.register_parametrization`; prefer it.

    Example::

        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m
        Linear(in_features=20, out_features=40, bias=True)
        >>> m.weight_u.size()
        torchless.Size([40])
    """
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo :func:`spectral_norm` on ``module.<name>``: it becomes a parameter again, holding the normalized
    weight (with the current u and v, no power iteration).

    Args:
        module (Module): the module owning the weight.
        name (str, optional): name of the weight parameter. Default: ``"weight"``

    Returns:
        ``module`` itself

    Example:
        >>> m = spectral_norm(nn.Linear(40, 10))
        >>> remove_spectral_norm(m)
    """
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            break
    else:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    for key, hook in module._state_dict_hooks.items():
        if isinstance(hook, SpectralNormStateDictHook) and hook.fn.name == name:
            del module._state_dict_hooks[key]
            break
    for key, hook in module._load_state_dict_pre_hooks.items():
        # (registered wrapped, as PyTorch's: its own check misses the wrapper and leaves the hook, after which the
        # module cannot load its own state dict; here it goes)
        hook = hook.hook
        if isinstance(hook, SpectralNormLoadStateDictPreHook) and hook.fn.name == name:
            del module._load_state_dict_pre_hooks[key]
            break
    return module
