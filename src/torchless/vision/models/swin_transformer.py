"""Swin Transformer ("Hierarchical Vision Transformer using Shifted Windows") and Swin Transformer V2 ("Scaling Up
Capacity and Resolution"): T, S and B of each."""
import math
from functools import partial
from typing import Optional

from ... import arange, cat, clamp, flatten, float32, log, log2, meshgrid, nn, ones, roll, sigmoid, sign, stack, zeros
from ...nn import functional as F
from ..ops.misc import MLP, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import register_model
from ._utils import _load_weights, _verify_weights
from ._weights import weights_enum

__all__ = ["SwinTransformer", "Swin_T_Weights", "Swin_S_Weights", "Swin_B_Weights", "Swin_V2_T_Weights",
           "Swin_V2_S_Weights", "Swin_V2_B_Weights", "swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s",
           "swin_v2_b"]


def _patch_merging_pad(x):
    """(..., H, W, C) -> (..., ceil(H / 2), ceil(W / 2), 4 * C): each 2 x 2 patch's four pixels side by side (odd
    sizes padded with zeros first), in torchvision's order (top left, bottom left, top right, bottom right)."""
    H, W, _ = x.shape[-3:]
    x = F.pad(x, (0, 0, 0, W % 2, 0, H % 2))
    x0 = x[..., 0::2, 0::2, :]
    x1 = x[..., 1::2, 0::2, :]
    x2 = x[..., 0::2, 1::2, :]
    x3 = x[..., 1::2, 1::2, :]
    return cat([x0, x1, x2, x3], -1)


def _get_relative_position_bias(relative_position_bias_table, relative_position_index, window_size):
    """The (1, heads, N, N) bias between the N = window area positions of a window, looked up in the table (one row
    per relative offset)."""
    N = window_size[0] * window_size[1]
    relative_position_bias = relative_position_bias_table[relative_position_index]
    relative_position_bias = relative_position_bias.view(N, N, -1)
    return relative_position_bias.permute(2, 0, 1).contiguous().unsqueeze(0)


class PatchMerging(nn.Module):
    """Swin's downsampling: each 2 x 2 patch's features concatenated, normalised, then projected to twice the
    channels (no bias).

    Args:
        dim (int): the input's channels.
        norm_layer (callable, optional): builds the norm layer, over ``4 * dim`` features. Default: LayerNorm.

    Shape:
        - Input: (..., H, W, dim)
        - Output: (..., ceil(H / 2), ceil(W / 2), 2 * dim)
    """

    def __init__(self, dim, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x):
        x = _patch_merging_pad(x)
        x = self.norm(x)
        return self.reduction(x)


class PatchMergingV2(nn.Module):
    """Swin V2's downsampling: as :class:`PatchMerging`, but normalising after the projection (over ``2 * dim``
    features)."""

    def __init__(self, dim, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x):
        x = _patch_merging_pad(x)
        x = self.reduction(x)
        return self.norm(x)


