"""Activation layers: the ReLU family (ReLU, LeakyReLU, PReLU, RReLU, ReLU6, Threshold), ELU/SELU/CELU, the
sigmoid family (Sigmoid, LogSigmoid, Hardsigmoid, SiLU, Hardswish, Mish, GELU, GLU), Tanh and the shrinkage
functions, Softplus and Softsign, and the softmax family (Softmax, Softmax2d, LogSoftmax, Softmin)."""
import warnings

from ... import _creation, _dtype
from .. import init
from .._functional import activation as F_act
from .._functional import piecewise as F_piece
from .._functional import rectifiers as F_rect
from ..parameter import Parameter
from ._owned import owns
from .module import Module


# What a star-import gives (PyTorch's list)
__all__ = ["Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh", "SiLU", "Mish",
           "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink", "LeakyReLU", "LogSigmoid", "Softplus",
           "Softshrink", "MultiheadAttention", "PReLU", "Softsign", "Tanhshrink", "Softmin", "Softmax", "Softmax2d",
           "LogSoftmax"]


def _inplace_repr(inplace, first=False):
    """The ``inplace=True`` of an extra_repr (nothing when False), after other fields unless ``first``."""
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class _InplaceActivation(Module):
    """The element-wise activations whose one argument is ``inplace`` (shown by the repr when True)."""
    __constants__ = ["inplace"]

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return _inplace_repr(self.inplace, first=True)


class _ExponentialLinear(Module):
    """ELU and CELU: an ``alpha`` that scales the exponential negative part, and ``inplace``."""
    __constants__ = ["alpha", "inplace"]

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def extra_repr(self):
        return f"alpha={self.alpha}" + _inplace_repr(self.inplace)


class _Shrinkage(Module):
    """Hardshrink and Softshrink: a threshold ``lambd``, which is all their repr shows."""
    __constants__ = ["lambd"]

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def extra_repr(self):
        return f"{self.lambd}"


@owns("__init__", "extra_repr")
class ReLU(_InplaceActivation):
    """Applies the rectified linear unit element-wise.

    ReLU(x) = max(0, x)

    Args:
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.ReLU()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([0., 0., 3.])
    """

    def forward(self, input):
        return F_act.relu(input, inplace=self.inplace)


class LeakyReLU(Module):
    """Applies the leaky rectified linear unit element-wise.

    LeakyReLU(x) = x if x >= 0, else negative_slope * x

    Args:
        negative_slope (float, optional): slope for negative inputs. Default: ``1e-2``
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.LeakyReLU(0.1)
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.2000,  0.0000,  3.0000])
    """
    __constants__ = ["inplace", "negative_slope"]

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F_act.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + _inplace_repr(self.inplace)


class Hardtanh(Module):
    """Applies the hard tanh element-wise: the input clamped to [min_val, max_val].

    Hardtanh(x) = max_val if x > max_val, min_val if x < min_val, else x

    Args:
        min_val (float, optional): lower end of the linear region. Default: ``-1``
        max_val (float, optional): upper end of the linear region; must exceed min_val. Default: ``1``
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Hardtanh(-1.0, 2.0)
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  2.])
    """
    __constants__ = ["min_val", "max_val", "inplace"]

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        # min_value / max_value: PyTorch's former names, still taken with a warning
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`", FutureWarning,
                          stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`", FutureWarning,
                          stacklevel=2)
            max_val = max_value
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace
        if self.max_val <= self.min_val:  # an explicit check (not assert): it holds under python -O too
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val ({self.min_val})")

    def forward(self, input):
        return F_act.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_repr(self.inplace)


