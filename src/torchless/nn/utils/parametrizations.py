"""``torch.nn.utils.parametrizations``: weight and spectral normalization and orthogonal matrices as
parametrizations (see :mod:`torchless.nn.utils.parametrize`)."""
from enum import Enum, auto

import numpy as np

from ... import _creation
from ..._functions import cat
from ...autograd import grad_mode
from ...linalg import householder_product, solve
from ..functional import normalize
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..modules.module import Module
from ..._tensor import Tensor
from . import parametrize
from ._weight_norm_math import norm_except_dim, weight_norm as _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


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


# ------------------------------------------------------------------------------------------------ orthogonal
class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _is_orthogonal(Q):
    """Whether the tall ``Q``'s columns are orthonormal, to 10 n machine epsilons."""
    n, k = Q.size(-2), Q.size(-1)
    eye = _creation.eye(k, dtype=Q.dtype)
    return (Q.mH @ Q).allclose(eye, atol=10.0 * n * float(np.finfo(Q._data.dtype).eps))


def _make_orthogonal(A):
    """The Q of ``A = QR`` (``A`` square, possibly complex, batched) with R's diagonal made real and non-negative:
    Q's columns times the signs of R's diagonal, as PyTorch computes it from LAPACK's QR."""
    q, r = np.linalg.qr(A._data)
    diagonal = np.diagonal(r, axis1=-2, axis2=-1)
    signs = np.sign(diagonal) if diagonal.dtype.kind != "c" else \
        np.divide(diagonal, np.abs(diagonal), out=np.zeros_like(diagonal), where=diagonal != 0)
    q = Tensor._wrap(q)
    q *= Tensor._wrap(signs[..., None, :])  # in place, as PyTorch's (the version of the base buffer shows it)
    return q


def _reflectors(Q):
    """LAPACK's geqrf of the tall ``Q`` (real): its Householder reflectors below the diagonal and R on and above it,
    with the reflectors' scales ``tau``."""
    h, tau = np.linalg.qr(Q._data, mode="raw")  # (h is geqrf's output transposed)
    return Tensor._wrap(np.ascontiguousarray(np.swapaxes(h, -1, -2))), Tensor._wrap(tau)


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        # the reflectors of a complex matrix do not determine their scales: no complex Householder map
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        # X is now tall: n >= k
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()  # n k - k (k - 1) / 2 parameters
            if n != k:  # embedded in a square matrix
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH  # skew-symmetric (skew-Hermitian)
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = A.matrix_exp()
            else:  # the Cayley retraction (I + A/2)(I - A/2)^-1
                eye = _creation.eye(n, dtype=A.dtype)
                Q = solve(eye.add(A, alpha=-0.5), eye.add(A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        else:  # real: no complex Householder map
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau)
            # X's diagonal holds 1s and -1s, neither differentiated through nor updated
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if transposed else Q

    @grad_mode.no_grad()
    def right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.size(-2), Q.size(-1)
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if not hasattr(self, "base"):
            # without trivialization only the Householder map has an inverse: the QR's reflectors of Q
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            A, tau = _reflectors(Q)
            # R's diagonal made positive (Q = (-Q)(-I) is a QR too); a reflection LAPACK skipped (tau = 0) flips it
            diagonal = A.diagonal(dim1=-2, dim2=-1)
            diagonal.sign_()
            diagonal[tau == 0.0] *= -1
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:  # completed into an n x n orthogonal matrix with random columns
            N = _creation.randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
            Q = _make_orthogonal(cat([Q, N], dim=-1))
        self.base = Q
        # -I, which the Householder map takes to I (the diagonal is its signs)
        neg_Id = _creation.zeros_like(Q_init)
        neg_Id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_Id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    r"""Reparametrize the matrix (or batch of matrices) ``module.<name>`` of shape ``(..., m, n)`` as an orthogonal
    (unitary, if complex) one: orthonormal columns when ``m >= n``, orthonormal rows otherwise.

    The orthogonal matrix is computed from an unconstrained tensor of the same shape by one of three maps:

    - ``"matrix_exp"``: :math:`Q = \exp(A)`, the matrix exponential of a skew-symmetric :math:`A` built from the
      tensor's lower triangle;
    - ``"cayley"``: the Cayley map :math:`Q = (I + A/2)(I - A/2)^{-1}` of the same :math:`A`;
    - ``"householder"``: a product of Householder reflectors (real matrices only).

    The default is ``"matrix_exp"`` for square or complex matrices, ``"householder"`` otherwise.

    With ``use_trivialization=True`` (the default), the map is applied relative to a base orthogonal matrix, kept
    as the buffer ``module.parametrizations.<name>[0].base`` (dynamic trivialization), which usually helps
    optimization. At registration, the weight keeps its value if it is already orthogonal and is otherwise replaced
    by the Q factor of its QR decomposition (a wide or tall matrix is first completed with random columns).

    Args:
        module (nn.Module): the module holding the tensor.
        name (str): the name of the parameter or buffer (default: ``"weight"``).
        orthogonal_map (str, optional): ``"matrix_exp"``, ``"cayley"`` or ``"householder"``.
        use_trivialization (bool): keep a base matrix the map is relative to (default: True).

    Returns:
        The module, with the parametrization registered
        (:func:`torchless.nn.utils.parametrize.register_parametrization`).

    Example:
        >>> layer = orthogonal(nn.Linear(20, 40))
        >>> Q = layer.weight
        >>> torchless.dist(Q.T @ Q, torchless.eye(20)) < 1e-5
        tensor(True)
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:  # (not the sphere's maps for vectors: more surprising than useful, says PyTorch)
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.size(-2) == weight.size(-1) or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