def shifted_window_attention(input, qkv_weight, proj_weight, relative_position_bias, window_size, num_heads,
                             shift_size, attention_dropout=0.0, dropout=0.0, qkv_bias=None, proj_bias=None,
                             logit_scale=None, training=True):
    """Multi-head self-attention within windows (W-MSA), the windows shifted by ``shift_size`` (SW-MSA) if it is not
    zero, with a relative position bias.

    The feature map is padded (bottom and right) to whole windows; a window at least as large as the padded map is
    not shifted. Shifting rolls the map by ``-shift_size`` and masks attention (-100 added to the logits) between
    positions that come from different regions of the unrolled map.

    Args:
        input (Tensor[N, H, W, C]): the feature map.
        qkv_weight (Tensor[3 * C, C]): the query, key and value projection's weight.
        proj_weight (Tensor[C, C]): the output projection's weight.
        relative_position_bias (Tensor): added to the attention logits, broadcast as (1, heads, area, area).
        window_size (list of int): the windows' height and width.
        num_heads (int): the attention heads (``C`` split evenly among them).
        shift_size (list of int): the shift, vertical and horizontal.
        attention_dropout (float): dropout on the attention weights. Default: 0.0.
        dropout (float): dropout on the output. Default: 0.0.
        qkv_bias (Tensor[3 * C], optional): the query, key and value projection's bias. Default: None.
        proj_bias (Tensor[C], optional): the output projection's bias. Default: None.
        logit_scale (Tensor[heads, 1, 1], optional): Swin V2's cosine attention: the logarithm of each head's
            temperature (clamped at log(100)); the key bias is then unused. Default: None, scaled dot products.
        training (bool): whether the dropouts apply. Default: True.

    Returns:
        Tensor[N, H, W, C]
    """
    B, H, W, C = input.shape
    pad_r = (window_size[1] - W % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - H % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_H, pad_W, _ = x.shape

    shift_size = shift_size.copy()
    # a window covering the whole (padded) map has nothing to shift across
    if window_size[0] >= pad_H:
        shift_size[0] = 0
    if window_size[1] >= pad_W:
        shift_size[1] = 0

    if sum(shift_size) > 0:
        x = roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))

    # partition into windows: (B * windows, area, C)
    num_windows = (pad_H // window_size[0]) * (pad_W // window_size[1])
    x = x.view(B, pad_H // window_size[0], window_size[0], pad_W // window_size[1], window_size[1], C)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B * num_windows, window_size[0] * window_size[1], C)

    if logit_scale is not None and qkv_bias is not None:
        # V2's keys have no bias (a bias on every key shifts each cosine alike)
        qkv_bias = qkv_bias.clone()
        length = qkv_bias.numel() // 3
        qkv_bias[length:2 * length].zero_()
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.size(0), x.size(1), 3, num_heads, C // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        logit_scale = clamp(logit_scale, max=math.log(100.0)).exp()
        attn = attn * logit_scale
    else:
        q = q * (C // num_heads) ** -0.5
        attn = q.matmul(k.transpose(-2, -1))
    attn = attn + relative_position_bias

    if sum(shift_size) > 0:
        # label the map's regions before the roll; positions of a window from different regions do not attend
        attn_mask = x.new_zeros((pad_H, pad_W))
        h_slices = ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None))
        w_slices = ((0, -window_size[1]), (-window_size[1], -shift_size[1]), (-shift_size[1], None))
        count = 0
        for h in h_slices:
            for w in w_slices:
                attn_mask[h[0]:h[1], w[0]:w[1]] = count
                count += 1
        attn_mask = attn_mask.view(pad_H // window_size[0], window_size[0], pad_W // window_size[1], window_size[1])
        attn_mask = attn_mask.permute(0, 2, 1, 3).reshape(num_windows, window_size[0] * window_size[1])
        attn_mask = attn_mask.unsqueeze(1) - attn_mask.unsqueeze(2)
        attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))
        attn = attn.view(x.size(0) // num_windows, num_windows, num_heads, x.size(1), x.size(1))
        attn = attn + attn_mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, num_heads, x.size(1), x.size(1))

    attn = F.softmax(attn, dim=-1)
    attn = F.dropout(attn, p=attention_dropout, training=training)

    x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), x.size(1), C)
    x = F.linear(x, proj_weight, proj_bias)
    x = F.dropout(x, p=dropout, training=training)

    # windows back into the map, the roll undone, the padding cut
    x = x.view(B, pad_H // window_size[0], pad_W // window_size[1], window_size[0], window_size[1], C)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, pad_H, pad_W, C)
    if sum(shift_size) > 0:
        x = roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :H, :W, :].contiguous()


