"""torchvision's interface for torchless: ``datasets`` (MNIST, FashionMNIST, KMNIST, CIFAR10/100) and ``transforms``;
both load on first use."""
import importlib as _importlib

_LAZY_SUBMODULES = {"datasets", "transforms"}


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
