"""Normalisation layers without running statistics: LayerNorm, GroupNorm, RMSNorm and LocalResponseNorm."""
import numbers

from ... import _creation, _dtype
from .. import init
from .._functional.group_norm import group_norm
from .._functional.layer_norm import layer_norm, rms_norm
from .._functional.local_response_norm import local_response_norm
from ..parameter import Parameter
from ._affine import register_affine, reset_affine
from .module import Module


# What a star-import gives (PyTorch's list)
__all__ = ["LocalResponseNorm", "CrossMapLRN2d", "LayerNorm", "GroupNorm", "RMSNorm"]


class LocalResponseNorm(Module):
    """Local response normalisation across channels (dim 1), without parameters.

    b_c = a_c * (k + alpha / size * sum of a_{c'}^2 for c' from c - size // 2 to c + (size - 1) // 2) ** -beta,
    channels beyond the ends counting as zero.

    Shape:
        - Input: :math:`(N, C, *)`
        - Output: :math:`(N, C, *)` (same shape as input)

    Examples::

        >>> m = nn.LocalResponseNorm(2)
        >>> m(torch.randn(32, 5, 24, 24)).shape
        torchless.Size([32, 5, 24, 24])
    """
    __constants__ = ["size", "alpha", "beta", "k"]

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


def _as_shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Layer normalisation over the last ``len(normalized_shape)`` dimensions.

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, the mean and biased variance over those
    dimensions of each sample, in training and evaluation alike. With ``elementwise_affine``,
    weight (initialised to 1) and bias (to 0, absent with bias=False) have shape ``normalized_shape``.
    An int ``normalized_shape`` is a one-element shape.

    Shape:
        - Input: :math:`(N, *)`, ending in ``normalized_shape``
        - Output: :math:`(N, *)` (same shape as input)

    Examples::

        >>> m = nn.LayerNorm([10, 10])
        >>> y = m(torch.randn(20, 5, 10, 10))
        >>> y.shape, round(y[0, 0].mean().item(), 4) == 0
        (torchless.Size([20, 5, 10, 10]), True)
    """
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        register_affine(self, self.normalized_shape, elementwise_affine, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self):
        reset_affine(self)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    r"""Group normalisation: the C channels split into ``num_groups`` groups, each normalised per sample.

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, the mean and biased variance over one
    group's channels and all positions of a sample, in training and evaluation alike. With
    ``affine``, weight (initialised to 1) and bias (to 0, absent with bias=False) have shape (C,).
    ``num_channels`` must be divisible by ``num_groups``.

    Shape:
        - Input: :math:`(N, C, *)` where :math:`C = \text{num\_channels}`
        - Output: :math:`(N, C, *)` (same shape as input)

    Examples::

        >>> m = nn.GroupNorm(3, 6)
        >>> m(torch.randn(20, 6, 10, 10)).shape
        torchless.Size([20, 6, 10, 10])
    """
    __constants__ = ["num_groups", "num_channels", "eps", "affine"]

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        register_affine(self, num_channels, affine, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self):
        reset_affine(self)

    def forward(self, input):
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """Root mean square normalisation over the last ``len(normalized_shape)`` dimensions.

    y = x / sqrt(eps + mean(x^2)) * weight, the mean over those dimensions of each sample. eps=None
    is the machine epsilon of the computation (float32's for float16 and float32 input). With
    ``elementwise_affine``, weight (initialised to 1) has shape ``normalized_shape``.

    Shape:
        - Input: :math:`(N, *)`, ending in ``normalized_shape``
        - Output: :math:`(N, *)` (same shape as input)

    Examples::

        >>> m = nn.RMSNorm([2, 3])
        >>> m(torch.randn(2, 2, 3)).shape
        torchless.Size([2, 2, 3])
    """
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_creation.empty(self.normalized_shape, dtype=dtype or _dtype.get_default_dtype(),
                                                    device=device))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class CrossMapLRN2d(Module):
    """Legacy local response normalisation across the channels of (N, C, H, W) input (see
    _functions.CrossMapLRN2d); prefer LocalResponseNorm."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        from ._functions import CrossMapLRN2d as Function

        return Function.apply(input, size=self.size, alpha=self.alpha, beta=self.beta, k=self.k)

    def extra_repr(self):
        return "{size}, alpha={alpha}, beta={beta}, k={k}".format(**self.__dict__)