class ShiftedWindowAttention(nn.Module):
    """The module of :func:`shifted_window_attention`: its projections (``qkv``, ``proj``), a learnt table of
    relative position biases (``relative_position_bias_table``, one row per offset within a window, truncated
    normal of std 0.02) and the buffer of each pair of positions' row (``relative_position_index``).

    Args:
        dim (int): the channels.
        window_size (list of int): the windows' height and width.
        shift_size (list of int): the shift, vertical and horizontal.
        num_heads (int): the attention heads.
        qkv_bias (bool): Default: True.
        proj_bias (bool): Default: True.
        attention_dropout (float): Default: 0.0.
        dropout (float): Default: 0.0.

    Shape:
        - Input: (N, H, W, dim)
        - Output: (N, H, W, dim)
    """

    def __init__(self, dim, window_size, shift_size, num_heads, qkv_bias=True, proj_bias=True, attention_dropout=0.0,
                 dropout=0.0):
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout

        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)

        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self):
        self.relative_position_bias_table = nn.Parameter(
            zeros((2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1), self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self):
        """The buffer of the table row of each (query, key) pair of a window's positions, flattened: the row of
        the offset (dy, dx) is ``(dy + Wh - 1) * (2 * Ww - 1) + dx + Ww - 1``."""
        coords_h = arange(self.window_size[0])
        coords_w = arange(self.window_size[1])
        coords = stack(meshgrid(coords_h, coords_w, indexing="ij"))
        coords_flatten = flatten(coords, 1)
        relative_coords = coords_flatten[:, :, None] - coords_flatten[:, None, :]
        relative_coords = relative_coords.permute(1, 2, 0).contiguous()
        relative_coords[:, :, 0] += self.window_size[0] - 1
        relative_coords[:, :, 1] += self.window_size[1] - 1
        relative_coords[:, :, 0] *= 2 * self.window_size[1] - 1
        self.register_buffer("relative_position_index", relative_coords.sum(-1).flatten())

    def get_relative_position_bias(self):
        return _get_relative_position_bias(self.relative_position_bias_table, self.relative_position_index,
                                           self.window_size)

    def forward(self, x):
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(), self.window_size, self.num_heads,
            shift_size=self.shift_size, attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """Swin V2's window attention: cosine attention with a learnt per-head temperature (``logit_scale``, log(10) at
    first) and a continuous position bias, ``16 * sigmoid`` of a small MLP (``cpb_mlp``: 2 -> 512 -> heads) of the
    log-spaced relative coordinates (the buffer ``relative_coords_table``). The keys' third of ``qkv``'s bias starts
    at zero and is never used. Arguments as :class:`ShiftedWindowAttention`'s."""

    def __init__(self, dim, window_size, shift_size, num_heads, qkv_bias=True, proj_bias=True, attention_dropout=0.0,
                 dropout=0.0):
        super().__init__(dim, window_size, shift_size, num_heads, qkv_bias=qkv_bias, proj_bias=proj_bias,
                         attention_dropout=attention_dropout, dropout=dropout)
        self.logit_scale = nn.Parameter(log(10 * ones((num_heads, 1, 1))))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True),
                                     nn.Linear(512, num_heads, bias=False))
        if qkv_bias:
            length = self.qkv.bias.numel() // 3
            self.qkv.bias[length:2 * length].data.zero_()

    def define_relative_position_bias_table(self):
        """The buffer of the (1, 2 * Wh - 1, 2 * Ww - 1, 2) relative coordinates (dy, dx), each scaled to [-8, 8]
        then mapped to ``sign * log2(1 + |.|) / 3``."""
        relative_coords_h = arange(-(self.window_size[0] - 1), self.window_size[0], dtype=float32)
        relative_coords_w = arange(-(self.window_size[1] - 1), self.window_size[1], dtype=float32)
        relative_coords_table = stack(meshgrid([relative_coords_h, relative_coords_w], indexing="ij"))
        relative_coords_table = relative_coords_table.permute(1, 2, 0).contiguous().unsqueeze(0)
        relative_coords_table[:, :, :, 0] /= self.window_size[0] - 1
        relative_coords_table[:, :, :, 1] /= self.window_size[1] - 1
        relative_coords_table *= 8
        relative_coords_table = sign(relative_coords_table) * log2(relative_coords_table.abs() + 1.0) / 3.0
        self.register_buffer("relative_coords_table", relative_coords_table)

    def get_relative_position_bias(self):
        relative_position_bias = _get_relative_position_bias(
            self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads), self.relative_position_index,
            self.window_size)
        return 16 * sigmoid(relative_position_bias)

    def forward(self, x):
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(), self.window_size, self.num_heads,
            shift_size=self.shift_size, attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, logit_scale=self.logit_scale, training=self.training)


class SwinTransformerBlock(nn.Module):
    """Swin's pre-norm block: ``x + stochastic_depth(attn(norm1(x)))``, then ``y + stochastic_depth(mlp(norm2(y)))``,
    stochastic depth dropping whole samples' branches while training.

    Args:
        dim (int): the channels.
        num_heads (int): the attention heads.
        window_size (list of int): the windows' height and width.
        shift_size (list of int): the windows' shift.
        mlp_ratio (float): the MLP's hidden features over ``dim``. Default: 4.0.
        dropout (float): Default: 0.0.
        attention_dropout (float): Default: 0.0.
        stochastic_depth_prob (float): Default: 0.0.
        norm_layer (callable): Default: LayerNorm.
        attn_layer (callable): Default: :class:`ShiftedWindowAttention`.

    The MLP's Linear layers are xavier-uniform with biases N(0, 1e-6).
    """

    def __init__(self, dim, num_heads, window_size, shift_size, mlp_ratio=4.0, dropout=0.0, attention_dropout=0.0,
                 stochastic_depth_prob=0.0, norm_layer=nn.LayerNorm, attn_layer=ShiftedWindowAttention):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads, attention_dropout=attention_dropout,
                               dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None, dropout=dropout)

        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x):
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """Swin V2's block, "res-post-norm": ``x + stochastic_depth(norm1(attn(x)))``, then the same with the MLP and
    ``norm2``. Arguments as :class:`SwinTransformerBlock`'s, ``attn_layer`` defaulting to
    :class:`ShiftedWindowAttentionV2`."""

    def __init__(self, dim, num_heads, window_size, shift_size, mlp_ratio=4.0, dropout=0.0, attention_dropout=0.0,
                 stochastic_depth_prob=0.0, norm_layer=nn.LayerNorm, attn_layer=ShiftedWindowAttentionV2):
        super().__init__(dim, num_heads, window_size, shift_size, mlp_ratio=mlp_ratio, dropout=dropout,
                         attention_dropout=attention_dropout, stochastic_depth_prob=stochastic_depth_prob,
                         norm_layer=norm_layer, attn_layer=attn_layer)

    def forward(self, x):
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


