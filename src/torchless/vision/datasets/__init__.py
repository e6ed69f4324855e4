"""Vision datasets with torchvision's interface (``torchvision.datasets``)."""
from .cifar import CIFAR10, CIFAR100
from .mnist import KMNIST, MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "FashionMNIST", "KMNIST", "MNIST", "StandardTransform", "VisionDataset"]
