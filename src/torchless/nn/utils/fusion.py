"""``torch.nn.utils.fusion``: fold an eval-mode BatchNorm into the convolution or linear layer before it.

With BatchNorm's running statistics fixed, ``bn(conv(x))`` is an affine map of ``conv(x)`` per channel,
``(conv(x) - mean) / sqrt(var + eps) * gamma + beta``, which a convolution (or linear layer) with scaled
weights and a shifted bias computes in one pass.
"""
import copy

from ... import _creation
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """Return a new convolution computing ``bn(conv(x))`` in one step.

    Args:
        conv (torchless.nn.modules.conv._ConvNd): the convolution, in eval mode.
        bn (torchless.nn.modules.batchnorm._BatchNorm): the BatchNorm that follows it, in eval mode and with
            running statistics.
        transpose (bool, optional): ``True`` for a transposed convolution, whose output channels are the
            weight's dimension 1. Default: ``False``.

    Returns:
        torchless.nn.modules.conv._ConvNd: a modified deep copy of ``conv`` (``conv`` itself is unchanged).
    """
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_conv = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused_conv.weight, fused_conv.bias = fuse_conv_bn_weights(
        fused_conv.weight, fused_conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias, transpose)
    return fused_conv


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    r"""Compute the weight and bias of a convolution followed by an eval-mode BatchNorm, folded together.

    .. math::
        W' = W \cdot \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}}, \quad
        b' = (b - \mu) \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}} + \beta

    each output channel's weights scaled by its factor (the weight's dimension 0, or 1 with ``transpose``).

    Args:
        conv_w (torchless.Tensor): the convolution's weight.
        conv_b (Optional[torchless.Tensor]): its bias (``None`` counts as zeros).
        bn_rm (torchless.Tensor): BatchNorm's running mean :math:`\mu`.
        bn_rv (torchless.Tensor): BatchNorm's running variance :math:`\sigma^2`.
        bn_eps (float): BatchNorm's :math:`\epsilon`.
        bn_w (Optional[torchless.Tensor]): BatchNorm's weight :math:`\gamma` (``None`` counts as ones).
        bn_b (Optional[torchless.Tensor]): BatchNorm's bias :math:`\beta` (``None`` counts as zeros).
        transpose (bool, optional): ``True`` for a transposed convolution's weight. Default: ``False``.

    Returns:
        Tuple[torchless.nn.Parameter, torchless.nn.Parameter]: the new weight and bias, in the weight's and
        the bias's dtypes.
    """
    conv_weight_dtype = conv_w.dtype
    conv_bias_dtype = conv_b.dtype if conv_b is not None else conv_weight_dtype
    if conv_b is None:
        conv_b = _creation.zeros_like(bn_rm)
    if bn_w is None:
        bn_w = _creation.ones_like(bn_rm)
    if bn_b is None:
        bn_b = _creation.zeros_like(bn_rm)
    bn_var_rsqrt = (bn_rv + bn_eps).rsqrt()
    # the per-channel factor broadcast along the weight's output-channel dimension
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (len(conv_w.shape) - 2)
    fused_conv_w = (conv_w * (bn_w * bn_var_rsqrt).reshape(shape)).to(dtype=conv_weight_dtype)
    fused_conv_b = ((conv_b - bn_rm) * bn_var_rsqrt * bn_w + bn_b).to(dtype=conv_bias_dtype)
    return Parameter(fused_conv_w, conv_w.requires_grad), Parameter(fused_conv_b, conv_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """Return a new linear layer computing ``bn(linear(x))`` in one step.

    Args:
        linear (torchless.nn.Linear): the linear layer, in eval mode.
        bn (torchless.nn.modules.batchnorm._BatchNorm): the BatchNorm that follows it, in eval mode and with
            running statistics; its ``num_features`` is ``linear.out_features`` or 1.

    Returns:
        torchless.nn.Linear: a modified deep copy of ``linear`` (``linear`` itself is unchanged).
    """
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_linear = copy.deepcopy(linear)
    # BatchNorm normalizes the channel dimension, Linear's features are the last: the fused weight keeps
    # Linear's shape only if BatchNorm's features broadcast against Linear's outputs.
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or bn.num_features == 1, "
                             f"got linear.out_features={linear.out_features} and bn.num_features={bn.num_features}")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused_linear.weight, fused_linear.bias = fuse_linear_bn_weights(
        fused_linear.weight, fused_linear.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused_linear


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    r"""Compute the weight and bias of a linear layer followed by an eval-mode BatchNorm, folded together.

    .. math::
        W' = W \cdot \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}}, \quad
        b' = (b - \mu) \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}} + \beta

    Args:
        linear_w (torchless.Tensor): the linear weight, (out_features, in_features).
        linear_b (Optional[torchless.Tensor]): its bias (``None`` counts as zeros).
        bn_rm (torchless.Tensor): BatchNorm's running mean :math:`\mu`.
        bn_rv (torchless.Tensor): BatchNorm's running variance :math:`\sigma^2`.
        bn_eps (float): BatchNorm's :math:`\epsilon`.
        bn_w (torchless.Tensor): BatchNorm's weight :math:`\gamma`.
        bn_b (torchless.Tensor): BatchNorm's bias :math:`\beta`.

    Returns:
        Tuple[torchless.nn.Parameter, torchless.nn.Parameter]: the new weight and bias.
    """
    linear_weight_dtype = linear_w.dtype
    linear_bias_dtype = linear_b.dtype if linear_b is not None else linear_weight_dtype
    if linear_b is None:
        linear_b = _creation.zeros_like(bn_rm)
    bn_scale = bn_w * (bn_rv + bn_eps).rsqrt()
    fused_w = linear_w * bn_scale.unsqueeze(-1).to(dtype=linear_weight_dtype)
    fused_b = ((linear_b - bn_rm) * bn_scale + bn_b).to(dtype=linear_bias_dtype)
    return Parameter(fused_w, linear_w.requires_grad), Parameter(fused_b, linear_b.requires_grad)
