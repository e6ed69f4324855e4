"""torchvision's interface for torchless: ``datasets`` (MNIST, FashionMNIST, KMNIST, EMNIST, CIFAR10/100,
ImageFolder), ``transforms`` (with ``transforms.v2``), ``io`` (read_image, write_png, ...), ``utils``
(make_grid, save_image), ``models`` (AlexNet, VGG, ResNet, MobileNetV2/V3, SqueezeNet, DenseNet, ShuffleNetV2,
EfficientNet) and ``ops`` (Conv2dNormActivation, SqueezeExcitation, StochasticDepth); each loads on first use."""
import importlib as _importlib

from ..torch_version import TorchVersion as _TorchVersion
from ..version import torchless as _torchless_release, torchvision as _torchvision_release

# torchvision's release whose behaviour torchless.vision follows, torchless's own as the local label
__version__ = _TorchVersion(f"{_torchvision_release}+torchless.{_torchless_release}")

_LAZY_SUBMODULES = {"datasets", "io", "models", "ops", "transforms", "tv_tensors", "utils"}

_image_backend = "PIL"


def set_image_backend(backend):
    """Specifies the package ``datasets.folder.default_loader`` loads images with.

    Args:
        backend (string): Name of the image backend, one of {'PIL', 'accimage'}. The accimage package (not part of
            torchless) uses the Intel IPP library and is generally faster than PIL, but supports fewer operations.
    """
    global _image_backend
    if backend not in ["PIL", "accimage"]:
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'accimage'")
    _image_backend = backend


def get_image_backend():
    """Gets the name of the package used to load images ('PIL' or 'accimage')."""
    return _image_backend


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
