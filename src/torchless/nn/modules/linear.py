"""Linear (fully connected) layer, its lazy form LazyLinear, Bilinear and Identity."""
import math

from ... import _creation, _dtype
from .. import init
from ...autograd import grad_mode
from .._functional.linear import bilinear, linear
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module, _registered


# What a star-import gives (PyTorch's list)
__all__ = ["Bilinear", "Identity", "LazyLinear", "Linear"]


class Identity(Module):
    """A placeholder module that returns its input unchanged.

    Any constructor arguments are accepted and ignored, so that it can stand in for another layer.

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), the input itself

    Examples::

        >>> m = nn.Identity(54, unused_argument=0.1)
        >>> x = torch.randn(128, 20)
        >>> m(x) is x
        True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Applies an affine map to the last dimension: y = x A^T + b.

    Args:
        in_features (int): size of each input sample
        out_features (int): size of each output sample
        bias (bool, optional): learn an additive bias b. Default: ``True``
        device, dtype (optional): where and of which floating dtype the parameters are created. Default: ``None``

    Shape:
        - Input: (*, H_in), any number of leading dimensions, H_in = in_features
        - Output: (*, H_out), the same leading dimensions, H_out = out_features

    Attributes:
        weight (Tensor): the learnable A, of shape (out_features, in_features), initialised from
            U(-sqrt(k), sqrt(k)) with k = 1 / in_features
        bias (Tensor): the learnable b, of shape (out_features), from the same distribution; ``None`` if not bias

    Examples::

        >>> m = nn.Linear(20, 30)
        >>> m(torch.randn(128, 20)).shape
        torchless.Size([128, 30])
    """
    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        factory_dtype = dtype or _dtype.get_default_dtype()
        self.weight = Parameter(_creation.empty((out_features, in_features), dtype=factory_dtype, device=device))
        if bias:
            self.bias = Parameter(_creation.empty(out_features, dtype=factory_dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        parameters = self._parameters
        return linear(input, _registered(self, parameters, "weight"), _registered(self, parameters, "bias"))

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class NonDynamicallyQuantizableLinear(Linear):
    """A :class:`Linear` under another name (PyTorch's quantization tools leave layers of this type alone);
    MultiheadAttention's ``out_proj``."""


class LazyLinear(LazyModuleMixin, Linear):
    r""":class:`torchless.nn.Linear` without ``in_features``: the first input's last dimension supplies it.

    Until the first call, ``weight`` and ``bias`` are :class:`torchless.nn.UninitializedParameter` placeholders.
    That call sets ``in_features`` to ``input.shape[-1]``, gives the placeholders their shapes and Linear's
    initialisation, and turns the module into a :class:`Linear`. (If a state dict was loaded first, the weights
    keep its values and the call only checks that the input's last dimension matches them.) See
    :class:`torchless.nn.modules.lazy.LazyModuleMixin` for how lazy modules behave in general.

    Args:
        out_features: number of features each output row has
        bias: whether the layer adds a learnt bias. Default: ``True``
        device, dtype: where, and in which dtype, the parameters are created

    Shape:
        - Input: :math:`(*, H_{in})`, any number of leading dimensions; :math:`H_{in}` becomes ``in_features``
        - Output: :math:`(*, H_{out})` with :math:`H_{out} = \text{out\_features}`

    Attributes:
        weight: shape :math:`(\text{out\_features}, \text{in\_features})`, drawn once sized from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})` with :math:`k = 1 / \text{in\_features}`
        bias: shape :math:`(\text{out\_features})`, drawn from the same distribution (when ``bias=True``)
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        # bias=False: no bias tensor to create only to be replaced below
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        """Resets parameters based on their initialization used in ``__init__``."""
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        """Infers ``in_features`` based on ``input`` and initializes parameters."""
        if self.has_uninitialized_params():
            with grad_mode.no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # parameters loaded from a state dict: in_features is the weight's
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                                     f"in_features from self.weight: {self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


class Bilinear(Module):
    """y = x1^T A x2 + b for input1 (*, in1_features), input2 (*, in2_features), output (*, out_features).

    weight (out_features, in1_features, in2_features) and bias (out_features,) ~ U(-1/sqrt(in1), 1/sqrt(in1)).
    """
    __constants__ = ["in1_features", "in2_features", "out_features"]

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        factory_dtype = dtype or _dtype.get_default_dtype()
        self.weight = Parameter(_creation.empty((out_features, in1_features, in2_features), dtype=factory_dtype,
                                                 device=device))
        if bias:
            self.bias = Parameter(_creation.empty(out_features, dtype=factory_dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
