"""Vision datasets with torchvision's interface (``torchvision.datasets``)."""
from .mnist import MNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["MNIST", "StandardTransform", "VisionDataset"]
