"""torchvision's ``ops.misc`` blocks: Conv2dNormActivation (MobileNet's and EfficientNet's Conv2d -> norm ->
activation block) and Conv3dNormActivation, the Squeeze-and-Excitation gate, Permute (ConvNeXt's switch to channels-last and back),
FrozenBatchNorm2d (detection backbones' fixed batch norm) and MLP (the vision transformers' blocks)."""
import collections.abc
import warnings

from ... import nn, ones, permute, zeros

__all__ = ["Conv2dNormActivation", "Conv3dNormActivation", "SqueezeExcitation", "Permute", "FrozenBatchNorm2d",
           "MLP"]


class ConvNormActivation(nn.Sequential):
    """``conv_layer``, then ``norm_layer``, then ``activation_layer``, as a Sequential named "0", "1", "2": the
    common base of :class:`Conv2dNormActivation` and :class:`Conv3dNormActivation` (used directly, it warns as
    torchvision's does).

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels produced.
        kernel_size (int or tuple, optional): Default: 3.
        stride (int or tuple, optional): Default: 1.
        padding (int, tuple or str, optional): Default: None, i.e. ``(kernel_size - 1) // 2 * dilation``, which keeps
            the spatial size at stride 1.
        groups (int, optional): Default: 1.
        norm_layer (callable, optional): built with ``out_channels``; None leaves it out. Default: BatchNorm2d.
        activation_layer (callable, optional): built with ``inplace=inplace``; None leaves it out. Default: ReLU.
        dilation (int or tuple, optional): Default: 1.
        inplace (bool, optional): passed to the activation; None passes nothing. Default: True.
        bias (bool, optional): Default: None, i.e. a bias only without ``norm_layer`` (a norm layer's shift would
            cancel it).
        conv_layer (callable, optional): Default: Conv2d.
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None,
                 conv_layer=nn.Conv2d):
        if padding is None:
            padding = _same_padding(kernel_size, dilation)
        if bias is None:
            bias = norm_layer is None
        layers = [conv_layer(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation, groups=groups,
                             bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            params = {} if inplace is None else {"inplace": inplace}
            layers.append(activation_layer(**params))
        super().__init__(*layers)
        self.out_channels = out_channels
        if self.__class__ == ConvNormActivation:
            warnings.warn("Don't use ConvNormActivation directly, please use Conv2dNormActivation and "
                          "Conv3dNormActivation instead.")


def _same_padding(kernel_size, dilation):
    """``(kernel_size - 1) // 2 * dilation``, per dimension when either is a sequence (the other repeated)."""
    if isinstance(kernel_size, int) and isinstance(dilation, int):
        return (kernel_size - 1) // 2 * dilation
    dims = len(kernel_size) if isinstance(kernel_size, collections.abc.Sequence) else len(dilation)
    kernel_size, dilation = (tuple(v) if isinstance(v, collections.abc.Iterable) else (v,) * dims
                             for v in (kernel_size, dilation))
    return tuple((kernel_size[i] - 1) // 2 * dilation[i] for i in range(dims))


class Conv2dNormActivation(ConvNormActivation):
    """Conv2d, then ``norm_layer``, then ``activation_layer`` (MobileNet's and EfficientNet's block): see
    :class:`ConvNormActivation`.

    Shape:
        - Input: (N, in_channels, H, W)
        - Output: (N, out_channels, H_out, W_out), H_out = floor((H + 2 * padding - dilation * (kernel_size - 1)
          - 1) / stride) + 1, likewise W_out.
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups, norm_layer, activation_layer,
                         dilation, inplace, bias, nn.Conv2d)


class Conv3dNormActivation(ConvNormActivation):
    """Conv3d, then ``norm_layer`` (default BatchNorm3d), then ``activation_layer`` (the video models' block): see
    :class:`ConvNormActivation`. Input (N, in_channels, D, H, W)."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm3d, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups, norm_layer, activation_layer,
                         dilation, inplace, bias, nn.Conv3d)


class SqueezeExcitation(nn.Module):
    """The Squeeze-and-Excitation gate of `Squeeze-and-Excitation Networks <https://arxiv.org/abs/1709.01507>`_
    (Fig. 1): each channel of the input is multiplied by a weight in (0, 1) computed from the global average of all
    channels by two 1x1 convolutions (``fc1``, ``fc2``) -- ``activation`` between them and ``scale_activation``
    after (``delta`` and ``sigma`` of the paper's eq. 3).

    Args:
        input_channels (int): channels of the input (and of the output).
        squeeze_channels (int): channels between ``fc1`` and ``fc2``.
        activation (callable, optional): builds the ``delta`` activation. Default: ReLU.
        scale_activation (callable, optional): builds the ``sigma`` activation. Default: Sigmoid.

    Shape:
        - Input: (N, input_channels, H, W)
        - Output: (N, input_channels, H, W)
    """

    def __init__(self, input_channels, squeeze_channels, activation=nn.ReLU, scale_activation=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input):
        scale = self.activation(self.fc1(self.avgpool(input)))
        return self.scale_activation(self.fc2(scale))

    def forward(self, input):
        return self._scale(input) * input


class Permute(nn.Module):
    """The input's dimensions reordered as ``dims`` (a view, as :func:`torchless.permute` returns).

    Args:
        dims (list of int): the new order of the dimensions.
    """

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return permute(x, self.dims)


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d whose statistics and affine parameters are fixed buffers (``weight``, ``bias``,
    ``running_mean``, ``running_var``), as detection backbones fine-tuned with small batches use it; a state dict's
    ``num_batches_tracked`` is ignored.

    Args:
        num_features (int): the channels ``C`` of an (N, C, H, W) input.
        eps (float): added to the variance. Default: 1e-5
    """

    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", ones(num_features))
        self.register_buffer("bias", zeros(num_features))
        self.register_buffer("running_mean", zeros(num_features))
        self.register_buffer("running_var", ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def forward(self, x):
        w, b = self.weight.reshape(1, -1, 1, 1), self.bias.reshape(1, -1, 1, 1)
        rv, rm = self.running_var.reshape(1, -1, 1, 1), self.running_mean.reshape(1, -1, 1, 1)
        scale = w * (rv + self.eps).rsqrt()
        bias = b - rm * scale
        return x * scale + bias

    def __repr__(self):
        return f"{self.__class__.__name__}({self.weight.shape[0]}, eps={self.eps})"


class MLP(nn.Sequential):
    """The multi-layer perceptron of torchvision's vision transformers: for each hidden size but the last a Linear,
    ``norm_layer`` (if any), ``activation_layer`` and Dropout; then a Linear to the last size and a Dropout.

    Args:
        in_channels (int): the input's features.
        hidden_channels (list of int): each layer's features, the last the output's.
        norm_layer (callable, optional): built with a hidden size. Default: None
        activation_layer (callable, optional): Default: ReLU
        inplace (bool, optional): passed to the activations and dropouts; None passes nothing. Default: None
        bias (bool): the Linear layers'. Default: True
        dropout (float): the dropouts' probability. Default: 0.0
    """

    def __init__(self, in_channels, hidden_channels, norm_layer=None, activation_layer=nn.ReLU, inplace=None,
                 bias=True, dropout=0.0):
        params = {} if inplace is None else {"inplace": inplace}
        layers = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)
