"""MaxViT ("MaxViT: Multi-Axis Vision Transformer"): MaxViT-T."""
import math
from collections import OrderedDict
from functools import partial
from typing import Optional

import numpy as np

from ... import arange, chunk, einsum, empty, flatten, float32, meshgrid, nn, stack, swapaxes
from ...nn import functional as F
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._api import register_model
from ._utils import _check, _load_weights, _ovewrite_named_param, _verify_weights
from ._weights import weights_enum

__all__ = ["MaxVit", "MaxVit_T_Weights", "maxvit_t"]


def _get_conv_output_shape(input_size, kernel_size, stride, padding):
    return ((input_size[0] - kernel_size + 2 * padding) // stride + 1,
            (input_size[1] - kernel_size + 2 * padding) // stride + 1)


def _make_block_input_shapes(input_size, n_blocks):
    """The feature map sizes the blocks work at (after the stem's and each block's 3 x 3 convolution of stride 2)."""
    shapes = []
    block_input_shape = _get_conv_output_shape(input_size, 3, 2, 1)
    for _ in range(n_blocks):
        block_input_shape = _get_conv_output_shape(block_input_shape, 3, 2, 1)
        shapes.append(block_input_shape)
    return shapes


def _get_relative_position_index(height, width):
    """The (HW, HW) table row of each pair of positions of a height x width window: the row of the offset
    (dy, dx) is ``(dy + height - 1) * (2 * width - 1) + dx + width - 1``."""
    coords = stack(meshgrid([arange(height), arange(width)], indexing="ij"))
    coords_flat = flatten(coords, 1)
    relative_coords = coords_flat[:, :, None] - coords_flat[:, None, :]
    relative_coords = relative_coords.permute(1, 2, 0).contiguous()
    relative_coords[:, :, 0] += height - 1
    relative_coords[:, :, 1] += width - 1
    relative_coords[:, :, 0] *= 2 * width - 1
    return relative_coords.sum(-1)


class MBConv(nn.Module):
    """The mobile inverted bottleneck of MaxViT: a pre-norm, a 1x1 expansion, a 3x3 depthwise convolution (of
    ``stride``), squeeze-and-excitation (SiLU) and a 1x1 projection (``layers``), through stochastic depth, added to
    the input (average-pooled and projected by ``proj`` when the stride or channels change).

    Args:
        in_channels (int): the input's channels.
        out_channels (int): the output's channels.
        expansion_ratio (float): the hidden channels over ``out_channels``.
        squeeze_ratio (float): the squeeze-and-excitation channels over ``out_channels``.
        stride (int): the depthwise convolution's (1 or 2).
        activation_layer (callable): the activation.
        norm_layer (callable): the norm layer.
        p_stochastic_dropout (float): the stochastic depth probability (0: an Identity). Default: 0.0.
    """

    def __init__(self, in_channels, out_channels, expansion_ratio, squeeze_ratio, stride, activation_layer,
                 norm_layer, p_stochastic_dropout=0.0):
        super().__init__()
        if stride != 1 or in_channels != out_channels:
            proj = [nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=1, bias=True)]
            if stride == 2:
                proj = [nn.AvgPool2d(kernel_size=3, stride=stride, padding=1)] + proj
            self.proj = nn.Sequential(*proj)
        else:
            self.proj = nn.Identity()

        mid_channels = int(out_channels * expansion_ratio)
        sqz_channels = int(out_channels * squeeze_ratio)

        if p_stochastic_dropout:
            self.stochastic_depth = StochasticDepth(p_stochastic_dropout, mode="row")
        else:
            self.stochastic_depth = nn.Identity()

        layers = OrderedDict()
        layers["pre_norm"] = norm_layer(in_channels)
        layers["conv_a"] = Conv2dNormActivation(in_channels, mid_channels, kernel_size=1, stride=1, padding=0,
                                                activation_layer=activation_layer, norm_layer=norm_layer, inplace=None)
        layers["conv_b"] = Conv2dNormActivation(mid_channels, mid_channels, kernel_size=3, stride=stride, padding=1,
                                                activation_layer=activation_layer, norm_layer=norm_layer,
                                                groups=mid_channels, inplace=None)
        layers["squeeze_excitation"] = SqueezeExcitation(mid_channels, sqz_channels, activation=nn.SiLU)
        layers["conv_c"] = nn.Conv2d(in_channels=mid_channels, out_channels=out_channels, kernel_size=1, bias=True)
        self.layers = nn.Sequential(layers)

    def forward(self, x):
        res = self.proj(x)
        x = self.stochastic_depth(self.layers(x))
        return res + x