class SwinTransformer(nn.Module):
    """Swin Transformer: a patchifying convolution, channels-last, and a norm layer; per stage a Sequential of
    blocks whose windows alternate between unshifted and shifted by half a window, then (except after the last
    stage) a patch merging layer halving the resolution and doubling the channels (``features``); a norm layer,
    back to channels-first (``permute``), global average pooling (``avgpool``), ``flatten`` and a Linear layer
    (``head``). The stochastic depth probability grows linearly with the block's index, from 0 for the first block
    to ``stochastic_depth_prob`` for the last. Images of any size are padded to whole windows.

    Args:
        patch_size (list of int): the patches' height and width.
        embed_dim (int): the first stage's channels.
        depths (list of int): the stages' numbers of blocks.
        num_heads (list of int): the stages' attention heads.
        window_size (list of int): the windows' height and width.
        mlp_ratio (float): Default: 4.0.
        dropout (float): Default: 0.0.
        attention_dropout (float): Default: 0.0.
        stochastic_depth_prob (float): Default: 0.1.
        num_classes (int): Default: 1000.
        norm_layer (callable, optional): Default: LayerNorm with eps=1e-5.
        block (callable, optional): Default: :class:`SwinTransformerBlock`.
        downsample_layer (callable): Default: :class:`PatchMerging`.

    Linear layers are initialised with a normal of std 0.02 truncated to [-2, 2], zero biases.

    Shape:
        - Input: (N, 3, H, W)
        - Output: (N, num_classes)
    """

    def __init__(self, patch_size, embed_dim, depths, num_heads, window_size, mlp_ratio=4.0, dropout=0.0,
                 attention_dropout=0.0, stochastic_depth_prob=0.1, num_classes=1000, norm_layer=None, block=None,
                 downsample_layer=PatchMerging):
        super().__init__()
        self.num_classes = num_classes
        if block is None:
            block = SwinTransformerBlock
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-5)

        layers = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=(patch_size[0], patch_size[1]), stride=(patch_size[0], patch_size[1])),
            Permute([0, 2, 3, 1]),
            norm_layer(embed_dim),
        )]
        total_stage_blocks = sum(depths)
        stage_block_id = 0
        for i_stage in range(len(depths)):
            stage = []
            dim = embed_dim * 2 ** i_stage
            for i_layer in range(depths[i_stage]):
                sd_prob = stochastic_depth_prob * float(stage_block_id) / (total_stage_blocks - 1)
                stage.append(block(dim, num_heads[i_stage], window_size=window_size,
                                   shift_size=[0 if i_layer % 2 == 0 else w // 2 for w in window_size],
                                   mlp_ratio=mlp_ratio, dropout=dropout, attention_dropout=attention_dropout,
                                   stochastic_depth_prob=sd_prob, norm_layer=norm_layer))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)

        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x)
        x = self.norm(x)
        x = self.permute(x)
        x = self.avgpool(x)
        x = self.flatten(x)
        return self.head(x)


Swin_T_Weights = weights_enum("Swin_T_Weights", __name__)
Swin_S_Weights = weights_enum("Swin_S_Weights", __name__)
Swin_B_Weights = weights_enum("Swin_B_Weights", __name__)
Swin_V2_T_Weights = weights_enum("Swin_V2_T_Weights", __name__)
Swin_V2_S_Weights = weights_enum("Swin_V2_S_Weights", __name__)
Swin_V2_B_Weights = weights_enum("Swin_V2_B_Weights", __name__)