class ReLU6(Hardtanh):
    """Applies ReLU capped at 6 element-wise.

    ReLU6(x) = min(max(0, x), 6)

    Args:
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.ReLU6()
        >>> m(torch.tensor([-2.0, 3.0, 8.0]))
        tensor([0., 3., 6.])
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, first=True)


@owns("__init__", "extra_repr")
class ELU(_ExponentialLinear):
    """Applies the exponential linear unit element-wise.

    ELU(x) = x if x > 0, else alpha * (exp(x) - 1)

    Args:
        alpha (float, optional): the value ELU tends to as x -> -inf is -alpha. Default: ``1.0``
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.ELU()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.8647,  0.0000,  3.0000])
    """

    def forward(self, input):
        return F_act.elu(input, self.alpha, self.inplace)


@owns("__init__", "extra_repr")
class SiLU(_InplaceActivation):
    """Applies the sigmoid linear unit (swish) element-wise.

    SiLU(x) = x * sigmoid(x)

    Args:
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.SiLU()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.2384,  0.0000,  2.8577])
    """

    def forward(self, input):
        return F_act.silu(input, inplace=self.inplace)


class GELU(Module):
    """Applies the Gaussian error linear unit element-wise.

    GELU(x) = x * Phi(x), Phi the standard normal CDF; with approximate='tanh',
    GELU(x) = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))

    Args:
        approximate (str, optional): ``'none'`` (exact, with erf) or ``'tanh'``. Default: ``'none'``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.GELU()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.0455,  0.0000,  2.9959])
    """
    __constants__ = ["approximate"]

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F_act.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """Applies the logistic sigmoid element-wise.

    Sigmoid(x) = 1 / (1 + exp(-x))

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Sigmoid()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([0.1192, 0.5000, 0.9526])
    """

    def forward(self, input):
        return input.sigmoid()


class Tanh(Module):
    """Applies the hyperbolic tangent element-wise.

    Tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Tanh()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.9640,  0.0000,  0.9951])
    """

    def forward(self, input):
        return input.tanh()


class _NormalizedAlongDim(Module):
    """The softmax family's layers: a function of the slices along ``dim`` (None: the dimension PyTorch's
    legacy rule picks, with a warning)."""
    __constants__ = ["dim"]

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("dim", None)  # as PyTorch: pickled before dim existed

    def extra_repr(self):
        return f"dim={self.dim}"


@owns("__init__")
class Softmax(_NormalizedAlongDim):
    """Rescales the slices along ``dim`` into probability distributions.

    Softmax(x)_i = exp(x_i) / sum_j exp(x_j), so each slice along dim is in [0, 1] and sums to 1

    Args:
        dim (int): the dimension along which Softmax is computed

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Softmax(dim=1)
        >>> m(torch.tensor([[0.0, 0.0], [1.0, 3.0]]))
        tensor([[0.5000, 0.5000],
                [0.1192, 0.8808]])
    """

    def forward(self, input):
        # (_stacklevel names Module.__call__'s line: PyTorch's 5 names its _wrapped_call_impl, a library line too,
        # torchless's __call__ being one frame)
        return F_act.softmax(input, self.dim, _stacklevel=4)


@owns("__init__")
class LogSoftmax(_NormalizedAlongDim):
    """Applies log(Softmax(x)) along ``dim``, computed stably.

    LogSoftmax(x)_i = x_i - log(sum_j exp(x_j))

    Args:
        dim (int): the dimension along which LogSoftmax is computed

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.LogSoftmax(dim=1)
        >>> m(torch.tensor([[0.0, 0.0], [1.0, 3.0]]))
        tensor([[-0.6931, -0.6931],
                [-2.1269, -0.1269]])
    """

    def forward(self, input):
        return F_act.log_softmax(input, self.dim, _stacklevel=4)


class Threshold(Module):
    """Replaces the elements at or below a threshold by a value.

    Threshold(x) = x if x > threshold, else value

    Args:
        threshold (float): the value to compare with
        value (float): what replaces the elements not above ``threshold``
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Threshold(0.5, -1.0)
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-1., -1.,  3.])
    """
    __constants__ = ["threshold", "value", "inplace"]

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F_piece.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + _inplace_repr(self.inplace)


class PReLU(Module):
    """Applies the parametric ReLU element-wise, its negative slope learnt.

    PReLU(x) = max(0, x) + a * min(0, x), ``a`` the learnable ``weight``: one value shared by all
    channels, or one per channel of dim 1 of the input

    Args:
        num_parameters (int, optional): 1, or the number of channels C. Default: ``1``
        init (float, optional): initial value of ``a``. Default: ``0.25``

    Shape:
        - Input: (*), any number of dimensions; with num_parameters = C > 1, at least two, dim 1 of size C
        - Output: (*), same shape as the input

    Attributes:
        weight (Tensor): the learnable slopes, of shape (num_parameters,)

    Examples::

        >>> m = nn.PReLU()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.5000,  0.0000,  3.0000], grad_fn=<PreluKernelBackward0>)
    """
    __constants__ = ["num_parameters"]

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        self.num_parameters = num_parameters  # before Module.__init__, as PyTorch's (first in vars(module))
        super().__init__()
        self.init = init
        self.weight = Parameter(
            _creation.empty(num_parameters, dtype=dtype or _dtype.get_default_dtype(), device=device))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F_rect.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Applies the randomized leaky ReLU element-wise.

    RReLU(x) = x if x >= 0, else a * x, with a drawn from U(lower, upper) for each element in
    training and a = (lower + upper) / 2 in eval mode

    Args:
        lower (float, optional): lower bound of the slope. Default: ``1/8``
        upper (float, optional): upper bound of the slope. Default: ``1/3``
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.RReLU(0.1, 0.3).eval()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.4000,  0.0000,  3.0000])
    """
    __constants__ = ["lower", "upper", "inplace"]

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F_rect.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + _inplace_repr(self.inplace)


