"""Vision datasets with torchvision's interface (``torchvision.datasets``)."""
from .cifar import CIFAR10, CIFAR100
from .emnist import EMNIST
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import KMNIST, MNIST, QMNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset
from ._tv_wrapper import wrap_dataset_for_transforms_v2

__all__ = ["CIFAR10", "CIFAR100", "DatasetFolder", "EMNIST", "FakeData", "FashionMNIST", "ImageFolder", "KMNIST", "MNIST", "QMNIST",
           "StandardTransform", "VisionDataset",
           "wrap_dataset_for_transforms_v2"]
