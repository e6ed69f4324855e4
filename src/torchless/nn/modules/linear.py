"""Linear (fully connected) layer, Bilinear and Identity."""
import math

from ... import _creation, _dtype
from .. import init
from .._functional.linear import bilinear, linear
from ..parameter import Parameter
from .module import Module, _registered


class Identity(Module):
    """Returns its input unchanged; accepts and ignores any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x W^T + b for input (*, in_features), output (*, out_features).

    weight (out_features, in_features) ~ kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in));
    bias (out_features,) ~ U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's initialisation).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        factory_dtype = dtype or _dtype.get_default_dtype()
        self.weight = Parameter(_creation.empty((out_features, in_features), dtype=factory_dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_features, dtype=factory_dtype))
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


class Bilinear(Module):
    """y = x1^T A x2 + b for input1 (*, in1_features), input2 (*, in2_features), output (*, out_features).

    weight (out_features, in1_features, in2_features) and bias (out_features,) ~ U(-1/sqrt(in1), 1/sqrt(in1)).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        factory_dtype = dtype or _dtype.get_default_dtype()
        self.weight = Parameter(_creation.empty((out_features, in1_features, in2_features), dtype=factory_dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_features, dtype=factory_dtype))
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
