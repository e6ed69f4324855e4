"""``torch._C._nn``: the nn.functional functions PyTorch binds natively, under their compiled names (``linear``,
``gelu``, ``log_sigmoid`` for ``F.logsigmoid``, ...). Each is the nn.functional function itself."""
from ..nn.functional import (avg_pool2d, avg_pool3d, elu_, gelu, hardtanh_, leaky_relu_, linear, logsigmoid, one_hot,
                             scaled_dot_product_attention, softplus, softshrink)

log_sigmoid = logsigmoid
del logsigmoid

__all__ = ["avg_pool2d", "avg_pool3d", "elu_", "gelu", "hardtanh_", "leaky_relu_", "linear", "log_sigmoid",
           "one_hot", "scaled_dot_product_attention", "softplus", "softshrink"]
