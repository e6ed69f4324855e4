"""S3D ("Rethinking Spatiotemporal Feature Learning"), the separable 3D Inception network, as torchvision builds
it."""
import functools
from typing import Optional

from .... import cat, nn
from ...ops.misc import Conv3dNormActivation
from .._api import WeightsEnum, register_model
from .._meta import _KINETICS400_CATEGORIES
from .._utils import _legacy_weights, _load_weights, _verify_weights
from ._utils import _documented, _kinetics_weights

__all__ = ["S3D", "S3D_Weights", "s3d"]


class TemporalSeparableConv(nn.Sequential):
    """A ``kernel_size``-cubed convolution separated into a spatial (1, k, k) and a temporal (k, 1, 1) one, each a
    Conv3dNormActivation without bias."""

    def __init__(self, in_planes, out_planes, kernel_size, stride, padding, norm_layer):
        super().__init__(
            Conv3dNormActivation(in_planes, out_planes, kernel_size=(1, kernel_size, kernel_size),
                                 stride=(1, stride, stride), padding=(0, padding, padding), bias=False,
                                 norm_layer=norm_layer),
            Conv3dNormActivation(out_planes, out_planes, kernel_size=(kernel_size, 1, 1), stride=(stride, 1, 1),
                                 padding=(padding, 0, 0), bias=False, norm_layer=norm_layer),
        )


class SepInceptionBlock3D(nn.Module):
    """An Inception block whose 3x3x3 convolutions are separable: four branches -- 1x1x1; 1x1x1 then separable
    3x3x3; the same with other widths; 3x3x3 max pooling then 1x1x1 -- concatenated along the channels
    (``b0_out + b1_out + b2_out + b3_out`` of them)."""

    def __init__(self, in_planes, b0_out, b1_mid, b1_out, b2_mid, b2_out, b3_out, norm_layer):
        super().__init__()

        self.branch0 = Conv3dNormActivation(in_planes, b0_out, kernel_size=1, stride=1, norm_layer=norm_layer)
        self.branch1 = nn.Sequential(
            Conv3dNormActivation(in_planes, b1_mid, kernel_size=1, stride=1, norm_layer=norm_layer),
            TemporalSeparableConv(b1_mid, b1_out, kernel_size=3, stride=1, padding=1, norm_layer=norm_layer),
        )
        self.branch2 = nn.Sequential(
            Conv3dNormActivation(in_planes, b2_mid, kernel_size=1, stride=1, norm_layer=norm_layer),
            TemporalSeparableConv(b2_mid, b2_out, kernel_size=3, stride=1, padding=1, norm_layer=norm_layer),
        )
        self.branch3 = nn.Sequential(
            nn.MaxPool3d(kernel_size=(3, 3, 3), stride=1, padding=1),
            Conv3dNormActivation(in_planes, b3_out, kernel_size=1, stride=1, norm_layer=norm_layer),
        )

    def forward(self, x):
        x0 = self.branch0(x)
        x1 = self.branch1(x)
        x2 = self.branch2(x)
        x3 = self.branch3(x)
        return cat((x0, x1, x2, x3), 1)


class S3D(nn.Module):
    """The S3D network of `Rethinking Spatiotemporal Feature Learning <https://arxiv.org/abs/1712.04851>`_:
    separable-convolution stem, separable Inception blocks, (2, 7, 7) average pooling (stride 1), dropout and a
    1x1x1 convolution classifier whose scores are averaged over the remaining time and space.

    Args:
        num_classes (int, optional): number of classes. Default: 400.
        dropout (float, optional): dropout probability before the classifier. Default: 0.2.
        norm_layer (callable, optional): the normalization layer. Default: BatchNorm3d with ``eps=0.001`` and
            ``momentum=0.001``.

    Shape:
        - Input: (N, 3, T, H, W), with T >= 13 and H, W >= 209: the average pooling needs a feature map of at least
          (2, 7, 7), and the features have ``floor(ceil(T / 4) / 2)`` frames and ``floor(ceil(H / 16) / 2)`` rows
          (likewise columns); the weights were trained on 224 x 224 clips of at least 14 frames.
        - Output: (N, num_classes)
    """

    def __init__(self, num_classes=400, dropout=0.2, norm_layer=None):
        super().__init__()

        if norm_layer is None:
            norm_layer = functools.partial(nn.BatchNorm3d, eps=0.001, momentum=0.001)

        self.features = nn.Sequential(
            TemporalSeparableConv(3, 64, 7, 2, 3, norm_layer),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
            Conv3dNormActivation(64, 64, kernel_size=1, stride=1, norm_layer=norm_layer),
            TemporalSeparableConv(64, 192, 3, 1, 1, norm_layer),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
            SepInceptionBlock3D(192, 64, 96, 128, 16, 32, 32, norm_layer),
            SepInceptionBlock3D(256, 128, 128, 192, 32, 96, 64, norm_layer),
            nn.MaxPool3d(kernel_size=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1)),
            SepInceptionBlock3D(480, 192, 96, 208, 16, 48, 64, norm_layer),
            SepInceptionBlock3D(512, 160, 112, 224, 24, 64, 64, norm_layer),
            SepInceptionBlock3D(512, 128, 128, 256, 24, 64, 64, norm_layer),
            SepInceptionBlock3D(512, 112, 144, 288, 32, 64, 64, norm_layer),
            SepInceptionBlock3D(528, 256, 160, 320, 32, 128, 128, norm_layer),
            nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0)),
            SepInceptionBlock3D(832, 256, 160, 320, 32, 128, 128, norm_layer),
            SepInceptionBlock3D(832, 384, 192, 384, 48, 128, 128, norm_layer),
        )
        self.avgpool = nn.AvgPool3d(kernel_size=(2, 7, 7), stride=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Conv3d(1024, num_classes, kernel_size=1, stride=1, bias=True),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = self.classifier(x)
        return x.mean(dim=(2, 3, 4))


class S3D_Weights(WeightsEnum):
    KINETICS400_V1 = _kinetics_weights("s3d-d76dad2f.pth", {
        "min_size": (224, 224),
        "min_temporal_size": 14,
        "categories": _KINETICS400_CATEGORIES,
        "recipe": "https://github.com/pytorch/vision/tree/main/references/video_classification#s3d",
        "_docs": ("The weights aim to approximate the accuracy of the paper. The accuracies are estimated on "
                  "clip-level with parameters `frame_rate=15`, `clips_per_video=1`, and `clip_len=128`."),
        "num_params": 8320048,
        "_metrics": {"Kinetics-400": {"acc@1": 68.368, "acc@5": 88.050}},
        "_ops": 17.979,
        "_file_size": 31.972,
    }, (224, 224), (256, 256))
    DEFAULT = KINETICS400_V1


@register_model()
@_legacy_weights(weights=("pretrained", S3D_Weights.KINETICS400_V1))
@_documented("Separable 3D CNN (S3D) of `Rethinking Spatiotemporal Feature Learning "
             "<https://arxiv.org/abs/1712.04851>`__.", S3D_Weights, "S3D",
             "``num_classes``, ``dropout``, ``norm_layer``")
def s3d(*, weights: Optional[S3D_Weights] = None, progress=True, **kwargs):
    weights = _verify_weights(S3D_Weights, weights, kwargs)
    return _load_weights(S3D(**kwargs), weights, progress)
