"""AlexNet, torchvision's variant from "One weird trick for parallelizing convolutional neural networks"."""
from typing import Optional

from ... import flatten, nn
from ._api import register_model
from ._utils import _load_weights, _verify_weights
from ._weights import weights_enum

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    """AlexNet: five convolutions (``features``), a 6x6 adaptive average pool and three Linear layers with dropout
    (``classifier``). Parameters keep PyTorch's default initialisation, as in torchvision.

    Args:
        num_classes (int, optional): Default: 1000.
        dropout (float, optional): dropout probability before the first two Linear layers. Default: 0.5.

    Shape:
        - Input: (N, 3, H, W), H and W at least 63 (224 for ImageNet)
        - Output: (N, num_classes)
    """

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = flatten(x, 1)
        return self.classifier(x)


AlexNet_Weights = weights_enum("AlexNet_Weights", __name__)


@register_model()
def alexnet(weights: Optional[AlexNet_Weights] = None, progress=True, **kwargs):
    """AlexNet model architecture from `One weird trick for parallelizing convolutional neural networks
    <https://arxiv.org/abs/1404.5997>`__.

    Args:
        weights (:class:`~torchless.vision.models.AlexNet_Weights`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.AlexNet_Weights` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`AlexNet` (``num_classes``, ``dropout``).
    """
    weights = _verify_weights(AlexNet_Weights, weights, kwargs)
    return _load_weights(AlexNet(**kwargs), weights, progress)
