"""MNASNet ("MnasNet: Platform-Aware Neural Architecture Search for Mobile"), torchvision's B1 variant."""
import warnings
from typing import Optional

from ... import nn
from ._api import register_model
from ._utils import _load_weights, _verify_weights
from ._weights import weights_enum

__all__ = ["MNASNet", "MNASNet0_5_Weights", "MNASNet0_75_Weights", "MNASNet1_0_Weights", "MNASNet1_3_Weights",
           "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]

# the paper's TensorFlow momentum of 0.9997, in PyTorch's convention
_BN_MOMENTUM = 1 - 0.9997


class _InvertedResidual(nn.Module):
    """A 1x1 expansion to ``in_ch * expansion_factor`` channels, a depthwise ``kernel_size`` convolution, and a
    linear 1x1 projection, each with batch norm (ReLU after the first two); the input is added back when the shapes
    allow (stride 1 and ``in_ch == out_ch``)."""

    def __init__(self, in_ch, out_ch, kernel_size, stride, expansion_factor, bn_momentum=0.1):
        super().__init__()
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in [3, 5]:
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, mid_ch, kernel_size, padding=kernel_size // 2, stride=stride, groups=mid_ch, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch, momentum=bn_momentum),
        )

    def forward(self, input):
        if self.apply_residual:
            return self.layers(input) + input
        return self.layers(input)


def _stack(in_ch, out_ch, kernel_size, stride, exp_factor, repeats, bn_momentum):
    """``repeats`` inverted residuals, the first changing the channels and resolution (so without a skip)."""
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    first = _InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor, bn_momentum=bn_momentum)
    remaining = [_InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor, bn_momentum=bn_momentum)
                 for _ in range(1, repeats)]
    return nn.Sequential(first, *remaining)


def _round_to_multiple_of(val, divisor, round_up_bias=0.9):
    """``val`` rounded to a multiple of ``divisor``, up unless that is no more than 10% above the multiple below:
    (83, 8) -> 80, (84, 8) -> 88."""
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError(f"round_up_bias should be greater than 0.0 and smaller than 1.0 instead of {round_up_bias}")
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha):
    """The channels of the stem and the six stacks, scaled by ``alpha`` as the reference MobileNet code does."""
    return [_round_to_multiple_of(depth * alpha, 8) for depth in [32, 16, 24, 40, 80, 96, 192, 320]]


def _stem(depths):
    """A 3x3/2 convolution, then a depthwise-separable 3x3 one (no skip), with batch norms: ``layers[0:8]``."""
    return [
        nn.Conv2d(3, depths[0], 3, padding=1, stride=2, bias=False),
        nn.BatchNorm2d(depths[0], momentum=_BN_MOMENTUM),
        nn.ReLU(inplace=True),
        nn.Conv2d(depths[0], depths[0], 3, padding=1, stride=1, groups=depths[0], bias=False),
        nn.BatchNorm2d(depths[0], momentum=_BN_MOMENTUM),
        nn.ReLU(inplace=True),
        nn.Conv2d(depths[0], depths[1], 1, padding=0, stride=1, bias=False),
        nn.BatchNorm2d(depths[1], momentum=_BN_MOMENTUM),
    ]


