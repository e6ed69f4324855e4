"""``torch.nn.utils.parametrizations``: weight and spectral normalization as parametrizations (see
:mod:`torchless.nn.utils.parametrize`)."""
from ... import _creation
from ...autograd import grad_mode
from ..functional import normalize
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..modules.module import Module
from ..._tensor import Tensor
from . import parametrize
from ._weight_norm_math import norm_except_dim, weight_norm as _weight_norm

__all__ = ["weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    r"""Reparametrize ``module.<name>`` as a length ``g`` times a unit direction ``v / ||v||`` (weight normalization).

    .. math::
        w = g \, \frac{v}{\lVert v \rVert}

    The weight is split, through :func:`torchless.nn.utils.parametrize.register_parametrization`, into two
    parameters that are trained separately: the length ``g`` as ``parametrizations.<name>.original0`` and the
    unnormalised direction ``v`` as ``parametrizations.<name>.original1``, from which ``module.<name>`` is
    recomputed at every read. At registration, ``v`` is the current weight and ``g`` its norm, so the weight's value
    is unchanged. The norm is taken separately for each index of dimension :attr:`dim` (with ``dim=0``, one length
    per output channel), or over the whole tensor with ``dim=None``. A state dict of the hook-based
    :func:`torchless.nn.utils.weight_norm` (entries ``<name>_g`` and ``<name>_v``) loads into the result.

    Args:
        module (Module): the module owning the weight
        name (str, optional): which parameter to reparametrize. Default: ``"weight"``
        dim (int, optional): the dimension that keeps one length per index; ``None`` for a single length.
            Default: ``0``

    Returns:
        ``module``, with the parametrization registered

    Example::

        >>> m = weight_norm(nn.Conv2d(3, 8, 3))
        >>> m.parametrizations.weight.original0.shape  # one length per output channel
        torchless.Size([8, 1, 1, 1])
        >>> m.parametrizations.weight.original1.shape
        torchless.Size([8, 3, 3, 3])
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                 error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:  # a vector's norm is exact: no singular vectors to approximate
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = _creation.randn(h, dtype=weight.dtype)
            v = _creation.randn(w, dtype=weight.dtype)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            # Start from reasonable singular vectors
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        # u and v are updated in place, as in PyTorch (a module replica sharing the buffers sees the update)
        with grad_mode.no_grad():
            weight_mat = weight_mat.detach()
            for _ in range(n_power_iterations):
                self._u.copy_(normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(weight_mat.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # Copies, so that a later forward's in-place update cannot change what this one's backward uses
        u, v = self._u.clone(), self._v.clone()
        sigma = (u * weight_mat.mv(v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    r"""Reparametrize ``module.<name>`` as the weight divided by its spectral norm, its largest singular value.

    .. math::
        W_{SN} = W / \sigma(W), \qquad
        \sigma(W) = \max_{h \neq 0} \lVert W h \rVert_2 / \lVert h \rVert_2

    For the singular value, the weight is viewed as a matrix: dimension :attr:`dim` gives its rows, all the others
    flattened together its columns. :math:`\sigma` is not computed exactly but estimated by power iteration, from
    left and right singular vector estimates kept as the buffers ``parametrizations.<name>[0]._u`` and ``._v``.
    Each read of ``module.<name>`` in training mode first advances them by :attr:`n_power_iterations` steps; in
    eval mode they are used as they stand. At registration they start from random vectors, drawn from torchless's
    generator (so they differ from PyTorch's for the same seed), refined by 15 steps. A 1-D weight is divided by
    its 2-norm directly.

    Args:
        module (nn.Module): the module owning the weight
        name (str, optional): which parameter to normalise. Default: ``"weight"``
        n_power_iterations (int, optional): power-iteration steps per read in training mode (positive).
            Default: ``1``
        eps (float, optional): floor on the norms divided by when the vectors are normalised. Default: ``1e-12``
        dim (int, optional): the dimension indexing the outputs, which becomes the matrix's rows. Default: ``1``
            for ``ConvTranspose1d``/``2d``/``3d`` (whose weights put the outputs second), ``0`` otherwise

    Returns:
        ``module``, with the parametrization registered

    Raises:
        ValueError: when ``module`` has no parameter or buffer :attr:`name`

    Example::

        >>> m = spectral_norm(nn.Linear(20, 10))
        >>> m.parametrizations.weight[0]._u.shape, m.parametrizations.weight[0]._v.shape
        (torchless.Size([10]), torchless.Size([20]))
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
