"""Vision Transformer ("An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale")."""
import math
from collections import OrderedDict
from functools import partial
from typing import Callable, NamedTuple, Optional

from ... import cat, empty, nn, zeros
from ..ops.misc import MLP, Conv2dNormActivation
from ._api import register_model
from ._utils import _check, _load_weights, _ovewrite_named_param, _verify_weights
from ._weights import weights_enum

__all__ = ["VisionTransformer", "ViT_B_16_Weights", "ViT_B_32_Weights", "ViT_L_16_Weights", "ViT_L_32_Weights",
           "ViT_H_14_Weights", "vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"]


class ConvStemConfig(NamedTuple):
    """One Conv2dNormActivation of a convolutional stem (`Early Convolutions Help Transformers See Better
    <https://arxiv.org/abs/2106.14881>`__) replacing the patchifying convolution."""

    out_channels: int
    kernel_size: int
    stride: int
    norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d
    activation_layer: Callable[..., nn.Module] = nn.ReLU


class MLPBlock(MLP):
    """The transformer's MLP: Linear to ``mlp_dim``, GELU, Dropout, Linear back to ``in_dim``, Dropout; the Linear
    layers xavier-uniform with biases N(0, 1e-6). A state dict of version 1 (``linear_1``, ``linear_2``) loads."""

    _version = 2

    def __init__(self, in_dim, mlp_dim, dropout):
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None, dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            # version 1 named the Linear layers linear_1 and linear_2
            for i in range(2):
                for kind in ["weight", "bias"]:
                    old_key = f"{prefix}linear_{i + 1}.{kind}"
                    if old_key in state_dict:
                        state_dict[f"{prefix}{3 * i}.{kind}"] = state_dict.pop(old_key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


class EncoderBlock(nn.Module):
    """A pre-norm transformer block: ``x + dropout(self_attention(ln_1(x)))``, then ``y + mlp(ln_2(y))``.

    Shape:
        - Input: (N, L, hidden_dim)
        - Output: (N, L, hidden_dim)
    """

    def __init__(self, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                 norm_layer=partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads, dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input):
        _check(input.dim() == 3, f"Expected (batch_size, seq_length, hidden_dim) got {input.shape}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x)
        x = x + input
        y = self.ln_2(x)
        y = self.mlp(y)
        return x + y


class Encoder(nn.Module):
    """The learnt position embedding (N(0, 0.02), as BERT's) added to the sequence, dropout, ``num_layers``
    :class:`EncoderBlock` and a final norm layer.

    Shape:
        - Input: (N, seq_length, hidden_dim)
        - Output: (N, seq_length, hidden_dim)
    """

    def __init__(self, seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                 norm_layer=partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.pos_embedding = nn.Parameter(empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        layers = OrderedDict()
        for i in range(num_layers):
            layers[f"encoder_layer_{i}"] = EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                                                        norm_layer)
        self.layers = nn.Sequential(layers)
        self.ln = norm_layer(hidden_dim)

    def forward(self, input):
        _check(input.dim() == 3, f"Expected (batch_size, seq_length, hidden_dim) got {input.shape}")
        input = input + self.pos_embedding
        return self.ln(self.layers(self.dropout(input)))


class VisionTransformer(nn.Module):
    """Vision Transformer: the image cut into ``patch_size`` squares, each projected to ``hidden_dim`` features by
    a convolution (``conv_proj``; or a convolutional stem), a learnt class token prepended, a transformer
    :class:`Encoder`, and the class token's features through ``heads`` (a Linear layer, or Linear, Tanh, Linear
    with ``representation_size``).

    Args:
        image_size (int): the input's height and width, fixed (the position embedding has one entry per patch);
            a multiple of ``patch_size``.
        patch_size (int)
        num_layers (int): encoder blocks.
        num_heads (int): attention heads; divides ``hidden_dim``.
        hidden_dim (int)
        mlp_dim (int): the MLP's hidden features.
        dropout (float, optional): Default: 0.0.
        attention_dropout (float, optional): Default: 0.0.
        num_classes (int, optional): Default: 1000.
        representation_size (int, optional): features of a pre-logits layer. Default: None (none).
        norm_layer (callable, optional): Default: LayerNorm with eps=1e-6.
        conv_stem_configs (list of ConvStemConfig, optional): a convolutional stem, followed by a 1x1 convolution to
            ``hidden_dim`` (``conv_proj.conv_last``), in place of the patch convolution. Default: None.

    The patch convolution is initialised with a truncated normal of std sqrt(1 / fan_in) (a stem's last convolution
    N(0, 2 / hidden_dim)), zero biases; the pre-logits layer likewise; the head is zero.

    Shape:
        - Input: (N, 3, image_size, image_size)
        - Output: (N, num_classes)
    """

    def __init__(self, image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, dropout=0.0,
                 attention_dropout=0.0, num_classes=1000, representation_size=None,
                 norm_layer=partial(nn.LayerNorm, eps=1e-6), conv_stem_configs=None):
        super().__init__()
        _check(image_size % patch_size == 0, "Input shape indivisible by patch size!")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer

        if conv_stem_configs is not None:
            seq_proj = nn.Sequential()
            prev_channels = 3
            for i, config in enumerate(conv_stem_configs):
                seq_proj.add_module(f"conv_bn_relu_{i}", Conv2dNormActivation(
                    in_channels=prev_channels, out_channels=config.out_channels, kernel_size=config.kernel_size,
                    stride=config.stride, norm_layer=config.norm_layer, activation_layer=config.activation_layer))
                prev_channels = config.out_channels
            seq_proj.add_module("conv_last", nn.Conv2d(in_channels=prev_channels, out_channels=hidden_dim,
                                                       kernel_size=1))
            self.conv_proj = seq_proj
        else:
            self.conv_proj = nn.Conv2d(in_channels=3, out_channels=hidden_dim, kernel_size=patch_size,
                                       stride=patch_size)

        seq_length = (image_size // patch_size) ** 2
        self.class_token = nn.Parameter(zeros(1, 1, hidden_dim))
        seq_length += 1  # the class token
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                               norm_layer)
        self.seq_length = seq_length

        heads_layers = OrderedDict()
        if representation_size is None:
            heads_layers["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads_layers["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads_layers["act"] = nn.Tanh()
            heads_layers["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads_layers)
        self._init_weights()

    def _init_weights(self):
        if isinstance(self.conv_proj, nn.Conv2d):
            fan_in = self.conv_proj.in_channels * self.conv_proj.kernel_size[0] * self.conv_proj.kernel_size[1]
            nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
            if self.conv_proj.bias is not None:
                nn.init.zeros_(self.conv_proj.bias)
        elif self.conv_proj.conv_last is not None and isinstance(self.conv_proj.conv_last, nn.Conv2d):
            last = self.conv_proj.conv_last
            nn.init.normal_(last.weight, mean=0.0, std=math.sqrt(2.0 / last.out_channels))
            if last.bias is not None:
                nn.init.zeros_(last.bias)
        if hasattr(self.heads, "pre_logits") and isinstance(self.heads.pre_logits, nn.Linear):
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / self.heads.pre_logits.in_features))
            nn.init.zeros_(self.heads.pre_logits.bias)
        if isinstance(self.heads.head, nn.Linear):
            nn.init.zeros_(self.heads.head.weight)
            nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x):
        """(N, 3, H, W) -> (N, (H / patch_size) * (W / patch_size), hidden_dim), the patches' features."""
        n, c, h, w = x.shape
        p = self.patch_size
        _check(h == self.image_size, f"Wrong image height! Expected {self.image_size} but got {h}!")
        _check(w == self.image_size, f"Wrong image width! Expected {self.image_size} but got {w}!")
        n_h = h // p
        n_w = w // p
        x = self.conv_proj(x)
        x = x.reshape(n, self.hidden_dim, n_h * n_w)
        return x.permute(0, 2, 1)

    def forward(self, x):
        x = self._process_input(x)
        batch_class_token = self.class_token.expand(x.shape[0], -1, -1)
        x = cat([batch_class_token, x], dim=1)
        x = self.encoder(x)
        return self.heads(x[:, 0])


ViT_B_16_Weights = weights_enum("ViT_B_16_Weights", __name__)
ViT_B_32_Weights = weights_enum("ViT_B_32_Weights", __name__)
ViT_L_16_Weights = weights_enum("ViT_L_16_Weights", __name__)
ViT_L_32_Weights = weights_enum("ViT_L_32_Weights", __name__)
ViT_H_14_Weights = weights_enum("ViT_H_14_Weights", __name__)

# builder -> (patch_size, num_layers, num_heads, hidden_dim, mlp_dim)
_SETTINGS = {
    "vit_b_16": (16, 12, 12, 768, 3072),
    "vit_b_32": (32, 12, 12, 768, 3072),
    "vit_l_16": (16, 24, 16, 1024, 4096),
    "vit_l_32": (32, 24, 16, 1024, 4096),
    "vit_h_14": (14, 32, 16, 1280, 5120),
}


def _vision_transformer(arch, weights_enum, weights, progress, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    if weights is not None:  # the position embedding fixes the image size the weights were trained at
        _ovewrite_named_param(kwargs, "image_size", weights.meta["min_size"][0])
    image_size = kwargs.pop("image_size", 224)
    patch_size, num_layers, num_heads, hidden_dim, mlp_dim = _SETTINGS[arch]
    model = VisionTransformer(image_size=image_size, patch_size=patch_size, num_layers=num_layers,
                              num_heads=num_heads, hidden_dim=hidden_dim, mlp_dim=mlp_dim, **kwargs)
    return _load_weights(model, weights, progress)


@register_model()
def vit_b_16(weights: Optional[ViT_B_16_Weights] = None, progress=True, **kwargs):
    return _vision_transformer("vit_b_16", ViT_B_16_Weights, weights, progress, kwargs)


@register_model()
def vit_b_32(weights: Optional[ViT_B_32_Weights] = None, progress=True, **kwargs):
    return _vision_transformer("vit_b_32", ViT_B_32_Weights, weights, progress, kwargs)


@register_model()
def vit_l_16(weights: Optional[ViT_L_16_Weights] = None, progress=True, **kwargs):
    return _vision_transformer("vit_l_16", ViT_L_16_Weights, weights, progress, kwargs)


@register_model()
def vit_l_32(weights: Optional[ViT_L_32_Weights] = None, progress=True, **kwargs):
    return _vision_transformer("vit_l_32", ViT_L_32_Weights, weights, progress, kwargs)


@register_model()
def vit_h_14(weights: Optional[ViT_H_14_Weights] = None, progress=True, **kwargs):
    return _vision_transformer("vit_h_14", ViT_H_14_Weights, weights, progress, kwargs)


_DOC = """Constructs a {arch} architecture from `An Image is Worth 16x16 Words: Transformers for Image Recognition at
    Scale <https://arxiv.org/abs/2010.11929>`__: patches of {patch} pixels, {layers} layers of {heads} heads,
    {hidden} features, an MLP of {mlp}.

    Args:
        weights (:class:`~torchless.vision.models.{enum}`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.{enum}` for more details, and possible values. By default, no
            pre-trained weights are used. Weights fix ``image_size`` to the size they were trained at.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`VisionTransformer` (``image_size`` (default 224), ``num_classes``, ``dropout``,
            ``attention_dropout``, ``representation_size``, ``norm_layer``, ``conv_stem_configs``).
    """

for _builder, _enum in ((vit_b_16, ViT_B_16_Weights), (vit_b_32, ViT_B_32_Weights), (vit_l_16, ViT_L_16_Weights),
                        (vit_l_32, ViT_L_32_Weights), (vit_h_14, ViT_H_14_Weights)):
    _patch, _layers, _heads, _hidden, _mlp = _SETTINGS[_builder.__name__]
    _builder.__doc__ = _DOC.format(arch=_builder.__name__, patch=_patch, layers=_layers, heads=_heads, hidden=_hidden,
                                   mlp=_mlp, enum=_enum.__name__)
del _builder, _enum, _patch, _layers, _heads, _hidden, _mlp
