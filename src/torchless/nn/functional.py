"""Layers as functions (``import torchless.nn.functional as F``): convolution, pooling, activations, losses, ...

Each name is implemented in a small module of ``torchless.nn._functional``; this module gathers them.
"""
from ._functional.activation import *  # noqa: F401,F403
from ._functional.attention import *  # noqa: F401,F403
from ._functional.attention import _canonical_mask, _none_or_dtype  # noqa: F401  (called as F._canonical_mask)
from ._functional.conv import *  # noqa: F401,F403
from ._functional.distance import *  # noqa: F401,F403
from ._functional.dropout import *  # noqa: F401,F403
from ._functional.embedding import *  # noqa: F401,F403
from ._functional.fold import *  # noqa: F401,F403
from ._functional.grid import *  # noqa: F401,F403
from ._functional.group_norm import *  # noqa: F401,F403
from ._functional.instance_norm import *  # noqa: F401,F403
from ._functional.layer_norm import *  # noqa: F401,F403
from ._functional.likelihood_loss import *  # noqa: F401,F403
from ._functional.linear import *  # noqa: F401,F403
from ._functional.linear_cross_entropy import *  # noqa: F401,F403
from ._functional.local_response_norm import *  # noqa: F401,F403
from ._functional.loss import *  # noqa: F401,F403
from ._functional.margin_loss import *  # noqa: F401,F403
from ._functional.metric_loss import *  # noqa: F401,F403
from ._functional.normalization import *  # noqa: F401,F403
from ._functional.padding import *  # noqa: F401,F403
from ._functional.piecewise import *  # noqa: F401,F403
from ._functional.pixel_shuffle import *  # noqa: F401,F403
from ._functional.pooling import *  # noqa: F401,F403
from ._functional.adaptive_pooling import *  # noqa: F401,F403
from ._functional.unpooling import *  # noqa: F401,F403
from ._functional.fractional_pooling import *  # noqa: F401,F403
from ._functional.pooling3d import *  # noqa: F401,F403
from ._functional.rectifiers import *  # noqa: F401,F403
from ._functional.regression_loss import *  # noqa: F401,F403
from ._functional.sampling import *  # noqa: F401,F403

# PyTorch's private names of the max-pooling functions (see _pool_args.dispatch_on_return_indices)
from ._functional.pooling import _max_pool1d, _max_pool2d  # noqa: F401
from ._functional.adaptive_pooling import _adaptive_max_pool1d, _adaptive_max_pool2d  # noqa: F401
from ._functional.fractional_pooling import _fractional_max_pool2d, _fractional_max_pool3d  # noqa: F401
from ._functional.pooling3d import _adaptive_max_pool3d, _max_pool3d  # noqa: F401
from ._functional.unpooling import _check_unpool_output_size, _unpool_output_size  # noqa: F401  (its helpers)
from .._namespace_aten import conv_tbc  # noqa: F401  (F.conv_tbc is torch.conv_tbc)
from ._functional.piecewise import _threshold  # noqa: F401  (F.threshold's own name, which torch.fx's code calls)

from . import grad  # noqa: E402,F401  (F.grad is torch.nn.grad, the convolutions' gradients)

# The activations and poolings PyTorch binds natively with an out= variant (torch._C._nn's): out= written into, as
# theirs
from .._out_argument import with_out as _with_out  # noqa: E402

for _name, _native in (("logsigmoid", "log_sigmoid"), ("hardshrink", "hardshrink"), ("softshrink", "softshrink"),
                       ("softplus", "softplus"), ("gelu", "gelu"), ("avg_pool2d", "avg_pool2d"),
                       ("avg_pool3d", "avg_pool3d")):
    globals()[_name] = _with_out(_native, globals()[_name])
del _name, _native

# PyTorch's functionals say they live here (torch.typename(F.relu) is 'torch.nn.functional.relu', as
# nn.Sequential's refusal of one prints), not in the private modules that implement them.
for _function in tuple(globals().values()):
    if callable(_function) and getattr(_function, "__module__", "").startswith("torchless.nn._functional."):
        _function.__module__ = __name__
del _function