@owns("__init__", "extra_repr")
class SELU(_InplaceActivation):
    r"""Scaled exponential linear unit (Klambauer et al., 2017), element by element.

    Positive inputs are multiplied by ``scale``; the others go through ``scale * alpha * (exp(x) - 1)``, a curve
    that flattens out at ``-scale * alpha``. Both constants are fixed, chosen by the authors so that activations
    keep zero mean and unit variance through deep stacks: :math:`\alpha \approx 1.6733`,
    :math:`\text{scale} \approx 1.0507` (full precision in ``torchless.nn.functional.selu``).

    Args:
        inplace: write the result into the input tensor instead of a new one. Default: ``False``

    Shape:
        - Input: any shape :math:`(*)`, floating point
        - Output: the input's shape

    Examples::

        >>> m = nn.SELU()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.5202,  0.0000,  3.1521])
    """

    def forward(self, input):
        return F_act.selu(input, self.inplace)


@owns("__init__", "extra_repr")
class CELU(_ExponentialLinear):
    """Applies the continuously differentiable ELU element-wise.

    CELU(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))

    Args:
        alpha (float, optional): scale of the negative part; must not be 0. Default: ``1.0``
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.CELU(2.0)
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.2642,  0.0000,  3.0000])
    """

    def forward(self, input):
        return F_act.celu(input, self.alpha, self.inplace)


class GLU(Module):
    """Applies the gated linear unit: the input split in two halves a, b along ``dim``.

    GLU(a, b) = a * sigmoid(b)

    Args:
        dim (int, optional): the dimension to split; its size must be even. Default: ``-1``

    Shape:
        - Input: (*1, M, *2), M even and at position ``dim``
        - Output: (*1, M / 2, *2)

    Examples::

        >>> m = nn.GLU()
        >>> m(torch.randn(4, 6)).shape
        torchless.Size([4, 3])
    """
    __constants__ = ["dim"]

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F_act.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSigmoid(Module):
    """Applies the logarithm of the sigmoid element-wise, computed without overflow.

    LogSigmoid(x) = log(1 / (1 + exp(-x))) = -softplus(-x)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.LogSigmoid()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-2.1269, -0.6931, -0.0486])
    """

    def forward(self, input):
        return F_act.logsigmoid(input)


@owns("__init__")
class Hardsigmoid(_InplaceActivation):
    """Applies the piecewise-linear approximation of the sigmoid element-wise.

    Hardsigmoid(x) = 0 if x <= -3, 1 if x >= 3, else x / 6 + 1 / 2

    Args:
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Hardsigmoid()
        >>> m(torch.tensor([-4.0, 0.0, 1.5, 4.0]))
        tensor([0.0000, 0.5000, 0.7500, 1.0000])
    """

    def forward(self, input):
        return F_piece.hardsigmoid(input, self.inplace)

    extra_repr = Module.extra_repr  # PyTorch's, which leaves inplace out of this layer's repr