class RelativePositionalMultiHeadAttention(nn.Module):
    """Multi-head self-attention within each group of positions, with a learnt bias per relative offset
    (``relative_position_bias_table``, truncated normal of std 0.02, looked up through the buffer
    ``relative_position_index``). The keys are scaled by ``feat_dim ** -0.5`` (not the head's size, as torchvision).

    Args:
        feat_dim (int): the features.
        head_dim (int): the features of a head (dividing ``feat_dim``).
        max_seq_len (int): the positions of a group, a square number.

    Shape:
        - Input: (B, G, P, feat_dim), G groups of P = max_seq_len positions
        - Output: (B, G, P, feat_dim)
    """

    def __init__(self, feat_dim, head_dim, max_seq_len):
        super().__init__()
        if feat_dim % head_dim != 0:
            raise ValueError(f"feat_dim: {feat_dim} must be divisible by head_dim: {head_dim}")
        self.n_heads = feat_dim // head_dim
        self.head_dim = head_dim
        self.size = int(math.sqrt(max_seq_len))
        self.max_seq_len = max_seq_len

        self.to_qkv = nn.Linear(feat_dim, self.n_heads * self.head_dim * 3)
        self.scale_factor = feat_dim ** -0.5

        self.merge = nn.Linear(self.head_dim * self.n_heads, feat_dim)
        self.relative_position_bias_table = nn.Parameter(
            empty(((2 * self.size - 1) * (2 * self.size - 1), self.n_heads), dtype=float32))
        self.register_buffer("relative_position_index", _get_relative_position_index(self.size, self.size))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def get_relative_positional_bias(self):
        bias_index = self.relative_position_index.view(-1)
        relative_bias = self.relative_position_bias_table[bias_index].view(self.max_seq_len, self.max_seq_len, -1)
        return relative_bias.permute(2, 0, 1).contiguous().unsqueeze(0)

    def forward(self, x):
        B, G, P, D = x.shape
        H, DH = self.n_heads, self.head_dim

        q, k, v = chunk(self.to_qkv(x), 3, dim=-1)
        q = q.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)
        k = k.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)
        v = v.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)

        k = k * self.scale_factor
        dot_prod = einsum("B G H I D, B G H J D -> B G H I J", q, k)
        dot_prod = F.softmax(dot_prod + self.get_relative_positional_bias(), dim=-1)

        out = einsum("B G H I J, B G H J D -> B G H I D", dot_prod, v)
        out = out.permute(0, 1, 3, 2, 4).reshape(B, G, P, D)
        return self.merge(out)


class SwapAxes(nn.Module):
    """The input with dimensions ``a`` and ``b`` swapped (:func:`torchless.swapaxes`)."""

    def __init__(self, a, b):
        super().__init__()
        self.a = a
        self.b = b

    def forward(self, x):
        return swapaxes(x, self.a, self.b)