class MNASNet(nn.Module):
    """MNASNet (the paper's B1 variant): a stem, six stacks of inverted residuals and a 1x1 convolution to 1280
    channels with batch norm and ReLU (``layers``), a mean over the pixels, then dropout and a Linear layer
    (``classifier``).

    Args:
        alpha (float): the depth multiplier: scales the channels of the stem and the stacks.
        num_classes (int, optional): Default: 1000.
        dropout (float, optional): Default: 0.2.

    Convolutions are initialised kaiming-normal (fan_out), batch norms with weight 1 and bias 0, the Linear layer
    kaiming-uniform (fan_out, gain 1) with zero bias.

    A state dict saved by version 1 of this class (torchvision before 0.4.1, whose stem did not scale with
    ``alpha``) turns the stem back into that version's when ``alpha`` is not 1, with a UserWarning. As
    torchvision's, loading refuses a state dict without the version in its ``_metadata`` (a plain dict).

    Shape:
        - Input: (N, 3, H, W)
        - Output: (N, num_classes)
    """

    # version 2 scales the stem's channels with alpha
    _version = 2

    def __init__(self, alpha, num_classes=1000, dropout=0.2):
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        depths = _get_depths(alpha)
        self.layers = nn.Sequential(
            *_stem(depths),
            _stack(depths[1], depths[2], 3, 2, 3, 3, _BN_MOMENTUM),
            _stack(depths[2], depths[3], 5, 2, 3, 3, _BN_MOMENTUM),
            _stack(depths[3], depths[4], 5, 2, 6, 3, _BN_MOMENTUM),
            _stack(depths[4], depths[5], 3, 1, 6, 2, _BN_MOMENTUM),
            _stack(depths[5], depths[6], 5, 2, 6, 4, _BN_MOMENTUM),
            _stack(depths[6], depths[7], 3, 1, 6, 1, _BN_MOMENTUM),
            nn.Conv2d(depths[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(1280, num_classes))

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.kaiming_uniform_(m.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.layers(x)
        return self.classifier(x.mean([2, 3]))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = local_metadata.get("version", None)
        if version not in [1, 2]:
            raise ValueError(f"version should be set to 1 or 2 instead of {version}")
        if version == 1 and not self.alpha == 1.0:
            # version 1's stem had fixed channels (32, 16) whatever alpha
            depths = _get_depths(self.alpha)
            v1_stem = [*_stem([32, 16]), _stack(16, depths[2], 3, 2, 3, 3, _BN_MOMENTUM)]
            for idx, layer in enumerate(v1_stem):
                self.layers[idx] = layer
            # the model is now version 1's, and is saved as such
            self._version = 1
            warnings.warn(
                "A new version of MNASNet model has been implemented. Your checkpoint was saved using the previous "
                "version. This checkpoint will load and work as before, but you may want to upgrade by training a "
                "newer model or transfer learning from an updated ImageNet checkpoint.",
                UserWarning,
            )
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


MNASNet0_5_Weights = weights_enum("MNASNet0_5_Weights", __name__)
MNASNet0_75_Weights = weights_enum("MNASNet0_75_Weights", __name__)
MNASNet1_0_Weights = weights_enum("MNASNet1_0_Weights", __name__)
MNASNet1_3_Weights = weights_enum("MNASNet1_3_Weights", __name__)

_ALPHAS = {"mnasnet0_5": 0.5, "mnasnet0_75": 0.75, "mnasnet1_0": 1.0, "mnasnet1_3": 1.3}


def _mnasnet(arch, weights_enum, weights, progress, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    return _load_weights(MNASNet(_ALPHAS[arch], **kwargs), weights, progress)


@register_model()
def mnasnet0_5(weights: Optional[MNASNet0_5_Weights] = None, progress=True, **kwargs):
    return _mnasnet("mnasnet0_5", MNASNet0_5_Weights, weights, progress, kwargs)


@register_model()
def mnasnet0_75(weights: Optional[MNASNet0_75_Weights] = None, progress=True, **kwargs):
    return _mnasnet("mnasnet0_75", MNASNet0_75_Weights, weights, progress, kwargs)


@register_model()
def mnasnet1_0(weights: Optional[MNASNet1_0_Weights] = None, progress=True, **kwargs):
    return _mnasnet("mnasnet1_0", MNASNet1_0_Weights, weights, progress, kwargs)


@register_model()
def mnasnet1_3(weights: Optional[MNASNet1_3_Weights] = None, progress=True, **kwargs):
    return _mnasnet("mnasnet1_3", MNASNet1_3_Weights, weights, progress, kwargs)


_DOC = """MNASNet with depth multiplier of {alpha} from `MnasNet: Platform-Aware Neural Architecture Search for Mobile
    <https://arxiv.org/abs/1807.11626>`__.

    Args:
        weights (:class:`~torchless.vision.models.{enum}`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.{enum}` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`MNASNet` (``num_classes``, ``dropout``).
    """

for _builder, _enum in ((mnasnet0_5, MNASNet0_5_Weights), (mnasnet0_75, MNASNet0_75_Weights),
                        (mnasnet1_0, MNASNet1_0_Weights), (mnasnet1_3, MNASNet1_3_Weights)):
    _builder.__doc__ = _DOC.format(alpha=_ALPHAS[_builder.__name__], enum=_enum.__name__)
del _builder, _enum