@owns("__init__")
class Hardswish(_InplaceActivation):
    """Applies the hard swish element-wise (MobileNetV3).

    Hardswish(x) = 0 if x <= -3, x if x >= 3, else x * (x + 3) / 6

    Args:
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Hardswish()
        >>> m(torch.tensor([-4.0, 0.0, 1.5, 4.0]))
        tensor([-0.0000, 0.0000, 1.1250, 4.0000])
    """

    def forward(self, input):
        return F_piece.hardswish(input, self.inplace)

    extra_repr = Module.extra_repr  # PyTorch's, which leaves inplace out of this layer's repr


@owns("__init__", "extra_repr")
class Mish(_InplaceActivation):
    """Applies the Mish activation element-wise.

    Mish(x) = x * tanh(softplus(x))

    Args:
        inplace (bool, optional): write the result into the input tensor. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Mish()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.2525,  0.0000,  2.9865])
    """

    def forward(self, input):
        return F_act.mish(input, inplace=self.inplace)


class Softplus(Module):
    """Applies the softplus, a smooth ReLU, element-wise.

    Softplus(x) = log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold
    (the two agree there to float precision, and the linear form cannot overflow)

    Args:
        beta (float, optional): sharpness of the bend. Default: ``1.0``
        threshold (float, optional): beta * x above which the identity is used. Default: ``20.0``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Softplus()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([0.1269, 0.6931, 3.0486])
    """
    __constants__ = ["beta", "threshold"]

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F_act.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """Applies the softsign element-wise.

    Softsign(x) = x / (1 + |x|)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Softsign()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.6667,  0.0000,  0.7500])
    """

    def forward(self, input):
        return F_act.softsign(input)


@owns("__init__", "extra_repr")
class Hardshrink(_Shrinkage):
    """Applies the hard shrinkage element-wise.

    Hardshrink(x) = x if |x| > lambd, else 0

    Args:
        lambd (float, optional): the threshold. Default: ``0.5``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Hardshrink(1.0)
        >>> m(torch.tensor([-2.0, 0.5, 3.0]))
        tensor([-2.,  0.,  3.])
    """

    def forward(self, input):
        return F_piece.hardshrink(input, self.lambd)


@owns("__init__", "extra_repr")
class Softshrink(_Shrinkage):
    """Applies the soft shrinkage element-wise.

    Softshrink(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0

    Args:
        lambd (float, optional): the threshold; must be >= 0. Default: ``0.5``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Softshrink(1.0)
        >>> m(torch.tensor([-2.0, 0.5, 3.0]))
        tensor([-1.,  0.,  2.])
    """

    def forward(self, input):
        return F_piece.softshrink(input, self.lambd)


class Tanhshrink(Module):
    """Applies the tanh shrinkage element-wise.

    Tanhshrink(x) = x - tanh(x)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Tanhshrink()
        >>> m(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.0360,  0.0000,  2.0049])
    """

    def forward(self, input):
        return F_act.tanhshrink(input)


@owns("__init__")
class Softmin(_NormalizedAlongDim):
    """Applies Softmax to the negated input along ``dim``.

    Softmin(x)_i = exp(-x_i) / sum_j exp(-x_j)

    Args:
        dim (int): the dimension along which Softmin is computed

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Softmin(dim=1)
        >>> m(torch.tensor([[0.0, 0.0], [1.0, 3.0]]))
        tensor([[0.5000, 0.5000],
                [0.8808, 0.1192]])
    """

    def forward(self, input):
        return F_act.softmin(input, self.dim, _stacklevel=4)


class Softmax2d(Module):
    """Applies Softmax over the channels at each spatial location.

    Softmax2d(x) = Softmax(dim=-3)(x), for (N, C, H, W) or (C, H, W) inputs

    Shape:
        - Input: (N, C, H, W) or (C, H, W)
        - Output: same shape as the input

    Examples::

        >>> m = nn.Softmax2d()
        >>> m(torch.zeros(1, 4, 2, 2))[0, :, 0, 0]
        tensor([0.2500, 0.2500, 0.2500, 0.2500])
    """

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F_act.softmax(input, -3, _stacklevel=4)


from .attention import MultiheadAttention  # noqa: E402,F401  (PyTorch defines it among the activations)