class WindowPartition(nn.Module):
    """(B, C, H, W) -> (B, (H / p) * (W / p), p * p, C): the map cut into p x p windows."""

    def forward(self, x, p):
        B, C, H, W = x.shape
        P = p
        x = x.reshape(B, C, H // P, P, W // P, P)
        x = x.permute(0, 2, 4, 3, 5, 1)
        return x.reshape(B, (H // P) * (W // P), P * P, C)


class WindowDepartition(nn.Module):
    """(B, h_partitions * w_partitions, p * p, C) -> (B, C, h_partitions * p, w_partitions * p): the inverse of
    :class:`WindowPartition`."""

    def forward(self, x, p, h_partitions, w_partitions):
        B, G, PP, C = x.shape
        P = p
        HP, WP = h_partitions, w_partitions
        x = x.reshape(B, HP, WP, P, P, C)
        x = x.permute(0, 5, 1, 3, 2, 4)
        return x.reshape(B, C, HP * P, WP * P)


class PartitionAttentionLayer(nn.Module):
    """A pre-norm transformer layer (relative positional attention, then an MLP, each residual through stochastic
    depth) over partitions of the map: ``"window"`` attends within each ``partition_size`` x ``partition_size``
    window (block attention), ``"grid"`` among the positions ``grid_size / partition_size`` apart, one from each
    window (grid attention, by swapping the partition's axes).

    Args:
        in_channels (int): the channels.
        head_dim (int): the features of a head.
        partition_size (int): the side of a window, or of the grid.
        partition_type (str): ``"window"`` or ``"grid"``.
        grid_size (tuple of int): the feature map's size (fixed when built).
        mlp_ratio (int): the MLP's hidden features over ``in_channels``.
        activation_layer (callable): the MLP's activation.
        norm_layer (callable): the attention's pre-norm.
        attention_dropout (float): dropout after the attention.
        mlp_dropout (float): dropout after the MLP.
        p_stochastic_dropout (float): the stochastic depth probability.

    Shape:
        - Input: (B, in_channels, grid_size[0], grid_size[1])
        - Output: the same
    """

    def __init__(self, in_channels, head_dim, partition_size, partition_type, grid_size, mlp_ratio, activation_layer,
                 norm_layer, attention_dropout, mlp_dropout, p_stochastic_dropout):
        super().__init__()
        self.n_heads = in_channels // head_dim
        self.head_dim = head_dim
        self.n_partitions = grid_size[0] // partition_size
        self.partition_type = partition_type
        self.grid_size = grid_size

        if partition_type not in ["grid", "window"]:
            raise ValueError("partition_type must be either 'grid' or 'window'")
        if partition_type == "window":
            self.p, self.g = partition_size, self.n_partitions
        else:
            self.p, self.g = self.n_partitions, partition_size

        self.partition_op = WindowPartition()
        self.departition_op = WindowDepartition()
        self.partition_swap = SwapAxes(-2, -3) if partition_type == "grid" else nn.Identity()
        self.departition_swap = SwapAxes(-2, -3) if partition_type == "grid" else nn.Identity()

        # partition_size ** 2 positions either way: the grid's axes are swapped into windows of that size
        self.attn_layer = nn.Sequential(
            norm_layer(in_channels),
            RelativePositionalMultiHeadAttention(in_channels, head_dim, partition_size ** 2),
            nn.Dropout(attention_dropout),
        )
        self.mlp_layer = nn.Sequential(
            nn.LayerNorm(in_channels),
            nn.Linear(in_channels, in_channels * mlp_ratio),
            activation_layer(),
            nn.Linear(in_channels * mlp_ratio, in_channels),
            nn.Dropout(mlp_dropout),
        )
        self.stochastic_dropout = StochasticDepth(p_stochastic_dropout, mode="row")

    def forward(self, x):
        gh, gw = self.grid_size[0] // self.p, self.grid_size[1] // self.p
        _check(self.grid_size[0] % self.p == 0 and self.grid_size[1] % self.p == 0,
               f"Grid size must be divisible by partition size. Got grid size of {self.grid_size} and partition size "
               f"of {self.p}")
        x = self.partition_op(x, self.p)
        x = self.partition_swap(x)
        x = x + self.stochastic_dropout(self.attn_layer(x))
        x = x + self.stochastic_dropout(self.mlp_layer(x))
        x = self.departition_swap(x)
        return self.departition_op(x, self.p, gh, gw)


class MaxVitLayer(nn.Module):
    """An MBConv (``"MBconv"``), then block attention (``"window_attention"``) and grid attention
    (``"grid_attention"``), as a Sequential ``layers``. Arguments as those of :class:`MBConv` and
    :class:`PartitionAttentionLayer`."""

    def __init__(self, in_channels, out_channels, squeeze_ratio, expansion_ratio, stride, norm_layer,
                 activation_layer, head_dim, mlp_ratio, mlp_dropout, attention_dropout, p_stochastic_dropout,
                 partition_size, grid_size):
        super().__init__()
        layers = OrderedDict()
        layers["MBconv"] = MBConv(in_channels=in_channels, out_channels=out_channels, expansion_ratio=expansion_ratio,
                                  squeeze_ratio=squeeze_ratio, stride=stride, activation_layer=activation_layer,
                                  norm_layer=norm_layer, p_stochastic_dropout=p_stochastic_dropout)
        for name, partition_type in (("window_attention", "window"), ("grid_attention", "grid")):
            layers[name] = PartitionAttentionLayer(
                in_channels=out_channels, head_dim=head_dim, partition_size=partition_size,
                partition_type=partition_type, grid_size=grid_size, mlp_ratio=mlp_ratio,
                activation_layer=activation_layer, norm_layer=nn.LayerNorm, attention_dropout=attention_dropout,
                mlp_dropout=mlp_dropout, p_stochastic_dropout=p_stochastic_dropout)
        self.layers = nn.Sequential(layers)

    def forward(self, x):
        return self.layers(x)


class MaxVitBlock(nn.Module):
    """A stage of MaxViT: ``n_layers`` :class:`MaxVitLayer`, the first of stride 2, the i-th of stochastic depth
    probability ``p_stochastic[i]``; ``grid_size`` is the size it works at. Arguments as :class:`MaxVitLayer`'s,
    with ``input_grid_size`` the size of its input."""

    def __init__(self, in_channels, out_channels, squeeze_ratio, expansion_ratio, norm_layer, activation_layer,
                 head_dim, mlp_ratio, mlp_dropout, attention_dropout, partition_size, input_grid_size, n_layers,
                 p_stochastic):
        super().__init__()
        if not len(p_stochastic) == n_layers:
            raise ValueError(f"p_stochastic must have length n_layers={n_layers}, got p_stochastic={p_stochastic}.")
        self.layers = nn.ModuleList()
        self.grid_size = _get_conv_output_shape(input_grid_size, kernel_size=3, stride=2, padding=1)
        for idx, p in enumerate(p_stochastic):
            self.layers += [MaxVitLayer(
                in_channels=in_channels if idx == 0 else out_channels, out_channels=out_channels,
                squeeze_ratio=squeeze_ratio, expansion_ratio=expansion_ratio, stride=2 if idx == 0 else 1,
                norm_layer=norm_layer, activation_layer=activation_layer, head_dim=head_dim, mlp_ratio=mlp_ratio,
                mlp_dropout=mlp_dropout, attention_dropout=attention_dropout, partition_size=partition_size,
                grid_size=self.grid_size, p_stochastic_dropout=p)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class MaxVit(nn.Module):
    """MaxViT: a stem of two 3x3 convolutions (the first of stride 2), stages of :class:`MaxVitLayer` (``blocks``),
    then global average pooling, Flatten, LayerNorm, Linear, Tanh and a Linear layer without bias
    (``classifier``). The input size is fixed when built: each stage's map must divide into windows. The stochastic
    depth probabilities grow linearly over the layers, from 0 to ``stochastic_depth_prob``.

    Args:
        input_size (tuple of int): the images' height and width.
        stem_channels (int): the stem's channels.
        partition_size (int): the side of the attention windows and grids.
        block_channels (list of int): the stages' channels.
        block_layers (list of int): the stages' numbers of layers.
        head_dim (int): the features of an attention head.
        stochastic_depth_prob (float): the last layer's stochastic depth probability.
        norm_layer (callable, optional): the convolutions' norm layer. Default: BatchNorm2d with eps=1e-3 and
            momentum=0.01.
        activation_layer (callable): Default: GELU.
        squeeze_ratio (float): Default: 0.25.
        expansion_ratio (float): Default: 4.
        mlp_ratio (int): Default: 4.
        mlp_dropout (float): Default: 0.0.
        attention_dropout (float): Default: 0.0.
        num_classes (int): Default: 1000.

    Convolutions and Linear layers are initialised with a normal of std 0.02, zero biases; BatchNorm to identity.

    Shape:
        - Input: (N, 3, input_size[0], input_size[1])
        - Output: (N, num_classes)
    """

    def __init__(self, input_size, stem_channels, partition_size, block_channels, block_layers, head_dim,
                 stochastic_depth_prob, norm_layer=None, activation_layer=nn.GELU, squeeze_ratio=0.25,
                 expansion_ratio=4, mlp_ratio=4, mlp_dropout=0.0, attention_dropout=0.0, num_classes=1000):
        super().__init__()
        input_channels = 3
        if norm_layer is None:  # the reference implementation's batch norm
            norm_layer = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)

        block_input_sizes = _make_block_input_shapes(input_size, len(block_channels))
        for idx, block_input_size in enumerate(block_input_sizes):
            if block_input_size[0] % partition_size != 0 or block_input_size[1] % partition_size != 0:
                raise ValueError(
                    f"Input size {block_input_size} of block {idx} is not divisible by partition size "
                    f"{partition_size}. Consider changing the partition size or the input size.\n"
                    f"Current configuration yields the following block input sizes: {block_input_sizes}.")

        self.stem = nn.Sequential(
            Conv2dNormActivation(input_channels, stem_channels, 3, stride=2, norm_layer=norm_layer,
                                 activation_layer=activation_layer, bias=False, inplace=None),
            Conv2dNormActivation(stem_channels, stem_channels, 3, stride=1, norm_layer=None, activation_layer=None,
                                 bias=True),
        )

        input_size = _get_conv_output_shape(input_size, kernel_size=3, stride=2, padding=1)
        self.partition_size = partition_size

        self.blocks = nn.ModuleList()
        in_channels = [stem_channels] + block_channels[:-1]
        out_channels = block_channels
        # one probability per layer of every stage, from 0 to stochastic_depth_prob
        p_stochastic = np.linspace(0, stochastic_depth_prob, sum(block_layers)).tolist()
        p_idx = 0
        for in_channel, out_channel, num_layers in zip(in_channels, out_channels, block_layers):
            self.blocks.append(MaxVitBlock(
                in_channels=in_channel, out_channels=out_channel, squeeze_ratio=squeeze_ratio,
                expansion_ratio=expansion_ratio, norm_layer=norm_layer, activation_layer=activation_layer,
                head_dim=head_dim, mlp_ratio=mlp_ratio, mlp_dropout=mlp_dropout, attention_dropout=attention_dropout,
                partition_size=partition_size, input_grid_size=input_size, n_layers=num_layers,
                p_stochastic=p_stochastic[p_idx:p_idx + num_layers]))
            input_size = self.blocks[-1].grid_size
            p_idx += num_layers

        # Linear -> Tanh -> Linear: the reference implementation's pre-logits
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.LayerNorm(block_channels[-1]),
            nn.Linear(block_channels[-1], block_channels[-1]),
            nn.Tanh(),
            nn.Linear(block_channels[-1], num_classes, bias=False),
        )
        self._init_weights()

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.classifier(x)

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)


MaxVit_T_Weights = weights_enum("MaxVit_T_Weights", __name__)


def _maxvit(stem_channels, block_channels, block_layers, stochastic_depth_prob, partition_size, head_dim,
            weights=None, progress=False, **kwargs):
    if weights is not None:  # the weights fix the input size they were trained at
        _check(weights.meta["min_size"][0] == weights.meta["min_size"][1], "")
        _ovewrite_named_param(kwargs, "input_size", weights.meta["min_size"])
    input_size = kwargs.pop("input_size", (224, 224))
    model = MaxVit(stem_channels=stem_channels, block_channels=block_channels, block_layers=block_layers,
                   stochastic_depth_prob=stochastic_depth_prob, head_dim=head_dim, partition_size=partition_size,
                   input_size=input_size, **kwargs)
    return _load_weights(model, weights, progress)


@register_model()
def maxvit_t(weights: Optional[MaxVit_T_Weights] = None, progress=True, **kwargs):
    """Constructs a maxvit_t architecture from `MaxViT: Multi-Axis Vision Transformer
    <https://arxiv.org/abs/2204.01697>`__.

    Args:
        weights (:class:`~torchless.vision.models.MaxVit_T_Weights`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.MaxVit_T_Weights` for more details, and possible values. By default, no
            pre-trained weights are used. Weights fix ``input_size`` to the size they were trained at.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`MaxVit` (``input_size`` (default (224, 224)), ``num_classes``, ``norm_layer``,
            ``activation_layer``, ``squeeze_ratio``, ``expansion_ratio``, ``mlp_ratio``, ``mlp_dropout``,
            ``attention_dropout``).
    """
    weights = _verify_weights(MaxVit_T_Weights, weights, kwargs)
    return _maxvit(stem_channels=64, block_channels=[64, 128, 256, 512], block_layers=[2, 2, 5, 2], head_dim=32,
                   stochastic_depth_prob=0.2, partition_size=7, weights=weights, progress=progress, **kwargs)