# builder -> (embed_dim, depths, num_heads, window_size, default stochastic depth probability)
_SETTINGS = {
    "swin_t": (96, [2, 2, 6, 2], [3, 6, 12, 24], [7, 7], 0.2),
    "swin_s": (96, [2, 2, 18, 2], [3, 6, 12, 24], [7, 7], 0.3),
    "swin_b": (128, [2, 2, 18, 2], [4, 8, 16, 32], [7, 7], 0.5),
    "swin_v2_t": (96, [2, 2, 6, 2], [3, 6, 12, 24], [8, 8], 0.2),
    "swin_v2_s": (96, [2, 2, 18, 2], [3, 6, 12, 24], [8, 8], 0.3),
    "swin_v2_b": (128, [2, 2, 18, 2], [4, 8, 16, 32], [8, 8], 0.5),
}


def _swin_transformer(patch_size, embed_dim, depths, num_heads, window_size, stochastic_depth_prob, weights, progress,
                      **kwargs):
    """torchvision's ``_swin_transformer``: the builders pass their settings by keyword, so that a caller's
    ``stochastic_depth_prob`` (or V2's ``block``) is the TypeError of a keyword given twice, as in torchvision."""
    model = SwinTransformer(patch_size=patch_size, embed_dim=embed_dim, depths=depths, num_heads=num_heads,
                            window_size=window_size, stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    return _load_weights(model, weights, progress)


def _build(arch, weights_enum, weights, progress, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    embed_dim, depths, num_heads, window_size, stochastic_depth_prob = _SETTINGS[arch]
    v2_layers = ({"block": SwinTransformerBlockV2, "downsample_layer": PatchMergingV2} if arch.startswith("swin_v2")
                 else {})
    return _swin_transformer(patch_size=[4, 4], embed_dim=embed_dim, depths=depths, num_heads=num_heads,
                             window_size=window_size, stochastic_depth_prob=stochastic_depth_prob, weights=weights,
                             progress=progress, **v2_layers, **kwargs)


@register_model()
def swin_t(weights: Optional[Swin_T_Weights] = None, progress=True, **kwargs):
    return _build("swin_t", Swin_T_Weights, weights, progress, kwargs)


@register_model()
def swin_s(weights: Optional[Swin_S_Weights] = None, progress=True, **kwargs):
    return _build("swin_s", Swin_S_Weights, weights, progress, kwargs)


@register_model()
def swin_b(weights: Optional[Swin_B_Weights] = None, progress=True, **kwargs):
    return _build("swin_b", Swin_B_Weights, weights, progress, kwargs)


@register_model()
def swin_v2_t(weights: Optional[Swin_V2_T_Weights] = None, progress=True, **kwargs):
    return _build("swin_v2_t", Swin_V2_T_Weights, weights, progress, kwargs)


@register_model()
def swin_v2_s(weights: Optional[Swin_V2_S_Weights] = None, progress=True, **kwargs):
    return _build("swin_v2_s", Swin_V2_S_Weights, weights, progress, kwargs)


@register_model()
def swin_v2_b(weights: Optional[Swin_V2_B_Weights] = None, progress=True, **kwargs):
    return _build("swin_v2_b", Swin_V2_B_Weights, weights, progress, kwargs)


_DOC = """Constructs a {arch} architecture from `{paper}`__: {embed_dim} channels in the first stage, stages of
    {depths} blocks, windows of {window} x {window}.

    Args:
        weights (:class:`~torchless.vision.models.{enum}`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.{enum}` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`SwinTransformer` (``num_classes``, ``mlp_ratio``, ``dropout``,
            ``attention_dropout``, ``norm_layer``{more}).
    """
_PAPERS = {"swin": "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows "
                   "<https://arxiv.org/abs/2103.14030>",
           "swin_v2": "Swin Transformer V2: Scaling Up Capacity and Resolution <https://arxiv.org/abs/2111.09883>"}
_SIZES = {"t": "tiny", "s": "small", "b": "base"}

for _builder, _enum in ((swin_t, Swin_T_Weights), (swin_s, Swin_S_Weights), (swin_b, Swin_B_Weights),
                        (swin_v2_t, Swin_V2_T_Weights), (swin_v2_s, Swin_V2_S_Weights),
                        (swin_v2_b, Swin_V2_B_Weights)):
    _family, _, _size = _builder.__name__.rpartition("_")
    _embed_dim, _depths, _, _window, _ = _SETTINGS[_builder.__name__]
    _builder.__doc__ = _DOC.format(arch=f"{_family}_{_SIZES[_size]}", paper=_PAPERS[_family], embed_dim=_embed_dim,
                                   depths=_depths, window=_window[0], enum=_enum.__name__,
                                   more=", ``block``, ``downsample_layer``" if _family == "swin" else "")
del _builder, _enum, _family, _size, _embed_dim, _depths, _window
